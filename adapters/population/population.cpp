#include "adapters/population/population.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <fstream>
#include <iterator>
#include <optional>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "adapters/population/random.hpp"
#include "gateway/routing/idnr.hpp"

namespace oncegate::adapters::population {

PopulationError::PopulationError(const std::string& message, std::size_t line)
    : std::runtime_error(line == 0 ? message : "line " + std::to_string(line) + ": " + message),
      line_(line) {}

namespace {

using namespace std::string_view_literals;

// ---------------------------------------------------------------------------------------------
// Reference data

struct Municipality {
  std::string_view name;
  std::string_view ags;
  std::string_view postleitzahl;
  std::uint32_t weight;  // roughly the population in thousands, so big cities get more people
};

constexpr std::array<Municipality, 10> kNiedersachsen{{
    {"Hannover", "03241001", "30159", 545},
    {"Braunschweig", "03101000", "38100", 250},
    {"Oldenburg (Oldb)", "03403000", "26122", 170},
    {"Osnabrück", "03404000", "49074", 165},
    {"Wolfsburg", "03103000", "38440", 125},
    {"Göttingen", "03159016", "37073", 118},
    {"Salzgitter", "03102000", "38226", 104},
    {"Hildesheim", "03254021", "31134", 101},
    {"Lüneburg", "03355022", "21335", 77},
    {"Celle", "03351006", "29221", 70},
}};

constexpr std::array<Municipality, 2> kBremen{{
    {"Bremen", "04011000", "28195", 570},
    {"Bremerhaven", "04012000", "27568", 115},
}};

// Birth places outside the residence area; residences are birth places as well.
constexpr std::array<Municipality, 5> kElsewhere{{
    {"Berlin", "11000000", "10117", 3700},
    {"Hamburg", "02000000", "20095", 1900},
    {"München", "09162000", "80331", 1500},
    {"Köln", "05315000", "50667", 1080},
    {"Frankfurt am Main", "06412000", "60311", 760},
}};

constexpr std::array kMaleNames{
    "Peter"sv,   "Michael"sv,   "Thomas"sv,    "Andreas"sv,   "Wolfgang"sv, "Klaus"sv,
    "Jürgen"sv,  "Günter"sv,    "Stefan"sv,    "Christian"sv, "Uwe"sv,      "Werner"sv,
    "Horst"sv,   "Frank"sv,     "Dieter"sv,    "Manfred"sv,   "Bernd"sv,    "Ralf"sv,
    "Jörg"sv,    "Matthias"sv,  "Alexander"sv, "Markus"sv,    "Martin"sv,   "Sebastian"sv,
    "Daniel"sv,  "Jan"sv,       "Tobias"sv,    "Lukas"sv,     "Jonas"sv,    "Leon"sv,
    "Finn"sv,    "Paul"sv,      "Felix"sv,     "Maximilian"sv, "Niklas"sv,  "Tim"sv,
    "Elias"sv,   "Hans"sv,      "Karl"sv,      "Heinz"sv,     "Björn"sv,    "Hauke"sv,
};

constexpr std::array kFemaleNames{
    "Ursula"sv,  "Monika"sv,    "Petra"sv,     "Sabine"sv,    "Renate"sv,   "Helga"sv,
    "Karin"sv,   "Brigitte"sv,  "Ingrid"sv,    "Gisela"sv,    "Andrea"sv,   "Claudia"sv,
    "Susanne"sv, "Birgit"sv,    "Gabriele"sv,  "Christina"sv, "Stefanie"sv, "Nicole"sv,
    "Katharina"sv, "Julia"sv,   "Anna"sv,      "Sandra"sv,    "Melanie"sv,  "Jessica"sv,
    "Laura"sv,   "Lena"sv,      "Lea"sv,       "Sarah"sv,     "Hannah"sv,   "Emma"sv,
    "Mia"sv,     "Sophie"sv,    "Marie"sv,     "Lina"sv,      "Johanna"sv,  "Jutta"sv,
    "Elke"sv,    "Anke"sv,      "Heike"sv,     "Käthe"sv,     "Jördis"sv,   "Frauke"sv,
};

constexpr std::array kFamilyNames{
    "Müller"sv,   "Schmidt"sv,  "Schneider"sv, "Fischer"sv,   "Weber"sv,    "Meyer"sv,
    "Wagner"sv,   "Becker"sv,   "Schulz"sv,    "Hoffmann"sv,  "Schäfer"sv,  "Koch"sv,
    "Bauer"sv,    "Richter"sv,  "Klein"sv,     "Wolf"sv,      "Schröder"sv, "Neumann"sv,
    "Schwarz"sv,  "Zimmermann"sv, "Braun"sv,   "Krüger"sv,    "Hofmann"sv,  "Hartmann"sv,
    "Lange"sv,    "Schmitt"sv,  "Werner"sv,    "Schmitz"sv,   "Krause"sv,   "Meier"sv,
    "Lehmann"sv,  "Schmid"sv,   "Schulze"sv,   "Maier"sv,     "Köhler"sv,   "Herrmann"sv,
    "König"sv,    "Walter"sv,   "Mayer"sv,     "Huber"sv,     "Kaiser"sv,   "Fuchs"sv,
    "Peters"sv,   "Lang"sv,     "Scholz"sv,    "Möller"sv,    "Weiß"sv,     "Jung"sv,
    "Hahn"sv,     "Schubert"sv, "Vogel"sv,     "Friedrich"sv, "Keller"sv,   "Günther"sv,
    "Frank"sv,    "Berger"sv,   "Winkler"sv,   "Roth"sv,      "Janssen"sv,  "Hinrichs"sv,
    "Ahrens"sv,   "Bruns"sv,
};

constexpr std::array kStreets{
    "Hauptstraße"sv,   "Bahnhofstraße"sv,  "Schulstraße"sv,     "Gartenstraße"sv,
    "Dorfstraße"sv,    "Bergstraße"sv,     "Lindenstraße"sv,    "Kirchstraße"sv,
    "Waldstraße"sv,    "Ringstraße"sv,     "Birkenweg"sv,       "Am Markt"sv,
    "Mühlenweg"sv,     "Goethestraße"sv,   "Schillerstraße"sv,  "Rosenstraße"sv,
    "Wiesenstraße"sv,  "Buchenweg"sv,      "Feldstraße"sv,      "Parkstraße"sv,
    "Mozartstraße"sv,  "Kastanienallee"sv, "Lessingstraße"sv,   "Jahnstraße"sv,
    "Breite Straße"sv, "Lange Straße"sv,   "Am Bahnhof"sv,      "Blumenstraße"sv,
    "Tulpenweg"sv,     "Heinrich-Heine-Straße"sv, "Eichendorffstraße"sv, "Fliederweg"sv,
};

constexpr std::array<std::string_view, 14> kHeader{
    "idnr",       "familienname",   "vornamen", "geburtsname", "geschlecht",
    "geburtsdatum", "geburtsort",   "geburtsort_ags", "strasse", "hausnummer",
    "postleitzahl", "wohnort",      "wohnort_ags",    "einzugsdatum",
};

// Fixed instead of "today" so that the population does not depend on when it is generated.
constexpr std::chrono::year_month_day kReferenceDate{std::chrono::year{2025}, std::chrono::June,
                                                     std::chrono::day{30}};
constexpr std::chrono::year_month_day kFirstBirth{std::chrono::year{1930}, std::chrono::January,
                                                  std::chrono::day{1}};
constexpr std::chrono::year_month_day kLastBirth{std::chrono::year{2008}, std::chrono::December,
                                                 std::chrono::day{31}};

// ---------------------------------------------------------------------------------------------
// Randomness

template <std::size_t N>
const Municipality& pick_weighted(Random& random, const std::array<Municipality, N>& places) {
  std::uint64_t total = 0;
  for (const auto& place : places) total += place.weight;
  std::uint64_t ticket = random.below(total);
  for (const auto& place : places) {
    if (ticket < place.weight) return place;
    ticket -= place.weight;
  }
  return places.back();
}

// ---------------------------------------------------------------------------------------------
// Dates

using Days = std::chrono::sys_days;

std::int64_t day_number(std::chrono::year_month_day date) noexcept {
  return Days{date}.time_since_epoch().count();
}

std::string format_date(std::int64_t day) {
  const std::chrono::year_month_day date{Days{std::chrono::days{day}}};
  const int year = static_cast<int>(date.year());
  const unsigned month = static_cast<unsigned>(date.month());
  const unsigned dom = static_cast<unsigned>(date.day());
  std::string out(10, '-');
  out[0] = static_cast<char>('0' + year / 1000);
  out[1] = static_cast<char>('0' + year / 100 % 10);
  out[2] = static_cast<char>('0' + year / 10 % 10);
  out[3] = static_cast<char>('0' + year % 10);
  out[5] = static_cast<char>('0' + month / 10);
  out[6] = static_cast<char>('0' + month % 10);
  out[8] = static_cast<char>('0' + dom / 10);
  out[9] = static_cast<char>('0' + dom % 10);
  return out;
}

bool all_digits(std::string_view text) noexcept {
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Strict YYYY-MM-DD with a real calendar date; returns the day number.
std::optional<std::int64_t> parse_date(std::string_view text) noexcept {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  const auto year_text = text.substr(0, 4);
  const auto month_text = text.substr(5, 2);
  const auto day_text = text.substr(8, 2);
  if (!all_digits(year_text) || !all_digits(month_text) || !all_digits(day_text)) {
    return std::nullopt;
  }
  int year = 0;
  unsigned month = 0;
  unsigned dom = 0;
  std::from_chars(year_text.data(), year_text.data() + year_text.size(), year);
  std::from_chars(month_text.data(), month_text.data() + month_text.size(), month);
  std::from_chars(day_text.data(), day_text.data() + day_text.size(), dom);
  const std::chrono::year_month_day date{std::chrono::year{year}, std::chrono::month{month},
                                         std::chrono::day{dom}};
  if (!date.ok()) return std::nullopt;
  return day_number(date);
}

// ---------------------------------------------------------------------------------------------
// Generation

std::string given_names(Random& random, const std::string& geschlecht) {
  const bool female = geschlecht == "weiblich" || (geschlecht == "divers" && random.per_mille(500));
  auto draw = [&]() { return female ? random.pick(kFemaleNames) : random.pick(kMaleNames); };
  std::string names(draw());
  if (random.per_mille(250)) {
    const std::string_view second = draw();
    if (second != names) {
      names += ' ';
      names += second;
    }
  }
  return names;
}

Person make_person(Random& random, std::string idnr) {
  static const std::int64_t first_birth = day_number(kFirstBirth);
  static const std::int64_t last_birth = day_number(kLastBirth);
  static const std::int64_t reference = day_number(kReferenceDate);

  Person person;
  person.idnr = std::move(idnr);

  const std::uint64_t sex_ticket = random.below(1000);
  person.geschlecht = sex_ticket < 5 ? "divers" : sex_ticket < 505 ? "weiblich" : "maennlich";
  person.vornamen = given_names(random, person.geschlecht);
  person.familienname = random.pick(kFamilyNames);

  const std::int64_t birth = random.between(first_birth, last_birth);
  person.geburtsdatum = format_date(birth);

  // Name changes on marriage are far more common for women; only adults can have married.
  const std::chrono::year_month_day birth_date{Days{std::chrono::days{birth}}};
  const std::int64_t adult_from =
      Days{birth_date + std::chrono::years{18}}.time_since_epoch().count();
  const bool adult = adult_from <= reference;
  const std::uint64_t name_change =
      !adult ? 0 : person.geschlecht == "weiblich" ? 450 : person.geschlecht == "divers" ? 50 : 30;
  person.geburtsname = person.familienname;
  if (random.per_mille(name_change)) {
    const std::string_view other = random.pick(kFamilyNames);
    if (other != person.familienname) person.geburtsname = other;
  }

  const Municipality& residence = random.per_mille(800) ? pick_weighted(random, kNiedersachsen)
                                                         : pick_weighted(random, kBremen);
  person.strasse = random.pick(kStreets);
  person.hausnummer = std::to_string(1 + random.below(random.per_mille(700) ? 40 : 150));
  if (random.per_mille(80)) person.hausnummer += static_cast<char>('a' + random.below(3));
  person.postleitzahl = residence.postleitzahl;
  person.wohnort = residence.name;
  person.wohnort_ags = residence.ags;

  const std::uint64_t birth_ticket = random.below(1000);
  const Municipality* birthplace = &residence;
  if (birth_ticket >= 350) {
    constexpr std::size_t kAll = kNiedersachsen.size() + kBremen.size() + kElsewhere.size();
    const std::size_t index = static_cast<std::size_t>(random.below(kAll));
    if (index < kNiedersachsen.size()) {
      birthplace = &kNiedersachsen[index];
    } else if (index < kNiedersachsen.size() + kBremen.size()) {
      birthplace = &kBremen[index - kNiedersachsen.size()];
    } else {
      birthplace = &kElsewhere[index - kNiedersachsen.size() - kBremen.size()];
    }
  }
  person.geburtsort = birthplace->name;
  person.geburtsort_ags = birthplace->ags;

  // Adults moved in on their own; the later of two draws favours recent moves, as in real
  // Melderegister data. Minors moved in with their family at some point after birth.
  std::int64_t moved_in = 0;
  if (adult) {
    moved_in = std::max(random.between(adult_from, reference), random.between(adult_from, reference));
  } else {
    moved_in = random.between(birth + 1, reference);
  }
  person.einzugsdatum = format_date(moved_in);
  return person;
}

// ---------------------------------------------------------------------------------------------
// TSV

void append_field(std::string& out, std::string_view field, std::size_t person_index,
                  std::string_view name) {
  if (field.find_first_of("\t\r\n") != std::string_view::npos) {
    throw PopulationError("person " + std::to_string(person_index + 1) + ": field '" +
                          std::string(name) + "' contains a tab or line break");
  }
  out.append(field);
}

std::array<const std::string*, 14> fields_of(const Person& p) {
  return {&p.idnr,       &p.familienname,   &p.vornamen, &p.geburtsname, &p.geschlecht,
          &p.geburtsdatum, &p.geburtsort,   &p.geburtsort_ags, &p.strasse, &p.hausnummer,
          &p.postleitzahl, &p.wohnort,      &p.wohnort_ags,    &p.einzugsdatum};
}

std::array<std::string*, 14> fields_of(Person& p) {
  return {&p.idnr,       &p.familienname,   &p.vornamen, &p.geburtsname, &p.geschlecht,
          &p.geburtsdatum, &p.geburtsort,   &p.geburtsort_ags, &p.strasse, &p.hausnummer,
          &p.postleitzahl, &p.wohnort,      &p.wohnort_ags,    &p.einzugsdatum};
}

std::string render(const std::vector<Person>& people) {
  std::string out;
  out.reserve(160 * (people.size() + 1));
  for (std::size_t i = 0; i < kHeader.size(); ++i) {
    if (i != 0) out += '\t';
    out.append(kHeader[i]);
  }
  out += '\n';
  for (std::size_t index = 0; index < people.size(); ++index) {
    const auto fields = fields_of(people[index]);
    for (std::size_t i = 0; i < fields.size(); ++i) {
      if (i != 0) out += '\t';
      append_field(out, *fields[i], index, kHeader[i]);
    }
    out += '\n';
  }
  return out;
}

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

// Unique among processes (pid) and threads of this process (counter), so concurrent writers of
// the same file never share a temporary file.
std::filesystem::path temporary_name(const std::filesystem::path& file) {
  static std::atomic<std::uint64_t> counter{0};
  std::filesystem::path temp = file;
  temp += ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter.fetch_add(1));
  return temp;
}

void write_all(int fd, std::string_view data, const std::filesystem::path& temp) {
  while (!data.empty()) {
    const ::ssize_t written = ::write(fd, data.data(), data.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      throw_errno("cannot write '" + temp.string() + "'");
    }
    data.remove_prefix(static_cast<std::size_t>(written));
  }
}

void check_record(const Person& p, std::size_t line) {
  using routing::IdnrError;
  if (const IdnrError error = routing::check_idnr(p.idnr); error != IdnrError::ok) {
    throw PopulationError("invalid idnr: " + std::string(routing::describe(error)), line);
  }
  const std::array<std::pair<const std::string*, std::string_view>, 7> required{{
      {&p.familienname, "familienname"},
      {&p.vornamen, "vornamen"},
      {&p.geburtsname, "geburtsname"},
      {&p.geburtsort, "geburtsort"},
      {&p.strasse, "strasse"},
      {&p.hausnummer, "hausnummer"},
      {&p.wohnort, "wohnort"},
  }};
  for (const auto& [value, name] : required) {
    if (value->empty()) throw PopulationError("empty " + std::string(name), line);
  }
  if (p.geschlecht != "maennlich" && p.geschlecht != "weiblich" && p.geschlecht != "divers") {
    throw PopulationError("geschlecht must be maennlich, weiblich or divers", line);
  }
  const auto birth = parse_date(p.geburtsdatum);
  if (!birth) throw PopulationError("geburtsdatum is not a valid YYYY-MM-DD date", line);
  const auto moved_in = parse_date(p.einzugsdatum);
  if (!moved_in) throw PopulationError("einzugsdatum is not a valid YYYY-MM-DD date", line);
  if (*moved_in < *birth) throw PopulationError("einzugsdatum lies before geburtsdatum", line);
  if (p.geburtsort_ags.size() != 8 || !all_digits(p.geburtsort_ags)) {
    throw PopulationError("geburtsort_ags must have 8 digits", line);
  }
  if (p.wohnort_ags.size() != 8 || !all_digits(p.wohnort_ags)) {
    throw PopulationError("wohnort_ags must have 8 digits", line);
  }
  if (p.postleitzahl.size() != 5 || !all_digits(p.postleitzahl)) {
    throw PopulationError("postleitzahl must have 5 digits", line);
  }
}

}  // namespace

std::vector<Person> generate(std::uint64_t seed, std::size_t count) {
  Random random(seed);
  // A separate stream for IDNrs, so that redrawing a colliding IDNr does not shift the other
  // attributes of everyone after it.
  std::uint64_t idnr_state = Random(seed ^ 0x6F6E636567617465ULL).next();

  std::vector<Person> people;
  people.reserve(count);
  std::unordered_set<std::string> seen;
  seen.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    std::string idnr = routing::generate_idnr(idnr_state);
    while (!seen.insert(idnr).second) idnr = routing::generate_idnr(idnr_state);
    people.push_back(make_person(random, std::move(idnr)));
  }
  return people;
}

std::vector<Person> reference_people() {
  std::uint64_t state = 0x4F4F5453524546ULL;  // "OOTSREF"
  const auto person = [&state](std::string family, std::string given, std::string sex, std::string birth,
                                std::string place, std::string place_ags, std::string street, std::string number,
                                std::string postcode, std::string town, std::string town_ags, std::string moved_in) {
    return Person{routing::generate_idnr(state), family, given, family, sex, birth, place, place_ags, street,
                  number, postcode, town, town_ags, moved_in};
  };
  return {
      person("Smith", "John", "maennlich", "1970-03-01", "Hamburg", "02000000", "Lindenstraße", "12", "30159",
             "Hannover", "03241001", "2015-04-01"),
      person("Doe", "John", "maennlich", "1978-09-09", "Berlin", "11000000", "Am Markt", "3", "28195", "Bremen",
             "04011000", "2019-10-15"),
      person("Dupont", "Sophie", "weiblich", "1965-11-25", "Köln", "05315000", "Rosenstraße", "7", "28195", "Bremen",
             "04011000", "2001-02-01"),
      person("Dupont", "Jean", "maennlich", "1992-10-22", "Berlin", "11000000", "Goethestraße", "21", "37073",
             "Göttingen", "03159016", "2016-09-01"),
  };
}

std::vector<Person> with_reference_people(std::vector<Person> people) {
  std::unordered_set<std::string> taken;
  taken.reserve(people.size() + 4);
  for (const auto& p : people) taken.insert(p.idnr);
  std::uint64_t state = 0x5245464F4F5453ULL;
  for (auto& reference : reference_people()) {
    while (!taken.insert(reference.idnr).second) reference.idnr = routing::generate_idnr(state);
    people.push_back(std::move(reference));
  }
  return people;
}

void write_tsv(const std::filesystem::path& file, const std::vector<Person>& people) {
  const std::string content = render(people);
  const std::filesystem::path temp = temporary_name(file);
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) throw_errno("cannot create '" + temp.string() + "'");
  const auto discard = [&temp]() noexcept {
    std::error_code ignored;
    std::filesystem::remove(temp, ignored);
  };
  try {
    write_all(fd, content, temp);
    // Without the sync a crash shortly after the rename could leave an empty file in place.
    if (::fsync(fd) != 0) throw_errno("cannot sync '" + temp.string() + "'");
  } catch (...) {
    ::close(fd);
    discard();
    throw;
  }
  if (::close(fd) != 0) {
    const int saved = errno;
    discard();
    throw std::system_error(saved, std::generic_category(), "cannot close '" + temp.string() + "'");
  }
  std::error_code error;
  std::filesystem::rename(temp, file, error);
  if (error) {
    discard();
    throw std::filesystem::filesystem_error("cannot replace population file", temp, file, error);
  }
}

std::vector<Person> read_tsv(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw PopulationError("cannot open population file '" + file.string() + "'");
  const std::string content{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) throw PopulationError("cannot read population file '" + file.string() + "'");

  std::string_view rest = content;
  if (rest.starts_with("\xEF\xBB\xBF")) rest.remove_prefix(3);  // editors add a BOM on save

  std::vector<Person> people;
  std::unordered_map<std::string_view, std::size_t> first_seen;
  std::size_t line_number = 0;
  bool header_seen = false;
  while (!rest.empty()) {
    ++line_number;
    const std::size_t end = rest.find('\n');
    std::string_view line = rest.substr(0, end);
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
    if (line.ends_with('\r')) line.remove_suffix(1);

    std::array<std::string_view, kHeader.size()> fields;
    std::size_t count = 0;
    for (;;) {
      const std::size_t tab = line.find('\t');
      if (count < fields.size()) fields[count] = line.substr(0, tab);
      ++count;
      if (tab == std::string_view::npos) break;
      line.remove_prefix(tab + 1);
    }

    if (!header_seen) {
      if (count != kHeader.size() ||
          !std::equal(fields.begin(), fields.end(), kHeader.begin())) {
        throw PopulationError("header must be the " + std::to_string(kHeader.size()) +
                                  " tab-separated field names starting with 'idnr'",
                              line_number);
      }
      header_seen = true;
      continue;
    }
    if (count != kHeader.size()) {
      throw PopulationError("expected " + std::to_string(kHeader.size()) + " fields, found " +
                                std::to_string(count),
                            line_number);
    }
    Person& person = people.emplace_back();
    const auto targets = fields_of(person);
    for (std::size_t i = 0; i < targets.size(); ++i) targets[i]->assign(fields[i]);
    check_record(person, line_number);
    // Keys view the file content, which outlives the map.
    const auto [it, inserted] = first_seen.emplace(fields[0], line_number);
    if (!inserted) {
      throw PopulationError("duplicate idnr (first on line " + std::to_string(it->second) + ")",
                            line_number);
    }
  }
  if (!header_seen) throw PopulationError("missing header line", 1);
  return people;
}

bool ensure_population_file(const std::filesystem::path& file, std::uint64_t seed,
                            std::size_t count) {
  const auto status = std::filesystem::status(file);
  if (std::filesystem::exists(status)) {
    if (!std::filesystem::is_regular_file(status)) {
      throw PopulationError("population path '" + file.string() + "' is not a regular file");
    }
    return false;
  }
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path());
  write_tsv(file, with_reference_people(generate(seed, count)));
  return true;
}

}  // namespace oncegate::adapters::population
