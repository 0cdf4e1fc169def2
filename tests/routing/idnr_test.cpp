// Unit tests for the IDNr rules (gateway/routing/idnr.hpp).
//
// Besides example- and rule-based tests, check_idnr is cross-checked against an independent,
// deliberately naive reference implementation written directly from the rules:
//  - 11 characters, all '0'..'9', first not '0';
//  - the multiset of digit counts over digits 1..10 is {2,1,1,1,1,1,1,1,1} or {3,1,1,1,1,1,1,1};
//  - no digit stands three times in a row within digits 1..10;
//  - ISO 7064 MOD 11,10 in its *verification* form: running the recurrence over all 11 digits
//    must end in a residue of 1 (the implementation computes the check digit instead).

#include "gateway/routing/idnr.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace {

using oncegate::routing::check_idnr;
using oncegate::routing::describe;
using oncegate::routing::generate_idnr;
using oncegate::routing::idnr_check_digit;
using oncegate::routing::IdnrError;
using oncegate::routing::is_valid_idnr;

// ----------------------------------------------------------------------------------------------
// Reference implementation (independent of the code under test).

// The reference works on raw characters: the cross-checks run it millions of times in
// unoptimised sanitizer builds.
bool ref_mod11_10_verifies(std::string_view number) {
  // ISO 7064 MOD 11,10 verification: P0 = 10; S_j = (P_{j-1} + a_j) mod 10, with 0 taken as
  // 10; P_j = 2 * S_j mod 11. A number including its check digit is valid when the last
  // (P + a) mod 10 equals 1.
  const char* s = number.data();
  int p = 10;
  for (int i = 0; i < 10; ++i) {
    int sum = (p + (s[i] - '0')) % 10;
    if (sum == 0) sum = 10;
    p = (sum * 2) % 11;
  }
  return (p + (s[10] - '0')) % 10 == 1;
}

// The check digit found by trying all ten candidates against the verification form.
int ref_check_digit(std::string_view first_ten) {
  char s[11];
  for (int i = 0; i < 10; ++i) s[i] = first_ten.data()[i];
  for (char c = '0'; c <= '9'; ++c) {
    s[10] = c;
    if (ref_mod11_10_verifies(std::string_view(s, 11))) return c - '0';
  }
  return -1;  // cannot happen: exactly one candidate verifies
}

IdnrError ref_check(std::string_view number) {
  if (number.size() != 11) return IdnrError::wrong_length;
  const char* s = number.data();
  for (int i = 0; i < 11; ++i) {
    if (!(s[i] >= '0' && s[i] <= '9')) return IdnrError::not_digits;
  }
  if (s[0] == '0') return IdnrError::leading_zero;
  // Exactly one digit twice and eight others once means nine distinct digits with a highest
  // count of 2; exactly one digit three times means eight distinct digits with a highest count
  // of 3. Every other distribution of ten digits is refused.
  int count[10] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  for (int i = 0; i < 10; ++i) ++count[s[i] - '0'];
  int distinct = 0;
  int highest = 0;
  for (int n : count) {
    distinct += n > 0 ? 1 : 0;
    highest = n > highest ? n : highest;
  }
  if (!((highest == 2 && distinct == 9) || (highest == 3 && distinct == 8))) {
    return IdnrError::digit_frequency;
  }
  for (int i = 0; i + 2 < 10; ++i) {
    if (s[i] == s[i + 1] && s[i + 1] == s[i + 2]) return IdnrError::triple_run;
  }
  if (!ref_mod11_10_verifies(number)) return IdnrError::check_digit;
  return IdnrError::ok;
}

// Appends the correct check digit to ten digits.
std::string with_check_digit(std::string first_ten) {
  first_ten.push_back(static_cast<char>('0' + ref_check_digit(first_ten)));
  return first_ten;
}

// A splitmix64 stream independent of the generator's own state handling.
struct Rng {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
};

const std::array<IdnrError, 7> kAllErrors{IdnrError::ok,           IdnrError::wrong_length,
                                          IdnrError::not_digits,   IdnrError::leading_zero,
                                          IdnrError::digit_frequency, IdnrError::triple_run,
                                          IdnrError::check_digit};

// ----------------------------------------------------------------------------------------------
// The reference itself must agree with the brief's examples, or the cross-checks prove nothing.

TEST(IdnrReference, AgreesWithTheBriefsExamples) {
  EXPECT_EQ(ref_check("36574261809"), IdnrError::ok);
  EXPECT_EQ(ref_check("86095742719"), IdnrError::ok);
  EXPECT_EQ(ref_check("36574261890"), IdnrError::check_digit);
  EXPECT_EQ(ref_check("36554266806"), IdnrError::digit_frequency);
  EXPECT_EQ(ref_check("12345678903"), IdnrError::digit_frequency);
}

// ----------------------------------------------------------------------------------------------
// Examples from the brief.

TEST(Idnr, ValidExamplesFromTheBrief) {
  EXPECT_EQ(check_idnr("36574261809"), IdnrError::ok);
  EXPECT_EQ(check_idnr("86095742719"), IdnrError::ok);
  EXPECT_TRUE(is_valid_idnr("36574261809"));
  EXPECT_TRUE(is_valid_idnr("86095742719"));
}

TEST(Idnr, InvalidExamplesFromTheBriefWithTheirExactError) {
  EXPECT_EQ(check_idnr("36574261890"), IdnrError::check_digit);
  EXPECT_EQ(check_idnr("36554266806"), IdnrError::digit_frequency);
  EXPECT_EQ(check_idnr("12345678903"), IdnrError::digit_frequency);
  EXPECT_FALSE(is_valid_idnr("36574261890"));
  EXPECT_FALSE(is_valid_idnr("36554266806"));
  EXPECT_FALSE(is_valid_idnr("12345678903"));
}

TEST(Idnr, CheckDigitOfTheExamples) {
  EXPECT_EQ(idnr_check_digit("3657426180"), 9);
  EXPECT_EQ(idnr_check_digit("8609574271"), 9);
  // Only the first ten characters count.
  EXPECT_EQ(idnr_check_digit("36574261809"), 9);
  EXPECT_EQ(idnr_check_digit("36574261800"), 9);
}

TEST(Idnr, CheckDigitAgreesWithTheVerificationFormForAllPrefixesOfASample) {
  Rng rng{42};
  for (int i = 0; i < 20000; ++i) {
    std::string ten;
    for (int j = 0; j < 10; ++j) ten.push_back(static_cast<char>('0' + rng.next() % 10));
    const int digit = idnr_check_digit(ten);
    ASSERT_GE(digit, 0) << ten;
    ASSERT_LE(digit, 9) << ten;
    ASSERT_EQ(digit, ref_check_digit(ten)) << ten;
  }
}

// ----------------------------------------------------------------------------------------------
// One test per rule.

TEST(Idnr, WrongLength) {
  EXPECT_EQ(check_idnr(""), IdnrError::wrong_length);
  EXPECT_EQ(check_idnr("3"), IdnrError::wrong_length);
  EXPECT_EQ(check_idnr("3657426180"), IdnrError::wrong_length);    // 10 digits
  EXPECT_EQ(check_idnr("365742618090"), IdnrError::wrong_length);  // 12 digits
  EXPECT_EQ(check_idnr(" 36574261809"), IdnrError::wrong_length);  // padded
  EXPECT_EQ(check_idnr("36574261809 "), IdnrError::wrong_length);
  // Length is checked before the characters.
  EXPECT_EQ(check_idnr("abcdefghij"), IdnrError::wrong_length);
}

TEST(Idnr, NonDigitCharacters) {
  EXPECT_EQ(check_idnr("3657426180a"), IdnrError::not_digits);
  EXPECT_EQ(check_idnr("a6574261809"), IdnrError::not_digits);
  EXPECT_EQ(check_idnr("36574 61809"), IdnrError::not_digits);
  EXPECT_EQ(check_idnr("3657-261809"), IdnrError::not_digits);
  EXPECT_EQ(check_idnr("+3657426180"), IdnrError::not_digits);
  EXPECT_EQ(check_idnr("365742618/9"), IdnrError::not_digits);  // '/' is '0' - 1
  EXPECT_EQ(check_idnr("365742618:9"), IdnrError::not_digits);  // ':' is '9' + 1
  // Eleven bytes with a multi-byte UTF-8 character; a full-width digit is not a digit.
  EXPECT_EQ(check_idnr("365742618\xC3\xA9"), IdnrError::not_digits);
  EXPECT_EQ(check_idnr("36574261\xEF\xBC\x99"), IdnrError::not_digits);
  // An embedded NUL does not end the number.
  const std::string_view with_nul("36574\0261809", 11);
  EXPECT_EQ(check_idnr(with_nul), IdnrError::not_digits);
  // Characters are checked before the leading zero.
  EXPECT_EQ(check_idnr("0657426180x"), IdnrError::not_digits);
}

TEST(Idnr, LeadingZero) {
  // Otherwise valid: one repeated digit and the correct check digit.
  const std::string number = with_check_digit("0123456788");
  ASSERT_TRUE(ref_mod11_10_verifies(number));
  EXPECT_EQ(check_idnr(number), IdnrError::leading_zero);
  EXPECT_EQ(check_idnr("06574261809"), IdnrError::leading_zero);
  EXPECT_EQ(check_idnr("00000000000"), IdnrError::leading_zero);
  // A zero elsewhere is fine.
  EXPECT_EQ(check_idnr(with_check_digit("1023456788")), IdnrError::ok);
}

TEST(Idnr, NoRepeatedDigitIsRejected) {
  for (const std::string ten : {"1234567890", "9876543210", "1029384756"}) {
    const std::string number = with_check_digit(ten);
    EXPECT_EQ(check_idnr(number), IdnrError::digit_frequency) << number;
  }
}

TEST(Idnr, TwoRepeatedDigitsAreRejected) {
  // Two digits twice each.
  EXPECT_EQ(check_idnr(with_check_digit("1123456788")), IdnrError::digit_frequency);
  EXPECT_EQ(check_idnr(with_check_digit("1213456576")), IdnrError::digit_frequency);
  // One digit three times and another twice.
  EXPECT_EQ(check_idnr(with_check_digit("1213145665")), IdnrError::digit_frequency);
  // Two digits three times each.
  EXPECT_EQ(check_idnr(with_check_digit("1213142324")), IdnrError::digit_frequency);
}

TEST(Idnr, OneDigitFourOrMoreTimesIsRejected) {
  EXPECT_EQ(check_idnr(with_check_digit("1213141567")), IdnrError::digit_frequency);  // four, apart
  EXPECT_EQ(check_idnr(with_check_digit("1111234567")), IdnrError::digit_frequency);  // four, a run
  EXPECT_EQ(check_idnr(with_check_digit("5555555555")), IdnrError::digit_frequency);  // ten
  EXPECT_EQ(check_idnr(with_check_digit("1212121212")), IdnrError::digit_frequency);
}

TEST(Idnr, ExactlyOneDigitTwiceIsValid) {
  // Adjacent and apart, at the start and at the end of the ten digits.
  for (const std::string ten : {"1123456789", "1234567899", "1234567891", "9812345679", "2031456782"}) {
    const std::string number = with_check_digit(ten);
    EXPECT_EQ(check_idnr(number), IdnrError::ok) << number;
  }
}

TEST(Idnr, ATripleRunIsRejected) {
  EXPECT_EQ(check_idnr(with_check_digit("1112345678")), IdnrError::triple_run);  // at the start
  EXPECT_EQ(check_idnr(with_check_digit("2345111678")), IdnrError::triple_run);  // in the middle
  EXPECT_EQ(check_idnr(with_check_digit("2345678111")), IdnrError::triple_run);  // digits 8..10
  // The triple-run rule is checked before the check digit.
  std::string wrong = with_check_digit("1112345678");
  wrong[10] = static_cast<char>('0' + (wrong[10] - '0' + 1) % 10);
  EXPECT_EQ(check_idnr(wrong), IdnrError::triple_run);
}

TEST(Idnr, ATripleNotInARowIsValid) {
  for (const std::string ten : {"1213145678", "1123456781", "1211345678", "9293456789", "9234567899"}) {
    const std::string number = with_check_digit(ten);
    EXPECT_EQ(ref_check(number), IdnrError::ok) << number;
    EXPECT_EQ(check_idnr(number), IdnrError::ok) << number;
  }
}

TEST(Idnr, ARunCompletedByTheCheckDigitIsNotATripleRun) {
  // The run rule covers digits 1..10 only: "...xx" followed by check digit x is valid.
  std::uint64_t state = 7;
  std::string found;
  for (int i = 0; i < 200000 && found.empty(); ++i) {
    std::string number = generate_idnr(state);
    if (number[8] == number[9] && number[9] == number[10]) found = number;
  }
  ASSERT_FALSE(found.empty()) << "no generated number ends in three equal digits";
  EXPECT_EQ(check_idnr(found), IdnrError::ok) << found;
  EXPECT_EQ(ref_check(found), IdnrError::ok) << found;
}

TEST(Idnr, EveryWrongCheckDigitIsRejected) {
  for (const std::string valid : {"36574261809", "86095742719"}) {
    for (char c = '0'; c <= '9'; ++c) {
      std::string number = valid;
      number[10] = c;
      EXPECT_EQ(check_idnr(number), c == valid[10] ? IdnrError::ok : IdnrError::check_digit) << number;
    }
  }
}

TEST(Idnr, DescribeIsNonEmptyAndDistinctForEveryError) {
  std::set<std::string_view> seen;
  for (IdnrError error : kAllErrors) {
    const std::string_view text = describe(error);
    EXPECT_FALSE(text.empty()) << static_cast<int>(error);
    EXPECT_TRUE(seen.insert(text).second) << "duplicate description: " << text;
  }
  // An out-of-range value still gets a text.
  EXPECT_FALSE(describe(static_cast<IdnrError>(200)).empty());
}

// ----------------------------------------------------------------------------------------------
// Cross-checks against the reference.

TEST(IdnrCrossCheck, UniformRandomElevenDigitStrings) {
  Rng rng{0x1D4E5EEDULL};
  std::array<std::size_t, kAllErrors.size()> seen{};
  char s[11];
  constexpr int kStrings = 1'200'000;
  for (int i = 0; i < kStrings; ++i) {
    // Two digits per draw of 64 bits is plenty of randomness and halves the RNG cost.
    std::uint64_t bits = rng.next();
    for (int j = 0; j < 11; ++j) {
      if (j == 6) bits = rng.next();
      s[j] = static_cast<char>('0' + bits % 10);
      bits /= 10;
    }
    const std::string_view candidate(s, 11);
    const IdnrError expected = ref_check(candidate);
    const IdnrError actual = check_idnr(candidate);
    if (actual != expected) {
      FAIL() << candidate << ": check_idnr " << static_cast<int>(actual) << ", reference "
             << static_cast<int>(expected);
    }
    ++seen[static_cast<std::size_t>(actual)];
  }
  // Every outcome except the two impossible here occurred, so the comparison covered them.
  EXPECT_GT(seen[static_cast<std::size_t>(IdnrError::ok)], 0u);
  EXPECT_GT(seen[static_cast<std::size_t>(IdnrError::leading_zero)], 0u);
  EXPECT_GT(seen[static_cast<std::size_t>(IdnrError::digit_frequency)], 0u);
  EXPECT_GT(seen[static_cast<std::size_t>(IdnrError::triple_run)], 0u);
  EXPECT_GT(seen[static_cast<std::size_t>(IdnrError::check_digit)], 0u);
}

TEST(IdnrCrossCheck, NearlyValidRandomStrings) {
  // Uniform strings almost always fail the frequency rule; these are built to be close to
  // valid (a permutation with one or two digits overwritten, random check digit) so that the
  // triple-run and check-digit paths and the valid path are exercised often.
  Rng rng{20261126};
  std::array<std::size_t, kAllErrors.size()> seen{};
  constexpr int kStrings = 500'000;
  for (int i = 0; i < kStrings; ++i) {
    char s[11] = {'0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '0'};
    // Fisher-Yates with 64 bits of randomness for several swaps at a time.
    std::uint64_t shuffle = rng.next();
    for (unsigned k = 9; k > 0; --k) {
      if (k == 4) shuffle = rng.next();
      const unsigned j = static_cast<unsigned>(shuffle % (k + 1));
      shuffle /= (k + 1);
      const char t = s[k];
      s[k] = s[j];
      s[j] = t;
    }
    const std::uint64_t bits = rng.next();
    s[bits % 10] = s[(bits >> 8) % 10];
    if ((bits >> 16) % 2 == 0) s[(bits >> 24) % 10] = s[(bits >> 32) % 10];
    s[10] = static_cast<char>('0' + (bits >> 40) % 10);
    const std::string_view candidate(s, 11);
    const IdnrError expected = ref_check(candidate);
    const IdnrError actual = check_idnr(candidate);
    if (actual != expected) {
      FAIL() << candidate << ": check_idnr " << static_cast<int>(actual) << ", reference "
             << static_cast<int>(expected);
    }
    ++seen[static_cast<std::size_t>(actual)];
  }
  EXPECT_GT(seen[static_cast<std::size_t>(IdnrError::ok)], 10'000u);
  EXPECT_GT(seen[static_cast<std::size_t>(IdnrError::triple_run)], 1'000u);
  EXPECT_GT(seen[static_cast<std::size_t>(IdnrError::check_digit)], 10'000u);
  EXPECT_GT(seen[static_cast<std::size_t>(IdnrError::digit_frequency)], 10'000u);
  EXPECT_GT(seen[static_cast<std::size_t>(IdnrError::leading_zero)], 10'000u);
}

TEST(IdnrCrossCheck, AllSingleDigitMutationsOfValidNumbers) {
  std::vector<std::string> valid{"36574261809", "86095742719"};
  std::uint64_t state = 0xC0FFEE;
  while (valid.size() < 5000) valid.push_back(generate_idnr(state));

  std::size_t mutations = 0;
  for (const std::string& number : valid) {
    ASSERT_EQ(ref_check(number), IdnrError::ok) << number;
    for (std::size_t position = 0; position < 11; ++position) {
      for (char digit = '0'; digit <= '9'; ++digit) {
        if (digit == number[position]) continue;
        std::string mutated = number;
        mutated[position] = digit;
        ++mutations;
        const IdnrError actual = check_idnr(mutated);
        if (position == 10) {
          // Digits 1..10 are untouched, so only the check digit can be wrong, and MOD 11,10
          // detects every single-digit change.
          if (actual != IdnrError::check_digit) {
            FAIL() << number << " -> " << mutated << ": " << static_cast<int>(actual);
          }
          continue;
        }
        const IdnrError expected = ref_check(mutated);
        if (actual != expected) {
          FAIL() << number << " -> " << mutated << ": check_idnr " << static_cast<int>(actual)
                 << ", reference " << static_cast<int>(expected);
        }
        // MOD 11,10 detects every single substitution, so no mutation can still be valid.
        if (actual == IdnrError::ok || expected == IdnrError::ok) {
          FAIL() << number << " -> " << mutated << " passes";
        }
      }
    }
  }
  EXPECT_EQ(mutations, valid.size() * 11 * 9);
}

// ----------------------------------------------------------------------------------------------
// The generator.

TEST(IdnrGenerator, YieldsValidNumbersOfBothShapes) {
  std::uint64_t state = 20261126;
  std::set<std::string> distinct;
  std::size_t with_triple = 0;
  std::size_t with_double = 0;
  constexpr int kCount = 10000;
  for (int i = 0; i < kCount; ++i) {
    const std::string number = generate_idnr(state);
    ASSERT_EQ(number.size(), 11u);
    ASSERT_EQ(ref_check(number), IdnrError::ok) << number;
    ASSERT_EQ(check_idnr(number), IdnrError::ok) << number;
    distinct.insert(number);
    int max_count = 0;
    for (char d = '0'; d <= '9'; ++d) {
      max_count = std::max(max_count, static_cast<int>(std::count(number.begin(), number.begin() + 10, d)));
    }
    (max_count == 3 ? with_triple : with_double) += 1;
  }
  // About 10^10 valid numbers exist; a handful of collisions at most is expected.
  EXPECT_GT(distinct.size(), static_cast<std::size_t>(kCount) - 10);
  EXPECT_GT(with_triple, 1000u);
  EXPECT_GT(with_double, 1000u);
}

TEST(IdnrGenerator, IsDeterministicAndAdvancesTheState) {
  std::uint64_t a = 123456789;
  std::uint64_t b = 123456789;
  std::vector<std::string> first;
  std::vector<std::string> second;
  for (int i = 0; i < 500; ++i) {
    const std::uint64_t before = a;
    first.push_back(generate_idnr(a));
    EXPECT_NE(a, before) << "state not advanced";
    second.push_back(generate_idnr(b));
  }
  EXPECT_EQ(first, second);
  EXPECT_EQ(a, b);
  // Consecutive numbers differ, and a different seed gives a different sequence.
  EXPECT_NE(first[0], first[1]);
  std::uint64_t c = 987654321;
  std::vector<std::string> third;
  for (int i = 0; i < 500; ++i) third.push_back(generate_idnr(c));
  EXPECT_NE(first, third);
}

TEST(IdnrGenerator, SameSeedSameNumberAcrossCalls) {
  // Pinned: the same state always gives the same number (the sample registers depend on it).
  std::uint64_t s1 = 1;
  std::uint64_t s2 = 1;
  const std::string n1 = generate_idnr(s1);
  const std::string n2 = generate_idnr(s2);
  EXPECT_EQ(n1, n2);
  EXPECT_TRUE(is_valid_idnr(n1));
}

}  // namespace
