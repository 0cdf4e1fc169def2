#include "tests/support/cockpit_signin.hpp"

namespace oncegate::testing {

std::string location_of(const client::HttpReply& reply) {
  for (const auto& [name, value] : reply.headers) {
    if (name == "Location") return value;
  }
  return {};
}

std::string target_of(const std::string& url) {
  if (!url.starts_with("https://")) return url;
  const auto slash = url.find('/', 8);
  return slash == std::string::npos ? "/" : url.substr(slash);
}

namespace {
std::vector<std::string> set_cookies_of(const client::HttpReply& reply) {
  std::vector<std::string> out;
  for (const auto& [name, value] : reply.headers) {
    if (name == "Set-Cookie") out.push_back(value);
  }
  return out;
}
}  // namespace

std::string cookie_of(const client::HttpReply& reply, const std::string& name) {
  for (const auto& cookie : set_cookies_of(reply)) {
    if (cookie.starts_with(name + "=") && !cookie.starts_with(name + "=;")) return cookie.substr(0, cookie.find(';'));
  }
  return {};
}

namespace {
std::string failure_of(const std::string& location) {
  const auto at = location.find("#signin_error=");
  return at == std::string::npos ? std::string() : location.substr(at + 14);
}
}  // namespace

CockpitSignin cockpit_sign_in(std::uint16_t cockpit_port, const client::ClientTls& tls, const std::string& idnr,
                              const std::string& acr, bool cancel) {
  CockpitSignin out;
  auto connection = std::make_unique<client::HttpsClient>("127.0.0.1", cockpit_port, tls);
  const auto login = connection->request("GET", "/cockpit/login");
  out.authorize_url = location_of(login);
  out.login_cookie = cookie_of(login, "og_login");
  if (login.status != 302 || out.authorize_url.find("/cockpit/demo-idp/authorize?") == std::string::npos) {
    out.failure = failure_of(out.authorize_url);
    if (out.failure.empty()) out.failure = "login answered " + std::to_string(login.status);
    return out;
  }
  const std::string query = out.authorize_url.substr(out.authorize_url.find('?') + 1);
  const std::string form = query + (cancel ? "&cancel=1" : "&login=1") + "&idnr=" + idnr + "&acr=" + acr;
  const auto authorized = connection->request("POST", "/cockpit/demo-idp/authorize", form, "application/x-www-form-urlencoded");
  out.callback_target = target_of(location_of(authorized));
  if (authorized.status != 302) {
    out.failure = "the provider answered " + std::to_string(authorized.status) + ": " + authorized.body;
    return out;
  }
  const auto callback = connection->request("GET", out.callback_target, "", "", {{"Cookie", out.login_cookie}});
  out.set_cookies = set_cookies_of(callback);
  out.session_cookie = cookie_of(callback, "og_session");
  if (out.session_cookie.empty()) out.failure = failure_of(location_of(callback));
  return out;
}

}  // namespace oncegate::testing
