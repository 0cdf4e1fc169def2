#include "adapters/remote/remote_register.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <deque>
#include <exception>
#include <filesystem>
#include <mutex>
#include <system_error>
#include <utility>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "adapters/remote/circuit_breaker.hpp"
#include "gateway/message/register_protocol.hpp"
#include "gateway/net/bounded_parser.hpp"
#include "gateway/oplog/oplog.hpp"

namespace oncegate::adapters::remote {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kBodyLimit = 64 * 1024;
constexpr std::uint32_t kHeaderLimit = 16 * 1024;
// Idle connections older than this are closed rather than reused: servers drop idle keep-alive
// connections after a while (oncegate's own listeners after 30 s), and a connection the server
// may just be closing is a likely retry.
constexpr auto kMaxIdle = std::chrono::seconds(10);
// The health probe may take the connect timeout plus this for its answer.
constexpr auto kProbeAnswerTime = std::chrono::seconds(2);
// X-Correlation-ID values longer than this, or with characters outside printable ASCII, are not
// forwarded (they would allow header injection or bloat).
constexpr std::size_t kMaxCorrelationId = 128;

FetchResult failure(FetchStatus status, std::string detail) {
  FetchResult result;
  result.status = status;
  result.detail = std::move(detail);
  return result;
}

void log_event(std::string_view level, std::string_view event, std::string_view adapter,
               std::string_view register_address, std::string_view detail) {
  const auto severity = level == "warn" ? oplog::Level::warn : level == "error" ? oplog::Level::error : oplog::Level::info;
  oplog::write(severity, event, {{"adapter", adapter}, {"register", register_address}, {"detail", detail}});
}

struct LogLine {
  std::string level;
  std::string event;
  std::string detail;
};

bool is_ip_address(const std::string& host) {
  boost::system::error_code ec;
  (void)asio::ip::make_address(host, ec);
  return !ec;
}

bool forwardable_correlation_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxCorrelationId) return false;
  return std::all_of(id.begin(), id.end(), [](char c) { return c > 0x20 && c < 0x7F; });
}

// Why a TLS handshake failed, in the words of the certificate check when it was that.
std::string handshake_problem(SSL* ssl, const beast::error_code& ec) {
  std::string text = ec.message();
  const long verify = SSL_get_verify_result(ssl);
  if (verify != X509_V_OK) {
    text += " (";
    text += X509_verify_cert_error_string(verify);
    text += ")";
  }
  return text;
}

// One keep-alive connection to the register. Used by one exchange at a time, on its own strand.
struct Connection {
  Connection(const asio::any_io_executor& executor, std::shared_ptr<asio::ssl::context> context)
      : tls(std::move(context)),
        stream(asio::make_strand(executor), *tls),
        resolver(stream.get_executor()) {}

  void close() {
    beast::error_code ignored;
    beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(stream).close();
  }

  std::shared_ptr<asio::ssl::context> tls;  // before the stream: outlives it
  beast::ssl_stream<beast::tcp_stream> stream;
  tcp::resolver resolver;
  beast::flat_buffer buffer{kHeaderLimit + 16 * 1024};  // a larger header or any trailer ends the read
  bool established = false;  // TCP + TLS done; from then on the connection counts as reused
  Clock::time_point idle_since{};
};

// Closes a connection on its own strand (its stream may only be touched there).
void close_later(const std::shared_ptr<Connection>& connection) {
  asio::post(connection->stream.get_executor(), [connection] { connection->close(); });
}

class Exchange;

}  // namespace

namespace detail {

// Everything pending work needs; owned jointly by the adapter and the work in flight, so that
// the adapter can go while calls, queue timers and probes are still pending.
struct RemoteRegisterState : std::enable_shared_from_this<RemoteRegisterState> {
  // A call waiting for a pool slot, with a timer for its deadline.
  struct Waiter {
    Waiter(std::shared_ptr<Exchange> e, const asio::any_io_executor& executor)
        : exchange(std::move(e)), timer(executor) {}
    std::shared_ptr<Exchange> exchange;
    asio::steady_timer timer;  // started and cancelled only under `mutex`
  };

  // What to do once the mutex is released: nothing that calls out (handlers, logging, closing
  // sockets on their strands) happens under the lock.
  struct Aftermath {
    std::vector<std::shared_ptr<Connection>> to_close;
    std::vector<std::pair<std::shared_ptr<Exchange>, FetchResult>> to_complete;
    std::vector<LogLine> to_log;
  };

  RemoteRegisterState(RemoteRegisterOptions o, asio::any_io_executor ex)
      : options(std::move(o)),
        executor(std::move(ex)),
        breaker(CircuitBreaker::Options{options.breaker_failures, options.breaker_open}),
        probe_timer(executor) {}

  // --- immutable after construction ---
  const RemoteRegisterOptions options;
  const asio::any_io_executor executor;
  std::shared_ptr<asio::ssl::context> tls;
  std::string address;        // host:port as configured (for logs)
  std::string host_header;    // Host header value
  std::string query_target;   // base path + /register/v1/abfrage
  std::string health_target;  // base path + /register/v1/health
  std::string verify_name;    // SNI and certificate name
  bool verify_name_is_ip = false;
  bool connect_by_address = false;  // the url's host is an IP literal: no resolver

  mutable std::mutex mutex;
  // --- guarded by mutex ---
  bool closed = false;                            // the adapter was destroyed
  std::vector<std::shared_ptr<Connection>> idle;  // most recently used last
  std::size_t open = 0;  // pool slots taken: idle, busy or being opened (probes excluded)
  std::deque<std::shared_ptr<Waiter>> waiters;
  CircuitBreaker breaker;
  asio::steady_timer probe_timer;  // started and cancelled only under `mutex`
  AdapterStatus counters;          // `breaker` is filled in by status()
  // --- end guarded ---

  [[nodiscard]] std::shared_ptr<Connection> new_connection() const;
  [[nodiscard]] http::request<http::string_body> new_request(http::verb verb,
                                                             const std::string& target) const;

  void admit(const std::shared_ptr<Exchange>& exchange, Clock::time_point deadline);
  void release(const std::shared_ptr<Connection>& connection, bool keep);
  void record(const FetchResult& result, std::optional<bool> reachable);
  void flush_idle();
  void start_probe();
  void probe_finished(bool healthy, const std::string& detail);
  void shutdown();
  [[nodiscard]] AdapterStatus status() const;

 private:
  void waiter_expired(const std::shared_ptr<Waiter>& waiter);
  void opened_locked(Aftermath& after, const std::string& reason);
  void schedule_probe_locked();
  void carry_out(Aftermath& after) const;
};

}  // namespace detail

namespace {

using State = detail::RemoteRegisterState;

// One HTTP exchange with the register: a query for fetch(), or the breaker's health probe. Runs
// on its connection's strand; owns the connection while it runs.
class Exchange : public std::enable_shared_from_this<Exchange> {
 public:
  enum class Kind { query, probe };

  Exchange(std::shared_ptr<State> state, Kind kind, http::request<http::string_body> request,
           Clock::time_point deadline, std::string evidence_type, std::string request_uuid, FetchHandler done)
      : state_(std::move(state)),
        kind_(kind),
        request_(std::move(request)),
        deadline_(deadline),
        evidence_type_(std::move(evidence_type)),
        request_uuid_(std::move(request_uuid)),
        done_(std::move(done)),
        retries_left_(state_->options.retries) {}

  // Starts on `connection` (for queries, the connection holds a pool slot).
  void run(std::shared_ptr<Connection> connection) {
    connection_ = std::move(connection);
    asio::post(connection_->stream.get_executor(),
               [self = shared_from_this()] { self->start_attempt(); });
  }

  // Delivers the result; a second call does nothing.
  void complete(FetchResult result) {
    if (!done_) return;
    FetchHandler done = std::move(done_);
    done_ = nullptr;
    done(std::move(result));
  }

 private:
  void start_attempt() {
    if (Clock::now() >= deadline_) {
      return finish(failure(FetchStatus::timeout, "deadline passed before the request was sent"),
                    connection_->established, std::nullopt);
    }
    attempt_on_reused_ = connection_->established;
    if (attempt_on_reused_) return send();
    resolve();
  }

  void resolve() {
    const RegisterUrl& url = state_->options.url;
    if (state_->connect_by_address) {
      boost::system::error_code ignored;  // checked when the adapter was built
      endpoints_ = {tcp::endpoint(asio::ip::make_address(url.host, ignored), url.port)};
      return connect();
    }
    // Name resolution has no timeout of its own (getaddrinfo cannot be interrupted); the deadline
    // is checked again once it returns.
    connection_->resolver.async_resolve(
        url.host, std::to_string(url.port),
        [self = shared_from_this()](const beast::error_code& ec,
                                    const tcp::resolver::results_type& results) {
          if (ec) return self->fail("resolving the register's host name", ec, false);
          self->endpoints_.assign(results.begin(), results.end());
          self->connect();
        });
  }

  void connect() {
    if (Clock::now() >= deadline_) {
      return finish(failure(FetchStatus::timeout, "deadline passed while resolving the register"),
                    false, std::nullopt);
    }
    // Connecting (TCP and TLS) is bounded by the connect timeout as well as by the deadline: a
    // register that does not even accept in that time is treated as unreachable, not as slow.
    const Clock::time_point cap = Clock::now() + state_->options.connect_timeout;
    connect_capped_ = cap < deadline_;
    beast::get_lowest_layer(connection_->stream).expires_at(connect_capped_ ? cap : deadline_);
    beast::get_lowest_layer(connection_->stream)
        .async_connect(endpoints_, [self = shared_from_this()](const beast::error_code& ec,
                                                               const tcp::endpoint&) {
          if (ec) return self->fail("connecting to the register", ec, false);
          self->handshake();
        });
  }

  void handshake() {
    connection_->stream.async_handshake(
        asio::ssl::stream_base::client, [self = shared_from_this()](const beast::error_code& ec) {
          if (ec) {
            return self->fail("TLS handshake with the register", ec, false,
                              handshake_problem(self->connection_->stream.native_handle(), ec));
          }
          self->connection_->established = true;
          self->send();
        });
  }

  void send() {
    connect_capped_ = false;
    if (connection_->buffer.size() != 0) {
      // Bytes nobody asked for wait on this connection: it is out of step, and reading on could
      // take them for this query's answer. Never reuse it.
      return fail("reusing a pooled connection", asio::error::connection_aborted, true,
                  "unread bytes were waiting on it");
    }
    beast::get_lowest_layer(connection_->stream).expires_at(deadline_);
    http::async_write(connection_->stream, request_,
                      [self = shared_from_this()](const beast::error_code& ec, std::size_t) {
                        if (ec) return self->fail("sending to the register", ec, true);
                        self->receive();
                      });
  }

  void receive() {
    // The same framing rules as for requests: no trailers, no field a parser cannot hold, no
    // Transfer-Encoding that two parties could read differently.
    parser_.emplace(kHeaderLimit);
    parser_->body_limit(kBodyLimit);
    parser_->header_limit(kHeaderLimit);
    http::async_read(connection_->stream, connection_->buffer, *parser_,
                     [self = shared_from_this()](const beast::error_code& ec, std::size_t) {
                       self->on_answer(ec);
                     });
  }

  void on_answer(const beast::error_code& ec) {
    if (ec == http::error::body_limit) {
      return finish(failure(FetchStatus::unavailable,
                            "the register's answer is larger than " +
                                std::to_string(kBodyLimit / 1024) + " KiB"),
                    false, true);
    }
    if (ec) {
      const bool nothing_received = !parser_->got_some() && connection_->buffer.size() == 0;
      return fail("reading the register's answer", ec, nothing_received);
    }
    const auto& response = parser_->get();
    const unsigned status = response.result_int();
    // Reuse only a connection that is certainly in step: a complete 200 answer the server will
    // not end by closing (parser_->keep_alive() also knows bodies delimited by the close), and
    // nothing left over. Anything else (1xx, errors, extra bytes) closes it.
    const bool keep = parser_->keep_alive() && status == 200 && connection_->buffer.size() == 0;

    if (kind_ == Kind::probe) {
      if (status == 200) return finish(FetchResult{FetchStatus::found, {}, {}}, false, true);
      return finish(failure(FetchStatus::unavailable,
                            "health endpoint answered HTTP " + std::to_string(status)),
                    false, true);
    }
    if (status != 200) {
      return finish(failure(FetchStatus::unavailable,
                            "the register answered HTTP " + std::to_string(status)),
                    keep, true);
    }
    message::RegisterAnswerParse answer = message::parse_register_answer(response.body());
    if (answer.ok() && answer.request_uuid != request_uuid_) {
      // Never pass on an answer to another query: it may be another person's evidence.
      return finish(failure(FetchStatus::unavailable, "the register's answer names another query"), false, true);
    }
    switch (answer.outcome) {
      case message::RegisterAnswerParse::Outcome::not_found:
        return finish(FetchResult{FetchStatus::not_found, {}, "person not held by the register"},
                      keep, true);
      case message::RegisterAnswerParse::Outcome::found:
        // A register that delivers another kind of document than asked for is misconfigured or
        // mixed up its answers; passing it on could hand out the wrong evidence.
        if (answer.evidence.document != evidence_type_) {
          return finish(failure(FetchStatus::unavailable,
                                "the register delivered a '" + answer.evidence.document +
                                    "' document for a '" + evidence_type_ + "' query"),
                        keep, true);
        }
        return finish(FetchResult{FetchStatus::found, std::move(answer.evidence), {}}, keep,
                      true);
      case message::RegisterAnswerParse::Outcome::malformed:
        break;
    }
    finish(failure(FetchStatus::unavailable, "malformed register answer: " + answer.error), keep,
           true);
  }

  // A step failed. `before_answer`: no byte of an answer had arrived.
  void fail(const char* step, const beast::error_code& ec, bool before_answer,
            std::string problem = {}) {
    if (problem.empty()) problem = ec.message();
    if (ec == beast::error::timeout) {
      if (connect_capped_) {
        return finish(failure(FetchStatus::unavailable,
                              std::string(step) + " took longer than " +
                                  std::to_string(state_->options.connect_timeout.count()) +
                                  " ms (connect_timeout_ms)"),
                      false, false);
      }
      return finish(failure(FetchStatus::timeout, std::string("deadline passed while ") + step),
                    false, std::nullopt);
    }
    // A reused connection that fails before any answer most likely went stale while idle (the
    // register closed it or restarted), so the register has not acted on the request; the lookup
    // is read-only anyway. Try again on a fresh connection, and drop the other idle ones, which
    // are likely stale for the same reason.
    if (kind_ == Kind::query && attempt_on_reused_ && before_answer && retries_left_ > 0 &&
        Clock::now() < deadline_) {
      auto fresh = state_->new_connection();
      if (fresh) {
        --retries_left_;
        connection_->close();
        state_->flush_idle();
        run(std::move(fresh));  // takes over this call's pool slot
        return;
      }
    }
    const bool reached = connection_->established;
    finish(failure(FetchStatus::unavailable, std::string(step) + " failed: " + problem), false,
           reached);
  }

  // `reachable`: what this exchange learnt about reaching the register, if anything.
  void finish(FetchResult result, bool keep_connection, std::optional<bool> reachable) {
    if (!keep_connection) connection_->close();
    if (kind_ == Kind::probe) {
      connection_.reset();
      state_->probe_finished(result.status == FetchStatus::found, result.detail);
      return;
    }
    // Recorded before the connection goes back: when this result opens the breaker, queued calls
    // must not be handed the connection.
    state_->record(result, reachable);
    state_->release(connection_, keep_connection);
    connection_.reset();
    complete(std::move(result));
  }

  std::shared_ptr<State> state_;
  Kind kind_;
  http::request<http::string_body> request_;
  Clock::time_point deadline_;
  std::string evidence_type_;
  std::string request_uuid_;  // the answer must name it
  FetchHandler done_;
  unsigned retries_left_;
  std::shared_ptr<Connection> connection_;
  std::vector<tcp::endpoint> endpoints_;
  std::optional<net::BoundedResponseParser> parser_;
  bool attempt_on_reused_ = false;
  bool connect_capped_ = false;
};

}  // namespace

// --- the shared state ---------------------------------------------------------------------------

namespace detail {

std::shared_ptr<Connection> RemoteRegisterState::new_connection() const {
  std::shared_ptr<Connection> connection;
  try {
    connection = std::make_shared<Connection>(executor, tls);
  } catch (const std::exception&) {
    return nullptr;  // no TLS object (out of memory): callers end the call instead of losing it
  }
  SSL* ssl = connection->stream.native_handle();
  // The certificate must name the register (host name or IP address); SNI carries host names
  // only (RFC 6066), never IP literals.
  SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  bool name_check_set = false;
  if (verify_name_is_ip) {
    name_check_set = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), verify_name.c_str()) == 1;
  } else {
    name_check_set = SSL_set1_host(ssl, verify_name.c_str()) == 1;
    SSL_set_tlsext_host_name(ssl, verify_name.c_str());
  }
  // Without the name check any certificate of the CA would do: fail closed instead.
  if (!name_check_set) SSL_set_verify(ssl, SSL_VERIFY_PEER, [](int, X509_STORE_CTX*) { return 0; });
  return connection;
}

http::request<http::string_body> RemoteRegisterState::new_request(http::verb verb,
                                                                  const std::string& target) const {
  http::request<http::string_body> request(verb, target, 11);
  request.set(http::field::host, host_header);
  request.set(http::field::user_agent, "oncegate-remote-adapter");
  request.keep_alive(true);
  return request;
}

void RemoteRegisterState::carry_out(Aftermath& after) const {
  for (const auto& connection : after.to_close) close_later(connection);
  // Posted, so that no handler runs inside fetch() or the adapter's destructor.
  for (auto& [exchange, result] : after.to_complete) {
    asio::post(executor, [exchange = std::move(exchange), result = std::move(result)]() mutable {
      exchange->complete(std::move(result));
    });
  }
  for (const auto& line : after.to_log) {
    log_event(line.level, line.event, options.name, address, line.detail);
  }
}

void RemoteRegisterState::admit(const std::shared_ptr<Exchange>& exchange,
                                Clock::time_point deadline) {
  Aftermath after;
  std::shared_ptr<Connection> connection;
  {
    std::lock_guard lock(mutex);
    ++counters.calls;
    if (closed) {
      after.to_complete.emplace_back(
          exchange, failure(FetchStatus::unavailable, "register adapter removed"));
    } else if (!breaker.allows_requests()) {
      ++counters.rejected_open;
      after.to_complete.emplace_back(exchange, failure(FetchStatus::unavailable, "circuit open"));
    } else if (Clock::now() >= deadline) {
      ++counters.timeouts;
      after.to_complete.emplace_back(
          exchange, failure(FetchStatus::timeout, "deadline passed before the call"));
    } else {
      // Connections idle for long are likely being closed by the register: no call is bet on
      // them.
      const Clock::time_point now = Clock::now();
      std::erase_if(idle, [&](const std::shared_ptr<Connection>& c) {
        if (now - c->idle_since < kMaxIdle) return false;
        after.to_close.push_back(c);
        return true;
      });
      open -= after.to_close.size();
      if (!idle.empty()) {
        connection = std::move(idle.back());
        idle.pop_back();
      } else if (open < options.pool_size) {
        connection = new_connection();
        if (connection) {
          ++open;
        } else {
          after.to_complete.emplace_back(exchange, failure(FetchStatus::unavailable, "cannot set up a TLS connection"));
        }
      } else {
        auto waiter = std::make_shared<Waiter>(exchange, executor);
        waiters.push_back(waiter);
        waiter->timer.expires_at(deadline);
        waiter->timer.async_wait([weak_state = weak_from_this(),
                                  weak_waiter = std::weak_ptr<Waiter>(waiter)](
                                     const boost::system::error_code& ec) {
          if (ec) return;  // cancelled: the call got a connection or was ended otherwise
          auto state = weak_state.lock();
          auto waiter = weak_waiter.lock();
          if (state && waiter) state->waiter_expired(waiter);
        });
      }
    }
  }
  carry_out(after);
  if (connection) exchange->run(std::move(connection));
}

void RemoteRegisterState::waiter_expired(const std::shared_ptr<Waiter>& waiter) {
  Aftermath after;
  {
    std::lock_guard lock(mutex);
    const auto it = std::find(waiters.begin(), waiters.end(), waiter);
    if (it == waiters.end()) return;  // handed a connection in the meantime
    waiters.erase(it);
    const std::string detail = "deadline passed while waiting for a free connection (pool_size " +
                               std::to_string(options.pool_size) + " in use)";
    ++counters.timeouts;
    counters.last_error = detail;
    // A saturated pool means the register answers too slowly for the load: that counts against it.
    if (breaker.record_failure()) opened_locked(after, detail);
    after.to_complete.emplace_back(waiter->exchange, failure(FetchStatus::timeout, detail));
  }
  carry_out(after);
}

void RemoteRegisterState::release(const std::shared_ptr<Connection>& connection, bool keep) {
  Aftermath after;
  std::shared_ptr<Waiter> next;
  std::shared_ptr<Connection> handed_on;
  {
    std::lock_guard lock(mutex);
    const bool usable = !closed && breaker.allows_requests();
    if (keep && !usable) after.to_close.push_back(connection);
    if (usable && !waiters.empty()) {
      next = std::move(waiters.front());
      waiters.pop_front();
      next->timer.cancel();
      // The slot passes to the waiting call: with this connection if it stays open, else with a
      // fresh one.
      handed_on = keep ? connection : new_connection();
      if (!handed_on) {
        --open;
        after.to_complete.emplace_back(next->exchange, failure(FetchStatus::unavailable, "cannot set up a TLS connection"));
        next.reset();
      }
    } else if (keep && usable) {
      connection->idle_since = Clock::now();
      idle.push_back(connection);
    } else {
      --open;
    }
  }
  carry_out(after);
  if (next) next->exchange->run(std::move(handed_on));
}

void RemoteRegisterState::record(const FetchResult& result, std::optional<bool> reachable) {
  Aftermath after;
  {
    std::lock_guard lock(mutex);
    if (reachable) counters.reachable = *reachable;
    bool opened = false;
    switch (result.status) {
      case FetchStatus::found:
      case FetchStatus::not_found:
        breaker.record_success();
        break;
      case FetchStatus::unavailable:
        ++counters.failures;
        counters.last_error = result.detail;
        opened = breaker.record_failure();
        break;
      case FetchStatus::timeout:
        ++counters.timeouts;
        counters.last_error = result.detail;
        opened = breaker.record_failure();
        break;
    }
    if (opened) opened_locked(after, result.detail);
  }
  carry_out(after);
}

void RemoteRegisterState::opened_locked(Aftermath& after, const std::string& reason) {
  // Idle connections go (the register is likely gone or restarting), queued calls fail at once
  // like every further call until the probe finds the register back.
  for (auto& connection : idle) after.to_close.push_back(std::move(connection));
  open -= idle.size();
  idle.clear();
  for (auto& waiter : waiters) {
    waiter->timer.cancel();
    ++counters.rejected_open;
    after.to_complete.emplace_back(std::move(waiter->exchange),
                                   failure(FetchStatus::unavailable, "circuit open"));
  }
  waiters.clear();
  schedule_probe_locked();
  after.to_log.push_back({"warn", "breaker_open",
                          std::to_string(options.breaker_failures) +
                              " consecutive failures, last: " + reason});
}

void RemoteRegisterState::schedule_probe_locked() {
  probe_timer.expires_at(breaker.probe_due_at());
  // Weak: a pending probe timer must not keep the state (and the timer itself) alive.
  probe_timer.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto state = weak.lock()) state->start_probe();
  });
}

void RemoteRegisterState::flush_idle() {
  Aftermath after;
  {
    std::lock_guard lock(mutex);
    for (auto& connection : idle) after.to_close.push_back(std::move(connection));
    open -= idle.size();
    idle.clear();
  }
  carry_out(after);
}

void RemoteRegisterState::start_probe() {
  Aftermath after;
  {
    std::lock_guard lock(mutex);
    if (closed) return;
    if (!breaker.begin_probe()) {
      if (breaker.state() == CircuitBreaker::State::open) schedule_probe_locked();
      return;
    }
    after.to_log.push_back({"info", "breaker_half_open", "probing GET " + health_target});
  }
  carry_out(after);
  auto request = new_request(http::verb::get, health_target);
  request.keep_alive(false);
  const Clock::time_point deadline =
      Clock::now() + options.connect_timeout + kProbeAnswerTime;
  auto probe = std::make_shared<Exchange>(shared_from_this(), Exchange::Kind::probe,
                                          std::move(request), deadline, std::string{}, std::string{}, nullptr);
  auto connection = new_connection();
  if (!connection) return probe_finished(false, "cannot set up a TLS connection");
  probe->run(std::move(connection));
}

void RemoteRegisterState::probe_finished(bool healthy, const std::string& detail) {
  Aftermath after;
  {
    std::lock_guard lock(mutex);
    if (closed) return;
    if (healthy) {
      if (breaker.probe_succeeded()) {
        counters.reachable = true;
        after.to_log.push_back({"info", "breaker_closed", "health probe answered 200"});
      }
    } else if (breaker.probe_failed()) {
      counters.reachable = false;
      counters.last_error = "health probe: " + detail;
      schedule_probe_locked();
      after.to_log.push_back({"warn", "breaker_open", "health probe failed: " + detail});
    }
  }
  carry_out(after);
}

void RemoteRegisterState::shutdown() {
  Aftermath after;
  {
    std::lock_guard lock(mutex);
    if (closed) return;
    closed = true;
    for (auto& connection : idle) after.to_close.push_back(std::move(connection));
    open -= idle.size();
    idle.clear();
    for (auto& waiter : waiters) {
      waiter->timer.cancel();
      after.to_complete.emplace_back(std::move(waiter->exchange),
                                     failure(FetchStatus::unavailable, "register adapter removed"));
    }
    waiters.clear();
    probe_timer.cancel();
  }
  carry_out(after);
}

AdapterStatus RemoteRegisterState::status() const {
  std::lock_guard lock(mutex);
  AdapterStatus out = counters;
  out.breaker = std::string(to_string(breaker.state()));
  return out;
}

}  // namespace detail

// --- the adapter --------------------------------------------------------------------------------

namespace {

[[noreturn]] void reject_adapter(const std::string& name, const std::string& problem) {
  throw AdapterError("adapter '" + name + "' (remote-https): " + problem);
}

std::shared_ptr<asio::ssl::context> make_tls_context(const RemoteRegisterOptions& options) {
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  SSL_CTX* native = context->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  context->set_options(asio::ssl::context::default_workarounds |
                       asio::ssl::context::no_compression);
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION);
  // As on the gateway's own listeners: forward secrecy and AEAD only (TLS 1.3's suites are all
  // AEAD; this list governs TLS 1.2).
  if (SSL_CTX_set_cipher_list(native, "ECDHE+AESGCM:ECDHE+CHACHA20") != 1) {
    reject_adapter(options.name, "the TLS cipher list was rejected");
  }
  boost::system::error_code ec;
  // Only this register's CAs: no system trust store, so no other CA can vouch for the register.
  context->load_verify_file(options.ca_file, ec);
  if (ec) {
    reject_adapter(options.name, "cannot load CA file '" + options.ca_file + "': " + ec.message());
  }
  context->set_verify_mode(asio::ssl::verify_peer);
  if (!options.client_certificate_file.empty()) {
    context->use_certificate_chain_file(options.client_certificate_file, ec);
    if (ec) {
      reject_adapter(options.name, "cannot load client certificate '" +
                                       options.client_certificate_file + "': " + ec.message());
    }
    context->use_private_key_file(options.client_key_file, asio::ssl::context::pem, ec);
    if (ec) {
      reject_adapter(options.name,
                     "cannot load client key '" + options.client_key_file + "': " + ec.message());
    }
    if (SSL_CTX_check_private_key(native) != 1) {
      reject_adapter(options.name, "the client key does not match the client certificate");
    }
  }
  return context;
}

}  // namespace

RemoteRegister::RemoteRegister(RemoteRegisterOptions options, asio::any_io_executor executor) {
  if (!executor) reject_adapter(options.name, "no executor to run on");
  if (options.url.host.empty()) reject_adapter(options.name, "no register host");
  if (options.pool_size == 0) reject_adapter(options.name, "pool_size must be at least 1");
  if (options.client_certificate_file.empty() != options.client_key_file.empty()) {
    reject_adapter(options.name, "client certificate and client key go together");
  }
  auto tls = make_tls_context(options);
  state_ = std::make_shared<detail::RemoteRegisterState>(std::move(options), std::move(executor));
  detail::RemoteRegisterState& s = *state_;
  s.tls = std::move(tls);
  const RegisterUrl& url = s.options.url;
  s.connect_by_address = is_ip_address(url.host);
  const bool ipv6 = url.host.find(':') != std::string::npos;
  const std::string host_part = ipv6 ? "[" + url.host + "]" : url.host;
  s.address = host_part + ":" + std::to_string(url.port);
  s.host_header = url.port == 443 ? host_part : s.address;
  s.query_target = url.base_path + std::string(message::kRegisterQueryPath);
  s.health_target = url.base_path + std::string(message::kRegisterHealthPath);
  s.verify_name = s.options.server_name.empty() ? url.host : s.options.server_name;
  s.verify_name_is_ip = is_ip_address(s.verify_name);
}

RemoteRegister::~RemoteRegister() { state_->shutdown(); }

const std::string& RemoteRegister::name() const noexcept { return state_->options.name; }

const std::string& RemoteRegister::register_name() const noexcept {
  return state_->options.register_name;
}

void RemoteRegister::fetch(EvidenceQuery query, Clock::time_point deadline, FetchHandler done) {
  if (!done) return;  // nobody to tell; nothing to do
  auto request = state_->new_request(http::verb::post, state_->query_target);
  request.set(http::field::content_type, "application/xml");
  request.set(http::field::accept, "application/xml");
  if (forwardable_correlation_id(query.correlation_id)) {
    request.set("X-Correlation-ID", query.correlation_id);
  }
  request.body() = message::write_register_query(query);
  request.prepare_payload();
  auto exchange =
      std::make_shared<Exchange>(state_, Exchange::Kind::query, std::move(request), deadline,
                                 std::move(query.evidence_type), std::move(query.request_uuid), std::move(done));
  state_->admit(exchange, deadline);
}

AdapterStatus RemoteRegister::status() const { return state_->status(); }

// --- configuration ------------------------------------------------------------------------------

std::optional<RegisterUrl> parse_register_url(std::string_view url, std::string& problem) {
  constexpr std::string_view scheme = "https://";
  const auto lower_prefix = [&] {
    if (url.size() < scheme.size()) return false;
    for (std::size_t i = 0; i < scheme.size(); ++i) {
      const char c = url[i];
      if ((c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c) != scheme[i]) return false;
    }
    return true;
  };
  if (!lower_prefix()) {
    problem = "must start with https:// (plain HTTP is not allowed for registers)";
    return std::nullopt;
  }
  std::string_view rest = url.substr(scheme.size());
  for (char c : rest) {
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7F ||
        c == '?' || c == '#' || c == '@' || c == '\\') {
      problem = "must be https://host[:port][/base-path] without user, query or fragment";
      return std::nullopt;
    }
  }
  const std::size_t slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);

  RegisterUrl out;
  std::string_view host;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      problem = "unterminated IPv6 address";
      return std::nullopt;
    }
    host = authority.substr(1, close - 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        problem = "unexpected text after the IPv6 address";
        return std::nullopt;
      }
      port = after.substr(1);
      if (port.empty()) {
        problem = "empty port";
        return std::nullopt;
      }
    }
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(std::string(host), ec);
    if (ec || !address.is_v6()) {
      problem = "invalid IPv6 address";
      return std::nullopt;
    }
  } else {
    const std::size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      if (port.empty()) {
        problem = "empty port";
        return std::nullopt;
      }
    }
    const bool host_ok =
        !host.empty() && host.size() <= 253 &&
        std::all_of(host.begin(), host.end(), [](char c) {
          return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '-';
        });
    if (!host_ok) {
      problem = "missing or invalid host";
      return std::nullopt;
    }
  }
  out.host = std::string(host);
  if (!port.empty()) {
    unsigned value = 0;
    const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (error != std::errc{} || end != port.data() + port.size() || value == 0 || value > 65535) {
      problem = "port must be 1 to 65535";
      return std::nullopt;
    }
    out.port = static_cast<std::uint16_t>(value);
  }
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  const bool path_ok = std::all_of(path.begin(), path.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '/' || c == '-' || c == '.' || c == '_' || c == '~' || c == '%';
  });
  if (!path_ok) {
    problem = "the base path may hold letters, digits and / - . _ ~ % only";
    return std::nullopt;
  }
  out.base_path = std::string(path);
  return out;
}

namespace {

[[noreturn]] void reject(const AdapterConfig& config, const std::string& problem) {
  throw AdapterError("adapter '" + config.name + "' (" + config.type + "): " + problem);
}

unsigned long integer_setting(const AdapterConfig& config, const std::string& key,
                              unsigned long minimum, unsigned long maximum,
                              unsigned long fallback) {
  const auto it = config.settings.find(key);
  if (it == config.settings.end()) return fallback;
  const std::string& text = it->second;
  unsigned long value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc{} || end != text.data() + text.size() ||
      value < minimum || value > maximum) {
    reject(config, "setting '" + key + "' must be an integer from " + std::to_string(minimum) +
                       " to " + std::to_string(maximum) + ", got '" + text + "'");
  }
  return value;
}

// A file setting: relative paths are taken relative to the data directory; the file must exist.
std::string file_setting(const AdapterConfig& config, const AdapterContext& context,
                         const std::string& key, bool required) {
  const auto it = config.settings.find(key);
  if (it == config.settings.end() || it->second.empty()) {
    if (required) reject(config, "setting '" + key + "' is missing");
    return {};
  }
  std::filesystem::path file = it->second;
  if (file.is_relative() && !context.data_dir.empty()) file = context.data_dir / file;
  std::error_code error;
  if (!std::filesystem::is_regular_file(file, error)) {
    reject(config, "setting '" + key + "': file '" + file.string() +
                       "' does not exist or is not a file");
  }
  return file.string();
}

RemoteRegisterOptions parse_options(const AdapterConfig& config, const AdapterContext& context) {
  static constexpr std::string_view known[] = {
      "url",       "ca",                 "client_certificate", "client_key",      "server_name",
      "pool_size", "connect_timeout_ms", "breaker_failures",   "breaker_open_ms", "retries"};
  for (const auto& [key, value] : config.settings) {
    if (std::find(std::begin(known), std::end(known), key) == std::end(known)) {
      std::string list;
      for (std::string_view k : known) list += (list.empty() ? "" : ", ") + std::string(k);
      reject(config, "unknown setting '" + key + "' (known: " + list + ")");
    }
  }

  RemoteRegisterOptions options;
  options.name = config.name;
  options.register_name = config.register_name;

  const auto url = config.settings.find("url");
  if (url == config.settings.end() || url->second.empty()) reject(config, "setting 'url' is missing");
  std::string problem;
  std::optional<RegisterUrl> parsed = parse_register_url(url->second, problem);
  if (!parsed) reject(config, "setting 'url' ('" + url->second + "') " + problem);
  options.url = std::move(*parsed);

  options.ca_file = file_setting(config, context, "ca", true);
  options.client_certificate_file = file_setting(config, context, "client_certificate", false);
  options.client_key_file = file_setting(config, context, "client_key", false);
  if (options.client_certificate_file.empty() != options.client_key_file.empty()) {
    reject(config, "settings 'client_certificate' and 'client_key' go together");
  }

  if (const auto it = config.settings.find("server_name"); it != config.settings.end()) {
    std::string ignored;
    const std::string& name = it->second;
    // Accept what a URL would accept as host, no more.
    if (name.empty() || !parse_register_url("https://" + (name.find(':') != std::string::npos
                                                              ? "[" + name + "]"
                                                              : name),
                                            ignored)) {
      reject(config, "setting 'server_name' must be a host name or IP address, got '" + name + "'");
    }
    options.server_name = name;
  }

  options.pool_size = integer_setting(config, "pool_size", 1, 256, 16);
  options.connect_timeout =
      std::chrono::milliseconds(integer_setting(config, "connect_timeout_ms", 1, 60'000, 1000));
  options.breaker_failures =
      static_cast<unsigned>(integer_setting(config, "breaker_failures", 1, 1000, 5));
  options.breaker_open =
      std::chrono::milliseconds(integer_setting(config, "breaker_open_ms", 10, 600'000, 2000));
  options.retries = static_cast<unsigned>(integer_setting(config, "retries", 0, 1, 1));
  return options;
}

}  // namespace

void register_remote_adapter_type(AdapterFactoryRegistry& registry) {
  registry.add("remote-https", [](const AdapterConfig& config, const AdapterContext& context)
                                   -> std::shared_ptr<RegisterAdapter> {
    if (!context.executor) reject(config, "no executor to deliver completions on");
    return std::make_shared<RemoteRegister>(parse_options(config, context), context.executor);
  });
}

}  // namespace oncegate::adapters::remote
