// The Datencockpit API through the running gateway: authentication by ID token (and session),
// a citizen sees exactly their own transfers, filters and paging, proofs that verify.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "datacockpit/demo_idp.hpp"
#include "gateway/common/bytes.hpp"
#include "gateway/tlog/checkpoint.hpp"
#include "gateway/tlog/merkle.hpp"
#include "gateway/tlog/note.hpp"
#include "gateway/crypto/ed25519.hpp"
#include "gateway/log/transfer_log.hpp"
#include "gateway/crypto/data_signer.hpp"
#include "tests/support/test_gateway.hpp"

namespace oncegate::testing {
namespace {

namespace json = boost::json;

class CockpitApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    TestGatewayOptions options;
    options.datacockpit = true;
    gateway_ = new TestGateway(options);
    idp_ = new datacockpit::DemoIdp(read_text(gateway_->demo_dir() / "idp.key"), "https://test-idp", "oncegate-datencockpit");
    // Transfers: Anna 4 (3 birth certificates, 1 registration), Bert 2.
    const auto& anna = gateway_->person_in("03");
    const auto& bert = gateway_->people().at(50) .idnr == anna.idnr ? gateway_->people().at(51) : gateway_->people().at(50);
    anna_ = anna.idnr;
    bert_ = bert.idnr;
    for (int i = 0; i < 3; ++i) EXPECT_EQ(gateway_->post(gateway_->request(anna_, "geburtsurkunde")).status, 200u);
    EXPECT_EQ(gateway_->post(gateway_->request(anna_, "meldebescheinigung", "03")).status, 200u);
    for (int i = 0; i < 2; ++i) EXPECT_EQ(gateway_->post(gateway_->request(bert_, "geburtsurkunde")).status, 200u);
  }
  static void TearDownTestSuite() {
    delete idp_;
    delete gateway_;
  }

  static std::string token_for(const std::string& idnr, const std::string& acr = "hoch") {
    return idp_->issue(idnr, "test", acr, std::chrono::seconds(120), std::chrono::system_clock::now());
  }

  static client::HttpReply get(const std::string& path, const std::string& token) {
    auto connection = gateway_->connect_cockpit();
    std::vector<std::pair<std::string, std::string>> headers;
    if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
    return connection->request("GET", path, "", "", headers);
  }

  static json::object body(const client::HttpReply& reply) { return json::parse(reply.body).as_object(); }

  static std::vector<std::uint64_t> ids(const json::object& o) {
    std::vector<std::uint64_t> out;
    for (const auto& t : o.at("transfers").as_array()) out.push_back(t.as_object().at("id").to_number<std::uint64_t>());
    return out;
  }

  static TestGateway* gateway_;
  static datacockpit::DemoIdp* idp_;
  static std::string anna_;
  static std::string bert_;
};

TestGateway* CockpitApiTest::gateway_ = nullptr;
datacockpit::DemoIdp* CockpitApiTest::idp_ = nullptr;
std::string CockpitApiTest::anna_;
std::string CockpitApiTest::bert_;

TEST_F(CockpitApiTest, UnauthenticatedOrBadTokensGet401) {
  EXPECT_EQ(get("/cockpit/api/transfers", "").status, 401u);
  EXPECT_EQ(get("/cockpit/api/transfers", "not-a-token").status, 401u);
  const auto low = get("/cockpit/api/transfers", token_for(anna_, "substantiell"));
  EXPECT_EQ(low.status, 401u);
  EXPECT_NE(low.body.find("assurance"), std::string::npos);
  const auto expired = get("/cockpit/api/transfers", idp_->issue(anna_, "t", "hoch", std::chrono::seconds(10),
                                                                  std::chrono::system_clock::now() - std::chrono::hours(1)));
  EXPECT_EQ(expired.status, 401u);
  EXPECT_NE(expired.body.find("expired"), std::string::npos);
  datacockpit::DemoIdp wrong_audience(read_text(gateway_->demo_dir() / "idp.key"), "https://test-idp", "other");
  EXPECT_EQ(get("/cockpit/api/transfers", wrong_audience.issue(anna_, "t", "hoch", std::chrono::seconds(60),
                                                               std::chrono::system_clock::now()))
                .status,
            401u);
  std::string forged = token_for(anna_);
  forged[forged.size() - 5] = forged[forged.size() - 5] == 'A' ? 'B' : 'A';
  EXPECT_EQ(get("/cockpit/api/transfers", forged).status, 401u);
}

TEST_F(CockpitApiTest, CitizensSeeOnlyTheirOwnTransfers) {
  const auto anna = body(get("/cockpit/api/transfers", token_for(anna_)));
  const auto bert = body(get("/cockpit/api/transfers", token_for(bert_)));
  const auto anna_ids = ids(anna);
  const auto bert_ids = ids(bert);
  EXPECT_EQ(anna_ids.size(), 4u);
  EXPECT_EQ(bert_ids.size(), 2u);
  EXPECT_TRUE(std::is_sorted(anna_ids.rbegin(), anna_ids.rend()));  // newest first
  const auto first = anna.at("transfers").as_array().front().as_object();
  EXPECT_EQ(first.at("requester_name").as_string(), "Bürgeramt Hannover (Test)");
  EXPECT_EQ(first.at("outcome").as_string(), "delivered");
  // Bert's transfer ids, guessed by Anna, do not exist for her; neither do ids beyond the log.
  for (auto id : bert_ids) EXPECT_EQ(get("/cockpit/api/transfers/" + std::to_string(id), token_for(anna_)).status, 404u);
  EXPECT_EQ(get("/cockpit/api/transfers/999999", token_for(anna_)).status, 404u);
  EXPECT_EQ(get("/cockpit/api/transfers/abc", token_for(anna_)).status, 404u);
  // A parameter cannot choose the person.
  const auto sneaky = get("/cockpit/api/transfers?pseudonym=x&idnr=" + bert_, token_for(anna_));
  EXPECT_EQ(sneaky.status, 400u);
  EXPECT_EQ(sneaky.body.find(bert_), std::string::npos);
}

// Issue 10: a filter that does not parse is refused, naming the parameter, instead of being
// ignored (which showed the unfiltered list).
TEST_F(CockpitApiTest, InvalidFiltersAreRefusedNamingTheParameter) {
  const auto token = token_for(anna_);
  for (const auto& [query, parameter] : std::vector<std::pair<std::string, std::string>>{
           {"from=2026-13-45", "from"}, {"to=yesterday", "to"}, {"limit=0", "limit"}, {"limit=101", "limit"},
           {"limit=ten", "limit"}, {"before=-1", "before"}, {"from=2026-02-30", "from"},
           {"from=2026-12-02&to=2026-12-01", "from"}, {"colour=red", "colour"}}) {
    const auto reply = get("/cockpit/api/transfers?" + query, token);
    EXPECT_EQ(reply.status, 400u) << query;
    EXPECT_NE(reply.body.find("'" + parameter + "'"), std::string::npos) << query << ": " << reply.body;
  }
  // Dates work as well as milliseconds.
  EXPECT_EQ(ids(body(get("/cockpit/api/transfers?from=2000-01-01&to=2200-12-31", token))).size(), 4u);
  EXPECT_EQ(ids(body(get("/cockpit/api/transfers?to=2000-01-01", token))).size(), 0u);
}

TEST_F(CockpitApiTest, FiltersAndPaging) {
  const auto token = token_for(anna_);
  EXPECT_EQ(ids(body(get("/cockpit/api/transfers?type=meldebescheinigung", token))).size(), 1u);
  EXPECT_EQ(ids(body(get("/cockpit/api/transfers?type=geburtsurkunde", token))).size(), 3u);
  EXPECT_EQ(ids(body(get("/cockpit/api/transfers?authority=psw:01003110", token))).size(), 4u);
  EXPECT_EQ(ids(body(get("/cockpit/api/transfers?authority=psw:02004220", token))).size(), 0u);
  EXPECT_EQ(ids(body(get("/cockpit/api/transfers?to=1000", token))).size(), 0u);
  std::vector<std::uint64_t> paged;
  std::string path = "/cockpit/api/transfers?limit=3";
  for (int guard = 0; guard < 5; ++guard) {
    const auto page = body(get(path, token));
    for (auto id : ids(page)) paged.push_back(id);
    if (page.at("next_before").is_null()) break;
    path = "/cockpit/api/transfers?limit=3&before=" + std::to_string(page.at("next_before").to_number<std::uint64_t>());
  }
  EXPECT_EQ(paged, ids(body(get("/cockpit/api/transfers", token))));
}

TEST_F(CockpitApiTest, DetailCarriesAProofThatVerifies) {
  const auto token = token_for(anna_);
  const auto newest = ids(body(get("/cockpit/api/transfers", token))).front();
  const auto reply = get("/cockpit/api/transfers/" + std::to_string(newest), token);
  ASSERT_EQ(reply.status, 200u) << reply.body;
  const auto detail = body(reply);
  const std::string record(detail.at("record").as_string());
  // The leaf is over the commitment entry: 0x01 || HMAC-SHA-256(salt, record).
  const auto salt = *common::from_hex(detail.at("salt").as_string());
  const auto entry = log::commitment_entry(salt, record);
  EXPECT_EQ(common::to_hex(entry), detail.at("entry").as_string());
  const auto leaf = tlog::leaf_hash(entry);
  EXPECT_EQ(common::to_hex(leaf), detail.at("leaf_hash").as_string());
  std::vector<tlog::Hash> path;
  for (const auto& h : detail.at("path").as_array()) path.push_back(*common::from_hex(h.as_string()));
  const auto& head = detail.at("tree_head").as_object();
  const auto size = head.at("size").to_number<std::uint64_t>();
  EXPECT_TRUE(tlog::verify_inclusion(newest, size, leaf, path, *common::from_hex(head.at("root").as_string())));
  // The checkpoint is signed by the log's key, the one in the gateway's data directory.
  const auto log_key = crypto::Ed25519Key::from_pem(read_text(gateway_->data_dir() / "log-key.pem"));
  const auto vkey = tlog::parse_vkey(std::string(detail.at("log").at("log_vkey").as_string()));
  ASSERT_TRUE(vkey.has_value());
  EXPECT_EQ(vkey->public_key, log_key.public_key());
  const auto note = tlog::parse_note(std::string(detail.at("checkpoint").as_string()));
  ASSERT_TRUE(note.has_value());
  EXPECT_NE(tlog::verified_signature(*note, *vkey), nullptr);
  const auto checkpoint = tlog::parse_checkpoint_text(note->text);
  ASSERT_TRUE(checkpoint.has_value());
  EXPECT_EQ(checkpoint->size, size);
  EXPECT_EQ(common::to_hex(checkpoint->root), head.at("root").as_string());
  // The record carries no IDNr, only the pseudonym.
  EXPECT_EQ(record.find(anna_), std::string::npos);
}

TEST_F(CockpitApiTest, SessionsAreHttpOnlyStrictCookiesAndLogoutEndsThem) {
  auto connection = gateway_->connect_cockpit();
  // Without the page's own header the session is refused (CSRF).
  auto reply = connection->request("POST", "/cockpit/api/session", "", "application/json",
                                   {{"Authorization", "Bearer " + token_for(anna_)}});
  EXPECT_EQ(reply.status, 403u);
  reply = connection->request("POST", "/cockpit/api/session", "", "application/json",
                              {{"Authorization", "Bearer " + token_for(anna_)}, {"X-Oncegate-Cockpit", "1"}});
  ASSERT_EQ(reply.status, 200u) << reply.body;
  std::string cookie;
  for (const auto& [name, value] : reply.headers) {
    if (name == "Set-Cookie") cookie = value;
  }
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("Secure"), std::string::npos);
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos);
  const std::string session = cookie.substr(0, cookie.find(';'));
  reply = connection->request("GET", "/cockpit/api/transfers", "", "", {{"Cookie", session}});
  EXPECT_EQ(reply.status, 200u);
  EXPECT_EQ(ids(body(reply)).size(), 4u);
  reply = connection->request("POST", "/cockpit/api/logout", "", "application/json",
                              {{"Cookie", session}, {"X-Oncegate-Cockpit", "1"}});
  EXPECT_EQ(reply.status, 200u);
  EXPECT_EQ(connection->request("GET", "/cockpit/api/transfers", "", "", {{"Cookie", session}}).status, 401u);
}

TEST_F(CockpitApiTest, PageIsServedWithAStrictContentSecurityPolicy) {
  const auto reply = get("/cockpit/", "");
  EXPECT_EQ(reply.status, 200u);
  std::string csp;
  for (const auto& [name, value] : reply.headers) {
    if (name == "Content-Security-Policy") csp = value;
  }
  EXPECT_NE(csp.find("script-src 'self'"), std::string::npos);
  EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos);
  EXPECT_EQ(reply.body.find("<script>"), std::string::npos);  // no inline scripts
  EXPECT_EQ(get("/cockpit/app.js", "").status, 200u);
  // The citizens' listener knows nothing of evidence requests, and the evidence listener lets no
  // client without a certificate finish the handshake.
  const auto evidence = gateway_->connect_cockpit()->request("POST", "/v1/nachweis", gateway_->request(anna_, "geburtsurkunde"));
  EXPECT_EQ(evidence.status, 404u);
  EXPECT_THROW((void)gateway_->connect("")->request("GET", "/healthz", ""), std::exception);
}

}  // namespace
}  // namespace oncegate::testing
