#include "gateway/net/https_session.hpp"
#include "gateway/crypto/x509.hpp"
#include "gateway/oplog/oplog.hpp"
#include "gateway/oplog/tally.hpp"
#include "gateway/common/bytes.hpp"

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <cctype>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

namespace oncegate::net {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace asio = boost::asio;

namespace {

std::string peer_certificate_fingerprint(SSL* ssl) {
  X509* certificate = SSL_get0_peer_certificate(ssl);
  if (certificate == nullptr || SSL_get_verify_result(ssl) != X509_V_OK) return {};
  try {
    return crypto::certificate_fingerprint(certificate);
  } catch (const std::exception&) {
    return {};
  }
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

HttpsSession::HttpsSession(asio::ip::tcp::socket&& socket, asio::ssl::context& tls,
                           std::shared_ptr<const ListenerShared> shared, SourceLimiter::Lease lease,
                           const asio::ip::tcp::endpoint& peer)
    : stream_(std::move(socket), tls),
      buffer_(std::max<std::size_t>(shared->options.header_limit, 16 * 1024) + 16 * 1024),
      shared_(std::move(shared)),
      lease_(std::move(lease)) {
  info_.listener = shared_->options.name;
  info_.source = lease_.source();
  // The connection's peer, or the one a load balancer's PROXY header named.
  info_.peer_address = peer.address().to_string() + ":" + std::to_string(peer.port());
}

HttpsSession::~HttpsSession() {
  shared_->tracker->remove(this);
  shared_->tracker->open.fetch_sub(1);
  shared_->open.fetch_sub(1);
}

void HttpsSession::run() {
  shared_->tracker->add(shared_from_this());
  // The socket was accepted onto its own strand; start there so every step is serialised.
  asio::dispatch(stream_.get_executor(), beast::bind_front_handler(&HttpsSession::on_run, shared_from_this()));
}

void HttpsSession::close_gracefully() {
  asio::post(stream_.get_executor(), [self = shared_from_this()] {
    self->closing_ = true;
    // Waiting for a request that has not come: stop waiting. A request being handled finishes
    // and its answer is sent before the connection closes (see on_write).
    if (self->reading_) beast::get_lowest_layer(self->stream_).cancel();
  });
}

void HttpsSession::on_run() {
  beast::get_lowest_layer(stream_).expires_after(shared_->options.handshake_timeout);
  stream_.async_handshake(asio::ssl::stream_base::server,
                          beast::bind_front_handler(&HttpsSession::on_handshake, shared_from_this()));
}

void HttpsSession::on_handshake(beast::error_code ec) {
  lease_.handshake_finished();
  if (ec) return fail(ec, "handshake");
  if (!shared_->options.tls.client_ca_file.empty()) {
    // Once per connection, so requests only compare strings.
    info_.peer_certificate_fingerprint = peer_certificate_fingerprint(stream_.native_handle());
  }
  if (closing_ || shared_->tracker->stopping.load()) return do_close();
  do_read();
}

void HttpsSession::do_read() {
  // The parser refuses any single field over the header limit (and over what Beast can store).
  parser_.emplace(shared_->options.header_limit);
  parser_->header_limit(static_cast<std::uint32_t>(shared_->options.header_limit));
  parser_->body_limit(shared_->options.body_limit);
  request_ = HttpRequest{};
  match_ = Router::Match{};
  reading_ = true;
  beast::get_lowest_layer(stream_).expires_after(shared_->options.read_timeout);
  http::async_read_header(stream_, buffer_, *parser_,
                          beast::bind_front_handler(&HttpsSession::on_header, shared_from_this()));
}

HttpResponse HttpsSession::render(HttpFailure failure) const {
  if (match_.route != nullptr && match_.route->render) return match_.route->render(failure);
  return shared_->render_failure(failure);
}

void HttpsSession::on_read_error(beast::error_code ec) {
  // Refused while the header was read (a Content-Length over the body limit is refused as soon as
  // the header ends): the answer is in the family of the route the request line named.
  if (match_.route == nullptr && parser_ && !parser_->get().target().empty()) {
    const std::string_view target = parser_->get().target();
    match_ = shared_->router->find(parser_->get().method_string(), target.substr(0, target.find('?')));
  }
  if (ec == http::error::end_of_stream) return do_close();
  if (ec == asio::error::operation_aborted) return do_close();  // shutdown while idle
  if (ec == http::error::body_limit) return fail_and_close(HttpFailure::body_too_large);
  // The header (or a trailer) outgrew the header limit or the read buffer.
  if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
    return fail_and_close(HttpFailure::header_too_large);
  }
  if (ec.category() == framing_category()) {
    switch (static_cast<FramingError>(ec.value())) {
      case FramingError::field_too_large: return fail_and_close(HttpFailure::header_too_large);
      case FramingError::transfer_coding_unsupported: return fail_and_close(HttpFailure::not_implemented);
      case FramingError::expectation_unsupported: return fail_and_close(HttpFailure::expectation_failed);
      case FramingError::out_of_memory: return fail_and_close(HttpFailure::internal_error);
      default: return fail_and_close(HttpFailure::bad_request);
    }
  }
  if (ec.category() == http::make_error_code(http::error::bad_method).category()) {
    return fail_and_close(HttpFailure::bad_request);
  }
  fail(ec, "read");
}

void HttpsSession::on_header(beast::error_code ec, std::size_t /*bytes*/) {
  reading_ = false;
  if (ec) return on_read_error(ec);
  if (closing_) return do_close();
  const auto& head = parser_->get();
  keep_alive_ = head.keep_alive();
  request_.method = std::string(head.method_string());
  request_.target = std::string(head.target());
  const auto question = request_.target.find('?');
  request_.path = request_.target.substr(0, question);
  if (question != std::string::npos) request_.query = request_.target.substr(question + 1);
  for (const auto& field : head) {
    request_.headers.emplace_back(lower(field.name_string()), std::string(field.value()));
  }

  match_ = shared_->router->find(request_.method, request_.path);
  // The rate of the source and of the party, before anything else is done for the request.
  if (LimitReason why{}; !shared_->limiter->take_request(lease_.source(), info_.peer_certificate_fingerprint, why)) {
    oplog::tally(info_.listener, lease_.source(), reason_name(why));
    auto refusal = render(HttpFailure::rate_limited);
    refusal.headers.emplace_back("Retry-After", "1");
    return refuse(std::move(refusal));
  }
  if (match_.route == nullptr) {
    return refuse(render(match_.path_known ? HttpFailure::method_not_allowed : HttpFailure::not_found));
  }
  // Who is asking and in what form is decided on the header alone: a refused request's body is
  // never read, let alone parsed. The listener's own admission (who may speak here at all) comes
  // before the route's.
  for (const Admission* admit : {&shared_->router->admission(), &match_.route->admit}) {
    if (!*admit) continue;
    std::optional<HttpResponse> refusal;
    try {
      refusal = (*admit)(request_, info_);
    } catch (const std::exception& error) {
      oplog::write(oplog::Level::error, "admission_failed", {{"listener", info_.listener}, {"reason", error.what()}});
      refusal = render(HttpFailure::internal_error);
    }
    if (refusal) return refuse(std::move(*refusal));
  }
  if (parser_->is_done()) return dispatch();
  // HTTP/1.0 clients know no interim answers (RFC 9110 15.2).
  if (parser_->expects_continue() && parser_->get().version() >= 11) {
    // A constant interim answer: written as bytes, without a serializer of its own.
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    beast::get_lowest_layer(stream_).expires_after(shared_->options.write_timeout);
    return asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                             beast::bind_front_handler(&HttpsSession::on_continue_sent, shared_from_this()));
  }
  read_body();
}

void HttpsSession::on_continue_sent(beast::error_code ec, std::size_t /*bytes*/) {
  if (ec) return fail(ec, "write");
  // Shutdown began while the interim answer was written: say so instead of waiting for a body.
  if (closing_ || shared_->tracker->stopping.load()) return refuse(render(HttpFailure::shutting_down));
  read_body();
}

void HttpsSession::read_body() {
  reading_ = true;
  beast::get_lowest_layer(stream_).expires_after(shared_->options.read_timeout);
  http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&HttpsSession::on_body, shared_from_this()));
}

void HttpsSession::on_body(beast::error_code ec, std::size_t /*bytes*/) {
  reading_ = false;
  if (ec) return on_read_error(ec);
  if (closing_) return do_close();
  dispatch();
}

void HttpsSession::refuse(HttpResponse response) {
  // With a body still unread, the stream is out of step: answer, then close.
  const bool body_unread = !parser_->is_done();
  if (body_unread) closing_ = true;
  send(std::move(response), keep_alive_ && !body_unread);
}

void HttpsSession::dispatch() {
  request_.body = std::move(parser_->get().body());
  const bool keep_alive = keep_alive_;
  auto self = shared_from_this();
  Responder respond = [self, keep_alive](HttpResponse response) {
    asio::dispatch(self->stream_.get_executor(), [self, keep_alive, response = std::move(response)]() mutable {
      self->send(std::move(response), keep_alive);
    });
  };
  try {
    match_.route->handler(std::move(request_), info_, stream_.get_executor(), std::move(respond));
  } catch (const std::exception& error) {
    // A handler defect must not take the connection (or the process) down; the requester gets a
    // generic answer, the operator the reason.
    oplog::write(oplog::Level::error, "handler_failed", {{"listener", info_.listener}, {"reason", error.what()}});
    closing_ = true;
    send(render(HttpFailure::internal_error), false);
  }
}

void HttpsSession::send(HttpResponse response, bool keep_alive) {
  if (closed_) return;
  if (response_) {
    // A second answer while the first is being written (a handler defect): the first stands.
    oplog::write(oplog::Level::error, "second_answer_dropped", {{"listener", info_.listener}});
    return;
  }
  const bool stay = keep_alive && !closing_ && !shared_->tracker->stopping.load();
  const auto build = [this, stay](HttpResponse& r) {
    response_ = std::make_shared<Response>(static_cast<http::status>(r.status), 11);
    response_->set(http::field::server, "oncegate");
    response_->set(http::field::content_type, r.content_type);
    response_->set(http::field::cache_control, "no-store");
    response_->set("X-Content-Type-Options", "nosniff");
    response_->set(http::field::strict_transport_security, "max-age=31536000");
    // A header named again replaces the earlier one, except Set-Cookie: each is a cookie of its own.
    for (auto& [name, value] : r.headers) {
      if (beast::iequals(name, "set-cookie")) {
        response_->insert(http::field::set_cookie, value);
      } else {
        response_->set(name, value);
      }
    }
    response_->body() = std::move(r.body);
    response_->keep_alive(stay);
    response_->prepare_payload();
  };
  try {
    build(response);
  } catch (const std::exception& error) {
    // A handler produced a header Beast cannot hold: a defect, answered generically.
    oplog::write(oplog::Level::error, "answer_unbuildable", {{"listener", info_.listener}, {"reason", error.what()}});
    HttpResponse fallback{500, "text/plain; charset=utf-8", "internal error\n", {}};
    try {
      build(fallback);
    } catch (const std::exception&) {
      return fail(asio::error::no_memory, "write");
    }
  }
  beast::get_lowest_layer(stream_).expires_after(shared_->options.write_timeout);
  http::async_write(stream_, *response_,
                    beast::bind_front_handler(&HttpsSession::on_write, shared_from_this(), stay));
}

void HttpsSession::on_write(bool keep_alive, beast::error_code ec, std::size_t /*bytes*/) {
  response_.reset();
  if (ec) return fail(ec, "write");
  if (!keep_alive || closing_ || shared_->tracker->stopping.load()) return do_close();
  do_read();
}

void HttpsSession::fail_and_close(HttpFailure failure) {
  closing_ = true;
  send(render(failure), false);
}

void HttpsSession::do_close() {
  if (closed_) return;
  closed_ = true;
  // close_notify goes out at once; waiting for the peer's is bounded tightly so that a silent peer
  // does not hold the connection (or a graceful shutdown) for long.
  beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(1));
  stream_.async_shutdown(beast::bind_front_handler(&HttpsSession::on_shutdown, shared_from_this()));
}

void HttpsSession::on_shutdown(beast::error_code /*ec*/) {
  // The peer may have gone already; the TLS close_notify is a courtesy, not a requirement.
  beast::error_code ignored;
  beast::get_lowest_layer(stream_).socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  beast::get_lowest_layer(stream_).close();
}

// Errors that are part of normal life are not reported: a peer that closes without TLS
// close_notify (stream_truncated), timeouts of idle or slow peers, and cancellations during
// shutdown. Everything else is counted in the refusal tally (oplog/tally.hpp) under its step.
void HttpsSession::fail(beast::error_code ec, const char* what) {
  closed_ = true;
  const bool in_handshake = std::string_view(what) == "handshake";
  const bool normal = ec == asio::ssl::error::stream_truncated || ec == beast::error::timeout ||
                      ec == asio::error::operation_aborted || ec == asio::error::eof ||
                      ec == asio::error::connection_reset || ec == asio::error::broken_pipe;
  // Counted before the socket closes, so that whoever sees the close sees the count.
  if (in_handshake && ec == beast::error::timeout) {
    // A peer that opens a connection and says nothing holds a slot until here: worth counting.
    oplog::tally(info_.listener, lease_.source(), "tls_handshake_timeout");
  } else if (!normal) {
    // In aggregate: a flood of garbage connections must not become a flood of log lines.
    oplog::tally(info_.listener, lease_.source(), in_handshake ? "tls_handshake_failed" : std::string(what) + "_failed");
  }
  beast::get_lowest_layer(stream_).close();
}

}  // namespace oncegate::net
