#include "datacockpit/demo_idp.hpp"
#include "gateway/common/bytes.hpp"
#include "gateway/common/files.hpp"
#include "gateway/crypto/es256.hpp"


#include <map>
#include <mutex>
#include <optional>
#include <variant>
#include <stdexcept>

#include <boost/asio/post.hpp>
#include <boost/json.hpp>

#include "datacockpit/web.hpp"
#include "gateway/common/url.hpp"
#include "gateway/crypto/crypto.hpp"
#include "gateway/routing/idnr.hpp"

namespace oncegate::datacockpit {

namespace json = boost::json;

DemoIdpFiles ensure_demo_idp(const std::filesystem::path& demo_directory) {
  DemoIdpFiles files{demo_directory / "idp.key", demo_directory / "idp-jwks.json"};
  if (std::filesystem::exists(files.private_key) && std::filesystem::exists(files.jwks)) return files;
  const auto generated = crypto::Es256PrivateKey::generate();
  const std::string& private_pem = generated.private_key_pem;
  json::object jwk;
  jwk["kty"] = "EC";
  jwk["crv"] = "P-256";
  jwk["alg"] = "ES256";
  jwk["use"] = "sig";
  jwk["kid"] = kDemoIdpKeyId;
  jwk["x"] = common::base64url_encode(generated.x);
  jwk["y"] = common::base64url_encode(generated.y);
  json::object jwks;
  jwks["keys"] = json::array{jwk};
  common::write_file_atomically(files.private_key, private_pem, true);
  common::write_file_atomically(files.jwks, json::serialize(jwks) + "\n", false);
  return files;
}

struct DemoIdp::Impl {
  crypto::Es256PrivateKey key;
  std::string issuer;
  std::string audience;
};

DemoIdp::DemoIdp(const std::string& private_key_pem, std::string issuer, std::string audience)
    : impl_(std::make_unique<Impl>(Impl{[&] {
        try {
          return crypto::Es256PrivateKey::from_pem(private_key_pem);
        } catch (const crypto::CryptoError&) {
          throw std::runtime_error("demo IdP: cannot read the key");
        }
      }(), std::move(issuer), std::move(audience)})) {}

DemoIdp::~DemoIdp() = default;

std::string DemoIdp::issue(const std::string& idnr, const std::string& subject, const std::string& acr,
                           std::chrono::seconds lifetime, std::chrono::system_clock::time_point now,
                           std::string_view nonce) const {
  const std::int64_t t = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  json::object header{{"alg", "ES256"}, {"typ", "JWT"}, {"kid", kDemoIdpKeyId}};
  json::object claims{{"iss", impl_->issuer}, {"aud", impl_->audience}, {"sub", subject}, {"idnr", idnr},
                      {"acr", acr}, {"iat", t}, {"nbf", t}, {"exp", t + lifetime.count()}};
  if (!nonce.empty()) claims["nonce"] = nonce;
  const std::string input = common::base64url_encode(json::serialize(header)) + "." + common::base64url_encode(json::serialize(claims));
  return input + "." + common::base64url_encode(impl_->key.sign(input));
}

std::string_view static_demo_idp_html() noexcept;
std::string_view static_demo_idp_js() noexcept;

namespace {

using Parameters = std::map<std::string, std::string>;

constexpr std::size_t kMaxCodes = 1000;
constexpr auto kCodeLifetime = std::chrono::seconds(60);
constexpr auto kTokenLifetime = std::chrono::seconds(600);

// What a code stands for, as stored under it (its lifetime is the store's).
struct IssuedCode {
  std::string idnr;
  std::string subject;
  std::string acr;
  std::string nonce;
  std::string code_challenge;
};

std::string to_stored(const IssuedCode& c) {
  return boost::json::serialize(boost::json::object{
      {"idnr", c.idnr}, {"subject", c.subject}, {"acr", c.acr}, {"nonce", c.nonce}, {"code_challenge", c.code_challenge}});
}

std::optional<IssuedCode> from_stored(const std::string& text) {
  boost::system::error_code ec;
  const auto parsed = boost::json::parse(text, ec);
  if (ec || !parsed.is_object()) return std::nullopt;
  const auto& o = parsed.as_object();
  const auto field = [&o](const char* name) -> std::optional<std::string> {
    const auto* v = o.if_contains(name);
    if (v == nullptr || !v->is_string()) return std::nullopt;
    return std::string(v->as_string());
  };
  auto idnr = field("idnr"), subject = field("subject"), acr = field("acr"), nonce = field("nonce"),
       challenge = field("code_challenge");
  if (!idnr || !subject || !acr || !nonce || !challenge) return std::nullopt;
  return IssuedCode{*idnr, *subject, *acr, *nonce, *challenge};
}

std::string code_key(std::string_view code) { return "demo-idp-code:" + std::string(code); }

bool is_base64url(std::string_view text) {
  for (char c : text) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

net::HttpResponse bad_request_page(std::string_view reason) {
  return web::secured(net::HttpResponse{400, "text/plain; charset=utf-8",
                                        "Demo-Identitätsanbieter: ungültige Anmeldeanfrage (invalid request): " + std::string(reason) + "\n",
                                        {}});
}

}  // namespace

struct DemoOpenIdProvider::Impl {
  std::string private_key_pem;
  std::string jwks_json;
  std::string client_id;
  std::vector<DemoPerson> people;

  mutable std::mutex mutex;
  std::string origin;                        // set by listening()
  std::shared_ptr<const DemoIdp> signer;     // with the issuer of that origin
  std::shared_ptr<store::SharedState> codes;  // set once at construction

  std::string issuer() const { return origin + "/cockpit/demo-idp"; }
  std::string redirect_uri() const { return origin + "/cockpit/callback"; }

  // The authorization request's checks (OpenID Connect Core 3.1.2.1, RFC 7636). Empty when
  // valid; `redirectable` says whether the error may go back to the client (it may not when the
  // client or its redirect URI is wrong).
  std::string check_request(const Parameters& p, bool* redirectable) const {
    std::lock_guard lock(mutex);
    *redirectable = false;
    const auto get = [&](const char* name) {
      const auto it = p.find(name);
      return it == p.end() ? std::string() : it->second;
    };
    if (origin.empty()) return "the provider is not listening yet";
    if (get("client_id") != client_id) return "unknown client_id";
    if (get("redirect_uri") != redirect_uri()) return "redirect_uri is not the one registered for this client";
    *redirectable = true;
    if (get("response_type") != "code") return "response_type must be code";
    const std::string scope = " " + get("scope") + " ";
    if (scope.find(" openid ") == std::string::npos) return "scope must contain openid";
    if (get("code_challenge_method") != "S256") return "PKCE with code_challenge_method S256 is required";
    const std::string challenge = get("code_challenge");
    if (challenge.size() != 43 || !is_base64url(challenge)) return "code_challenge must be a base64url SHA-256";
    for (const char* name : {"state", "nonce"}) {
      const std::string value = get(name);
      if (value.empty() || value.size() > 512) return std::string(name) + " is required (at most 512 characters)";
    }
    return {};
  }

  std::string error_redirect_url(const Parameters& p, const std::string& error, const std::string& description) const {
    const auto state = p.find("state");
    return redirect_uri() + "?error=" + common::percent_encode(error) + "&error_description=" +
           common::percent_encode(description) +
           (state != p.end() ? "&state=" + common::percent_encode(state->second) : std::string());
  }
  net::HttpResponse error_redirect(const Parameters& p, const std::string& error, const std::string& description) const {
    return web::redirect(error_redirect_url(p, error, description));
  }

  void authorize(const Parameters& p, boost::asio::any_io_executor executor, net::Responder respond) const {
    auto answer = authorize_or_refuse(p);
    if (std::holds_alternative<net::HttpResponse>(answer)) return respond(std::move(std::get<net::HttpResponse>(answer)));
    auto [code, issued] = std::move(std::get<std::pair<std::string, IssuedCode>>(answer));
    std::string back = redirect_uri() + "?code=" + code + "&state=" + common::percent_encode(p.at("state"));
    std::string busy = error_redirect_url(p, "temporarily_unavailable", "too many sign-ins at once");
    std::string unreachable = error_redirect_url(p, "temporarily_unavailable", "the provider's store cannot be reached");
    codes->put(code_key(code), to_stored(issued), kCodeLifetime,
               [executor, back = std::move(back), busy = std::move(busy), unreachable = std::move(unreachable),
                respond = std::move(respond)](store::SharedState::Put outcome) {
                 boost::asio::post(executor, [outcome, back, busy, unreachable, respond] {
                   using Put = store::SharedState::Put;
                   respond(web::redirect(outcome == Put::stored ? back : outcome == Put::unavailable ? unreachable : busy));
                 });
               });
  }

  // The checks of the form's post, and the code to issue (or the answer that refuses).
  std::variant<net::HttpResponse, std::pair<std::string, IssuedCode>> authorize_or_refuse(const Parameters& p) const {
    bool redirectable = false;
    if (const auto problem = check_request(p, &redirectable); !problem.empty()) {
      return redirectable ? error_redirect(p, "invalid_request", problem) : bad_request_page(problem);
    }
    if (p.contains("cancel")) return error_redirect(p, "access_denied", "the citizen cancelled the sign-in");
    std::string idnr;
    std::string subject;
    const auto typed = p.find("idnr");
    if (typed != p.end() && !typed->second.empty()) {
      if (!routing::is_valid_idnr(typed->second)) return bad_request_page("the IDNr is not a valid identification number");
      idnr = typed->second;
    } else {
      const auto index = web::to_int(p.contains("person") ? p.at("person") : std::string());
      if (!index || *index >= static_cast<std::int64_t>(people.size())) return bad_request_page("unknown person");
      idnr = people[static_cast<std::size_t>(*index)].idnr;
    }
    // A subject that is stable per person and says nothing about them.
    subject = "demo-" + common::to_hex(crypto::sha256("oncegate-demo-idp-subject\n" + idnr)).substr(0, 24);
    const std::string acr = p.contains("acr") && p.at("acr") == "substantiell" ? "substantiell" : "hoch";
    return std::make_pair(common::base64url_encode(crypto::random_bytes(32)),
                          IssuedCode{idnr, subject, acr, p.at("nonce"), p.at("code_challenge")});
  }

  static net::HttpResponse refuse_token(const char* error, const char* description) {
    auto response = web::json_response(400, boost::json::object{{"error", error}, {"error_description", description}});
    response.headers.emplace_back("Pragma", "no-cache");
    return response;
  }

  void token(const net::HttpRequest& request, boost::asio::any_io_executor executor, net::Responder respond) const {
    auto p = common::query_parameters(request.body);
    if (p["grant_type"] != "authorization_code") return respond(refuse_token("unsupported_grant_type", "only authorization_code"));
    if (p["client_id"] != client_id) return respond(refuse_token("invalid_client", "unknown client"));
    const std::string code = p["code"];
    if (code.empty() || code.size() > 128) return respond(refuse_token("invalid_grant", "unknown or used code"));
    std::shared_ptr<const DemoIdp> current;
    {
      std::lock_guard lock(mutex);
      current = signer;
      if (p["redirect_uri"] != redirect_uri()) return respond(refuse_token("invalid_grant", "redirect_uri differs"));
    }
    // Taken: one use, on whichever node the token request lands.
    codes->take(code_key(code), [executor, current, verifier = p["code_verifier"], respond = std::move(respond)](
                                    std::optional<std::string> value, bool reachable) mutable {
      boost::asio::post(executor, [value = std::move(value), reachable, current, verifier, respond = std::move(respond)] {
        if (!reachable) return respond(web::problem(503, "the demo provider's store cannot be reached"));
        const auto issued = value ? from_stored(*value) : std::nullopt;
        if (!issued) return respond(refuse_token("invalid_grant", "unknown, used or expired code"));
        respond(issue_token(*issued, verifier, *current));
      });
    });
  }

  static net::HttpResponse issue_token(const IssuedCode& issued, const std::string& verifier, const DemoIdp& current) {
    if (verifier.size() < 43 || verifier.size() > 128 ||
        !crypto::constant_time_equal(common::base64url_encode(crypto::sha256(verifier)), issued.code_challenge)) {
      return refuse_token("invalid_grant", "the code_verifier does not match the code_challenge");
    }
    const auto id_token = current.issue(issued.idnr, issued.subject, issued.acr, kTokenLifetime,
                                         std::chrono::system_clock::now(), issued.nonce);
    auto response = web::json_response(200, boost::json::object{{"access_token", common::base64url_encode(crypto::random_bytes(32))},
                                                                {"token_type", "Bearer"},
                                                                {"expires_in", kTokenLifetime.count()},
                                                                {"id_token", id_token}});
    response.headers.emplace_back("Pragma", "no-cache");
    return response;
  }
};

DemoOpenIdProvider::DemoOpenIdProvider(std::string private_key_pem, std::string jwks_json, std::string client_id,
                                       std::vector<DemoPerson> people, std::shared_ptr<store::SharedState> code_state)
    : impl_(std::make_unique<Impl>()) {
  impl_->codes = code_state ? std::move(code_state) : store::memory_shared_state(kMaxCodes);
  impl_->private_key_pem = std::move(private_key_pem);
  impl_->jwks_json = std::move(jwks_json);
  impl_->client_id = std::move(client_id);
  impl_->people = std::move(people);
  // Fails now, at start, for an unreadable key rather than at the first sign-in.
  (void)DemoIdp(impl_->private_key_pem, "", "");
}

DemoOpenIdProvider::~DemoOpenIdProvider() = default;

void DemoOpenIdProvider::listening(const std::string& local_origin) {
  std::lock_guard lock(impl_->mutex);
  impl_->origin = local_origin;
  impl_->signer = std::make_shared<const DemoIdp>(impl_->private_key_pem, impl_->issuer(), impl_->client_id);
}

void DemoOpenIdProvider::register_routes(net::Router& router) const {
  auto self = shared_from_this();
  using Handler = std::function<net::HttpResponse(const net::HttpRequest&)>;
  const auto route = [self](Handler handle) {
    return [self, handle = std::move(handle)](net::HttpRequest request, const net::ConnectionInfo&,
                                              boost::asio::any_io_executor, net::Responder respond) {
      respond(handle(request));
    };
  };
  router.add("GET", "/cockpit/demo-idp/.well-known/openid-configuration", route([self](const net::HttpRequest&) {
    std::string issuer;
    {
      std::lock_guard lock(self->impl_->mutex);
      if (self->impl_->origin.empty()) return web::problem(503, "not listening yet");
      issuer = self->impl_->issuer();
    }
    return web::json_response(200, boost::json::object{
        {"issuer", issuer},
        {"authorization_endpoint", issuer + "/authorize"},
        {"token_endpoint", issuer + "/token"},
        {"jwks_uri", issuer + "/jwks"},
        {"end_session_endpoint", issuer + "/logout"},
        {"response_types_supported", boost::json::array{"code"}},
        {"grant_types_supported", boost::json::array{"authorization_code"}},
        {"subject_types_supported", boost::json::array{"public"}},
        {"id_token_signing_alg_values_supported", boost::json::array{"ES256"}},
        {"code_challenge_methods_supported", boost::json::array{"S256"}},
        {"token_endpoint_auth_methods_supported", boost::json::array{"none"}},
        {"scopes_supported", boost::json::array{"openid"}},
        {"claims_supported", boost::json::array{"sub", "idnr", "acr"}},
        {"acr_values_supported", boost::json::array{"hoch", "substantiell"}}});
  }));
  router.add("GET", "/cockpit/demo-idp/jwks", route([self](const net::HttpRequest&) {
    return web::secured(net::HttpResponse{200, "application/json", self->impl_->jwks_json, {}});
  }));
  router.add("GET", "/cockpit/demo-idp/authorize", route([self](const net::HttpRequest& request) {
    bool redirectable = false;
    const auto p = common::query_parameters(request.query);
    if (const auto problem = self->impl_->check_request(p, &redirectable); !problem.empty()) {
      return redirectable ? self->impl_->error_redirect(p, "invalid_request", problem) : bad_request_page(problem);
    }
    // The page reads the request's parameters from its own address and posts them back.
    return web::secured(net::HttpResponse{200, "text/html; charset=utf-8", std::string(static_demo_idp_html()), {}});
  }));
  router.add("POST", "/cockpit/demo-idp/authorize",
             [self](net::HttpRequest request, const net::ConnectionInfo&, boost::asio::any_io_executor executor,
                    net::Responder respond) {
               self->impl_->authorize(common::query_parameters(request.body), executor,
                                      [self, respond = std::move(respond)](net::HttpResponse r) { respond(std::move(r)); });
             });
  router.add("POST", "/cockpit/demo-idp/token",
             [self](net::HttpRequest request, const net::ConnectionInfo&, boost::asio::any_io_executor executor,
                    net::Responder respond) {
               self->impl_->token(request, executor,
                                  [self, respond = std::move(respond)](net::HttpResponse r) { respond(std::move(r)); });
             });
  router.add("GET", "/cockpit/demo-idp/idp.js", route([](const net::HttpRequest&) {
    return web::secured(net::HttpResponse{200, "text/javascript; charset=utf-8", std::string(static_demo_idp_js()), {}});
  }));
  router.add("GET", "/cockpit/demo-idp/people", route([self](const net::HttpRequest&) {
    boost::json::array people;
    for (std::size_t i = 0; i < self->impl_->people.size(); ++i) {
      people.push_back(boost::json::object{{"index", i}, {"name", self->impl_->people[i].display_name}});
    }
    return web::json_response(200, boost::json::object{{"people", std::move(people)}});
  }));
  // RP-initiated logout: the demo provider keeps no session of its own, so there is nothing to
  // end; it sends the citizen back to the registered address.
  router.add("GET", "/cockpit/demo-idp/logout", route([self](const net::HttpRequest& request) {
    const auto p = common::query_parameters(request.query);
    std::string back;
    {
      std::lock_guard lock(self->impl_->mutex);
      back = self->impl_->origin + "/cockpit/";
    }
    const auto target = p.find("post_logout_redirect_uri");
    if (target != p.end() && target->second != back) return bad_request_page("post_logout_redirect_uri is not registered");
    return web::redirect(back + "#signed_out");
  }));
}

}  // namespace oncegate::datacockpit
