#pragma once
// The EU message family: OOTS Evidence Exchange Data Model (EDM) on ebXML RegRep 4.
//
// Requests (query:QueryRequest) are read by namespace URI, never by prefix, and their slots by
// name, never by order. Two incompatible versions are served side by side, each answered in its
// own form:
//   v1  SpecificationIdentifier oots-edm:v1.0, v1.1, v1.2 (OOTS Technical Design 1.1.x)
//   v2  SpecificationIdentifier oots-edm:v2.0 (Technical Design 2.0, adopted February 2026)
// A request may arrive bare or inside the envelope in which a Domibus access point hands a
// message to its backend (WS plugin retrieveMessageResponse, the payload base64 in
// payload/value).
//
// Thread safety: an EdmCodec is immutable after open(); decode and the writers may be called
// concurrently from any number of threads.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace oncegate::message::edm {

inline constexpr std::string_view kQueryNamespace = "urn:oasis:names:tc:ebxml-regrep:xsd:query:4.0";
inline constexpr std::string_view kRimNamespace = "urn:oasis:names:tc:ebxml-regrep:xsd:rim:4.0";
inline constexpr std::string_view kRsNamespace = "urn:oasis:names:tc:ebxml-regrep:xsd:rs:4.0";
inline constexpr std::string_view kSdgNamespace = "http://data.europa.eu/p4s";
inline constexpr std::string_view kEasSchemePrefix = "urn:cef.eu:names:identifier:EAS:";

enum class Version { v1, v2 };

// The SpecificationIdentifier values this provider answers, for 0007's detail.
[[nodiscard]] std::string_view supported_specifications() noexcept;

// The EDM error codes (EDM:ERR:0001..0008 of the OOTS code list; 0006 is never raised here).
enum class Fault {
  failed_authentication = 1,  // EDM:ERR:0001
  missing_authorization = 2,  // EDM:ERR:0002
  invalid_request = 3,        // EDM:ERR:0003
  not_found = 4,              // EDM:ERR:0004
  timeout = 5,                // EDM:ERR:0005
  unsupported = 7,            // EDM:ERR:0007
  query_exception = 8,        // EDM:ERR:0008
};

[[nodiscard]] std::string_view fault_code(Fault fault) noexcept;       // "EDM:ERR:0003"
[[nodiscard]] std::string_view fault_type(Fault fault) noexcept;       // "rs:InvalidRequestExceptionType"
[[nodiscard]] std::string_view fault_message(Fault fault) noexcept;    // the code list's name

struct Agent {
  std::string scheme;          // schemeID of sdg:Identifier, e.g. urn:cef.eu:names:identifier:EAS:0096
  std::string identifier;      // e.g. DK22233223
  std::string name;            // first sdg:Name
  std::string country;         // sdg:Address/sdg:AdminUnitLevel1, may be empty
  std::string classification;  // ER, IP, EP, ERRP; empty when absent

  // "<scheme>:<identifier>", the key the trust configuration names the agent by.
  [[nodiscard]] std::string key() const { return scheme + ":" + identifier; }
};

struct NaturalPerson {
  std::string level_of_assurance;
  std::string eidas_identifier;  // XX/YY/..., may be empty in v2
  std::string family_name;
  std::string given_name;
  std::string date_of_birth;     // YYYY-MM-DD
  std::string birth_name;
  std::string place_of_birth;
};

struct LegalPerson {
  std::string level_of_assurance;
  std::string eidas_identifier;  // sdg:LegalPersonIdentifier
  std::string legal_name;
  std::vector<std::pair<std::string, std::string>> identifiers;  // schemeID -> value
};

struct EvidenceRequest {
  Version version = Version::v2;
  std::string specification;      // as sent, e.g. oots-edm:v1.1
  std::string id;                 // urn:uuid:<RFC 4122 UUID>
  std::string issue_date_time;    // xs:dateTime as sent
  std::string procedure;          // code of the Procedures list, e.g. R1
  bool possibility_for_preview = false;
  bool explicit_request_given = false;
  std::vector<std::string> requirements;  // sdg:Requirement/sdg:Identifier
  Agent requester;                        // the ER agent
  std::optional<Agent> intermediary;      // an IP agent, when present
  Agent provider;                         // the EvidenceProvider as the requester addressed it
  std::optional<NaturalPerson> person;    // exactly one of person and company is set
  std::optional<LegalPerson> company;
  std::optional<NaturalPerson> representative;  // AuthorizedRepresentative: never the subject
  std::string evidence_type_id;           // sdg:DataServiceEvidenceType/sdg:Identifier
  std::string evidence_type_classification;
  std::string evidence_title;             // first sdg:Title
  std::string format;                     // DistributedAs/Format, e.g. application/xml
  std::string conforms_to;
  std::string transformation;
  std::string language;                   // DistributedAs/Language, may be empty
};

// Where the request came from: a bare QueryRequest, or the Domibus WS plugin's envelope.
enum class Carrier { bare, domibus };

struct DecodeResult {
  std::optional<EvidenceRequest> request;  // set on success
  Fault fault = Fault::invalid_request;
  std::string detail;         // the rule that failed; names elements, never echoes personal data
  // Best effort, also on failure: the answer's version and the request id it refers to.
  Version answer_version = Version::v2;
  std::string answer_specification = "oots-edm:v2.0";
  std::string request_id;
  Carrier carrier = Carrier::bare;

  [[nodiscard]] bool ok() const noexcept { return request.has_value(); }
};

// What a success answer says about the provider and the evidence.
struct ResponseFacts {
  Agent provider;               // the gateway as evidence provider (classification EP is written)
  std::string response_id;      // EvidenceResponseIdentifier (UUID)
  std::string issue_date_time;  // of the answer
  std::string registry_object_id;  // urn:uuid:...
  std::string package_id;          // urn:uuid:..., v2 only
  std::string classification_id;   // urn:uuid:..., v2 only (the MainEvidence classification)
  std::string evidence_id;         // UUID
  std::string issuing_authority_name;  // the register's name
  std::string issuing_date;            // YYYY-MM-DD
  std::string content_id;              // of the attachment, without "cid:" and angle brackets
  std::string title;                   // of the evidence
};

// An error answer: what is known of the request (possibly nothing beyond its id).
struct ErrorFacts {
  Version version = Version::v2;
  std::string specification = "oots-edm:v2.0";
  std::string request_id;          // may be empty
  std::string response_id;         // UUID
  std::string timestamp;           // xs:dateTime
  Agent error_provider;            // the gateway (classification ERRP is written)
  std::optional<Agent> requester;  // the ER agent when it could be read
};

struct CodecOptions {
  unsigned max_depth = 40;
  unsigned max_elements = 4000;
};

class EdmCodec {
 public:
  // Compiles the two embedded schemas once. Throws std::runtime_error if they do not compile.
  [[nodiscard]] static std::shared_ptr<const EdmCodec> open(const CodecOptions& options = {});
  ~EdmCodec();
  EdmCodec(const EdmCodec&) = delete;
  EdmCodec& operator=(const EdmCodec&) = delete;

  // `domibus_envelope`: the body is the WS plugin's SOAP envelope (application/soap+xml).
  [[nodiscard]] DecodeResult decode(std::string_view body, bool domibus_envelope) const;

  [[nodiscard]] std::string write_response(const EvidenceRequest& request, const ResponseFacts& facts) const;
  [[nodiscard]] std::string write_error(const ErrorFacts& facts, Fault fault, std::string_view detail) const;

 private:
  struct Impl;
  explicit EdmCodec(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The reading of an answer, for tests and the client.
struct ResponseReading {
  bool valid = false;
  std::string problem;
  bool success = false;
  std::string request_id;
  std::string specification;
  std::string error_code;        // rs:Exception/@code
  std::string error_detail;
  std::string repository_item;   // RepositoryItemRef/@xlink:href
  std::string provider_classification;
};

[[nodiscard]] ResponseReading read_response(std::string_view body);

// Evidence rendered as the second part of the answer.
[[nodiscard]] std::string render_evidence_xml(std::string_view document,
                                              const std::vector<std::pair<std::string, std::string>>& fields);
// A one-page PDF 1.4 listing the fields (Helvetica, WinAnsiEncoding).
[[nodiscard]] std::string render_evidence_pdf(std::string_view title,
                                              const std::vector<std::pair<std::string, std::string>>& fields);

}  // namespace oncegate::message::edm
