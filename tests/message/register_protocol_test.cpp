// The register wire protocol alone (message module): queries and answers round-trip, malformed
// ones are refused without echoing their values.

#include <gtest/gtest.h>

#include <string>

#include "gateway/adapter/adapter.hpp"
#include "gateway/message/register_protocol.hpp"

namespace {

using oncegate::adapters::Evidence;
using oncegate::adapters::EvidenceQuery;
using oncegate::adapters::FetchResult;
using oncegate::adapters::FetchStatus;
namespace message = oncegate::message;

// ------------------------------------------------------------------------------------------------
// Wire protocol

const std::string kNs = "xmlns=\"urn:oncegate:register:1\"";

std::string answer_with_fields(std::size_t count, std::size_t value_size = 1) {
  std::string xml = "<registerAntwort " + kNs +
                    "><anfrageUuid>u-1</anfrageUuid><status>found</status><nachweis dokument=\"geburtsurkunde\">";
  for (std::size_t i = 0; i < count; ++i) {
    xml += "<feld name=\"f" + std::to_string(i) + "\">" + std::string(value_size, 'x') + "</feld>";
  }
  return xml + "</nachweis></registerAntwort>";
}

TEST(RegisterProtocolTest, QueryRoundTrip) {
  const EvidenceQuery query{"02476291358", "geburtsurkunde", "0340", "6a1f0a7e-1111-4222-8333-444455556666",
                            "corr-1", {}};
  const std::string xml = message::write_register_query(query);
  EXPECT_NE(xml.find("<regionalschluessel>0340</regionalschluessel>"), std::string::npos) << xml;
  const auto parsed = message::parse_register_query(xml);
  ASSERT_TRUE(parsed.ok()) << parsed.error;
  EXPECT_EQ(parsed.query->idnr, query.idnr);
  EXPECT_EQ(parsed.query->evidence_type, query.evidence_type);
  EXPECT_EQ(parsed.query->region, query.region);
  EXPECT_EQ(parsed.query->request_uuid, query.request_uuid);
  EXPECT_TRUE(parsed.query->correlation_id.empty());  // travels as a header

  EvidenceQuery without_region = query;
  without_region.region.clear();
  const std::string short_xml = message::write_register_query(without_region);
  EXPECT_EQ(short_xml.find("regionalschluessel"), std::string::npos);
  const auto short_parsed = message::parse_register_query(short_xml);
  ASSERT_TRUE(short_parsed.ok()) << short_parsed.error;
  EXPECT_TRUE(short_parsed.query->region.empty());
}

TEST(RegisterProtocolTest, MalformedQueriesAreRejected) {
  const std::string head = "<registerAnfrage " + kNs + ">";
  const std::string tail = "</registerAnfrage>";
  const std::vector<std::string> bad = {
      "",
      "<registerAnfrage/>",
      head + "<anfrageUuid>u</anfrageUuid><nachweistyp>geburtsurkunde</nachweistyp>" + tail,
      head + "<anfrageUuid>u</anfrageUuid><nachweistyp>geburtsurkunde</nachweistyp><idnr>12a</idnr>" + tail,
      head + "<nachweistyp>geburtsurkunde</nachweistyp><anfrageUuid>u</anfrageUuid><idnr>1</idnr>" + tail,
      head + "<anfrageUuid>u</anfrageUuid><nachweistyp>geburtsurkunde</nachweistyp><idnr>1</idnr><extra/>" + tail,
      head + "<anfrageUuid></anfrageUuid><nachweistyp>geburtsurkunde</nachweistyp><idnr>1</idnr>" + tail,
      head + "<anfrageUuid>u</anfrageUuid><nachweistyp>geburtsurkunde</nachweistyp><idnr>1</idnr>"
             "<regionalschluessel>x</regionalschluessel>" + tail,
      head + "<anfrageUuid>u</anfrageUuid><nachweistyp>geburtsurkunde</nachweistyp><idnr>" +
          std::string(100, '1') + "</idnr>" + tail,
  };
  for (const std::string& xml : bad) {
    const auto parsed = message::parse_register_query(xml);
    EXPECT_FALSE(parsed.ok()) << xml;
    EXPECT_FALSE(parsed.error.empty()) << xml;
  }
}

TEST(RegisterProtocolTest, AnswerRoundTripKeepsEveryCharacter) {
  FetchResult found;
  found.status = FetchStatus::found;
  found.evidence.document = "geburtsurkunde";
  found.evidence.fields = {{"familienname", "Müller & <Söhne> \"quoted\" 'single'"},
                           {"geburts-ort.Schluessel_2", "tab\there, new\nline, cr\rend"},
                           {"leer", ""}};
  const std::string xml = message::write_register_answer(found, "u-1");
  const auto parsed = message::parse_register_answer(xml);
  ASSERT_EQ(parsed.outcome, message::RegisterAnswerParse::Outcome::found) << parsed.error << "\n" << xml;
  EXPECT_EQ(parsed.request_uuid, "u-1");
  EXPECT_EQ(parsed.evidence.document, found.evidence.document);
  EXPECT_EQ(parsed.evidence.fields, found.evidence.fields);

  FetchResult not_found;
  not_found.status = FetchStatus::not_found;
  const auto parsed_not_found = message::parse_register_answer(message::write_register_answer(not_found, "u-2"));
  EXPECT_EQ(parsed_not_found.outcome, message::RegisterAnswerParse::Outcome::not_found);
  EXPECT_TRUE(parsed_not_found.ok());

  FetchResult unavailable;
  unavailable.status = FetchStatus::unavailable;
  EXPECT_THROW((void)message::write_register_answer(unavailable, "u-3"), std::invalid_argument);

  // Control characters cannot travel in XML 1.0: replaced, and the document stays well-formed.
  FetchResult control = found;
  control.evidence.fields = {{"x", std::string("a\x01" "b\xff", 4)}};
  EXPECT_TRUE(message::parse_register_answer(message::write_register_answer(control, "u-4")).ok());

  // A pretty-printed answer from another implementation is fine, and so are the limits exactly.
  const std::string pretty = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<registerAntwort " + kNs +
                             ">\n  <anfrageUuid>u-5</anfrageUuid>\n  <status>found</status>\n  <nachweis dokument=\"geburtsurkunde\">\n"
                             "    <feld name=\"familienname\">Meyer</feld>\n  </nachweis>\n</registerAntwort>\n";
  EXPECT_TRUE(message::parse_register_answer(pretty).ok()) << message::parse_register_answer(pretty).error;
  // (64 fields of 4 KiB would exceed the 64 KiB document limit, so the limits are tried apart.)
  EXPECT_TRUE(message::parse_register_answer(answer_with_fields(64, 100)).ok());
  EXPECT_TRUE(message::parse_register_answer(answer_with_fields(1, 4096)).ok());
}

TEST(RegisterProtocolTest, MalformedAnswersAreRejectedWithoutEchoingValues) {
  const std::string secret = "02476291358";
  const std::string head = "<registerAntwort " + kNs + "><anfrageUuid>u</anfrageUuid>";
  const std::string tail = "</registerAntwort>";
  const std::string found_head = head + "<status>found</status><nachweis dokument=\"geburtsurkunde\">";
  const std::string found_tail = "</nachweis>" + tail;
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"empty", ""},
      {"not xml", "status=found " + secret},
      {"wrong root", "<registerAnfrage " + kNs + "><status>found</status></registerAnfrage>"},
      {"wrong namespace", "<registerAntwort xmlns=\"urn:other\"><status>not_found</status></registerAntwort>"},
      {"no namespace", "<registerAntwort><status>not_found</status></registerAntwort>"},
      {"missing status", head + tail},
      {"missing anfrageUuid", "<registerAntwort " + kNs + "><status>not_found</status>" + tail},
      {"data in an element name", found_head + "<a" + secret + ">x</a" + secret + ">" + found_tail},
      {"data in an attribute name", found_head + "<feld name=\"a\" a" + secret + "=\"1\">x</feld>" + found_tail},
      {"unknown status", head + "<status>" + secret + "</status>" + tail},
      {"found without nachweis", head + "<status>found</status>" + tail},
      {"not_found with nachweis", head + "<status>not_found</status><nachweis dokument=\"g\"/>" + tail},
      {"nachweis without dokument", head + "<status>found</status><nachweis/>" + tail},
      {"field name starts with digit", found_head + "<feld name=\"1abc\">" + secret + "</feld>" + found_tail},
      {"field name with colon", found_head + "<feld name=\"a:b\">x</feld>" + found_tail},
      {"field name with space", found_head + "<feld name=\"" + secret + " x\">x</feld>" + found_tail},
      {"field without name", found_head + "<feld>x</feld>" + found_tail},
      {"element inside a field", found_head + "<feld name=\"a\"><b>" + secret + "</b></feld>" + found_tail},
      {"unknown element", found_head + "<anders name=\"a\">x</anders>" + found_tail},
      {"unknown attribute", found_head + "<feld name=\"a\" typ=\"b\">x</feld>" + found_tail},
      {"text between fields", found_head + secret + "<feld name=\"a\">x</feld>" + found_tail},
      {"trailing element", head + "<status>not_found</status><status>found</status>" + tail},
      {"foreign element", found_head + "<feld xmlns=\"urn:x\" name=\"a\">x</feld>" + found_tail},
      {"doctype", "<!DOCTYPE registerAntwort [<!ENTITY e \"" + secret + "\">]>" + head +
                      "<status>not_found</status>" + tail},
      {"undeclared entity", head + "<status>&e;</status>" + tail},
      {"comment", head + "<!-- c --><status>not_found</status>" + tail},
      {"65 fields", answer_with_fields(65)},
      {"value over 4 KiB", answer_with_fields(1, 4097)},
      {"document over 64 KiB", answer_with_fields(20, 4000)},
  };
  for (const auto& [what, xml] : bad) {
    const auto parsed = message::parse_register_answer(xml);
    EXPECT_EQ(parsed.outcome, message::RegisterAnswerParse::Outcome::malformed) << what;
    EXPECT_FALSE(parsed.error.empty()) << what;
    EXPECT_EQ(parsed.error.find(secret), std::string::npos) << what << ": " << parsed.error;
  }
  EXPECT_TRUE(message::is_register_field_name("geburtsortSchluessel"));
  EXPECT_TRUE(message::is_register_field_name("_a-b.c"));
  EXPECT_FALSE(message::is_register_field_name("-a"));
  EXPECT_FALSE(message::is_register_field_name(std::string(65, 'a')));
}


}  // namespace
