#pragma once
// Stable error codes of the national message family. The code names are part of the interface
// contract with requesters: they appear in <fehler><code> and never change meaning.

#include <cstdint>
#include <string_view>

namespace oncegate::message {

enum class ErrorCode : std::uint8_t {
  xml_malformed,           // XML_MALFORMED: body is not well-formed XML
  schema_invalid,          // SCHEMA_INVALID: not a valid message of the schema (incl. DOCTYPE)
  idnr_invalid,            // IDNR_INVALID: the IDNr fails the check-digit / frequency rules
  no_register,             // NO_REGISTER: no register holds this evidence type (or region)
  not_found,               // NOT_FOUND: the register does not know the person
  register_unavailable,    // REGISTER_UNAVAILABLE: the register failed or is unreachable
  timeout,                 // TIMEOUT: the register did not answer within the deadline
  too_large,               // TOO_LARGE: header or body exceeds the configured limit
  bad_request,             // BAD_REQUEST: malformed HTTP
  unsupported_media_type,  // UNSUPPORTED_MEDIA_TYPE: body is not XML
  method_not_allowed,      // METHOD_NOT_ALLOWED
  unknown_endpoint,        // UNKNOWN_ENDPOINT: no such path
  overloaded,              // OVERLOADED: connection limit reached
  shutting_down,           // SHUTTING_DOWN: the gateway is stopping
  internal_error,          // INTERNAL_ERROR: a defect; details only in the operator log
  unknown_authority,       // UNKNOWN_AUTHORITY: TLS client certificate not registered to an authority
  author_mismatch,         // AUTHOR_MISMATCH: nachrichtenkopf/autor is not the TLS authority
  signature_invalid,       // SIGNATURE_INVALID: missing, broken, weak or foreign XML signature
  stale,                   // STALE: erstellungszeitpunkt outside the freshness window
  replay,                  // REPLAY: nachrichtenUUID already seen within the window
  not_permitted,           // NOT_PERMITTED: no permission rule allows this request
  log_unavailable,         // LOG_UNAVAILABLE: the transfer could not be recorded; nothing released
  not_implemented,         // NOT_IMPLEMENTED: a transfer coding other than chunked
  expectation_failed,      // EXPECTATION_FAILED: an Expect other than 100-continue
  unsupported_capability,  // UNSUPPORTED_CAPABILITY: a version, evidence type or format not offered (OOTS)
  rate_limited,            // RATE_LIMITED: over the request rate of the source or the party; retry later
  time_invalid,            // TIME_INVALID: erstellungszeitpunkt without a time zone (or outside 1970-2200)
  wrong_recipient,         // WRONG_RECIPIENT: nachrichtenkopf/leser is not this gateway
  replay_window_unavailable,  // REPLAY_WINDOW_UNAVAILABLE: a cluster's shared replay window is unreachable; retry later
};

[[nodiscard]] std::string_view code_name(ErrorCode code) noexcept;
[[nodiscard]] unsigned http_status(ErrorCode code) noexcept;

}  // namespace oncegate::message
