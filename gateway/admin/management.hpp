#pragma once
// What the admin endpoint changes at runtime, as seen from the admin module: a narrow interface
// the application implements (gateway/app/runtime_control). The admin module authenticates,
// authorises, audits and speaks HTTP; the implementation validates, applies atomically and
// persists.
//
// Sections: "adapters", "routes", "authorities", "permissions", "signing-keys".
// Thread safety: implementations serialise changes themselves; list() may run concurrently.

#include <string>
#include <string_view>

#include <boost/json/value.hpp>

namespace oncegate::admin {

struct ManagementResult {
  unsigned status = 200;     // 200 applied / listed, 400 invalid, 404 unknown item, 409 conflict
  boost::json::value body;   // the new state of the item, or {"error": "..."}
};

// What DELETE may say beyond the item: ?region=03 (routes) and ?with_routes=true (adapters).
struct RemoveOptions {
  std::string region;        // routes: the region of the route to remove; empty: the route without
  bool with_routes = false;  // adapters: remove the routes leading to it as well
};

class Management {
 public:
  virtual ~Management() = default;

  [[nodiscard]] virtual ManagementResult list(std::string_view section) const = 0;
  // Creates or replaces the item `key` of `section` (PUT).
  [[nodiscard]] virtual ManagementResult put(std::string_view section, std::string_view key,
                                             const boost::json::value& body) = 0;
  [[nodiscard]] virtual ManagementResult remove(std::string_view section, std::string_view key,
                                                const RemoveOptions& options) = 0;
  // POST /admin/v1/<section>/<key>/<action>, e.g. adapters/x/disable, signing-keys/rotate (key
  // empty).
  [[nodiscard]] virtual ManagementResult action(std::string_view section, std::string_view key,
                                                std::string_view action, const boost::json::value& body) = 0;
  // Re-reads the configuration files and applies them with the admin changes on top.
  [[nodiscard]] virtual ManagementResult reload() = 0;
  // Readiness details: keys loaded, each register's reachability and breaker state.
  [[nodiscard]] virtual boost::json::object readiness() const = 0;
};

}  // namespace oncegate::admin
