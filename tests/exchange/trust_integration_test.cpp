// Trust through the running gateway: mutual TLS, XML signatures (and attacks on them), freshness,
// replay and the permission matrix. Every refused request must not reach a register: the test
// routes its requests to a counting adapter and checks the count.

#include <gtest/gtest.h>

#include <ctime>
#include <fstream>

#include "gateway/routing/idnr.hpp"
#include "gateway/common/time.hpp"
#include "gateway/crypto/crypto.hpp"
#include "gateway/demo/pki.hpp"
#include "gateway/common/files.hpp"
#include "tests/support/test_gateway.hpp"

namespace oncegate::testing {
namespace {

const char* kCountingRoute =
    "[[adapters]]\nname = \"down\"\ntype = \"test-scripted\"\nmode = \"unavailable\"\n"
    "[[routes]]\nevidence_type = \"test-down\"\nadapter = \"down\"\n";

constexpr const char* kExpired = "psw:09000001";

// Certificates made by the demo CA for the tests: an authority with a current certificate (for
// TLS) and an expired and a not-yet-valid one (for signatures); and an unregistered one.
void make_extra_certificates(const std::filesystem::path& data_dir) {
  const auto demo = data_dir / "demo";
  const crypto::KeyAndCertificate ca{read_text(demo / "ca.key"), read_text(demo / "ca.pem")};
  const auto issue = [&](const std::string& stem, const std::string& cn, std::chrono::seconds offset,
                         std::chrono::seconds lifetime) {
    crypto::CertificateRequest request;
    request.common_name = cn;
    request.role = crypto::CertificateRole::tls_client;
    request.not_before_offset = offset;
    request.lifetime = lifetime;
    const auto issued = crypto::issue_certificate(request, &ca);
    common::write_file_atomically(demo / "extra" / (stem + ".pem"), issued.certificate_pem, false);
    common::write_file_atomically(demo / "extra" / (stem + ".key"), issued.private_key_pem, true);
  };
  const std::chrono::seconds day(86400);
  issue("current", kExpired, -day, 30 * day);
  issue("expired", kExpired, -30 * day, 10 * day);
  issue("future", kExpired, 10 * day, 30 * day);
  issue("unregistered", "psw:07000007", -day, 30 * day);
  // Another CA altogether, with an authority certificate of its own.
  crypto::CertificateRequest foreign_ca_request;
  foreign_ca_request.common_name = "Foreign CA";
  foreign_ca_request.role = crypto::CertificateRole::ca;
  const auto foreign_ca = crypto::issue_certificate(foreign_ca_request, nullptr);
  crypto::CertificateRequest foreign_request;
  foreign_request.common_name = "psw:01003110";
  foreign_request.role = crypto::CertificateRole::tls_client;
  const auto foreign = crypto::issue_certificate(foreign_request, &foreign_ca);
  common::write_file_atomically(demo / "extra" / "foreign.pem", foreign.certificate_pem, false);
  common::write_file_atomically(demo / "extra" / "foreign.key", foreign.private_key_pem, true);
}

class TrustTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    TestGatewayOptions options;
    options.extra_toml = kCountingRoute;
    options.prepare = make_extra_certificates;
    options.authorities_toml =
        std::string("[[authorities]]\nkennung = \"") + kExpired + "\"\nname = \"Test authority with old certificates\"\n"
        "certificates = [\"demo/extra/current.pem\", \"demo/extra/expired.pem\", \"demo/extra/future.pem\"]\n"
        "[[permissions]]\nid = \"expired-test\"\nauthorities = [\"" + kExpired + "\"]\n"
        "evidence_types = [\"test-down\"]\npurposes = [\"leistungsgewaehrung\"]\nlegal_bases = [\"IDNrG § 6 Abs. 2\"]\n";
    gateway_ = new TestGateway(options);
  }
  static void TearDownTestSuite() {
    delete gateway_;
    gateway_ = nullptr;
  }

  static std::string idnr() { return gateway_->people().front().idnr; }
  static const std::filesystem::path extra(const std::string& name) { return gateway_->demo_dir() / "extra" / name; }

  // Posts on a connection of `tls_as` and returns the answer's error code ("" when delivered),
  // after checking the answer is signed by the gateway.
  static std::string outcome(const std::string& body, const std::string& tls_as = TestGateway::kAuthority,
                             std::string* text = nullptr) {
    const auto reply = gateway_->connect(tls_as)->request("POST", "/v1/nachweis", body);
    const auto verdict = message::verify_enveloped_signature(reply.body, gateway_->gateway_keys(), std::time(nullptr));
    EXPECT_TRUE(verdict.valid) << verdict.problem << "\n" << reply.body;
    const auto reading = gateway_->codec().read_answer(reply.body);
    EXPECT_TRUE(reading.valid) << reading.problem;
    if (text != nullptr) *text = reading.error_text;
    return reading.error_code;
  }

  // Expects `body` to be refused with `code` before any register is asked.
  static void expect_refused(const std::string& body, const std::string& code,
                             const std::string& tls_as = TestGateway::kAuthority, const std::string& text_part = "") {
    const int calls = scripted_adapter_calls().load();
    std::string text;
    EXPECT_EQ(outcome(body, tls_as, &text), code) << text;
    if (!text_part.empty()) {
      EXPECT_NE(text.find(text_part), std::string::npos) << text;
    }
    EXPECT_EQ(scripted_adapter_calls().load(), calls) << "a refused request reached the register";
  }

  // With TLS 1.3 the server judges the client certificate after the client has finished its side
  // of the handshake, so a refusal shows at the first request rather than at connect.
  static bool tls_refused(const client::ClientTls& tls) {
    try {
      client::HttpsClient connection("127.0.0.1", gateway_->port(), tls);
      connection.request("GET", "/healthz");
      return false;
    } catch (const client::ClientError&) {
      return true;
    }
  }

  static client::ClientTls extra_tls(const std::string& stem) {
    return {(gateway_->demo_dir() / "ca.pem").string(), extra(stem + ".pem").string(), extra(stem + ".key").string()};
  }

  static std::string signed_with(const message::EvidenceRequest& fields, const message::XmlSigningKey& key,
                                 const message::SigningOptions& options = {}) {
    return key.sign(gateway_->codec().write_request(fields), options);
  }

  static std::shared_ptr<const message::XmlSigningKey> key_from(const std::string& stem) {
    return message::XmlSigningKey::load(read_text(extra(stem + ".key")), read_text(extra(stem + ".pem")));
  }

  static void replace(std::string& text, const std::string& from, const std::string& to) {
    const auto pos = text.find(from);
    ASSERT_NE(pos, std::string::npos) << from;
    text.replace(pos, from.size(), to);
  }

  static TestGateway* gateway_;
};

TestGateway* TrustTest::gateway_ = nullptr;

TEST_F(TrustTest, GoodSignedRequestReachesTheRegisterOnce) {
  const int calls = scripted_adapter_calls().load();
  EXPECT_EQ(outcome(gateway_->request(idnr(), "test-down")), "REGISTER_UNAVAILABLE");
  EXPECT_EQ(scripted_adapter_calls().load(), calls + 1);
}

TEST_F(TrustTest, AnswerIsSignedByTheGatewayAndModificationIsDetected) {
  const auto& person = gateway_->people().at(3);
  const auto reply = gateway_->post(gateway_->request(person.idnr, "geburtsurkunde"));
  ASSERT_EQ(reply.status, 200u) << reply.body;
  const auto verdict = message::verify_enveloped_signature(reply.body, gateway_->gateway_keys(), std::time(nullptr));
  EXPECT_TRUE(verdict.valid) << verdict.problem;
  std::string forged = reply.body;
  replace(forged, ">" + person.familienname + "<", ">Mustermann<");
  EXPECT_FALSE(message::verify_enveloped_signature(forged, gateway_->gateway_keys(), std::time(nullptr)).valid);
  // An authority's certificate is no substitute for the gateway's.
  message::XmlVerificationKeys other;
  other.add(read_text(demo::authority_certificate_file(gateway_->demo_dir(), "psw:01003110")));
  EXPECT_FALSE(message::verify_enveloped_signature(reply.body, other, std::time(nullptr)).valid);
}

TEST_F(TrustTest, UnsignedRequestIsRefused) {
  expect_refused(gateway_->unsigned_request(idnr(), "test-down"), "SIGNATURE_INVALID", TestGateway::kAuthority,
                 "not signed");
}

TEST_F(TrustTest, TamperedBodyIsRefused) {
  std::string body = gateway_->request(idnr(), "test-down");
  replace(body, "<nw:idnr>" + idnr(), "<nw:idnr>" + gateway_->people().at(1).idnr);
  expect_refused(body, "SIGNATURE_INVALID");
  body = gateway_->request(idnr(), "test-down");
  replace(body, "leistungsgewaehrung", "leistungsgewaehrunh");
  expect_refused(body, "SIGNATURE_INVALID");
}

TEST_F(TrustTest, TamperedSignatureValueIsRefused) {
  std::string body = gateway_->request(idnr(), "test-down");
  const auto start = body.find("<SignatureValue>") + 16;
  ASSERT_NE(start, std::string::npos + 16);
  body[start + 5] = body[start + 5] == 'A' ? 'B' : 'A';
  expect_refused(body, "SIGNATURE_INVALID");
}

TEST_F(TrustTest, SignatureOfAnotherAuthorityIsRefused) {
  // Signed by psw:02004220 (registered), sent over psw:01003110's TLS connection.
  const auto fields = gateway_->request_fields(idnr(), "test-down");
  expect_refused(signed_with(fields, gateway_->signer("psw:02004220")), "SIGNATURE_INVALID", TestGateway::kAuthority,
                 "another authority");
}

TEST_F(TrustTest, TlsCertificateOfAnotherAuthorityIsRefused) {
  // psw:01003110's signed request over psw:02004220's TLS connection.
  expect_refused(gateway_->request(idnr(), "test-down"), "AUTHOR_MISMATCH", "psw:02004220");
}

TEST_F(TrustTest, KeyInfoNamingAnUntrustedKeyIsRefused) {
  const auto fields = gateway_->request_fields(idnr(), "test-down");
  expect_refused(signed_with(fields, *key_from("foreign")), "SIGNATURE_INVALID", TestGateway::kAuthority,
                 "not registered");
  expect_refused(signed_with(fields, *key_from("unregistered")), "SIGNATURE_INVALID");
}

TEST_F(TrustTest, ExpiredAndNotYetValidSigningCertificatesAreRefused) {
  auto fields = gateway_->request_fields(idnr(), "test-down");
  fields.kopf.autor.kennung = kExpired;
  const auto tls = [&] {
    return client::ClientTls{(gateway_->demo_dir() / "ca.pem").string(), extra("current.pem").string(),
                             extra("current.key").string()};
  };
  const auto send = [&](const std::string& body) {
    client::HttpsClient connection("127.0.0.1", gateway_->port(), tls());
    return gateway_->codec().read_answer(connection.request("POST", "/v1/nachweis", body).body);
  };
  const int calls = scripted_adapter_calls().load();
  auto answer = send(signed_with(fields, *key_from("expired")));
  EXPECT_EQ(answer.error_code, "SIGNATURE_INVALID");
  EXPECT_NE(answer.error_text.find("expired"), std::string::npos) << answer.error_text;
  answer = send(signed_with(fields, *key_from("future")));
  EXPECT_EQ(answer.error_code, "SIGNATURE_INVALID");
  EXPECT_NE(answer.error_text.find("not valid yet"), std::string::npos) << answer.error_text;
  EXPECT_EQ(scripted_adapter_calls().load(), calls);
  // The same authority with its current certificate gets through (positive control).
  EXPECT_EQ(send(signed_with(fields, *key_from("current"))).error_code, "REGISTER_UNAVAILABLE");
  // An expired certificate does not even get through the TLS handshake.
  EXPECT_TRUE(tls_refused(extra_tls("expired")));
  EXPECT_FALSE(tls_refused(extra_tls("current")));
}

TEST_F(TrustTest, ConnectionsWithoutARegisteredClientCertificateAreRefused) {
  EXPECT_TRUE(tls_refused(gateway_->tls("")));          // no certificate: handshake fails
  EXPECT_TRUE(tls_refused(extra_tls("foreign")));        // another CA: handshake fails
  EXPECT_FALSE(tls_refused(gateway_->tls()));            // positive control
  // Chains to the CA but belongs to no registered authority: HTTP refusal.
  client::HttpsClient unregistered("127.0.0.1", gateway_->port(),
                                   {(gateway_->demo_dir() / "ca.pem").string(), extra("unregistered.pem").string(),
                                    extra("unregistered.key").string()});
  const int calls = scripted_adapter_calls().load();
  const auto reply = unregistered.request("POST", "/v1/nachweis", gateway_->request(idnr(), "test-down"));
  EXPECT_EQ(reply.status, 403u);
  EXPECT_EQ(gateway_->codec().read_answer(reply.body).error_code, "UNKNOWN_AUTHORITY");
  EXPECT_EQ(scripted_adapter_calls().load(), calls);
}

TEST_F(TrustTest, SignatureWrappingVariantsAreRefused) {
  const auto fields = gateway_->request_fields(idnr(), "test-down");
  const std::string good = gateway_->request(idnr(), "test-down");

  // A second signature over the signed document (the schema admits one).
  expect_refused(gateway_->signer().sign(good), "SCHEMA_INVALID");
  // A second signature hidden inside the first one's KeyInfo.
  std::string nested = good;
  replace(nested, "</KeyInfo>", "<Signature/></KeyInfo>");
  expect_refused(nested, "SIGNATURE_INVALID", TestGateway::kAuthority, "more than one");

  // The signature moved into the anfrage element (signs the whole document, processed elsewhere).
  std::string moved = good;
  const auto sig_start = moved.find("<Signature");
  const auto sig_end = moved.find("</Signature>") + 12;
  const std::string signature = moved.substr(sig_start, sig_end - sig_start);
  moved.erase(sig_start, sig_end - sig_start);
  replace(moved, "</nw:anfrage>", signature + "</nw:anfrage>");
  expect_refused(moved, "SCHEMA_INVALID");

  // A reference to a fragment instead of the whole message.
  std::string fragment = good;
  replace(fragment, "URI=\"\"", "URI=\"#anfrage\"");
  expect_refused(fragment, "SIGNATURE_INVALID");

  // A signed message for one person whose processed content is swapped for another's: the
  // original signature kept, the body taken from a second signed request.
  const std::string other = gateway_->request(gateway_->people().at(2).idnr, "test-down");
  std::string spliced = other.substr(0, other.find("<Signature")) + signature + "</nw:nachweisAnfrage>";
  expect_refused(spliced, "SIGNATURE_INVALID");

  // An XPath transform that would sign less than the message.
  std::string xpath = good;
  replace(xpath, "<Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/>",
          "<Transform Algorithm=\"http://www.w3.org/TR/1999/REC-xpath-19991116\"><XPath>self::text()</XPath></Transform>");
  expect_refused(xpath, "SIGNATURE_INVALID");

  // An Object with content smuggled into the signature.
  std::string object = good;
  replace(object, "</Signature>", "<Object><nw:anfrage/></Object></Signature>");
  expect_refused(object, "SIGNATURE_INVALID");
}

TEST_F(TrustTest, CommentAndWhitespaceTricksAreRefused) {
  std::string comment = gateway_->request(idnr(), "test-down");
  replace(comment, "<nw:idnr>" + idnr(), "<nw:idnr>" + idnr().substr(0, 5) + "<!-- -->" + idnr().substr(5));
  expect_refused(comment, "SCHEMA_INVALID", TestGateway::kAuthority, "comments");

  std::string spaced = gateway_->request(idnr(), "test-down");
  replace(spaced, "<nw:idnr>" + idnr(), "<nw:idnr> " + idnr());
  // Schema-valid now (the IDNr rules are the gateway's), but no longer the signed bytes.
  expect_refused(spaced, "SIGNATURE_INVALID");

  // Whitespace between elements after signing changes the signed bytes.
  std::string reformatted = gateway_->request(idnr(), "test-down");
  replace(reformatted, "<nw:anfrage>", "<nw:anfrage>\n    ");
  expect_refused(reformatted, "SIGNATURE_INVALID");
}

TEST_F(TrustTest, WeakAlgorithmsAreRefused) {
  const auto fields = gateway_->request_fields(idnr(), "test-down");
  message::SigningOptions sha1;
  sha1.signature_method = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1";
  sha1.digest_method = "http://www.w3.org/2000/09/xmldsig#sha1";
  expect_refused(signed_with(fields, gateway_->signer(), sha1), "SIGNATURE_INVALID");
  // SHA-256 signature over a SHA-1 reference digest.
  message::SigningOptions sha1_digest;
  sha1_digest.digest_method = "http://www.w3.org/2000/09/xmldsig#sha1";
  expect_refused(signed_with(fields, gateway_->signer(), sha1_digest), "SIGNATURE_INVALID");
  // An HMAC claimed in place of the signature method.
  std::string hmac = gateway_->request(idnr(), "test-down");
  replace(hmac, "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256", "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256");
  expect_refused(hmac, "SIGNATURE_INVALID");
}

TEST_F(TrustTest, ProfileViolationsAreNamedInTheProfilesWords) {
  const std::string good = gateway_->request(idnr(), "test-down");
  const auto refused_with = [&](std::string body, const std::string& part) {
    std::string text;
    EXPECT_EQ(outcome(body, TestGateway::kAuthority, &text), "SIGNATURE_INVALID") << part;
    EXPECT_NE(text.find(part), std::string::npos) << text;
    // Never a library's own words.
    EXPECT_EQ(text.find("xmlSec"), std::string::npos) << text;
    EXPECT_EQ(text.find("malloc"), std::string::npos) << text;
  };
  std::string inclusive = good;
  replace(inclusive, "<CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"",
          "<CanonicalizationMethod Algorithm=\"http://www.w3.org/TR/2001/REC-xml-c14n-20010315\"");
  refused_with(inclusive, "inclusive C14N");
  std::string inclusive_transform = good;
  replace(inclusive_transform, "<Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"",
          "<Transform Algorithm=\"http://www.w3.org/2006/12/xml-c14n11\"");
  refused_with(inclusive_transform, "inclusive C14N");

  // The CA's certificate next to the signer's.
  std::string chain = good;
  const auto cert_start = chain.find("<X509Certificate>");
  const auto cert_end = chain.find("</X509Certificate>") + 18;
  ASSERT_NE(cert_start, std::string::npos);
  chain.insert(cert_end, "<X509Certificate>" + chain.substr(cert_start + 17, cert_end - cert_start - 35) + "</X509Certificate>");
  refused_with(chain, "without its CA or chain");

  std::string other_key_info = good;
  replace(other_key_info, "<KeyInfo>", "<KeyInfo><RetrievalMethod URI=\"#k\"/>");
  refused_with(other_key_info, "KeyInfo may hold one X509Data");

  std::string sha1 = good;
  replace(sha1, "http://www.w3.org/2001/04/xmlenc#sha256", "http://www.w3.org/2000/09/xmldsig#sha1");
  refused_with(sha1, "DigestMethod");

  std::string no_enveloped = good;
  replace(no_enveloped, "<Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/>", "");
  refused_with(no_enveloped, "enveloped-signature transform");

  std::string broken_value = good;
  const auto value = broken_value.find("<SignatureValue>") + 16;
  broken_value.insert(value, "%%%");
  refused_with(broken_value, "SignatureValue");
}

TEST_F(TrustTest, ARequestForAnotherGatewayIsRefusedHere) {
  // Signed by the authority, but addressed to another Vermittlungsstelle: not replayable here.
  auto fields = gateway_->request_fields(idnr(), "test-down");
  fields.kopf.leser.kennung = "psw:99000002";
  expect_refused(signed_with(fields, gateway_->signer()), "WRONG_RECIPIENT", TestGateway::kAuthority,
                 "addressed to psw:99000002");
  fields.kopf.leser = {};
  expect_refused(signed_with(fields, gateway_->signer()), "WRONG_RECIPIENT", TestGateway::kAuthority, "no leser");
}

TEST_F(TrustTest, ReplayedUuidIsRefused) {
  const std::string body = gateway_->request(idnr(), "test-down");
  const int calls = scripted_adapter_calls().load();
  EXPECT_EQ(outcome(body), "REGISTER_UNAVAILABLE");
  EXPECT_EQ(outcome(body), "REPLAY");
  // The same UUID in upper case is the same message.
  auto fields = gateway_->request_fields(idnr(), "test-down");
  const std::string uuid = body.substr(body.find("<nw:nachrichtenUUID>") + 20, 36);
  std::string upper = uuid;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  fields.kopf.nachrichten_uuid = upper;
  EXPECT_EQ(outcome(signed_with(fields, gateway_->signer())), "REPLAY");
  EXPECT_EQ(scripted_adapter_calls().load(), calls + 1);
}

TEST_F(TrustTest, StaleOrFutureTimestampsAreRefused) {
  auto fields = gateway_->request_fields(idnr(), "test-down");
  const auto now = std::chrono::system_clock::now();
  fields.kopf.erstellungszeitpunkt = common::utc_text(now - std::chrono::minutes(6));
  expect_refused(signed_with(fields, gateway_->signer()), "STALE");
  fields.kopf.erstellungszeitpunkt = common::utc_text(now + std::chrono::minutes(6));
  expect_refused(signed_with(fields, gateway_->signer()), "STALE");
  fields.kopf.erstellungszeitpunkt = "2026-01-01T10:00:00";  // no time zone: named as such
  expect_refused(signed_with(fields, gateway_->signer()), "TIME_INVALID", TestGateway::kAuthority, "has no time zone");
  // Within the window, with an offset: accepted.
  const std::time_t t = std::chrono::system_clock::to_time_t(now + std::chrono::hours(1));
  std::tm utc{};
  gmtime_r(&t, &utc);
  char local[40];
  std::strftime(local, sizeof local, "%Y-%m-%dT%H:%M:%S+01:00", &utc);
  fields.kopf.erstellungszeitpunkt = local;
  EXPECT_EQ(outcome(signed_with(fields, gateway_->signer())), "REGISTER_UNAVAILABLE");
}

TEST_F(TrustTest, NotPermittedNamesTheMissingRuleButNotThePerson) {
  auto fields = gateway_->request_fields(idnr(), "geburtsurkunde");
  fields.zweck = "werbung";
  std::string known_text;
  const int calls = scripted_adapter_calls().load();
  EXPECT_EQ(outcome(signed_with(fields, gateway_->signer()), TestGateway::kAuthority, &known_text), "NOT_PERMITTED");
  EXPECT_NE(known_text.find("werbung"), std::string::npos);
  // An IDNr nobody has gets exactly the same words: the refusal says nothing about existence.
  std::uint64_t state = 99;
  std::string stranger = routing::generate_idnr(state);
  fields.idnr = stranger;
  std::string unknown_text;
  EXPECT_EQ(outcome(signed_with(fields, gateway_->signer()), TestGateway::kAuthority, &unknown_text), "NOT_PERMITTED");
  EXPECT_EQ(known_text, unknown_text);
  // An evidence type no rule names for this authority, and a missing legal basis.
  fields = gateway_->request_fields(idnr(), "test-down");
  fields.rechtsgrundlage = "";
  expect_refused(signed_with(fields, gateway_->signer()), "NOT_PERMITTED");
  EXPECT_EQ(scripted_adapter_calls().load(), calls);
}

TEST_F(TrustTest, ConsentIsRequiredWhereTheRuleDemandsIt) {
  const auto& person = gateway_->person_in("03");
  auto fields = gateway_->request_fields(person.idnr, "meldebescheinigung", "03");
  fields.kopf.autor.kennung = "psw:02004220";
  fields.zweck = "bafoeg";
  fields.rechtsgrundlage = "BAföG § 46 Abs. 3";
  std::string text;
  EXPECT_EQ(outcome(signed_with(fields, gateway_->signer("psw:02004220")), "psw:02004220", &text), "NOT_PERMITTED");
  EXPECT_NE(text.find("consent"), std::string::npos) << text;
  fields.einwilligung = false;
  EXPECT_EQ(outcome(signed_with(fields, gateway_->signer("psw:02004220")), "psw:02004220"), "NOT_PERMITTED");
  fields.einwilligung = true;
  const auto reply = gateway_->connect("psw:02004220")
                         ->request("POST", "/v1/nachweis", signed_with(fields, gateway_->signer("psw:02004220")));
  EXPECT_EQ(reply.status, 200u) << reply.body;
  EXPECT_EQ(gateway_->codec().read_answer(reply.body).field("strasse"), person.strasse);
}

}  // namespace
}  // namespace oncegate::testing
