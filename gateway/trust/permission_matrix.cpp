#include "gateway/trust/permission_matrix.hpp"

#include <algorithm>
#include <set>

namespace oncegate::trust {

std::shared_ptr<const PermissionMatrix> PermissionMatrix::build(std::vector<PermissionRule> rules,
                                                                const std::vector<AuthorityGroup>& groups) {
  std::map<std::string, std::vector<std::string>, std::less<>> members;
  for (const auto& group : groups) {
    if (!members.emplace(group.name, group.members).second) throw PermissionError("group " + group.name + " defined twice");
  }
  auto matrix = std::make_shared<PermissionMatrix>();
  std::set<std::string> ids;
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const auto& rule = rules[i];
    if (rule.id.empty()) throw PermissionError("a permission rule without id");
    if (!ids.insert(rule.id).second) throw PermissionError("permission rule " + rule.id + " defined twice");
    if (rule.authorities.empty() || rule.evidence_types.empty() || rule.purposes.empty() || rule.legal_bases.empty()) {
      throw PermissionError("permission rule " + rule.id +
                            " must name authorities, evidence_types, purposes and legal_bases");
    }
    std::set<std::string> authorities;
    for (const auto& entry : rule.authorities) {
      if (entry.starts_with("group:")) {
        auto group = members.find(std::string_view(entry).substr(6));
        if (group == members.end()) throw PermissionError("permission rule " + rule.id + " names unknown " + entry);
        authorities.insert(group->second.begin(), group->second.end());
      } else {
        authorities.insert(entry);
      }
    }
    for (const auto& authority : authorities) {
      for (const auto& type : rule.evidence_types) matrix->index_[{authority, type}].push_back(i);
    }
  }
  matrix->rules_ = std::move(rules);
  return matrix;
}

PermissionDecision PermissionMatrix::decide(std::string_view authority, std::string_view evidence_type,
                                            std::string_view purpose, std::string_view legal_basis,
                                            bool consent) const noexcept {
  PermissionDecision decision;
  const auto it = index_.find(std::pair<std::string_view, std::string_view>(authority, evidence_type));
  if (it == index_.end()) return decision;
  for (std::size_t i : it->second) {
    const auto& rule = rules_[i];
    const auto has = [](const std::vector<std::string>& list, std::string_view value) {
      return std::find(list.begin(), list.end(), value) != list.end();
    };
    if (!has(rule.purposes, purpose) || !has(rule.legal_bases, legal_basis)) continue;
    if (rule.consent_required && !consent) {
      decision = {PermissionDecision::Verdict::consent_missing, &rule};
      continue;  // another rule may allow it without consent
    }
    return {PermissionDecision::Verdict::allowed, &rule};
  }
  return decision;
}

}  // namespace oncegate::trust
