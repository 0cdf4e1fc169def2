// The transfer log through the running gateway: one record per request, whatever the outcome,
// with the right fields, durable before the answer, and nothing personal beyond the pseudonym.

#include <gtest/gtest.h>

#include <set>

#include "gateway/log/transfer_log.hpp"
#include "gateway/common/time.hpp"
#include "gateway/crypto/crypto.hpp"
#include "gateway/routing/idnr.hpp"
#include "tests/support/test_gateway.hpp"

namespace oncegate::testing {
namespace {

class LogIntegrationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    TestGatewayOptions options;
    options.extra_toml =
        "[[adapters]]\nname = \"down\"\ntype = \"test-scripted\"\nmode = \"unavailable\"\n"
        "[[routes]]\nevidence_type = \"test-down\"\nadapter = \"down\"\n";
    gateway_ = new TestGateway(options);
    secret_ = read_text(gateway_->data_dir() / "pseudonym.secret");
    while (!secret_.empty() && secret_.back() == '\n') secret_.pop_back();
  }
  static void TearDownTestSuite() {
    delete gateway_;
    gateway_ = nullptr;
  }

  static log::TransferLog& transfer_log() { return gateway_->gateway().transfer_log(); }

  // Sends, and returns the single new record (the log must have grown by exactly one before the
  // answer arrived).
  static log::TransferRecord exchange_and_record(const std::string& body, const std::string& tls_as = TestGateway::kAuthority,
                                                 client::HttpReply* reply_out = nullptr) {
    const std::uint64_t before = transfer_log().size();
    auto connection = gateway_->connect(tls_as);
    const auto reply = connection->request("POST", "/v1/nachweis", body);
    // Read right after the answer: the record must already be there.
    EXPECT_EQ(transfer_log().size(), before + 1) << "record missing when the answer arrived";
    if (reply_out != nullptr) *reply_out = reply;
    const auto head = transfer_log().issue_head();
    const auto proof = transfer_log().prove(before);
    EXPECT_TRUE(proof.has_value());
    return proof ? proof->record : log::TransferRecord{};
  }

  // Sends a request that must be refused before its message is authentic: no record at all.
  static client::HttpReply exchange_unrecorded(const std::string& body, const std::string& tls_as = TestGateway::kAuthority) {
    const std::uint64_t before = transfer_log().size();
    const auto reply = gateway_->connect(tls_as)->request("POST", "/v1/nachweis", body);
    (void)transfer_log().issue_head();  // after everything queued
    EXPECT_EQ(transfer_log().size(), before) << "a request refused before trust was recorded";
    return reply;
  }

  static TestGateway* gateway_;
  static std::string secret_;
};

TestGateway* LogIntegrationTest::gateway_ = nullptr;
std::string LogIntegrationTest::secret_;

TEST_F(LogIntegrationTest, DeliveredTransferIsRecordedWithoutPersonalData) {
  const auto& person = gateway_->people().at(5);
  const std::string body = gateway_->request(person.idnr, "geburtsurkunde");
  client::HttpReply reply;
  const auto record = exchange_and_record(body, TestGateway::kAuthority, &reply);
  ASSERT_EQ(reply.status, 200u);
  EXPECT_EQ(record.outcome, "delivered");
  EXPECT_EQ(record.code, "");
  EXPECT_EQ(record.requester, "psw:01003110");
  EXPECT_EQ(record.register_adapter, "personenstand");
  EXPECT_EQ(record.register_name, "Personenstandsregister (Test)");
  EXPECT_EQ(record.evidence_type, "geburtsurkunde");
  EXPECT_EQ(record.purpose, "leistungsgewaehrung");
  EXPECT_EQ(record.legal_basis, "IDNrG § 6 Abs. 2");
  EXPECT_EQ(record.permission_rule, "test-all");
  EXPECT_EQ(record.request_uuid, body.substr(body.find("<nw:nachrichtenUUID>") + 20, 36));
  EXPECT_EQ(record.answer_digest, crypto::sha256_base64(reply.body));
  EXPECT_EQ(record.pseudonym, log::pseudonym(secret_, person.idnr));
  EXPECT_FALSE(record.transfer_id.empty());
  EXPECT_GT(record.latency_us, 0u);
  // Data minimisation: nothing of the person in the stored bytes but the pseudonym.
  const std::string stored = record.serialise();
  for (const std::string& personal : {person.idnr, person.familienname, person.vornamen, person.geburtsdatum,
                                      person.geburtsort, person.strasse, person.wohnort}) {
    EXPECT_EQ(stored.find(personal), std::string::npos) << personal << " in " << stored;
  }
}

TEST_F(LogIntegrationTest, RefusedInvalidAndFailedRequestsAreRecordedToo) {
  const auto& person = gateway_->people().at(6);
  // Not the TLS authority's own message: refused, and no transfer of anybody's data.
  auto reply = exchange_unrecorded(gateway_->request(person.idnr, "geburtsurkunde"), "psw:02004220");
  EXPECT_EQ(gateway_->codec().read_answer(reply.body).error_code, "AUTHOR_MISMATCH");
  reply = exchange_unrecorded("<not-xml");
  EXPECT_EQ(gateway_->codec().read_answer(reply.body).error_code, "XML_MALFORMED");
  reply = exchange_unrecorded(gateway_->unsigned_request(person.idnr, "geburtsurkunde"));
  EXPECT_EQ(gateway_->codec().read_answer(reply.body).error_code, "SIGNATURE_INVALID");

  // The authority's own, signed message: recorded under the person even when refused.
  auto fields = gateway_->request_fields(person.idnr, "geburtsurkunde");
  fields.zweck = "werbung";
  auto record = exchange_and_record(gateway_->signer().sign(gateway_->codec().write_request(fields)));
  EXPECT_EQ(record.outcome, "denied");
  EXPECT_EQ(record.code, "NOT_PERMITTED");
  EXPECT_EQ(record.requester, "psw:01003110");
  EXPECT_EQ(record.purpose, "werbung");
  EXPECT_EQ(record.pseudonym, log::pseudonym(secret_, person.idnr));

  // An invalid IDNr is nobody's: recorded for the authority, under no person.
  record = exchange_and_record(gateway_->request("36574261890", "geburtsurkunde"));
  EXPECT_EQ(record.outcome, "invalid");
  EXPECT_EQ(record.code, "IDNR_INVALID");
  EXPECT_EQ(record.requester, "psw:01003110");
  EXPECT_EQ(record.pseudonym, "");

  record = exchange_and_record(gateway_->request(person.idnr, "test-down"));
  EXPECT_EQ(record.outcome, "register_failed");
  EXPECT_EQ(record.code, "REGISTER_UNAVAILABLE");
  EXPECT_EQ(record.register_adapter, "down");

  std::set<std::string> known;
  for (const auto& p : gateway_->people()) known.insert(p.idnr);
  std::uint64_t state = 77;
  std::string stranger = routing::generate_idnr(state);
  while (known.contains(stranger)) stranger = routing::generate_idnr(state);
  record = exchange_and_record(gateway_->request(stranger, "geburtsurkunde"));
  EXPECT_EQ(record.outcome, "not_found");
  EXPECT_EQ(record.code, "NOT_FOUND");
}

TEST_F(LogIntegrationTest, CitizenIndexFindsExactlyThatPersonsTransfers) {
  const auto& anna = gateway_->people().at(11);
  const auto& bert = gateway_->people().at(12);
  for (int i = 0; i < 3; ++i) (void)exchange_and_record(gateway_->request(anna.idnr, "geburtsurkunde"));
  (void)exchange_and_record(gateway_->request(bert.idnr, "geburtsurkunde"));
  const auto page = transfer_log().by_person(log::pseudonym(secret_, anna.idnr), 0, INT64_MAX, 50, std::nullopt);
  EXPECT_EQ(page.records.size(), 3u);
  for (const auto& r : page.records) EXPECT_EQ(r.pseudonym, log::pseudonym(secret_, anna.idnr));
  const auto report = transfer_log().verify([](const std::string&, const std::string&) { return true; });
  EXPECT_TRUE(report.ok) << report.first_problem;
}

}  // namespace
}  // namespace oncegate::testing
