// Issue 10, the front door, tried through the running gateway as an attacker would: inputs that
// once ended the process, sent to every listener and from a register; who may reach the body
// parser; what reaches a citizen's Datencockpit; the strict HTTP framing rules. Each test ends with
// a good request that must still be answered.

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <boost/json.hpp>

#include "adapters/sample_register/sample_register_server.hpp"
#include "gateway/common/time.hpp"
#include "gateway/crypto/crypto.hpp"
#include "tests/support/cockpit_signin.hpp"
#include "gateway/log/transfer_log.hpp"
#include "tests/support/test_gateway.hpp"

namespace oncegate::testing {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using client::ClientError;
using client::HttpReply;
using client::HttpsClient;

constexpr const char* kUnregistered = "psw:03005330";  // the demo CA issued it; no authority has it

const std::string kAdminListener =
    "[listeners.admin]\naddress = \"127.0.0.1\"\nport = 0\ncertificate = \"demo/server.pem\"\n"
    "private_key = \"demo/server.key\"\n";

// One raw exchange on a fresh connection: an answer, or nothing when the gateway closed on us
// (both are acceptable refusals; what matters is that the gateway lives on).
std::optional<HttpReply> raw_on(std::uint16_t port, const client::ClientTls& tls, const std::string& bytes) {
  try {
    HttpsClient connection("127.0.0.1", port, tls, std::chrono::seconds(10));
    return connection.raw(bytes);
  } catch (const ClientError&) {
    return std::nullopt;
  }
}

std::string chunked_with_trailer(const std::string& path, std::size_t trailer_value) {
  return "POST " + path + " HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/xml\r\nTransfer-Encoding: chunked\r\n\r\n"
         "1\r\n<\r\n0\r\nX-Trailer: " + std::string(trailer_value, 'a') + "\r\n\r\n";
}

std::string header_with_value(const std::string& path, std::size_t value) {
  return "GET " + path + " HTTP/1.1\r\nHost: gateway\r\nX-Filler: " + std::string(value, 'b') + "\r\n\r\n";
}

class FrontDoorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    TestGatewayOptions options;
    options.datacockpit = true;
    // The largest header limit the configuration accepts.
    options.evidence_listener_toml = "header_limit = 65000\n";
    options.extra_toml = kAdminListener;
    gateway_ = new TestGateway(options);
  }
  static void TearDownTestSuite() {
    delete gateway_;
    gateway_ = nullptr;
  }

  static void expect_served() {
    const auto& person = gateway_->people().at(1);
    const auto reply = gateway_->post(gateway_->request(person.idnr, "geburtsurkunde"));
    ASSERT_EQ(reply.status, 200u) << reply.body;
    EXPECT_EQ(gateway_->codec().read_answer(reply.body).field("familienname"), person.familienname);
  }

  static std::string code_of(const HttpReply& reply) { return gateway_->codec().read_answer(reply.body).error_code; }

  static TestGateway* gateway_;
};

TestGateway* FrontDoorTest::gateway_ = nullptr;

TEST_F(FrontDoorTest, OversizedTrailersAndFieldsEndNoListener) {
  adapters::sample_register::SampleRegisterServer::Options register_options;
  register_options.population = gateway_->data_dir() / "registers" / "population.tsv";
  register_options.certificate = (gateway_->demo_dir() / "server.pem").string();
  register_options.private_key = (gateway_->demo_dir() / "server.key").string();
  adapters::sample_register::SampleRegisterServer sample_register(register_options);
  sample_register.start();

  struct Target {
    const char* name;
    std::uint16_t port;
    client::ClientTls tls;
    const char* path;
  };
  const std::vector<Target> targets{
      {"evidence", gateway_->port(), gateway_->tls(), "/v1/nachweis"},
      {"cockpit", gateway_->cockpit_port(), gateway_->tls(""), "/cockpit/demo-idp/token"},
      {"admin", gateway_->gateway().port("admin"), gateway_->tls(""), "/admin/v1/reload"},
      {"sample register", sample_register.port(), gateway_->tls(""), "/register/v1/abfrage"},
  };
  for (const auto& target : targets) {
    SCOPED_TRACE(target.name);
    // A trailer field over 64 KiB (Beast's field storage throws on it), a small trailer, a header
    // field over 64 KiB, and the same field just below the configured limit.
    for (const std::string& bytes : {chunked_with_trailer(target.path, 70'000), chunked_with_trailer(target.path, 10),
                                     header_with_value(target.path, 70'000), header_with_value(target.path, 64'000)}) {
      const auto reply = raw_on(target.port, target.tls, bytes);
      if (reply) {
        EXPECT_GE(reply->status, 400u) << bytes.substr(0, 80);
        EXPECT_LT(reply->status, 500u) << bytes.substr(0, 80);
      }
    }
    const auto small_trailer = raw_on(target.port, target.tls, chunked_with_trailer(target.path, 10));
    ASSERT_TRUE(small_trailer.has_value());
    EXPECT_EQ(small_trailer->status, 400u) << "trailers are refused";
  }
  // Everybody is still served.
  expect_served();
  HttpsClient cockpit("127.0.0.1", gateway_->cockpit_port(), gateway_->tls(""));
  EXPECT_EQ(cockpit.request("GET", "/cockpit/").status, 200u);
  EXPECT_EQ(gateway_->admin_call("GET", "/admin/v1/healthz", "").status, 200u);
  HttpsClient register_client("127.0.0.1", sample_register.port(), gateway_->tls(""));
  EXPECT_EQ(register_client.request("GET", "/register/v1/health").status, 200u);
}

TEST_F(FrontDoorTest, TransferEncodingHostAndExpectFollowRfc9112) {
  const auto head = [](const std::string& fields) {
    return "POST /v1/nachweis HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/xml\r\n" + fields + "\r\n";
  };
  struct Case {
    std::string bytes;
    unsigned status;
    const char* code;
  };
  const std::vector<Case> cases{
      {head("Transfer-Encoding: xchunked\r\n") + "5\r\nhello\r\n0\r\n\r\n", 400, "BAD_REQUEST"},
      {head("Transfer-Encoding: chunked, identity\r\n") + "5\r\nhello\r\n0\r\n\r\n", 400, "BAD_REQUEST"},
      {head("Transfer-Encoding: ;x, chunked\r\n") + "5\r\nhello\r\n0\r\n\r\n", 400, "BAD_REQUEST"},
      {head("Transfer-Encoding: ;, chunked\r\n") + "5\r\nhello\r\n0\r\n\r\n", 400, "BAD_REQUEST"},
      {head("Transfer-Encoding: chunked;ext=1\r\n") + "5\r\nhello\r\n0\r\n\r\n", 400, "BAD_REQUEST"},
      {head("Transfer-Encoding: \"chunked\"\r\n") + "5\r\nhello\r\n0\r\n\r\n", 400, "BAD_REQUEST"},
      {head("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n") + "0\r\n\r\n", 400, "BAD_REQUEST"},
      {head("Transfer-Encoding: gzip, chunked\r\n") + "0\r\n\r\n", 501, "NOT_IMPLEMENTED"},
      {head("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n") + "0\r\n\r\n", 501, "NOT_IMPLEMENTED"},
      {head("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n") + "0\r\n\r\n", 400, "BAD_REQUEST"},
      {"POST /v1/nachweis HTTP/1.0\r\nHost: g\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, "BAD_REQUEST"},
      {"GET /healthz HTTP/1.1\r\n\r\n", 400, "BAD_REQUEST"},
      {"GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "BAD_REQUEST"},
      {head("Expect: 200-ok\r\nContent-Length: 5\r\n") + "hello", 417, "EXPECTATION_FAILED"},
  };
  for (const auto& c : cases) {
    auto connection = gateway_->connect();
    const auto reply = connection->raw(c.bytes);
    EXPECT_EQ(reply.status, c.status) << c.bytes;
    EXPECT_EQ(code_of(reply), c.code) << c.bytes;
    EXPECT_FALSE(reply.keep_alive) << c.bytes;
    // The connection is closed: nothing after the refusal is read as a request.
    EXPECT_THROW((void)connection->request("GET", "/healthz"), ClientError) << c.bytes;
  }
  // HTTP/1.0 without Host is fine; so is a lone chunked.
  EXPECT_EQ(gateway_->connect()->raw("GET /healthz HTTP/1.0\r\n\r\n").status, 200u);
  expect_served();
}

TEST_F(FrontDoorTest, ExpectContinueIsAnsweredBeforeTheBodyIsSent) {
  const auto& person = gateway_->people().at(2);
  const std::string body = gateway_->request(person.idnr, "geburtsurkunde");
  auto connection = gateway_->connect();
  const auto interim = connection->raw("POST /v1/nachweis HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/xml\r\n"
                                       "Expect: 100-continue\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n");
  EXPECT_EQ(interim.status, 100u);
  const auto reply = connection->raw(body);
  EXPECT_EQ(reply.status, 200u) << reply.body;
  EXPECT_EQ(gateway_->codec().read_answer(reply.body).field("familienname"), person.familienname);
  // An unregistered party gets its refusal instead of 100 Continue: the body is never asked for.
  HttpsClient stranger("127.0.0.1", gateway_->port(), gateway_->tls(kUnregistered));
  const auto refused = stranger.raw("POST /v1/nachweis HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/xml\r\n"
                                    "Expect: 100-continue\r\nContent-Length: 1000\r\n\r\n");
  EXPECT_EQ(refused.status, 403u);
  EXPECT_EQ(code_of(refused), "UNKNOWN_AUTHORITY");
}

TEST_F(FrontDoorTest, OnlyRegisteredPartiesGetPastTheHeader) {
  // No certificate, or one of another CA: no handshake.
  EXPECT_THROW((void)gateway_->connect("")->request("GET", "/healthz"), ClientError);
  TempDir other;
  const auto foreign_ca = trust_material_for_test(other.path());
  const client::ClientTls foreign{(gateway_->demo_dir() / "ca.pem").string(),
                                  (other.path() / "authorities" / "psw-01003110.pem").string(),
                                  (other.path() / "authorities" / "psw-01003110.key").string()};
  EXPECT_THROW(HttpsClient("127.0.0.1", gateway_->port(), foreign).request("GET", "/healthz"), ClientError);

  // A certificate of the CA that belongs to nobody: refused right after the header. The body is
  // announced but never sent; the answer comes anyway, promptly, and the connection closes.
  const std::uint64_t records = gateway_->gateway().transfer_log().size();
  HttpsClient stranger("127.0.0.1", gateway_->port(), gateway_->tls(kUnregistered), std::chrono::seconds(5));
  const auto started = std::chrono::steady_clock::now();
  const auto reply = stranger.raw("POST /v1/nachweis HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/xml\r\n"
                                  "Content-Length: 100000\r\n\r\n");
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(4));
  EXPECT_EQ(reply.status, 403u);
  EXPECT_EQ(code_of(reply), "UNKNOWN_AUTHORITY");
  EXPECT_FALSE(reply.keep_alive);
  const auto reading = gateway_->codec().read_answer(reply.body);
  EXPECT_TRUE(reading.request_uuid.empty());  // nothing of the body was read
  EXPECT_TRUE(reading.request_digest.empty());
  (void)gateway_->gateway().transfer_log().issue_head();
  EXPECT_EQ(gateway_->gateway().transfer_log().size(), records) << "an unregistered party reached the transfer log";

  // Every route of the evidence listener is the registered authorities' alone; the published
  // signing certificates are public on the citizens' listener.
  for (const char* path : {"/healthz", "/v1/signing-certificates"}) {
    HttpsClient other_stranger("127.0.0.1", gateway_->port(), gateway_->tls(kUnregistered));
    EXPECT_EQ(code_of(other_stranger.raw(std::string("GET ") + path + " HTTP/1.1\r\nHost: g\r\nContent-Length: 50000\r\n\r\n")),
              "UNKNOWN_AUTHORITY") << path;
  }
  HttpsClient citizen("127.0.0.1", gateway_->cockpit_port(), gateway_->tls(""));
  EXPECT_EQ(citizen.request("GET", "/v1/signing-certificates").status, 200u);

  // Operators see it: operation log aside, a metric.
  const auto metrics = gateway_->admin_call("GET", "/admin/v1/metrics", gateway_->observer_key());
  EXPECT_NE(metrics.body.find("oncegate_refused_before_trust_total{code=\"UNKNOWN_AUTHORITY\"}"), std::string::npos);
  expect_served();
}

TEST_F(FrontDoorTest, MediaTypeIsMatchedExactlyBeforeParsing) {
  const auto& person = gateway_->people().at(3);
  for (const std::string type : {"text/plain;x=xml", "text/xml", "application/xml-dtd", "application/xmlx", "xml", ""}) {
    const auto reply = gateway_->post(gateway_->request(person.idnr, "geburtsurkunde"), type);
    EXPECT_EQ(reply.status, 415u) << type;
    EXPECT_EQ(code_of(reply), "UNSUPPORTED_MEDIA_TYPE") << type;
  }
  for (const std::string type : {"application/xml", "application/xml; charset=utf-8", "Application/XML"}) {
    EXPECT_EQ(gateway_->post(gateway_->request(person.idnr, "geburtsurkunde"), type).status, 200u) << type;
  }
}

TEST_F(FrontDoorTest, NobodyUnauthenticatedWritesIntoACitizensCockpit) {
  const auto& victim = gateway_->people().at(40);
  const auto session = cockpit_sign_in(*gateway_, victim.idnr).session_cookie;
  const auto list = [&] {
    HttpsClient cockpit("127.0.0.1", gateway_->cockpit_port(), gateway_->tls(""));
    const auto reply = cockpit.request("GET", "/cockpit/api/transfers", "", "", {{"Cookie", session}});
    EXPECT_EQ(reply.status, 200u);
    return reply.body;
  };
  const std::string before = list();

  auto fields = gateway_->request_fields(victim.idnr, "geburtsurkunde");
  fields.rechtsgrundlage = "Polizei: rufen Sie sofort 0800-123456 an";
  const std::string unsigned_message = gateway_->codec().write_request(fields);
  // Without a certificate: no connection to the evidence listener, and the cockpit's listener has
  // no evidence endpoint.
  EXPECT_THROW((void)gateway_->connect("")->request("GET", "/healthz"), ClientError);
  HttpsClient browser("127.0.0.1", gateway_->cockpit_port(), gateway_->tls(""));
  EXPECT_EQ(browser.request("POST", "/v1/nachweis", unsigned_message, "text/plain;x=xml").status, 404u);
  // A certificate of the CA that is nobody's, with both media types.
  for (const std::string type : {"text/plain;x=xml", "application/xml"}) {
    HttpsClient stranger("127.0.0.1", gateway_->port(), gateway_->tls(kUnregistered));
    const auto reply = stranger.request("POST", "/v1/nachweis", unsigned_message, type);
    EXPECT_EQ(code_of(reply), "UNKNOWN_AUTHORITY");
  }
  // A registered authority's connection, but not its signed message: unsigned, or signed by the
  // authority while naming another author.
  EXPECT_EQ(code_of(gateway_->post(unsigned_message)), "SIGNATURE_INVALID");
  auto impostor = fields;
  impostor.kopf.autor.kennung = "psw:02004220";
  EXPECT_EQ(code_of(gateway_->post(gateway_->signer().sign(gateway_->codec().write_request(impostor)))), "AUTHOR_MISMATCH");
  EXPECT_EQ(code_of(gateway_->post(gateway_->signer("psw:02004220").sign(unsigned_message))), "SIGNATURE_INVALID");

  const std::string after = list();
  EXPECT_EQ(after, before) << "a refusal before trust reached the citizen";
  EXPECT_EQ(after.find("0800-123456"), std::string::npos);

  // The authority's own signed attempt, refused, is the citizen's to see.
  EXPECT_EQ(code_of(gateway_->post(gateway_->signer().sign(unsigned_message))), "NOT_PERMITTED");
  const auto shown = json::parse(list()).as_object().at("transfers").as_array();
  ASSERT_EQ(shown.size(), 1u);
  EXPECT_EQ(shown.front().as_object().at("outcome").as_string(), "denied");
  EXPECT_EQ(shown.front().as_object().at("requester").as_string(), "psw:01003110");
}

TEST_F(FrontDoorTest, EveryAnswerToAnAuthorityCarriesTheDigestOfWhatItSent) {
  for (const std::string& body : {std::string("<not-xml"), std::string("<x/>"),
                                 gateway_->unsigned_request(gateway_->people().at(4).idnr, "geburtsurkunde")}) {
    const auto reply = gateway_->post(body);
    const auto reading = gateway_->codec().read_answer(reply.body);
    ASSERT_TRUE(reading.valid) << reading.problem;
    EXPECT_TRUE(reading.is_error);
    EXPECT_EQ(reading.request_digest, crypto::sha256_base64(body)) << body.substr(0, 40);
  }
  // Malformed IDNrs of every kind are IDNR_INVALID with the reason (after the signature), never a
  // generic schema error.
  for (const auto& [idnr, reason] : std::vector<std::pair<std::string, std::string>>{
           {"46927a15101", "digit"}, {"3657426180", "11"}, {"365742618090", "11"}, {"06574261809", "0"},
           {"36574261890", "check digit"}}) {
    const std::string body = gateway_->request(idnr, "geburtsurkunde");
    const auto reply = gateway_->post(body);
    const auto reading = gateway_->codec().read_answer(reply.body);
    EXPECT_EQ(reading.error_code, "IDNR_INVALID") << idnr;
    EXPECT_NE(reading.error_text.find(reason), std::string::npos) << idnr << ": " << reading.error_text;
    EXPECT_EQ(reading.request_digest, crypto::sha256_base64(body));
    EXPECT_EQ(reading.error_text.find(idnr), std::string::npos) << "the IDNr is echoed";
  }
}

TEST_F(FrontDoorTest, DoctypeNulAndXml11AreRefusedBeforeParsing) {
  // A DOCTYPE whose internal subset would not even parse: refused as a DOCTYPE, so libxml2 never
  // read it.
  auto reply = gateway_->post("<?xml version=\"1.0\"?>\n<!DOCTYPE x [<!ENTITY a \"");
  EXPECT_EQ(code_of(reply), "SCHEMA_INVALID");
  EXPECT_NE(gateway_->codec().read_answer(reply.body).error_text.find("DOCTYPE"), std::string::npos);
  const std::string good = gateway_->request(gateway_->people().at(5).idnr, "geburtsurkunde");
  reply = gateway_->post(good + std::string(1, '\0'));
  EXPECT_EQ(code_of(reply), "XML_MALFORMED");
  std::string xml11 = good;
  xml11.replace(xml11.find("version=\"1.0\""), 13, "version=\"1.1\"");
  EXPECT_EQ(code_of(gateway_->post(xml11)), "XML_MALFORMED");
  std::string latin1 = good;
  latin1.replace(latin1.find("encoding=\"UTF-8\""), 16, "encoding=\"ISO-8859-1\"");
  EXPECT_EQ(code_of(gateway_->post(latin1)), "XML_MALFORMED");
  expect_served();
}

TEST_F(FrontDoorTest, TheAuditTrailSeesTheConnectionAndRefusesChangesItCannotRecord) {
  // The client's own X-Forwarded-For is not the peer.
  HttpsClient admin("127.0.0.1", gateway_->gateway().port("admin"), gateway_->tls(""));
  const auto verify = admin.request("POST", "/admin/v1/log/verify", "", "application/json",
                                    {{"Authorization", "Bearer " + gateway_->admin_key()}, {"X-Forwarded-For", "6.6.6.6"}});
  ASSERT_EQ(verify.status, 200u) << verify.body;
  EXPECT_TRUE(json::parse(verify.body).as_object().at("ok").as_bool()) << verify.body;
  const auto audit_file = gateway_->data_dir() / "admin-audit.jsonl";
  const std::string trail = read_text(audit_file);
  EXPECT_EQ(trail.find("6.6.6.6"), std::string::npos);
  EXPECT_NE(trail.find("\"peer\":\"127.0.0.1:"), std::string::npos);

  // An audit trail that cannot be written (here: a directory in its place) refuses the change.
  std::filesystem::rename(audit_file, audit_file.string() + ".kept");
  std::filesystem::create_directory(audit_file);
  const std::string rule = R"({"authorities":["psw:02004220"],"evidence_types":["geburtsurkunde"],)"
                           R"("purposes":["leistungsgewaehrung"],"legal_bases":["IDNrG § 6 Abs. 2"]})";
  const auto refused = gateway_->admin_call("PUT", "/admin/v1/permissions/audit-probe", gateway_->admin_key(), rule);
  EXPECT_EQ(refused.status, 503u) << refused.body;
  const auto listed = gateway_->admin_call("GET", "/admin/v1/permissions", gateway_->observer_key());
  EXPECT_EQ(listed.body.find("audit-probe"), std::string::npos) << "the change was applied without an audit line";
  std::filesystem::remove(audit_file);
  std::filesystem::rename(audit_file.string() + ".kept", audit_file);
  const auto applied = gateway_->admin_call("PUT", "/admin/v1/permissions/audit-probe", gateway_->admin_key(), rule);
  EXPECT_EQ(applied.status, 200u) << applied.body;
  EXPECT_EQ(gateway_->admin_call("DELETE", "/admin/v1/permissions/audit-probe", gateway_->admin_key()).status, 200u);
}

// A register that answers with what once ended the gateway, or over TLS the adapter must refuse.
class HostileRegister {
 public:
  HostileRegister(const std::filesystem::path& demo, std::string answer, bool weak_tls = false)
      : answer_(std::move(answer)), tls_(asio::ssl::context::tls_server), acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}) {
    tls_.use_certificate_chain_file((demo / "server.pem").string());
    tls_.use_private_key_file((demo / "server.key").string(), asio::ssl::context::pem);
    if (weak_tls) {
      // TLS 1.2 with a CBC cipher: no AEAD.
      SSL_CTX_set_max_proto_version(tls_.native_handle(), TLS1_2_VERSION);
      SSL_CTX_set_cipher_list(tls_.native_handle(), "ECDHE-ECDSA-AES128-SHA");
    }
    thread_ = std::thread([this] { serve(); });
  }
  ~HostileRegister() {
    stopping_ = true;
    boost::system::error_code ignored;
    asio::ip::tcp::socket poke(io_);
    poke.connect(acceptor_.local_endpoint(), ignored);
    thread_.join();
  }
  [[nodiscard]] std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  [[nodiscard]] int served() const { return served_.load(); }

 private:
  void serve() {
    while (!stopping_) {
      asio::ip::tcp::socket socket(io_);
      boost::system::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec || stopping_) return;
      asio::ssl::stream<asio::ip::tcp::socket> stream(std::move(socket), tls_);
      stream.handshake(asio::ssl::stream_base::server, ec);
      if (ec) continue;
      asio::streambuf request;
      asio::read_until(stream, request, "\r\n\r\n", ec);
      if (ec) continue;
      ++served_;
      asio::write(stream, asio::buffer(answer_), ec);
      stream.shutdown(ec);
    }
  }

  std::string answer_;
  asio::io_context io_;
  asio::ssl::context tls_;
  asio::ip::tcp::acceptor acceptor_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> served_{0};
};

TEST(FrontDoorRegisterTest, ARegisterCannotEndTheGateway) {
  const std::string ok_head = "HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\n";
  const std::vector<std::pair<std::string, std::string>> answers{
      {"trailer", ok_head + "Transfer-Encoding: chunked\r\n\r\n1\r\n<\r\n0\r\nX-T: " + std::string(70'000, 'a') + "\r\n\r\n"},
      {"small trailer", ok_head + "Transfer-Encoding: chunked\r\n\r\n1\r\n<\r\n0\r\nX-T: a\r\n\r\n"},
      {"field", ok_head + "X-F: " + std::string(70'000, 'a') + "\r\nContent-Length: 0\r\n\r\n"},
      {"xchunked", ok_head + "Transfer-Encoding: xchunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"},
  };
  for (const auto& [name, answer] : answers) {
    SCOPED_TRACE(name);
    // The test gateway's demo CA is made in its data directory; the hostile register uses the same
    // material so that only its answer is wrong.
    std::unique_ptr<HostileRegister> hostile;
    TestGatewayOptions options;
    options.prepare = [&](const std::filesystem::path& data_dir) {
      hostile = std::make_unique<HostileRegister>(data_dir / "demo", answer);
    };
    options.extra_toml = "[[adapters]]\nname = \"hostile\"\ntype = \"remote-https\"\nurl = \"https://127.0.0.1:{PORT}\"\n"
                         "ca = \"demo/ca.pem\"\nbreaker_failures = 100\n"
                         "[[routes]]\nevidence_type = \"fischereischein\"\nadapter = \"hostile\"\n";
    options.extra_toml_late = [&] { return std::to_string(hostile->port()); };
    TestGateway gateway(options);
    const auto& person = gateway.people().at(7);
    const auto reply = gateway.post(gateway.request(person.idnr, "fischereischein"));
    EXPECT_EQ(gateway.codec().read_answer(reply.body).error_code, "REGISTER_UNAVAILABLE") << reply.body;
    EXPECT_GE(hostile->served(), 1);
    EXPECT_EQ(gateway.post(gateway.request(person.idnr, "geburtsurkunde")).status, 200u);
  }
}

TEST(FrontDoorRegisterTest, TheRemoteAdapterRefusesTlsWithoutAead) {
  std::unique_ptr<HostileRegister> weak;
  TestGatewayOptions options;
  options.prepare = [&](const std::filesystem::path& data_dir) {
    weak = std::make_unique<HostileRegister>(data_dir / "demo", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", true);
  };
  options.extra_toml = "[[adapters]]\nname = \"weak\"\ntype = \"remote-https\"\nurl = \"https://127.0.0.1:{PORT}\"\n"
                       "ca = \"demo/ca.pem\"\n"
                       "[[routes]]\nevidence_type = \"fischereischein\"\nadapter = \"weak\"\n";
  options.extra_toml_late = [&] { return std::to_string(weak->port()); };
  TestGateway gateway(options);
  const auto reply = gateway.post(gateway.request(gateway.people().at(8).idnr, "fischereischein"));
  EXPECT_EQ(gateway.codec().read_answer(reply.body).error_code, "REGISTER_UNAVAILABLE");
  EXPECT_EQ(weak->served(), 0) << "a handshake without an AEAD cipher succeeded";
}

TEST(FrontDoorConfigTest, HeaderLimitsBeyondWhatTheParserHoldsAreRefused) {
  TestGatewayOptions options;
  options.evidence_listener_toml = "header_limit = 65536\n";
  EXPECT_THROW(TestGateway{options}, std::exception);
}

}  // namespace
}  // namespace oncegate::testing
