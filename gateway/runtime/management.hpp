#pragma once
// What operators change at runtime, as the admin endpoint sees it: a narrow interface that the
// runtime module implements (runtime_control.hpp). The admin module authenticates, authorises,
// audits and speaks HTTP; the implementation validates, applies atomically and persists.
//
// Sections (sections()): "adapters", "routes", "authorities", "permissions", "signing-keys"; each
// is one file under gateway/runtime/sections/.
// Thread safety: implementations serialise changes themselves; list() may run concurrently.

#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

namespace oncegate::runtime {

struct ManagementResult {
  unsigned status = 200;     // 200 applied / listed, 400 invalid, 404 unknown item, 409 conflict
  boost::json::value body;   // the new state of the item, or {"error": "..."}
};

// What DELETE may say beyond the item: ?region=03 (routes) and ?with_routes=true (adapters).
struct RemoveOptions {
  std::string region;        // routes: the region of the route to remove; empty: the route without
  bool with_routes = false;  // adapters: remove the routes leading to it as well
};

// One section as the admin endpoint offers it.
struct SectionInfo {
  std::string name;        // the path segment: /admin/v1/<name>
  bool items = true;       // PUT and DELETE /admin/v1/<name>/<key>
  std::vector<std::string> item_actions;     // POST /admin/v1/<name>/<key>/<action>
  std::vector<std::string> section_actions;  // POST /admin/v1/<name>/<action>
};

class Management {
 public:
  virtual ~Management() = default;

  // The sections, in the order they are listed.
  [[nodiscard]] virtual std::vector<SectionInfo> sections() const = 0;

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
  // A cluster node: the configuration version it runs, the stored one, one it failed to build,
  // and every node's report. 404 on a single node.
  [[nodiscard]] virtual ManagementResult cluster() const = 0;
};

}  // namespace oncegate::runtime
