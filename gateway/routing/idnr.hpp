#pragma once
// The identification number (IDNr, identical to the Steuer-Identifikationsnummer) of a person.
//
// Rules (IDNrG, § 139b AO and the BZSt check-digit specification):
//  - exactly 11 decimal digits, the first digit is not 0;
//  - among digits 1..10 exactly one digit occurs two or three times, every other digit at most
//    once; a digit that occurs three times never stands three times in a row;
//  - digit 11 is the ISO 7064 MOD 11,10 check digit over digits 1..10.
//
// All functions are pure, allocation-free and safe to call from any thread.

#include <cstdint>
#include <string>
#include <string_view>

namespace oncegate::routing {

enum class IdnrError : std::uint8_t {
  ok = 0,
  wrong_length,        // not exactly 11 characters
  not_digits,          // a character outside '0'..'9'
  leading_zero,        // first digit is 0
  digit_frequency,     // not exactly one digit repeated (two or three times), or one more often
  triple_run,          // the triple digit stands three times in a row
  check_digit,         // digit 11 does not match the MOD 11,10 check digit
};

// Returns IdnrError::ok when `candidate` is a well-formed IDNr.
[[nodiscard]] IdnrError check_idnr(std::string_view candidate) noexcept;

[[nodiscard]] inline bool is_valid_idnr(std::string_view candidate) noexcept {
  return check_idnr(candidate) == IdnrError::ok;
}

// A short English explanation of the error, for error messages.
[[nodiscard]] std::string_view describe(IdnrError error) noexcept;

// ISO 7064 MOD 11,10 check digit (0..9) over the first ten digits of `digits`.
// Precondition: digits has at least 10 characters, all '0'..'9' (checked by the caller).
[[nodiscard]] int idnr_check_digit(std::string_view first_ten_digits) noexcept;

// Deterministically derives a valid IDNr from a 64-bit random state. The same state always gives
// the same number; `state` is advanced. Used by the sample-register generator and tests.
[[nodiscard]] std::string generate_idnr(std::uint64_t& state);

}  // namespace oncegate::routing
