#pragma once
// The national message family (schema xsd/oncegate-nachweis-1.xsd): decoding requests safely and
// writing answers and error answers.
//
// Decoding never trusts its input: no DTD, no entities, no network or file access, bounded size
// and depth, every message validated against the schema before a field is read. This is the only
// module that includes libxml2 (and, with the trust issue, xmlsec).
//
// Thread safety: a MessageCodec is immutable after open(); decode_request() and the writers may be
// called concurrently from any number of threads (validation contexts are per thread).

#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gateway/adapter/adapter.hpp"
#include "gateway/message/error_code.hpp"

namespace oncegate::message {

inline constexpr std::string_view kNamespace = "urn:de:oncegate:nachweis:1";
inline constexpr std::string_view kTypeRequest = "nachweis.anfrage.0101";
inline constexpr std::string_view kTypeAnswer = "nachweis.antwort.0102";
inline constexpr std::string_view kTypeError = "nachweis.fehler.0103";

struct Authority {
  std::string verzeichnisdienst;  // e.g. "dvdv"
  std::string kennung;            // e.g. "psw:01003110"
  std::string name;               // optional
};

struct Nachrichtenkopf {
  std::string nachrichten_uuid;
  std::string nachrichtentyp;
  std::string erstellungszeitpunkt;  // xs:dateTime as sent
  Authority autor;
  Authority leser;
};

struct EvidenceRequest {
  Nachrichtenkopf kopf;
  std::string idnr;
  std::string nachweistyp;
  std::string zweck;
  std::string rechtsgrundlage;
  std::string regionalschluessel;    // empty when absent
  std::optional<bool> einwilligung;  // consent flag when present
};

// A parsed, schema-valid document, kept for the stages that need the tree (signature checks).
class ParsedDocument;

struct DecodeResult {
  std::optional<EvidenceRequest> request;  // set on success
  ErrorCode error = ErrorCode::internal_error;
  std::string error_text;    // for the requester; never contains input echoes beyond the UUID
  std::string request_uuid;  // best effort, also on failure (only when it looks like a UUID)
  std::shared_ptr<ParsedDocument> document;  // set on success

  [[nodiscard]] bool ok() const noexcept { return request.has_value(); }
};

// The reading of an answer or error answer, for requesters (demo client, tests, load generator).
struct AnswerReading {
  bool valid = false;          // well-formed and valid against the schema
  std::string problem;         // why not, when !valid
  bool is_error = false;       // fehlerAntwort
  std::string request_uuid;    // bezug/nachrichtenUUID
  std::string request_digest;  // bezug/anfrageDigest
  std::string error_code;      // fehler/code
  std::string error_text;      // fehler/text
  std::string nachweistyp;
  std::string register_name;
  std::string document;        // e.g. "geburtsurkunde"
  std::vector<std::pair<std::string, std::string>> fields;

  [[nodiscard]] std::string field(std::string_view name) const {
    for (const auto& [key, value] : fields) {
      if (key == name) return value;
    }
    return {};
  }
};

class MessageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The schema xsd/oncegate-nachweis-1.xsd as compiled into the binary.
[[nodiscard]] std::string_view embedded_schema() noexcept;

struct CodecOptions {
  // Path of the XSD. Default empty: the embedded schema.
  std::string schema_path;
  // Maximum element nesting depth of an incoming document. Default: 32 (messages need ~8).
  unsigned max_depth = 32;
  // Maximum number of elements in an incoming document. Default: 512.
  unsigned max_elements = 512;
};

// What goes into the header of an outgoing message.
struct OutgoingHeader {
  Authority autor;  // the gateway
  Authority leser;  // the requester (copied from the request's autor), may be empty
};

struct Bezug {
  std::string request_uuid;    // empty when the request's UUID could not be read
  std::string request_digest;  // base64 SHA-256, may be empty
};

class MessageCodec {
 public:
  // Loads and compiles the schema once. Throws MessageError if it cannot.
  [[nodiscard]] static std::shared_ptr<const MessageCodec> open(const CodecOptions& options);
  ~MessageCodec();
  MessageCodec(const MessageCodec&) = delete;
  MessageCodec& operator=(const MessageCodec&) = delete;

  [[nodiscard]] DecodeResult decode_request(std::string_view body) const;

  // Validates any document of the family against the schema (used for answers in tests and by
  // the demo client). Returns an empty string when valid, else the first error.
  [[nodiscard]] std::string validate(std::string_view body) const;

  // Parses, validates and reads an answer or error answer.
  [[nodiscard]] AnswerReading read_answer(std::string_view body) const;

  // A request as a Fachverfahren sends it (demo client, tests, load generator). Uses
  // request.kopf as given; an empty nachrichten_uuid or erstellungszeitpunkt is filled in.
  [[nodiscard]] std::string write_request(const EvidenceRequest& request) const;

  [[nodiscard]] std::string write_answer(const OutgoingHeader& header, const Bezug& bezug,
                                         std::string_view nachweistyp,
                                         std::string_view register_name,
                                         const adapters::Evidence& evidence) const;

  [[nodiscard]] std::string write_error(const OutgoingHeader& header, const Bezug& bezug,
                                        ErrorCode code, std::string_view text) const;

 private:
  struct Impl;
  explicit MessageCodec(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};


}  // namespace oncegate::message
