#include "datacockpit/oidc.hpp"

#include <future>
#include <mutex>

#include <boost/json.hpp>

#include "gateway/client/https_client.hpp"
#include "gateway/common/bytes.hpp"
#include "gateway/common/url.hpp"
#include "gateway/crypto/crypto.hpp"

namespace oncegate::datacockpit {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

std::string_view signin_failure_code(SigninFailure failure) noexcept {
  switch (failure) {
    case SigninFailure::cancelled: return "cancelled";
    case SigninFailure::expired: return "expired";
    case SigninFailure::mismatch: return "mismatch";
    case SigninFailure::unavailable: return "unavailable";
    case SigninFailure::rejected: return "rejected";
    case SigninFailure::assurance: return "assurance";
    case SigninFailure::busy: return "busy";
    case SigninFailure::store: return "store";
  }
  return "rejected";
}

namespace {

struct ProviderError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Discovery {
  std::string authorization_endpoint;
  std::string token_endpoint;
  std::string jwks_uri;
  std::string end_session_endpoint;  // empty: no RP-initiated logout
  Clock::time_point fetched;
};

// A pending sign-in as stored under its state: "<nonce>\n<PKCE verifier>" (both base64url).
struct Pending {
  std::string nonce;
  std::string verifier;
};

std::string pending_key(std::string_view state) { return "signin:" + std::string(state); }

// The shared state's calls, waited for: begin() and finish() run on the cockpit's sign-in worker,
// never on an I/O thread. The store answers within its command timeout; the wait is bounded
// besides (an answer that never comes, as when the I/O threads stop, is no answer), and the promise
// is shared so that a late answer finds it still there.
constexpr auto kStoreWait = std::chrono::seconds(2);

store::SharedState::Put put_waiting(store::SharedState& state, const std::string& key, std::string value,
                                    std::chrono::milliseconds lifetime) {
  auto promise = std::make_shared<std::promise<store::SharedState::Put>>();
  auto future = promise->get_future();
  state.put(key, std::move(value), lifetime, [promise](store::SharedState::Put outcome) { promise->set_value(outcome); });
  if (future.wait_for(kStoreWait) != std::future_status::ready) return store::SharedState::Put::unavailable;
  return future.get();
}
std::pair<std::optional<std::string>, bool> take_waiting(store::SharedState& state, const std::string& key) {
  auto promise = std::make_shared<std::promise<std::pair<std::optional<std::string>, bool>>>();
  auto future = promise->get_future();
  state.take(key, [promise](std::optional<std::string> value, bool reachable) { promise->set_value({std::move(value), reachable}); });
  if (future.wait_for(kStoreWait) != std::future_status::ready) return {std::nullopt, false};
  return future.get();
}

// One HTTPS exchange with the provider, verified against the configured CA bundle.
client::HttpReply call(const OidcSettings& settings, const std::string& url, const std::string& method,
                       const std::string& body, std::vector<std::pair<std::string, std::string>> headers) {
  const auto parsed = common::parse_https_url(url);
  if (!parsed) throw ProviderError("'" + url.substr(0, 200) + "' is not an https:// URL");
  try {
    client::HttpsClient connection(parsed->host, parsed->port, client::ClientTls{settings.ca_file, "", ""},
                                   settings.http_timeout);
    headers.emplace_back("Host", parsed->port == 443 ? parsed->host : parsed->host + ":" + std::to_string(parsed->port));
    headers.emplace_back("Accept", "application/json");
    auto reply = connection.request(method, parsed->target, body, "application/x-www-form-urlencoded", headers);
    if (reply.body.size() > 1024 * 1024) throw ProviderError(parsed->origin() + " answered with more than 1 MiB");
    return reply;
  } catch (const client::ClientError& failure) {
    throw ProviderError(parsed->origin() + ": " + failure.what());
  }
}

json::object json_object_of(const client::HttpReply& reply, const std::string& what) {
  boost::system::error_code ec;
  auto value = json::parse(reply.body, ec);
  if (ec || !value.is_object()) throw ProviderError(what + " is not a JSON object (HTTP " + std::to_string(reply.status) + ")");
  return std::move(value.as_object());
}

std::string string_member(const json::object& o, std::string_view name) {
  const auto* v = o.if_contains(name);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::string https_member(const json::object& o, std::string_view name, bool required) {
  std::string value = string_member(o, name);
  if (value.empty() && !required) return value;
  if (!common::parse_https_url(value)) throw ProviderError("discovery: " + std::string(name) + " is not an https:// URL");
  return value;
}

std::string with_query(const std::string& url, const std::vector<std::pair<std::string, std::string>>& parameters) {
  std::string out = url;
  char separator = url.find('?') == std::string::npos ? '?' : '&';
  for (const auto& [name, value] : parameters) {
    out += separator;
    out += name + "=" + common::percent_encode(value);
    separator = '&';
  }
  return out;
}

}  // namespace

struct OidcRelyingParty::Impl {
  OidcSettings settings;
  mutable std::mutex mutex;  // guards everything below and the settings' derived fields
  std::optional<Discovery> discovery;
  std::shared_ptr<const IdTokenVerifier> verifier;
  Clock::time_point jwks_fetched{};
  std::shared_ptr<store::SharedState> pending;  // set once at construction

  OidcSettings settings_copy() const {
    std::lock_guard lock(mutex);
    return settings;
  }

  Discovery current_discovery() {
    const auto s = settings_copy();
    {
      std::lock_guard lock(mutex);
      if (discovery && Clock::now() - discovery->fetched < s.discovery_max_age) return *discovery;
    }
    if (s.issuer.empty()) throw ProviderError("the cockpit is not listening yet");
    const auto reply = call(s, s.issuer + "/.well-known/openid-configuration", "GET", {}, {});
    if (reply.status != 200) throw ProviderError("discovery: HTTP " + std::to_string(reply.status));
    const auto document = json_object_of(reply, "the discovery document");
    // OpenID Connect Discovery 1.0 section 4.3: the issuer must be exactly the one configured.
    if (string_member(document, "issuer") != s.issuer) throw ProviderError("discovery: the document names another issuer");
    Discovery d{https_member(document, "authorization_endpoint", true), https_member(document, "token_endpoint", true),
                https_member(document, "jwks_uri", true), https_member(document, "end_session_endpoint", false),
                Clock::now()};
    if (const auto* methods = document.if_contains("code_challenge_methods_supported"); methods && methods->is_array()) {
      bool s256 = false;
      for (const auto& m : methods->as_array()) s256 = s256 || (m.is_string() && m.as_string() == "S256");
      if (!s256) throw ProviderError("discovery: the provider does not offer PKCE with S256");
    }
    std::lock_guard lock(mutex);
    discovery = d;
    return d;
  }

  // The key set, fetched when missing or (at most every jwks_min_refresh) when `refresh`.
  std::shared_ptr<const IdTokenVerifier> keys(const Discovery& d, bool refresh) {
    const auto s = settings_copy();
    {
      std::lock_guard lock(mutex);
      if (verifier && (!refresh || Clock::now() - jwks_fetched < s.jwks_min_refresh)) return verifier;
    }
    const auto reply = call(s, d.jwks_uri, "GET", {}, {});
    if (reply.status != 200) throw ProviderError("JWKS: HTTP " + std::to_string(reply.status));
    auto policy = s.policy;
    policy.issuer = s.issuer;
    policy.client_id = s.client_id;
    std::shared_ptr<const IdTokenVerifier> fresh;
    try {
      fresh = std::make_shared<const IdTokenVerifier>(std::move(policy), reply.body);
    } catch (const std::runtime_error& failure) {
      throw ProviderError(failure.what());
    }
    std::lock_guard lock(mutex);
    verifier = fresh;
    jwks_fetched = Clock::now();
    return fresh;
  }
};

OidcRelyingParty::OidcRelyingParty(OidcSettings settings, std::shared_ptr<store::SharedState> pending_state)
    : impl_(std::make_unique<Impl>()) {
  impl_->pending = pending_state ? std::move(pending_state) : store::memory_shared_state(settings.max_pending);
  impl_->settings = std::move(settings);
}

OidcRelyingParty::~OidcRelyingParty() = default;

void OidcRelyingParty::listening(const std::string& local_origin, bool demo_issuer) {
  std::lock_guard lock(impl_->mutex);
  auto& s = impl_->settings;
  if (demo_issuer) s.issuer = local_origin + "/cockpit/demo-idp";
  if (s.redirect_uri.empty()) s.redirect_uri = local_origin + "/cockpit/callback";
  if (s.post_logout_redirect_uri.empty()) s.post_logout_redirect_uri = local_origin + "/cockpit/";
}

std::string OidcRelyingParty::issuer() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->settings.issuer;
}

std::optional<SigninStart> OidcRelyingParty::begin(SigninFailure* failure, std::string* reason) {
  Discovery d;
  try {
    d = impl_->current_discovery();
  } catch (const ProviderError& error) {
    *failure = SigninFailure::unavailable;
    *reason = error.what();
    return std::nullopt;
  }
  const auto s = impl_->settings_copy();
  SigninStart start;
  start.state = common::base64url_encode(crypto::random_bytes(32));
  Pending p{common::base64url_encode(crypto::random_bytes(32)), common::base64url_encode(crypto::random_bytes(32))};
  switch (put_waiting(*impl_->pending, pending_key(start.state), p.nonce + "\n" + p.verifier,
                      std::chrono::duration_cast<std::chrono::milliseconds>(s.pending_lifetime))) {
    case store::SharedState::Put::stored:
      break;
    case store::SharedState::Put::exists:
    case store::SharedState::Put::full:
      *failure = SigninFailure::busy;
      *reason = "too many sign-ins pending";
      return std::nullopt;
    case store::SharedState::Put::unavailable:
      *failure = SigninFailure::store;
      *reason = "the store of pending sign-ins cannot be reached";
      return std::nullopt;
  }
  std::string scope;
  for (const auto& name : s.scopes) scope += (scope.empty() ? "" : " ") + name;
  std::string acr_values;
  for (const auto& name : s.policy.accepted_acr) acr_values += (acr_values.empty() ? "" : " ") + name;
  start.authorization_url = with_query(d.authorization_endpoint,
                                       {{"response_type", "code"},
                                        {"client_id", s.client_id},
                                        {"redirect_uri", s.redirect_uri},
                                        {"scope", scope},
                                        {"state", start.state},
                                        {"nonce", p.nonce},
                                        {"code_challenge", common::base64url_encode(crypto::sha256(p.verifier))},
                                        {"code_challenge_method", "S256"},
                                        {"acr_values", acr_values}});
  return start;
}

void OidcRelyingParty::abandon(std::string_view state) { impl_->pending->erase(pending_key(state)); }

SigninResult OidcRelyingParty::finish(std::string_view state, std::string_view code) {
  SigninResult result;
  // Taken: one use, whatever the outcome, on whichever node the browser came back to.
  const auto [value, reachable] = take_waiting(*impl_->pending, pending_key(state));
  if (!reachable) {
    result.failure = SigninFailure::store;
    result.reason = "the store of pending sign-ins cannot be reached";
    return result;
  }
  const auto split = value ? value->find('\n') : std::string::npos;
  if (split == std::string::npos) {
    result.failure = SigninFailure::expired;
    result.reason = "no such sign-in pending (expired, used, or never begun)";
    return result;
  }
  const Pending p{value->substr(0, split), value->substr(split + 1)};
  const auto s = impl_->settings_copy();
  try {
    const auto d = impl_->current_discovery();
    std::string body = "grant_type=authorization_code&code=" + common::percent_encode(code) +
                       "&redirect_uri=" + common::percent_encode(s.redirect_uri) +
                       "&code_verifier=" + common::percent_encode(p.verifier);
    std::vector<std::pair<std::string, std::string>> headers;
    if (s.client_secret.empty()) {
      body += "&client_id=" + common::percent_encode(s.client_id);
    } else {
      // RFC 6749 2.3.1: both parts form-encoded before Basic.
      headers.emplace_back("Authorization", "Basic " + common::base64_encode(common::percent_encode(s.client_id) + ":" +
                                                                              common::percent_encode(s.client_secret)));
    }
    const auto reply = call(s, d.token_endpoint, "POST", body, headers);
    const auto answer = json_object_of(reply, "the token answer");
    if (reply.status != 200) {
      result.failure = SigninFailure::rejected;
      result.reason = "the token request was refused: " + string_member(answer, "error").substr(0, 80) + " (" +
                      string_member(answer, "error_description").substr(0, 160) + ")";
      return result;
    }
    result.id_token = string_member(answer, "id_token");
    if (result.id_token.empty()) throw ProviderError("the token answer has no id_token");
    auto verifier = impl_->keys(d, false);
    auto verdict = verifier->verify(result.id_token, std::chrono::system_clock::now(), p.nonce);
    if (verdict.unknown_key) {
      // The provider may have rolled its keys: fetch the set again (rate-limited) and retry once.
      verifier = impl_->keys(d, true);
      verdict = verifier->verify(result.id_token, std::chrono::system_clock::now(), p.nonce);
    }
    if (!verdict.citizen) {
      result.failure = verdict.assurance_too_low ? SigninFailure::assurance : SigninFailure::rejected;
      result.reason = verdict.reason;
      result.id_token.clear();
      return result;
    }
    result.citizen = std::move(verdict.citizen);
    return result;
  } catch (const ProviderError& error) {
    result.failure = SigninFailure::unavailable;
    result.reason = error.what();
    result.id_token.clear();
    return result;
  }
}

std::string OidcRelyingParty::end_session_url(std::string_view id_token) const {
  std::lock_guard lock(impl_->mutex);
  if (!impl_->discovery || impl_->discovery->end_session_endpoint.empty()) return {};
  const auto& s = impl_->settings;
  return with_query(impl_->discovery->end_session_endpoint, {{"id_token_hint", std::string(id_token)},
                                                             {"post_logout_redirect_uri", s.post_logout_redirect_uri},
                                                             {"client_id", s.client_id}});
}

}  // namespace oncegate::datacockpit
