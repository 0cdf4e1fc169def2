// Section "permissions": the permission matrix's rules (PUT, DELETE).

#include <algorithm>

#include "gateway/runtime/section.hpp"
#include "gateway/runtime/sections/items.hpp"

namespace oncegate::runtime {

namespace json = boost::json;

namespace {

class PermissionsSection final : public ManagedSection {
 public:
  SectionInfo info() const override { return {"permissions", true, {}, {}}; }

  void apply(const json::object& overlay, config::GatewayConfig& cfg, const RuntimeParts&) const override {
    const auto* permissions = overlay.if_contains("permissions");
    if (permissions == nullptr || !permissions->is_object()) return;
    for (const auto& [id, value] : permissions->as_object()) {
      std::erase_if(cfg.permissions, [&](const auto& p) { return p.id == id; });
      if (!value.is_null()) cfg.permissions.push_back(permission_from_json(id, value));
    }
  }

  json::array list(const Runtime& runtime) const override {
    json::array items;
    for (const auto& p : runtime.config.permissions) {
      auto item = permission_to_json(p);
      item["id"] = p.id;
      item["source"] = source_of(runtime, "permissions", p.id);
      items.push_back(std::move(item));
    }
    return items;
  }

  ManagementResult put(std::string_view key, const json::value& body, ChangeEnv& env) const override {
    const auto permission = permission_from_json(key, body);
    overlay_section(env.candidate, "permissions")[key] = permission_to_json(permission);
    env.commit(std::move(env.candidate), "permission " + std::string(key) + " set");
    auto j = permission_to_json(permission);
    j["id"] = permission.id;
    return ManagementResult{200, j};
  }

  ManagementResult remove(std::string_view key, const RemoveOptions&, ChangeEnv& env) const override {
    const auto& permissions = env.runtime->config.permissions;
    if (std::none_of(permissions.begin(), permissions.end(), [&](const auto& p) { return p.id == key; })) {
      return error(404, "no permission rule '" + std::string(key) + "'");
    }
    const bool in_base = std::any_of(env.base.permissions.begin(), env.base.permissions.end(),
                                     [&](const auto& p) { return p.id == key; });
    mark_removed(env.candidate, "permissions", key, in_base);
    env.commit(std::move(env.candidate), "permission " + std::string(key) + " removed");
    return ManagementResult{200, json::object{{"removed", key}}};
  }
};

}  // namespace

std::unique_ptr<const ManagedSection> make_permissions_section() { return std::make_unique<PermissionsSection>(); }

}  // namespace oncegate::runtime
