#pragma once
// Internal to the remote-https adapter: what its parts (the call in exchange.hpp, the pool and
// breaker in pool.cpp, TLS in tls.cpp, settings in settings.cpp, the adapter) share. Not for use
// outside adapters/remote/.

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

namespace detail {

inline constexpr std::size_t kBodyLimit = 64 * 1024;
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

inline FetchResult failure(FetchStatus status, std::string detail) {
  FetchResult result;
  result.status = status;
  result.detail = std::move(detail);
  return result;
}

inline void log_event(std::string_view level, std::string_view event, std::string_view adapter,
               std::string_view register_address, std::string_view detail) {
  const auto severity = level == "warn" ? oplog::Level::warn : level == "error" ? oplog::Level::error : oplog::Level::info;
  oplog::write(severity, event, {{"adapter", adapter}, {"register", register_address}, {"detail", detail}});
}

struct LogLine {
  std::string level;
  std::string event;
  std::string detail;
};

inline bool is_ip_address(const std::string& host) {
  boost::system::error_code ec;
  (void)asio::ip::make_address(host, ec);
  return !ec;
}

inline bool forwardable_correlation_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxCorrelationId) return false;
  return std::all_of(id.begin(), id.end(), [](char c) { return c > 0x20 && c < 0x7F; });
}

// Why a TLS handshake failed, in the words of the certificate check when it was that.
inline std::string handshake_problem(SSL* ssl, const beast::error_code& ec) {
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
inline void close_later(const std::shared_ptr<Connection>& connection) {
  asio::post(connection->stream.get_executor(), [connection] { connection->close(); });
}

class Exchange;
// What an exchange is for: a query for fetch(), the open breaker's probe, or the periodic health
// check while the breaker is closed.
enum class ExchangeKind { query, probe, health };

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
        probe_timer(executor),
        health_timer(executor) {}

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
  asio::steady_timer health_timer;  // the same
  AdapterStatus counters;          // `breaker` is filled in by status()
  // --- end guarded ---

  [[nodiscard]] std::shared_ptr<Connection> new_connection() const;
  [[nodiscard]] http::request<http::string_body> new_request(http::verb verb,
                                                             const std::string& target) const;

  void admit(const std::shared_ptr<Exchange>& exchange, Clock::time_point deadline);
  // A query for fetch(): an Exchange admitted to the pool (pool.cpp, where the call is compiled).
  void query(http::request<http::string_body> request, Clock::time_point deadline, std::string evidence_type,
             std::string request_uuid, FetchHandler done);
  void release(const std::shared_ptr<Connection>& connection, bool keep);
  void record(const FetchResult& result, std::optional<bool> reachable);
  void flush_idle();
  void start_probe();
  void probe_finished(bool healthy, const std::string& detail);
  // The periodic health check while the breaker is closed: it changes `reachable` only; the
  // breaker is moved by calls (and, while open, by its own probe).
  void schedule_health_check(Clock::duration after);
  void start_health_check();
  void health_finished(bool healthy, const std::string& detail);
  void shutdown();
  [[nodiscard]] AdapterStatus status() const;

 private:
  void waiter_expired(const std::shared_ptr<Waiter>& waiter);
  void opened_locked(Aftermath& after, const std::string& reason);
  void schedule_probe_locked();
  // GET the health endpoint as the breaker's probe or as the periodic health check.
  void ask_health_endpoint(ExchangeKind kind);
  void carry_out(Aftermath& after) const;
};

// The TLS client context for one register: TLS 1.2+, ECDHE with AEAD, its own CAs, optional
// client certificate. Throws AdapterError naming the adapter.
[[nodiscard]] std::shared_ptr<asio::ssl::context> make_tls_context(const RemoteRegisterOptions& options);
[[noreturn]] void reject_adapter(const std::string& name, const std::string& problem);

}  // namespace detail

}  // namespace oncegate::adapters::remote
