// Section "authorities": registered authorities and their certificates (PUT with PEM, DELETE).

#include <algorithm>

#include "gateway/runtime/section.hpp"
#include "gateway/runtime/sections/items.hpp"

namespace oncegate::runtime {

namespace json = boost::json;

namespace {

const std::string& key_of(const config::AuthorityConfig& a) { return a.kennung; }

class AuthoritiesSection final : public ManagedSection {
 public:
  SectionInfo info() const override { return {"authorities", true, {}, {}}; }

  void apply(const json::object& overlay, config::GatewayConfig& cfg, const RuntimeParts&) const override {
    lay_over(overlay, "authorities", cfg.authorities, key_of, authority_from_stored_json);
  }

  json::array list(const Runtime& runtime) const override {
    json::array items;
    for (const auto& a : runtime.trust->authorities()) {
      json::array certificates;
      for (const auto& c : a.certificates) {
        certificates.push_back(json::object{{"fingerprint", c.fingerprint}, {"subject", c.subject},
                                            {"not_before", iso_date(c.not_before)}, {"not_after", iso_date(c.not_after)}});
      }
      items.push_back(json::object{{"kennung", a.kennung}, {"name", a.name}, {"certificates", certificates},
                                   {"source", source_of(runtime, "authorities", a.kennung)}});
    }
    return items;
  }

  ManagementResult put(std::string_view key, const json::value& body, ChangeEnv& env) const override {
    const auto& object = as_object(body, "authority");
    reject_unknown_keys(object, {"name", "certificates"}, "authority");
    config::AuthorityConfig authority;
    authority.kennung = std::string(key);
    authority.name = string_field(object, "name", false, "authority", authority.kennung);
    for (const auto& pem : string_list(object, "certificates", true, "authority")) {
      try {
        authority.certificates.push_back(env.store_certificate(pem));
      } catch (const std::exception& failure) {
        throw ChangeError(400, std::string("authority: a certificate is unreadable: ") + failure.what());
      }
    }
    overlay_section(env.candidate, "authorities")[key] = authority_to_stored_json(authority);
    env.commit(std::move(env.candidate), "authority " + std::string(key) + " set");
    return ManagementResult{200, json::object{{"kennung", authority.kennung}, {"name", authority.name},
                                              {"certificates", authority.certificates.size()}}};
  }

  ManagementResult remove(std::string_view key, const RemoveOptions&, ChangeEnv& env) const override {
    return remove_item(env, "authorities", key, env.runtime->config.authorities, env.base.authorities, key_of, "authority");
  }
};

}  // namespace

std::unique_ptr<const ManagedSection> make_authorities_section() { return std::make_unique<AuthoritiesSection>(); }

}  // namespace oncegate::runtime
