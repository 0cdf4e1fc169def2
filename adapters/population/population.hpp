#pragma once
// The sample population behind the embedded registers.
//
// oncegate ships with no real register data. Instead a synthetic but plausible population (German
// names, real municipalities with their Amtlicher Gemeindeschlüssel and postcode, valid IDNrs) is
// generated from a seed and kept as a tab-separated file, which the embedded registers load.
//
// Thread safety: all functions are free of shared state and may be called from any thread; two
// calls writing the same file concurrently leave one complete file behind.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace oncegate::adapters::population {

struct Person {
  std::string idnr;
  std::string familienname;
  std::string vornamen;        // one or two given names, separated by a space
  std::string geburtsname;     // may equal familienname
  std::string geschlecht;      // "maennlich", "weiblich" or "divers"
  std::string geburtsdatum;    // YYYY-MM-DD
  std::string geburtsort;
  std::string geburtsort_ags;  // 8-digit Amtlicher Gemeindeschlüssel
  std::string strasse;
  std::string hausnummer;      // e.g. "17" or "17a"
  std::string postleitzahl;    // 5 digits
  std::string wohnort;
  std::string wohnort_ags;     // 8 digits; the first two are the Land ("03" Niedersachsen, "04" Bremen)
  std::string einzugsdatum;    // YYYY-MM-DD, after birth (after the 18th birthday for adults)

  friend bool operator==(const Person&, const Person&) = default;
};

// A malformed population file or a person that cannot be written. line() is the 1-based line of
// the file (the header is line 1), or 0 when the error concerns no particular line.
class PopulationError : public std::runtime_error {
 public:
  explicit PopulationError(const std::string& message, std::size_t line = 0);
  [[nodiscard]] std::size_t line() const noexcept { return line_; }

 private:
  std::size_t line_;
};

// Deterministic: the same seed and count give the same people on every machine and with every
// standard library (own splitmix64, no <random> distributions, no clock). generate(seed, n) is a
// prefix of generate(seed, m) for n <= m. IDNrs are unique across the population. About 80 % live
// in Niedersachsen, 20 % in Bremen.
[[nodiscard]] std::vector<Person> generate(std::uint64_t seed, std::size_t count);

// The people the OOTS reference requests name (../shared/reference/oots-edm/), with German
// records: John Smith 1970-03-01 (born in Hamburg), John Doe 1978-09-09, Sophie Dupont 1965-11-25,
// Jean Dupont 1992-10-22. Fixed IDNrs that generate() never produces for the same seed (checked
// by with_reference_people).
[[nodiscard]] std::vector<Person> reference_people();

// `people` followed by reference_people(); a reference person whose IDNr is taken already is
// given another valid one.
[[nodiscard]] std::vector<Person> with_reference_people(std::vector<Person> people);

// Tab-separated, one header line (the field names of Person), one person per line, UTF-8, "\n"
// line ends. Written atomically: a temporary file in the same directory, synced, then renamed over
// `file`. Throws PopulationError if a field contains a tab or line break, std::system_error or
// std::filesystem::filesystem_error on I/O failure.
void write_tsv(const std::filesystem::path& file, const std::vector<Person>& people);

// Reads a file written by write_tsv. Accepts "\r\n" line ends. Throws PopulationError with the
// line number on a malformed line (wrong header, wrong field count, invalid IDNr, date, AGS,
// postcode or Geschlecht, empty name, einzugsdatum before birth, duplicate IDNr) and with line 0
// when the file cannot be read.
[[nodiscard]] std::vector<Person> read_tsv(const std::filesystem::path& file);

// Creates `file` (and missing parent directories) with with_reference_people(generate(seed,
// count)) unless it exists;
// returns true if it created it. An existing file is left untouched, whatever it holds. Throws
// PopulationError if `file` exists but is not a regular file.
bool ensure_population_file(const std::filesystem::path& file, std::uint64_t seed,
                            std::size_t count);

}  // namespace oncegate::adapters::population
