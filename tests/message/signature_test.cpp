// XML signatures: the fast signer for the gateway's own messages must produce exactly what a
// standard XMLDSig implementation (xmlsec) verifies, whatever the text content.

#include <gtest/gtest.h>

#include <ctime>

#include "gateway/message/codec.hpp"
#include "gateway/message/signature.hpp"
#include "gateway/demo/pki.hpp"

namespace oncegate::message {
namespace {

class SignatureTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    crypto::CertificateRequest ca_request;
    ca_request.common_name = "test CA";
    ca_request.role = crypto::CertificateRole::ca;
    const auto ca = crypto::issue_certificate(ca_request, nullptr);
    crypto::CertificateRequest request;
    request.common_name = "gateway";
    request.role = crypto::CertificateRole::signing;
    material_ = new crypto::KeyAndCertificate(crypto::issue_certificate(request, &ca));
  }
  static void TearDownTestSuite() { delete material_; }

  void SetUp() override {
    codec_ = MessageCodec::open({});
    key_ = XmlSigningKey::load(material_->private_key_pem, material_->certificate_pem);
    keys_.add(material_->certificate_pem);
  }

  std::string answer_with(const std::string& value) const {
    const adapters::Evidence evidence{"geburtsurkunde",
                                      {{"familienname", value}, {"geburtsname", "X"}, {"vornamen", "Y"},
                                       {"geschlecht", "weiblich"}, {"geburtsdatum", "1987-04-12"},
                                       {"geburtsort", "Hannover"}, {"geburtsortSchluessel", "03241001"}}};
    return codec_->write_answer({{"dvdv", "psw:99000001", "oncegate \"Test\" & <Co>"}, {"dvdv", "psw:01003110", ""}},
                                {"6f1c2e0a-5b8d-4c1e-9a3f-2d7b8c9e0f11", "EiSQSdrN67IoBzu89InH+IsRJch3vlbrQJNALuv1EGI="},
                                "geburtsurkunde", "Register 'A'", evidence);
  }

  static crypto::KeyAndCertificate* material_;
  std::shared_ptr<const MessageCodec> codec_;
  std::shared_ptr<const XmlSigningKey> key_;
  XmlVerificationKeys keys_;
};

crypto::KeyAndCertificate* SignatureTest::material_ = nullptr;

TEST_F(SignatureTest, OwnDocumentSignaturesVerifyWithXmlsecForAnyText) {
  const std::vector<std::string> values{"Müller", "O'Brien \"the elder\"", "a & b < c > d", "line\r\nbreak\ttab",
                                        "ctrl\x01\x02 and broken \xff utf-8", "日本語 😀", ""};
  for (const std::string& value : values) {
    const std::string signed_answer = key_->sign_own_document(answer_with(value));
    const auto verdict = verify_enveloped_signature(signed_answer, keys_, std::time(nullptr));
    EXPECT_TRUE(verdict.valid) << value << ": " << verdict.problem << "\n" << signed_answer;
    EXPECT_EQ(verdict.certificate_fingerprint, key_->certificate_fingerprint());
    EXPECT_TRUE(codec_->read_answer(signed_answer).valid);
  }
}

TEST_F(SignatureTest, OwnDocumentSignatureMatchesTheGeneralSigner) {
  // Both paths sign the same canonical bytes: the reference digests agree.
  const std::string answer = answer_with("Schmidt");
  const std::string fast = key_->sign_own_document(answer);
  const std::string general = key_->sign(answer);
  const auto digest = [](const std::string& xml) {
    const auto start = xml.find("<DigestValue>") + 13;
    return xml.substr(start, xml.find("</DigestValue>") - start);
  };
  EXPECT_EQ(digest(fast), digest(general));
  EXPECT_TRUE(verify_enveloped_signature(general, keys_, std::time(nullptr)).valid);
}

TEST_F(SignatureTest, ErrorAnswersSignAndTamperingIsDetected) {
  const std::string error = codec_->write_error({{"dvdv", "psw:99000001", ""}, {}}, {"", ""},
                                                ErrorCode::idnr_invalid, "the check digit does not match");
  std::string signed_error = key_->sign_own_document(error);
  EXPECT_TRUE(verify_enveloped_signature(signed_error, keys_, std::time(nullptr)).valid);
  signed_error.replace(signed_error.find("IDNR_INVALID"), 12, "NOT_FOUND___");
  EXPECT_FALSE(verify_enveloped_signature(signed_error, keys_, std::time(nullptr)).valid);
}

TEST_F(SignatureTest, OwnDocumentSignerRefusesForeignInput) {
  EXPECT_THROW((void)key_->sign_own_document("<a/>"), MessageError);
  EXPECT_THROW((void)key_->sign_own_document(""), MessageError);
}

TEST_F(SignatureTest, UnknownSignerAndKeyMismatchAreRefused) {
  XmlVerificationKeys empty;
  const auto verdict = verify_enveloped_signature(key_->sign_own_document(answer_with("A")), empty, std::time(nullptr));
  EXPECT_FALSE(verdict.valid);
  EXPECT_NE(verdict.problem.find("not registered"), std::string::npos);
  crypto::CertificateRequest other_request;
  other_request.common_name = "other";
  other_request.role = crypto::CertificateRole::signing;
  const auto other = crypto::issue_certificate(other_request, nullptr);
  EXPECT_THROW((void)XmlSigningKey::load(other.private_key_pem, material_->certificate_pem), MessageError);
}

}  // namespace
}  // namespace oncegate::message
