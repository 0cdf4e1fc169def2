#pragma once
// One TLS connection speaking HTTP/1.1 with keep-alive: handshake, read a request, hand it to the
// router, write the answer, repeat. All steps run on the connection's strand.

#include <memory>
#include <optional>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "gateway/net/bounded_parser.hpp"
#include "gateway/net/connection_tracker.hpp"
#include "gateway/net/http.hpp"
#include "gateway/net/server.hpp"

namespace oncegate::net {

struct ListenerShared {
  ListenerOptions options;
  std::shared_ptr<const Router> router;
  FailureRenderer render_failure;
  std::shared_ptr<ConnectionTracker> tracker;
  // This listener's connections, against its own max_connections: a flood on one listener must
  // not lock operators out of another.
  mutable std::atomic<std::size_t> open{0};
  mutable std::atomic<std::uint64_t> refused_full{0};
  // Per source and per party (options.limits).
  std::shared_ptr<SourceLimiter> limiter;
};

class HttpsSession : public Closable, public std::enable_shared_from_this<HttpsSession> {
 public:
  HttpsSession(boost::asio::ip::tcp::socket&& socket, boost::asio::ssl::context& tls,
               std::shared_ptr<const ListenerShared> shared, SourceLimiter::Lease lease,
               const boost::asio::ip::tcp::endpoint& peer);
  ~HttpsSession() override;

  void run();
  void close_gracefully() override;

 private:
  using Response = boost::beast::http::response<boost::beast::http::string_body>;

  void on_run();
  void on_handshake(boost::beast::error_code ec);
  void do_read();
  void on_header(boost::beast::error_code ec, std::size_t bytes);
  void on_continue_sent(boost::beast::error_code ec, std::size_t bytes);
  void read_body();
  void on_body(boost::beast::error_code ec, std::size_t bytes);
  // The failure in the message family of the request's route (or of the listener).
  [[nodiscard]] HttpResponse render(HttpFailure failure) const;
  // Answers a failed read (malformed, oversized, refused framing) or closes quietly.
  void on_read_error(boost::beast::error_code ec);
  void dispatch();
  // Sends an answer without reading the rest of the request: the connection closes after it
  // unless the request had no body.
  void refuse(HttpResponse response);
  void send(HttpResponse response, bool keep_alive);
  void on_write(bool keep_alive, boost::beast::error_code ec, std::size_t bytes);
  void fail_and_close(HttpFailure failure);
  void do_close();
  void on_shutdown(boost::beast::error_code ec);
  void fail(boost::beast::error_code ec, const char* what);

  boost::beast::ssl_stream<boost::beast::tcp_stream> stream_;
  // Bounded: a header (or a trailer, which is refused) larger than the header limit ends the read
  // instead of growing the buffer.
  boost::beast::flat_buffer buffer_;
  std::optional<BoundedRequestParser> parser_;
  HttpRequest request_;                 // the request being read: header first, then the body
  Router::Match match_;                 // its route, found from the header
  bool keep_alive_ = false;             // the request allows keep-alive
  std::shared_ptr<Response> response_;  // kept alive while being written
  std::shared_ptr<const ListenerShared> shared_;
  SourceLimiter::Lease lease_;  // the source's connection (and, until the handshake ends, handshake) slot
  ConnectionInfo info_;
  bool reading_ = false;        // waiting for (or reading) a request
  bool closing_ = false;        // close after the current answer
  bool closed_ = false;
};

}  // namespace oncegate::net
