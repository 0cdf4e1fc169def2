// Hostile input against the running gateway, both message families: XML bombs and blowups,
// external entities and DTDs, deep nesting, huge attribute counts and values, oversized bodies,
// slow headers and bodies, pipelining after a refusal, old TLS versions and renegotiation by a
// client that lowers its own OpenSSL settings, and 2,000 connections at once. After each attack a
// good request from another source (127.0.0.2) must still be answered within a stated bound.
//
// Held elsewhere and not repeated here (docs/SECURITY.md lists them): signature wrapping, expired
// and foreign certificates (tests/exchange/trust_integration_test.cpp), conflicting framing,
// trailers and oversized fields (tests/net/front_door_test.cpp).

#include <gtest/gtest.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <chrono>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>

#include "gateway/message/edm/edm.hpp"
#include "tests/support/test_gateway.hpp"

namespace oncegate::testing {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using client::ClientError;
using client::HttpReply;
using client::HttpsClient;

constexpr const char* kParty = "oots:ap-de-demo";

TestGatewayOptions hostile_options() {
  TestGatewayOptions options;
  options.evidence_listener_toml = "read_timeout_ms = 1500\nhandshake_timeout_ms = 2000\n";
  options.authorities_toml = "[[authorities]]\nkennung = \"oots:ap-de-demo\"\nname = \"OOTS-Zugangspunkt (Test)\"\n"
                             "certificates = [\"demo/authorities/oots-ap-de-demo.pem\"]\n";
  options.extra_toml = "[oots]\nenabled = true\nprovider_id = \"DE99000001\"\n";
  return options;
}

class HostileInputTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { gateway_ = new TestGateway(hostile_options()); }
  static void TearDownTestSuite() {
    delete gateway_;
    gateway_ = nullptr;
  }

  // Both families' endpoints with the party that may use them.
  struct Endpoint {
    const char* path;
    const char* party;
  };
  static constexpr Endpoint kEndpoints[] = {{"/v1/nachweis", TestGateway::kAuthority}, {"/v1/oots/query", kParty}};

  static HttpReply post(const Endpoint& endpoint, const std::string& body) {
    return gateway_->connect(endpoint.party)->request("POST", endpoint.path, body, "application/xml");
  }

  // The error code of a refusal in either family.
  static std::string code_of(const Endpoint& endpoint, const HttpReply& reply) {
    if (std::string_view(endpoint.path) == "/v1/nachweis") return gateway_->codec().read_answer(reply.body).error_code;
    const auto reading = message::edm::read_response(reply.body);
    return reading.error_code + " " + reading.error_detail;
  }

  // A good request from another source, answered within `bound` (stated in docs/SECURITY.md).
  static void expect_good_request_answered(std::chrono::milliseconds bound = 2000ms) {
    auto tls = gateway_->tls();
    tls.bind_address = "127.0.0.2";
    const auto start = Clock::now();
    HttpsClient other("127.0.0.1", gateway_->port(), tls, 20s);
    const auto reply = other.request("POST", "/v1/nachweis", gateway_->request(gateway_->people().at(1).idnr, "geburtsurkunde"));
    EXPECT_EQ(reply.status, 200u) << reply.body;
    EXPECT_LT(Clock::now() - start, bound);
  }

  static TestGateway* gateway_;
};

TestGateway* HostileInputTest::gateway_ = nullptr;

TEST_F(HostileInputTest, ThirtySevenThousandAttributesAreRefusedBeforeTheParserInMilliseconds) {
  std::string attributes;
  for (int i = 0; i < 37'000; ++i) attributes += " a" + std::to_string(i) + "=\"\"";
  for (const auto& endpoint : kEndpoints) {
    const std::string body = "<r" + attributes.substr(0, 200'000) + "/>";
    const auto start = Clock::now();
    const auto reply = post(endpoint, body);
    const auto took = Clock::now() - start;
    EXPECT_EQ(reply.status, 400u) << endpoint.path;
    const std::string code = code_of(endpoint, reply);
    EXPECT_TRUE(code == "SCHEMA_INVALID" || code.starts_with("EDM:ERR:0003")) << code;
    EXPECT_NE(reply.body.find("more than 32 attributes"), std::string::npos) << reply.body.substr(0, 600);
    // Was ~2 s of CPU in libxml2's quadratic duplicate check; now a linear pre-scan (bound 5x
    // the measured few milliseconds, and ASan).
    EXPECT_LT(took, 1000ms) << endpoint.path;
  }
  expect_good_request_answered();
}

TEST_F(HostileInputTest, EntityBombsExternalEntitiesAndDtdsAreRefusedUnparsed) {
  const std::string laughs =
      "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">"
      "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">]><lolz>&lol3;</lolz>";
  const std::string quadratic =
      "<!DOCTYPE q [<!ENTITY a \"" + std::string(20'000, 'a') + "\">]><q>" + [] {
        std::string refs;
        for (int i = 0; i < 5'000; ++i) refs += "&a;";
        return refs;
      }() + "</q>";
  const std::string external = "<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><r>&x;</r>";
  const std::string external_dtd = "<!DOCTYPE r SYSTEM \"http://127.0.0.1:1/evil.dtd\"><r/>";
  const std::string parameter = "<!DOCTYPE r [<!ENTITY % p SYSTEM \"file:///etc/passwd\"> %p;]><r/>";
  for (const auto& endpoint : kEndpoints) {
    for (const auto& body : {laughs, quadratic, external, external_dtd, parameter}) {
      const auto reply = post(endpoint, body);
      EXPECT_EQ(reply.status, 400u) << endpoint.path;
      EXPECT_NE(reply.body.find("DOCTYPE declarations are not allowed"), std::string::npos) << reply.body.substr(0, 500);
      EXPECT_EQ(reply.body.find("root:"), std::string::npos);  // nothing of /etc/passwd
    }
    // An entity reference without a DTD is no expansion either: malformed.
    const auto undeclared = post(endpoint, "<r>&x;</r>");
    EXPECT_EQ(undeclared.status, 400u);
  }
  expect_good_request_answered();
}

TEST_F(HostileInputTest, TenThousandDeepNestingIsRefusedBeforeATreeIsBuilt) {
  std::string body;
  for (int i = 0; i < 10'000; ++i) body += "<a>";
  for (int i = 0; i < 10'000; ++i) body += "</a>";
  for (const auto& endpoint : kEndpoints) {
    const auto reply = post(endpoint, body);
    EXPECT_EQ(reply.status, 400u);
    EXPECT_NE(reply.body.find("nested too deeply"), std::string::npos) << reply.body.substr(0, 500);
  }
  expect_good_request_answered();
}

TEST_F(HostileInputTest, HugeBodiesAndAttributesNeverReachTheParser) {
  // 100 MB, and a 1 MB attribute: refused from the announced length (body limit 256 KiB), in the
  // family of the endpoint, before a byte of the body is read.
  for (const auto& endpoint : kEndpoints) {
    for (const std::size_t length : {std::size_t{104'857'600}, std::size_t{1'000'010}}) {
      const auto connection = gateway_->connect(endpoint.party);
      const auto reply = connection->raw(std::string("POST ") + endpoint.path +
                                         " HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/xml\r\nContent-Length: " +
                                         std::to_string(length) + "\r\n\r\n");
      EXPECT_EQ(reply.status, 413u) << endpoint.path;
      const std::string code = code_of(endpoint, reply);
      EXPECT_TRUE(code == "TOO_LARGE" || code.starts_with("EDM:ERR:0003")) << code << reply.body.substr(0, 400);
    }
  }
  // Within the body limit, an attribute value over 16 KiB is refused before libxml2.
  const auto long_value = post(kEndpoints[1], "<r a=\"" + std::string(20'000, 'v') + "\"/>");
  EXPECT_EQ(long_value.status, 400u);
  EXPECT_NE(long_value.body.find("attribute value is longer"), std::string::npos) << long_value.body.substr(0, 500);
  expect_good_request_answered();
}

// A TLS connection written by hand, a few bytes at a time.
class SlowClient {
 public:
  SlowClient(std::uint16_t port, const client::ClientTls& tls) : ssl_(asio::ssl::context::tls_client) {
    ssl_.load_verify_file(tls.ca_file);
    ssl_.use_certificate_chain_file(tls.certificate_file);
    ssl_.use_private_key_file(tls.private_key_file, asio::ssl::context::pem);
    stream_ = std::make_unique<asio::ssl::stream<asio::ip::tcp::socket>>(io_, ssl_);
    stream_->lowest_layer().connect({asio::ip::make_address("127.0.0.1"), port});
    stream_->handshake(asio::ssl::stream_base::client);
  }
  // Writes `bytes` one at a time, `pause` apart; false once the gateway has closed.
  bool dribble(const std::string& bytes, std::chrono::milliseconds pause, std::chrono::milliseconds for_at_most) {
    const auto until = Clock::now() + for_at_most;
    for (char c : bytes) {
      boost::system::error_code ec;
      asio::write(*stream_, asio::buffer(&c, 1), ec);
      if (ec) return false;
      std::this_thread::sleep_for(pause);
      if (Clock::now() > until) break;
    }
    return true;
  }
  // Whether the gateway closes the connection within `within` (a read returns an error or EOF).
  bool closed_within(std::chrono::milliseconds within) {
    stream_->lowest_layer().non_blocking(true);
    const auto until = Clock::now() + within;
    char buffer[4096];
    while (Clock::now() < until) {
      boost::system::error_code ec;
      stream_->read_some(asio::buffer(buffer), ec);
      if (ec && ec != asio::error::would_block && ec != asio::ssl::error::stream_truncated) return true;
      if (ec == asio::ssl::error::stream_truncated) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }
 private:
  asio::io_context io_;
  asio::ssl::context ssl_;
  std::unique_ptr<asio::ssl::stream<asio::ip::tcp::socket>> stream_;
};

TEST_F(HostileInputTest, SlowHeadersAndSlowBodiesAreCutAtTheReadTimeout) {
  // read_timeout_ms = 1500 here: a header that takes longer is cut, however steadily it drips.
  SlowClient slow_header(gateway_->port(), gateway_->tls());
  slow_header.dribble("POST /v1/nachweis HTTP/1.1\r\nHost: gateway\r\nX-Slow: " + std::string(200, 'a'), 50ms, 2500ms);
  EXPECT_TRUE(slow_header.closed_within(2000ms));
  SlowClient slow_body(gateway_->port(), gateway_->tls());
  slow_body.dribble("POST /v1/nachweis HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/xml\r\nContent-Length: 5000\r\n\r\n",
                    0ms, 1000ms);
  slow_body.dribble(std::string(200, '<'), 50ms, 2500ms);
  EXPECT_TRUE(slow_body.closed_within(2000ms));
  expect_good_request_answered();
}

TEST_F(HostileInputTest, APipelinedRequestAfterARefusedOneIsNeverProcessed) {
  // The first is refused from its header (wrong media type) with its body unread; the bytes
  // after it must not be taken for a second request.
  const std::string good = gateway_->request(gateway_->people().at(5).idnr, "geburtsurkunde");
  const std::string smuggled = "POST /v1/nachweis HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/xml\r\nContent-Length: " +
                               std::to_string(good.size()) + "\r\n\r\n" + good;
  const std::string first = "POST /v1/nachweis HTTP/1.1\r\nHost: gateway\r\nContent-Type: text/plain\r\nContent-Length: " +
                            std::to_string(smuggled.size()) + "\r\n\r\n";
  const auto connection = gateway_->connect();
  const auto reply = connection->raw(first + smuggled);
  EXPECT_EQ(reply.status, 415u);
  EXPECT_FALSE(reply.keep_alive);
  EXPECT_THROW((void)connection->request("GET", "/healthz", "", "application/json"), ClientError);
  expect_good_request_answered();
}

// A client that lowers its own OpenSSL settings to offer exactly `version` (Debian's defaults
// never offer TLS 1.0 or 1.1, so a test with them could not fail). Returns the handshake's
// result and what OpenSSL said.
std::pair<bool, std::string> handshake_with(int version, std::uint16_t port, const client::ClientTls& tls) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_security_level(ctx, 0);
  SSL_CTX_set_min_proto_version(ctx, version);
  SSL_CTX_set_max_proto_version(ctx, version);
  SSL_CTX_set_cipher_list(ctx, "ALL:@SECLEVEL=0");
  SSL_CTX_use_certificate_chain_file(ctx, tls.certificate_file.c_str());
  SSL_CTX_use_PrivateKey_file(ctx, tls.private_key_file.c_str(), SSL_FILETYPE_PEM);
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  socket.connect({asio::ip::make_address("127.0.0.1"), port});
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, socket.native_handle());
  ERR_clear_error();
  const bool ok = SSL_connect(ssl) == 1;
  char text[256] = {0};
  ERR_error_string_n(ERR_peek_last_error(), text, sizeof text);
  const std::string negotiated = ok ? SSL_get_version(ssl) : "";
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  return {ok, ok ? negotiated : text};
}

TEST_F(HostileInputTest, TlsOnePointZeroAndOnePointOneAreRefusedEvenWhenTheClientOffersThem) {
  for (const int version : {TLS1_VERSION, TLS1_1_VERSION}) {
    const auto [ok, said] = handshake_with(version, gateway_->port(), gateway_->tls());
    EXPECT_FALSE(ok) << "negotiated " << said;
    EXPECT_NE(said.find("version"), std::string::npos) << said;  // "unsupported protocol" / "protocol version"
  }
  // The same client code with TLS 1.2 gets through: the refusal above is the gateway's.
  const auto [ok, said] = handshake_with(TLS1_2_VERSION, gateway_->port(), gateway_->tls());
  EXPECT_TRUE(ok) << said;
  EXPECT_EQ(said, "TLSv1.2");
  expect_good_request_answered();
}

TEST_F(HostileInputTest, RenegotiationIsRefused) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);  // TLS 1.3 has no renegotiation at all
  const auto tls = gateway_->tls();
  SSL_CTX_use_certificate_chain_file(ctx, tls.certificate_file.c_str());
  SSL_CTX_use_PrivateKey_file(ctx, tls.private_key_file.c_str(), SSL_FILETYPE_PEM);
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  socket.connect({asio::ip::make_address("127.0.0.1"), gateway_->port()});
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, socket.native_handle());
  ASSERT_EQ(SSL_connect(ssl), 1);
  ASSERT_EQ(SSL_renegotiate(ssl), 1);
  // The server answers the new ClientHello with no_renegotiation (SSL_OP_NO_RENEGOTIATION); the
  // new handshake never completes.
  ERR_clear_error();
  const int renegotiated = SSL_do_handshake(ssl);
  char text[256] = {0};
  ERR_error_string_n(ERR_peek_last_error(), text, sizeof text);
  EXPECT_NE(renegotiated, 1) << "the renegotiation completed";
  EXPECT_NE(std::string(text).find("renegotiation"), std::string::npos) << text;
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  expect_good_request_answered();
}

TEST_F(HostileInputTest, TwoThousandConnectionsAtOnceDoNotStopOtherAuthorities) {
  asio::io_context io;
  std::vector<std::unique_ptr<asio::ip::tcp::socket>> flood;
  const asio::ip::tcp::endpoint target(asio::ip::make_address("127.0.0.1"), gateway_->port());
  for (int i = 0; i < 2000; ++i) {
    auto socket = std::make_unique<asio::ip::tcp::socket>(io);
    boost::system::error_code ec;
    socket->connect(target, ec);
    if (!ec) flood.push_back(std::move(socket));
  }
  EXPECT_GT(flood.size(), 1000u);
  expect_good_request_answered();
  // The gateway kept at most its per-source share of them.
  EXPECT_LE(gateway_->open_connections_for_test(), 256u + 8u);
}

}  // namespace
}  // namespace oncegate::testing
