#pragma once
// A small blocking HTTPS/1.1 client with keep-alive and full certificate verification (chain to
// the given CA, host name or IP in the certificate). Used by the demo client, the tests and the
// load generator. Verification cannot be switched off.
//
// Thread safety: one HttpsClient per thread; no shared state between instances.

#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace oncegate::client {

struct ClientTls {
  std::string ca_file;           // PEM bundle the server certificate must chain to. Required.
  std::string certificate_file;  // client certificate (PEM), optional
  std::string private_key_file;  // its key (PEM), optional
  // The local address to connect from (e.g. 127.0.0.2, so that a test's or a load generator's
  // traffic counts as another source); empty: chosen by the system.
  std::string bind_address = {};
};

struct HttpReply {
  unsigned status = 0;
  std::string content_type;
  std::string body;
  bool keep_alive = false;
  std::vector<std::pair<std::string, std::string>> headers;
};

// The port a running gateway's listener got, from <data_dir>/ports.json ({"evidence": N, ...}),
// which the gateway writes once its listeners accept; 0 when the file or the listener is missing.
[[nodiscard]] std::uint16_t listener_port_from_ports_file(const std::string& data_dir, const std::string& listener);

class ClientError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class HttpsClient {
 public:
  // Connects and completes the TLS handshake. Throws ClientError.
  HttpsClient(const std::string& host, std::uint16_t port, const ClientTls& tls,
              std::chrono::milliseconds timeout = std::chrono::seconds(30));
  ~HttpsClient();
  HttpsClient(const HttpsClient&) = delete;
  HttpsClient& operator=(const HttpsClient&) = delete;

  // Sends one request on the connection and reads the reply. Throws ClientError.
  HttpReply request(const std::string& method, const std::string& target, const std::string& body = {},
                    const std::string& content_type = "application/xml",
                    const std::vector<std::pair<std::string, std::string>>& headers = {});

  // Writes raw bytes on the TLS stream and reads one HTTP reply (malformed-request tests).
  HttpReply raw(const std::string& bytes);

  // The TLS protocol version negotiated, e.g. "TLSv1.3".
  [[nodiscard]] std::string tls_version() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace oncegate::client
