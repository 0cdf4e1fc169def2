// Issue 16: the national Datenschutzcockpit's interface through the running gateway. The DSC (a
// registered party) asks POST /v1/dsc/protokolldaten for a person's protocol data by IDNr with a
// signed request and gets a signed answer, valid against xsd/oncegate-dsc-1.xsd, bound to the
// request, newest first, paged, each entry with an inclusion proof that verifies against the
// log's checkpoint; withheld entries only counted; every query recorded; nobody else may ask.

#include <gtest/gtest.h>

#include <regex>

#include "gateway/common/bytes.hpp"
#include "gateway/common/time.hpp"
#include "gateway/crypto/crypto.hpp"
#include "gateway/log/transfer_log.hpp"
#include "gateway/message/dsc/dsc.hpp"
#include "gateway/message/signature.hpp"
#include "gateway/tlog/checkpoint.hpp"
#include "gateway/tlog/merkle.hpp"
#include "gateway/tlog/note.hpp"
#include "tests/support/dsc_proof.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/test_gateway.hpp"

namespace oncegate::testing {
namespace {

constexpr const char* kDsc = "psw:00001000";

class DscTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    TestGatewayOptions options;
    options.authorities_toml = "[[authorities]]\nkennung = \"psw:00001000\"\nname = \"Datenschutzcockpit (Test)\"\n"
                               "certificates = [\"demo/authorities/psw-00001000.pem\"]\n";
    options.extra_toml =
        "[dsc]\nenabled = true\nparties = [\"psw:00001000\"]\n"
        "[[permissions]]\nid = \"test-withheld\"\nauthorities = [\"psw:01003110\"]\nevidence_types = [\"geburtsurkunde\"]\n"
        "purposes = [\"ermittlung\"]\nlegal_bases = [\"StPO § 161\"]\ncitizen_visible = false\n"
        "withholding_basis = \"§ 161 StPO (Ermittlungsverfahren)\"\n";
    gateway_ = new TestGateway(options);
    codec_ = message::dsc::DscCodec::open();
    person_ = gateway_->people().at(30).idnr;
    for (int i = 0; i < 5; ++i) EXPECT_EQ(gateway_->post(gateway_->request(person_, "geburtsurkunde")).status, 200u);
    auto withheld = gateway_->request_fields(person_, "geburtsurkunde");
    withheld.zweck = "ermittlung";
    withheld.rechtsgrundlage = "StPO § 161";
    EXPECT_EQ(gateway_->post(gateway_->signer().sign(gateway_->codec().write_request(withheld))).status, 200u);
    auto& log = gateway_->gateway().transfer_log();
    EXPECT_TRUE(eventually([&] {
      const auto head = log.latest_cosigned_head();
      return head && head->size >= log.size();
    }));
  }
  static void TearDownTestSuite() { delete gateway_; }

  static message::dsc::DscRequest request_for(const std::string& idnr) {
    message::dsc::DscRequest r;
    r.request_uuid = crypto::new_uuid();
    r.created = common::utc_text(std::chrono::system_clock::now());
    r.sender = kDsc;
    r.idnr = idnr;
    return r;
  }
  static std::string signed_body(const message::dsc::DscRequest& r, const std::string& as = kDsc) {
    return gateway_->signer(as).sign(codec_->write_request(r));
  }
  static client::HttpReply post(const std::string& body, const std::string& as = kDsc) {
    return gateway_->connect(as)->request("POST", "/v1/dsc/protokolldaten", body, "application/xml");
  }
  static std::string code_of(const client::HttpReply& reply) {
    std::smatch m;
    std::regex_search(reply.body, m, std::regex("<(?:\\w+:)?code>([A-Z_]+)<"));
    return m.size() > 1 ? m[1].str() : std::string();
  }

  static TestGateway* gateway_;
  static std::shared_ptr<const message::dsc::DscCodec> codec_;
  static std::string person_;
};

TestGateway* DscTest::gateway_ = nullptr;
std::shared_ptr<const message::dsc::DscCodec> DscTest::codec_;
std::string DscTest::person_;

TEST_F(DscTest, TheDscGetsTheSignedProtocolDataWithProofsThatVerify) {
  const auto request = request_for(person_);
  const std::string body = signed_body(request);
  const auto reply = post(body);
  ASSERT_EQ(reply.status, 200u) << reply.body;
  // Signed by the gateway, valid against the schema, bound to this request.
  message::XmlVerificationKeys gateway_keys;
  gateway_keys.add(read_text(gateway_->demo_dir() / "gateway-signing.pem"));
  EXPECT_TRUE(message::verify_enveloped_signature(reply.body, gateway_keys, std::time(nullptr)).valid);
  const auto answer = codec_->read_answer(reply.body);
  ASSERT_TRUE(answer.valid) << answer.problem;
  EXPECT_EQ(answer.request_uuid, request.request_uuid);
  EXPECT_EQ(answer.request_digest, crypto::sha256_base64(body));
  ASSERT_EQ(answer.entries.size(), 5u);  // the withheld one only counted
  EXPECT_EQ(answer.withheld, 1u);
  EXPECT_NE(reply.body.find("§ 161 StPO (Ermittlungsverfahren)"), std::string::npos);
  EXPECT_EQ(reply.body.find("ermittlung<"), std::string::npos);
  for (std::size_t i = 1; i < answer.entries.size(); ++i) EXPECT_GT(answer.entries[i - 1].number, answer.entries[i].number);
  for (const auto& e : answer.entries) {
    EXPECT_TRUE(e.proven);
    EXPECT_EQ(e.requester_kennung, "psw:01003110");
    EXPECT_EQ(e.evidence_type, "geburtsurkunde");
  }
  // Every proof, the way a DSC or the citizen checks it: commitment, path, checkpoint signature.
  const auto vkey = tlog::parse_vkey(read_text(gateway_->data_dir() / "log.vkey"));
  ASSERT_TRUE(vkey.has_value());
  const auto proofs = verify_dsc_proofs(reply.body, {{"", *vkey}});
  EXPECT_EQ(proofs.problem, "");
  EXPECT_EQ(proofs.verified, answer.entries.size());
}

TEST_F(DscTest, PagesFollowEachOtherAndTheQueryIsItselfRecorded) {
  auto request = request_for(person_);
  request.limit = 2;
  const auto first = codec_->read_answer(post(signed_body(request)).body);
  ASSERT_TRUE(first.valid) << first.problem;
  ASSERT_EQ(first.entries.size(), 2u);
  ASSERT_TRUE(first.next_before.has_value());
  auto next = request_for(person_);
  next.limit = 100;
  next.before = first.next_before;
  const auto rest = codec_->read_answer(post(signed_body(next)).body);
  ASSERT_TRUE(rest.valid);
  EXPECT_FALSE(rest.next_before.has_value());
  for (const auto& e : rest.entries) EXPECT_LT(e.number, first.entries.back().number);
  // The DSC's own queries are transfers of the person's protocol data, and show as such.
  // (durable before its answer left: the next query's newest entry is the query before it).
  const auto again = codec_->read_answer(post(signed_body(request_for(person_))).body);
  ASSERT_TRUE(again.valid);
  ASSERT_FALSE(again.entries.empty());
  EXPECT_EQ(again.entries.front().requester_kennung, kDsc);
  EXPECT_EQ(again.entries.front().evidence_type, "protokolldaten");
  // A period before any transfer: nothing.
  auto old = request_for(person_);
  old.to_date = "2000-01-01";
  const auto none = codec_->read_answer(post(signed_body(old)).body);
  ASSERT_TRUE(none.valid);
  EXPECT_TRUE(none.entries.empty());
}

TEST_F(DscTest, OnlyTheDscMayAskAndTheDscGetsNoEvidence) {
  // An authority on the DSC's endpoint.
  auto request = request_for(person_);
  request.sender = "psw:01003110";
  const auto authority = post(signed_body(request, "psw:01003110"), "psw:01003110");
  EXPECT_EQ(authority.status, 403u);
  EXPECT_EQ(code_of(authority), "NOT_PERMITTED");
  // The DSC on the evidence endpoint: no permission rule names it.
  auto evidence = gateway_->request_fields(person_, "geburtsurkunde");
  evidence.kopf.autor.kennung = kDsc;
  const auto reply = gateway_->connect(kDsc)->request(
      "POST", "/v1/nachweis", gateway_->signer(kDsc).sign(gateway_->codec().write_request(evidence)), "application/xml");
  EXPECT_EQ(reply.status, 403u);
  EXPECT_EQ(code_of(reply), "NOT_PERMITTED");
  // Speaking for the DSC over another party's connection.
  EXPECT_EQ(code_of(post(signed_body(request_for(person_)), "psw:01003110")), "AUTHOR_MISMATCH");
}

TEST_F(DscTest, BadRequestsGetStableCodes) {
  const std::string body = signed_body(request_for(person_));
  EXPECT_EQ(post(body).status, 200u);
  EXPECT_EQ(code_of(post(body)), "REPLAY");
  EXPECT_EQ(code_of(post(codec_->write_request(request_for(person_)))), "SIGNATURE_INVALID");
  auto bad_idnr = request_for(person_);
  bad_idnr.idnr = "12345678901";
  EXPECT_EQ(code_of(post(signed_body(bad_idnr))), "IDNR_INVALID");
  auto too_many = request_for(person_);
  too_many.limit = 101;
  EXPECT_EQ(code_of(post(signed_body(too_many))), "SCHEMA_INVALID");
  auto stale = request_for(person_);
  stale.created = "2020-01-01T00:00:00Z";
  EXPECT_EQ(code_of(post(signed_body(stale))), "STALE");
  EXPECT_EQ(code_of(post("<dsc:protokolldatenAnfrage xmlns:dsc=\"urn:de:oncegate:dsc:1\"/>")), "SCHEMA_INVALID");
  EXPECT_EQ(code_of(post("not xml")), "XML_MALFORMED");
}

}  // namespace
}  // namespace oncegate::testing
