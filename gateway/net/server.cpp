#include "gateway/net/server.hpp"
#include "gateway/net/proxy_protocol.hpp"

#include <pthread.h>

#include "gateway/common/files.hpp"
#include "gateway/oplog/oplog.hpp"
#include "gateway/oplog/tally.hpp"

#include <openssl/ssl.h>

#include <condition_variable>
#include <cstdio>
#include <csignal>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/strand.hpp>

#include "gateway/net/https_session.hpp"

namespace oncegate::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

std::unique_ptr<asio::ssl::context> make_tls_context(const TlsOptions& options) {
  auto context = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
  SSL_CTX* native = context->native_handle();
  // TLS 1.2 is the floor (BSI TR-02102-2); 1.3 is preferred by OpenSSL's own ordering.
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  context->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_compression |
                       asio::ssl::context::single_dh_use);
  SSL_CTX_set_options(native, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION);
  if (SSL_CTX_set_cipher_list(native, "ECDHE+AESGCM:ECDHE+CHACHA20") != 1) {
    throw std::runtime_error("TLS: cipher list rejected");
  }
  boost::system::error_code ec;
  context->use_certificate_chain_file(options.certificate_chain_file, ec);
  if (ec) throw std::runtime_error("TLS: cannot load certificate chain '" + options.certificate_chain_file + "': " + ec.message());
  // Owner-only, like every secret the gateway reads (common::read_secret_file says the chmod).
  const std::string key_pem = common::read_secret_file(options.private_key_file, "TLS private key");
  context->use_private_key(asio::buffer(key_pem), asio::ssl::context::pem, ec);
  if (ec) throw std::runtime_error("TLS: cannot load private key '" + options.private_key_file + "': " + ec.message());
  if (SSL_CTX_check_private_key(native) != 1) {
    throw std::runtime_error("TLS: private key does not match the certificate");
  }
  if (!options.client_ca_file.empty()) {
    context->load_verify_file(options.client_ca_file, ec);
    if (ec) throw std::runtime_error("TLS: cannot load client CA '" + options.client_ca_file + "': " + ec.message());
    auto mode = asio::ssl::verify_peer;
    if (options.require_client_certificate) mode |= asio::ssl::verify_fail_if_no_peer_cert;
    context->set_verify_mode(mode);
    static constexpr unsigned char session_context[] = "oncegate";
    SSL_CTX_set_session_id_context(native, session_context, sizeof session_context - 1);
  }
  return context;
}

// Accepts connections on one address and hands each to an HttpsSession on its own strand.
class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(asio::io_context& io, std::shared_ptr<ListenerShared> shared)
      : io_(io), acceptor_(asio::make_strand(io)), tls_(make_tls_context(shared->options.tls)),
        shared_(std::move(shared)), load_balancers_(shared_->options.proxy_protocol_from) {
    const auto address = asio::ip::make_address(shared_->options.address);
    const tcp::endpoint endpoint(address, shared_->options.port);
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(asio::socket_base::max_listen_connections);
    port_ = acceptor_.local_endpoint().port();
  }

  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }

  void start() {
    asio::dispatch(acceptor_.get_executor(), [self = shared_from_this()] { self->do_accept(); });
  }

  void stop() {
    asio::dispatch(acceptor_.get_executor(), [self = shared_from_this()] {
      boost::system::error_code ignored;
      self->acceptor_.close(ignored);
    });
  }

 private:
  void do_accept() {
    acceptor_.async_accept(asio::make_strand(io_),
                           [self = shared_from_this()](boost::system::error_code ec, tcp::socket socket) {
                             self->on_accept(ec, std::move(socket));
                           });
  }

  void on_accept(boost::system::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;  // stopped
    if (!ec) admit(std::move(socket));
    // Transient accept errors (e.g. too many open files) must not stop the listener.
    do_accept();
  }

  void admit(tcp::socket socket) {
    boost::system::error_code ec;
    const auto peer = socket.remote_endpoint(ec);
    if (ec) return;  // gone already
    // An answer leaves as several TLS records; with Nagle the last small one waits for the
    // client's delayed ACK (40 ms on Linux). Answers are written whole, so nothing is gained by
    // coalescing.
    socket.set_option(tcp::no_delay(true), ec);
    if (!load_balancers_.empty() && load_balancers_.contains(peer.address())) return read_proxy_header(std::move(socket), peer);
    admit_from(std::move(socket), peer);
  }

  // A load balancer's connection: its PROXY v2 header first, then the connection is the real
  // peer's (LOCAL, the balancer's own health checks, stays the balancer's).
  void read_proxy_header(tcp::socket socket, tcp::endpoint balancer) {
    struct Reading {
      tcp::socket socket;
      asio::steady_timer timer;
      std::string header;
      tcp::endpoint balancer;
    };
    // The timer on the socket's strand, so that its closing the socket never races a read.
    const auto executor = socket.get_executor();
    auto reading = std::make_shared<Reading>(
        Reading{std::move(socket), asio::steady_timer(executor), std::string(kProxyFixedPart, '\0'), balancer});
    reading->timer.expires_after(shared_->options.handshake_timeout);
    reading->timer.async_wait([reading](boost::system::error_code ec) {
      if (ec) return;
      boost::system::error_code ignored;
      reading->socket.close(ignored);
    });
    const auto refuse = [self = shared_from_this(), reading] {
      reading->timer.cancel();
      oplog::tally(self->shared_->options.name, source_key(reading->balancer.address()), "proxy_header");
      boost::system::error_code ignored;
      reading->socket.close(ignored);
    };
    asio::async_read(reading->socket, asio::buffer(reading->header.data(), kProxyFixedPart),
                     [self = shared_from_this(), reading, refuse](boost::system::error_code ec, std::size_t) {
      const auto remaining = ec ? std::nullopt : proxy_v2_remaining(reading->header);
      if (!remaining) return refuse();
      reading->header.resize(kProxyFixedPart + *remaining);
      asio::async_read(reading->socket, asio::buffer(reading->header.data() + kProxyFixedPart, *remaining),
                       [self, reading, refuse](boost::system::error_code ec, std::size_t) {
        const auto parsed = ec ? std::nullopt : parse_proxy_v2(reading->header);
        if (!parsed) return refuse();
        reading->timer.cancel();
        const tcp::endpoint peer = parsed->source ? *parsed->source : reading->balancer;
        asio::dispatch(self->acceptor_.get_executor(), [self, reading, peer]() mutable {
          self->admit_from(std::move(reading->socket), peer);
        });
      });
    });
  }

  // Refuses over a limit before a TLS handshake is spent on the connection; counted and tallied,
  // never one log line per connection.
  void admit_from(tcp::socket socket, const tcp::endpoint& peer) {
    auto& tracker = *shared_->tracker;
    const std::string source = source_key(peer.address());
    const auto refuse = [&](std::string_view reason) {
      oplog::tally(shared_->options.name, source, reason);
      boost::system::error_code ignored;
      socket.close(ignored);
    };
    if (tracker.stopping.load()) return refuse("shutting_down");
    if (shared_->open.load() >= shared_->options.max_connections) {
      shared_->refused_full.fetch_add(1, std::memory_order_relaxed);
      return refuse("listener_connections");
    }
    LimitReason why{};
    auto lease = shared_->limiter->admit(source, why);
    if (!lease) return refuse(reason_name(why));
    tracker.open.fetch_add(1);
    shared_->open.fetch_add(1);
    std::make_shared<HttpsSession>(std::move(socket), *tls_, shared_, std::move(*lease), peer)->run();
  }

  asio::io_context& io_;
  tcp::acceptor acceptor_;
  std::unique_ptr<asio::ssl::context> tls_;
  std::shared_ptr<const ListenerShared> shared_;
  AddressSet load_balancers_;
  std::uint16_t port_ = 0;
};

// Writes the refusals counted in aggregate every interval, until stopped.
class TallyFlusher : public std::enable_shared_from_this<TallyFlusher> {
 public:
  TallyFlusher(asio::io_context& io, std::chrono::milliseconds interval) : timer_(asio::make_strand(io)), interval_(interval) {}
  void start() {
    asio::dispatch(timer_.get_executor(), [self = shared_from_this()] { self->arm(); });
  }
  void stop() {
    asio::dispatch(timer_.get_executor(), [self = shared_from_this()] {
      self->stopped_ = true;
      self->timer_.cancel();
    });
  }

 private:
  void arm() {
    if (stopped_) return;
    timer_.expires_after(interval_);
    timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec || self->stopped_) return;
      (void)oplog::flush_tally();
      self->arm();
    });
  }
  asio::steady_timer timer_;
  std::chrono::milliseconds interval_;
  bool stopped_ = false;
};

}  // namespace

struct Server::Impl {
  ServerOptions options;
  asio::io_context io;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::shared_ptr<ConnectionTracker> tracker = std::make_shared<ConnectionTracker>();
  std::map<std::string, std::shared_ptr<Listener>> listeners;
  std::map<std::string, std::shared_ptr<const ListenerShared>> listener_state;
  std::shared_ptr<TallyFlusher> flusher;
  std::vector<std::thread> threads;
  std::mutex state_mutex;
  std::condition_variable state_changed;
  bool started = false;
  bool stop_requested = false;
  bool stopped = false;
  std::function<void()> on_hangup;
  std::function<void()> on_drain;
  std::function<void()> on_stopping;

  explicit Impl(ServerOptions o)
      : options(o), io(static_cast<int>(o.io_threads == 0 ? std::max(1u, std::thread::hardware_concurrency()) : o.io_threads)) {
    if (options.io_threads == 0) options.io_threads = std::max(1u, std::thread::hardware_concurrency());
  }
};

Server::Server(ServerOptions options) : impl_(std::make_unique<Impl>(options)) {}

Server::~Server() { shutdown(); }

void Server::add_listener(const ListenerOptions& options, std::shared_ptr<const Router> router,
                          FailureRenderer render_failure) {
  if (impl_->listeners.contains(options.name)) {
    throw std::runtime_error("listener '" + options.name + "' configured twice");
  }
  auto shared = std::make_shared<ListenerShared>();
  shared->options = options;
  shared->router = std::move(router);
  shared->render_failure = std::move(render_failure);
  shared->tracker = impl_->tracker;
  shared->limiter = std::make_shared<SourceLimiter>(options.limits);
  try {
    impl_->listeners.emplace(options.name, std::make_shared<Listener>(impl_->io, shared));
    impl_->listener_state.emplace(options.name, std::move(shared));
  } catch (const boost::system::system_error& error) {
    std::string hint;
    if (error.code() == boost::asio::error::address_in_use) {
      hint = " (another oncegate or another program uses this port: stop it, or set listeners." + options.name +
             ".port in a configuration file and start with --config)";
    }
    throw std::runtime_error("listener '" + options.name + "' cannot listen on " + options.address + ":" +
                             std::to_string(options.port) + ": " + error.code().message() + hint);
  }
}

std::uint16_t Server::port(const std::string& listener_name) const {
  auto it = impl_->listeners.find(listener_name);
  return it == impl_->listeners.end() ? 0 : it->second->port();
}

boost::asio::any_io_executor Server::executor() const { return impl_->io.get_executor(); }

std::size_t Server::open_connections() const noexcept { return impl_->tracker->open.load(); }

std::vector<ListenerLimitCounts> Server::limit_counts() const {
  std::vector<ListenerLimitCounts> out;
  for (const auto& [name, shared] : impl_->listener_state) {
    out.push_back({name, shared->limiter->counts(), shared->refused_full.load(std::memory_order_relaxed)});
  }
  return out;
}

void Server::start() {
  std::lock_guard lock(impl_->state_mutex);
  if (impl_->started) return;
  impl_->started = true;
  // Keeps the threads alive while idle; released at shutdown so they end when work runs out.
  impl_->work.emplace(impl_->io.get_executor());
  impl_->flusher = std::make_shared<TallyFlusher>(impl_->io, impl_->options.refusal_log_interval);
  impl_->flusher->start();
  for (auto& [name, listener] : impl_->listeners) listener->start();
  for (unsigned i = 0; i < impl_->options.io_threads; ++i) {
    impl_->threads.emplace_back([this] {
      // Named so that operators (top -H) and bench/run-proof.sh tell them from the log writer.
      pthread_setname_np(pthread_self(), "oncegate-io");
      // An exception escaping a handler would end the process (std::terminate). Connections
      // catch their own; anything that still escapes is reported and the thread serves on: the
      // connection whose handler threw is gone (its state was released during unwinding), the
      // others are untouched. run() may be called again after an exception without restart().
      for (;;) {
        try {
          impl_->io.run();
          return;
        } catch (const std::exception& error) {
          oplog::write(oplog::Level::error, "io_handler_failed", {{"reason", error.what()}, {"contained", true}});
        } catch (...) {
          oplog::write(oplog::Level::error, "io_handler_failed", {{"reason", "not a std::exception"}, {"contained", true}});
        }
      }
    });
  }
}

void Server::run_until_signal() {
  start();
  asio::io_context signal_io;
  asio::signal_set signals(signal_io, SIGINT, SIGTERM);
  if (impl_->on_hangup) signals.add(SIGHUP);
  asio::steady_timer drain_timer(signal_io);
  bool draining = false;
  std::function<void(boost::system::error_code, int)> on_signal = [&](boost::system::error_code ec, int number) {
    if (ec) return;
    if (number == SIGHUP) {
      impl_->on_hangup();
      signals.async_wait(on_signal);  // keep listening
      return;
    }
    // SIGTERM with a drain period: serve on, unready, then stop; a second signal stops at once.
    if (number == SIGTERM && !draining && impl_->options.drain_before_stop.count() > 0) {
      draining = true;
      if (impl_->on_drain) impl_->on_drain();
      drain_timer.expires_after(impl_->options.drain_before_stop);
      drain_timer.async_wait([&](boost::system::error_code timer_error) {
        if (timer_error) return;
        {
          std::lock_guard lock(impl_->state_mutex);
          impl_->stop_requested = true;
        }
        impl_->state_changed.notify_all();
      });
      signals.async_wait(on_signal);
      return;
    }
    {
      std::lock_guard lock(impl_->state_mutex);
      impl_->stop_requested = true;
    }
    impl_->state_changed.notify_all();
  };
  signals.async_wait(on_signal);
  // Woken by a signal, or by shutdown() from another thread.
  std::thread waiter([&] { signal_io.run(); });
  {
    std::unique_lock lock(impl_->state_mutex);
    impl_->state_changed.wait(lock, [&] { return impl_->stop_requested; });
  }
  signal_io.stop();
  waiter.join();
  shutdown();
}

void Server::on_hangup(std::function<void()> handler) { impl_->on_hangup = std::move(handler); }

void Server::on_drain(std::function<void()> handler) { impl_->on_drain = std::move(handler); }

void Server::on_stopping(std::function<void()> handler) { impl_->on_stopping = std::move(handler); }

void Server::shutdown() {
  {
    std::lock_guard lock(impl_->state_mutex);
    if (impl_->stopped) return;
    impl_->stopped = true;
    impl_->stop_requested = true;
  }
  impl_->state_changed.notify_all();
  impl_->tracker->stopping.store(true);
  for (auto& [name, listener] : impl_->listeners) listener->stop();
  if (impl_->flusher) impl_->flusher->stop();
  impl_->tracker->close_all();
  if (impl_->on_stopping) impl_->on_stopping();
  impl_->work.reset();

  // The threads end once in-flight requests are answered and connections closed; past the grace
  // period the rest is cut.
  std::mutex done_mutex;
  std::condition_variable done_cv;
  bool done = false;
  std::thread watchdog([&] {
    std::unique_lock lock(done_mutex);
    if (!done_cv.wait_for(lock, impl_->options.shutdown_grace, [&] { return done; })) impl_->io.stop();
  });
  for (auto& thread : impl_->threads) thread.join();
  impl_->threads.clear();
  {
    std::lock_guard lock(done_mutex);
    done = true;
  }
  done_cv.notify_all();
  watchdog.join();
  impl_->listeners.clear();
  (void)oplog::flush_tally();
}

}  // namespace oncegate::net
