// Section "permissions": the permission matrix's rules (PUT, DELETE).

#include <algorithm>

#include "gateway/runtime/section.hpp"
#include "gateway/runtime/sections/items.hpp"

namespace oncegate::runtime {

namespace json = boost::json;

namespace {

const std::string& key_of(const config::PermissionConfig& p) { return p.id; }

class PermissionsSection final : public ManagedSection {
 public:
  SectionInfo info() const override { return {"permissions", true, {}, {}}; }

  void apply(const json::object& overlay, config::GatewayConfig& cfg, const RuntimeParts&) const override {
    lay_over(overlay, "permissions", cfg.permissions, key_of, permission_from_json);
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
    return remove_item(env, "permissions", key, env.runtime->config.permissions, env.base.permissions, key_of,
                       "permission rule");
  }
};

}  // namespace

std::unique_ptr<const ManagedSection> make_permissions_section() { return std::make_unique<PermissionsSection>(); }

}  // namespace oncegate::runtime
