#include "gateway/message/error_code.hpp"

namespace oncegate::message {

std::string_view code_name(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::xml_malformed: return "XML_MALFORMED";
    case ErrorCode::schema_invalid: return "SCHEMA_INVALID";
    case ErrorCode::idnr_invalid: return "IDNR_INVALID";
    case ErrorCode::no_register: return "NO_REGISTER";
    case ErrorCode::not_found: return "NOT_FOUND";
    case ErrorCode::register_unavailable: return "REGISTER_UNAVAILABLE";
    case ErrorCode::timeout: return "TIMEOUT";
    case ErrorCode::too_large: return "TOO_LARGE";
    case ErrorCode::bad_request: return "BAD_REQUEST";
    case ErrorCode::unsupported_media_type: return "UNSUPPORTED_MEDIA_TYPE";
    case ErrorCode::method_not_allowed: return "METHOD_NOT_ALLOWED";
    case ErrorCode::unknown_endpoint: return "UNKNOWN_ENDPOINT";
    case ErrorCode::overloaded: return "OVERLOADED";
    case ErrorCode::shutting_down: return "SHUTTING_DOWN";
    case ErrorCode::internal_error: return "INTERNAL_ERROR";
    case ErrorCode::unknown_authority: return "UNKNOWN_AUTHORITY";
    case ErrorCode::author_mismatch: return "AUTHOR_MISMATCH";
    case ErrorCode::signature_invalid: return "SIGNATURE_INVALID";
    case ErrorCode::stale: return "STALE";
    case ErrorCode::replay: return "REPLAY";
    case ErrorCode::not_permitted: return "NOT_PERMITTED";
    case ErrorCode::log_unavailable: return "LOG_UNAVAILABLE";
    case ErrorCode::not_implemented: return "NOT_IMPLEMENTED";
    case ErrorCode::expectation_failed: return "EXPECTATION_FAILED";
    case ErrorCode::unsupported_capability: return "UNSUPPORTED_CAPABILITY";
    case ErrorCode::rate_limited: return "RATE_LIMITED";
    case ErrorCode::time_invalid: return "TIME_INVALID";
    case ErrorCode::wrong_recipient: return "WRONG_RECIPIENT";
    case ErrorCode::replay_window_unavailable: return "REPLAY_WINDOW_UNAVAILABLE";
  }
  return "INTERNAL_ERROR";
}

unsigned http_status(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::unknown_authority:
    case ErrorCode::author_mismatch:
    case ErrorCode::signature_invalid:
    case ErrorCode::not_permitted: return 403;
    case ErrorCode::replay: return 409;
    case ErrorCode::stale:
    case ErrorCode::time_invalid:
    case ErrorCode::xml_malformed:
    case ErrorCode::schema_invalid:
    case ErrorCode::idnr_invalid:
    case ErrorCode::bad_request: return 400;
    case ErrorCode::no_register:
    case ErrorCode::not_found:
    case ErrorCode::unknown_endpoint: return 404;
    case ErrorCode::method_not_allowed: return 405;
    case ErrorCode::wrong_recipient: return 421;
    case ErrorCode::too_large: return 413;
    case ErrorCode::unsupported_media_type: return 415;
    case ErrorCode::register_unavailable: return 502;
    case ErrorCode::overloaded:
    case ErrorCode::log_unavailable:
    case ErrorCode::replay_window_unavailable:
    case ErrorCode::shutting_down: return 503;
    case ErrorCode::timeout: return 504;
    case ErrorCode::internal_error: return 500;
    case ErrorCode::not_implemented: return 501;
    case ErrorCode::expectation_failed: return 417;
    case ErrorCode::unsupported_capability: return 422;
    case ErrorCode::rate_limited: return 429;
  }
  return 500;
}

}  // namespace oncegate::message
