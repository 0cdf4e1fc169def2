#include "adapters/handelsregister/companies.hpp"

#include <array>
#include <cctype>
#include <cstdio>

#include "adapters/population/identity_index.hpp"
#include "adapters/population/random.hpp"

namespace oncegate::adapters::handelsregister {

namespace {

using population::Random;

struct Court {
  std::string_view city;
  std::string_view postleitzahl;
  std::string_view court;
  std::string_view code;  // made up for the sample; real EUIDs carry the court's own code
};

constexpr std::array<Court, 10> kSeats{{
    {"Hannover", "30159", "Amtsgericht Hannover", "N3201"},
    {"Braunschweig", "38100", "Amtsgericht Braunschweig", "N3101"},
    {"Wolfsburg", "38440", "Amtsgericht Braunschweig", "N3101"},
    {"Göttingen", "37073", "Amtsgericht Göttingen", "N3301"},
    {"Oldenburg", "26122", "Amtsgericht Oldenburg", "N3401"},
    {"Osnabrück", "49074", "Amtsgericht Osnabrück", "N3501"},
    {"Lüneburg", "21335", "Amtsgericht Lüneburg", "N3601"},
    {"Hildesheim", "31134", "Amtsgericht Hildesheim", "N3701"},
    {"Bremen", "28195", "Amtsgericht Bremen", "H0401"},
    {"Bremerhaven", "27568", "Amtsgericht Bremen", "H0401"},
}};

constexpr std::array<std::string_view, 30> kSurnames{
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber",  "Meyer",    "Wagner", "Becker", "Schulz",  "Hoffmann",
    "Koch",   "Richter", "Klein",     "Wolf",    "Schröder", "Neumann", "Schwarz", "Braun", "Hofmann", "Zimmermann",
    "Krüger", "Hartmann", "Lange",    "Werner",  "Krause", "Lehmann",  "Köhler", "Peters", "Jansen",  "Ahrens"};

constexpr std::array<std::string_view, 16> kGivenNames{"Anna",  "Jan",   "Katrin", "Michael", "Sabine", "Thomas",
                                                       "Petra", "Lukas", "Eva",    "Stefan",  "Julia",  "Frank",
                                                       "Maria", "Tobias", "Ines",  "Hauke"};

struct Branch {
  std::string_view name;
  std::string_view gegenstand;
};

constexpr std::array<Branch, 16> kBranches{{
    {"Metallbau", "Herstellung und Montage von Metallkonstruktionen"},
    {"Elektrotechnik", "Planung und Ausführung elektrotechnischer Anlagen"},
    {"Immobilien", "Erwerb, Verwaltung und Vermietung von Grundbesitz"},
    {"Logistik", "Transport und Lagerung von Gütern aller Art"},
    {"Software", "Entwicklung und Vertrieb von Software sowie Beratung"},
    {"Gartenbau", "Garten- und Landschaftsbau"},
    {"Maschinenbau", "Konstruktion und Herstellung von Sondermaschinen"},
    {"Holzbau", "Zimmerei und Holzbau"},
    {"Haustechnik", "Sanitär-, Heizungs- und Klimatechnik"},
    {"Druck", "Druck und Weiterverarbeitung von Drucksachen"},
    {"Reisen", "Vermittlung und Veranstaltung von Reisen"},
    {"Automobile", "Handel mit Kraftfahrzeugen und deren Instandsetzung"},
    {"Handel", "Groß- und Einzelhandel mit Waren aller Art"},
    {"Consulting", "Unternehmensberatung"},
    {"Bedachungen", "Dachdeckerei und Bauklempnerei"},
    {"Medizintechnik", "Entwicklung und Vertrieb medizintechnischer Geräte"},
}};

constexpr std::array<std::string_view, 12> kStreets{"Hauptstraße", "Bahnhofstraße", "Industriestraße", "Am Markt",
                                                    "Gewerbering",  "Lindenallee",   "Hafenstraße",     "Mühlenweg",
                                                    "Kirchplatz",   "Schillerstraße", "Am Kanal",       "Nordring"};

enum class Form { gmbh, ug, ag, ek, ohg, kg };

struct FormFacts {
  Form form;
  std::string_view suffix;
  std::string_view registerart;
  unsigned weight;
};

constexpr std::array<FormFacts, 6> kForms{{
    {Form::gmbh, "GmbH", "HRB", 55},
    {Form::ug, "UG (haftungsbeschränkt)", "HRB", 10},
    {Form::ag, "AG", "HRB", 5},
    {Form::ek, "e.K.", "HRA", 15},
    {Form::ohg, "OHG", "HRA", 5},
    {Form::kg, "GmbH & Co. KG", "HRA", 10},
}};

const FormFacts& pick_form(Random& random) {
  unsigned total = 0;
  for (const auto& f : kForms) total += f.weight;
  auto ticket = static_cast<unsigned>(random.below(total));
  for (const auto& f : kForms) {
    if (ticket < f.weight) return f;
    ticket -= f.weight;
  }
  return kForms.front();
}

std::string euro(std::uint64_t amount) {
  std::string digits = std::to_string(amount);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i != 0 && (digits.size() - i) % 3 == 0) out += '.';
    out += digits[i];
  }
  return out + ",00 EUR";
}

std::string person_name(Random& random) {
  return std::string(random.pick(kGivenNames)) + " " + std::string(random.pick(kSurnames));
}

std::string date_text(Random& random) {
  char text[11];
  std::snprintf(text, sizeof text, "%04d-%02d-%02d", static_cast<int>(random.between(1990, 2024)),
                static_cast<int>(random.between(1, 12)), static_cast<int>(random.between(1, 28)));
  return text;
}

Company make_company(Random& random, std::size_t number) {
  const Court& seat = random.pick(kSeats);
  const std::string_view surname = random.pick(kSurnames);
  const Branch& branch = random.pick(kBranches);
  const FormFacts& form = pick_form(random);
  Company c;
  c.firma = std::string(surname) + " " + std::string(branch.name) + " " + std::string(form.suffix);
  c.rechtsform = std::string(form.suffix);
  c.registerart = std::string(form.registerart);
  c.registernummer = std::to_string(10001 + number);
  c.registergericht = std::string(seat.court);
  c.euid = "DE" + std::string(seat.code) + "." + c.registerart + c.registernummer;
  c.sitz = std::string(seat.city);
  c.anschrift = std::string(random.pick(kStreets)) + " " + std::to_string(random.between(1, 120)) + ", " +
                std::string(seat.postleitzahl) + " " + std::string(seat.city);
  c.gegenstand = std::string(branch.gegenstand);
  switch (form.form) {
    case Form::gmbh:
      c.vertretung = "Geschäftsführer: " + person_name(random);
      c.kapital = euro(25'000 * static_cast<std::uint64_t>(random.between(1, 20)));
      break;
    case Form::ug:
      c.vertretung = "Geschäftsführer: " + person_name(random);
      c.kapital = euro(static_cast<std::uint64_t>(random.between(1, 24)) * 1'000);
      break;
    case Form::ag:
      c.vertretung = "Vorstand: " + person_name(random) + ", " + person_name(random);
      c.kapital = euro(50'000 * static_cast<std::uint64_t>(random.between(1, 40)));
      break;
    case Form::ek:
      c.vertretung = "Inhaber: " + std::string(random.pick(kGivenNames)) + " " + std::string(surname);
      break;
    case Form::ohg:
      c.vertretung = "Persönlich haftende Gesellschafter: " + person_name(random) + ", " + person_name(random);
      break;
    case Form::kg:
      c.vertretung = "Persönlich haftende Gesellschafterin: " + std::string(surname) + " Verwaltungs GmbH";
      c.kapital = euro(static_cast<std::uint64_t>(random.between(1, 50)) * 10'000) + " (Kommanditeinlagen)";
      break;
  }
  c.ersteintragung = date_text(random);
  if (random.per_mille(600)) {
    char vat[12];
    std::snprintf(vat, sizeof vat, "%09llu", static_cast<unsigned long long>(100'000'000 + random.below(900'000'000)));
    c.ust_id = std::string("DE") + vat;
  }
  return c;
}

// Identifiers as registers write them: upper case, no white space.
std::string compact(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c)) == 0) out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

bool scheme_is(std::string_view scheme, std::string_view name) {
  if (scheme.size() != name.size()) return false;
  for (std::size_t i = 0; i < scheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(scheme[i])) != std::tolower(static_cast<unsigned char>(name[i]))) return false;
  }
  return true;
}

// Whether the identifier speaks against the company. Schemes the Handelsregister does not hold
// never do.
bool contradicts(const Company& company, std::string_view scheme, std::string_view value) {
  const std::string given = compact(value);
  if (scheme_is(scheme, "EUID")) return given != compact(company.euid);
  if (scheme_is(scheme, "RegisterNumber") || scheme_is(scheme, "HRN")) {
    return given != company.registerart + company.registernummer;
  }
  if (scheme_is(scheme, "VAT") || scheme_is(scheme, "VATRegistration")) {
    return !company.ust_id.empty() && given != company.ust_id;
  }
  return false;
}

}  // namespace

std::vector<Company> generate_companies(std::uint64_t seed, std::size_t count) {
  std::vector<Company> out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    // One stream per company, so that a prefix stays a prefix whatever the count.
    Random random(seed ^ (0xC0FFEEULL + i * 0x9E3779B97F4A7C15ULL));
    out.push_back(make_company(random, i));
  }
  return out;
}

std::vector<Company> reference_companies() {
  Company sweden;
  sweden.firma = "Sweden ltd";
  sweden.rechtsform = "Zweigniederlassung einer ausländischen Gesellschaft (Private limited company, Schweden)";
  sweden.registerart = "HRB";
  sweden.registernummer = "9990001";
  sweden.registergericht = "Amtsgericht Hannover";
  sweden.euid = "DEN3201.HRB9990001";
  sweden.sitz = "Hannover";
  sweden.anschrift = "Prinzenstraße 15, 30159 Hannover";
  sweden.gegenstand = "Vertrieb von Waren der Hauptniederlassung in Stockholm";
  sweden.vertretung = "Ständiger Vertreter: Lars Lindqvist";
  sweden.ersteintragung = "2019-04-01";
  sweden.ust_id = "SE730757727";
  return {sweden};
}

CompanyIndex::CompanyIndex(std::vector<Company> companies) : companies_(std::move(companies)) {
  by_name_.reserve(companies_.size());
  for (std::size_t i = 0; i < companies_.size(); ++i) by_name_.emplace(population::normalise_name(companies_[i].firma), i);
}

CompanyMatch CompanyIndex::find(std::string_view legal_name,
                                const std::vector<std::pair<std::string, std::string>>& identifiers) const {
  CompanyMatch match;
  const auto [first, last] = by_name_.equal_range(population::normalise_name(legal_name));
  std::size_t candidates = 0;
  for (auto it = first; it != last; ++it) {
    const Company& company = companies_[it->second];
    bool fits = true;
    for (const auto& [scheme, value] : identifiers) {
      if (contradicts(company, scheme, value)) {
        fits = false;
        break;
      }
    }
    if (!fits) continue;
    ++candidates;
    match.company = &company;
  }
  if (candidates == 1) {
    match.outcome = CompanyOutcome::found;
  } else {
    match.outcome = candidates == 0 ? CompanyOutcome::no_match : CompanyOutcome::ambiguous;
    match.company = nullptr;
  }
  return match;
}

}  // namespace oncegate::adapters::handelsregister
