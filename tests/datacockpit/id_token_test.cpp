// The citizen's ID token: only a valid ES256 or RS256 token from the configured issuer, for this
// client, current, with this sign-in's nonce, at an accepted assurance level and with a valid IDNr
// (from the claim or the subject mapping) identifies a citizen.

#include <gtest/gtest.h>

#include <fstream>

#include "datacockpit/demo_idp.hpp"
#include "datacockpit/id_token.hpp"
#include "gateway/common/bytes.hpp"
#include "gateway/crypto/es256.hpp"
#include "gateway/crypto/rs256.hpp"

#include <boost/json.hpp>
#include "tests/support/temp_dir.hpp"

namespace oncegate::datacockpit {
namespace {

using common::base64url_decode;
using common::base64url_encode;

constexpr const char* kIssuer = "https://127.0.0.1:8443/cockpit/demo-idp";
constexpr const char* kAudience = "oncegate-datencockpit";
constexpr const char* kNonce = "n-0S6_WzA2Mj";

IdTokenPolicy policy() {
  IdTokenPolicy p;
  p.issuer = kIssuer;
  p.client_id = kAudience;
  return p;
}

// A JWS over any header and claims, signed by `sign`.
template <typename Sign>
std::string jws(const boost::json::object& header, const boost::json::object& claims, Sign sign) {
  const std::string input = base64url_encode(boost::json::serialize(header)) + "." + base64url_encode(boost::json::serialize(claims));
  return input + "." + base64url_encode(sign(input));
}

boost::json::object claims_now(std::int64_t offset_s = 0) {
  const std::int64_t t =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count() + offset_s;
  return boost::json::object{{"iss", kIssuer}, {"aud", kAudience}, {"sub", "s-1"}, {"idnr", "36574261809"},
                             {"acr", "hoch"}, {"nonce", kNonce}, {"iat", t}, {"exp", t + 300}};
}

class IdTokenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto files = ensure_demo_idp(dir_.path());
    idp_ = std::make_unique<DemoIdp>(testing::read_text(files.private_key), kIssuer, kAudience);
    verifier_ = std::make_unique<IdTokenVerifier>(policy(), testing::read_text(files.jwks));
  }

  std::string token(const std::string& acr = "hoch", std::chrono::seconds lifetime = std::chrono::seconds(300),
                    std::chrono::system_clock::time_point at = std::chrono::system_clock::now()) const {
    return idp_->issue("36574261809", "citizen-1", acr, lifetime, at, kNonce);
  }

  TokenVerdict check(const std::string& t) const { return verifier_->verify(t, std::chrono::system_clock::now(), kNonce); }

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
  EXPECT_NE(check(other_issuer.issue("36574261809", "s", "hoch", std::chrono::seconds(60), std::chrono::system_clock::now(), kNonce))
                .reason.find("issuer"),
            std::string::npos);
  DemoIdp other_audience(testing::read_text(files.private_key), kIssuer, "another-service");
  EXPECT_NE(check(other_audience.issue("36574261809", "s", "hoch", std::chrono::seconds(60), std::chrono::system_clock::now(), kNonce))
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
  EXPECT_FALSE(check(impostor.issue("36574261809", "s", "hoch", std::chrono::seconds(60), std::chrono::system_clock::now(), kNonce))
                   .citizen);
  // "alg": "none" and garbage.
  const std::string none = base64url_encode(R"({"alg":"none","kid":"oncegate-demo-idp-1"})") + "." +
                           good.substr(first + 1, second - first - 1) + ".";
  EXPECT_NE(check(none).reason.find("ES256 and RS256"), std::string::npos);
  EXPECT_FALSE(check("").citizen);
  EXPECT_FALSE(check("a.b").citizen);
  EXPECT_FALSE(check("a.b.c.d").citizen);
  EXPECT_FALSE(check("!!!.???.***").citizen);
}

TEST_F(IdTokenTest, TheNonceMustBeThisSignInsOne) {
  EXPECT_TRUE(verifier_->verify(token(), std::chrono::system_clock::now(), kNonce).citizen);
  auto verdict = verifier_->verify(token(), std::chrono::system_clock::now(), "another-sign-in");
  EXPECT_FALSE(verdict.citizen);
  EXPECT_NE(verdict.reason.find("nonce"), std::string::npos);
  const auto without = idp_->issue("36574261809", "s", "hoch", std::chrono::seconds(60), std::chrono::system_clock::now());
  EXPECT_FALSE(verifier_->verify(without, std::chrono::system_clock::now(), kNonce).citizen);
}

TEST_F(IdTokenTest, UnknownKeyIdAsksForTheKeySetAgain) {
  const auto key = crypto::Es256PrivateKey::from_pem(testing::read_text(dir_.path() / "idp.key"));
  const auto verdict = check(jws({{"alg", "ES256"}, {"kid", "rolled-2"}}, claims_now(), [&](const std::string& in) { return key.sign(in); }));
  EXPECT_FALSE(verdict.citizen);
  EXPECT_TRUE(verdict.unknown_key);
}

TEST_F(IdTokenTest, Rs256TokensFromAnRsaKeyVerifyAndTheKeyDecidesTheAlgorithm) {
  const auto rsa = crypto::Rs256PrivateKey::generate(2048);
  const auto signer = crypto::Rs256PrivateKey::from_pem(rsa.private_key_pem);
  const auto ec = crypto::Es256PrivateKey::from_pem(testing::read_text(dir_.path() / "idp.key"));
  boost::json::object jwks_ec = boost::json::parse(testing::read_text(dir_.path() / "idp-jwks.json")).as_object();
  auto keys = jwks_ec.at("keys").as_array();
  keys.push_back(boost::json::object{{"kty", "RSA"}, {"kid", "rsa-1"}, {"use", "sig"}, {"n", base64url_encode(rsa.n)},
                                     {"e", base64url_encode(rsa.e)}});
  keys.push_back(boost::json::object{{"kty", "RSA"}, {"kid", "enc-1"}, {"use", "enc"}, {"n", base64url_encode(rsa.n)},
                                     {"e", base64url_encode(rsa.e)}});
  const IdTokenVerifier verifier(policy(), boost::json::serialize(boost::json::object{{"keys", keys}}));
  EXPECT_EQ(verifier.key_count(), 2u);  // the encryption key is not for signatures
  const auto now = std::chrono::system_clock::now();
  const auto rs = jws({{"alg", "RS256"}, {"kid", "rsa-1"}}, claims_now(), [&](const std::string& in) { return signer.sign(in); });
  const auto verdict = verifier.verify(rs, now, kNonce);
  ASSERT_TRUE(verdict.citizen) << verdict.reason;
  EXPECT_EQ(verdict.citizen->idnr, "36574261809");
  // An ES256 signature claimed under the RSA key's id, and RS256 claimed under the EC key's id.
  EXPECT_FALSE(verifier.verify(jws({{"alg", "ES256"}, {"kid", "rsa-1"}}, claims_now(), [&](const std::string& in) { return ec.sign(in); }),
                               now, kNonce).citizen);
  EXPECT_FALSE(verifier.verify(jws({{"alg", "RS256"}, {"kid", kDemoIdpKeyId}}, claims_now(),
                                   [&](const std::string& in) { return signer.sign(in); }),
                               now, kNonce).citizen);
  // Critical header extensions are not understood, so refused.
  EXPECT_FALSE(verifier.verify(jws({{"alg", "RS256"}, {"kid", "rsa-1"}, {"crit", boost::json::array{"x"}}}, claims_now(),
                                   [&](const std::string& in) { return signer.sign(in); }),
                               now, kNonce).citizen);
  // A key set with only a short RSA key is unusable.
  const auto weak = boost::json::object{{"keys", boost::json::array{boost::json::object{
                                                     {"kty", "RSA"}, {"kid", "short"}, {"n", base64url_encode(std::string(128, '\xc3'))},
                                                     {"e", "AQAB"}}}}};
  EXPECT_THROW(IdTokenVerifier(policy(), boost::json::serialize(weak)), std::runtime_error);
}

TEST_F(IdTokenTest, SeveralAudiencesNeedAuthorisedPartyThisClient) {
  const auto key = crypto::Es256PrivateKey::from_pem(testing::read_text(dir_.path() / "idp.key"));
  const auto sign = [&](const std::string& in) { return key.sign(in); };
  const boost::json::object header{{"alg", "ES256"}, {"kid", kDemoIdpKeyId}};
  auto claims = claims_now();
  claims["aud"] = boost::json::array{kAudience, "other-client"};
  EXPECT_NE(check(jws(header, claims, sign)).reason.find("authorised party"), std::string::npos);
  claims["azp"] = "other-client";
  EXPECT_FALSE(check(jws(header, claims, sign)).citizen);
  claims["azp"] = kAudience;
  EXPECT_TRUE(check(jws(header, claims, sign)).citizen);
  // No issue time, an invalid IDNr, no subject.
  claims = claims_now();
  claims.erase("iat");
  EXPECT_NE(check(jws(header, claims, sign)).reason.find("issue time"), std::string::npos);
  claims = claims_now();
  claims["idnr"] = "12345678901";
  EXPECT_NE(check(jws(header, claims, sign)).reason.find("not a valid"), std::string::npos);
  claims = claims_now();
  claims.erase("sub");
  EXPECT_FALSE(check(jws(header, claims, sign)).citizen);
}

TEST_F(IdTokenTest, TheIdnrComesFromTheSubjectMappingWhenConfigured) {
  auto p = policy();
  p.idnr_claim.clear();
  p.subject_to_idnr = parse_idnr_mapping(R"({"s-1": "86095742719"})");
  p.accepted_acr = {"http://eidas.europa.eu/LoA/high", "hoch"};
  const IdTokenVerifier mapped(p, testing::read_text(dir_.path() / "idp-jwks.json"));
  const auto key = crypto::Es256PrivateKey::from_pem(testing::read_text(dir_.path() / "idp.key"));
  const auto sign = [&](const std::string& in) { return key.sign(in); };
  auto claims = claims_now();
  claims["acr"] = "http://eidas.europa.eu/LoA/high";
  const auto verdict = mapped.verify(jws({{"alg", "ES256"}, {"kid", kDemoIdpKeyId}}, claims, sign), std::chrono::system_clock::now(), kNonce);
  ASSERT_TRUE(verdict.citizen) << verdict.reason;
  EXPECT_EQ(verdict.citizen->idnr, "86095742719");  // the mapping, not the token's own claim
  claims["sub"] = "unmapped";
  EXPECT_FALSE(mapped.verify(jws({{"alg", "ES256"}, {"kid", kDemoIdpKeyId}}, claims, sign), std::chrono::system_clock::now(), kNonce).citizen);
  EXPECT_THROW((void)parse_idnr_mapping(R"({"s-1": "123"})"), std::runtime_error);
  EXPECT_THROW((void)parse_idnr_mapping("[]"), std::runtime_error);
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
