#pragma once
// A small certificate authority for the embedded default and for tests: ECDSA P-256 keys,
// X.509 v3 certificates with the right extensions for TLS servers, TLS clients and CAs.
//
// Not for production: production deployments bring certificates from their own PKI (in Germany
// typically the DOI/Verwaltungs-PKI) and configure their paths.
//
// Thread safety: free functions without shared state.

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace oncegate::trust {

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

struct DemoPkiFiles {
  std::filesystem::path ca_certificate;       // demo/ca.pem
  std::filesystem::path server_certificate;   // demo/server.pem (server + CA chain)
  std::filesystem::path server_key;           // demo/server.key (mode 0600)
  std::filesystem::path signing_certificate;  // demo/gateway-signing.pem
  std::filesystem::path signing_key;          // demo/gateway-signing.key (mode 0600)
};

// The demo authorities the embedded default registers (and the demo client speaks for).
struct DemoAuthority {
  std::string kennung;
  std::string name;
};
[[nodiscard]] const std::vector<DemoAuthority>& demo_authorities();

// demo/authorities/<kennung with ':' as '-'>.pem / .key
[[nodiscard]] std::filesystem::path authority_certificate_file(const std::filesystem::path& demo_directory,
                                                               const std::string& kennung);
[[nodiscard]] std::filesystem::path authority_key_file(const std::filesystem::path& demo_directory,
                                                       const std::string& kennung);

// Creates what is missing in `directory`: the demo CA, a TLS server certificate for localhost /
// 127.0.0.1 / ::1, the gateway's answer-signing key and certificate, and a TLS client + signing
// certificate for each demo authority. Returns the paths.
DemoPkiFiles ensure_demo_pki(const std::filesystem::path& directory);

}  // namespace oncegate::trust
