// Section "oots-evidence-types": OOTS evidence type classifications / requirement URIs -> national
// evidence types (PUT, DELETE), the admin side of [[oots.evidence_types]].

#include "gateway/runtime/section.hpp"

namespace oncegate::runtime {

namespace json = boost::json;

namespace {

constexpr std::string_view kSection = "oots-evidence-types";

const std::string& key_of(const config::OotsEvidenceTypeConfig& m) { return m.id; }

json::object mapping_to_json(const config::OotsEvidenceTypeConfig& m) {
  return json::object{{"classification", m.classification}, {"requirement", m.requirement}, {"subject", m.subject},
                      {"evidence_type", m.evidence_type}, {"title", m.title}};
}

// The same checks as the configuration file's; a problem is the operator's (400).
config::OotsEvidenceTypeConfig mapping_from_json(std::string_view id, const json::value& value) {
  const std::string what = "OOTS evidence type '" + std::string(id) + "'";
  const auto& object = as_object(value, what);
  reject_unknown_keys(object, {"classification", "requirement", "subject", "evidence_type", "title"}, what);
  config::OotsEvidenceTypeConfig m;
  m.id = std::string(id);
  m.classification = string_field(object, "classification", false, what);
  m.requirement = string_field(object, "requirement", false, what);
  m.subject = string_field(object, "subject", false, what, "natural");
  m.evidence_type = string_field(object, "evidence_type", true, what);
  m.title = string_field(object, "title", false, what, m.evidence_type);
  try {
    config::check_oots_evidence_type(m, what);
  } catch (const config::ConfigError& problem) {
    throw ChangeError(400, problem.what());
  }
  return m;
}

class OotsEvidenceTypesSection final : public ManagedSection {
 public:
  SectionInfo info() const override { return {std::string(kSection), true, {}, {}}; }

  void apply(const json::object& overlay, config::GatewayConfig& cfg, const RuntimeParts&) const override {
    lay_over(overlay, kSection, cfg.oots.evidence_types, key_of, mapping_from_json);
  }

  json::array list(const Runtime& runtime) const override {
    json::array items;
    for (const auto& m : runtime.config.oots.evidence_types) {
      auto item = mapping_to_json(m);
      item["id"] = m.id;
      item["source"] = source_of(runtime, kSection, m.id);
      items.push_back(std::move(item));
    }
    return items;
  }

  // Takes effect with the next request; a classification mapped twice for the same subject is
  // refused when the pipeline is built (400), and nothing changes.
  ManagementResult put(std::string_view key, const json::value& body, ChangeEnv& env) const override {
    const auto mapping = mapping_from_json(key, body);
    overlay_section(env.candidate, kSection)[key] = mapping_to_json(mapping);
    env.commit(std::move(env.candidate), "OOTS evidence type " + std::string(key) + " set");
    auto j = mapping_to_json(mapping);
    j["id"] = mapping.id;
    return ManagementResult{200, j};
  }

  ManagementResult remove(std::string_view key, const RemoveOptions&, ChangeEnv& env) const override {
    return remove_item(env, kSection, key, env.runtime->config.oots.evidence_types, env.base.oots.evidence_types,
                       key_of, "OOTS evidence type");
  }
};

}  // namespace

std::unique_ptr<const ManagedSection> make_oots_evidence_types_section() {
  return std::make_unique<OotsEvidenceTypesSection>();
}

}  // namespace oncegate::runtime
