#pragma once
// The Vermittlungsstelle's abstract check (IDNrG § 7): may this authority ask for this evidence,
// for this purpose, under this legal basis? Denied unless a rule allows it.
//
// Immutable after build(); decide() is safe from any thread and does not allocate.

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace oncegate::trust {

struct PermissionRule {
  std::string id;                           // named in refusals and later in the transfer log
  std::vector<std::string> authorities;     // kennung, or "group:<name>"
  std::vector<std::string> evidence_types;
  std::vector<std::string> purposes;
  std::vector<std::string> legal_bases;     // exact text as sent in rechtsgrundlage
  bool consent_required = false;            // einwilligung must be true (OOTS: ExplicitRequestGiven)
  bool preview_required = false;            // OOTS: only after a preview, which this gateway does not offer
  // Withheld from the citizen's view: -1 for ever, else for this many days (0: shown at once).
  std::int64_t withheld_days = 0;
  std::string withholding_basis;
};

struct AuthorityGroup {
  std::string name;
  std::vector<std::string> members;
};

class PermissionError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct PermissionDecision {
  enum class Verdict { allowed, no_rule, consent_missing };
  Verdict verdict = Verdict::no_rule;
  const PermissionRule* rule = nullptr;  // the allowing rule, or the one missing consent
};

class PermissionMatrix {
 public:
  // Throws PermissionError: unknown group, rule without id or with an empty list, duplicate ids.
  [[nodiscard]] static std::shared_ptr<const PermissionMatrix> build(std::vector<PermissionRule> rules,
                                                                     const std::vector<AuthorityGroup>& groups);

  [[nodiscard]] PermissionDecision decide(std::string_view authority, std::string_view evidence_type,
                                          std::string_view purpose, std::string_view legal_basis,
                                          bool consent) const noexcept;

  [[nodiscard]] const std::vector<PermissionRule>& rules() const noexcept { return rules_; }

 private:
  std::vector<PermissionRule> rules_;
  // Orders (authority, evidence type) keys of any string type, so lookups need no allocation.
  struct KeyLess {
    using is_transparent = void;
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const noexcept {
      const int first = std::string_view(a.first).compare(std::string_view(b.first));
      return first < 0 || (first == 0 && std::string_view(a.second) < std::string_view(b.second));
    }
  };
  // (authority, evidence type) -> indexes of the rules that name both.
  std::map<std::pair<std::string, std::string>, std::vector<std::size_t>, KeyLess> index_;
};

}  // namespace oncegate::trust
