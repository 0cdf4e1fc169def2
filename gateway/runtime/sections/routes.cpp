// Section "routes": evidence type (+ region) -> adapter (PUT, DELETE with ?region=).

#include <algorithm>

#include "gateway/runtime/section.hpp"
#include "gateway/runtime/sections/items.hpp"

namespace oncegate::runtime {

namespace json = boost::json;

namespace {

class RoutesSection final : public ManagedSection {
 public:
  SectionInfo info() const override { return {"routes", true, {}, {}}; }

  void apply(const json::object& overlay, config::GatewayConfig& cfg, const RuntimeParts&) const override {
    lay_over(overlay, "routes", cfg.routes,
             [](const config::RouteConfig& r) { return route_key(r.evidence_type, r.region); },
             [](std::string_view key, const json::value& value) {
               const auto bar = key.find('|');
               return config::RouteConfig{std::string(key.substr(0, bar)),
                                          bar == std::string_view::npos ? std::string() : std::string(key.substr(bar + 1)),
                                          string_field(as_object(value, "stored route"), "adapter", true, "stored route")};
             });
  }

  json::array list(const Runtime& runtime) const override {
    json::array items;
    for (const auto& r : runtime.config.routes) {
      auto item = route_to_json(r);
      item["source"] = source_of(runtime, "routes", route_key(r.evidence_type, r.region));
      items.push_back(std::move(item));
    }
    return items;
  }

  ManagementResult put(std::string_view key, const json::value& body, ChangeEnv& env) const override {
    const auto& object = as_object(body, "route");
    reject_unknown_keys(object, {"region", "adapter"}, "route");
    const config::RouteConfig route{std::string(key), string_field(object, "region", false, "route"),
                                    string_field(object, "adapter", true, "route")};
    overlay_section(env.candidate, "routes")[route_key(route.evidence_type, route.region)] =
        json::object{{"adapter", route.adapter}};
    env.commit(std::move(env.candidate), "route " + route.evidence_type + " set");
    return ManagementResult{200, route_to_json(route)};
  }

  ManagementResult remove(std::string_view key, const RemoveOptions& options, ChangeEnv& env) const override {
    const std::string& region = options.region;
    const auto& routes = env.runtime->config.routes;
    if (std::none_of(routes.begin(), routes.end(), [&](const auto& r) { return r.evidence_type == key && r.region == region; })) {
      return error(404, "no route for '" + std::string(key) + "' and region '" + region + "'");
    }
    const auto stored_key = route_key(key, region);
    mark_removed(env.candidate, "routes", stored_key, route_in_base(env.base, stored_key));
    env.commit(std::move(env.candidate), "route " + std::string(key) + " removed");
    return ManagementResult{200, json::object{{"removed", key}, {"region", region}}};
  }
};

}  // namespace

std::unique_ptr<const ManagedSection> make_routes_section() { return std::make_unique<RoutesSection>(); }

}  // namespace oncegate::runtime
