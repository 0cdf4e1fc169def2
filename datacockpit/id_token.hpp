#pragma once
// Verification of the citizen's ID token (JWT, ES256) from the identity provider (stand-in for
// BundID / the eID card): signature with a key from the configured JWKS, issuer, audience,
// expiry and not-before with a small clock skew, assurance level "hoch", and the IDNr claim.
//
// Thread safety: immutable after construction; verify() may run concurrently.

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace oncegate::datacockpit {

struct IdTokenPolicy {
  std::string issuer;                 // required "iss"
  std::string audience;               // required in "aud"
  std::string required_acr = "hoch";  // "acr" must equal this (assurance level)
  std::string idnr_claim = "idnr";    // claim that carries the IDNr
  std::chrono::seconds clock_skew{60};
};

struct VerifiedCitizen {
  std::string idnr;
  std::string subject;
  std::int64_t expires_at = 0;  // Unix seconds
};

struct TokenVerdict {
  std::optional<VerifiedCitizen> citizen;  // set when valid
  std::string reason;                      // why not, for the 401 answer
};

class IdTokenVerifier {
 public:
  // `jwks_json`: {"keys":[{"kty":"EC","crv":"P-256","kid":..,"x":..,"y":..}]}. Throws
  // std::runtime_error for an unusable key set.
  IdTokenVerifier(IdTokenPolicy policy, std::string_view jwks_json);
  ~IdTokenVerifier();
  IdTokenVerifier(const IdTokenVerifier&) = delete;
  IdTokenVerifier& operator=(const IdTokenVerifier&) = delete;

  [[nodiscard]] TokenVerdict verify(std::string_view token, std::chrono::system_clock::time_point now) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};


}  // namespace oncegate::datacockpit
