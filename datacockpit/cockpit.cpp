#include "datacockpit/cockpit.hpp"
#include "gateway/common/bytes.hpp"
#include "gateway/common/time.hpp"
#include "gateway/common/url.hpp"
#include "gateway/crypto/crypto.hpp"
#include "gateway/oplog/oplog.hpp"
#include "gateway/log/protocol_page.hpp"
#include "datacockpit/peers.hpp"
#include "datacockpit/web.hpp"


#include <pthread.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <cstdio>
#include <functional>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <variant>

#include <boost/asio/post.hpp>
#include <boost/json.hpp>

namespace oncegate::datacockpit {

std::string_view static_index_html() noexcept;
std::string_view static_app_js() noexcept;
std::string_view static_style_css() noexcept;

namespace json = boost::json;
using log::TreeHead;

using web::json_response;
using web::problem;
using web::to_int;

namespace {

constexpr const char* kCookie = "og_session";
constexpr const char* kLoginCookie = "og_login";
constexpr std::size_t kMaxQueuedSignins = 64;

// The calls to the identity provider block; they run here, one at a time, never on an I/O
// thread. Bounded: beyond kMaxQueuedSignins waiting, a sign-in is refused as busy.
class SigninWorker {
 public:
  SigninWorker() : thread_([this] { run(); }) {}
  ~SigninWorker() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
      queue_.clear();
    }
    wake_.notify_all();
    thread_.join();
  }
  bool post(std::function<void()> task) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_ || queue_.size() >= kMaxQueuedSignins) return false;
      queue_.push_back(std::move(task));
    }
    wake_.notify_one();
    return true;
  }

 private:
  void run() {
    pthread_setname_np(pthread_self(), "oncegate-oidc");
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (stopping_) return;
        task = std::move(queue_.front());
        queue_.pop_front();
      }
      try {
        task();
      } catch (const std::exception& failure) {
        oplog::write(oplog::Level::error, "cockpit_signin_task_failed", {{"reason", failure.what()}});
      }
    }
  }
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

// A session in the (shared) state: the pseudonym that selects the citizen's transfers and the ID
// token for the provider's logout (id_token_hint). Its key is a hash of the cookie's id, so that
// whoever reads the store does not read usable cookies.
std::string session_key(std::string_view id) { return "session:" + common::to_hex(crypto::sha256(id)); }

std::string session_value(const std::string& pseudonym, const std::string& id_token) {
  return json::serialize(json::object{{"pseudonym", pseudonym}, {"id_token", id_token}});
}

struct Session {
  std::string pseudonym;
  std::string id_token;
};

std::optional<Session> parse_session(const std::string& value) {
  boost::system::error_code ec;
  const auto parsed = json::parse(value, ec);
  if (ec || !parsed.is_object()) return std::nullopt;
  const auto* pseudonym = parsed.as_object().if_contains("pseudonym");
  const auto* id_token = parsed.as_object().if_contains("id_token");
  if (pseudonym == nullptr || !pseudonym->is_string() || id_token == nullptr || !id_token->is_string()) return std::nullopt;
  return Session{std::string(pseudonym->as_string()), std::string(id_token->as_string())};
}

std::string session_cookie(const std::string& id, std::int64_t max_age_s) {
  return std::string(kCookie) + "=" + id + "; Path=/cockpit/; HttpOnly; Secure; SameSite=Strict; Max-Age=" +
         std::to_string(max_age_s);
}

// Bound to the browser that began the sign-in (login CSRF): Lax, because the provider sends the
// browser back with a top-level cross-site navigation.
std::string login_cookie(const std::string& state, std::int64_t max_age_s) {
  return std::string(kLoginCookie) + "=" + state + "; Path=/cockpit/callback; HttpOnly; Secure; SameSite=Lax; Max-Age=" +
         std::to_string(max_age_s);
}

// 503 with Retry-After: what the citizen asked for is not yet under a checkpoint the witnesses
// cosigned (about a second).
net::HttpResponse not_yet_cosigned(std::string_view what) {
  auto response = problem(503, what);
  response.headers.emplace_back("Retry-After", "1");
  return response;
}

net::HttpResponse signin_failed(SigninFailure failure, std::string_view reason) {
  oplog::write(oplog::Level::warn, "cockpit_signin_failed",
               {{"code", signin_failure_code(failure)}, {"reason", std::string(reason).substr(0, 300)}});
  auto response = web::redirect("/cockpit/#signin_error=" + std::string(signin_failure_code(failure)));
  response.headers.emplace_back("Set-Cookie", login_cookie("", 0));
  return response;
}

}  // namespace

struct Cockpit::Impl {
  CockpitOptions options;
  log::TransferLog& log;
  std::shared_ptr<OidcRelyingParty> relying_party;
  std::shared_ptr<store::SharedState> sessions;
  // Last: destroyed first, so that no sign-in task runs once the rest is gone.
  std::unique_ptr<SigninWorker> worker;

  Impl(CockpitOptions o, log::TransferLog& l) : options(std::move(o)), log(l) {
    relying_party = std::make_shared<OidcRelyingParty>(options.oidc, options.shared_state);
    sessions = options.shared_state ? options.shared_state : store::memory_shared_state(options.max_sessions);
    worker = std::make_unique<SigninWorker>();
  }

  // The signed-in citizen's session, from the session cookie only: `then(session, reason)` on
  // `executor`, the session empty with the reason when there is none.
  void citizen(const net::HttpRequest& request, boost::asio::any_io_executor executor,
               std::function<void(std::optional<Session>, std::string reason)> then) const {
    const std::string id = web::cookie_value(request, kCookie);
    if (id.empty() || id.size() > 128) return then(std::nullopt, "not signed in");
    sessions->get(session_key(id), [executor, then = std::move(then)](std::optional<std::string> value, bool reachable) mutable {
      boost::asio::post(executor, [value = std::move(value), reachable, then = std::move(then)]() mutable {
        if (!reachable) return then(std::nullopt, "");
        auto session = value ? parse_session(*value) : std::nullopt;
        then(std::move(session), session ? "" : "the session has ended; sign in again");
      });
    });
  }

  // A transfer a permission rule withholds from the citizen (for a while, or for ever) is left
  // out of every citizen's view; only the count and the reason are shown.
  static bool visible_now(const log::TransferRecord& r) { return r.visible_from_ms <= common::now_ms(); }

  std::string requester_name(const std::string& kennung) const {
    if (options.authority_name) {
      auto name = options.authority_name(kennung);
      return name.empty() ? kennung : name;
    }
    const auto name = options.authority_names.find(kennung);
    return name != options.authority_names.end() ? name->second : kennung;
  }

  json::object transfer_json(const log::TransferRecord& r) const {
    json::array fields;
    for (const auto& f : r.data_fields) fields.push_back(json::string(f));
    return json::object{{"id", r.sequence},
                        // The request's own reference (its nachrichtenUUID or EU request id): what
                        // the authority knows the request by, for a question to it.
                        {"reference", r.request_uuid},
                        {"data_fields", std::move(fields)},
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

  // The list's parameters, every one checked: a filter that is silently ignored would show the
  // citizen a list they did not ask for. `before` stays text: a transfer id on one node, a cursor
  // over the nodes in a cluster.
  struct TransferQuery {
    std::int64_t from = 0;
    std::int64_t to = INT64_MAX;
    std::int64_t limit = 20;
    std::string before;
    std::string authority;
    std::string type;
    std::string outcome;

    // The same question for another node's peer listener, from its own position.
    std::string peer_target(std::optional<std::uint64_t> position) const {
      std::string target = "/peer/v1/transfers?limit=" + std::to_string(limit);
      if (from != 0) target += "&from=" + std::to_string(from);
      if (to != INT64_MAX) target += "&to=" + std::to_string(to);
      if (position) target += "&before=" + std::to_string(*position);
      for (const auto& [name, value] : {std::pair{"authority", &authority}, {"type", &type}, {"outcome", &outcome}}) {
        if (!value->empty()) target += std::string("&") + name + "=" + common::percent_encode(*value);
      }
      return target;
    }
  };

  static std::variant<TransferQuery, net::HttpResponse> transfer_query(const net::HttpRequest& request) {
    auto query = common::query_parameters(request.query);
    for (const auto& [name, value] : query) {
      if (name != "from" && name != "to" && name != "limit" && name != "before" && name != "authority" && name != "type" &&
          name != "outcome") {
        return problem(400, "unknown parameter '" + name.substr(0, 40) + "'");
      }
      if (value.size() > 1024 || (name != "before" && value.size() > 128)) return problem(400, "parameter '" + name + "' is too long");
    }
    const auto invalid = [](const char* name, const char* expected) {
      return problem(400, std::string("parameter '") + name + "' must be " + expected);
    };
    TransferQuery q;
    if (query.contains("from")) {
      const auto v = time_filter(query["from"], false);
      if (!v) return invalid("from", "milliseconds since 1970 or a date YYYY-MM-DD");
      q.from = *v;
    }
    if (query.contains("to")) {
      const auto v = time_filter(query["to"], true);
      if (!v) return invalid("to", "milliseconds since 1970 or a date YYYY-MM-DD");
      q.to = *v;
    }
    if (q.from > q.to) return invalid("from", "no later than 'to'");
    if (query.contains("limit")) {
      const auto v = to_int(query["limit"]);
      if (!v || *v < 1 || *v > 100) return invalid("limit", "a whole number from 1 to 100");
      q.limit = *v;
    }
    q.before = query["before"];
    q.authority = query["authority"];
    q.type = query["type"];
    q.outcome = query["outcome"];
    if (!q.outcome.empty() && q.outcome != "delivered" && q.outcome != "refused") return invalid("outcome", "delivered or refused");
    return q;
  }

  // One node's part: the person's transfers in this log, newest first, from `before` on.
  json::object list(const TransferQuery& q, const std::string& pseudonym, std::optional<std::uint64_t> before) const {
    json::array items;
    std::optional<std::uint64_t> next;
    // Filters apply to the person's records as they come from the index; read on until the
    // page is full or the person's records end.
    for (;;) {
      const auto page = log.by_person(pseudonym, q.from, q.to, static_cast<std::size_t>(q.limit), before);
      for (const auto& r : page.records) {
        if (!visible_now(r)) continue;
        if ((!q.authority.empty() && r.requester != q.authority) || (!q.type.empty() && r.evidence_type != q.type)) continue;
        if ((q.outcome == "delivered" && r.outcome != "delivered") || (q.outcome == "refused" && r.outcome == "delivered")) continue;
        items.push_back(transfer_json(r));
        if (static_cast<std::int64_t>(items.size()) == q.limit) break;
      }
      if (static_cast<std::int64_t>(items.size()) == q.limit) {
        next = items.back().as_object().at("id").as_uint64();
        break;
      }
      if (!page.next_before) break;
      before = page.next_before;
    }
    json::object body{{"transfers", std::move(items)}};
    body["next_before"] = next ? json::value(*next) : json::value(nullptr);
    return body;
  }

  // This node's log alone (one node, or another node's question over the peer listener).
  net::HttpResponse transfers(const net::HttpRequest& request, const std::string& pseudonym) const {
    auto parsed = transfer_query(request);
    if (auto* failure = std::get_if<net::HttpResponse>(&parsed)) return std::move(*failure);
    const auto& q = std::get<TransferQuery>(parsed);
    std::optional<std::uint64_t> before;
    if (!q.before.empty()) {
      const auto v = to_int(q.before);
      if (!v) return problem(400, "parameter 'before' must be a transfer id (a whole number)");
      before = static_cast<std::uint64_t>(*v);
    }
    return json_response(200, list(q, pseudonym, before));
  }

  // What the page shows above the list: how many transfers, refusals, by which bodies, per month
  // (UTC), over all of the person's entries the log still holds.
  json::object overview(const std::string& pseudonym) const {
    std::uint64_t delivered = 0;
    std::uint64_t refused = 0;
    std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> by_requester;  // kennung -> delivered, refused
    std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> by_month;      // YYYY-MM -> the same
    std::int64_t first_ms = 0;
    std::map<std::string, std::uint64_t> withheld;  // basis -> count
    std::optional<std::uint64_t> before;
    for (;;) {
      const auto page = log.by_person(pseudonym, 0, INT64_MAX, 500, before);
      for (const auto& r : page.records) {
        if (!visible_now(r)) {
          ++withheld[r.withholding_basis];
          continue;
        }
        const bool ok = r.outcome == "delivered";
        (ok ? delivered : refused) += 1;
        auto& requester = by_requester[r.requester];
        (ok ? requester.first : requester.second) += 1;
        const auto day = std::chrono::floor<std::chrono::days>(std::chrono::sys_time<std::chrono::milliseconds>(std::chrono::milliseconds(r.time_ms)));
        const std::chrono::year_month_day date{day};
        char month[16];  // room for any year the type can hold
        std::snprintf(month, sizeof month, "%04d-%02u", static_cast<int>(date.year()), static_cast<unsigned>(date.month()));
        auto& m = by_month[month];
        (ok ? m.first : m.second) += 1;
        first_ms = r.time_ms;
      }
      if (!page.next_before) break;
      before = page.next_before;
    }
    json::array requesters;
    for (const auto& [kennung, counts] : by_requester) {
      requesters.push_back(json::object{{"requester", kennung}, {"requester_name", requester_name(kennung)},
                                        {"delivered", counts.first}, {"refused", counts.second}});
    }
    json::array months;
    for (const auto& [month, counts] : by_month) {
      months.push_back(json::object{{"month", month}, {"delivered", counts.first}, {"refused", counts.second}});
    }
    json::array withheld_json;
    for (const auto& [basis, count] : withheld) withheld_json.push_back(json::object{{"basis", basis}, {"count", count}});
    return json::object{{"withheld", std::move(withheld_json)},
                        {"delivered", delivered},
                        {"refused", refused},
                        {"since_ms", first_ms},
                        {"by_requester", std::move(requesters)},
                        {"by_month", std::move(months)}};
  }

  // The verifiable Auskunft (Art. 15 GDPR): every entry of the person the log holds and the person
  // may see, each with its inclusion proof and the checkpoint it was proven against, in one file
  // (format "oncegate-auskunft/1", docs/TRANSPARENCY.md), plus the count and reason of withheld
  // entries. oncegate-logverify --proof and the page verify it offline. Entries newer than the
  // cosigned checkpoint: a checkpoint is asked for and the answer is 503 with Retry-After.
  void auskunft(std::string pseudonym, boost::asio::any_io_executor executor, net::Responder respond) const {
    std::vector<log::TransferRecord> records;
    std::map<std::string, std::uint64_t> withheld;
    std::optional<std::uint64_t> before;
    for (;;) {
      const auto page = log.by_person(pseudonym, 0, INT64_MAX, 500, before);
      for (const auto& r : page.records) {
        if (visible_now(r)) {
          records.push_back(r);
        } else {
          ++withheld[r.withholding_basis];
        }
      }
      if (!page.next_before) break;
      before = page.next_before;
    }
    const auto head = log.latest_cosigned_head();
    const bool covered = records.empty() || (head && head->size > records.front().sequence);
    if (!covered) {
      log.request_head([executor, respond = std::move(respond)](const TreeHead&) mutable {
        boost::asio::post(executor, [respond = std::move(respond)] {
          respond(not_yet_cosigned("the newest entries are not yet in a checkpoint the log's witnesses cosigned; "
                                   "try again in a moment"));
        });
      });
      return;
    }
    json::object checkpoints;
    json::array entries;
    for (const auto& r : records) {
      const auto proof = log.prove(r.sequence);
      if (!proof || proof->record.pseudonym != pseudonym) continue;  // purged meanwhile
      json::array path;
      for (const auto& h : proof->path) path.push_back(json::string(common::to_hex(h)));
      const std::string size = std::to_string(proof->head.size);
      if (!checkpoints.contains(size)) checkpoints[size] = proof->head.checkpoint;
      entries.push_back(json::object{{"transfer", transfer_json(proof->record)},
                                     {"record", proof->record_bytes},
                                     {"salt", common::to_hex(proof->salt)},
                                     {"entry", common::to_hex(proof->entry)},
                                     {"leaf_hash", common::to_hex(proof->leaf)},
                                     {"leaf_index", proof->record.sequence},
                                     {"path", std::move(path)},
                                     {"tree_head", json::object{{"size", proof->head.size}, {"root", proof->head.root_hex}}}});
    }
    json::array withheld_json;
    for (const auto& [basis, count] : withheld) withheld_json.push_back(json::object{{"basis", basis}, {"count", count}});
    auto response = json_response(200, json::object{{"format", "oncegate-auskunft/1"},
                                                    {"created_ms", common::now_ms()},
                                                    {"log", log_keys(pseudonym)},
                                                    {"checkpoints", std::move(checkpoints)},
                                                    {"entries", std::move(entries)},
                                                    {"withheld", std::move(withheld_json)}});
    response.headers.emplace_back("Content-Disposition", "attachment; filename=\"datencockpit-auskunft.json\"");
    respond(std::move(response));
  }

  // The words for the codes, public: they say nothing about anyone.
  json::object catalogue_json() const {
    const auto entries = [](const std::vector<config::CatalogueEntry>& list) {
      json::object out;
      for (const auto& e : list) {
        json::object entry{{"de", e.de}, {"en", e.en}};
        if (!e.phrase_de.empty()) entry["phrase_de"] = e.phrase_de;
        if (!e.phrase_en.empty()) entry["phrase_en"] = e.phrase_en;
        out[e.code] = std::move(entry);
      }
      return out;
    };
    const auto& c = options.catalogue;
    json::object contacts;
    for (const auto& contact : c.contacts) contacts[contact.kennung] = json::object{{"de", contact.de}, {"en", contact.en}};
    return json::object{{"evidence_types", entries(c.evidence_types)},
                        {"purposes", entries(c.purposes)},
                        {"legal_bases", entries(c.legal_bases)},
                        {"fields", entries(c.fields)},
                        {"contacts", std::move(contacts)},
                        {"supervisory_authority", json::object{{"de", c.supervisory_authority_de}, {"en", c.supervisory_authority_en}}},
                        {"retention_days", options.retention_days}};
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
      return not_yet_cosigned("the log has no checkpoint its witnesses cosigned yet; try again in a moment");
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
        return not_yet_cosigned("this transfer is not yet in a checkpoint the log's witnesses cosigned; it will be "
                                "within about a second");
      }
    }
    // Another person's transfer and a transfer that does not exist look the same.
    if (!proof || proof->record.pseudonym != pseudonym || !visible_now(proof->record)) return problem(404, "no such transfer");
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
    // In a cluster the transfer names its node, as in the list (the page finds its row by it).
    if (options.peers) {
      body["node"] = options.peers->self();
      body["transfer"].as_object()["node"] = options.peers->self();
    }
    return json_response(200, body);
  }

  // ---- A cluster: every node keeps its own log; the citizen's view is all of them ----

  // /peer/v1/protocol?from_ms=&to_ms=&limit=&before=: this log's page for the DSC interface.
  net::HttpResponse protocol_page(const net::HttpRequest& request, const std::string& pseudonym) const {
    auto query = common::query_parameters(request.query);
    log::ProtocolPageQuery page;
    for (const auto& [name, value] : query) {
      const auto number = to_int(value);
      if (!number || *number < 0) return problem(400, "parameter '" + name.substr(0, 40) + "' must be a whole number");
      if (name == "from_ms") {
        page.from_ms = *number;
      } else if (name == "to_ms") {
        page.to_ms = *number;
      } else if (name == "limit" && *number >= 1 && *number <= 100) {
        page.limit = static_cast<std::size_t>(*number);
      } else if (name == "before") {
        page.before = static_cast<std::uint64_t>(*number);
      } else {
        return problem(400, "unknown or out-of-range parameter '" + name.substr(0, 40) + "'");
      }
    }
    try {
      auto response = net::json_text_response(200, log::protocol_page_json(log::protocol_page(log, pseudonym, page, common::now_ms())));
      response.headers.emplace_back("Cache-Control", "no-store");
      return response;
    } catch (const std::exception&) {
      return problem(503, "the transfer log cannot be read");
    }
  }

  // Where one node's part of the list stands after the pages the citizen saw.
  using Position = log::NodePlace;

  // Which nodes answered: every node is named, a node that did not answer with the reason.
  static json::array nodes_json(const std::string& self, const std::vector<datacockpit::PeerAnswer>& answers) {
    std::map<std::string, json::object> nodes;
    nodes[self] = json::object{{"node", self}, {"answered", true}};
    for (const auto& a : answers) {
      json::object node{{"node", a.node}, {"answered", a.answered}};
      if (!a.answered) node["problem"] = a.problem.substr(0, 200);
      nodes[a.node] = std::move(node);
    }
    json::array out;
    for (auto& [name, node] : nodes) out.push_back(std::move(node));
    return out;
  }

  // The store that names the nodes cannot be read: which logs to ask is unknown.
  static net::HttpResponse directory_unreadable() {
    return problem(503, "the cluster's node directory cannot be read; try again");
  }

  static std::optional<json::object> parse_object(std::string_view text) {
    boost::system::error_code ec;
    auto parsed = json::parse(text, ec);
    if (ec || !parsed.is_object()) return std::nullopt;
    return std::move(parsed.as_object());
  }

  // The answer's body when the node answered 200 with a JSON object; otherwise nullopt, and the
  // answer says why (so that the node is named as not answering).
  static std::optional<json::object> usable_body(datacockpit::PeerAnswer& answer) {
    if (!answer.answered) return std::nullopt;
    auto body = answer.status == 200 ? parse_object(answer.body) : std::nullopt;
    if (!body) {
      answer.problem = answer.status == 200 ? "gave an answer that cannot be read" : "answered with status " + std::to_string(answer.status);
      answer.answered = false;
    }
    return body;
  }

  struct NodePart {
    std::string node;
    Position old;
    bool answered = false;
    std::vector<json::object> items;
    std::optional<std::uint64_t> next;
  };

  // A whole number >= 0 that fits (ids, times), else nullopt: a peer's answer is checked
  // before anything is read from it.
  static std::optional<std::int64_t> whole(const json::value* v) {
    if (v == nullptr) return std::nullopt;
    if (v->is_int64() && v->as_int64() >= 0) return v->as_int64();
    if (v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) return static_cast<std::int64_t>(v->as_uint64());
    return std::nullopt;
  }

  static bool read_part(const json::object& body, NodePart& part) {
    const auto* items = body.if_contains("transfers");
    const auto* next = body.if_contains("next_before");
    if (items == nullptr || !items->is_array() || next == nullptr || !(next->is_null() || whole(next))) return false;
    for (const auto& item : items->as_array()) {
      const auto* object = item.if_object();
      if (object == nullptr || !whole(object->if_contains("id")) || !whole(object->if_contains("time_ms"))) return false;
      part.items.push_back(*object);
    }
    if (!next->is_null()) part.next = static_cast<std::uint64_t>(*whole(next));
    part.answered = true;
    return true;
  }

  // Newest first over all nodes, each node's part taken in its own order (a k-way merge), so
  // that a node's position after the page is exact.
  // `cursor`: the places the citizen's cursor named; a node it names that is not in this answer
  // (not in the directory for a moment) keeps its place.
  static json::object merge(std::vector<NodePart> parts, std::int64_t limit, json::array nodes,
                            const log::NodeCursor& cursor) {
    std::sort(parts.begin(), parts.end(), [](const NodePart& a, const NodePart& b) { return a.node < b.node; });
    std::vector<std::size_t> taken(parts.size(), 0);
    json::array items;
    while (static_cast<std::int64_t>(items.size()) < limit) {
      std::optional<std::size_t> best;
      std::int64_t best_time = 0;
      for (std::size_t i = 0; i < parts.size(); ++i) {
        if (taken[i] >= parts[i].items.size()) continue;
        const auto time = *whole(parts[i].items[taken[i]].if_contains("time_ms"));
        if (!best || time > best_time) {
          best = i;
          best_time = time;
        }
      }
      if (!best) break;
      auto item = parts[*best].items[taken[*best]++];
      item["node"] = parts[*best].node;
      items.push_back(std::move(item));
    }
    log::NodeCursor positions = cursor;
    for (std::size_t i = 0; i < parts.size(); ++i) {
      const auto& part = parts[i];
      Position position = part.old;
      if (part.answered && taken[i] == part.items.size()) {
        position = part.next ? Position{Position::Kind::before, *part.next} : Position{Position::Kind::end, 0};
      } else if (part.answered && taken[i] > 0) {
        position = {Position::Kind::before, static_cast<std::uint64_t>(*whole(part.items[taken[i] - 1].if_contains("id")))};
      }
      positions[part.node] = position;
    }
    json::object body{{"transfers", std::move(items)}, {"nodes", std::move(nodes)}};
    body["next_before"] = log::node_cursor_continues(positions) ? json::value(log::node_cursor_text(positions)) : json::value(nullptr);
    return body;
  }

  void cluster_transfers(const net::HttpRequest& request, const std::string& pseudonym, boost::asio::any_io_executor executor,
                         net::Responder respond) const {
    auto parsed = transfer_query(request);
    if (auto* failure = std::get_if<net::HttpResponse>(&parsed)) return respond(std::move(*failure));
    auto query = std::get<TransferQuery>(std::move(parsed));
    auto cursor = log::parse_node_cursor(query.before);
    if (!cursor) return respond(problem(400, "parameter 'before' must be the next_before of an earlier answer"));
    const auto places = *cursor;
    const auto position_of = [cursor = *cursor](const std::string& node) {
      const auto found = cursor.find(node);
      return found == cursor.end() ? Position{} : found->second;
    };
    const std::string& self = options.peers->self();
    NodePart local;
    local.node = self;
    local.old = position_of(self);
    if (local.old.kind != Position::Kind::end) {
      read_part(list(query, pseudonym, local.old.before()), local);
    } else {
      local.answered = true;
    }
    options.peers->ask_all(
        [query, position_of](const std::string& node) {
          const auto position = position_of(node);
          return position.kind == Position::Kind::end ? std::string() : query.peer_target(position.before());
        },
        pseudonym, executor,
        [self, limit = query.limit, local = std::move(local), position_of, places,
         respond = std::move(respond)](std::optional<std::vector<datacockpit::PeerAnswer>> answers) mutable {
          if (!answers) return respond(directory_unreadable());
          std::vector<NodePart> parts{std::move(local)};
          for (auto& answer : *answers) {
            NodePart part;
            part.node = answer.node;
            part.old = position_of(answer.node);
            if (answer.answered && answer.status == 0) {
              part.answered = true;  // done before this page: not asked
            } else if (const auto body = usable_body(answer); body && !read_part(*body, part)) {
              part.items.clear();
              part.answered = false;
              answer.answered = false;
              answer.problem = "gave an answer that is not a list of transfers";
            }
            parts.push_back(std::move(part));
          }
          respond(json_response(200, merge(std::move(parts), limit, nodes_json(self, *answers), places)));
        });
  }

  // The counts over every node's log.
  void cluster_overview(const std::string& pseudonym, boost::asio::any_io_executor executor, net::Responder respond) const {
    auto local = overview(pseudonym);
    const std::string self = options.peers->self();
    options.peers->ask_all(
        [](const std::string&) { return std::string("/peer/v1/overview"); }, pseudonym, executor,
        [self, local = std::move(local), respond = std::move(respond)](std::optional<std::vector<datacockpit::PeerAnswer>> answers) mutable {
          if (!answers) return respond(directory_unreadable());
          std::vector<json::object> parts{std::move(local)};
          for (auto& answer : *answers) {
            if (auto body = usable_body(answer)) parts.push_back(std::move(*body));
          }
          auto merged = merge_overviews(parts);
          merged["nodes"] = nodes_json(self, *answers);
          respond(json_response(200, merged));
        });
  }

  static json::object merge_overviews(const std::vector<json::object>& parts) {
    const auto number = [](const json::object& o, const char* key) -> std::uint64_t {
      return static_cast<std::uint64_t>(whole(o.if_contains(key)).value_or(0));
    };
    std::uint64_t delivered = 0, refused = 0;
    std::int64_t since = 0;
    std::map<std::string, json::object> requesters, months;
    std::map<std::string, std::uint64_t> withheld;
    const auto add = [&](std::map<std::string, json::object>& into, const json::value* list, const char* key) {
      if (list == nullptr || !list->is_array()) return;
      for (const auto& entry : list->as_array()) {
        if (!entry.is_object() || !entry.as_object().contains(key) || !entry.as_object().at(key).is_string()) continue;
        const auto& e = entry.as_object();
        auto& sum = into[std::string(e.at(key).as_string())];
        if (sum.empty()) sum = e;
        else {
          sum["delivered"] = number(sum, "delivered") + number(e, "delivered");
          sum["refused"] = number(sum, "refused") + number(e, "refused");
        }
      }
    };
    for (const auto& part : parts) {
      delivered += number(part, "delivered");
      refused += number(part, "refused");
      const auto first = static_cast<std::int64_t>(number(part, "since_ms"));
      if (first != 0 && (since == 0 || first < since)) since = first;
      add(requesters, part.if_contains("by_requester"), "requester");
      add(months, part.if_contains("by_month"), "month");
      if (const auto* list = part.if_contains("withheld"); list != nullptr && list->is_array()) {
        for (const auto& entry : list->as_array()) {
          if (!entry.is_object() || !entry.as_object().contains("basis") || !entry.as_object().at("basis").is_string()) continue;
          withheld[std::string(entry.as_object().at("basis").as_string())] += number(entry.as_object(), "count");
        }
      }
    }
    const auto array_of = [](std::map<std::string, json::object>& from) {
      json::array out;
      for (auto& [key, entry] : from) out.push_back(std::move(entry));
      return out;
    };
    json::array withheld_json;
    for (const auto& [basis, count] : withheld) withheld_json.push_back(json::object{{"basis", basis}, {"count", count}});
    return json::object{{"withheld", std::move(withheld_json)},  {"delivered", delivered},
                        {"refused", refused},                    {"since_ms", since},
                        {"by_requester", array_of(requesters)}, {"by_month", array_of(months)}};
  }

  // The node a detail or log question names (?node=), empty when it is this one (or one node).
  std::string other_node(const net::HttpRequest& request) const {
    if (!options.peers) return {};
    auto node = common::query_parameter(request.query, "node");
    return node == options.peers->self() || node.size() > 64 ? std::string() : node;
  }

  // The verifiable Auskunft of every node: one "oncegate-auskunft/1" part per node's log, each
  // verifiable on its own ("oncegate-auskunft-set/1", docs/TRANSPARENCY.md), and the nodes that
  // did not answer named. A part not yet under a cosigned checkpoint makes the whole 503.
  void cluster_auskunft(const std::string& pseudonym, boost::asio::any_io_executor executor, net::Responder respond) const {
    const std::string self = options.peers->self();
    auskunft(pseudonym, executor, [this, self, pseudonym, executor, respond = std::move(respond)](net::HttpResponse local) mutable {
      if (local.status != 200) return respond(std::move(local));
      auto local_part = parse_object(local.body);
      if (!local_part) return respond(problem(500, "the Auskunft could not be put together"));
      options.peers->ask_all(
          [](const std::string&) { return std::string("/peer/v1/auskunft"); }, pseudonym, executor,
          [self, local_part = std::move(*local_part), respond = std::move(respond)](
              std::optional<std::vector<datacockpit::PeerAnswer>> answers) mutable {
            if (!answers) return respond(directory_unreadable());
            local_part["node"] = self;
            std::vector<json::object> parts{std::move(local_part)};
            for (auto& answer : *answers) {
              if (answer.answered && answer.status == 503) {
                auto response = problem(503, "the newest entries of node '" + answer.node + "' are not yet in a checkpoint its witnesses cosigned; try again in a moment");
                response.headers.emplace_back("Retry-After", "1");
                return respond(std::move(response));
              }
              if (auto part = usable_body(answer)) {
                (*part)["node"] = answer.node;
                parts.push_back(std::move(*part));
              }
            }
            std::sort(parts.begin(), parts.end(), [](const json::object& a, const json::object& b) {
              return a.at("node").as_string() < b.at("node").as_string();
            });
            json::array parts_json;
            for (auto& part : parts) parts_json.push_back(std::move(part));
            auto response = json_response(200, json::object{{"format", "oncegate-auskunft-set/1"},
                                                            {"created_ms", common::now_ms()},
                                                            {"parts", std::move(parts_json)},
                                                            {"nodes", nodes_json(self, *answers)}});
            response.headers.emplace_back("Content-Disposition", "attachment; filename=\"datencockpit-auskunft.json\"");
            respond(std::move(response));
          },
          true);
    });
  }

  // A question about one transfer or one log of another node, its answer passed on as it is
  // (the proof is that node's own), with the node named in it.
  void at_node(const std::string& node, std::string target, const std::string& pseudonym, boost::asio::any_io_executor executor,
               net::Responder respond) const {
    options.peers->ask(node, std::move(target), pseudonym, executor, [node, respond = std::move(respond)](datacockpit::PeerAnswer answer) {
      if (!answer.answered) {
        if (answer.problem == "unknown node") return respond(problem(404, "no such node"));
        return respond(problem(504, "node '" + node + "', which holds this, did not answer; try again"));
      }
      // Its "no such transfer" and "not yet cosigned, try again" are the citizen's answer too; any
      // other refusal is this cluster's fault, not the citizen's.
      if (answer.status == 404 || answer.status == 503) {
        auto response = json_response(answer.status, parse_object(answer.body).value_or(json::object{{"error", "node '" + node + "' refused"}}));
        if (!answer.retry_after.empty()) response.headers.emplace_back("Retry-After", answer.retry_after.substr(0, 8));
        return respond(std::move(response));
      }
      auto body = usable_body(answer);
      if (!body) return respond(problem(502, "node '" + node + "' " + answer.problem));
      if (auto* transfer = body->if_contains("transfer"); transfer != nullptr && transfer->is_object()) transfer->as_object()["node"] = node;
      (*body)["node"] = node;
      respond(json_response(200, *body));
    });
  }
};

Cockpit::Cockpit(CockpitOptions options, log::TransferLog& log)
    : impl_(std::make_unique<Impl>(std::move(options), log)) {}

Cockpit::~Cockpit() = default;

void Cockpit::register_routes(net::Router& router) const {
  auto self = shared_from_this();
  const auto static_file = [](std::string_view content, const char* type) {
    return [content, type](net::HttpRequest, const net::ConnectionInfo&, boost::asio::any_io_executor, net::Responder respond) {
      respond(web::secured(net::HttpResponse{200, type, std::string(content), {}}));
    };
  };
  router.add("GET", "/cockpit/", static_file(static_index_html(), "text/html; charset=utf-8"));
  router.add("GET", "/cockpit/app.js", static_file(static_app_js(), "text/javascript; charset=utf-8"));
  router.add("GET", "/cockpit/style.css", static_file(static_style_css(), "text/css; charset=utf-8"));

  // Requests that change state must come from the cockpit's own script: a custom header cannot be
  // sent cross-site without a CORS preflight, which is never granted (CSRF defence besides
  // SameSite=Strict).
  const auto from_own_page = [](const net::HttpRequest& request) { return request.header("x-oncegate-cockpit") == "1"; };

  // Sign-in: to the provider with a new state, nonce and PKCE challenge.
  router.add("GET", "/cockpit/login",
             [self](net::HttpRequest, const net::ConnectionInfo&, boost::asio::any_io_executor executor, net::Responder respond) {
               auto rp = self->impl_->relying_party;
               const auto lifetime = static_cast<std::int64_t>(self->impl_->options.oidc.pending_lifetime.count());
               auto task = [rp, executor, respond, lifetime]() mutable {
                 SigninFailure failure = SigninFailure::unavailable;
                 std::string reason;
                 auto start = rp->begin(&failure, &reason);
                 boost::asio::post(executor, [start = std::move(start), failure, reason, respond = std::move(respond),
                                              lifetime]() mutable {
                   if (!start) return respond(signin_failed(failure, reason));
                   auto response = web::redirect(start->authorization_url);
                   response.headers.emplace_back("Set-Cookie", login_cookie(start->state, lifetime));
                   respond(std::move(response));
                 });
               };
               if (!self->impl_->worker->post(std::move(task))) respond(signin_failed(SigninFailure::busy, "sign-in queue full"));
             });
  // The provider sends the browser back here with the code (or an error) and the state.
  router.add("GET", "/cockpit/callback",
             [self](net::HttpRequest request, const net::ConnectionInfo&, boost::asio::any_io_executor executor,
                    net::Responder respond) {
               auto parameters = common::query_parameters(request.query);
               const std::string state = parameters["state"];
               const std::string code = parameters["code"];
               const std::string bound = web::cookie_value(request, kLoginCookie);
               if (state.empty() || state.size() > 512 || code.size() > 4096) {
                 return respond(signin_failed(SigninFailure::expired, "callback without a usable state"));
               }
               auto rp = self->impl_->relying_party;
               if (bound.empty() || !crypto::constant_time_equal(bound, state)) {
                 return respond(signin_failed(SigninFailure::mismatch, "the state is not the one this browser began"));
               }
               if (!parameters["error"].empty()) {
                 rp->abandon(state);
                 return respond(signin_failed(SigninFailure::cancelled, "the provider answered " + parameters["error"].substr(0, 60)));
               }
               if (code.empty()) return respond(signin_failed(SigninFailure::rejected, "callback without a code"));
               auto sessions = self->impl_->sessions;
               const auto ttl = self->impl_->options.session_ttl;
               const std::string secret = self->impl_->options.pseudonym_secret;
               auto task = [rp, sessions, ttl, secret, state, code, executor, respond]() mutable {
                 auto result = rp->finish(state, code);
                 boost::asio::post(executor, [result = std::move(result), sessions, ttl, secret, executor,
                                              respond = std::move(respond)]() mutable {
                   if (!result.citizen) return respond(signin_failed(result.failure, result.reason));
                   // The session ends no later than the ID token.
                   const auto token_left = std::chrono::seconds(
                       result.citizen->expires_at -
                       std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
                   const auto lifetime = std::max(std::chrono::seconds(0), std::min(ttl, token_left));
                   if (lifetime.count() == 0) return respond(signin_failed(SigninFailure::rejected, "the ID token has no time left"));
                   const std::string id = crypto::random_hex(32);
                   sessions->put(session_key(id), session_value(log::pseudonym(secret, result.citizen->idnr), result.id_token),
                                 lifetime, [executor, id, lifetime, respond = std::move(respond)](store::SharedState::Put outcome) mutable {
                                   boost::asio::post(executor, [outcome, id, lifetime, respond = std::move(respond)] {
                                     if (outcome == store::SharedState::Put::full || outcome == store::SharedState::Put::exists) {
                                       return respond(signin_failed(SigninFailure::busy, "the session limit is reached"));
                                     }
                                     if (outcome != store::SharedState::Put::stored) {
                                       return respond(signin_failed(SigninFailure::store, "the session store cannot be reached"));
                                     }
                                     auto response = web::redirect("/cockpit/");
                                     response.headers.emplace_back("Set-Cookie", session_cookie(id, lifetime.count()));
                                     response.headers.emplace_back("Set-Cookie", login_cookie("", 0));
                                     respond(std::move(response));
                                   });
                                 });
                 });
               };
               if (!self->impl_->worker->post(std::move(task))) respond(signin_failed(SigninFailure::busy, "sign-in queue full"));
             });
  router.add("POST", "/cockpit/api/logout",
             [self, from_own_page](net::HttpRequest request, const net::ConnectionInfo&, boost::asio::any_io_executor executor,
                                   net::Responder respond) {
               if (!from_own_page(request)) return respond(problem(403, "missing X-Oncegate-Cockpit header"));
               const auto signed_out = [self](std::optional<Session> session) {
                 // Ends the provider's session too where it offers RP-initiated logout: the page goes there.
                 const std::string end_session = session ? self->impl_->relying_party->end_session_url(session->id_token) : std::string();
                 auto response = json_response(200, json::object{{"signed_out", true},
                                                                 {"end_session_url", end_session.empty() ? json::value(nullptr)
                                                                                                          : json::value(end_session)}});
                 response.headers.emplace_back("Set-Cookie", session_cookie("", 0));
                 return response;
               };
               const std::string id = web::cookie_value(request, kCookie);
               if (id.empty() || id.size() > 128) return respond(signed_out(std::nullopt));
               // Taken, not read: the session is gone for every node at once.
               self->impl_->sessions->take(session_key(id), [executor, signed_out, respond = std::move(respond)](
                                                                std::optional<std::string> value, bool reachable) mutable {
                 boost::asio::post(executor, [value = std::move(value), reachable, signed_out, respond = std::move(respond)] {
                   if (!reachable) return respond(problem(503, "the session store cannot be reached; try again"));
                   respond(signed_out(value ? parse_session(*value) : std::nullopt));
                 });
               });
             });
  // A route for the signed-in citizen only: 401 with the reason otherwise; `handle` gets the pseudonym.
  using CitizenHandler = std::function<void(const net::HttpRequest&, std::string pseudonym, boost::asio::any_io_executor,
                                            net::Responder)>;
  const auto signed_in = [self](CitizenHandler handle) {
    return [self, handle = std::move(handle)](net::HttpRequest request, const net::ConnectionInfo&,
                                              boost::asio::any_io_executor executor, net::Responder respond) {
      auto request_kept = std::make_shared<net::HttpRequest>(std::move(request));
      self->impl_->citizen(*request_kept, executor, [request_kept, handle, executor, respond = std::move(respond)](
                                                        std::optional<Session> session, std::string reason) mutable {
        if (session) return handle(*request_kept, std::move(session->pseudonym), std::move(executor), std::move(respond));
        if (reason.empty()) return respond(problem(503, "the session store cannot be reached; try again"));
        respond(problem(401, reason));
      });
    };
  };
  // In a cluster the list and the counts are every node's; each transfer names its node.
  router.add("GET", "/cockpit/api/transfers",
             signed_in([self](const net::HttpRequest& request, std::string pseudonym, boost::asio::any_io_executor executor,
                              net::Responder respond) {
               if (!self->impl_->options.peers) return respond(self->impl_->transfers(request, pseudonym));
               self->impl_->cluster_transfers(request, pseudonym, executor,
                                              [self, respond = std::move(respond)](net::HttpResponse r) { respond(std::move(r)); });
             }));
  router.add("GET", "/cockpit/api/overview",
             signed_in([self](const net::HttpRequest&, std::string pseudonym, boost::asio::any_io_executor executor,
                              net::Responder respond) {
               if (!self->impl_->options.peers) return respond(json_response(200, self->impl_->overview(pseudonym)));
               self->impl_->cluster_overview(pseudonym, executor,
                                             [self, respond = std::move(respond)](net::HttpResponse r) { respond(std::move(r)); });
             }));
  router.add("GET", "/cockpit/api/auskunft",
             signed_in([self](const net::HttpRequest&, std::string pseudonym, boost::asio::any_io_executor executor,
                              net::Responder respond) {
               auto keep = [self, respond = std::move(respond)](net::HttpResponse r) { respond(std::move(r)); };
               if (self->impl_->options.peers) return self->impl_->cluster_auskunft(pseudonym, executor, std::move(keep));
               self->impl_->auskunft(std::move(pseudonym), executor, std::move(keep));
             }));
  router.add("GET", "/cockpit/api/catalogue",
             [self](net::HttpRequest, const net::ConnectionInfo&, boost::asio::any_io_executor, net::Responder respond) {
               auto response = json_response(200, self->impl_->catalogue_json());
               respond(std::move(response));
             });
  // ?node=NAME in a cluster: another node's log (its checkpoint, its consistency proof).
  router.add("GET", "/cockpit/api/log",
             signed_in([self](const net::HttpRequest& request, std::string pseudonym, boost::asio::any_io_executor executor,
                              net::Responder respond) {
               const auto node = self->impl_->other_node(request);
               if (node.empty()) return respond(self->impl_->log_state(request, pseudonym));
               const auto from = to_int(common::query_parameter(request.query, "from"));
               self->impl_->at_node(node, "/peer/v1/log" + (from ? "?from=" + std::to_string(*from) : std::string()), pseudonym, executor,
                                    [self, respond = std::move(respond)](net::HttpResponse r) { respond(std::move(r)); });
             }));
  // ?node=NAME in a cluster: a transfer in another node's log, with that log's proof.
  router.add_prefix("GET", "/cockpit/api/transfers/",
                    signed_in([self](const net::HttpRequest& request, std::string pseudonym,
                                     boost::asio::any_io_executor executor, net::Responder respond) {
                      // Keeps the cockpit alive until the answer is out.
                      auto keep = [self, respond = std::move(respond)](net::HttpResponse r) { respond(std::move(r)); };
                      const auto id_text = std::string_view(request.path).substr(23);
                      const auto node = self->impl_->other_node(request);
                      if (node.empty()) return self->impl_->detail(id_text, std::move(pseudonym), executor, std::move(keep));
                      const auto id = to_int(id_text);
                      if (!id) return keep(problem(404, "no such transfer"));
                      self->impl_->at_node(node, "/peer/v1/transfers/" + std::to_string(*id), pseudonym, executor, std::move(keep));
                    }));

}

void Cockpit::register_peer_routes(net::Router& router, std::set<std::string> node_certificates) const {
  auto self = shared_from_this();
  // Only the other nodes, by the certificate they present (the listener verified its chain), and
  // only with a pseudonym: the peer listener never sees an IDNr or a citizen's session.
  using PeerHandler = std::function<void(const net::HttpRequest&, std::string pseudonym, boost::asio::any_io_executor, net::Responder)>;
  const auto from_node = [self, node_certificates = std::make_shared<const std::set<std::string>>(std::move(node_certificates))](
                             PeerHandler handle) {
    return [self, node_certificates, handle = std::move(handle)](net::HttpRequest request, const net::ConnectionInfo& connection,
                                                                   boost::asio::any_io_executor executor, net::Responder respond) {
      if (connection.peer_certificate_fingerprint.empty() || !node_certificates->contains(connection.peer_certificate_fingerprint)) {
        return respond(problem(403, "this listener answers the cluster's nodes only"));
      }
      const std::string pseudonym(request.header(kPeerPseudonymHeader));
      if (pseudonym.empty() || pseudonym.size() > 128 ||
          pseudonym.find_first_not_of("0123456789abcdef") != std::string::npos) {
        return respond(problem(400, "the pseudonym header is missing or malformed"));
      }
      handle(request, pseudonym, executor, std::move(respond));
    };
  };
  router.add("GET", "/peer/v1/transfers",
             from_node([self](const net::HttpRequest& request, std::string pseudonym, boost::asio::any_io_executor, net::Responder respond) {
               respond(self->impl_->transfers(request, pseudonym));
             }));
  router.add("GET", "/peer/v1/overview",
             from_node([self](const net::HttpRequest&, std::string pseudonym, boost::asio::any_io_executor, net::Responder respond) {
               respond(json_response(200, self->impl_->overview(pseudonym)));
             }));
  router.add("GET", "/peer/v1/auskunft",
             from_node([self](const net::HttpRequest&, std::string pseudonym, boost::asio::any_io_executor executor, net::Responder respond) {
               self->impl_->auskunft(std::move(pseudonym), executor,
                                     [self, respond = std::move(respond)](net::HttpResponse r) { respond(std::move(r)); });
             }));
  router.add("GET", "/peer/v1/log",
             from_node([self](const net::HttpRequest& request, std::string pseudonym, boost::asio::any_io_executor, net::Responder respond) {
               respond(self->impl_->log_state(request, pseudonym));
             }));
  // The national Datenschutzcockpit's page of this node's log (the DSC interface at another node
  // merges every node's): entries with their proofs, the withheld counted, the log's keys.
  router.add("GET", "/peer/v1/protocol",
             from_node([self](const net::HttpRequest& request, std::string pseudonym, boost::asio::any_io_executor, net::Responder respond) {
               respond(self->impl_->protocol_page(request, pseudonym));
             }));
  router.add_prefix("GET", "/peer/v1/transfers/",
                    from_node([self](const net::HttpRequest& request, std::string pseudonym, boost::asio::any_io_executor executor,
                                     net::Responder respond) {
                      self->impl_->detail(std::string_view(request.path).substr(19), std::move(pseudonym), executor,
                                          [self, respond = std::move(respond)](net::HttpResponse r) { respond(std::move(r)); });
                    }));
}

void Cockpit::stop() {
  if (impl_->options.peers) impl_->options.peers->stop();
}

void Cockpit::listening(const std::string& origin) { impl_->relying_party->listening(origin, impl_->options.demo_issuer); }

}  // namespace oncegate::datacockpit
