#pragma once
// The Datencockpit as an OpenID Connect relying party (OpenID Connect Core 1.0, authorization code
// flow, RFC 7636 PKCE with S256): the provider's discovery document and JWKS over verified TLS,
// the pending sign-ins (state, nonce, PKCE verifier; in memory, or a cluster's shared store), the token request and the ID token's
// verification (datacockpit/id_token.hpp). RP-initiated logout where the provider offers it.
//
// The calls that go to the provider block (a few seconds at most, each bounded by a timeout): the
// cockpit runs begin() and finish() on a worker thread of its own, never on an I/O thread.
//
// Thread safety: all methods may run concurrently.

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "datacockpit/id_token.hpp"
#include "gateway/store/shared_state.hpp"

namespace oncegate::datacockpit {

struct OidcSettings {
  std::string issuer;         // the provider; discovery at <issuer>/.well-known/openid-configuration
  std::string client_id;
  std::string client_secret;  // client_secret_basic; empty: a public client (PKCE alone, "none")
  std::string redirect_uri;   // https://<cockpit>/cockpit/callback, registered with the provider
  std::string post_logout_redirect_uri;  // where the provider sends the citizen after logout
  std::vector<std::string> scopes{"openid"};
  IdTokenPolicy policy;       // issuer and client_id are set from the fields above
  std::string ca_file;        // the CA bundle the provider's TLS certificates must chain to
  std::chrono::milliseconds http_timeout{5000};
  std::chrono::milliseconds jwks_min_refresh{60'000};  // an unknown kid refetches at most this often
  std::chrono::milliseconds discovery_max_age{3'600'000};
  std::size_t max_pending = 1000;                     // sign-ins begun and not finished
  std::chrono::seconds pending_lifetime{600};         // a sign-in must finish within this
};

// Why a sign-in failed, as the page names it (a stable code; the page has the words).
enum class SigninFailure {
  cancelled,     // the provider answered with an error (the citizen cancelled, or it refused)
  expired,       // no such sign-in (too old, already used, or never begun here)
  mismatch,      // the sign-in was begun in another browser (state and its cookie differ)
  unavailable,   // the provider could not be reached or answered nonsense
  rejected,      // the ID token did not verify
  assurance,     // the citizen identified with a lower assurance level than required
  busy,          // too many sign-ins at once
  store,         // the store of sign-ins and sessions (Redis, in a cluster) cannot be reached
};
[[nodiscard]] std::string_view signin_failure_code(SigninFailure failure) noexcept;

struct SigninStart {
  std::string state;              // also set as the browser's binding cookie
  std::string authorization_url;  // where the browser goes
};

struct SigninResult {
  std::optional<VerifiedCitizen> citizen;
  std::string id_token;           // kept for the logout's id_token_hint
  SigninFailure failure = SigninFailure::rejected;
  std::string reason;             // English detail for the operation log (no personal data)
};

class OidcRelyingParty {
 public:
  // `pending_state`: where pending sign-ins live; null keeps them in this process's memory (at
  // most max_pending). A cluster passes its shared store, so that the provider may send the
  // browser back to any node.
  explicit OidcRelyingParty(OidcSettings settings, std::shared_ptr<store::SharedState> pending_state = nullptr);
  ~OidcRelyingParty();
  OidcRelyingParty(const OidcRelyingParty&) = delete;
  OidcRelyingParty& operator=(const OidcRelyingParty&) = delete;

  // Fills in what depends on the cockpit listener's port (the demo provider's issuer, a derived
  // redirect URI): "https://127.0.0.1:<port>" as `local_origin`. Fields already set stay.
  void listening(const std::string& local_origin, bool demo_issuer);

  // Blocking. A new sign-in (discovery fetched when not cached), or the failure.
  [[nodiscard]] std::optional<SigninStart> begin(SigninFailure* failure, std::string* reason);
  // Blocking. The sign-in `state` finished with `code`: the token request and the ID token's
  // checks. The pending sign-in is used up whatever the outcome.
  [[nodiscard]] SigninResult finish(std::string_view state, std::string_view code);
  // Forgets a pending sign-in (the provider answered with an error).
  void abandon(std::string_view state);
  // The provider's end-session URL for this ID token (RP-initiated logout 1.0), or empty when the
  // provider has none. Does not block (uses the cached discovery document).
  [[nodiscard]] std::string end_session_url(std::string_view id_token) const;

  [[nodiscard]] std::string issuer() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace oncegate::datacockpit
