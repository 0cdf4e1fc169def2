// Unit tests for the message codec (gateway/message/codec.hpp) and the error-code table
// (gateway/message/error_code.hpp).

#include "gateway/message/codec.hpp"
#include "gateway/common/time.hpp"
#include "gateway/crypto/crypto.hpp"

#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <ostream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "gateway/message/error_code.hpp"

// Readable failure messages for error codes (found by gtest through ADL).
namespace oncegate::message {
void PrintTo(ErrorCode code, std::ostream* out) { *out << code_name(code); }
}  // namespace oncegate::message

namespace {


namespace fs = std::filesystem;
using oncegate::adapters::Evidence;
using oncegate::message::AnswerReading;
using oncegate::message::Authority;
using oncegate::message::Bezug;
using oncegate::message::code_name;
using oncegate::message::CodecOptions;
using oncegate::message::DecodeResult;
using oncegate::message::embedded_schema;
using oncegate::message::ErrorCode;
using oncegate::message::EvidenceRequest;
using oncegate::common::utc_text;
using oncegate::message::http_status;
using oncegate::message::MessageCodec;
using oncegate::message::MessageError;
using oncegate::crypto::new_uuid;
using oncegate::message::OutgoingHeader;
using oncegate::crypto::sha256_base64;

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

std::string replace_all(std::string text, std::string_view from, std::string_view to) {
  std::size_t at = 0;
  while ((at = text.find(from, at)) != std::string::npos) {
    text.replace(at, from.size(), to);
    at += to.size();
  }
  return text;
}

// Replaces exactly one occurrence; fails the test when `from` does not occur exactly once.
std::string replace_once(const std::string& text, std::string_view from, std::string_view to) {
  const std::size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "'" << from << "' not found";
  if (at == std::string::npos) return text;
  EXPECT_EQ(text.find(from, at + 1), std::string::npos) << "'" << from << "' occurs more than once";
  std::string out = text;
  out.replace(at, from.size(), to);
  return out;
}

std::size_t count_elements(std::string_view xml) {
  std::size_t n = 0;
  for (std::size_t at = xml.find("<nw:"); at != std::string_view::npos; at = xml.find("<nw:", at + 1)) ++n;
  return n;
}

class CodecTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { codec_ = MessageCodec::open({}); }
  static void TearDownTestSuite() { codec_.reset(); }

  static EvidenceRequest sample_request() {
    EvidenceRequest request;
    request.kopf.nachrichten_uuid = "0f8fad5b-d9cb-469f-a165-70867728950e";
    request.kopf.erstellungszeitpunkt = "2026-11-26T23:40:00.123Z";
    request.kopf.autor = Authority{"dvdv", "psw:01003110", "Bürgeramt Hannover"};
    request.kopf.leser = Authority{"dvdv", "psw:99000001", "oncegate Vermittlungsstelle"};
    request.idnr = "36574261809";
    request.nachweistyp = "meldebescheinigung";
    request.zweck = "leistungsgewaehrung";
    request.rechtsgrundlage = "IDNrG § 6 Abs. 2";
    request.regionalschluessel = "031010001001";
    request.einwilligung = true;
    return request;
  }

  static OutgoingHeader gateway_header() {
    return OutgoingHeader{Authority{"dvdv", "psw:99000001", "oncegate (Test)"},
                          Authority{"dvdv", "psw:01003110", "Bürgeramt Hannover"}};
  }

  static Evidence birth_certificate() {
    return Evidence{"geburtsurkunde",
                    {{"familienname", "Müller"},
                     {"geburtsname", "Schmidt"},
                     {"vornamen", "Anna Lena"},
                     {"geschlecht", "w"},
                     {"geburtsdatum", "1990-04-01"},
                     {"geburtsort", "Hannover"},
                     {"geburtsortSchluessel", "032410001001"}}};
  }

  // Writes a birth certificate whose text fields carry `value`, validates and reads it back.
  AnswerReading answer_with_text(const std::string& value) {
    Evidence evidence = birth_certificate();
    evidence.fields[0].second = value;  // familienname
    evidence.fields[2].second = value;  // vornamen
    evidence.fields[5].second = value;  // geburtsort
    const std::string xml = codec_->write_answer(gateway_header(), Bezug{new_uuid(), ""}, "geburtsurkunde",
                                                 "Register " + value, evidence);
    EXPECT_EQ(codec_->validate(xml), "") << xml;
    AnswerReading reading = codec_->read_answer(xml);
    EXPECT_TRUE(reading.valid) << reading.problem;
    return reading;
  }

  static std::shared_ptr<const MessageCodec> codec_;
};

std::shared_ptr<const MessageCodec> CodecTest::codec_;

// ----------------------------------------------------------------------------------------------
// Opening.

TEST_F(CodecTest, OpenWithoutPathUsesTheEmbeddedSchema) {
  ASSERT_NE(codec_, nullptr);
  const std::string_view xsd = embedded_schema();
  EXPECT_NE(xsd.find("targetNamespace=\"urn:de:oncegate:nachweis:1\""), std::string_view::npos);
  EXPECT_NE(xsd.find("name=\"nachweisAnfrage\""), std::string_view::npos);
  // The embedded text is the schema file of the source tree, byte for byte.
  const fs::path source = fs::path(__FILE__).parent_path().parent_path().parent_path() / "xsd" / "oncegate-nachweis-1.xsd";
  if (fs::exists(source)) {
    std::ifstream in(source, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    EXPECT_EQ(xsd, text.str());
  }
  // And it is in force: a schema-valid request decodes, a schema violation does not.
  const std::string xml = codec_->write_request(sample_request());
  EXPECT_EQ(codec_->validate(xml), "");
  EXPECT_TRUE(codec_->decode_request(xml).ok());
}

TEST_F(CodecTest, OpenWithAMissingOrBrokenSchemaThrows) {
  EXPECT_THROW((void)MessageCodec::open(CodecOptions{"/nonexistent/oncegate/schema.xsd", 32, 512}), MessageError);
  const fs::path broken = fs::temp_directory_path() / ("oncegate-broken-" + std::to_string(::getpid()) + ".xsd");
  {
    std::ofstream out(broken);
    out << "<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\"><xs:element name=\"a\" type=\"nope:x\"/>";
  }
  EXPECT_THROW((void)MessageCodec::open(CodecOptions{broken.string(), 32, 512}), MessageError);
  fs::remove(broken);
}

// ----------------------------------------------------------------------------------------------
// Decoding requests.

TEST_F(CodecTest, RequestRoundTripsWithAllFields) {
  const EvidenceRequest sent = sample_request();
  const std::string xml = codec_->write_request(sent);
  const DecodeResult result = codec_->decode_request(xml);
  ASSERT_TRUE(result.ok()) << result.error_text;
  ASSERT_NE(result.document, nullptr);
  const EvidenceRequest& got = *result.request;
  EXPECT_EQ(result.request_uuid, sent.kopf.nachrichten_uuid);
  EXPECT_EQ(got.kopf.nachrichten_uuid, sent.kopf.nachrichten_uuid);
  EXPECT_EQ(got.kopf.nachrichtentyp, "nachweis.anfrage.0101");
  EXPECT_EQ(got.kopf.erstellungszeitpunkt, sent.kopf.erstellungszeitpunkt);
  EXPECT_EQ(got.kopf.autor.verzeichnisdienst, "dvdv");
  EXPECT_EQ(got.kopf.autor.kennung, "psw:01003110");
  EXPECT_EQ(got.kopf.autor.name, "Bürgeramt Hannover");
  EXPECT_EQ(got.kopf.leser.verzeichnisdienst, "dvdv");
  EXPECT_EQ(got.kopf.leser.kennung, "psw:99000001");
  EXPECT_EQ(got.kopf.leser.name, "oncegate Vermittlungsstelle");
  EXPECT_EQ(got.idnr, "36574261809");
  EXPECT_EQ(got.nachweistyp, "meldebescheinigung");
  EXPECT_EQ(got.zweck, "leistungsgewaehrung");
  EXPECT_EQ(got.rechtsgrundlage, "IDNrG § 6 Abs. 2");
  EXPECT_EQ(got.regionalschluessel, "031010001001");
  ASSERT_TRUE(got.einwilligung.has_value());
  EXPECT_TRUE(*got.einwilligung);

  // The request digest the pipeline binds the answer to is SHA-256 over the body as received;
  // it fits the schema's anfrageDigest and changes with a single byte.
  const std::string digest = sha256_base64(xml);
  EXPECT_TRUE(std::regex_match(digest, std::regex("[A-Za-z0-9+/]{43}=")));
  EXPECT_NE(digest, sha256_base64(xml + " "));
  const std::string answer = codec_->write_answer(gateway_header(), Bezug{result.request_uuid, digest},
                                                  "geburtsurkunde", "Personenstandsregister", birth_certificate());
  EXPECT_EQ(codec_->read_answer(answer).request_digest, digest);
}

TEST_F(CodecTest, OptionalFieldsMayBeAbsentAndConsentMayBeFalse) {
  EvidenceRequest sent = sample_request();
  sent.regionalschluessel.clear();
  sent.einwilligung.reset();
  sent.kopf.autor.name.clear();
  sent.kopf.leser = Authority{};
  DecodeResult result = codec_->decode_request(codec_->write_request(sent));
  ASSERT_TRUE(result.ok()) << result.error_text;
  EXPECT_EQ(result.request->regionalschluessel, "");
  EXPECT_FALSE(result.request->einwilligung.has_value());
  EXPECT_EQ(result.request->kopf.autor.name, "");
  EXPECT_EQ(result.request->kopf.leser.kennung, "");

  sent.einwilligung = false;
  result = codec_->decode_request(codec_->write_request(sent));
  ASSERT_TRUE(result.ok()) << result.error_text;
  ASSERT_TRUE(result.request->einwilligung.has_value());
  EXPECT_FALSE(*result.request->einwilligung);

  // xs:boolean also allows 1 and 0.
  sent.einwilligung = true;
  const std::string with_one = replace_once(codec_->write_request(sent), ">true<", ">1<");
  result = codec_->decode_request(with_one);
  ASSERT_TRUE(result.ok()) << result.error_text;
  EXPECT_TRUE(*result.request->einwilligung);
  const std::string with_zero = replace_once(codec_->write_request(sent), ">true<", ">0<");
  result = codec_->decode_request(with_zero);
  ASSERT_TRUE(result.ok()) << result.error_text;
  EXPECT_FALSE(*result.request->einwilligung);
}

TEST_F(CodecTest, WriteRequestFillsInAMissingUuidAndTimestamp) {
  EvidenceRequest sent = sample_request();
  sent.kopf.nachrichten_uuid.clear();
  sent.kopf.erstellungszeitpunkt.clear();
  const DecodeResult result = codec_->decode_request(codec_->write_request(sent));
  ASSERT_TRUE(result.ok()) << result.error_text;
  EXPECT_TRUE(std::regex_match(result.request->kopf.nachrichten_uuid,
                               std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")));
  EXPECT_TRUE(std::regex_match(result.request->kopf.erstellungszeitpunkt,
                               std::regex(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)")));
}

TEST_F(CodecTest, NotWellFormedIsXmlMalformed) {
  const std::string valid = codec_->write_request(sample_request());
  for (const std::string& body : {std::string(), std::string("not xml at all"), std::string("<"),
                                 valid.substr(0, valid.size() / 2),
                                 replace_once(valid, "</nw:zweck>", "</nw:zweckx>"),
                                 replace_once(valid, "IDNrG § 6", "IDNrG & 6"),
                                 valid + "<trailing/>"}) {
    const DecodeResult result = codec_->decode_request(body);
    EXPECT_FALSE(result.ok());
    EXPECT_EQ(result.error, ErrorCode::xml_malformed) << body;
    EXPECT_FALSE(result.error_text.empty());
  }
}

TEST_F(CodecTest, WrongRootIsSchemaInvalid) {
  const std::string request = codec_->write_request(sample_request());
  // An answer where a request is expected (right namespace, wrong root).
  const std::string answer = codec_->write_answer(gateway_header(), Bezug{new_uuid(), ""}, "geburtsurkunde",
                                                  "Personenstandsregister", birth_certificate());
  DecodeResult result = codec_->decode_request(answer);
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.error, ErrorCode::schema_invalid);

  // Some other root element.
  result = codec_->decode_request("<?xml version=\"1.0\"?><foo><bar/></foo>");
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.error, ErrorCode::schema_invalid);

  // A renamed root keeps the UUID readable.
  const std::string renamed = replace_all(request, "nw:nachweisAnfrage", "nw:nachweisAnfrageX");
  result = codec_->decode_request(renamed);
  EXPECT_EQ(result.error, ErrorCode::schema_invalid);
  EXPECT_EQ(result.request_uuid, sample_request().kopf.nachrichten_uuid);
}

TEST_F(CodecTest, WrongNamespaceIsSchemaInvalid) {
  const std::string request = codec_->write_request(sample_request());
  for (const std::string ns : {"urn:de:oncegate:nachweis:2", "urn:de:oncegate:nachweis:1 ", ""}) {
    const std::string body = replace_once(request, "xmlns:nw=\"urn:de:oncegate:nachweis:1\"", "xmlns:nw=\"" + ns + "\"");
    const DecodeResult result = codec_->decode_request(body);
    EXPECT_FALSE(result.ok()) << ns;
    // An empty prefix binding is not well-formed XML in namespace terms; either way refused.
    if (!ns.empty()) {
      EXPECT_EQ(result.error, ErrorCode::schema_invalid) << ns;
    }
  }
  // Default namespace instead of the prefix, with the wrong URI.
  std::string unprefixed = replace_all(request, "nw:", "");
  unprefixed = replace_once(unprefixed, "xmlns:nw=", "xmlns=");
  EXPECT_TRUE(codec_->decode_request(unprefixed).ok()) << "the prefix itself must not matter";
  unprefixed = replace_once(unprefixed, "urn:de:oncegate:nachweis:1", "urn:example:other");
  const DecodeResult result = codec_->decode_request(unprefixed);
  EXPECT_EQ(result.error, ErrorCode::schema_invalid);
}

TEST_F(CodecTest, SchemaViolationsAreSchemaInvalidAndKeepTheUuid) {
  const std::string request = codec_->write_request(sample_request());
  const std::string uuid = sample_request().kopf.nachrichten_uuid;
  const std::vector<std::pair<std::string, std::string>> cases{
      {"missing zweck", replace_once(request, "<nw:zweck>leistungsgewaehrung</nw:zweck>", "")},
      // Letters, length and leading zero are the gateway's IdnrCheck (IDNR_INVALID with the
      // reason); the schema bounds only the length.
      {"IDNr longer than 32", replace_once(request, ">36574261809<", ">" + std::string(33, '3') + "<")},
      {"bad kennung", replace_once(request, ">psw:01003110<", ">PSW 01003110<")},
      {"bad timestamp", replace_once(request, ">2026-11-26T23:40:00.123Z<", ">yesterday<")},
      {"unknown element", replace_once(request, "</nw:anfrage>", "<nw:extra>x</nw:extra></nw:anfrage>")},
      {"wrong order", replace_once(replace_once(request, "<nw:zweck>leistungsgewaehrung</nw:zweck>", ""),
                                   "<nw:idnr>", "<nw:zweck>leistungsgewaehrung</nw:zweck><nw:idnr>")},
      {"bad region", replace_once(request, ">031010001001<", ">03A<")},
      {"bad consent", replace_once(request, ">true<", ">ja<")},
      {"attribute", replace_once(request, "<nw:anfrage>", "<nw:anfrage debug=\"1\">")},
      {"rechtsgrundlage too long", replace_once(request, "IDNrG § 6 Abs. 2", std::string(1001, 'x'))},
  };
  for (const auto& [name, body] : cases) {
    const DecodeResult result = codec_->decode_request(body);
    EXPECT_FALSE(result.ok()) << name;
    EXPECT_EQ(result.error, ErrorCode::schema_invalid) << name;
    EXPECT_EQ(result.request_uuid, uuid) << name;
    EXPECT_FALSE(result.error_text.empty()) << name;
  }
}

TEST_F(CodecTest, AnUnreadableUuidIsNotReported) {
  const std::string request = codec_->write_request(sample_request());
  const std::string uuid = sample_request().kopf.nachrichten_uuid;
  DecodeResult result = codec_->decode_request(replace_once(request, uuid, "not-a-uuid"));
  EXPECT_EQ(result.error, ErrorCode::schema_invalid);
  EXPECT_EQ(result.request_uuid, "");
  // 36 characters in UUID shape but with a non-hex digit.
  result = codec_->decode_request(replace_once(request, uuid, "0f8fad5b-d9cb-469f-a165-70867728950g"));
  EXPECT_EQ(result.error, ErrorCode::schema_invalid);
  EXPECT_EQ(result.request_uuid, "");
  // Not well-formed: nothing can be read.
  result = codec_->decode_request(request.substr(0, request.size() - 5));
  EXPECT_EQ(result.error, ErrorCode::xml_malformed);
  EXPECT_EQ(result.request_uuid, "");
}

TEST_F(CodecTest, SchemaErrorTextDoesNotEchoTheIdnr) {
  // DecodeResult::error_text "never contains input echoes beyond the UUID". The IDNr is a
  // personal identifier and must not be reflected into error answers (and logs).
  const std::string request = codec_->write_request(sample_request());
  const std::string overlong = "3657426180X3657426180X3657426180X";
  const DecodeResult result = codec_->decode_request(replace_once(request, ">36574261809<", ">" + overlong + "<"));
  ASSERT_EQ(result.error, ErrorCode::schema_invalid);
  EXPECT_EQ(result.error_text.find("3657426180X"), std::string::npos) << result.error_text;
}

TEST_F(CodecTest, SchemaErrorTextDoesNotEchoValuesContainingQuotes) {
  // A quote inside the offending value must not let part of the value through.
  const std::string request = codec_->write_request(sample_request());
  const std::vector<std::pair<std::string, std::string>> cases{
      {replace_once(request, ">36574261809<", ">365'4261809365'4261809365'4261809<"), "4261809"},
      {replace_once(request, ">leistungsgewaehrung<", ">leistung'geheimnis<"), "geheimnis"},
      {replace_once(request, ">leistungsgewaehrung<", ">leistung&apos;geheimnis<"), "geheimnis"},
  };
  for (const auto& [body, secret] : cases) {
    const DecodeResult result = codec_->decode_request(body);
    ASSERT_EQ(result.error, ErrorCode::schema_invalid) << result.error_text;
    EXPECT_EQ(result.error_text.find(secret), std::string::npos) << result.error_text;
  }
}

TEST_F(CodecTest, MalformedErrorTextDoesNotEchoQuotedInput) {
  // The same contract holds for bodies that are not well-formed: libxml2 quotes names taken
  // from the input ("Entity 'x' not defined"), which may be any text of the requester's.
  const std::string request = codec_->write_request(sample_request());
  const DecodeResult result = codec_->decode_request(replace_once(request, ">36574261809<", ">&Geheimnis36574261809;<"));
  ASSERT_EQ(result.error, ErrorCode::xml_malformed) << result.error_text;
  EXPECT_EQ(result.error_text.find("Geheimnis"), std::string::npos) << result.error_text;
}

TEST_F(CodecTest, AnswerTypeInARequestIsRejected) {
  const std::string request = codec_->write_request(sample_request());
  for (const std::string type : {"nachweis.antwort.0102", "nachweis.fehler.0103"}) {
    const DecodeResult result = codec_->decode_request(replace_once(request, ">nachweis.anfrage.0101<", ">" + type + "<"));
    EXPECT_FALSE(result.ok()) << type;
    EXPECT_EQ(result.error, ErrorCode::schema_invalid) << type;
    EXPECT_EQ(result.request_uuid, sample_request().kopf.nachrichten_uuid) << type;
  }
}

TEST_F(CodecTest, CommentsAndProcessingInstructionsAreRejected) {
  const std::string request = codec_->write_request(sample_request());
  for (const std::string& body : {replace_once(request, "<nw:anfrage>", "<nw:anfrage><!-- note -->"),
                                 replace_once(request, "<nw:anfrage>", "<nw:anfrage><?steer me?>"),
                                 request + "<!-- trailing -->"}) {
    const DecodeResult result = codec_->decode_request(body);
    EXPECT_FALSE(result.ok());
    EXPECT_EQ(result.error, ErrorCode::schema_invalid);
  }
}

// ----------------------------------------------------------------------------------------------
// DTDs and entities.

class CodecEntityTest : public CodecTest {
 protected:
  void SetUp() override {
    secret_ = "S3CRET-" + std::to_string(::getpid()) + "-do-not-leak";
    secret_file_ = fs::temp_directory_path() / ("oncegate-secret-" + std::to_string(::getpid()) + ".txt");
    std::ofstream out(secret_file_);
    out << secret_;
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove(secret_file_, ignored);
  }

  // A request with a DOCTYPE declaring `entity_declaration`, referencing `&x;` in rechtsgrundlage.
  std::string request_with_doctype(const std::string& entity_declaration) const {
    std::string request = codec_->write_request(sample_request());
    request = replace_once(request, "<nw:nachweisAnfrage",
                           "<!DOCTYPE nw:nachweisAnfrage [\n" + entity_declaration + "\n]>\n<nw:nachweisAnfrage");
    return replace_once(request, "IDNrG § 6 Abs. 2", "&x;");
  }

  // `exact`: the body has a DOCTYPE that parses, so the refusal must be SCHEMA_INVALID; without
  // it any refusal will do.
  void expect_refused_without_leak(const std::string& body, bool exact = true) const {
    const DecodeResult result = codec_->decode_request(body);
    EXPECT_FALSE(result.ok());
    if (exact) {
      EXPECT_EQ(result.error, ErrorCode::schema_invalid) << result.error_text;
    }
    EXPECT_FALSE(result.request.has_value());
    if (result.request) {
      EXPECT_EQ(result.request->rechtsgrundlage.find(secret_), std::string::npos);
    }
    EXPECT_EQ(result.document, nullptr);
    EXPECT_EQ(result.error_text.find(secret_), std::string::npos) << result.error_text;
    EXPECT_EQ(result.request_uuid.find(secret_), std::string::npos);
    // What a requester would get back.
    const std::string error_answer = codec_->write_error(gateway_header(), Bezug{result.request_uuid, ""},
                                                         result.error, result.error_text);
    EXPECT_EQ(error_answer.find(secret_), std::string::npos);
    // The other readers refuse it too, without the secret.
    const std::string problem = codec_->validate(body);
    EXPECT_FALSE(problem.empty());
    EXPECT_EQ(problem.find(secret_), std::string::npos) << problem;
    const AnswerReading reading = codec_->read_answer(body);
    EXPECT_FALSE(reading.valid);
    EXPECT_EQ(reading.problem.find(secret_), std::string::npos) << reading.problem;
    EXPECT_EQ(reading.error_text.find(secret_), std::string::npos);
    for (const auto& [key, value] : reading.fields) EXPECT_EQ(value.find(secret_), std::string::npos);
  }

  std::string secret_;
  fs::path secret_file_;
};

TEST_F(CodecEntityTest, DoctypeWithInternalEntityIsRefused) {
  expect_refused_without_leak(request_with_doctype("<!ENTITY x \"" + secret_ + "\">"));
}

TEST_F(CodecEntityTest, ExternalSystemEntityIsNeverRead) {
  expect_refused_without_leak(request_with_doctype("<!ENTITY x SYSTEM \"file://" + secret_file_.string() + "\">"));
  expect_refused_without_leak(request_with_doctype("<!ENTITY x SYSTEM \"" + secret_file_.string() + "\">"));
}

TEST_F(CodecEntityTest, ExternalParameterEntityAndExternalSubsetAreNeverRead) {
  const fs::path dtd = secret_file_.string() + ".dtd";
  {
    std::ofstream out(dtd);
    out << "<!ENTITY x \"" << secret_ << "\">";
  }
  expect_refused_without_leak(request_with_doctype("<!ENTITY % p SYSTEM \"file://" + dtd.string() + "\">\n%p;"), false);
  std::string external_subset = codec_->write_request(sample_request());
  external_subset = replace_once(external_subset, "<nw:nachweisAnfrage",
                                 "<!DOCTYPE nw:nachweisAnfrage SYSTEM \"file://" + dtd.string() + "\">\n<nw:nachweisAnfrage");
  external_subset = replace_once(external_subset, "IDNrG § 6 Abs. 2", "&x;");
  const DecodeResult result = codec_->decode_request(external_subset);
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.error_text.find(secret_), std::string::npos) << result.error_text;
  std::error_code ignored;
  fs::remove(dtd, ignored);
}

TEST_F(CodecEntityTest, EntityExpansionBombIsRefused) {
  std::string declarations = "<!ENTITY a0 \"lol\">";
  for (int i = 1; i < 10; ++i) {
    std::string refs;
    for (int j = 0; j < 10; ++j) refs += "&a" + std::to_string(i - 1) + ";";
    declarations += "\n<!ENTITY a" + std::to_string(i) + " \"" + refs + "\">";
  }
  declarations += "\n<!ENTITY x \"&a9;\">";
  const auto start = std::chrono::steady_clock::now();
  const DecodeResult result = codec_->decode_request(request_with_doctype(declarations));
  EXPECT_FALSE(result.ok());
  // libxml2 itself may already refuse the declarations as not well-formed.
  EXPECT_TRUE(result.error == ErrorCode::schema_invalid || result.error == ErrorCode::xml_malformed)
      << result.error_text;
  EXPECT_EQ(result.error_text.find("lollollol"), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

// ----------------------------------------------------------------------------------------------
// Shape limits.

TEST_F(CodecTest, DeepNestingIsRejected) {
  std::string deep = "<?xml version=\"1.0\"?>";
  constexpr int kDepth = 40;  // over the default of 32
  for (int i = 0; i < kDepth; ++i) deep += "<nw:nachweisAnfrage xmlns:nw=\"urn:de:oncegate:nachweis:1\">";
  for (int i = 0; i < kDepth; ++i) deep += "</nw:nachweisAnfrage>";
  DecodeResult result = codec_->decode_request(deep);
  EXPECT_EQ(result.error, ErrorCode::schema_invalid);
  EXPECT_FALSE(codec_->validate(deep).empty());

  // Far beyond any limit: refused, not a crash or stack exhaustion.
  std::string very_deep;
  for (int i = 0; i < 100000; ++i) very_deep += "<a>";
  for (int i = 0; i < 100000; ++i) very_deep += "</a>";
  result = codec_->decode_request(very_deep);
  EXPECT_FALSE(result.ok());
  EXPECT_TRUE(result.error == ErrorCode::schema_invalid || result.error == ErrorCode::xml_malformed);
}

TEST_F(CodecTest, MaxDepthIsEnforcedExactly) {
  // A request is four levels deep: nachweisAnfrage / nachrichtenkopf / autor / kennung.
  const std::string request = codec_->write_request(sample_request());
  auto at_four = MessageCodec::open(CodecOptions{"", 4, 512});
  auto at_three = MessageCodec::open(CodecOptions{"", 3, 512});
  EXPECT_TRUE(at_four->decode_request(request).ok());
  const DecodeResult result = at_three->decode_request(request);
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.error, ErrorCode::schema_invalid);
}

TEST_F(CodecTest, TooManyElementsAreRejected) {
  const std::string request = codec_->write_request(sample_request());
  const auto elements = static_cast<unsigned>(count_elements(request));
  ASSERT_GT(elements, 10u);
  EXPECT_TRUE(MessageCodec::open(CodecOptions{"", 32, elements})->decode_request(request).ok());
  const DecodeResult result = MessageCodec::open(CodecOptions{"", 32, elements - 1})->decode_request(request);
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.error, ErrorCode::schema_invalid);

  // With the default limit (512): many siblings.
  std::string wide = "<?xml version=\"1.0\"?><nw:nachweisAnfrage xmlns:nw=\"urn:de:oncegate:nachweis:1\">";
  for (int i = 0; i < 600; ++i) wide += "<nw:x/>";
  wide += "</nw:nachweisAnfrage>";
  EXPECT_EQ(codec_->decode_request(wide).error, ErrorCode::schema_invalid);
  EXPECT_FALSE(codec_->validate(wide).empty());
}

// ----------------------------------------------------------------------------------------------
// Writing answers and error answers.

TEST_F(CodecTest, AnswerValidatesAndReadsBack) {
  const std::string request_uuid = new_uuid();
  const std::string digest = sha256_base64("the request body");
  const std::string xml = codec_->write_answer(gateway_header(), Bezug{request_uuid, digest}, "geburtsurkunde",
                                               "Personenstandsregister (Beispieldaten)", birth_certificate());
  EXPECT_EQ(codec_->validate(xml), "");
  const AnswerReading reading = codec_->read_answer(xml);
  ASSERT_TRUE(reading.valid) << reading.problem;
  EXPECT_FALSE(reading.is_error);
  EXPECT_EQ(reading.request_uuid, request_uuid);
  EXPECT_EQ(reading.request_digest, digest);
  EXPECT_EQ(reading.nachweistyp, "geburtsurkunde");
  EXPECT_EQ(reading.register_name, "Personenstandsregister (Beispieldaten)");
  EXPECT_EQ(reading.document, "geburtsurkunde");
  EXPECT_EQ(reading.fields, birth_certificate().fields);
  EXPECT_EQ(reading.field("vornamen"), "Anna Lena");
  EXPECT_EQ(reading.field("nonexistent"), "");
  EXPECT_EQ(reading.error_code, "");
  EXPECT_NE(xml.find("<nw:nachrichtentyp>nachweis.antwort.0102</nw:nachrichtentyp>"), std::string::npos);

  // A Meldebescheinigung is the other document of the schema.
  const Evidence melde{"meldebescheinigung",
                       {{"familienname", "Meyer"},
                        {"vornamen", "Jan"},
                        {"geburtsdatum", "1985-12-31"},
                        {"strasse", "Lange Straße"},
                        {"hausnummer", "12a"},
                        {"postleitzahl", "30159"},
                        {"wohnort", "Hannover"},
                        {"gemeindeschluessel", "032410001001"},
                        {"einzugsdatum", "2020-01-15"}}};
  const std::string melde_xml =
      codec_->write_answer(gateway_header(), Bezug{request_uuid, ""}, "meldebescheinigung", "Melderegister", melde);
  EXPECT_EQ(codec_->validate(melde_xml), "");
  const AnswerReading melde_reading = codec_->read_answer(melde_xml);
  ASSERT_TRUE(melde_reading.valid) << melde_reading.problem;
  EXPECT_EQ(melde_reading.document, "meldebescheinigung");
  EXPECT_EQ(melde_reading.fields, melde.fields);
  EXPECT_EQ(melde_reading.request_digest, "");
}

TEST_F(CodecTest, AnswerWithEmptyReaderValidates) {
  OutgoingHeader header = gateway_header();
  header.leser = Authority{};
  const std::string xml = codec_->write_answer(header, Bezug{new_uuid(), ""}, "geburtsurkunde", "R", birth_certificate());
  EXPECT_EQ(codec_->validate(xml), "");
  EXPECT_EQ(xml.find("<nw:leser>"), std::string::npos);
}

TEST_F(CodecTest, ErrorAnswerValidatesAndReadsBack) {
  const std::string request_uuid = new_uuid();
  const std::string digest = sha256_base64("x");
  const std::string xml = codec_->write_error(gateway_header(), Bezug{request_uuid, digest}, ErrorCode::not_found,
                                              "the register does not know the person");
  EXPECT_EQ(codec_->validate(xml), "");
  const AnswerReading reading = codec_->read_answer(xml);
  ASSERT_TRUE(reading.valid) << reading.problem;
  EXPECT_TRUE(reading.is_error);
  EXPECT_EQ(reading.error_code, "NOT_FOUND");
  EXPECT_EQ(reading.error_text, "the register does not know the person");
  EXPECT_EQ(reading.request_uuid, request_uuid);
  EXPECT_EQ(reading.request_digest, digest);
  EXPECT_TRUE(reading.fields.empty());
  EXPECT_NE(xml.find("<nw:nachrichtentyp>nachweis.fehler.0103</nw:nachrichtentyp>"), std::string::npos);
}

TEST_F(CodecTest, ErrorAnswerWithoutBezugOrReaderValidates) {
  OutgoingHeader header = gateway_header();
  header.leser = Authority{};
  const std::string xml = codec_->write_error(header, Bezug{}, ErrorCode::xml_malformed, "the body is not XML");
  EXPECT_EQ(codec_->validate(xml), "");
  EXPECT_EQ(xml.find("<nw:bezug>"), std::string::npos);
  const AnswerReading reading = codec_->read_answer(xml);
  ASSERT_TRUE(reading.valid) << reading.problem;
  EXPECT_TRUE(reading.is_error);
  EXPECT_EQ(reading.error_code, "XML_MALFORMED");
  EXPECT_EQ(reading.request_uuid, "");
}

TEST_F(CodecTest, EveryErrorCodeMakesAValidErrorAnswer) {
  for (unsigned value = 0; value <= 255; ++value) {
    const auto code = static_cast<ErrorCode>(value);
    if (value > 0 && code_name(code) == "INTERNAL_ERROR" && code != ErrorCode::internal_error) continue;
    const std::string xml = codec_->write_error(gateway_header(), Bezug{new_uuid(), ""}, code, "text");
    ASSERT_EQ(codec_->validate(xml), "") << code_name(code);
    EXPECT_EQ(codec_->read_answer(xml).error_code, code_name(code));
  }
}

TEST_F(CodecTest, LongErrorTextIsShortenedToStayValid) {
  for (const std::string& text : {std::string(5000, 'x'), replace_all(std::string(3000, 'a'), "a", "ä"),
                                 replace_all(std::string(1500, 'a'), "a", "😀")}) {
    const std::string xml = codec_->write_error(gateway_header(), Bezug{new_uuid(), ""}, ErrorCode::internal_error, text);
    EXPECT_EQ(codec_->validate(xml), "");
    const AnswerReading reading = codec_->read_answer(xml);
    ASSERT_TRUE(reading.valid) << reading.problem;
    EXPECT_LT(reading.error_text.size(), text.size());
    EXPECT_EQ(text.compare(0, reading.error_text.size() - 3, reading.error_text, 0, reading.error_text.size() - 3), 0);
  }
}

TEST_F(CodecTest, ErrorTextIsEscaped) {
  const std::string text = "bad <input> & \"quotes\" 'apostrophes' ]]> \x01\x1F \xFF";
  const std::string xml = codec_->write_error(gateway_header(), Bezug{new_uuid(), ""}, ErrorCode::bad_request, text);
  EXPECT_EQ(codec_->validate(xml), "");
  const AnswerReading reading = codec_->read_answer(xml);
  ASSERT_TRUE(reading.valid) << reading.problem;
  const std::string r(kReplacement);
  EXPECT_EQ(reading.error_text, "bad <input> & \"quotes\" 'apostrophes' ]]> " + r + r + " " + r);
}

TEST_F(CodecTest, MarkupCharactersInEvidenceRoundTrip) {
  const std::string value = "A&B <c> \"d\" 'e' ]]> &amp; </nw:familienname>";
  const AnswerReading reading = answer_with_text(value);
  EXPECT_EQ(reading.field("familienname"), value);
  EXPECT_EQ(reading.field("vornamen"), value);
  EXPECT_EQ(reading.field("geburtsort"), value);
  EXPECT_EQ(reading.register_name, "Register " + value);
  EXPECT_EQ(reading.fields.size(), 7u);
}

TEST_F(CodecTest, ControlCharactersInEvidenceAreReplaced) {
  std::string controls;
  for (char c = 1; c < 0x20; ++c) {
    if (c != '\t' && c != '\n' && c != '\r') controls += c;
  }
  const AnswerReading reading = answer_with_text("x" + controls + "y");
  std::string expected = "x";
  for (std::size_t i = 0; i < controls.size(); ++i) expected += kReplacement;
  expected += "y";
  EXPECT_EQ(reading.field("familienname"), expected);
  // Tab and line feed are legal XML characters and are kept.
  EXPECT_EQ(answer_with_text("a\tb\nc").field("vornamen"), "a\tb\nc");
  // NUL inside a value.
  EXPECT_EQ(answer_with_text(std::string("a\0b", 3)).field("geburtsort"), "a" + std::string(kReplacement) + "b");
}

TEST_F(CodecTest, InvalidUtf8InEvidenceIsReplaced) {
  const std::string r(kReplacement);
  const std::vector<std::pair<std::string, std::string>> cases{
      {"\xFF", r},                                 // never valid
      {"a\xC3", "a" + r},                          // truncated two-byte sequence at the end
      {"\xC3(", r + "("},                          // bad continuation byte
      {"\xC0\xAF", r + r},                         // overlong '/'
      {"\xE0\x80\xAF", r + r + r},                 // overlong three-byte
      {"\xED\xA0\x80", r + r + r},                 // UTF-16 surrogate
      {"\xEF\xBF\xBE", r + r + r},                 // U+FFFE, not an XML character
      {"\xF4\x90\x80\x80", r + r + r + r},         // above U+10FFFF
      {"\xF8\x88\x80\x80\x80", r + r + r + r + r},  // five-byte form
      {"\x80", r},                                 // lone continuation byte
  };
  for (const auto& [input, expected] : cases) {
    const AnswerReading reading = answer_with_text("<" + input + ">");
    EXPECT_EQ(reading.field("familienname"), "<" + expected + ">") << ::testing::PrintToString(input);
  }
  // Valid multi-byte text is untouched.
  const std::string valid = "Jürgen Groß – Ørsted 😀 \xEF\xBF\xBD";
  EXPECT_EQ(answer_with_text(valid).field("familienname"), valid);
}

TEST_F(CodecTest, InvalidElementNamesThrow) {
  const Bezug bezug{new_uuid(), ""};
  for (const std::string& name : std::vector<std::string>{"", "1abc", "geburts urkunde", "nw:x", "a>b", "a-b", "ä", std::string(65, 'a')}) {
    Evidence bad_document = birth_certificate();
    bad_document.document = name;
    EXPECT_THROW((void)codec_->write_answer(gateway_header(), bezug, "geburtsurkunde", "R", bad_document), MessageError)
        << name;
    Evidence bad_field = birth_certificate();
    bad_field.fields.emplace_back(name, "value");
    EXPECT_THROW((void)codec_->write_answer(gateway_header(), bezug, "geburtsurkunde", "R", bad_field), MessageError)
        << name;
  }
}

TEST_F(CodecTest, ReadAnswerRefusesWhatIsNoAnswer) {
  AnswerReading reading = codec_->read_answer("garbage");
  EXPECT_FALSE(reading.valid);
  EXPECT_FALSE(reading.problem.empty());
  // A valid request is no answer.
  reading = codec_->read_answer(codec_->write_request(sample_request()));
  EXPECT_FALSE(reading.valid);
  EXPECT_FALSE(reading.problem.empty());
  // An answer tampered into a schema violation.
  const std::string answer = codec_->write_answer(gateway_header(), Bezug{new_uuid(), ""}, "geburtsurkunde", "R",
                                                  birth_certificate());
  reading = codec_->read_answer(replace_once(answer, ">1990-04-01<", ">01.04.1990<"));
  EXPECT_FALSE(reading.valid);
  EXPECT_FALSE(reading.problem.empty());
  // An answer missing a required evidence field does not validate.
  Evidence incomplete = birth_certificate();
  incomplete.fields.pop_back();
  EXPECT_FALSE(codec_->validate(codec_->write_answer(gateway_header(), Bezug{new_uuid(), ""}, "geburtsurkunde", "R",
                                                     incomplete)).empty());
}

TEST_F(CodecTest, DecodingIsSafeFromManyThreads) {
  const std::string good = codec_->write_request(sample_request());
  const std::string bad = replace_once(good, ">36574261809<", ">" + std::string(40, 'X') + "<");
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) {
        if (!codec_->decode_request(good).ok()) ++failures;
        if (codec_->decode_request(bad).error != ErrorCode::schema_invalid) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
}

// ----------------------------------------------------------------------------------------------
// Helpers.

TEST(MessageHelpers, NewUuidIsAVersion4UuidAndUnique) {
  const std::regex shape("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  std::set<std::string> seen;
  for (int i = 0; i < 5000; ++i) {
    const std::string uuid = new_uuid();
    ASSERT_TRUE(std::regex_match(uuid, shape)) << uuid;
    ASSERT_TRUE(seen.insert(uuid).second) << "duplicate " << uuid;
  }
}

TEST(MessageHelpers, FormatTimestamp) {
  using namespace std::chrono;
  EXPECT_EQ(utc_text(system_clock::time_point{}), "1970-01-01T00:00:00.000Z");
  const auto t = sys_days{year{2026} / 11 / 26} + hours{23} + minutes{40} + seconds{0} + milliseconds{123};
  EXPECT_EQ(utc_text(time_point_cast<system_clock::duration>(t)), "2026-11-26T23:40:00.123Z");
  // Leap day, zero-padded fields, sub-millisecond part truncated.
  const auto leap = sys_days{year{2024} / 2 / 29} + hours{1} + minutes{2} + seconds{3} + milliseconds{4} + microseconds{999};
  EXPECT_EQ(utc_text(time_point_cast<system_clock::duration>(leap)), "2024-02-29T01:02:03.004Z");
  const auto end_of_year = sys_days{year{1999} / 12 / 31} + hours{23} + minutes{59} + seconds{59} + milliseconds{999};
  EXPECT_EQ(utc_text(time_point_cast<system_clock::duration>(end_of_year)), "1999-12-31T23:59:59.999Z");
  // Now: the documented shape.
  EXPECT_TRUE(std::regex_match(utc_text(system_clock::now()),
                               std::regex(R"(20\d{2}-[01]\d-[0-3]\dT[0-2]\d:[0-5]\d:[0-5]\d\.\d{3}Z)")));
}

TEST(MessageHelpers, Sha256Base64KnownVectors) {
  EXPECT_EQ(sha256_base64(""), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
  EXPECT_EQ(sha256_base64("abc"), "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
  EXPECT_EQ(sha256_base64(std::string_view("a\0b", 3)).size(), 44u);
  EXPECT_NE(sha256_base64(std::string_view("a\0b", 3)), sha256_base64("a"));
}

// ----------------------------------------------------------------------------------------------
// Error codes: names and HTTP statuses are part of the interface contract.

TEST(ErrorCodes, TableIsStable) {
  struct Row {
    ErrorCode code;
    std::string_view name;
    unsigned status;
  };
  const std::vector<Row> table{
      {ErrorCode::xml_malformed, "XML_MALFORMED", 400},
      {ErrorCode::schema_invalid, "SCHEMA_INVALID", 400},
      {ErrorCode::idnr_invalid, "IDNR_INVALID", 400},
      {ErrorCode::no_register, "NO_REGISTER", 404},
      {ErrorCode::not_found, "NOT_FOUND", 404},
      {ErrorCode::register_unavailable, "REGISTER_UNAVAILABLE", 502},
      {ErrorCode::timeout, "TIMEOUT", 504},
      {ErrorCode::too_large, "TOO_LARGE", 413},
      {ErrorCode::bad_request, "BAD_REQUEST", 400},
      {ErrorCode::unsupported_media_type, "UNSUPPORTED_MEDIA_TYPE", 415},
      {ErrorCode::method_not_allowed, "METHOD_NOT_ALLOWED", 405},
      {ErrorCode::unknown_endpoint, "UNKNOWN_ENDPOINT", 404},
      {ErrorCode::overloaded, "OVERLOADED", 503},
      {ErrorCode::shutting_down, "SHUTTING_DOWN", 503},
      {ErrorCode::internal_error, "INTERNAL_ERROR", 500},
      {ErrorCode::unknown_authority, "UNKNOWN_AUTHORITY", 403},
      {ErrorCode::author_mismatch, "AUTHOR_MISMATCH", 403},
      {ErrorCode::signature_invalid, "SIGNATURE_INVALID", 403},
      {ErrorCode::stale, "STALE", 400},
      {ErrorCode::replay, "REPLAY", 409},
      {ErrorCode::not_permitted, "NOT_PERMITTED", 403},
      {ErrorCode::log_unavailable, "LOG_UNAVAILABLE", 503},
      {ErrorCode::not_implemented, "NOT_IMPLEMENTED", 501},
      {ErrorCode::expectation_failed, "EXPECTATION_FAILED", 417},
      {ErrorCode::unsupported_capability, "UNSUPPORTED_CAPABILITY", 422},
      {ErrorCode::rate_limited, "RATE_LIMITED", 429},
      {ErrorCode::time_invalid, "TIME_INVALID", 400},
      {ErrorCode::wrong_recipient, "WRONG_RECIPIENT", 421},
      {ErrorCode::replay_window_unavailable, "REPLAY_WINDOW_UNAVAILABLE", 503},
  };
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < table.size(); ++i) {
    const Row& row = table[i];
    // The enumerators are numbered in this order (values are not part of the wire format, but
    // the loop below relies on the table covering 0..N-1).
    EXPECT_EQ(static_cast<std::size_t>(row.code), i) << row.name;
    EXPECT_EQ(code_name(row.code), row.name);
    EXPECT_EQ(http_status(row.code), row.status) << row.name;
    EXPECT_TRUE(names.insert(code_name(row.code)).second) << "duplicate name " << row.name;
    // Every name fits the schema's Fehlercode type.
    EXPECT_TRUE(std::regex_match(std::string(row.name), std::regex("[A-Z][A-Z_]{1,39}"))) << row.name;
  }
  // Nothing beyond the table: a code added without a row here makes this fail.
  for (unsigned value = static_cast<unsigned>(table.size()); value <= 255; ++value) {
    const auto code = static_cast<ErrorCode>(value);
    EXPECT_EQ(code_name(code), "INTERNAL_ERROR") << "code " << value << " is not in the table";
    EXPECT_EQ(http_status(code), 500u) << "code " << value << " is not in the table";
  }
}

}  // namespace
