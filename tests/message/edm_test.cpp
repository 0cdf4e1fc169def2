// The EDM codec against the real OOTS messages in ../shared/reference/oots-edm/ (read where they
// are) and against variants of them: other prefixes, default namespaces, reordered slots,
// unsupported versions, the invalid reference requests.

#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include "gateway/message/edm/edm.hpp"
#include "tests/support/temp_dir.hpp"

namespace edm = oncegate::message::edm;
using oncegate::testing::read_text;

namespace {

const std::filesystem::path kReference = ONCEGATE_REFERENCE_DIR "/oots-edm";

std::string reference(const std::string& name) {
  const auto file = kReference / name;
  if (!std::filesystem::exists(file)) ADD_FAILURE() << "reference file missing: " << file;
  return read_text(file);
}

class EdmCodecTest : public ::testing::Test {
 protected:
  std::shared_ptr<const edm::EdmCodec> codec = edm::EdmCodec::open();
};

TEST_F(EdmCodecTest, ReadsTheCommissionsBirthRequestV1) {
  const auto result = codec->decode(reference("ec-v1.0/birth-request.xml"), false);
  ASSERT_TRUE(result.ok()) << result.detail;
  const auto& r = *result.request;
  EXPECT_EQ(r.version, edm::Version::v1);
  EXPECT_EQ(r.specification, "oots-edm:v1.0");
  EXPECT_EQ(r.id, "urn:uuid:4ffb5281-179d-4578-adf2-39fd13ccc797");
  EXPECT_EQ(r.procedure, "R1");
  EXPECT_FALSE(r.possibility_for_preview);
  EXPECT_TRUE(r.explicit_request_given);
  EXPECT_EQ(r.requester.key(), "urn:cef.eu:names:identifier:EAS:0096:DK22233223");
  EXPECT_EQ(r.requester.name, "Denmark University Portal");
  EXPECT_EQ(r.requester.country, "DK");
  ASSERT_TRUE(r.person);
  EXPECT_EQ(r.person->family_name, "Smith");
  EXPECT_EQ(r.person->given_name, "John");
  EXPECT_EQ(r.person->date_of_birth, "1970-03-01");
  EXPECT_EQ(r.person->place_of_birth, "Hamburg, Germany");
  EXPECT_EQ(r.person->eidas_identifier, "DK/DE/123123123");
  EXPECT_EQ(r.format, "application/xml");
  EXPECT_NE(r.evidence_type_classification.find("DE/ca8afed6"), std::string::npos);
}

TEST_F(EdmCodecTest, ReadsTheLegalPersonAndKeepsTheRepresentativeApart) {
  const auto result = codec->decode(reference("ec-v1.0/commercial-register-request.xml"), false);
  ASSERT_TRUE(result.ok()) << result.detail;
  const auto& r = *result.request;
  EXPECT_FALSE(r.person);
  ASSERT_TRUE(r.company);
  EXPECT_EQ(r.company->legal_name, "Sweden ltd");
  ASSERT_TRUE(r.representative);
  EXPECT_EQ(r.representative->family_name, "Doe");
  EXPECT_EQ(r.representative->date_of_birth, "1978-09-09");
}

TEST_F(EdmCodecTest, ReadsTheFrenchV2RequestWithAnIntermediary) {
  const auto result = codec->decode(reference("fr-v2.0/requete.xml"), false);
  ASSERT_TRUE(result.ok()) << result.detail;
  const auto& r = *result.request;
  EXPECT_EQ(r.version, edm::Version::v2);
  EXPECT_EQ(r.procedure, "T3");
  EXPECT_EQ(r.requester.key(), "urn:cef.eu:names:identifier:EAS:0009:00000000000002");
  ASSERT_TRUE(r.intermediary);
  EXPECT_EQ(r.intermediary->identifier, "OOTSFRANCE");
  EXPECT_EQ(r.person->family_name, "Dupont");
  EXPECT_EQ(r.format, "application/pdf");
}

TEST_F(EdmCodecTest, UnwrapsTheCapturedDomibusMessage) {
  const auto result = codec->decode(reference("fr-v2.0/domibus-capture-requete.soap.xml"), true);
  ASSERT_TRUE(result.ok()) << result.detail;
  EXPECT_EQ(result.carrier, edm::Carrier::domibus);
  EXPECT_EQ(result.request->person->given_name, "Sophie");
  EXPECT_EQ(result.request->person->date_of_birth, "1965-11-25");
  EXPECT_TRUE(result.request->person->eidas_identifier.empty());  // optional in v2
  EXPECT_EQ(result.request->procedure, "00");
}

TEST_F(EdmCodecTest, TheInvalidReferenceRequestsNameWhatIsMissing) {
  const auto no_procedure = codec->decode(reference("fr-v2.0/incoming-requete.sansProcedure.xml"), true);
  ASSERT_FALSE(no_procedure.ok());
  EXPECT_EQ(no_procedure.fault, edm::Fault::invalid_request);
  EXPECT_NE(no_procedure.detail.find("Procedure"), std::string::npos) << no_procedure.detail;
  EXPECT_EQ(no_procedure.answer_specification, "oots-edm:v2.0");  // from the envelope

  const auto no_requester = codec->decode(reference("fr-v2.0/incoming-requete.sansRequeteur.xml"), true);
  ASSERT_FALSE(no_requester.ok());
  EXPECT_EQ(no_requester.fault, edm::Fault::invalid_request);
  EXPECT_NE(no_requester.detail.find("EvidenceRequester"), std::string::npos) << no_requester.detail;
}

TEST_F(EdmCodecTest, BindsToNamespacesNotPrefixes) {
  std::string text = reference("ec-v1.0/birth-request.xml");
  text = std::regex_replace(text, std::regex("<(/?)query:"), "<$1q:");
  text = std::regex_replace(text, std::regex("xmlns:query="), "xmlns:q=");
  text = std::regex_replace(text, std::regex("<(/?)sdg:"), "<$1eu:");
  text = std::regex_replace(text, std::regex("xmlns:sdg="), "xmlns:eu=");
  const auto renamed = codec->decode(text, false);
  ASSERT_TRUE(renamed.ok()) << renamed.detail;
  EXPECT_EQ(renamed.request->person->family_name, "Smith");

  // The right prefix bound to the wrong namespace is not the element.
  std::string wrong = reference("ec-v1.0/birth-request.xml");
  wrong = std::regex_replace(wrong, std::regex("xmlns:sdg=\"http://data.europa.eu/p4s\""),
                             "xmlns:sdg=\"urn:example:other\"");
  EXPECT_FALSE(codec->decode(wrong, false).ok());
}

TEST_F(EdmCodecTest, DefaultNamespacesWithoutPrefixes) {
  const std::string text = R"(<?xml version="1.0" encoding="UTF-8"?>
<QueryRequest xmlns="urn:oasis:names:tc:ebxml-regrep:xsd:query:4.0" id="urn:uuid:0b7e7d5e-7b53-4f0c-9d8e-3c5b2a1f6e01">
 <Slot xmlns="urn:oasis:names:tc:ebxml-regrep:xsd:rim:4.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" name="IssueDateTime"><SlotValue xsi:type="DateTimeValueType"><Value>2026-12-01T10:00:00Z</Value></SlotValue></Slot>
 <Slot xmlns="urn:oasis:names:tc:ebxml-regrep:xsd:rim:4.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" name="SpecificationIdentifier"><SlotValue xsi:type="StringValueType"><Value>oots-edm:v2.0</Value></SlotValue></Slot>
 <Slot xmlns="urn:oasis:names:tc:ebxml-regrep:xsd:rim:4.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" name="Procedure"><SlotValue xsi:type="StringValueType"><Value>R1</Value></SlotValue></Slot>
 <Slot xmlns="urn:oasis:names:tc:ebxml-regrep:xsd:rim:4.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" name="ExplicitRequestGiven"><SlotValue xsi:type="BooleanValueType"><Value>true</Value></SlotValue></Slot>
 <Slot xmlns="urn:oasis:names:tc:ebxml-regrep:xsd:rim:4.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" name="PossibilityForPreview"><SlotValue xsi:type="BooleanValueType"><Value>false</Value></SlotValue></Slot>
 <Slot xmlns="urn:oasis:names:tc:ebxml-regrep:xsd:rim:4.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" name="Requirements"><SlotValue xsi:type="CollectionValueType"><Element xsi:type="AnyValueType"><Requirement xmlns="http://data.europa.eu/p4s"><Identifier>https://sr.oots.tech.ec.europa.eu/requirements/x</Identifier></Requirement></Element></SlotValue></Slot>
 <Slot xmlns="urn:oasis:names:tc:ebxml-regrep:xsd:rim:4.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" name="EvidenceProvider"><SlotValue xsi:type="AnyValueType"><Agent xmlns="http://data.europa.eu/p4s"><Identifier schemeID="urn:cef.eu:names:identifier:EAS:9930">DE73524311</Identifier></Agent></SlotValue></Slot>
 <Slot xmlns="urn:oasis:names:tc:ebxml-regrep:xsd:rim:4.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" name="EvidenceRequester"><SlotValue xsi:type="AnyValueType"><Agent xmlns="http://data.europa.eu/p4s"><Identifier schemeID="urn:cef.eu:names:identifier:EAS:0096">DK22233223</Identifier><Classification>ER</Classification></Agent></SlotValue></Slot>
 <ResponseOption returnType="LeafClassWithRepositoryItem"/>
 <Query queryDefinition="DocumentQuery">
  <Slot xmlns="urn:oasis:names:tc:ebxml-regrep:xsd:rim:4.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" name="EvidenceRequest"><SlotValue xsi:type="AnyValueType"><DataServiceEvidenceType xmlns="http://data.europa.eu/p4s"><Identifier>e1</Identifier><EvidenceTypeClassification>https://sr.oots.tech.ec.europa.eu/evidencetypeclassifications/DE/x</EvidenceTypeClassification><DistributedAs><Format>application/xml</Format></DistributedAs></DataServiceEvidenceType></SlotValue></Slot>
  <Slot xmlns="urn:oasis:names:tc:ebxml-regrep:xsd:rim:4.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" name="NaturalPerson"><SlotValue xsi:type="AnyValueType"><Person xmlns="http://data.europa.eu/p4s"><LevelOfAssurance>High</LevelOfAssurance><FamilyName>Smith</FamilyName><GivenName>John</GivenName><DateOfBirth>1970-03-01</DateOfBirth></Person></SlotValue></Slot>
 </Query>
</QueryRequest>)";
  const auto result = codec->decode(text, false);
  ASSERT_TRUE(result.ok()) << result.detail;  // slots out of the usual order, too
  EXPECT_EQ(result.request->version, edm::Version::v2);
  EXPECT_EQ(result.request->requester.identifier, "DK22233223");
}

TEST_F(EdmCodecTest, EachUnsupportedVersionIsUnsupportedCapability) {
  for (const std::string version : {"oots-edm:v1.3", "oots-edm:v3.0", "oots-edm:v2", "edm:v1.0"}) {
    std::string text = reference("ec-v1.0/birth-request.xml");
    text = std::regex_replace(text, std::regex("oots-edm:v1\\.0</rim:Value>"), version + "</rim:Value>");
    const auto result = codec->decode(text, false);
    ASSERT_FALSE(result.ok()) << version;
    EXPECT_EQ(result.fault, edm::Fault::unsupported) << version;
    EXPECT_NE(result.detail.find("oots-edm:v2.0"), std::string::npos);
    EXPECT_NE(result.detail.find("oots-edm:v1.2"), std::string::npos);
  }
  for (const std::string version : {"oots-edm:v1.1", "oots-edm:v1.2"}) {
    std::string text = reference("ec-v1.0/birth-request.xml");
    text = std::regex_replace(text, std::regex("oots-edm:v1\\.0</rim:Value>"), version + "</rim:Value>");
    const auto result = codec->decode(text, false);
    ASSERT_TRUE(result.ok()) << version << ": " << result.detail;
    EXPECT_EQ(result.request->specification, version);
  }
}

TEST_F(EdmCodecTest, RulesAreInvalidRequestNamingTheRule) {
  const std::string base = reference("ec-v1.0/birth-request.xml");
  const std::vector<std::pair<std::string, std::string>> cases{
      {"id=\"urn:uuid:4ffb5281-179d-4578-adf2-39fd13ccc797\"", "id=\"4ffb5281-179d-4578-adf2-39fd13ccc797\""},
      {"returnType=\"LeafClassWithRepositoryItem\"", "returnType=\"ObjectRef\""},
      {"queryDefinition=\"DocumentQuery\"", "queryDefinition=\"OtherQuery\""},
      {"DK/DE/123123123", "DK-DE-123123123"},
      {"<sdg:LevelOfAssurance>High", "<sdg:LevelOfAssurance>Very high"},
      {"<sdg:DateOfBirth>1970-03-01", "<sdg:DateOfBirth>1970-02-30"},
      {"urn:cef.eu:names:identifier:EAS:0096", "urn:example:scheme"},
      {"<rim:Value>2022-05-19T17:08:10.872Z</rim:Value>", "<rim:Value>yesterday</rim:Value>"},
      {"<rim:Value>false</rim:Value>", "<rim:Value>perhaps</rim:Value>"},
  };
  for (const auto& [from, to] : cases) {
    std::string text = base;
    const auto at = text.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    text.replace(at, from.size(), to);
    const auto result = codec->decode(text, false);
    EXPECT_FALSE(result.ok()) << to;
    EXPECT_EQ(result.fault, edm::Fault::invalid_request) << to;
    EXPECT_FALSE(result.detail.empty());
    EXPECT_EQ(result.detail.find("Very high"), std::string::npos);  // no echo of values
  }
}

TEST_F(EdmCodecTest, TwoSubjectsOrNoneAreInvalid) {
  std::string text = reference("ec-v1.0/birth-request.xml");
  text = std::regex_replace(text, std::regex("name=\"NaturalPerson\""), "name=\"SomeoneElse\"");
  const auto none = codec->decode(text, false);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.detail.find("exactly one subject"), std::string::npos);
}

TEST_F(EdmCodecTest, RefusesDoctypeAndMalformedXml) {
  EXPECT_FALSE(codec->decode("<!DOCTYPE x [<!ENTITY a \"b\">]><x>&a;</x>", false).ok());
  EXPECT_FALSE(codec->decode("<query:QueryRequest", false).ok());
  EXPECT_FALSE(codec->decode(reference("ec-v1.0/birth-request.xml"), true).ok());  // not an envelope
}

TEST_F(EdmCodecTest, AnswersHaveTheReferenceStructureInEachVersion) {
  for (const std::string file : {"ec-v1.0/birth-request.xml", "fr-v2.0/requete.xml"}) {
    const auto decoded = codec->decode(reference(file), false);
    ASSERT_TRUE(decoded.ok());
    edm::ResponseFacts facts;
    facts.provider = {"urn:cef.eu:names:identifier:EAS:9930", "DE99000001", "oncegate", "DE", "EP"};
    facts.response_id = "166155eb-d7a7-4cac-9086-8a85f0116462";
    facts.issue_date_time = "2026-12-01T10:00:00Z";
    facts.registry_object_id = "urn:uuid:f073cbe2-cf2a-4f46-b9ff-d4b0fde53ab1";
    facts.package_id = "urn:uuid:f073cbe2-cf2a-4f46-b9ff-d4b0fde53ab2";
    facts.classification_id = "urn:uuid:f073cbe2-cf2a-4f46-b9ff-d4b0fde53ab3";
    facts.evidence_id = "37a169f1-9cf6-4aa8-ac24-b083fa569173";
    facts.issuing_authority_name = "Personenstandsregister";
    facts.issuing_date = "2026-12-01";
    facts.content_id = "evidence-1@oncegate";
    facts.title = "Geburtsurkunde";
    const std::string answer = codec->write_response(*decoded.request, facts);
    const auto reading = edm::read_response(answer);
    ASSERT_TRUE(reading.valid) << reading.problem;
    EXPECT_TRUE(reading.success);
    EXPECT_EQ(reading.request_id, decoded.request->id);
    EXPECT_EQ(reading.specification, decoded.request->specification);
    EXPECT_EQ(reading.repository_item, "cid:evidence-1@oncegate");
    EXPECT_EQ(reading.provider_classification, "EP");
    // The structure of the reference answers of the same version.
    const bool v2 = decoded.request->version == edm::Version::v2;
    EXPECT_EQ(answer.find("rim:RegistryPackageType") != std::string::npos, v2);
    EXPECT_EQ(answer.find("classificationNode=\"MainEvidence\"") != std::string::npos, v2);
    for (const char* part : {"name=\"SpecificationIdentifier\"", "name=\"EvidenceResponseIdentifier\"",
                             "name=\"IssueDateTime\"", "name=\"EvidenceProvider\"", "name=\"EvidenceRequester\"",
                             "name=\"EvidenceMetadata\"", "<sdg:IsAbout>", "<sdg:IssuingAuthority>",
                             "<sdg:IsConformantTo>", "<sdg:Distribution>", "rim:ExtrinsicObjectType"}) {
      EXPECT_NE(answer.find(part), std::string::npos) << part;
      const std::string reference_answer = reference(v2 ? "fr-v2.0/reponse.xml" : "ec-v1.0/birth-response.xml");
      EXPECT_NE(reference_answer.find(part), std::string::npos) << "reference lacks " << part;
    }
  }
}

TEST_F(EdmCodecTest, ErrorAnswersFollowTheCodeList) {
  edm::ErrorFacts facts;
  facts.request_id = "urn:uuid:4ffb5281-179d-4578-adf2-39fd13ccc797";
  facts.response_id = "530ad1e2-5eaf-4a9a-8192-227432eea95d";
  facts.timestamp = "2026-12-01T10:00:00Z";
  facts.error_provider = {"urn:cef.eu:names:identifier:EAS:9930", "DE99000001", "oncegate", "DE", ""};
  const std::string answer = codec->write_error(facts, edm::Fault::not_found, "no evidence");
  const auto reading = edm::read_response(answer);
  ASSERT_TRUE(reading.valid);
  EXPECT_FALSE(reading.success);
  EXPECT_EQ(reading.error_code, "EDM:ERR:0004");
  EXPECT_NE(answer.find("rs:ObjectNotFoundExceptionType"), std::string::npos);
  EXPECT_NE(answer.find("urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error"), std::string::npos);
  EXPECT_NE(answer.find("<sdg:Classification>ERRP</sdg:Classification>"), std::string::npos);
  EXPECT_NE(answer.find("name=\"Timestamp\""), std::string::npos);
  const std::string reference_answer = reference("fr-v2.0/erreur.xml");
  EXPECT_NE(reference_answer.find("name=\"ErrorProvider\""), std::string::npos);
}

TEST_F(EdmCodecTest, PdfEvidenceIsAWellFormedPdf) {
  const std::string pdf = edm::render_evidence_pdf("Geburtsurkunde", {{"familienname", "Müller (geb. Schäfer)"}});
  EXPECT_TRUE(pdf.starts_with("%PDF-1.4"));
  EXPECT_TRUE(pdf.ends_with("%%EOF\n"));
  EXPECT_NE(pdf.find("M\xFCller \\(geb. Sch\xE4" "fer\\)"), std::string::npos);
  // The xref offsets point at the objects.
  const auto xref = std::stoul(pdf.substr(pdf.find("startxref\n") + 10));
  EXPECT_EQ(pdf.substr(xref, 4), "xref");
  const auto first = std::stoul(pdf.substr(xref + 5 + 4 + 20, 10));
  EXPECT_EQ(pdf.substr(first, 7), "1 0 obj");
}

}  // namespace
