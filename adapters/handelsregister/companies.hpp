#pragma once
// The sample Handelsregister's companies: generated from a seed, like the sample population, and
// found the way the register's own search finds them (by name and register number).
//
// Thread safety: generation is free of shared state; a CompanyIndex is immutable after
// construction and find() may be called concurrently.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace oncegate::adapters::handelsregister {

struct Company {
  std::string firma;            // the registered name, e.g. "Meyer Metallbau GmbH"
  std::string rechtsform;       // e.g. "GmbH", "e.K.", "Zweigniederlassung einer ausländischen Gesellschaft"
  std::string registerart;      // "HRA" (sole traders, partnerships) or "HRB" (corporations)
  std::string registernummer;   // digits, unique in the sample
  std::string registergericht;  // e.g. "Amtsgericht Hannover"
  // European Unique Identifier (Directive (EU) 2017/1132 Art. 16): "DE" + court code + "." +
  // register type and number. The court codes of the sample are made up for it.
  std::string euid;
  std::string sitz;             // seat (city)
  std::string anschrift;        // "Straße 1, 30159 Hannover"
  std::string gegenstand;       // object of the business
  std::string vertretung;       // who represents it ("Geschäftsführer: ...", "Inhaber: ...")
  std::string kapital;          // e.g. "25.000,00 EUR"; empty for partnerships
  std::string ersteintragung;   // YYYY-MM-DD
  std::string ust_id;           // VAT identification number, may be empty
};

// Deterministic: the same seed and count give the same companies everywhere; generate(seed, n)
// is a prefix of generate(seed, m) for n <= m. Names repeat across courts, as real ones do.
[[nodiscard]] std::vector<Company> generate_companies(std::uint64_t seed, std::size_t count);

// The company the OOTS reference request names (../shared/reference/oots-edm/): "Sweden ltd",
// VAT SE730757727, as the German branch of a Swedish company.
[[nodiscard]] std::vector<Company> reference_companies();

enum class CompanyOutcome { found, no_match, ambiguous };

struct CompanyMatch {
  CompanyOutcome outcome = CompanyOutcome::no_match;
  const Company* company = nullptr;  // set when found; points into the index's companies
};

class CompanyIndex {
 public:
  explicit CompanyIndex(std::vector<Company> companies);

  // The name is compared as the register compares names (case, diacritics and white space do not
  // matter). Identifiers narrow the candidates: an "EUID" must equal the company's EUID, an
  // "HRA 123"/"HRB 123" register number ("RegisterNumber", "HRN") must equal its own, a "VAT"
  // must equal its VAT number where it has one; other schemes (tax numbers, LEI) are not held by
  // the Handelsregister and are ignored. Exactly one candidate left: found.
  [[nodiscard]] CompanyMatch find(std::string_view legal_name,
                                  const std::vector<std::pair<std::string, std::string>>& identifiers) const;

  [[nodiscard]] const std::vector<Company>& companies() const noexcept { return companies_; }

 private:
  std::vector<Company> companies_;
  std::unordered_multimap<std::string, std::size_t> by_name_;  // normalised name -> index
};

}  // namespace oncegate::adapters::handelsregister
