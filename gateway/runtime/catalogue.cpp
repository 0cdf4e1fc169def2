#include "gateway/runtime/catalogue.hpp"

#include <algorithm>
#include <set>

#include <boost/json.hpp>

namespace oncegate::runtime {

namespace json = boost::json;

namespace {

// A code with the catalogue's words for it, where the operator gave any.
json::object described(std::string_view code, const std::vector<config::CatalogueEntry>& words) {
  json::object out{{"code", code}};
  const auto it = std::find_if(words.begin(), words.end(), [&](const auto& entry) { return entry.code == code; });
  if (it != words.end()) {
    if (!it->de.empty()) out["de"] = it->de;
    if (!it->en.empty()) out["en"] = it->en;
  }
  return out;
}

bool names(const config::PermissionConfig& rule, std::string_view kennung,
           const std::vector<config::AuthorityGroupConfig>& groups) {
  for (const auto& who : rule.authorities) {
    if (who == kennung) return true;
    if (!who.starts_with("group:")) continue;
    const std::string_view group = std::string_view(who).substr(6);
    for (const auto& g : groups) {
      if (g.name == group && std::find(g.members.begin(), g.members.end(), kennung) != g.members.end()) return true;
    }
  }
  return false;
}

json::array strings(const std::vector<std::string>& values) {
  json::array out;
  for (const auto& v : values) out.push_back(json::string(v));
  return out;
}

}  // namespace

json::object requester_catalogue(const Runtime& runtime, std::string_view kennung) {
  const auto& cfg = runtime.config;
  const auto& words = cfg.catalogue;

  // Evidence types some register holds, and whether the request must (or may) name a region.
  std::map<std::string, bool> regional;
  for (const auto& route : cfg.routes) regional[route.evidence_type] |= !route.region.empty();
  json::array evidence_types;
  for (const auto& [type, by_region] : regional) {
    auto entry = described(type, words.evidence_types);
    entry["regional"] = by_region;
    evidence_types.push_back(std::move(entry));
  }

  json::array permitted;
  std::set<std::string> purposes;
  std::set<std::string> legal_bases;
  for (const auto& rule : cfg.permissions) {
    if (!names(rule, kennung, cfg.authority_groups)) continue;
    permitted.push_back(json::object{{"rule", rule.id},
                                     {"evidence_types", strings(rule.evidence_types)},
                                     {"purposes", strings(rule.purposes)},
                                     {"legal_bases", strings(rule.legal_bases)},
                                     {"consent_required", rule.consent_required}});
    purposes.insert(rule.purposes.begin(), rule.purposes.end());
    legal_bases.insert(rule.legal_bases.begin(), rule.legal_bases.end());
  }
  json::array purpose_list;
  for (const auto& p : purposes) purpose_list.push_back(described(p, words.purposes));
  json::array basis_list;
  for (const auto& b : legal_bases) basis_list.push_back(described(b, words.legal_bases));

  json::object endpoints{{"national", "/v1/nachweis"}};
  if (runtime.oots_pipeline) endpoints["oots"] = "/v1/oots/query";
  if (runtime.dsc_pipeline) endpoints["dsc"] = "/v1/dsc/protokolldaten";

  return json::object{
      {"format", "oncegate-catalogue/1"},
      // What nachrichtenkopf/leser must say: the gateway itself.
      {"leser", json::object{{"verzeichnisdienst", cfg.verzeichnisdienst}, {"kennung", cfg.kennung}, {"name", cfg.name}}},
      {"requester", kennung},
      {"freshness_window_s",
       static_cast<std::int64_t>(std::chrono::duration_cast<std::chrono::seconds>(cfg.trust.freshness_window).count())},
      {"endpoints", std::move(endpoints)},
      {"evidence_types", std::move(evidence_types)},
      {"purposes", std::move(purpose_list)},
      {"legal_bases", std::move(basis_list)},
      {"permitted", std::move(permitted)},
  };
}

}  // namespace oncegate::runtime
