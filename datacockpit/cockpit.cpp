#include "datacockpit/cockpit.hpp"
#include "gateway/common/bytes.hpp"
#include "gateway/common/url.hpp"
#include "gateway/crypto/crypto.hpp"


#include <functional>
#include <map>
#include <mutex>
#include <stdexcept>

#include <boost/asio/post.hpp>
#include <boost/json.hpp>

namespace oncegate::datacockpit {

std::string_view static_index_html() noexcept;
std::string_view static_app_js() noexcept;
std::string_view static_style_css() noexcept;
std::string_view static_demo_idp_html() noexcept;
std::string_view static_demo_idp_js() noexcept;

namespace json = boost::json;
using log::TreeHead;

namespace {

constexpr const char* kCookie = "og_session";

// Strict policy for everything under /cockpit/: own scripts and styles only, nothing inline,
// no framing, no referrer.
net::HttpResponse secured(net::HttpResponse response) {
  response.headers.emplace_back("Content-Security-Policy",
                                "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                                "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
  response.headers.emplace_back("X-Frame-Options", "DENY");
  response.headers.emplace_back("Referrer-Policy", "no-referrer");
  return response;
}

net::HttpResponse json_response(unsigned status, const json::value& body) {
  auto response = net::json_text_response(status, json::serialize(body));
  response.content_type = "application/json; charset=utf-8";
  return secured(std::move(response));
}

net::HttpResponse problem(unsigned status, std::string_view reason) {
  return json_response(status, json::object{{"error", reason}});
}

std::optional<std::int64_t> to_int(const std::string& text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  std::int64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

std::string cookie_value(const net::HttpRequest& request, std::string_view name) {
  std::string_view cookies = request.header("cookie");
  while (!cookies.empty()) {
    const auto semicolon = cookies.find(';');
    std::string_view part = cookies.substr(0, semicolon);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    if (part.starts_with(name) && part.size() > name.size() && part[name.size()] == '=') {
      return std::string(part.substr(name.size() + 1));
    }
    if (semicolon == std::string_view::npos) break;
    cookies.remove_prefix(semicolon + 1);
  }
  return {};
}

}  // namespace

struct Cockpit::Impl {
  CockpitOptions options;
  log::TransferLog& log;
  std::unique_ptr<IdTokenVerifier> verifier;

  struct Session {
    std::string pseudonym;
    std::chrono::steady_clock::time_point expires;
  };
  mutable std::mutex sessions_mutex;
  mutable std::map<std::string, Session> sessions;  // by session id

  Impl(CockpitOptions o, log::TransferLog& l) : options(std::move(o)), log(l) {
    verifier = std::make_unique<IdTokenVerifier>(options.policy, options.jwks_json);
  }

  // The pseudonym of the authenticated citizen: from the session cookie, or from a bearer ID
  // token (API clients). Never from a parameter.
  std::optional<std::string> citizen(const net::HttpRequest& request, std::string* reason) const {
    const std::string_view authorization = request.header("authorization");
    if (authorization.starts_with("Bearer ")) {
      const auto verdict = verifier->verify(authorization.substr(7), std::chrono::system_clock::now());
      if (!verdict.citizen) {
        *reason = verdict.reason;
        return std::nullopt;
      }
      return log::pseudonym(options.pseudonym_secret, verdict.citizen->idnr);
    }
    const std::string id = cookie_value(request, kCookie);
    if (id.empty()) {
      *reason = "not signed in";
      return std::nullopt;
    }
    std::lock_guard lock(sessions_mutex);
    const auto it = sessions.find(id);
    if (it == sessions.end() || it->second.expires < std::chrono::steady_clock::now()) {
      if (it != sessions.end()) sessions.erase(it);
      *reason = "the session has ended; sign in again";
      return std::nullopt;
    }
    return it->second.pseudonym;
  }

  std::string requester_name(const std::string& kennung) const {
    if (options.authority_name) {
      auto name = options.authority_name(kennung);
      return name.empty() ? kennung : name;
    }
    const auto name = options.authority_names.find(kennung);
    return name != options.authority_names.end() ? name->second : kennung;
  }

  json::object transfer_json(const log::TransferRecord& r) const {
    return json::object{{"id", r.sequence},
                        {"time_ms", r.time_ms},
                        {"requester", r.requester},
                        {"requester_name", requester_name(r.requester)},
                        {"register", r.register_name},
                        {"evidence_type", r.evidence_type},
                        {"purpose", r.purpose},
                        {"legal_basis", r.legal_basis},
                        {"outcome", r.outcome},
                        {"code", r.code}};
  }

  // A filter parameter: milliseconds since the epoch, or a date YYYY-MM-DD (UTC; `end_of_day` for
  // "to"). nullopt when malformed.
  static std::optional<std::int64_t> time_filter(const std::string& text, bool end_of_day) {
    if (auto ms = to_int(text)) return ms;
    int y = 0, m = 0, d = 0;
    if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
    for (std::size_t i : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u}) {
      if (text[i] < '0' || text[i] > '9') return std::nullopt;
    }
    y = std::stoi(text.substr(0, 4));
    m = std::stoi(text.substr(5, 2));
    d = std::stoi(text.substr(8, 2));
    const std::chrono::year_month_day date{std::chrono::year{y}, std::chrono::month{static_cast<unsigned>(m)},
                                           std::chrono::day{static_cast<unsigned>(d)}};
    if (!date.ok() || y < 1970) return std::nullopt;
    const auto start = std::chrono::sys_days{date}.time_since_epoch();
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(start).count();
    return end_of_day ? ms + 86'400'000 - 1 : ms;
  }

  net::HttpResponse transfers(const net::HttpRequest& request, const std::string& pseudonym) const {
    auto query = common::query_parameters(request.query);
    // Every parameter is checked: a filter that is silently ignored would show the citizen a list
    // they did not ask for.
    for (const auto& [name, value] : query) {
      if (name != "from" && name != "to" && name != "limit" && name != "before" && name != "authority" && name != "type") {
        return problem(400, "unknown parameter '" + name.substr(0, 40) + "'");
      }
      if (value.size() > 128) return problem(400, "parameter '" + name + "' is too long");
    }
    const auto invalid = [](const char* name, const char* expected) {
      return problem(400, std::string("parameter '") + name + "' must be " + expected);
    };
    std::int64_t from = 0;
    std::int64_t to = INT64_MAX;
    std::int64_t limit = 20;
    std::optional<std::uint64_t> before;
    if (query.contains("from")) {
      const auto v = time_filter(query["from"], false);
      if (!v) return invalid("from", "milliseconds since 1970 or a date YYYY-MM-DD");
      from = *v;
    }
    if (query.contains("to")) {
      const auto v = time_filter(query["to"], true);
      if (!v) return invalid("to", "milliseconds since 1970 or a date YYYY-MM-DD");
      to = *v;
    }
    if (from > to) return invalid("from", "no later than 'to'");
    if (query.contains("limit")) {
      const auto v = to_int(query["limit"]);
      if (!v || *v < 1 || *v > 100) return invalid("limit", "a whole number from 1 to 100");
      limit = *v;
    }
    if (query.contains("before")) {
      const auto v = to_int(query["before"]);
      if (!v) return invalid("before", "a transfer id (a whole number)");
      before = static_cast<std::uint64_t>(*v);
    }
    const std::string authority = query["authority"];
    const std::string type = query["type"];
    json::array items;
    std::optional<std::uint64_t> next;
    // Filters apply to the person's records as they come from the index; read on until the
    // page is full or the person's records end.
    for (;;) {
      const auto page = log.by_person(pseudonym, from, to, static_cast<std::size_t>(limit), before);
      for (const auto& r : page.records) {
        if ((!authority.empty() && r.requester != authority) || (!type.empty() && r.evidence_type != type)) continue;
        items.push_back(transfer_json(r));
        if (static_cast<std::int64_t>(items.size()) == limit) break;
      }
      if (static_cast<std::int64_t>(items.size()) == limit) {
        next = items.back().as_object().at("id").as_uint64();
        break;
      }
      if (!page.next_before) break;
      before = page.next_before;
    }
    json::object body{{"transfers", std::move(items)}};
    body["next_before"] = next ? json::value(*next) : json::value(nullptr);
    return json_response(200, body);
  }

  // What the page verifies checkpoints with: the log's key, the witnesses' keys and the quorum
  // (the page pins them on first use), and a per-person name for what it remembers.
  json::object log_keys(const std::string& pseudonym) const {
    json::array witnesses;
    for (const auto& w : log.witness_policy().witnesses) witnesses.push_back(json::string(w.vkey()));
    const std::string origin = log.identity().origin;
    return json::object{{"origin", origin},
                        {"log_vkey", log.identity().verifier().vkey()},
                        {"witnesses", std::move(witnesses)},
                        {"quorum", log.witness_policy().quorum},
                        // Not the pseudonym itself: a name for the browser's memory of this person.
                        {"viewer", common::to_hex(crypto::sha256("oncegate-cockpit-viewer\n" + origin + "\n" + pseudonym)).substr(0, 32)}};
  }

  // The newest cosigned checkpoint and the consistency proof to it from the size the page saw
  // last (`from`), so that a rewritten or forked log shows between two visits.
  net::HttpResponse log_state(const net::HttpRequest& request, const std::string& pseudonym) const {
    const auto head = log.latest_cosigned_head();
    if (!head || !head->is_checkpoint()) {
      auto response = problem(503, "the log has no checkpoint its witnesses cosigned yet; try again in a moment");
      response.headers.emplace_back("Retry-After", "1");
      return response;
    }
    json::object body = log_keys(pseudonym);
    body["checkpoint"] = head->checkpoint;
    const auto from = to_int(common::query_parameter(request.query, "from"));
    if (from && *from > 0 && static_cast<std::uint64_t>(*from) <= head->size) {
      json::array proof;
      for (const auto& h : log.consistency(static_cast<std::uint64_t>(*from), head->size)) proof.push_back(json::string(common::to_hex(h)));
      body["consistency_from"] = *from;
      body["consistency"] = std::move(proof);
    } else if (from && static_cast<std::uint64_t>(*from) > head->size) {
      body["consistency_from"] = *from;  // larger than the log now: the page reports a rollback
    }
    return json_response(200, body);
  }

  // A transfer newer than the latest cosigned checkpoint gets a checkpoint first (asynchronously,
  // by the log's writer); until its witnesses have cosigned one, the answer is 503 with
  // Retry-After (about a second).
  void detail(std::string_view id_text, std::string pseudonym, boost::asio::any_io_executor executor,
              net::Responder respond) const {
    const auto id = to_int(std::string(id_text));
    if (!id || static_cast<std::uint64_t>(*id) >= log.size()) return respond(problem(404, "no such transfer"));
    const auto sequence = static_cast<std::uint64_t>(*id);
    if (const auto head = log.latest_cosigned_head(); head && head->size > sequence) {
      return respond(proven(sequence, pseudonym));
    }
    log.request_head([this, sequence, pseudonym = std::move(pseudonym), executor,
                      respond = std::move(respond)](const TreeHead&) mutable {
      boost::asio::post(executor, [this, sequence, pseudonym = std::move(pseudonym), respond = std::move(respond)] {
        respond(proven(sequence, pseudonym));
      });
    });
  }

  net::HttpResponse proven(std::uint64_t sequence, const std::string& pseudonym) const {
    const auto proof = log.prove(sequence);
    if (!proof) {
      const auto head = log.latest_cosigned_head();
      if (!head || head->size <= sequence) {
        auto response = problem(503, "this transfer is not yet in a checkpoint the log's witnesses cosigned; it will "
                                     "be within about a second");
        response.headers.emplace_back("Retry-After", "1");
        return response;
      }
    }
    // Another person's transfer and a transfer that does not exist look the same.
    if (!proof || proof->record.pseudonym != pseudonym) return problem(404, "no such transfer");
    json::array path;
    for (const auto& h : proof->path) path.push_back(json::string(common::to_hex(h)));
    json::object body{{"transfer", transfer_json(proof->record)},
                      // The stored bytes, exactly: the commitment is over them.
                      {"record", proof->record_bytes},
                      {"salt", common::to_hex(proof->salt)},
                      {"entry", common::to_hex(proof->entry)},
                      {"leaf_hash", common::to_hex(proof->leaf)},
                      {"leaf_index", proof->record.sequence},
                      {"path", std::move(path)},
                      {"tree_head",
                       json::object{{"size", proof->head.size}, {"root", proof->head.root_hex}, {"time_ms", proof->head.time_ms}}},
                      {"checkpoint", proof->head.checkpoint},
                      {"log", log_keys(pseudonym)}};
    return json_response(200, body);
  }
};

Cockpit::Cockpit(CockpitOptions options, log::TransferLog& log)
    : impl_(std::make_unique<Impl>(std::move(options), log)) {}

Cockpit::~Cockpit() = default;

void Cockpit::register_routes(net::Router& router) const {
  auto self = shared_from_this();
  const auto static_file = [](std::string_view content, const char* type) {
    return [content, type](net::HttpRequest, const net::ConnectionInfo&, boost::asio::any_io_executor, net::Responder respond) {
      respond(secured(net::HttpResponse{200, type, std::string(content), {}}));
    };
  };
  router.add("GET", "/cockpit/", static_file(static_index_html(), "text/html; charset=utf-8"));
  router.add("GET", "/cockpit/app.js", static_file(static_app_js(), "text/javascript; charset=utf-8"));
  router.add("GET", "/cockpit/style.css", static_file(static_style_css(), "text/css; charset=utf-8"));

  // Requests that change state must come from the cockpit's own script: a custom header cannot be
  // sent cross-site without a CORS preflight, which is never granted (CSRF defence besides
  // SameSite=Strict).
  const auto from_own_page = [](const net::HttpRequest& request) { return request.header("x-oncegate-cockpit") == "1"; };

  router.add("POST", "/cockpit/api/session",
             [self, from_own_page](net::HttpRequest request, const net::ConnectionInfo&, boost::asio::any_io_executor,
                                   net::Responder respond) {
               if (!from_own_page(request)) return respond(problem(403, "missing X-Oncegate-Cockpit header"));
               const std::string_view authorization = request.header("authorization");
               if (!authorization.starts_with("Bearer ")) return respond(problem(401, "an ID token is required"));
               const auto verdict =
                   self->impl_->verifier->verify(authorization.substr(7), std::chrono::system_clock::now());
               if (!verdict.citizen) return respond(problem(401, verdict.reason));
               const std::string id = crypto::random_hex(32);
               const auto ttl = self->impl_->options.session_ttl;
               {
                 std::lock_guard lock(self->impl_->sessions_mutex);
                 auto& sessions = self->impl_->sessions;
                 std::erase_if(sessions, [](const auto& s) { return s.second.expires < std::chrono::steady_clock::now(); });
                 sessions[id] = {log::pseudonym(self->impl_->options.pseudonym_secret, verdict.citizen->idnr),
                                 std::chrono::steady_clock::now() + ttl};
               }
               auto response = json_response(200, json::object{{"expires_in", ttl.count()}});
               response.headers.emplace_back("Set-Cookie", std::string(kCookie) + "=" + id +
                                                               "; Path=/cockpit/; HttpOnly; Secure; SameSite=Strict; Max-Age=" +
                                                               std::to_string(ttl.count()));
               respond(std::move(response));
             });
  router.add("POST", "/cockpit/api/logout",
             [self, from_own_page](net::HttpRequest request, const net::ConnectionInfo&, boost::asio::any_io_executor,
                                   net::Responder respond) {
               if (!from_own_page(request)) return respond(problem(403, "missing X-Oncegate-Cockpit header"));
               {
                 std::lock_guard lock(self->impl_->sessions_mutex);
                 self->impl_->sessions.erase(cookie_value(request, kCookie));
               }
               auto response = json_response(200, json::object{{"signed_out", true}});
               response.headers.emplace_back("Set-Cookie", std::string(kCookie) +
                                                               "=; Path=/cockpit/; HttpOnly; Secure; SameSite=Strict; Max-Age=0");
               respond(std::move(response));
             });
  // A route for the signed-in citizen only: 401 with the reason otherwise; `handle` gets the pseudonym.
  using CitizenHandler = std::function<void(const net::HttpRequest&, std::string pseudonym, boost::asio::any_io_executor,
                                            net::Responder)>;
  const auto signed_in = [self](CitizenHandler handle) {
    return [self, handle = std::move(handle)](net::HttpRequest request, const net::ConnectionInfo&,
                                              boost::asio::any_io_executor executor, net::Responder respond) {
      std::string reason;
      auto pseudonym = self->impl_->citizen(request, &reason);
      if (!pseudonym) return respond(problem(401, reason));
      handle(request, std::move(*pseudonym), std::move(executor), std::move(respond));
    };
  };
  router.add("GET", "/cockpit/api/transfers",
             signed_in([self](const net::HttpRequest& request, std::string pseudonym, boost::asio::any_io_executor,
                              net::Responder respond) { respond(self->impl_->transfers(request, pseudonym)); }));
  router.add("GET", "/cockpit/api/log",
             signed_in([self](const net::HttpRequest& request, std::string pseudonym, boost::asio::any_io_executor,
                              net::Responder respond) { respond(self->impl_->log_state(request, pseudonym)); }));
  router.add_prefix("GET", "/cockpit/api/transfers/",
                    signed_in([self](const net::HttpRequest& request, std::string pseudonym,
                                     boost::asio::any_io_executor executor, net::Responder respond) {
                      // Keeps the cockpit alive until the answer is out.
                      self->impl_->detail(std::string_view(request.path).substr(23), std::move(pseudonym), executor,
                                          [self, respond = std::move(respond)](net::HttpResponse r) { respond(std::move(r)); });
                    }));

  if (!impl_->options.demo_idp) return;
  router.add("GET", "/cockpit/demo-idp/", static_file(static_demo_idp_html(), "text/html; charset=utf-8"));
  router.add("GET", "/cockpit/demo-idp/idp.js", static_file(static_demo_idp_js(), "text/javascript; charset=utf-8"));
  router.add("GET", "/cockpit/demo-idp/people",
             [self](net::HttpRequest, const net::ConnectionInfo&, boost::asio::any_io_executor, net::Responder respond) {
               json::array people;
               for (std::size_t i = 0; i < self->impl_->options.demo_people.size(); ++i) {
                 people.push_back(json::object{{"index", i}, {"name", self->impl_->options.demo_people[i].display_name}});
               }
               respond(json_response(200, json::object{{"people", std::move(people)}}));
             });
  router.add("POST", "/cockpit/demo-idp/login",
             [self, from_own_page](net::HttpRequest request, const net::ConnectionInfo&, boost::asio::any_io_executor,
                                   net::Responder respond) {
               if (!from_own_page(request)) return respond(problem(403, "missing X-Oncegate-Cockpit header"));
               const auto index = to_int(common::query_parameters(request.body)["person"]);
               const auto& people = self->impl_->options.demo_people;
               if (!index || *index >= static_cast<std::int64_t>(people.size())) return respond(problem(400, "unknown person"));
               const auto& person = people[static_cast<std::size_t>(*index)];
               const auto token = self->impl_->options.demo_idp->issue(person.idnr, "demo-" + std::to_string(*index),
                                                                       "hoch", std::chrono::seconds(300),
                                                                       std::chrono::system_clock::now());
               respond(json_response(200, json::object{{"id_token", token}}));
             });
}

}  // namespace oncegate::datacockpit
