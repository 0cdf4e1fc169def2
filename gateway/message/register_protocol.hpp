#pragma once
// The register wire protocol: how the gateway asks a remote register over HTTPS, and how the
// register answers. Deliberately small and separate from the national message family (no header,
// no signature: the TLS connection with pinned CAs authenticates both ends).
//
//   POST <base>/register/v1/abfrage   Content-Type: application/xml
//     <registerAnfrage xmlns="urn:oncegate:register:1">
//       <anfrageUuid>…</anfrageUuid><nachweistyp>…</nachweistyp><idnr>…</idnr>
//       [<regionalschluessel>…</regionalschluessel>]
//     </registerAnfrage>
//
//   200  <registerAntwort xmlns="urn:oncegate:register:1">
//          <anfrageUuid>…the query's…</anfrageUuid><status>found|not_found</status>
//          [<nachweis dokument="geburtsurkunde"><feld name="familienname">…</feld>…</nachweis>]
//        </registerAntwort>
//
//   GET <base>/register/v1/health -> 200 when the register serves.
//
// Parsing never trusts its input: the message module's safe parser (no DTD, no entities, no
// network, bounded depth and element count), every element in the protocol namespace, no unknown
// elements or attributes, bounded field count and value size. Error texts name elements only,
// never values, because values may be personal data.
//
// Thread safety: free functions without shared state; callable from any thread.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/adapter/adapter.hpp"

namespace oncegate::message {

inline constexpr std::string_view kRegisterNamespace = "urn:oncegate:register:1";
inline constexpr std::string_view kRegisterQueryPath = "/register/v1/abfrage";
inline constexpr std::string_view kRegisterHealthPath = "/register/v1/health";

// Limits of an answer (a query is far smaller). Larger answers are rejected, not truncated.
inline constexpr std::size_t kRegisterMaxFields = 64;
inline constexpr std::size_t kRegisterMaxValueBytes = 4 * 1024;
inline constexpr std::size_t kRegisterMaxDocumentBytes = 64 * 1024;
// Limit of the query's text values (UUID, type, IDNr, Regionalschlüssel).
inline constexpr std::size_t kRegisterMaxQueryValueBytes = 64;

struct RegisterQueryParse {
  std::optional<adapters::EvidenceQuery> query;  // set on success (correlation_id stays empty)
  std::string error;                             // why not; names elements, never values

  [[nodiscard]] bool ok() const noexcept { return query.has_value(); }
};

struct RegisterAnswerParse {
  enum class Outcome { found, not_found, malformed };
  Outcome outcome = Outcome::malformed;
  std::string request_uuid;     // the anfrageUuid the answer says it answers
  adapters::Evidence evidence;  // set when found
  std::string error;            // set when malformed; names elements, never values

  [[nodiscard]] bool ok() const noexcept { return outcome != Outcome::malformed; }
};

// The query document for `query` (regionalschluessel omitted when empty). The correlation id is
// not part of the document; it travels as the X-Correlation-ID header.
[[nodiscard]] std::string write_register_query(const adapters::EvidenceQuery& query);

// Reads a query document (the register's side). Requires anfrageUuid, nachweistyp and idnr
// (digits only), each at most kRegisterMaxQueryValueBytes; regionalschluessel optional (digits).
[[nodiscard]] RegisterQueryParse parse_register_query(std::string_view xml);

// The answer document for a found or not_found result. Throws std::invalid_argument for any
// other status: failures are expressed by HTTP status codes, not by answer documents.
// The answer names its query by anfrageUuid, so that an answer can never be taken for another
// query's (e.g. after a connection got out of step).
[[nodiscard]] std::string write_register_answer(const adapters::FetchResult& result, std::string_view request_uuid);

// Reads an answer document (the gateway's side). found requires a nachweis with a dokument
// attribute and 0..kRegisterMaxFields feld elements whose names are XML NCNames (ASCII letters,
// digits, '_', '-', '.'; not starting with a digit, '-' or '.'; at most 64 characters) and whose
// values are at most kRegisterMaxValueBytes; not_found forbids a nachweis.
[[nodiscard]] RegisterAnswerParse parse_register_answer(std::string_view xml);

// True when `name` is an NCName in the sense of parse_register_answer.
[[nodiscard]] bool is_register_field_name(std::string_view name) noexcept;

}  // namespace oncegate::message
