#pragma once
// The routing table: evidence type (and, for registers split by region, the Regionalschlüssel of
// the person's municipality) -> the register adapter that holds the evidence.
//
// Built once from configuration and immutable afterwards; lookup() is pure, allocation-free and
// safe to call concurrently. A new configuration builds a new table (swapped as a whole).

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/adapter/adapter.hpp"
#include "gateway/adapter/adapter_registry.hpp"

namespace oncegate::routing {

struct RouteRule {
  std::string evidence_type;  // e.g. "meldebescheinigung"
  std::string region_prefix;  // digits of the Regionalschlüssel this rule covers; empty = any region
  std::string adapter;        // adapter instance name
};

class RoutingError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class RouteOutcome {
  routed,           // adapter found
  unknown_type,     // no register holds this evidence type
  region_required,  // the type is split by region and the request names none
  no_region_match,  // the type is split by region and no register covers the given region
};

struct RouteDecision {
  RouteOutcome outcome = RouteOutcome::unknown_type;
  adapters::RegisterAdapter* adapter = nullptr;  // valid while the table lives, when routed
};

class RoutingTable {
 public:
  // Resolves adapter names against `registry`. Throws RoutingError for an unknown adapter, a
  // duplicate (type, region) rule, or a malformed region prefix.
  [[nodiscard]] static std::shared_ptr<const RoutingTable> build(
      std::vector<RouteRule> rules, const adapters::AdapterRegistry& registry);

  // Longest region prefix wins; a rule without region catches regions no other rule covers.
  [[nodiscard]] RouteDecision lookup(std::string_view evidence_type,
                                     std::string_view region) const noexcept;

  [[nodiscard]] const std::vector<RouteRule>& rules() const noexcept { return rules_; }
  [[nodiscard]] bool knows_type(std::string_view evidence_type) const noexcept;

 private:
  struct RegionRoute {
    std::string prefix;
    adapters::RegisterAdapter* adapter;
  };
  struct TypeRoutes {
    std::string evidence_type;
    std::vector<RegionRoute> by_region;  // longest prefix first; empty prefix (if any) last
  };

  [[nodiscard]] const TypeRoutes* find_type(std::string_view evidence_type) const noexcept;

  std::vector<RouteRule> rules_;
  std::vector<TypeRoutes> types_;  // sorted by evidence_type
  std::vector<std::shared_ptr<adapters::RegisterAdapter>> keep_alive_;
};

}  // namespace oncegate::routing
