#include "gateway/client/https_client.hpp"

#include <openssl/ssl.h>

#include <fstream>
#include <iterator>
#include <regex>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "gateway/net/bounded_parser.hpp"

namespace oncegate::client {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;

// Beast's stream timeouts govern asynchronous operations only, so every step runs as an async
// operation on the client's own io_context until it completes (or its deadline closes the stream).
template <typename Start>
beast::error_code run_until_done(asio::io_context& io, Start start) {
  beast::error_code result = asio::error::would_block;
  io.restart();
  start([&result](beast::error_code ec, auto&&...) { result = ec; });
  io.run();
  return result;
}

struct HttpsClient::Impl {
  asio::io_context io;
  asio::ssl::context tls{asio::ssl::context::tls_client};
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> stream;
  // Bounded like the gateway's own: a hostile server cannot make the client hold an endless header.
  beast::flat_buffer buffer{128 * 1024};
  std::string host;
  std::chrono::milliseconds timeout{};

  HttpReply read_reply() {
    // Never throws on what a server sends (no trailers, bounded fields, strict framing).
    net::BoundedResponseParser parser;
    parser.header_limit(64 * 1024);
    parser.body_limit(64 * 1024 * 1024);
    beast::get_lowest_layer(*stream).expires_after(timeout);
    const beast::error_code ec =
        run_until_done(io, [&](auto handler) { http::async_read(*stream, buffer, parser, handler); });
    if (ec) throw ClientError("reading the reply failed: " + ec.message());
    auto response = parser.release();
    HttpReply reply;
    reply.status = response.result_int();
    reply.content_type = std::string(response[http::field::content_type]);
    reply.keep_alive = response.keep_alive();
    for (const auto& field : response) reply.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    reply.body = std::move(response.body());
    return reply;
  }
};

std::uint16_t listener_port_from_ports_file(const std::string& data_dir, const std::string& listener) {
  std::ifstream in(data_dir + "/ports.json");
  const std::string text((std::istreambuf_iterator<char>(in)), {});
  std::smatch match;
  if (!std::regex_search(text, match, std::regex("\"" + listener + "\"\\s*:\\s*([0-9]+)"))) return 0;
  const unsigned long port = std::stoul(match[1].str());
  return port > 65535 ? 0 : static_cast<std::uint16_t>(port);
}

HttpsClient::HttpsClient(const std::string& host, std::uint16_t port, const ClientTls& tls,
                         std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>()) {
  impl_->host = host;
  impl_->timeout = timeout;
  SSL_CTX_set_min_proto_version(impl_->tls.native_handle(), TLS1_2_VERSION);
  beast::error_code ec;
  impl_->tls.load_verify_file(tls.ca_file, ec);
  if (ec) throw ClientError("cannot load CA file '" + tls.ca_file + "': " + ec.message());
  impl_->tls.set_verify_mode(asio::ssl::verify_peer);
  impl_->tls.set_verify_callback(asio::ssl::host_name_verification(host));
  if (!tls.certificate_file.empty()) {
    impl_->tls.use_certificate_chain_file(tls.certificate_file, ec);
    if (ec) throw ClientError("cannot load client certificate '" + tls.certificate_file + "': " + ec.message());
    impl_->tls.use_private_key_file(tls.private_key_file, asio::ssl::context::pem, ec);
    if (ec) throw ClientError("cannot load client key '" + tls.private_key_file + "': " + ec.message());
  }
  impl_->stream = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(impl_->io, impl_->tls);
  if (SSL_set_tlsext_host_name(impl_->stream->native_handle(), host.c_str()) != 1) {
    throw ClientError("cannot set TLS server name");
  }
  asio::ip::tcp::resolver resolver(impl_->io);
  const auto endpoints = resolver.resolve(host, std::to_string(port), ec);
  if (ec) throw ClientError("cannot resolve '" + host + "': " + ec.message());
  beast::get_lowest_layer(*impl_->stream).expires_after(timeout);
  if (tls.bind_address.empty()) {
    ec = run_until_done(impl_->io, [&](auto handler) { beast::get_lowest_layer(*impl_->stream).async_connect(endpoints, handler); });
  } else {
    // Bound before connecting: one endpoint, the first the name resolves to.
    const auto local = asio::ip::make_address(tls.bind_address, ec);
    if (ec) throw ClientError("cannot bind to '" + tls.bind_address + "': " + ec.message());
    auto& socket = beast::get_lowest_layer(*impl_->stream).socket();
    const asio::ip::tcp::endpoint remote = *endpoints.begin();
    socket.open(remote.protocol(), ec);
    if (!ec) socket.bind(asio::ip::tcp::endpoint(local, 0), ec);
    if (ec) throw ClientError("cannot bind to '" + tls.bind_address + "': " + ec.message());
    ec = run_until_done(impl_->io, [&](auto handler) { beast::get_lowest_layer(*impl_->stream).async_connect(remote, handler); });
  }
  if (ec) throw ClientError("cannot connect to " + host + ":" + std::to_string(port) + ": " + ec.message());
  // A request of several TLS records must not wait for the server's delayed ACK (Nagle).
  beast::get_lowest_layer(*impl_->stream).socket().set_option(asio::ip::tcp::no_delay(true), ec);
  beast::get_lowest_layer(*impl_->stream).expires_after(timeout);
  ec = run_until_done(impl_->io, [&](auto handler) { impl_->stream->async_handshake(asio::ssl::stream_base::client, handler); });
  if (ec) throw ClientError("TLS handshake with " + host + ":" + std::to_string(port) + " failed: " + ec.message());
}

HttpsClient::~HttpsClient() {
  if (!impl_ || !impl_->stream) return;
  beast::get_lowest_layer(*impl_->stream).expires_after(std::chrono::seconds(2));
  (void)run_until_done(impl_->io, [&](auto handler) { impl_->stream->async_shutdown(handler); });
}

HttpReply HttpsClient::request(const std::string& method, const std::string& target, const std::string& body,
                               const std::string& content_type,
                               const std::vector<std::pair<std::string, std::string>>& headers) {
  http::request<http::string_body> req(http::string_to_verb(method), target, 11);
  req.set(http::field::host, impl_->host);
  req.set(http::field::user_agent, "oncegate-client");
  if (!body.empty() || method == "POST") req.set(http::field::content_type, content_type);
  for (const auto& [name, value] : headers) req.set(name, value);
  req.keep_alive(true);
  req.body() = body;
  req.prepare_payload();
  beast::get_lowest_layer(*impl_->stream).expires_after(impl_->timeout);
  const beast::error_code ec =
      run_until_done(impl_->io, [&](auto handler) { http::async_write(*impl_->stream, req, handler); });
  if (ec) throw ClientError("sending the request failed: " + ec.message());
  return impl_->read_reply();
}

HttpReply HttpsClient::raw(const std::string& bytes) {
  beast::get_lowest_layer(*impl_->stream).expires_after(impl_->timeout);
  const beast::error_code ec =
      run_until_done(impl_->io, [&](auto handler) { asio::async_write(*impl_->stream, asio::buffer(bytes), handler); });
  if (ec) throw ClientError("sending failed: " + ec.message());
  return impl_->read_reply();
}

std::string HttpsClient::tls_version() const { return SSL_get_version(impl_->stream->native_handle()); }

}  // namespace oncegate::client
