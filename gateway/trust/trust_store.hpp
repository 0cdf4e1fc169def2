#pragma once
// Who the gateway trusts: the registered authorities, each with one or more certificates (for
// mutual TLS and for XML signatures), all chaining to the configured CA bundle.
//
// Built once at start (or reload) and immutable afterwards; lookups are safe from any thread.

#include <ctime>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace oncegate::trust {

class TrustError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct RegisteredCertificate {
  std::string fingerprint;  // SHA-256 of the DER form, lower-case hex
  std::string pem;
  std::string subject;      // one-line distinguished name, for operators
  std::time_t not_before = 0;
  std::time_t not_after = 0;
};

struct Authority {
  std::string kennung;  // directory-service key, e.g. psw:01003110
  std::string name;     // e.g. "Bürgeramt Hannover"
  std::vector<RegisteredCertificate> certificates;
};

struct AuthorityInput {
  std::string kennung;
  std::string name;
  std::vector<std::string> certificate_pems;
};

// An EU evidence requester (an OOTS EvidenceRequester agent) and the registered parties (access
// points, intermediary platforms) that may speak for it.
struct EuRequester {
  std::string agent;    // "<EAS scheme>:<identifier>", e.g. urn:cef.eu:names:identifier:EAS:0096:DK22233223
  std::string name;     // e.g. "Denmark University Portal"
  std::string country;  // ISO 3166-1 alpha-2
  std::vector<std::string> parties;  // kennungen of registered authorities

  // "Denmark University Portal (DK)": how the Datencockpit names it.
  [[nodiscard]] std::string display_name() const { return country.empty() ? name : name + " (" + country + ")"; }
};

// Fingerprint, subject and validity of the first certificate in `pem` (which is kept as given).
// Throws TrustError when there is none.
[[nodiscard]] RegisteredCertificate describe_certificate(std::string_view pem);

class TrustStore {
 public:
  // Throws TrustError: unreadable certificate, certificate that does not chain to `ca_bundle_pem`
  // (validity times are checked per use, not here, so an expired certificate can stay
  // registered and is refused with a clear reason), a certificate registered twice, an authority
  // registered twice.
  [[nodiscard]] static std::shared_ptr<const TrustStore> build(const std::string& ca_bundle_pem,
                                                               const std::vector<AuthorityInput>& authorities,
                                                               const std::vector<EuRequester>& eu_requesters = {});

  [[nodiscard]] const Authority* by_certificate(std::string_view fingerprint) const noexcept;
  [[nodiscard]] const Authority* by_kennung(std::string_view kennung) const noexcept;
  [[nodiscard]] const std::vector<Authority>& authorities() const noexcept { return authorities_; }
  [[nodiscard]] const EuRequester* by_agent(std::string_view agent) const noexcept;
  // The registered party `kennung` may speak for the EU requester `agent`.
  [[nodiscard]] bool speaks_for(std::string_view kennung, std::string_view agent) const noexcept;

 private:
  std::vector<Authority> authorities_;
  std::unordered_map<std::string, std::size_t> by_fingerprint_;
  std::unordered_map<std::string, std::size_t> by_kennung_;
  std::vector<EuRequester> eu_requesters_;
  std::unordered_map<std::string, std::size_t> by_agent_;
};

}  // namespace oncegate::trust
