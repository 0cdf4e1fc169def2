#pragma once
// Issuing certificates: ECDSA P-256 keys, X.509 v3 certificates with the right extensions for
// TLS servers, TLS clients, CAs and signing keys. For the demo PKI (gateway/demo/pki.hpp), demo key
// rotation and tests; production deployments bring certificates from their own PKI (in Germany
// typically the DOI/Verwaltungs-PKI) and configure their paths.
//
// Thread safety: free functions without shared state.

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace oncegate::crypto {

class PkiError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct KeyAndCertificate {
  std::string private_key_pem;  // PKCS#8
  std::string certificate_pem;
};

enum class CertificateRole { ca, tls_server, tls_client, signing };

struct CertificateRequest {
  std::string common_name;
  std::string organization = "oncegate demo";
  CertificateRole role = CertificateRole::tls_server;
  std::vector<std::string> dns_names;     // subjectAltName DNS entries
  std::vector<std::string> ip_addresses;  // subjectAltName IP entries
  // Validity relative to now; a negative not_before_offset backdates (tests of expired certs).
  std::chrono::seconds not_before_offset{-60};
  std::chrono::seconds lifetime{std::chrono::hours(24 * 365)};
};

// A self-signed CA when `issuer` is null, else a certificate signed by `issuer`.
[[nodiscard]] KeyAndCertificate issue_certificate(const CertificateRequest& request,
                                                  const KeyAndCertificate* issuer);

}  // namespace oncegate::crypto
