#include "gateway/routing/routing_table.hpp"

#include <algorithm>

namespace oncegate::routing {

std::shared_ptr<const RoutingTable> RoutingTable::build(std::vector<RouteRule> rules,
                                                        const adapters::AdapterRegistry& registry) {
  auto table = std::make_shared<RoutingTable>();
  for (const auto& rule : rules) {
    if (rule.evidence_type.empty()) throw RoutingError("route without evidence type");
    if (!std::all_of(rule.region_prefix.begin(), rule.region_prefix.end(),
                     [](char c) { return c >= '0' && c <= '9'; }) ||
        rule.region_prefix.size() > 12) {
      throw RoutingError("route for '" + rule.evidence_type + "': region '" + rule.region_prefix +
                         "' is not a Regionalschlüssel prefix (up to 12 digits)");
    }
    auto adapter = registry.find(rule.adapter);
    if (!adapter) {
      throw RoutingError("route for '" + rule.evidence_type + "' names unknown adapter '" +
                         rule.adapter + "'");
    }
    auto type_it = std::find_if(table->types_.begin(), table->types_.end(),
                                [&](const TypeRoutes& t) { return t.evidence_type == rule.evidence_type; });
    if (type_it == table->types_.end()) {
      table->types_.push_back(TypeRoutes{rule.evidence_type, {}});
      type_it = std::prev(table->types_.end());
    }
    for (const auto& existing : type_it->by_region) {
      if (existing.prefix == rule.region_prefix) {
        throw RoutingError("two routes for '" + rule.evidence_type + "' and region '" +
                           rule.region_prefix + "'");
      }
    }
    type_it->by_region.push_back(RegionRoute{rule.region_prefix, adapter.get()});
    table->keep_alive_.push_back(std::move(adapter));
  }
  for (auto& type : table->types_) {
    std::stable_sort(type.by_region.begin(), type.by_region.end(),
                     [](const RegionRoute& a, const RegionRoute& b) { return a.prefix.size() > b.prefix.size(); });
  }
  std::sort(table->types_.begin(), table->types_.end(),
            [](const TypeRoutes& a, const TypeRoutes& b) { return a.evidence_type < b.evidence_type; });
  table->rules_ = std::move(rules);
  return table;
}

const RoutingTable::TypeRoutes* RoutingTable::find_type(std::string_view evidence_type) const noexcept {
  auto it = std::lower_bound(types_.begin(), types_.end(), evidence_type,
                             [](const TypeRoutes& t, std::string_view key) { return t.evidence_type < key; });
  if (it == types_.end() || it->evidence_type != evidence_type) return nullptr;
  return &*it;
}

bool RoutingTable::knows_type(std::string_view evidence_type) const noexcept {
  return find_type(evidence_type) != nullptr;
}

RouteDecision RoutingTable::lookup(std::string_view evidence_type,
                                   std::string_view region) const noexcept {
  const TypeRoutes* type = find_type(evidence_type);
  if (type == nullptr) return {RouteOutcome::unknown_type, nullptr};
  for (const auto& route : type->by_region) {
    if (route.prefix.empty() || region.starts_with(route.prefix)) {
      return {RouteOutcome::routed, route.adapter};
    }
  }
  return {region.empty() ? RouteOutcome::region_required : RouteOutcome::no_region_match, nullptr};
}

}  // namespace oncegate::routing
