// The citizen's ID token: only a valid ES256 token from the configured issuer, for this audience,
// current, at assurance level "hoch" and with an IDNr identifies a citizen.

#include <gtest/gtest.h>

#include <fstream>

#include "datacockpit/demo_idp.hpp"
#include "datacockpit/id_token.hpp"
#include "gateway/common/bytes.hpp"
#include "tests/support/temp_dir.hpp"

namespace oncegate::datacockpit {
namespace {

using common::base64url_decode;
using common::base64url_encode;

constexpr const char* kIssuer = "https://127.0.0.1:8443/cockpit/demo-idp";
constexpr const char* kAudience = "oncegate-datencockpit";

class IdTokenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto files = ensure_demo_idp(dir_.path());
    idp_ = std::make_unique<DemoIdp>(testing::read_text(files.private_key), kIssuer, kAudience);
    verifier_ = std::make_unique<IdTokenVerifier>(IdTokenPolicy{kIssuer, kAudience}, testing::read_text(files.jwks));
  }

  std::string token(const std::string& acr = "hoch", std::chrono::seconds lifetime = std::chrono::seconds(300),
                    std::chrono::system_clock::time_point at = std::chrono::system_clock::now()) const {
    return idp_->issue("36574261809", "citizen-1", acr, lifetime, at);
  }

  TokenVerdict check(const std::string& t) const { return verifier_->verify(t, std::chrono::system_clock::now()); }

  testing::TempDir dir_;
  std::unique_ptr<DemoIdp> idp_;
  std::unique_ptr<IdTokenVerifier> verifier_;
};

TEST_F(IdTokenTest, ValidTokenIdentifiesTheCitizen) {
  const auto verdict = check(token());
  ASSERT_TRUE(verdict.citizen.has_value()) << verdict.reason;
  EXPECT_EQ(verdict.citizen->idnr, "36574261809");
  EXPECT_EQ(verdict.citizen->subject, "citizen-1");
}

TEST_F(IdTokenTest, ExpiredAndFutureTokensAreRefused) {
  const auto now = std::chrono::system_clock::now();
  auto verdict = check(token("hoch", std::chrono::seconds(300), now - std::chrono::minutes(10)));
  EXPECT_FALSE(verdict.citizen);
  EXPECT_NE(verdict.reason.find("expired"), std::string::npos) << verdict.reason;
  // Within the clock skew it still counts.
  EXPECT_TRUE(check(token("hoch", std::chrono::seconds(300), now - std::chrono::seconds(330))).citizen);
  verdict = check(token("hoch", std::chrono::seconds(300), now + std::chrono::minutes(5)));
  EXPECT_FALSE(verdict.citizen);
}

TEST_F(IdTokenTest, LowAssuranceIsRefused) {
  for (const std::string acr : {"substantiell", "niedrig", ""}) {
    const auto verdict = check(token(acr));
    EXPECT_FALSE(verdict.citizen) << acr;
    EXPECT_NE(verdict.reason.find("assurance"), std::string::npos);
  }
}

TEST_F(IdTokenTest, WrongIssuerOrAudienceIsRefused) {
  const auto files = ensure_demo_idp(dir_.path());
  DemoIdp other_issuer(testing::read_text(files.private_key), "https://idp.example", kAudience);
  EXPECT_NE(check(other_issuer.issue("36574261809", "s", "hoch", std::chrono::seconds(60), std::chrono::system_clock::now()))
                .reason.find("issuer"),
            std::string::npos);
  DemoIdp other_audience(testing::read_text(files.private_key), kIssuer, "another-service");
  EXPECT_NE(check(other_audience.issue("36574261809", "s", "hoch", std::chrono::seconds(60), std::chrono::system_clock::now()))
                .reason.find("audience"),
            std::string::npos);
}

TEST_F(IdTokenTest, ForgedOrForeignTokensAreRefused) {
  const std::string good = token();
  // Changed claims (another IDNr) under the original signature.
  const auto first = good.find('.');
  const auto second = good.find('.', first + 1);
  std::string claims = *base64url_decode(good.substr(first + 1, second - first - 1));
  claims.replace(claims.find("36574261809"), 11, "86095742719");
  const std::string forged = good.substr(0, first + 1) + base64url_encode(claims) + good.substr(second);
  EXPECT_NE(check(forged).reason.find("signature"), std::string::npos);
  // Signed by another IdP key with the same key id.
  testing::TempDir other;
  const auto other_files = ensure_demo_idp(other.path());
  DemoIdp impostor(testing::read_text(other_files.private_key), kIssuer, kAudience);
  EXPECT_FALSE(check(impostor.issue("36574261809", "s", "hoch", std::chrono::seconds(60), std::chrono::system_clock::now()))
                   .citizen);
  // "alg": "none" and garbage.
  const std::string none = base64url_encode(R"({"alg":"none","kid":"oncegate-demo-idp-1"})") + "." +
                           good.substr(first + 1, second - first - 1) + ".";
  EXPECT_NE(check(none).reason.find("ES256"), std::string::npos);
  EXPECT_FALSE(check("").citizen);
  EXPECT_FALSE(check("a.b").citizen);
  EXPECT_FALSE(check("a.b.c.d").citizen);
  EXPECT_FALSE(check("!!!.???.***").citizen);
}

TEST_F(IdTokenTest, Base64UrlRoundTrip) {
  for (const std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar", "\xff\xfe\x00\x01"}) {
    EXPECT_EQ(base64url_decode(base64url_encode(s)), s);
  }
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  EXPECT_FALSE(base64url_decode("abc=").has_value());
}

}  // namespace
}  // namespace oncegate::datacockpit
