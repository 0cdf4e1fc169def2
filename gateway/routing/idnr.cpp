#include "gateway/routing/idnr.hpp"

#include <array>

namespace oncegate::routing {

int idnr_check_digit(std::string_view first_ten_digits) noexcept {
  int product = 10;
  for (std::size_t i = 0; i < 10; ++i) {
    int sum = (first_ten_digits[i] - '0' + product) % 10;
    if (sum == 0) sum = 10;
    product = (2 * sum) % 11;
  }
  const int check = 11 - product;
  return check == 10 ? 0 : check;
}

IdnrError check_idnr(std::string_view candidate) noexcept {
  if (candidate.size() != 11) return IdnrError::wrong_length;
  for (char c : candidate) {
    if (c < '0' || c > '9') return IdnrError::not_digits;
  }
  if (candidate[0] == '0') return IdnrError::leading_zero;

  std::array<int, 10> count{};
  for (std::size_t i = 0; i < 10; ++i) ++count[static_cast<std::size_t>(candidate[i] - '0')];
  int repeated_digit = -1;
  for (int d = 0; d < 10; ++d) {
    const int n = count[static_cast<std::size_t>(d)];
    if (n <= 1) continue;
    if (n > 3 || repeated_digit != -1) return IdnrError::digit_frequency;
    repeated_digit = d;
  }
  if (repeated_digit == -1) return IdnrError::digit_frequency;
  if (count[static_cast<std::size_t>(repeated_digit)] == 3) {
    const char r = static_cast<char>('0' + repeated_digit);
    for (std::size_t i = 0; i + 2 < 10; ++i) {
      if (candidate[i] == r && candidate[i + 1] == r && candidate[i + 2] == r) {
        return IdnrError::triple_run;
      }
    }
  }
  if (candidate[10] - '0' != idnr_check_digit(candidate)) return IdnrError::check_digit;
  return IdnrError::ok;
}

std::string_view describe(IdnrError error) noexcept {
  switch (error) {
    case IdnrError::ok: return "valid";
    case IdnrError::wrong_length: return "an IDNr has exactly 11 digits";
    case IdnrError::not_digits: return "an IDNr consists of digits only";
    case IdnrError::leading_zero: return "the first digit of an IDNr is never 0";
    case IdnrError::digit_frequency:
      return "in the first ten digits exactly one digit must occur two or three times";
    case IdnrError::triple_run: return "a digit must not stand three times in a row";
    case IdnrError::check_digit: return "the check digit (digit 11) does not match";
  }
  return "invalid";
}

namespace {
std::uint64_t next_random(std::uint64_t& state) {  // splitmix64
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}
}  // namespace

std::string generate_idnr(std::uint64_t& state) {
  for (;;) {
    // A permutation of the ten digits, then one position overwritten by a copy of another
    // digit (and sometimes a second one), which yields exactly one repeated digit.
    std::array<char, 10> digits{'0', '1', '2', '3', '4', '5', '6', '7', '8', '9'};
    for (std::size_t i = 9; i > 0; --i) {
      const std::size_t j = next_random(state) % (i + 1);
      std::swap(digits[i], digits[j]);
    }
    const std::size_t source = next_random(state) % 10;
    std::size_t target = next_random(state) % 10;
    if (target == source) target = (target + 1) % 10;
    digits[target] = digits[source];
    if (next_random(state) % 4 == 0) {
      std::size_t third = next_random(state) % 10;
      if (third != source && third != target) digits[third] = digits[source];
    }
    std::string idnr(digits.begin(), digits.end());
    idnr.push_back(static_cast<char>('0' + idnr_check_digit(idnr)));
    if (check_idnr(idnr) == IdnrError::ok) return idnr;
  }
}

}  // namespace oncegate::routing
