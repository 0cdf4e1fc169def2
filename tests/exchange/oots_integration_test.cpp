// The EU half through the running gateway: the real OOTS reference requests (read where they
// are, given a fresh id and time in memory), variants of them, and national requests in between.

#include <gtest/gtest.h>

#include <regex>

#include <boost/json.hpp>

#include "adapters/handelsregister/companies.hpp"
#include "tests/support/cockpit_signin.hpp"
#include "gateway/common/bytes.hpp"
#include "gateway/crypto/crypto.hpp"
#include "gateway/crypto/es256.hpp"
#include "gateway/message/edm/edm.hpp"
#include "gateway/net/multipart.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_gateway.hpp"

namespace edm = oncegate::message::edm;
using oncegate::testing::read_text;
using oncegate::testing::TestGateway;
using oncegate::testing::TestGatewayOptions;

namespace {

const std::filesystem::path kReference = ONCEGATE_REFERENCE_DIR "/oots-edm";
constexpr const char* kParty = "oots:ap-de-demo";

std::string reference(const std::string& name) {
  const auto file = kReference / name;
  if (!std::filesystem::exists(file)) ADD_FAILURE() << "reference file missing: " << file;
  return read_text(file);
}

std::string now_text() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return text;
}

// A fresh request id and IssueDateTime, as the freshness and replay checks demand.
std::string refresh(std::string request) {
  request = std::regex_replace(request, std::regex("id=\"urn:uuid:[0-9a-fA-F-]{36}\""),
                               "id=\"urn:uuid:" + oncegate::crypto::new_uuid() + "\"", std::regex_constants::format_first_only);
  std::smatch match;
  if (!std::regex_search(request, match, std::regex("name=\"IssueDateTime\">[\\s\\S]*?<rim:Value>"))) return request;
  const auto value = static_cast<std::size_t>(match.position(0) + match.length(0));
  return request.substr(0, value) + now_text() + request.substr(request.find('<', value));
}

// The same inside a Domibus envelope (the payload is base64).
std::string refresh_envelope(const std::string& envelope) {
  std::smatch match;
  if (!std::regex_search(envelope, match, std::regex("<value>([^<]+)</value>"))) return envelope;
  const auto payload = oncegate::common::base64_decode(match[1].str()).value_or("");
  return match.prefix().str() + "<value>" + oncegate::common::base64_encode(refresh(payload)) + "</value>" +
         match.suffix().str();
}

std::string request_id_of(const std::string& request) {
  std::smatch match;
  return std::regex_search(request, match, std::regex("id=\"(urn:uuid:[0-9a-fA-F-]{36})\"")) ? match[1].str() : "";
}

std::string header(const oncegate::client::HttpReply& reply, std::string_view name) {
  for (const auto& [key, value] : reply.headers) {
    if (key.size() == name.size() && std::equal(key.begin(), key.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
        })) {
      return value;
    }
  }
  return {};
}

// The QueryResponse of an answer: the first MIME part of multipart/related, or the body.
std::string response_part(const oncegate::client::HttpReply& reply) {
  const auto parts = oncegate::net::read_multipart(reply.body, reply.content_type);
  return parts && !parts->empty() ? parts->front().body : reply.body;
}

std::string oots_toml() {
  return R"toml(
[oots]
enabled = true
provider_id = "DE99000001"
provider_name = "oncegate (Test)"

[[oots.evidence_types]]
id = "geburt"
classification = "https://sr.oots.tech.europa.eu/evidencetypeclassifications/DE/ca8afed6-2dc0-422a-a931-d21c3d8d370e"
evidence_type = "geburtsurkunde"
title = "Geburtsurkunde"

[[oots.evidence_types]]
id = "test"
classification = "oots/00000000-0000-0000-0000-000000000000"
evidence_type = "geburtsurkunde"
title = "Test evidence"

[[oots.evidence_types]]
id = "vorschau"
classification = "DE/preview-demanding"
evidence_type = "meldebescheinigung"

[[oots.evidence_types]]
id = "handelsregister"
classification = "https://sr.oots.tech.europa.eu/evidencetypeclassifications/DE/ca8afed6-2dc0-422a-a931-d21c3d8d370e"
subject = "legal"
evidence_type = "handelsregisterauszug"
title = "Auszug aus dem Handelsregister"

[[oots.requesters]]
agent = "urn:cef.eu:names:identifier:EAS:0096:DK22234444"
name = "Danish Tax Agency"
country = "DK"
parties = ["oots:ap-de-demo"]

[[oots.requesters]]
agent = "urn:cef.eu:names:identifier:EAS:0096:DK22233223"
name = "Denmark University Portal"
country = "DK"
parties = ["oots:ap-de-demo"]

[[oots.requesters]]
agent = "urn:cef.eu:names:identifier:EAS:0009:00000000000002"
name = "Ministère de l'enseignement supérieur"
country = "FR"
parties = ["oots:ap-de-demo"]

[[oots.requesters]]
agent = "urn:cef.eu:names:identifier:EAS:0096:DK99999999"
name = "Not permitted anything"
country = "DK"
parties = ["oots:ap-de-demo"]

[[authority_groups]]
name = "oots-requesters"
members = ["urn:cef.eu:names:identifier:EAS:0096:DK22233223", "urn:cef.eu:names:identifier:EAS:0009:00000000000002"]

[[permissions]]
id = "oots-geburt"
authorities = ["group:oots-requesters"]
evidence_types = ["geburtsurkunde"]
purposes = ["R1", "T3", "00"]
legal_bases = ["VO (EU) 2018/1724 Art. 14"]
consent_required = true

[[permissions]]
id = "oots-wohnsitz-nur-mit-vorschau"
authorities = ["group:oots-requesters"]
evidence_types = ["meldebescheinigung"]
purposes = ["R1"]
legal_bases = ["VO (EU) 2018/1724 Art. 14"]
preview_required = true

[[permissions]]
id = "oots-handelsregister"
authorities = ["urn:cef.eu:names:identifier:EAS:0096:DK22234444"]
evidence_types = ["handelsregisterauszug"]
purposes = ["X4"]
legal_bases = ["VO (EU) 2018/1724 Art. 14"]

[[adapters]]
name = "handelsregister"
type = "embedded-handelsregister"
register_name = "Handelsregister (Test)"
companies = 500
seed = 7

[[routes]]
evidence_type = "handelsregisterauszug"
adapter = "handelsregister"

[locating]
data = "registers/population.tsv"

[listeners.admin]
address = "127.0.0.1"
port = 0
certificate = "demo/server.pem"
private_key = "demo/server.key"
)toml";
}

class OotsIntegrationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    TestGatewayOptions options;
    options.authorities_toml = "[[authorities]]\nkennung = \"oots:ap-de-demo\"\nname = \"OOTS-Zugangspunkt (Test)\"\n"
                               "certificates = [\"demo/authorities/oots-ap-de-demo.pem\"]\n";
    options.extra_toml = oots_toml();
    options.datacockpit = true;
    gateway_ = new TestGateway(options);
  }
  static void TearDownTestSuite() {
    delete gateway_;
    gateway_ = nullptr;
  }

  oncegate::client::HttpReply post(const std::string& body, const std::string& type = "application/x-ebrs+xml",
                                   const std::string& party = kParty) {
    return gateway_->connect(party)->request("POST", "/v1/oots/query", body, type);
  }

  // The answer must carry a detached JWS over its exact bytes by the gateway's signing key.
  static void expect_signed(const oncegate::client::HttpReply& reply) {
    const std::string jws = header(reply, "X-JWS-Signature");
    ASSERT_FALSE(jws.empty());
    const auto key = oncegate::crypto::Es256PublicKey::from_certificate_pem(
        read_text(gateway_->demo_dir() / "gateway-signing.pem"));
    EXPECT_TRUE(oncegate::crypto::verify_detached_jws(key, jws, reply.body));
    EXPECT_FALSE(oncegate::crypto::verify_detached_jws(key, jws, reply.body + " "));
  }

  static TestGateway* gateway_;
};

TestGateway* OotsIntegrationTest::gateway_ = nullptr;

TEST_F(OotsIntegrationTest, TheCommissionsBirthRequestIsAnsweredWithEvidence) {
  const std::string request = refresh(reference("ec-v1.0/birth-request.xml"));
  const auto reply = post(request);
  ASSERT_EQ(reply.status, 200u) << reply.body;
  EXPECT_NE(reply.content_type.find("multipart/related"), std::string::npos);
  expect_signed(reply);
  const auto reading = edm::read_response(response_part(reply));
  ASSERT_TRUE(reading.valid) << reading.problem;
  EXPECT_TRUE(reading.success);
  EXPECT_EQ(reading.request_id, request_id_of(request));
  EXPECT_EQ(reading.specification, "oots-edm:v1.0");
  EXPECT_EQ(reading.provider_classification, "EP");
  ASSERT_TRUE(reading.repository_item.starts_with("cid:"));
  // The evidence is the second part, under the Content-ID the reference names; John Smith's
  // German birth record.
  const auto parts = oncegate::net::read_multipart(reply.body, reply.content_type);
  ASSERT_TRUE(parts);
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ(parts->at(0).content_id, "response@oncegate");
  EXPECT_EQ(parts->at(1).content_id, reading.repository_item.substr(4));
  EXPECT_EQ(parts->at(1).content_type, "application/xml");
  const std::string& evidence = parts->at(1).body;
  EXPECT_NE(evidence.find("<nw:familienname>Smith</nw:familienname>"), std::string::npos);
  EXPECT_NE(evidence.find("<nw:geburtsort>Hamburg</nw:geburtsort>"), std::string::npos);
}

TEST_F(OotsIntegrationTest, TheFrenchV2RequestAndTheDomibusCaptureAreAnsweredInV2Form) {
  const auto reply = post(refresh(reference("fr-v2.0/requete.xml")), "application/xml");
  ASSERT_EQ(reply.status, 200u) << reply.body;
  expect_signed(reply);
  const std::string response = response_part(reply);
  EXPECT_EQ(edm::read_response(response).specification, "oots-edm:v2.0");
  EXPECT_NE(response.find("rim:RegistryPackageType"), std::string::npos);
  EXPECT_NE(reply.body.find("Content-Type: application/pdf"), std::string::npos);  // as requested
  EXPECT_NE(reply.body.find("%PDF-1.4"), std::string::npos);

  const auto captured = post(refresh_envelope(reference("fr-v2.0/domibus-capture-requete.soap.xml")),
                             "application/soap+xml");
  ASSERT_EQ(captured.status, 200u) << captured.body;
  expect_signed(captured);
  const auto reading = edm::read_response(response_part(captured));
  EXPECT_TRUE(reading.success);
  EXPECT_NE(captured.body.find("Dupont"), std::string::npos);
}

TEST_F(OotsIntegrationTest, TheInvalidReferenceRequestsGet0003NamingTheMissingSlot) {
  for (const auto& [file, missing] : std::vector<std::pair<std::string, std::string>>{
           {"fr-v2.0/incoming-requete.sansProcedure.xml", "Procedure"},
           {"fr-v2.0/incoming-requete.sansRequeteur.xml", "EvidenceRequester"}}) {
    const auto reply = post(reference(file), "application/soap+xml");
    EXPECT_EQ(reply.status, 400u) << file;
    const auto reading = edm::read_response(reply.body);
    ASSERT_TRUE(reading.valid) << reply.body;
    EXPECT_FALSE(reading.success);
    EXPECT_EQ(reading.error_code, "EDM:ERR:0003");
    EXPECT_NE(reading.error_detail.find(missing), std::string::npos) << reading.error_detail;
    EXPECT_EQ(reading.specification, "oots-edm:v2.0");
    expect_signed(reply);
  }
}

TEST_F(OotsIntegrationTest, RefusalsCarryTheRightEdmCode) {
  const std::string base = reference("ec-v1.0/birth-request.xml");
  const auto code_of = [&](const std::string& request) {
    const auto reply = post(request);
    return edm::read_response(reply.body).error_code + " " + edm::read_response(reply.body).error_detail;
  };
  // Unknown person: nobody called Smith was born that day.
  EXPECT_TRUE(code_of(refresh(std::regex_replace(base, std::regex("1970-03-01"), "1970-03-02"))).starts_with("EDM:ERR:0004"));
  // Unknown evidence type.
  EXPECT_TRUE(code_of(refresh(std::regex_replace(base, std::regex("ca8afed6-2dc0-422a-a931-d21c3d8d370e"), "0a0a0a0a")))
                  .starts_with("EDM:ERR:0007"));
  // Unsupported version.
  EXPECT_TRUE(code_of(refresh(std::regex_replace(base, std::regex("oots-edm:v1\\.0</rim:Value>"), "oots-edm:v3.0</rim:Value>")))
                  .starts_with("EDM:ERR:0007"));
  // Not permitted: an agent the party speaks for, without a rule.
  EXPECT_TRUE(code_of(refresh(std::regex_replace(base, std::regex("DK22233223"), "DK99999999"))).starts_with("EDM:ERR:0002"));
  // An agent the party may not speak for.
  EXPECT_TRUE(code_of(refresh(std::regex_replace(base, std::regex("DK22233223"), "DK12121212"))).starts_with("EDM:ERR:0001"));
  // No explicit request under a rule that demands one.
  const std::string no_explicit = std::regex_replace(
      base, std::regex("(name=\"ExplicitRequestGiven\">\\s*<rim:SlotValue[^>]*>\\s*(<!--[^>]*-->\\s*)?<rim:Value>)true"), "$1false");
  EXPECT_TRUE(code_of(refresh(no_explicit)).starts_with("EDM:ERR:0002"));
  // Preview demanded by the rule: honest refusal, no PreviewLocation.
  std::string preview = std::regex_replace(base, std::regex("DE/ca8afed6-2dc0-422a-a931-d21c3d8d370e"), "DE/preview-demanding");
  preview = std::regex_replace(
      preview, std::regex("(name=\"PossibilityForPreview\">\\s*<rim:SlotValue[^>]*>\\s*(<!--[^>]*-->\\s*)?<rim:Value>)false"), "$1true");
  const auto refused = post(refresh(preview));
  const auto reading = edm::read_response(refused.body);
  EXPECT_EQ(reading.error_code, "EDM:ERR:0002") << refused.body;
  EXPECT_NE(reading.error_detail.find("offers no preview"), std::string::npos);
  EXPECT_EQ(refused.body.find("PreviewLocation"), std::string::npos);
}

TEST_F(OotsIntegrationTest, ReplayAndStaleRequestsAreRefused) {
  const std::string request = refresh(reference("ec-v1.0/birth-request.xml"));
  ASSERT_EQ(post(request).status, 200u);
  const auto again = post(request);
  EXPECT_EQ(edm::read_response(again.body).error_code, "EDM:ERR:0003");
  EXPECT_NE(edm::read_response(again.body).error_detail.find("used already"), std::string::npos);
  // The reference file as it is: issued in 2022.
  EXPECT_EQ(edm::read_response(post(reference("ec-v1.0/birth-request.xml")).body).error_code, "EDM:ERR:0003");
}

TEST_F(OotsIntegrationTest, MediaTypeAndPartyAreCheckedFromTheHeader) {
  const auto wrong_type = post(refresh(reference("ec-v1.0/birth-request.xml")), "text/plain");
  EXPECT_EQ(wrong_type.status, 415u);
  EXPECT_EQ(edm::read_response(wrong_type.body).error_code, "EDM:ERR:0003");
  // A national authority is a registered party, but speaks for no EU requester.
  const auto national = post(refresh(reference("ec-v1.0/birth-request.xml")), "application/x-ebrs+xml", "psw:01003110");
  EXPECT_EQ(edm::read_response(national.body).error_code, "EDM:ERR:0001");
}

TEST_F(OotsIntegrationTest, EuAndNationalRequestsInterleaved) {
  const auto& people = gateway_->people();
  for (int round = 0; round < 3; ++round) {
    EXPECT_EQ(post(refresh(reference("ec-v1.0/birth-request.xml"))).status, 200u);
    const auto& person = people[static_cast<std::size_t>(round) * 7];
    const auto national = gateway_->post(gateway_->request(person.idnr, "geburtsurkunde"));
    EXPECT_EQ(national.status, 200u);
    EXPECT_EQ(post(refresh(reference("fr-v2.0/requete.xml")), "application/xml").status, 200u);
  }
}

TEST_F(OotsIntegrationTest, AMeldebescheinigungWithoutRegionIsDeliveredFromTheRightRegister) {
  const auto& people = gateway_->people();
  for (const std::string land : {"03", "04"}) {
    const auto person = std::find_if(people.begin(), people.end(), [&](const auto& p) { return p.wohnort_ags.starts_with(land); });
    ASSERT_NE(person, people.end());
    for (int twice = 0; twice < 2; ++twice) {  // the second time from the location cache
      const auto reply = gateway_->post(gateway_->request(person->idnr, "meldebescheinigung"));
      ASSERT_EQ(reply.status, 200u) << reply.body;
      EXPECT_NE(reply.body.find(land == "03" ? "Niedersachsen" : "Bremen"), std::string::npos);
      EXPECT_NE(reply.body.find(person->wohnort_ags), std::string::npos);
    }
  }
}

// A LegalPerson request: the company named in it, as the register finds it.
std::string company_request(const std::string& name, const std::vector<std::pair<std::string, std::string>>& identifiers) {
  std::string request = reference("ec-v1.0/commercial-register-request.xml");
  std::string replaced;
  for (const auto& [scheme, value] : identifiers) {
    replaced += "<sdg:Identifier schemeID=\"" + scheme + "\">" + value + "</sdg:Identifier>";
  }
  request = std::regex_replace(request, std::regex("<sdg:Identifier schemeID=\"TAX\">[^<]*</sdg:Identifier>\\s*"
                                                   "<sdg:Identifier schemeID=\"VAT\">[^<]*</sdg:Identifier>"),
                               replaced);
  request = std::regex_replace(request, std::regex("<sdg:LegalName>Sweden ltd</sdg:LegalName>"),
                               "<sdg:LegalName>" + name + "</sdg:LegalName>");
  return refresh(request);
}

TEST_F(OotsIntegrationTest, TheCommercialRegisterRequestIsAnsweredWithTheCompanysExtract) {
  const std::string request = refresh(reference("ec-v1.0/commercial-register-request.xml"));
  const auto reply = post(request);
  ASSERT_EQ(reply.status, 200u) << reply.body;
  expect_signed(reply);
  const std::string response = response_part(reply);
  const auto reading = edm::read_response(response);
  ASSERT_TRUE(reading.valid) << reading.problem;
  EXPECT_TRUE(reading.success);
  EXPECT_EQ(reading.request_id, request_id_of(request));
  // As the reference response: the evidence is about the legal person, by its eIDAS identifier.
  EXPECT_NE(response.find("<sdg:LegalPersonIdentifier schemeID=\"eidas\">SE/DE/12132123Y</sdg:LegalPersonIdentifier>"),
            std::string::npos);
  EXPECT_NE(response.find("<sdg:LegalName>Sweden ltd</sdg:LegalName>"), std::string::npos);
  EXPECT_NE(reply.body.find("<nw:firma>Sweden ltd</nw:firma>"), std::string::npos);
  EXPECT_NE(reply.body.find("<nw:umsatzsteuerIdNr>SE730757727</nw:umsatzsteuerIdNr>"), std::string::npos);
  // The same classification asked for a natural person is a birth certificate: the subject decides.
  EXPECT_NE(reply.body.find("<nw:handelsregisterauszug"), std::string::npos);
}

TEST_F(OotsIntegrationTest, CompaniesAreFoundByNameAndRegisterNumber) {
  const auto companies = oncegate::adapters::handelsregister::generate_companies(7, 500);
  // Two companies of the same name (names repeat across courts, as real ones do).
  const oncegate::adapters::handelsregister::Company* first = nullptr;
  const oncegate::adapters::handelsregister::Company* second = nullptr;
  for (std::size_t i = 0; i < companies.size() && second == nullptr; ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (companies[i].firma == companies[j].firma) {
        first = &companies[j];
        second = &companies[i];
        break;
      }
    }
  }
  ASSERT_NE(second, nullptr) << "the generated companies have no repeated name";
  const auto outcome = [&](const std::string& name, const std::vector<std::pair<std::string, std::string>>& ids) {
    const auto reply = post(company_request(name, ids));
    const auto reading = edm::read_response(reply.status == 200 ? response_part(reply) : reply.body);
    return reply.status == 200 ? std::string("delivered") : reading.error_code + " " + reading.error_detail;
  };
  // The name alone names two: not found, in the same words as no match at all.
  const std::string ambiguous = outcome(first->firma, {});
  EXPECT_TRUE(ambiguous.starts_with("EDM:ERR:0004")) << ambiguous;
  const std::string unknown = outcome("Niemand Nirgends GmbH", {});
  EXPECT_EQ(ambiguous, unknown);
  // The register number tells them apart: the EUID, or the number itself (name in another case).
  const auto reply = post(company_request(second->firma, {{"EUID", second->euid}}));
  ASSERT_EQ(reply.status, 200u) << reply.body;
  EXPECT_NE(reply.body.find("<nw:registernummer>" + second->registernummer + "</nw:registernummer>"), std::string::npos);
  EXPECT_EQ(reply.body.find("<nw:registernummer>" + first->registernummer + "</nw:registernummer>"), std::string::npos);
  std::string upper = first->firma;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(outcome(upper, {{"RegisterNumber", first->registerart + " " + first->registernummer}}), "delivered");
  // A register number that belongs to the other company of that name: nobody.
  EXPECT_TRUE(outcome(first->firma, {{"EUID", companies[0].euid == first->euid ? companies[1].euid : companies[0].euid}})
                  .starts_with("EDM:ERR:0004"));
  // A tax number is not held by the Handelsregister and decides nothing.
  EXPECT_TRUE(outcome(first->firma, {{"TAX", "113123123123123"}}).starts_with("EDM:ERR:0004"));
}

TEST_F(OotsIntegrationTest, CompanyExtractsNeedTheirOwnPermission) {
  // The birth-certificate requester has no rule for extracts of the commercial register.
  std::string request = reference("ec-v1.0/commercial-register-request.xml");
  request = std::regex_replace(request, std::regex("DK22234444"), "DK22233223");
  const auto reply = post(refresh(request));
  const auto reading = edm::read_response(reply.body);
  EXPECT_EQ(reading.error_code, "EDM:ERR:0002") << reply.body;
  EXPECT_NE(reading.error_detail.find("handelsregisterauszug"), std::string::npos);
}

TEST_F(OotsIntegrationTest, EvidenceTypeMappingsAreManagedThroughTheAdminApi) {
  const std::string base = reference("ec-v1.0/birth-request.xml");
  const auto asking_for = [&](const std::string& classification) {
    return refresh(std::regex_replace(base, std::regex("DE/ca8afed6-2dc0-422a-a931-d21c3d8d370e"), classification));
  };
  const auto code_of = [&](const oncegate::client::HttpReply& reply) {
    return reply.status == 200 ? std::string("delivered") : edm::read_response(reply.body).error_code;
  };
  const std::string key = gateway_->admin_key();
  const std::string path = "/admin/v1/oots-evidence-types/geburt-neu";
  EXPECT_EQ(code_of(post(asking_for("DE/11111111-1111-4111-8111-111111111111"))), "EDM:ERR:0007");

  // Another host of the Semantic Repository, the same classification key: it maps.
  const auto put = gateway_->admin_call(
      "PUT", path, key,
      R"J({"classification":"https://sr.oots.tech.ec.europa.eu/evidencetypeclassifications/DE/11111111-1111-4111-8111-111111111111",)J"
      R"J("evidence_type":"geburtsurkunde","title":"Geburtsurkunde (neu)"})J");
  ASSERT_EQ(put.status, 200u) << put.body;
  const auto delivered = post(asking_for("DE/11111111-1111-4111-8111-111111111111"));
  ASSERT_EQ(code_of(delivered), "delivered") << delivered.body;
  EXPECT_NE(delivered.body.find("Geburtsurkunde (neu)"), std::string::npos);
  const auto listed = gateway_->admin_call("GET", "/admin/v1/oots-evidence-types", key);
  EXPECT_NE(listed.body.find(R"("id":"geburt-neu")"), std::string::npos) << listed.body;
  EXPECT_NE(listed.body.find(R"("source":"admin")"), std::string::npos);
  EXPECT_NE(listed.body.find(R"("id":"handelsregister")"), std::string::npos);

  // Refused, and nothing changes: no classification or requirement, an unknown subject, a
  // classification mapped already for the same subject, an observer's key.
  for (const std::string bad : {R"({"evidence_type":"geburtsurkunde"})",
                                R"({"classification":"DE/x","subject":"corporate","evidence_type":"geburtsurkunde"})",
                                R"({"classification":"DE/ca8afed6-2dc0-422a-a931-d21c3d8d370e","evidence_type":"meldebescheinigung"})",
                                R"({"classification":"DE/x","evidence_type":"geburtsurkunde","colour":"red"})"}) {
    const auto refused = gateway_->admin_call("PUT", "/admin/v1/oots-evidence-types/kaputt", key, bad);
    EXPECT_EQ(refused.status, 400u) << bad << " " << refused.body;
  }
  EXPECT_EQ(code_of(post(refresh(base))), "delivered");
  EXPECT_EQ(gateway_->admin_call("GET", "/admin/v1/oots-evidence-types", key).body.find("kaputt"), std::string::npos);

  // The metrics tell the families apart.
  const auto metrics = gateway_->admin_call("GET", "/admin/v1/metrics", key).body;
  EXPECT_NE(metrics.find(R"(oncegate_requests_total{family="oots",outcome="delivered",evidence_type="geburtsurkunde"})"),
            std::string::npos);
  EXPECT_NE(metrics.find(R"(oncegate_request_duration_seconds_count{family="oots"})"), std::string::npos);

  ASSERT_EQ(gateway_->admin_call("DELETE", path, key).status, 200u);
  EXPECT_EQ(code_of(post(asking_for("DE/11111111-1111-4111-8111-111111111111"))), "EDM:ERR:0007");
  EXPECT_EQ(gateway_->admin_call("DELETE", path, key).status, 404u);
}

TEST_F(OotsIntegrationTest, TheCitizenSeesTheEuTransferWithTheRequestersNameAndCountry) {
  const auto& people = gateway_->people();
  const auto smith = std::find_if(people.begin(), people.end(), [](const auto& p) {
    return p.familienname == "Smith" && p.vornamen == "John" && p.geburtsdatum == "1970-03-01";
  });
  ASSERT_NE(smith, people.end());
  const std::string request = refresh(reference("ec-v1.0/birth-request.xml"));
  ASSERT_EQ(post(request).status, 200u);

  const auto signin = cockpit_sign_in(*gateway_, smith->idnr);
  ASSERT_FALSE(signin.session_cookie.empty()) << signin.failure;
  const auto reply = gateway_->connect_cockpit()->request("GET", "/cockpit/api/transfers?limit=100", "", "",
                                                         {{"Cookie", signin.session_cookie}});
  ASSERT_EQ(reply.status, 200u) << reply.body;
  const auto transfers = boost::json::parse(reply.body).as_object().at("transfers").as_array();
  bool seen = false;
  for (const auto& t : transfers) {
    const auto& transfer = t.as_object();
    if (transfer.at("requester").as_string() != "urn:cef.eu:names:identifier:EAS:0096:DK22233223") continue;
    seen = true;
    EXPECT_EQ(transfer.at("requester_name").as_string(), "Denmark University Portal (DK)");
    EXPECT_EQ(transfer.at("evidence_type").as_string(), "geburtsurkunde");
    EXPECT_EQ(transfer.at("outcome").as_string(), "delivered");
  }
  EXPECT_TRUE(seen) << reply.body;
}

}  // namespace
