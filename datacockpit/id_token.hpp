#pragma once
// Verification of the citizen's ID token (OpenID Connect Core 3.1.3.7) from the identity provider
// (BundID, an eID service, or the demo provider): a JWS signed with ES256 or RS256 by a key of the
// provider's JWKS (chosen by "kid"), issuer, audience (and "azp" when there are several), expiry,
// not-before and issued-at with a clock skew, the nonce of this login, the assurance level
// ("acr", one of the accepted values), and the IDNr: from a claim, or from a configured mapping
// of subjects where the provider gives only a subject.
//
// Thread safety: immutable after construction; verify() may run concurrently.

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace oncegate::datacockpit {

struct IdTokenPolicy {
  std::string issuer;                              // required "iss"
  std::string client_id;                           // required in "aud"; "azp" when "aud" has several
  std::vector<std::string> accepted_acr{"hoch"};   // "acr" must be one of these (assurance level)
  std::string idnr_claim = "idnr";                 // the claim with the IDNr; empty: subject_to_idnr
  std::map<std::string, std::string> subject_to_idnr;  // "sub" -> IDNr, when the IdP gives only a subject
  std::chrono::seconds clock_skew{60};
};

struct VerifiedCitizen {
  std::string idnr;
  std::string subject;
  std::int64_t expires_at = 0;  // Unix seconds
};

struct TokenVerdict {
  std::optional<VerifiedCitizen> citizen;  // set when valid
  std::string reason;                      // why not (English, for the operation log and tests)
  bool unknown_key = false;                // signed with a "kid" the key set does not have: refetch it
  bool assurance_too_low = false;          // the citizen identified with a lower level than accepted
};

class IdTokenVerifier {
 public:
  // `jwks_json`: {"keys":[...]} with EC P-256 keys (kty "EC") and RSA keys (kty "RSA", at least
  // 2048 bits); keys for other algorithms, for encryption ("use":"enc") or without "kid" are
  // skipped. Throws std::runtime_error for a key set without one usable key.
  IdTokenVerifier(IdTokenPolicy policy, std::string_view jwks_json);
  ~IdTokenVerifier();
  IdTokenVerifier(const IdTokenVerifier&) = delete;
  IdTokenVerifier& operator=(const IdTokenVerifier&) = delete;

  // `expected_nonce`: the nonce sent with this login; the token's "nonce" must equal it.
  [[nodiscard]] TokenVerdict verify(std::string_view token, std::chrono::system_clock::time_point now,
                                    std::string_view expected_nonce) const;
  [[nodiscard]] const IdTokenPolicy& policy() const noexcept;
  [[nodiscard]] std::size_t key_count() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The subject-to-IDNr mapping file: a JSON object {"<sub>": "<IDNr>", ...}, every IDNr valid.
// Throws std::runtime_error naming the first problem.
[[nodiscard]] std::map<std::string, std::string> parse_idnr_mapping(std::string_view json_text);

}  // namespace oncegate::datacockpit
