#pragma once
// Signing in at a test gateway's Datencockpit the way a browser does: /cockpit/login, the demo
// OpenID provider's form (a typed IDNr and an assurance level), the callback with the login
// cookie. Every step over real TLS; what a step answered is kept for tests that look closer.

#include <cstdint>
#include <string>
#include <vector>

#include "gateway/client/https_client.hpp"

namespace oncegate::testing {

struct CockpitSignin {
  std::string session_cookie;   // "og_session=<id>" when signed in, else empty
  std::string failure;          // the page's code from "#signin_error=<code>", when it failed
  std::string login_cookie;     // "og_login=<state>" from /cockpit/login
  std::string authorize_url;    // where /cockpit/login sent the browser
  std::string callback_target;  // "/cockpit/callback?code=...&state=..." from the provider
  std::vector<std::string> set_cookies;  // of the callback's answer
};

// `acr`: the level the demo provider vouches for ("hoch" or "substantiell"). `cancel`: press
// "Abbrechen" at the provider instead. `tls`: how to reach the cockpit listener (its CA).
[[nodiscard]] CockpitSignin cockpit_sign_in(std::uint16_t cockpit_port, const client::ClientTls& tls,
                                            const std::string& idnr, const std::string& acr = "hoch", bool cancel = false);
// The same at a test gateway (anything with cockpit_port() and tls(kennung)).
template <typename Gateway>
[[nodiscard]] CockpitSignin cockpit_sign_in(const Gateway& gateway, const std::string& idnr, const std::string& acr = "hoch",
                                            bool cancel = false) {
  return cockpit_sign_in(gateway.cockpit_port(), gateway.tls(""), idnr, acr, cancel);
}

// The value of the Location header (empty when none), and of a Set-Cookie's name=value.
[[nodiscard]] std::string location_of(const client::HttpReply& reply);
// "name=value" of the cookie the reply sets (empty when it sets none, or clears it).
[[nodiscard]] std::string cookie_of(const client::HttpReply& reply, const std::string& name);

// The path and query of an absolute https URL on the gateway ("https://127.0.0.1:N/x?y" -> "/x?y").
[[nodiscard]] std::string target_of(const std::string& url);

}  // namespace oncegate::testing
