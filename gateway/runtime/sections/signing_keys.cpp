// Section "signing-keys": the published signing certificates and the key's rotation
// (POST /admin/v1/signing-keys/rotate with key and certificate files, or generate with the demo CA).

#include "gateway/runtime/section.hpp"
#include "gateway/trust/trust_store.hpp"

namespace oncegate::runtime {

namespace json = boost::json;

namespace {

class SigningKeysSection final : public ManagedSection {
 public:
  SectionInfo info() const override { return {"signing-keys", false, {}, {"rotate"}}; }

  void apply(const json::object& overlay, config::GatewayConfig& cfg, const RuntimeParts&) const override {
    const auto* signing = overlay.if_contains("signing");
    if (signing == nullptr || !signing->is_object()) return;
    cfg.trust.signing_key = string_field(signing->as_object(), "key", true, "stored signing key");
    cfg.trust.signing_certificate = string_field(signing->as_object(), "certificate", true, "stored signing key");
  }

  json::array list(const Runtime& runtime) const override {
    json::array items;
    for (std::size_t i = 0; i < runtime.published.size(); ++i) {
      const auto described = trust::describe_certificate(runtime.published[i]);
      items.push_back(json::object{{"fingerprint", described.fingerprint}, {"subject", described.subject},
                                   {"not_after", iso_date(described.not_after)}, {"current", i == 0},
                                   {"certificate", runtime.published[i]}});
    }
    return items;
  }

  ManagementResult action(std::string_view key, std::string_view action, const json::value& body, ChangeEnv& env) const override {
    if (!key.empty() || action != "rotate") return error(404, "unknown action");
    const auto& object = as_object(body, "rotation");
    reject_unknown_keys(object, {"key", "certificate", "generate"}, "rotation");
    std::filesystem::path key_file;
    std::filesystem::path certificate_file;
    if (bool_field(object, "generate", false, "rotation")) {
      // A generated key would exist on this node alone: in a cluster every node needs the files.
      if (env.parts.shared_config) {
        throw ChangeError(409, "rotation: {\"generate\": true} makes a key on this node alone; in a cluster put the "
                               "key and certificate files on every node and name them ({\"key\": ..., "
                               "\"certificate\": ...})");
      }
      std::tie(key_file, certificate_file) = issue_demo_signing_key(env.parts.data_dir, env.parts.gateway_identity.kennung);
    } else {
      key_file = string_field(object, "key", true, "rotation");
      certificate_file = string_field(object, "certificate", true, "rotation");
      if (key_file.is_relative()) key_file = env.parts.data_dir / key_file;
      if (certificate_file.is_relative()) certificate_file = env.parts.data_dir / certificate_file;
    }
    const auto& before = *env.runtime->signing;
    if (key_file == before.key_file && certificate_file == before.certificate_file) {
      throw ChangeError(409, "this key is already in use");
    }
    env.candidate["signing"] = json::object{{"key", key_file.string()}, {"certificate", certificate_file.string()}};
    env.commit(std::move(env.candidate), "signing key rotated");
    const auto now_signing = env.current()->signing;
    return ManagementResult{200, json::object{{"fingerprint", now_signing->fingerprint},
                                              {"not_after", iso_date(now_signing->not_after)},
                                              {"certificate", now_signing->certificate_pem},
                                              {"previous_fingerprint", before.fingerprint}}};
  }
};

}  // namespace

std::unique_ptr<const ManagedSection> make_signing_keys_section() { return std::make_unique<SigningKeysSection>(); }

}  // namespace oncegate::runtime
