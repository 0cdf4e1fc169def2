// The sample Handelsregister: generated companies and the register's search by name and
// register number.

#include "adapters/handelsregister/handelsregister.hpp"

#include <optional>
#include <set>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

namespace {

using namespace oncegate::adapters;
using namespace oncegate::adapters::handelsregister;

TEST(CompaniesTest, GenerationIsDeterministicAndAPrefixStaysAPrefix) {
  const auto few = generate_companies(42, 50);
  const auto many = generate_companies(42, 300);
  ASSERT_EQ(few.size(), 50u);
  for (std::size_t i = 0; i < few.size(); ++i) EXPECT_EQ(few[i].euid, many[i].euid);
  EXPECT_EQ(generate_companies(42, 300)[299].firma, many[299].firma);
  EXPECT_NE(generate_companies(43, 50)[0].firma + generate_companies(43, 50)[1].firma, few[0].firma + few[1].firma);
  std::set<std::string> numbers;
  for (const auto& c : many) {
    EXPECT_TRUE(numbers.insert(c.registernummer).second) << c.registernummer;
    EXPECT_TRUE(c.registerart == "HRA" || c.registerart == "HRB");
    EXPECT_TRUE(c.euid.starts_with("DE")) << c.euid;
    EXPECT_TRUE(c.euid.ends_with("." + c.registerart + c.registernummer)) << c.euid;
    EXPECT_EQ(c.registerart == "HRB", !c.kapital.empty() && c.rechtsform != "GmbH & Co. KG") << c.firma;
  }
}

TEST(CompaniesTest, TheRegisterFindsByNameAndTellsRepeatedNamesApartByNumber) {
  auto companies = generate_companies(7, 500);
  for (auto& c : reference_companies()) companies.push_back(c);
  const CompanyIndex index(companies);
  // The reference company, by its name in any case and spacing and its VAT number.
  auto match = index.find("  SWEDEN   Ltd ", {{"TAX", "113123123123123"}, {"VAT", "SE730757727"}});
  ASSERT_EQ(match.outcome, CompanyOutcome::found);
  EXPECT_EQ(match.company->ust_id, "SE730757727");
  EXPECT_EQ(index.find("Sweden ltd", {{"VAT", "SE000000000"}}).outcome, CompanyOutcome::no_match);
  EXPECT_EQ(index.find("Sweden ltd", {{"vat", "se 730 757 727"}}).outcome, CompanyOutcome::found);
  EXPECT_EQ(index.find("Sweden", {}).outcome, CompanyOutcome::no_match);
  // Diacritics as the register compares names.
  for (const auto& c : companies) {
    if (c.firma.find("ü") == std::string::npos) continue;
    std::string folded = c.firma;
    folded.replace(folded.find("ü"), std::string("ü").size(), "ue");
    const auto found = index.find(folded, {{"EUID", c.euid}});
    ASSERT_EQ(found.outcome, CompanyOutcome::found) << folded;
    EXPECT_EQ(found.company->euid, c.euid);
    break;
  }
  // A repeated name: ambiguous alone, found with the EUID or the register number.
  std::optional<std::pair<std::size_t, std::size_t>> twins;
  for (std::size_t i = 0; i < companies.size() && !twins; ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (companies[i].firma == companies[j].firma) {
        twins = std::make_pair(j, i);
        break;
      }
    }
  }
  ASSERT_TRUE(twins);
  const auto& a = companies[twins->first];
  const auto& b = companies[twins->second];
  EXPECT_EQ(index.find(a.firma, {}).outcome, CompanyOutcome::ambiguous);
  EXPECT_EQ(index.find(a.firma, {{"EUID", b.euid}}).company->euid, b.euid);
  EXPECT_EQ(index.find(a.firma, {{"HRN", a.registerart + " " + a.registernummer}}).company->euid, a.euid);
  EXPECT_EQ(index.find(a.firma, {{"EUID", "DEX0000.HRB1"}}).outcome, CompanyOutcome::no_match);
  EXPECT_EQ(index.find(a.firma, {{"LEI", "5299000J2N45DDNE4Y28"}}).outcome, CompanyOutcome::ambiguous);
}

TEST(HandelsregisterAdapterTest, IsConfiguredLikeEveryAdapterAndHoldsNoPersons) {
  boost::asio::io_context io;
  AdapterFactoryRegistry factories;
  register_handelsregister_adapter_type(factories);
  const AdapterContext context{io.get_executor(), "/tmp"};
  EXPECT_THROW((void)factories.create({"hr", "embedded-handelsregister", "HR", {{"companys", "10"}}}, context), AdapterError);
  EXPECT_THROW((void)factories.create({"hr", "embedded-handelsregister", "HR", {{"companies", "-1"}}}, context),
               AdapterError);
  const auto adapter = factories.create({"hr", "embedded-handelsregister", "HR", {{"companies", "20"}}}, context);
  auto& register_ = dynamic_cast<HandelsregisterAdapter&>(*adapter);
  EXPECT_EQ(register_.size(), 21u);  // and the reference company
  EvidenceQuery by_idnr{"12345678903", std::string(kDocument), "", "", "", {}};
  EXPECT_EQ(register_.lookup(by_idnr).status, FetchStatus::not_found);
  EvidenceQuery by_company{"", std::string(kDocument), "", "", "", LegalEntityQuery{"Sweden ltd", {}}};
  std::optional<FetchResult> delivered;
  adapter->fetch(by_company, std::chrono::steady_clock::now() + std::chrono::seconds(1),
                 [&](FetchResult result) { delivered = std::move(result); });
  EXPECT_FALSE(delivered) << "completions are posted, never inline";
  io.run();
  ASSERT_TRUE(delivered);
  ASSERT_EQ(delivered->status, FetchStatus::found);
  EXPECT_EQ(delivered->evidence.document, "handelsregisterauszug");
  EXPECT_EQ(delivered->evidence.fields.front(), (std::pair<std::string, std::string>{"firma", "Sweden ltd"}));
  by_company.evidence_type = "geburtsurkunde";
  EXPECT_EQ(register_.lookup(by_company).status, FetchStatus::not_found);
}

}  // namespace
