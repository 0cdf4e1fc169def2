// The evidence exchange end to end: the real gateway on loopback port 0 with TLS, a verifying TLS
// client, the embedded sample registers behind it.

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <set>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "gateway/routing/idnr.hpp"
#include "gateway/common/time.hpp"
#include "gateway/crypto/crypto.hpp"
#include "tests/support/test_gateway.hpp"

namespace oncegate::testing {
namespace {

const char* kScriptedAdapters =
    "[[adapters]]\nname = \"down\"\ntype = \"test-scripted\"\nmode = \"unavailable\"\n"
    "[[adapters]]\nname = \"silent\"\ntype = \"test-scripted\"\nmode = \"silent\"\n"
    "[[adapters]]\nname = \"throws\"\ntype = \"test-scripted\"\nmode = \"throws\"\n"
    "[[adapters]]\nname = \"garbled\"\ntype = \"test-scripted\"\nmode = \"bad-evidence\"\n"
    "[[routes]]\nevidence_type = \"test-down\"\nadapter = \"down\"\n"
    "[[routes]]\nevidence_type = \"test-silent\"\nadapter = \"silent\"\n"
    "[[routes]]\nevidence_type = \"test-throws\"\nadapter = \"throws\"\n"
    "[[routes]]\nevidence_type = \"test-garbled\"\nadapter = \"garbled\"\n";

class ExchangeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    TestGatewayOptions options;
    options.extra_toml = kScriptedAdapters;
    options.evidence_listener_toml = "body_limit = 8192\n";
    gateway_ = new TestGateway(options);
  }
  static void TearDownTestSuite() {
    delete gateway_;
    gateway_ = nullptr;
  }

  // Posts, checks the answer is a valid message of the family, and returns its reading.
  static message::AnswerReading exchange(const std::string& body, unsigned expected_status) {
    const auto reply = gateway_->post(body);
    EXPECT_EQ(reply.status, expected_status) << reply.body;
    EXPECT_NE(reply.content_type.find("application/xml"), std::string::npos);
    auto reading = gateway_->codec().read_answer(reply.body);
    EXPECT_TRUE(reading.valid) << reading.problem << "\n" << reply.body;
    return reading;
  }

  static std::string uuid_of(const std::string& request) {
    const auto start = request.find("<nw:nachrichtenUUID>") + 20;
    return request.substr(start, 36);
  }

  static TestGateway* gateway_;
};

TestGateway* ExchangeTest::gateway_ = nullptr;

TEST_F(ExchangeTest, BirthCertificateIsTheRightPersons) {
  // Several people, so an answer mixed up between requests would show.
  for (std::size_t i : {0u, 17u, 999u, 1999u}) {
    const auto& person = gateway_->people().at(i);
    const std::string request = gateway_->request(person.idnr, "geburtsurkunde");
    const auto answer = exchange(request, 200);
    ASSERT_FALSE(answer.is_error) << answer.error_code << " " << answer.error_text;
    EXPECT_EQ(answer.document, "geburtsurkunde");
    EXPECT_EQ(answer.nachweistyp, "geburtsurkunde");
    EXPECT_EQ(answer.register_name, "Personenstandsregister (Test)");
    EXPECT_EQ(answer.field("familienname"), person.familienname);
    EXPECT_EQ(answer.field("vornamen"), person.vornamen);
    EXPECT_EQ(answer.field("geburtsdatum"), person.geburtsdatum);
    EXPECT_EQ(answer.field("geburtsort"), person.geburtsort);
    EXPECT_EQ(answer.field("geburtsortSchluessel"), person.geburtsort_ags);
    EXPECT_EQ(answer.request_uuid, uuid_of(request));
    EXPECT_EQ(answer.request_digest, crypto::sha256_base64(request));
  }
}

TEST_F(ExchangeTest, RegistrationCertificateComesFromTheRegionalRegister) {
  const auto& niedersachsen = gateway_->person_in("03");
  auto answer = exchange(gateway_->request(niedersachsen.idnr, "meldebescheinigung", "03"), 200);
  ASSERT_FALSE(answer.is_error) << answer.error_text;
  EXPECT_EQ(answer.register_name, "Melderegister Niedersachsen (Test)");
  EXPECT_EQ(answer.field("strasse"), niedersachsen.strasse);
  EXPECT_EQ(answer.field("hausnummer"), niedersachsen.hausnummer);
  EXPECT_EQ(answer.field("wohnort"), niedersachsen.wohnort);
  EXPECT_EQ(answer.field("gemeindeschluessel"), niedersachsen.wohnort_ags);

  const auto& bremen = gateway_->person_in("04");
  answer = exchange(gateway_->request(bremen.idnr, "meldebescheinigung", bremen.wohnort_ags), 200);
  ASSERT_FALSE(answer.is_error) << answer.error_text;
  EXPECT_EQ(answer.register_name, "Melderegister Bremen (Test)");
  EXPECT_EQ(answer.field("familienname"), bremen.familienname);
  EXPECT_EQ(answer.field("postleitzahl"), bremen.postleitzahl);
}

TEST_F(ExchangeTest, PersonOfAnotherRegionIsNotFoundThere) {
  const auto& niedersachsen = gateway_->person_in("03");
  const auto answer = exchange(gateway_->request(niedersachsen.idnr, "meldebescheinigung", "04"), 404);
  EXPECT_TRUE(answer.is_error);
  EXPECT_EQ(answer.error_code, "NOT_FOUND");
}

TEST_F(ExchangeTest, SplitRegisterNeedsARegion) {
  const auto& person = gateway_->person_in("03");
  const auto answer = exchange(gateway_->request(person.idnr, "meldebescheinigung"), 404);
  EXPECT_EQ(answer.error_code, "NO_REGISTER");
  EXPECT_NE(answer.error_text.find("regionalschluessel"), std::string::npos);
  EXPECT_EQ(exchange(gateway_->request(person.idnr, "meldebescheinigung", "09"), 404).error_code, "NO_REGISTER");
}

TEST_F(ExchangeTest, UnknownEvidenceTypeHasNoRegister) {
  const auto request = gateway_->request(gateway_->people().front().idnr, "fischereischein");
  const auto answer = exchange(request, 404);
  EXPECT_EQ(answer.error_code, "NO_REGISTER");
  EXPECT_EQ(answer.request_uuid, uuid_of(request));
}

TEST_F(ExchangeTest, ATypeNoRegisterHoldsIsNoRegisterWhateverThePermissions) {
  // No rule names sterbeurkunde either: the type decides first, before the permission matrix.
  const auto answer = exchange(gateway_->request(gateway_->people().front().idnr, "sterbeurkunde"), 404);
  EXPECT_EQ(answer.error_code, "NO_REGISTER");
  EXPECT_NE(answer.error_text.find("GET /v1/catalogue"), std::string::npos) << answer.error_text;
  // The same from an authority that may ask for nothing of the kind.
  auto fields = gateway_->request_fields(gateway_->people().front().idnr, "sterbeurkunde");
  fields.kopf.autor.kennung = "psw:02004220";
  const auto other = gateway_->connect("psw:02004220")->request(
      "POST", "/v1/nachweis", gateway_->signer("psw:02004220").sign(gateway_->codec().write_request(fields)));
  EXPECT_NE(other.body.find("<nw:code>NO_REGISTER</nw:code>"), std::string::npos) << other.body;
}

TEST_F(ExchangeTest, TheCatalogueListsTypesAndTheCallersOwnRulesOnly) {
  const auto reply = gateway_->connect()->request("GET", "/v1/catalogue");
  ASSERT_EQ(reply.status, 200u) << reply.body;
  const auto catalogue = boost::json::parse(reply.body).as_object();
  EXPECT_EQ(catalogue.at("format").as_string(), "oncegate-catalogue/1");
  EXPECT_EQ(catalogue.at("leser").at("kennung").as_string(), "psw:99000001");
  EXPECT_EQ(catalogue.at("requester").as_string(), TestGateway::kAuthority);
  std::set<std::string> types;
  bool melde_regional = false;
  for (const auto& t : catalogue.at("evidence_types").as_array()) {
    types.insert(std::string(t.at("code").as_string()));
    if (t.at("code").as_string() == "meldebescheinigung") melde_regional = t.at("regional").as_bool();
  }
  EXPECT_TRUE(types.contains("geburtsurkunde"));
  EXPECT_TRUE(melde_regional);
  EXPECT_FALSE(types.contains("sterbeurkunde"));
  std::set<std::string> rules;
  for (const auto& r : catalogue.at("permitted").as_array()) rules.insert(std::string(r.at("rule").as_string()));
  EXPECT_TRUE(rules.contains("test-all"));
  EXPECT_FALSE(rules.contains("test-consent")) << "another authority's rule was shown";
  EXPECT_FALSE(catalogue.at("purposes").as_array().empty());
  // Registered authorities only, as every route of the evidence listener.
  bool anonymous_served = false;
  try {
    anonymous_served =
        client::HttpsClient("127.0.0.1", gateway_->port(), gateway_->tls("")).request("GET", "/v1/catalogue").status == 200;
  } catch (const client::ClientError&) {
    // refused in the handshake: no client certificate
  }
  EXPECT_FALSE(anonymous_served);
}

TEST_F(ExchangeTest, UnknownPersonIsNotFoundWithoutDetail) {
  std::set<std::string> known;
  for (const auto& person : gateway_->people()) known.insert(person.idnr);
  std::uint64_t state = 424242;
  std::string stranger = routing::generate_idnr(state);
  while (known.contains(stranger)) stranger = routing::generate_idnr(state);
  const auto answer = exchange(gateway_->request(stranger, "geburtsurkunde"), 404);
  EXPECT_EQ(answer.error_code, "NOT_FOUND");
  EXPECT_EQ(answer.error_text.find(stranger), std::string::npos);
}

TEST_F(ExchangeTest, InvalidIdnrIsRejectedWithItsRule) {
  auto answer = exchange(gateway_->request("36574261890", "geburtsurkunde"), 400);
  EXPECT_EQ(answer.error_code, "IDNR_INVALID");
  EXPECT_NE(answer.error_text.find("check digit"), std::string::npos);
  answer = exchange(gateway_->request("12345678903", "geburtsurkunde"), 400);
  EXPECT_EQ(answer.error_code, "IDNR_INVALID");
}

TEST_F(ExchangeTest, MalformedXmlIsRejected) {
  const auto answer = exchange("<nw:nachweisAnfrage xmlns:nw=\"urn:de:oncegate:nachweis:1\"><unclosed>", 400);
  EXPECT_EQ(answer.error_code, "XML_MALFORMED");
  EXPECT_TRUE(answer.request_uuid.empty());
  EXPECT_EQ(exchange("", 400).error_code, "XML_MALFORMED");
  EXPECT_EQ(exchange(std::string("\0\xff\xfe<", 4), 400).error_code, "XML_MALFORMED");
}

TEST_F(ExchangeTest, SchemaViolationIsRejectedWithTheRequestUuid) {
  std::string request = gateway_->request(gateway_->people().front().idnr, "geburtsurkunde");
  const auto start = request.find("<nw:zweck>");
  const auto end = request.find("</nw:zweck>") + 11;
  request.erase(start, end - start);
  const auto answer = exchange(request, 400);
  EXPECT_EQ(answer.error_code, "SCHEMA_INVALID");
  EXPECT_EQ(answer.request_uuid, uuid_of(request));

  const auto other_namespace = exchange("<nachweisAnfrage xmlns=\"urn:example:other\"/>", 400);
  EXPECT_EQ(other_namespace.error_code, "SCHEMA_INVALID");
}

TEST_F(ExchangeTest, ExternalEntitiesAreNeitherFetchedNorExpanded) {
  // A secret file and a listener that counts connections: neither may be touched.
  TempDir dir;
  const auto secret_file = dir.path() / "secret.txt";
  std::ofstream(secret_file) << "TOP-SECRET-CONTENT";
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor trap(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  std::atomic<int> connections{0};
  trap.async_accept([&](boost::system::error_code ec, boost::asio::ip::tcp::socket) {
    if (!ec) ++connections;
  });
  std::thread trap_thread([&] { io.run_for(std::chrono::seconds(3)); });

  const std::string valid = gateway_->request(gateway_->people().front().idnr, "geburtsurkunde");
  const std::string body_start = valid.substr(valid.find("<nw:nachweisAnfrage"));
  for (const std::string& system_id :
       {"file://" + secret_file.string(),
        "http://127.0.0.1:" + std::to_string(trap.local_endpoint().port()) + "/entity"}) {
    std::string body = "<?xml version=\"1.0\"?>\n<!DOCTYPE nw:nachweisAnfrage [\n<!ENTITY xxe SYSTEM \"" +
                       system_id + "\">\n]>\n" + body_start;
    const std::string legal_basis = "IDNrG § 6 Abs. 2";
    body.replace(body.find(legal_basis), legal_basis.size(), "&xxe;");
    const auto reply = gateway_->post(body);
    EXPECT_EQ(reply.status, 400u);
    EXPECT_EQ(reply.body.find("TOP-SECRET"), std::string::npos);
    const auto reading = gateway_->codec().read_answer(reply.body);
    EXPECT_EQ(reading.error_code, "SCHEMA_INVALID") << reply.body;
  }
  // Entity expansion bombs are refused the same way.
  const std::string bomb =
      "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">"
      "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">]><r>&c;</r>";
  EXPECT_EQ(gateway_->post(bomb).status, 400u);

  io.stop();
  trap_thread.join();
  EXPECT_EQ(connections.load(), 0);
}

TEST_F(ExchangeTest, OversizedBodyIsRejected) {
  std::string body = gateway_->request(gateway_->people().front().idnr, "geburtsurkunde");
  body.insert(body.find("<nw:anfrage>"), std::string(10'000, ' '));
  const auto reply = gateway_->post(body);
  EXPECT_EQ(reply.status, 413u);
  EXPECT_EQ(gateway_->codec().read_answer(reply.body).error_code, "TOO_LARGE");
  // The gateway is still there.
  EXPECT_EQ(exchange(gateway_->request(gateway_->people().front().idnr, "geburtsurkunde"), 200).is_error, false);
}

TEST_F(ExchangeTest, NonXmlContentTypeIsRefused) {
  const auto reply = gateway_->post("{\"idnr\": \"36574261809\"}", "application/json");
  EXPECT_EQ(reply.status, 415u);
  EXPECT_EQ(gateway_->codec().read_answer(reply.body).error_code, "UNSUPPORTED_MEDIA_TYPE");
}

TEST_F(ExchangeTest, RegisterFailuresBecomeStableErrors) {
  const std::string idnr = gateway_->people().front().idnr;
  EXPECT_EQ(exchange(gateway_->request(idnr, "test-down"), 502).error_code, "REGISTER_UNAVAILABLE");
  EXPECT_EQ(exchange(gateway_->request(idnr, "test-throws"), 502).error_code, "REGISTER_UNAVAILABLE");
  EXPECT_EQ(exchange(gateway_->request(idnr, "test-garbled"), 502).error_code, "REGISTER_UNAVAILABLE");
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(exchange(gateway_->request(idnr, "test-silent"), 504).error_code, "TIMEOUT");
  // The deadline (1 s in the test configuration) answered, not a socket timeout.
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
}

TEST_F(ExchangeTest, ErrorAnswersNeverCarryInternals) {
  const auto reply = gateway_->post(gateway_->request(gateway_->people().front().idnr, "test-throws"));
  EXPECT_EQ(reply.body.find("scripted failure"), std::string::npos);
  EXPECT_EQ(reply.body.find("what()"), std::string::npos);
}

}  // namespace
}  // namespace oncegate::testing
