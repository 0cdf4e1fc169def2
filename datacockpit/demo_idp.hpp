#pragma once
// The demo identity provider of the embedded default: a clearly marked stand-in for BundID / the
// eID card that lets you pick a sample person and issues an ES256 ID token (assurance "hoch") for
// them. Off unless the configuration turns it on (the embedded default does; production does not).
//
// Thread safety: immutable after construction; issue() may run concurrently.

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

namespace oncegate::datacockpit {

struct DemoIdpFiles {
  std::filesystem::path private_key;  // demo/idp.key (PEM, 0600)
  std::filesystem::path jwks;         // demo/idp-jwks.json (public key set the cockpit trusts)
};

// Creates the demo IdP's key pair and JWKS in `demo_directory` unless they exist.
DemoIdpFiles ensure_demo_idp(const std::filesystem::path& demo_directory);

inline constexpr const char* kDemoIdpKeyId = "oncegate-demo-idp-1";

class DemoIdp {
 public:
  DemoIdp(const std::string& private_key_pem, std::string issuer, std::string audience);
  ~DemoIdp();
  DemoIdp(const DemoIdp&) = delete;
  DemoIdp& operator=(const DemoIdp&) = delete;

  // An ID token for the person: iss, aud, sub, idnr, acr, iat, nbf, exp.
  [[nodiscard]] std::string issue(const std::string& idnr, const std::string& subject, const std::string& acr,
                                  std::chrono::seconds lifetime, std::chrono::system_clock::time_point now) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace oncegate::datacockpit
