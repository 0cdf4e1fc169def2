#pragma once
// The demo identity provider of the embedded default: a clearly marked stand-in for BundID / the
// eID card, as a small OpenID provider with the same authorization code flow (PKCE S256 required)
// the cockpit uses with a real one: discovery, JWKS, an authorization page where you pick a sample
// person (or type a sample IDNr) and the assurance level, the token endpoint, and an end-session
// endpoint. One public client (the cockpit on this listener). Off unless the configuration turns it
// on (the embedded default does; production does not).
//
// Thread safety: all methods may run concurrently once constructed.

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/net/http.hpp"
#include "gateway/store/shared_state.hpp"

namespace oncegate::datacockpit {

struct DemoPerson {
  std::string idnr;
  std::string display_name;  // shown on the demo provider's page
};

struct DemoIdpFiles {
  std::filesystem::path private_key;  // demo/idp.key (PEM, 0600)
  std::filesystem::path jwks;         // demo/idp-jwks.json (the public key set it publishes)
};

// Creates the demo provider's key pair and JWKS in `demo_directory` unless they exist.
DemoIdpFiles ensure_demo_idp(const std::filesystem::path& demo_directory);

inline constexpr const char* kDemoIdpKeyId = "oncegate-demo-idp-1";

// Signs ID tokens (ES256) as the demo provider; also used by tests that play a provider.
class DemoIdp {
 public:
  DemoIdp(const std::string& private_key_pem, std::string issuer, std::string audience);
  ~DemoIdp();
  DemoIdp(const DemoIdp&) = delete;
  DemoIdp& operator=(const DemoIdp&) = delete;

  // An ID token for the person: iss, aud, sub, idnr, acr, iat, nbf, exp, and nonce when given.
  [[nodiscard]] std::string issue(const std::string& idnr, const std::string& subject, const std::string& acr,
                                  std::chrono::seconds lifetime, std::chrono::system_clock::time_point now,
                                  std::string_view nonce = {}) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class DemoOpenIdProvider : public std::enable_shared_from_this<DemoOpenIdProvider> {
 public:
  // `client_id`: the cockpit's; its redirect URI is <origin>/cockpit/callback. `code_state`: where
  // issued codes live until used; null keeps them in this process's memory, a cluster passes its
  // shared store (a code issued by one node is redeemed at whichever the token request reaches).
  DemoOpenIdProvider(std::string private_key_pem, std::string jwks_json, std::string client_id,
                     std::vector<DemoPerson> people, std::shared_ptr<store::SharedState> code_state = nullptr);
  ~DemoOpenIdProvider();

  // The listener's origin ("https://127.0.0.1:<port>"): the issuer is <origin>/cockpit/demo-idp.
  void listening(const std::string& local_origin);
  // Routes under /cockpit/demo-idp/.
  void register_routes(net::Router& router) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace oncegate::datacockpit
