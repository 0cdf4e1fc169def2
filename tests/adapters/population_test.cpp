#include "adapters/population/population.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "gateway/routing/idnr.hpp"

namespace {

namespace fs = std::filesystem;
using oncegate::adapters::population::Person;
using oncegate::adapters::population::PopulationError;
namespace population = oncegate::adapters::population;

// ctest may run the tests of this file as parallel processes, hence pid and test name.
class PopulationFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("oncegate-population-" + std::to_string(::getpid()) + "-" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  static std::string slurp(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  static void spit(const fs::path& file, const std::string& content) {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out << content;
  }

  // Writes a valid file of `people` and then appends `extra` verbatim.
  fs::path file_with_extra_line(const std::vector<Person>& people, const std::string& extra) {
    const fs::path file = dir_ / "population.tsv";
    population::write_tsv(file, people);
    spit(file, slurp(file) + extra);
    return file;
  }

  // Expects read_tsv to fail on `line` and returns the message.
  static std::string expect_error_on_line(const fs::path& file, std::size_t line) {
    try {
      (void)population::read_tsv(file);
    } catch (const PopulationError& e) {
      EXPECT_EQ(e.line(), line) << e.what();
      EXPECT_NE(std::string(e.what()).find("line " + std::to_string(line)), std::string::npos)
          << e.what();
      return e.what();
    }
    ADD_FAILURE() << "read_tsv accepted a malformed file";
    return {};
  }

  static std::string to_line(const Person& p) {
    return p.idnr + '\t' + p.familienname + '\t' + p.vornamen + '\t' + p.geburtsname + '\t' +
           p.geschlecht + '\t' + p.geburtsdatum + '\t' + p.geburtsort + '\t' + p.geburtsort_ags +
           '\t' + p.strasse + '\t' + p.hausnummer + '\t' + p.postleitzahl + '\t' + p.wohnort +
           '\t' + p.wohnort_ags + '\t' + p.einzugsdatum + '\n';
  }

  fs::path dir_;
};

bool digits(const std::string& text, std::size_t length) {
  if (text.size() != length) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool valid_date(const std::string& text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  if (!digits(text.substr(0, 4), 4) || !digits(text.substr(5, 2), 2) ||
      !digits(text.substr(8, 2), 2)) {
    return false;
  }
  const std::chrono::year_month_day date{std::chrono::year{std::stoi(text.substr(0, 4))},
                                         std::chrono::month{unsigned(std::stoi(text.substr(5, 2)))},
                                         std::chrono::day{unsigned(std::stoi(text.substr(8, 2)))}};
  return date.ok();
}

TEST(PopulationGenerate, SameSeedGivesSamePeople) {
  const auto first = population::generate(2024, 500);
  const auto second = population::generate(2024, 500);
  ASSERT_EQ(first.size(), 500U);
  EXPECT_EQ(first, second);
}

// Pins the exact output so that a change of platform, standard library or compiler that altered
// the generated people (and with them every sample register) fails here rather than silently.
TEST(PopulationGenerate, OutputIsPinned) {
  std::uint64_t hash = 0xCBF29CE484222325ULL;  // FNV-1a
  for (const Person& p : population::generate(1, 200)) {
    for (const std::string* field :
         {&p.idnr, &p.familienname, &p.vornamen, &p.geburtsname, &p.geschlecht, &p.geburtsdatum,
          &p.geburtsort, &p.geburtsort_ags, &p.strasse, &p.hausnummer, &p.postleitzahl,
          &p.wohnort, &p.wohnort_ags, &p.einzugsdatum}) {
      for (unsigned char c : *field) hash = (hash ^ c) * 0x100000001B3ULL;
      hash = (hash ^ 0xFFU) * 0x100000001B3ULL;
    }
  }
  EXPECT_EQ(hash, 0xA9C2965CEFBB5518ULL) << std::hex << hash;
}

TEST(PopulationGenerate, SmallerCountIsPrefix) {
  const auto small = population::generate(7, 100);
  const auto large = population::generate(7, 500);
  ASSERT_EQ(small.size(), 100U);
  EXPECT_TRUE(std::equal(small.begin(), small.end(), large.begin()));
}

TEST(PopulationGenerate, DifferentSeedsGiveDifferentPeople) {
  const auto a = population::generate(1, 50);
  const auto b = population::generate(2, 50);
  EXPECT_NE(a, b);
  EXPECT_NE(a.front().idnr, b.front().idnr);
}

TEST(PopulationGenerate, ZeroCountIsEmpty) { EXPECT_TRUE(population::generate(5, 0).empty()); }

TEST(PopulationGenerate, IdnrsAreValidAndUnique) {
  const auto people = population::generate(11, 5000);
  std::set<std::string> seen;
  for (const Person& p : people) {
    EXPECT_TRUE(oncegate::routing::is_valid_idnr(p.idnr)) << p.idnr;
    EXPECT_TRUE(seen.insert(p.idnr).second) << "duplicate " << p.idnr;
  }
}

TEST(PopulationGenerate, FieldsArePlausible) {
  const auto people = population::generate(3, 2000);
  std::size_t niedersachsen = 0;
  std::size_t bremen = 0;
  std::size_t other_birth_land = 0;
  for (const Person& p : people) {
    EXPECT_FALSE(p.familienname.empty());
    EXPECT_FALSE(p.vornamen.empty());
    EXPECT_FALSE(p.geburtsname.empty());
    EXPECT_FALSE(p.strasse.empty());
    EXPECT_FALSE(p.hausnummer.empty());
    EXPECT_FALSE(p.wohnort.empty());
    EXPECT_FALSE(p.geburtsort.empty());
    EXPECT_TRUE(p.geschlecht == "maennlich" || p.geschlecht == "weiblich" ||
                p.geschlecht == "divers")
        << p.geschlecht;
    EXPECT_TRUE(valid_date(p.geburtsdatum)) << p.geburtsdatum;
    EXPECT_TRUE(valid_date(p.einzugsdatum)) << p.einzugsdatum;
    EXPECT_GE(p.geburtsdatum, "1930-01-01");
    EXPECT_LE(p.geburtsdatum, "2008-12-31");
    EXPECT_GT(p.einzugsdatum, p.geburtsdatum);  // ISO dates compare as strings
    EXPECT_TRUE(digits(p.geburtsort_ags, 8)) << p.geburtsort_ags;
    EXPECT_TRUE(digits(p.wohnort_ags, 8)) << p.wohnort_ags;
    EXPECT_TRUE(digits(p.postleitzahl, 5)) << p.postleitzahl;

    // Adults (18th birthday before the einzugsdatum range ends) moved in after turning 18.
    const std::string eighteenth =
        std::to_string(std::stoi(p.geburtsdatum.substr(0, 4)) + 18) + p.geburtsdatum.substr(4);
    if (eighteenth <= "2025-06-30") {
      EXPECT_GE(p.einzugsdatum, eighteenth);
    }

    if (p.wohnort_ags.starts_with("03")) ++niedersachsen;
    if (p.wohnort_ags.starts_with("04")) ++bremen;
    if (!p.geburtsort_ags.starts_with("03") && !p.geburtsort_ags.starts_with("04")) {
      ++other_birth_land;
    }
  }
  EXPECT_EQ(niedersachsen + bremen, people.size());
  EXPECT_GT(niedersachsen, people.size() * 75 / 100);
  EXPECT_LT(niedersachsen, people.size() * 85 / 100);
  EXPECT_GT(other_birth_land, 0U);
}

TEST(PopulationGenerate, KnownMunicipalities) {
  const auto people = population::generate(5, 3000);
  std::set<std::string> residences;
  for (const Person& p : people) residences.insert(p.wohnort + "|" + p.wohnort_ags);
  EXPECT_TRUE(residences.contains("Hannover|03241001"));
  EXPECT_TRUE(residences.contains("Osnabrück|03404000"));
  EXPECT_TRUE(residences.contains("Bremen|04011000"));
  EXPECT_TRUE(residences.contains("Bremerhaven|04012000"));
  EXPECT_EQ(residences.size(), 12U);
}

TEST_F(PopulationFileTest, RoundTrip) {
  const auto people = population::generate(42, 500);
  const fs::path file = dir_ / "population.tsv";
  population::write_tsv(file, people);
  EXPECT_EQ(population::read_tsv(file), people);

  // Only the target file remains: the temporary file was renamed, not left behind.
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir_)) ++entries;
  EXPECT_EQ(entries, 1U);

  const std::string content = slurp(file);
  EXPECT_TRUE(content.starts_with("idnr\tfamilienname\tvornamen\t"));
  EXPECT_EQ(std::count(content.begin(), content.end(), '\n'), 501);
}

TEST_F(PopulationFileTest, WriteReplacesExistingFile) {
  const fs::path file = dir_ / "population.tsv";
  population::write_tsv(file, population::generate(1, 20));
  const auto replacement = population::generate(2, 10);
  population::write_tsv(file, replacement);
  EXPECT_EQ(population::read_tsv(file), replacement);
}

TEST_F(PopulationFileTest, CrLfLineEndsAccepted) {
  const auto people = population::generate(9, 20);
  const fs::path file = dir_ / "population.tsv";
  population::write_tsv(file, people);
  std::string content = slurp(file);
  std::string crlf;
  for (char c : content) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  spit(file, crlf);
  EXPECT_EQ(population::read_tsv(file), people);
}

TEST_F(PopulationFileTest, WriteRejectsTabInField) {
  auto people = population::generate(9, 3);
  people[1].strasse = "Haupt\tstraße";
  const fs::path file = dir_ / "population.tsv";
  EXPECT_THROW(population::write_tsv(file, people), PopulationError);
  EXPECT_FALSE(fs::exists(file));
  EXPECT_TRUE(fs::is_empty(dir_));
}

TEST_F(PopulationFileTest, MissingFieldRejectedWithLineNumber) {
  const auto people = population::generate(4, 10);
  Person broken = population::generate(5, 1).front();
  std::string line = to_line(broken);
  line.erase(line.rfind('\t'));  // drop einzugsdatum
  const fs::path file = file_with_extra_line(people, line + "\n");
  const std::string message = expect_error_on_line(file, 12);  // header + 10 people + 1
  EXPECT_NE(message.find("fields"), std::string::npos) << message;
}

TEST_F(PopulationFileTest, InvalidIdnrRejectedWithLineNumber) {
  const auto people = population::generate(4, 10);
  Person broken = population::generate(5, 1).front();
  broken.idnr.back() = broken.idnr.back() == '0' ? '1' : '0';  // wrong check digit
  const fs::path file = file_with_extra_line(people, to_line(broken));
  expect_error_on_line(file, 12);
}

TEST_F(PopulationFileTest, InvalidDateRejectedWithLineNumber) {
  const auto people = population::generate(4, 3);
  Person broken = population::generate(5, 1).front();
  broken.geburtsdatum = "2001-02-29";
  const fs::path file = file_with_extra_line(people, to_line(broken));
  const std::string message = expect_error_on_line(file, 5);
  EXPECT_NE(message.find("geburtsdatum"), std::string::npos) << message;
}

TEST_F(PopulationFileTest, BadAgsAndGeschlechtRejected) {
  const auto people = population::generate(4, 3);
  Person bad_ags = population::generate(5, 1).front();
  bad_ags.wohnort_ags = "0324100";
  expect_error_on_line(file_with_extra_line(people, to_line(bad_ags)), 5);

  Person bad_sex = population::generate(5, 1).front();
  bad_sex.geschlecht = "m";
  expect_error_on_line(file_with_extra_line(people, to_line(bad_sex)), 5);
}

TEST_F(PopulationFileTest, DuplicateIdnrRejected) {
  const auto people = population::generate(4, 5);
  const fs::path file = file_with_extra_line(people, to_line(people[2]));
  const std::string message = expect_error_on_line(file, 7);
  EXPECT_NE(message.find("line 4"), std::string::npos) << message;  // where it first appeared
}

TEST_F(PopulationFileTest, EmptyLineRejected) {
  const auto people = population::generate(4, 5);
  expect_error_on_line(file_with_extra_line(people, "\n" + to_line(people[0])), 7);
}

TEST_F(PopulationFileTest, WrongHeaderRejected) {
  const fs::path file = dir_ / "population.tsv";
  population::write_tsv(file, population::generate(4, 5));
  std::string content = slurp(file);
  content.replace(0, 4, "IDNR");
  spit(file, content);
  expect_error_on_line(file, 1);

  spit(file, "");
  expect_error_on_line(file, 1);
}

TEST_F(PopulationFileTest, MissingFileThrows) {
  EXPECT_THROW((void)population::read_tsv(dir_ / "absent.tsv"), PopulationError);
}

TEST_F(PopulationFileTest, EnsureCreatesOnce) {
  const fs::path file = dir_ / "sub" / "dir" / "population.tsv";
  EXPECT_TRUE(population::ensure_population_file(file, 77, 300));
  ASSERT_TRUE(fs::is_regular_file(file));
  EXPECT_EQ(population::read_tsv(file), population::with_reference_people(population::generate(77, 300)));

  // An existing file is kept as it is, even when asked for a different population.
  const std::string before = slurp(file);
  EXPECT_FALSE(population::ensure_population_file(file, 78, 10));
  EXPECT_EQ(slurp(file), before);
}

TEST_F(PopulationFileTest, EnsureRejectsDirectory) {
  EXPECT_THROW(population::ensure_population_file(dir_, 1, 1), PopulationError);
}

}  // namespace
