#pragma once
// The demo PKI of the embedded default and the tests: a demo CA, the TLS server certificate, the
// gateway's signing key, a certificate per demo authority, under <data_dir>/demo/. Never for
// production.
//
// Thread safety: free functions without shared state.

#include <filesystem>
#include <string>
#include <vector>

#include "gateway/crypto/certificates.hpp"

namespace oncegate::demo {

struct DemoPkiFiles {
  std::filesystem::path ca_certificate;       // demo/ca.pem
  std::filesystem::path server_certificate;   // demo/server.pem (server + CA chain)
  std::filesystem::path server_key;           // demo/server.key (mode 0600)
  std::filesystem::path signing_certificate;  // demo/gateway-signing.pem
  std::filesystem::path signing_key;          // demo/gateway-signing.key (mode 0600)
  // What a cluster's nodes present to each other's peer listeners (a client certificate of its
  // own, so that no authority's certificate is one).
  std::filesystem::path node_certificate;     // demo/cluster-node.pem
  std::filesystem::path node_key;             // demo/cluster-node.key (mode 0600)
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

}  // namespace oncegate::demo
