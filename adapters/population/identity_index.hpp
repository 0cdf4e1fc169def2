#pragma once
// The sample identity-data retrieval and register-location service, built from the generated
// population: what the national services answer, for the embedded default and the benchmarks.
//
// IdentityIndex keeps 16 bytes per person (a 64-bit hash of the normalised family name, given
// names and birth date; the IDNr; a hash of the birth place) sorted by hash, so that 10 million
// people take 160 MB and a match is one binary search. Two people whose keys collide in 64 bits
// would be reported as ambiguous, never confused: with 10 million people the chance that any
// query meets a foreign collision is below 10^-12.
//
// Thread safety: both are immutable once built; lookups may run concurrently.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/population/population.hpp"
#include "gateway/adapter/identity.hpp"

namespace oncegate::adapters::population {

// A name as a German register compares it: lower case; ä ö ü -> ae oe ue, ß -> ss; other Latin
// letters with diacritics -> their base letter; runs of white space -> one space; trimmed.
[[nodiscard]] std::string normalise_name(std::string_view name);

class IdentityIndex final : public IdentityResolver {
 public:
  IdentityIndex() = default;
  explicit IdentityIndex(const std::vector<Person>& people);

  // Building in pieces (benchmarks with millions of generated people): add, then finish once.
  void add(const Person& person);
  void finish();

  [[nodiscard]] IdentityMatch resolve(const IdentityQuery& query) const override;
  [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }

 private:
  struct Entry {
    std::uint64_t key;
    std::uint64_t idnr_and_place;  // IDNr (37 bits) << 24 | 24-bit hash of the birth place
  };
  std::vector<Entry> entries_;
};

// The Melderegister's current address: IDNr -> the Land of wohnort_ags (its first two digits).
class ResidenceLocator final : public LocationService {
 public:
  explicit ResidenceLocator(const std::vector<Person>& people);
  [[nodiscard]] std::optional<std::string> region_of(std::string_view idnr) const override;

 private:
  std::vector<std::pair<std::uint64_t, std::uint8_t>> by_idnr_;  // sorted
};

}  // namespace oncegate::adapters::population
