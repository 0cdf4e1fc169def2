#pragma once
// The HTTPS server: N I/O threads, one or more TLS listeners, one strand per connection.
//
// Lifecycle: construct, add_listener() (binds at once, so port 0 is resolved), start() or
// run_until_signal(), then shutdown(): stop accepting, let requests in flight finish and their
// answers leave, close idle connections, join the threads. A grace period bounds the wait.
//
// Thread safety: add_listener()/start()/shutdown() are called from one controlling thread;
// everything else runs on the I/O threads.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "gateway/net/http.hpp"
#include "gateway/net/source_limits.hpp"

namespace oncegate::net {

struct TlsOptions {
  std::string certificate_chain_file;  // PEM, server certificate first. Required.
  std::string private_key_file;        // PEM. Required.
  // PEM bundle of CAs whose client certificates are accepted. Empty: no client certificates asked.
  std::string client_ca_file;
  // Reject the handshake without a valid client certificate. Default: false.
  bool require_client_certificate = false;
};

struct ListenerOptions {
  std::string name = "evidence";     // for logs and ports.json
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;            // 0: the system picks a free port; see Server::port()
  TlsOptions tls;
  std::size_t header_limit = 16 * 1024;    // bytes of request line + headers. Default 16 KiB.
  std::size_t body_limit = 256 * 1024;     // bytes of body. Default 256 KiB.
  std::chrono::milliseconds handshake_timeout{10'000};  // TLS handshake. Default 10 s.
  std::chrono::milliseconds read_timeout{30'000};       // reading one request, incl. idle wait
                                                        // for the next one. Default 30 s.
  std::chrono::milliseconds write_timeout{30'000};      // writing one response. Default 30 s.
  std::size_t max_connections = 1024;  // further connections are closed at once. Default 1024.
  SourceLimitOptions limits;           // per source and per party; default: none
  // Load balancers (addresses or networks) whose connections begin with a PROXY protocol v2
  // header naming the real peer; it must arrive within handshake_timeout, else the connection is
  // closed. Default none: every connection is taken as it comes.
  std::vector<std::string> proxy_protocol_from;
};

struct ServerOptions {
  unsigned io_threads = 0;  // 0: one per core
  std::chrono::milliseconds shutdown_grace{10'000};  // then remaining connections are cut. 10 s.
  // On SIGTERM, keep serving this long first (drain: readiness says 503, so a load balancer
  // stops sending), then stop as above. 0: stop at once. Default 0.
  std::chrono::milliseconds drain_before_stop{0};
  // How often refusals counted in aggregate are written (oplog/tally.hpp). Default 10 s.
  std::chrono::milliseconds refusal_log_interval{10'000};
};

// What one listener refused, for metrics.
struct ListenerLimitCounts {
  std::string listener;
  LimitCounts counts;
  std::uint64_t refused_listener_full = 0;  // over max_connections
};

class Server {
 public:
  explicit Server(ServerOptions options);
  ~Server();  // shuts down if still running
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens at once. Throws std::runtime_error (address in use, bad TLS files, ...).
  void add_listener(const ListenerOptions& options, std::shared_ptr<const Router> router,
                    FailureRenderer render_failure);

  // The port a listener actually bound to (useful with port 0); 0 for an unknown name.
  [[nodiscard]] std::uint16_t port(const std::string& listener_name) const;

  // An executor of the server's I/O context, for timers and adapters.
  [[nodiscard]] boost::asio::any_io_executor executor() const;

  // Starts accepting on all listeners and runs the I/O threads in the background.
  void start();
  // Blocks until SIGINT or SIGTERM (or shutdown() from another thread), then shuts down. SIGHUP
  // calls the hang-up handler, if one is set, and serving goes on.
  void run_until_signal();
  // Called on SIGHUP while run_until_signal() waits (on its signal thread; keep it short). Set
  // before run_until_signal().
  void on_hangup(std::function<void()> handler);
  // Called on SIGTERM when drain_before_stop is set, before the drain period (signal thread).
  void on_drain(std::function<void()> handler);
  // Runs once when a shutdown begins, after the listeners stopped and before the wait for
  // requests in flight (the owner ends background work of its own there). Set before start().
  void on_stopping(std::function<void()> handler);
  // Graceful stop as described above. Idempotent.
  void shutdown();

  // Number of open connections across listeners (for tests and metrics).
  [[nodiscard]] std::size_t open_connections() const noexcept;
  // Refusals of each listener's limits so far (for metrics).
  [[nodiscard]] std::vector<ListenerLimitCounts> limit_counts() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace oncegate::net
