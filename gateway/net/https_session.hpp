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
};

class HttpsSession : public Closable, public std::enable_shared_from_this<HttpsSession> {
 public:
  HttpsSession(boost::asio::ip::tcp::socket&& socket, boost::asio::ssl::context& tls,
               std::shared_ptr<const ListenerShared> shared);
  ~HttpsSession() override;

  void run();
  void close_gracefully() override;

 private:
  using Request = boost::beast::http::request<boost::beast::http::string_body>;
  using Response = boost::beast::http::response<boost::beast::http::string_body>;

  void on_run();
  void on_handshake(boost::beast::error_code ec);
  void do_read();
  void on_read(boost::beast::error_code ec, std::size_t bytes);
  void dispatch(Request request);
  void send(HttpResponse response, bool keep_alive);
  void on_write(bool keep_alive, boost::beast::error_code ec, std::size_t bytes);
  void fail_and_close(HttpFailure failure);
  void do_close();
  void on_shutdown(boost::beast::error_code ec);
  void fail(boost::beast::error_code ec, const char* what);

  boost::beast::ssl_stream<boost::beast::tcp_stream> stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  std::shared_ptr<Response> response_;  // kept alive while being written
  std::shared_ptr<const ListenerShared> shared_;
  ConnectionInfo info_;
  bool reading_ = false;        // waiting for (or reading) a request
  bool closing_ = false;        // close after the current answer
  bool closed_ = false;
};

}  // namespace oncegate::net
