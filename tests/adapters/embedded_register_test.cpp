#include "adapters/embedded/embedded_register.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "adapters/population/population.hpp"
#include "gateway/adapter/factory_registry.hpp"
#include "gateway/routing/idnr.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using oncegate::adapters::AdapterConfig;
using oncegate::adapters::AdapterContext;
using oncegate::adapters::AdapterError;
using oncegate::adapters::AdapterFactoryRegistry;
using oncegate::adapters::EvidenceQuery;
using oncegate::adapters::FetchResult;
using oncegate::adapters::FetchStatus;
using oncegate::adapters::RegisterAdapter;
using oncegate::adapters::population::Person;
namespace embedded = oncegate::adapters::embedded;
namespace population = oncegate::adapters::population;

using Fields = std::vector<std::pair<std::string, std::string>>;

class EmbeddedRegisterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("oncegate-embedded-" + std::to_string(::getpid()) + "-" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    data_ = dir_ / "population.tsv";
    people_ = population::generate(20240101, 500);
    population::write_tsv(data_, people_);
    embedded::register_embedded_adapter_types(factories_);
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  std::shared_ptr<RegisterAdapter> make(const std::string& type,
                                        std::map<std::string, std::string> settings) {
    AdapterConfig config{"test-adapter", type, "Testregister", std::move(settings)};
    return factories_.create(config, AdapterContext{io_.get_executor(), dir_.string()});
  }
  std::shared_ptr<RegisterAdapter> make(const std::string& type) {
    return make(type, {{"data", data_.string()}});
  }

  // Fetches and runs the io_context until the completion arrived.
  FetchResult fetch(RegisterAdapter& adapter, const std::string& idnr,
                    const std::string& evidence_type) {
    std::optional<FetchResult> result;
    adapter.fetch(EvidenceQuery{idnr, evidence_type, "", "uuid-1", "", {}},
                  std::chrono::steady_clock::now() + 5s,
                  [&result](FetchResult r) { result = std::move(r); });
    io_.restart();
    io_.run();
    EXPECT_TRUE(result.has_value());
    return result.value_or(FetchResult{});
  }

  const Person& first_in_land(std::string_view land) const {
    for (const Person& p : people_) {
      if (p.wohnort_ags.starts_with(land)) return p;
    }
    throw std::logic_error("no person in Land " + std::string(land));
  }

  std::string unknown_idnr() const {
    std::unordered_set<std::string> known;
    for (const Person& p : people_) known.insert(p.idnr);
    std::uint64_t state = 0xDEADBEEF;
    for (;;) {
      std::string idnr = oncegate::routing::generate_idnr(state);
      if (!known.contains(idnr)) return idnr;
    }
  }

  void expect_rejected(const std::string& type, std::map<std::string, std::string> settings,
                       const std::string& mentioned) {
    try {
      (void)make(type, std::move(settings));
      ADD_FAILURE() << "configuration accepted, expected an error mentioning '" << mentioned
                    << "'";
    } catch (const AdapterError& e) {
      EXPECT_NE(std::string(e.what()).find(mentioned), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("test-adapter"), std::string::npos) << e.what();
    }
  }

  fs::path dir_;
  fs::path data_;
  std::vector<Person> people_;
  AdapterFactoryRegistry factories_;
  boost::asio::io_context io_;
};

TEST_F(EmbeddedRegisterTest, GeburtsurkundeFound) {
  const auto adapter = make("embedded-personenstand");
  EXPECT_EQ(adapter->name(), "test-adapter");
  EXPECT_EQ(adapter->register_name(), "Testregister");

  const Person& p = people_[17];
  const FetchResult result = fetch(*adapter, p.idnr, "geburtsurkunde");
  ASSERT_EQ(result.status, FetchStatus::found) << result.detail;
  EXPECT_EQ(result.evidence.document, "geburtsurkunde");
  const Fields expected{{"familienname", p.familienname}, {"geburtsname", p.geburtsname},
                        {"vornamen", p.vornamen},         {"geschlecht", p.geschlecht},
                        {"geburtsdatum", p.geburtsdatum}, {"geburtsort", p.geburtsort},
                        {"geburtsortSchluessel", p.geburtsort_ags}};
  EXPECT_EQ(result.evidence.fields, expected);
}

TEST_F(EmbeddedRegisterTest, MeldebescheinigungFound) {
  const auto adapter = make("embedded-melderegister");
  const Person& p = people_[321];
  const FetchResult result = fetch(*adapter, p.idnr, "meldebescheinigung");
  ASSERT_EQ(result.status, FetchStatus::found) << result.detail;
  EXPECT_EQ(result.evidence.document, "meldebescheinigung");
  const Fields expected{{"familienname", p.familienname}, {"vornamen", p.vornamen},
                        {"geburtsdatum", p.geburtsdatum}, {"strasse", p.strasse},
                        {"hausnummer", p.hausnummer},     {"postleitzahl", p.postleitzahl},
                        {"wohnort", p.wohnort},           {"gemeindeschluessel", p.wohnort_ags},
                        {"einzugsdatum", p.einzugsdatum}};
  EXPECT_EQ(result.evidence.fields, expected);
}

TEST_F(EmbeddedRegisterTest, EveryPersonIsFound) {
  const auto adapter = make("embedded-melderegister");
  std::size_t found = 0;
  for (const Person& p : people_) {
    adapter->fetch(EvidenceQuery{p.idnr, "meldebescheinigung", "", "", "", {}},
                   std::chrono::steady_clock::now() + 5s, [&found](FetchResult r) {
                     if (r.status == FetchStatus::found) ++found;
                   });
  }
  io_.run();
  EXPECT_EQ(found, people_.size());
}

TEST_F(EmbeddedRegisterTest, UnknownIdnrNotFound) {
  const auto adapter = make("embedded-personenstand");
  const std::string idnr = unknown_idnr();
  const FetchResult result = fetch(*adapter, idnr, "geburtsurkunde");
  EXPECT_EQ(result.status, FetchStatus::not_found);
  EXPECT_TRUE(result.evidence.fields.empty());
  EXPECT_EQ(result.detail.find(idnr), std::string::npos) << "detail must not carry the IDNr";
}

TEST_F(EmbeddedRegisterTest, WrongEvidenceTypeNotFound) {
  const auto melde = make("embedded-melderegister");
  const auto personenstand = make("embedded-personenstand");
  const Person& p = people_[0];
  EXPECT_EQ(fetch(*melde, p.idnr, "geburtsurkunde").status, FetchStatus::not_found);
  EXPECT_EQ(fetch(*personenstand, p.idnr, "meldebescheinigung").status, FetchStatus::not_found);
  EXPECT_EQ(fetch(*personenstand, p.idnr, "").status, FetchStatus::not_found);
}

TEST_F(EmbeddedRegisterTest, RegionFilter) {
  const auto bremen = make("embedded-melderegister", {{"data", data_.string()}, {"region", "04"}});
  const auto niedersachsen =
      make("embedded-melderegister", {{"data", data_.string()}, {"region", "03"}});
  const Person& in_bremen = first_in_land("04");
  const Person& in_niedersachsen = first_in_land("03");

  EXPECT_EQ(fetch(*bremen, in_bremen.idnr, "meldebescheinigung").status, FetchStatus::found);
  EXPECT_EQ(fetch(*bremen, in_niedersachsen.idnr, "meldebescheinigung").status,
            FetchStatus::not_found);
  EXPECT_EQ(fetch(*niedersachsen, in_niedersachsen.idnr, "meldebescheinigung").status,
            FetchStatus::found);
  EXPECT_EQ(fetch(*niedersachsen, in_bremen.idnr, "meldebescheinigung").status,
            FetchStatus::not_found);

  const auto* typed_bremen = dynamic_cast<const embedded::EmbeddedRegister*>(bremen.get());
  const auto* typed_niedersachsen =
      dynamic_cast<const embedded::EmbeddedRegister*>(niedersachsen.get());
  ASSERT_NE(typed_bremen, nullptr);
  ASSERT_NE(typed_niedersachsen, nullptr);
  EXPECT_GT(typed_bremen->size(), 0U);
  EXPECT_GT(typed_niedersachsen->size(), typed_bremen->size());
  EXPECT_EQ(typed_bremen->size() + typed_niedersachsen->size(), people_.size());
}

TEST_F(EmbeddedRegisterTest, HandlerNotCalledInline) {
  const auto adapter = make("embedded-personenstand");
  bool called = false;
  bool on_io_thread = false;
  adapter->fetch(EvidenceQuery{people_[3].idnr, "geburtsurkunde", "", "", "", {}},
                 std::chrono::steady_clock::now() + 5s, [&](FetchResult r) {
                   called = true;
                   on_io_thread = io_.get_executor().running_in_this_thread();
                   EXPECT_EQ(r.status, FetchStatus::found);
                 });
  EXPECT_FALSE(called);
  io_.run();
  EXPECT_TRUE(called);
  EXPECT_TRUE(on_io_thread);
}

TEST_F(EmbeddedRegisterTest, NotFoundAlsoPosted) {
  const auto adapter = make("embedded-personenstand");
  bool called = false;
  adapter->fetch(EvidenceQuery{unknown_idnr(), "geburtsurkunde", "", "", "", {}},
                 std::chrono::steady_clock::now() + 5s, [&](FetchResult) { called = true; });
  EXPECT_FALSE(called);
  io_.run();
  EXPECT_TRUE(called);
}

TEST_F(EmbeddedRegisterTest, LatencyHonouredEvenPastDeadline) {
  const auto adapter =
      make("embedded-personenstand", {{"data", data_.string()}, {"latency_ms", "120"}});
  std::optional<FetchResult> result;
  std::chrono::steady_clock::time_point answered;
  const auto start = std::chrono::steady_clock::now();
  adapter->fetch(EvidenceQuery{people_[5].idnr, "geburtsurkunde", "", "", "", {}}, start + 10ms,
                 [&](FetchResult r) {
                   answered = std::chrono::steady_clock::now();
                   result = std::move(r);
                 });
  io_.run();
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->status, FetchStatus::found);
  EXPECT_GE(answered - start, 120ms);
}

TEST_F(EmbeddedRegisterTest, CompletionOutlivesAdapter) {
  auto adapter = make("embedded-personenstand", {{"data", data_.string()}, {"latency_ms", "5"}});
  std::optional<FetchResult> result;
  adapter->fetch(EvidenceQuery{people_[9].idnr, "geburtsurkunde", "", "", "", {}},
                 std::chrono::steady_clock::now() + 5s,
                 [&](FetchResult r) { result = std::move(r); });
  adapter.reset();
  io_.run();
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->status, FetchStatus::found);
}

TEST_F(EmbeddedRegisterTest, ConcurrentFetches) {
  const auto adapter = make("embedded-melderegister");
  std::atomic<int> found{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < 4; ++t) {
    callers.emplace_back([&, t] {
      for (std::size_t i = static_cast<std::size_t>(t); i < people_.size(); i += 4) {
        adapter->fetch(EvidenceQuery{people_[i].idnr, "meldebescheinigung", "", "", "", {}},
                       std::chrono::steady_clock::now() + 5s, [&found](FetchResult r) {
                         if (r.status == FetchStatus::found) found.fetch_add(1);
                       });
      }
    });
  }
  for (auto& caller : callers) caller.join();
  io_.run();
  EXPECT_EQ(found.load(), static_cast<int>(people_.size()));
}

TEST_F(EmbeddedRegisterTest, AdaptersShareLoadedPopulation) {
  const auto first = embedded::load_shared_population(data_);
  const auto second = embedded::load_shared_population(dir_ / "." / "population.tsv");
  EXPECT_EQ(first.get(), second.get());
  EXPECT_EQ(*first, people_);

  // A rewritten file is read again instead of being served stale from the cache.
  population::write_tsv(data_, population::generate(5, 50));
  const auto third = embedded::load_shared_population(data_);
  EXPECT_NE(third.get(), first.get());
  EXPECT_EQ(third->size(), 50U);
}

TEST_F(EmbeddedRegisterTest, FactoryRejectsMissingData) {
  expect_rejected("embedded-personenstand", {}, "data");
  expect_rejected("embedded-personenstand", {{"data", ""}}, "data");
  expect_rejected("embedded-personenstand", {{"data", (dir_ / "absent.tsv").string()}},
                  "absent.tsv");
  expect_rejected("embedded-melderegister", {{"data", "population.tsv"}}, "absolute");
  expect_rejected("embedded-melderegister", {{"data", dir_.string()}}, "not a file");
}

TEST_F(EmbeddedRegisterTest, FactoryRejectsMalformedData) {
  const fs::path broken = dir_ / "broken.tsv";
  std::ofstream(broken) << "idnr\tname\n";
  expect_rejected("embedded-personenstand", {{"data", broken.string()}}, "line 1");
}

TEST_F(EmbeddedRegisterTest, FactoryRejectsBadLatency) {
  for (const std::string bad : {"", "abc", "-1", "+5", " 5", "10ms", "60001", "1.5",
                                "99999999999999999999999"}) {
    SCOPED_TRACE(bad);
    expect_rejected("embedded-personenstand", {{"data", data_.string()}, {"latency_ms", bad}},
                    "latency_ms");
  }
  EXPECT_NO_THROW(
      (void)make("embedded-personenstand", {{"data", data_.string()}, {"latency_ms", "60000"}}));
  EXPECT_NO_THROW(
      (void)make("embedded-personenstand", {{"data", data_.string()}, {"latency_ms", "0"}}));
}

TEST_F(EmbeddedRegisterTest, FactoryRejectsBadRegionAndUnknownSetting) {
  expect_rejected("embedded-melderegister", {{"data", data_.string()}, {"region", "0a"}},
                  "region");
  expect_rejected("embedded-melderegister", {{"data", data_.string()}, {"region", "032410011"}},
                  "region");
  expect_rejected("embedded-melderegister", {{"data", data_.string()}, {"latency", "5"}},
                  "latency");
}

TEST_F(EmbeddedRegisterTest, DuplicateTypeRegistrationRejected) {
  EXPECT_THROW(embedded::register_embedded_adapter_types(factories_), AdapterError);
  const auto types = factories_.types();
  EXPECT_EQ(std::count(types.begin(), types.end(), "embedded-personenstand"), 1);
  EXPECT_EQ(std::count(types.begin(), types.end(), "embedded-melderegister"), 1);
}

TEST(EmbeddedRegisterDirect, ConstructedWithoutFactory) {
  boost::asio::io_context io;
  auto people = std::make_shared<const std::vector<Person>>(population::generate(8, 20));
  embedded::EmbeddedRegister adapter(
      {"direct", "Personenstandsregister (Beispiel)", embedded::DocumentKind::geburtsurkunde,
       "", 0ms},
      people, io.get_executor());
  EXPECT_EQ(adapter.size(), 20U);
  EXPECT_EQ(adapter.kind(), embedded::DocumentKind::geburtsurkunde);
  const FetchResult result =
      adapter.lookup(EvidenceQuery{people->at(4).idnr, "geburtsurkunde", "", "", "", {}});
  EXPECT_EQ(result.status, FetchStatus::found);
  EXPECT_EQ(embedded::document_name(embedded::DocumentKind::meldebescheinigung),
            "meldebescheinigung");
  EXPECT_THROW(embedded::EmbeddedRegister({"x", "y", embedded::DocumentKind::geburtsurkunde, "",
                                           0ms},
                                          nullptr, io.get_executor()),
               AdapterError);
}

}  // namespace
