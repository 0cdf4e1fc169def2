// Section "adapters": register adapters (PUT, DELETE with ?with_routes=true, enable/disable).

#include <algorithm>

#include "gateway/config/config.hpp"
#include "gateway/runtime/section.hpp"
#include "gateway/runtime/sections/items.hpp"

namespace oncegate::runtime {

namespace json = boost::json;

namespace {

class AdaptersSection final : public ManagedSection {
 public:
  SectionInfo info() const override { return {"adapters", true, {"enable", "disable"}, {}}; }

  void apply(const json::object& overlay, config::GatewayConfig& cfg, const RuntimeParts& parts) const override {
    lay_over(overlay, "adapters", cfg.adapters, [](const config::AdapterConfig& a) -> const std::string& { return a.name; },
             [&](std::string_view name, const json::value& value) { return adapter_from_json(name, value, parts.data_dir); });
    // Enable/disable is a switch of its own, so the file's definition of the adapter still applies.
    if (const auto* switches = overlay.if_contains("adapter_switches"); switches != nullptr && switches->is_object()) {
      for (const auto& [name, enabled] : switches->as_object()) {
        for (auto& a : cfg.adapters) {
          if (a.name == name && enabled.is_bool()) a.enabled = enabled.as_bool();
        }
      }
    }
  }

  json::array list(const Runtime& runtime) const override {
    json::array items;
    const auto statuses = adapter_statuses(runtime);
    for (const auto& a : runtime.config.adapters) {
      auto item = adapter_to_json(a);
      item["name"] = a.name;
      item["source"] = source_of(runtime, "adapters", a.name);
      for (const auto& [name, status] : statuses) {
        if (name != a.name) continue;
        item["status"] = json::object{{"breaker", status.breaker}, {"reachable", status.reachable},
                                      {"calls", status.calls}, {"failures", status.failures},
                                      {"timeouts", status.timeouts}, {"rejected_open", status.rejected_open},
                                      {"last_error", status.last_error}};
      }
      items.push_back(std::move(item));
    }
    return items;
  }

  ManagementResult put(std::string_view key, const json::value& body, ChangeEnv& env) const override {
    const auto adapter = adapter_from_json(key, body, env.parts.data_dir);
    overlay_section(env.candidate, "adapters")[key] = adapter_to_json(adapter);
    overlay_section(env.candidate, "adapter_switches").erase(key);  // the body says enabled or not
    env.commit(std::move(env.candidate), "adapter " + std::string(key) + " set");
    auto j = adapter_to_json(adapter);
    j["name"] = adapter.name;
    return ManagementResult{200, j};
  }

  ManagementResult remove(std::string_view key, const RemoveOptions& options, ChangeEnv& env) const override {
    const auto& cfg = env.runtime->config;
    if (std::none_of(cfg.adapters.begin(), cfg.adapters.end(), [&](const auto& a) { return a.name == key; })) {
      return error(404, "no adapter named '" + std::string(key) + "'");
    }
    json::array dependent;
    for (const auto& r : cfg.routes) {
      if (r.adapter == key) dependent.push_back(route_to_json(r));
    }
    if (!dependent.empty() && !options.with_routes) {
      return ManagementResult{409, json::object{{"error", "routes still lead to this adapter; remove them first "
                                                          "or add ?with_routes=true"},
                                                {"routes", dependent}}};
    }
    for (const auto& r : cfg.routes) {
      if (r.adapter != key) continue;
      const auto route = route_key(r.evidence_type, r.region);
      mark_removed(env.candidate, "routes", route, route_in_base(env.base, route));
    }
    const bool in_base = std::any_of(env.base.adapters.begin(), env.base.adapters.end(),
                                     [&](const auto& a) { return a.name == key; });
    mark_removed(env.candidate, "adapters", key, in_base);
    overlay_section(env.candidate, "adapter_switches").erase(key);
    env.commit(std::move(env.candidate), "adapter " + std::string(key) + " removed");
    return ManagementResult{200, json::object{{"removed", key}, {"routes_removed", dependent}}};
  }

  ManagementResult action(std::string_view key, std::string_view action, const json::value&, ChangeEnv& env) const override {
    if (action != "enable" && action != "disable") return error(404, "unknown action");
    const auto& adapters = env.runtime->config.adapters;
    if (std::none_of(adapters.begin(), adapters.end(), [&](const auto& a) { return a.name == key; })) {
      return error(404, "no adapter named '" + std::string(key) + "'");
    }
    const bool enabled = action == "enable";
    overlay_section(env.candidate, "adapter_switches")[key] = enabled;
    env.commit(std::move(env.candidate), "adapter " + std::string(key) + " " + std::string(action) + "d");
    return ManagementResult{200, json::object{{"name", key}, {"enabled", enabled}}};
  }
};

}  // namespace

std::unique_ptr<const ManagedSection> make_adapters_section() { return std::make_unique<AdaptersSection>(); }

}  // namespace oncegate::runtime
