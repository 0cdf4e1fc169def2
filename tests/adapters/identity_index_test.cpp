// The sample identity-data retrieval and register-location service over generated people.

#include <gtest/gtest.h>

#include "adapters/population/identity_index.hpp"
#include "gateway/routing/idnr.hpp"

namespace population = oncegate::adapters::population;
using oncegate::adapters::IdentityOutcome;
using oncegate::adapters::IdentityQuery;

namespace {

TEST(NormaliseName, AsAGermanRegisterCompares) {
  EXPECT_EQ(population::normalise_name("Müller"), population::normalise_name("MUELLER"));
  EXPECT_EQ(population::normalise_name("Weiß"), "weiss");
  EXPECT_EQ(population::normalise_name("  Hans   Peter "), "hans peter");
  EXPECT_EQ(population::normalise_name("Ève-Marie Dupré"), "eve-marie dupre");
  EXPECT_EQ(population::normalise_name("Ørsted"), "orsted");
  EXPECT_NE(population::normalise_name("Müller"), population::normalise_name("Muller"));
}

TEST(IdentityIndex, FindsTheReferencePeopleByTheirEuData) {
  const auto people = population::with_reference_people(population::generate(20261126, 2000));
  const population::IdentityIndex index(people);
  for (const auto& [family, given, birth] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"Smith", "John", "1970-03-01"}, {"Doe", "John", "1978-09-09"},
           {"Dupont", "Sophie", "1965-11-25"}, {"DUPONT", "jean", "1992-10-22"}}) {
    const auto match = index.resolve(IdentityQuery{family, given, birth, {}});
    ASSERT_EQ(match.outcome, IdentityOutcome::matched) << family << " " << given;
    EXPECT_EQ(oncegate::routing::check_idnr(match.idnr), oncegate::routing::IdnrError::ok);
    const auto person = std::find_if(people.begin(), people.end(), [&](const auto& p) { return p.idnr == match.idnr; });
    ASSERT_NE(person, people.end());
    EXPECT_EQ(population::normalise_name(person->familienname), population::normalise_name(family));
    EXPECT_EQ(person->geburtsdatum, birth);
  }
  EXPECT_EQ(index.resolve(IdentityQuery{"Smith", "John", "1970-03-02", {}}).outcome, IdentityOutcome::no_match);
  EXPECT_EQ(index.resolve(IdentityQuery{"Smith", "Jon", "1970-03-01", {}}).outcome, IdentityOutcome::no_match);
}

TEST(IdentityIndex, UmlautsAndTranscriptionsMatchEachOther) {
  auto people = population::generate(5, 50);
  people[0].familienname = "Müßig";
  people[0].vornamen = "Jörg Peter";
  const population::IdentityIndex index(people);
  const auto match = index.resolve(IdentityQuery{"MUESSIG", "Joerg  Peter", people[0].geburtsdatum, {}});
  ASSERT_EQ(match.outcome, IdentityOutcome::matched);
  EXPECT_EQ(match.idnr, people[0].idnr);
}

TEST(IdentityIndex, SameNameAndBirthDateIsAmbiguousUnlessTheBirthPlaceTellsThemApart) {
  auto people = population::generate(9, 100);
  people[1].familienname = people[0].familienname;
  people[1].vornamen = people[0].vornamen;
  people[1].geburtsdatum = people[0].geburtsdatum;
  people[1].geburtsort = "Hamburg";
  people[0].geburtsort = "Berlin";
  const population::IdentityIndex index(people);
  const IdentityQuery query{people[0].familienname, people[0].vornamen, people[0].geburtsdatum, {}};
  const auto ambiguous = index.resolve(query);
  EXPECT_EQ(ambiguous.outcome, IdentityOutcome::ambiguous);
  EXPECT_TRUE(ambiguous.idnr.empty());
  auto with_place = query;
  with_place.place_of_birth = "Hamburg, Germany";
  const auto told_apart = index.resolve(with_place);
  ASSERT_EQ(told_apart.outcome, IdentityOutcome::matched);
  EXPECT_EQ(told_apart.idnr, people[1].idnr);
  with_place.place_of_birth = "Paris, France";
  EXPECT_EQ(index.resolve(with_place).outcome, IdentityOutcome::ambiguous);
}

TEST(ResidenceLocator, AnswersTheLandOfTheCurrentAddress) {
  const auto people = population::generate(3, 500);
  const population::ResidenceLocator locator(people);
  for (const auto& p : people) {
    const auto region = locator.region_of(p.idnr);
    ASSERT_TRUE(region);
    EXPECT_EQ(*region, p.wohnort_ags.substr(0, 2));
  }
  EXPECT_FALSE(locator.region_of("12345678901"));
  EXPECT_FALSE(locator.region_of("not an idnr"));
}

}  // namespace
