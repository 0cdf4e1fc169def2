// Unit tests for the routing table (gateway/routing/routing_table.hpp) and the adapter
// registries (adapters/registry.hpp), with a tiny fake adapter that never does any I/O.

#include "gateway/routing/routing_table.hpp"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gateway/adapter/adapter.hpp"
#include "gateway/adapter/factory_registry.hpp"

namespace {

using oncegate::adapters::AdapterConfig;
using oncegate::adapters::AdapterContext;
using oncegate::adapters::AdapterError;
using oncegate::adapters::AdapterFactoryRegistry;
using oncegate::adapters::AdapterRegistry;
using oncegate::adapters::EvidenceQuery;
using oncegate::adapters::FetchHandler;
using oncegate::adapters::FetchResult;
using oncegate::adapters::FetchStatus;
using oncegate::adapters::RegisterAdapter;
using oncegate::routing::RouteDecision;
using oncegate::routing::RouteOutcome;
using oncegate::routing::RouteRule;
using oncegate::routing::RoutingError;
using oncegate::routing::RoutingTable;

class FakeAdapter final : public RegisterAdapter {
 public:
  explicit FakeAdapter(std::string name, std::string register_name = "Fake register")
      : name_(std::move(name)), register_name_(std::move(register_name)) {}
  const std::string& name() const noexcept override { return name_; }
  const std::string& register_name() const noexcept override { return register_name_; }
  void fetch(EvidenceQuery, std::chrono::steady_clock::time_point, FetchHandler done) override {
    done(FetchResult{FetchStatus::not_found, {}, "fake"});
  }

 private:
  std::string name_;
  std::string register_name_;
};

// Asserts a routed decision to the named adapter.
::testing::AssertionResult RoutedTo(const RouteDecision& decision, const std::string& name) {
  if (decision.outcome != RouteOutcome::routed) {
    return ::testing::AssertionFailure() << "not routed, outcome " << static_cast<int>(decision.outcome);
  }
  if (decision.adapter == nullptr) return ::testing::AssertionFailure() << "routed without adapter";
  if (decision.adapter->name() != name) {
    return ::testing::AssertionFailure() << "routed to '" << decision.adapter->name() << "', expected '"
                                         << name << "'";
  }
  return ::testing::AssertionSuccess();
}

class RoutingTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"personenstand", "melde-ni", "melde-hannover", "melde-hb", "melde-bund"}) {
      auto adapter = std::make_shared<FakeAdapter>(name);
      adapters_[name] = adapter.get();
      registry_.add(adapter);
    }
  }

  std::shared_ptr<const RoutingTable> build(std::vector<RouteRule> rules) {
    return RoutingTable::build(std::move(rules), registry_);
  }

  AdapterRegistry registry_;
  std::map<std::string, RegisterAdapter*> adapters_;
};

TEST_F(RoutingTableTest, ExactTypeLookup) {
  auto table = build({{"geburtsurkunde", "", "personenstand"}, {"meldebescheinigung", "", "melde-bund"}});
  const RouteDecision decision = table->lookup("geburtsurkunde", "");
  EXPECT_TRUE(RoutedTo(decision, "personenstand"));
  // The very instance from the registry.
  EXPECT_EQ(decision.adapter, adapters_["personenstand"]);
  EXPECT_TRUE(RoutedTo(table->lookup("meldebescheinigung", ""), "melde-bund"));
  EXPECT_TRUE(table->knows_type("geburtsurkunde"));
  EXPECT_TRUE(table->knows_type("meldebescheinigung"));
}

TEST_F(RoutingTableTest, UnknownTypeIsNotRouted) {
  auto table = build({{"geburtsurkunde", "", "personenstand"}});
  for (const std::string type : {"sterbeurkunde", "", "Geburtsurkunde", "geburtsurkund", "geburtsurkunde ",
                                 "geburtsurkundex"}) {
    const RouteDecision decision = table->lookup(type, "03241");
    EXPECT_EQ(decision.outcome, RouteOutcome::unknown_type) << type;
    EXPECT_EQ(decision.adapter, nullptr) << type;
    EXPECT_FALSE(table->knows_type(type)) << type;
  }
}

TEST_F(RoutingTableTest, EmptyTableRoutesNothing) {
  auto table = build({});
  EXPECT_EQ(table->lookup("geburtsurkunde", "").outcome, RouteOutcome::unknown_type);
  EXPECT_TRUE(table->rules().empty());
}

TEST_F(RoutingTableTest, LongestRegionPrefixWins) {
  const std::vector<RouteRule> rules{
      {"meldebescheinigung", "03", "melde-ni"},
      {"meldebescheinigung", "03241", "melde-hannover"},
      {"meldebescheinigung", "04", "melde-hb"},
  };
  // The order of the rules must not matter: try every rotation and the reverse.
  std::vector<std::vector<RouteRule>> orders;
  for (std::size_t r = 0; r < rules.size(); ++r) {
    std::vector<RouteRule> rotated(rules.begin() + static_cast<std::ptrdiff_t>(r), rules.end());
    rotated.insert(rotated.end(), rules.begin(), rules.begin() + static_cast<std::ptrdiff_t>(r));
    orders.push_back(rotated);
    orders.emplace_back(rotated.rbegin(), rotated.rend());
  }
  for (const auto& order : orders) {
    auto table = build(order);
    EXPECT_TRUE(RoutedTo(table->lookup("meldebescheinigung", "032410001001"), "melde-hannover"));
    EXPECT_TRUE(RoutedTo(table->lookup("meldebescheinigung", "03241"), "melde-hannover"));
    EXPECT_TRUE(RoutedTo(table->lookup("meldebescheinigung", "03242"), "melde-ni"));
    EXPECT_TRUE(RoutedTo(table->lookup("meldebescheinigung", "0324"), "melde-ni"));
    EXPECT_TRUE(RoutedTo(table->lookup("meldebescheinigung", "03"), "melde-ni"));
    EXPECT_TRUE(RoutedTo(table->lookup("meldebescheinigung", "040110000000"), "melde-hb"));
  }
}

TEST_F(RoutingTableTest, CatchAllRuleWithoutRegion) {
  auto table = build({
      {"meldebescheinigung", "", "melde-bund"},
      {"meldebescheinigung", "03", "melde-ni"},
  });
  EXPECT_TRUE(RoutedTo(table->lookup("meldebescheinigung", "031010001"), "melde-ni"));
  // Regions no other rule covers, and no region at all, go to the catch-all.
  EXPECT_TRUE(RoutedTo(table->lookup("meldebescheinigung", "091620000000"), "melde-bund"));
  EXPECT_TRUE(RoutedTo(table->lookup("meldebescheinigung", "0"), "melde-bund"));
  EXPECT_TRUE(RoutedTo(table->lookup("meldebescheinigung", ""), "melde-bund"));
}

TEST_F(RoutingTableTest, RuleWithoutRegionServesEveryRegion) {
  auto table = build({{"geburtsurkunde", "", "personenstand"}});
  EXPECT_TRUE(RoutedTo(table->lookup("geburtsurkunde", ""), "personenstand"));
  EXPECT_TRUE(RoutedTo(table->lookup("geburtsurkunde", "03241"), "personenstand"));
  EXPECT_TRUE(RoutedTo(table->lookup("geburtsurkunde", "99"), "personenstand"));
}

TEST_F(RoutingTableTest, RegionRequiredWhenSplitAndNoRegionGiven) {
  auto table = build({
      {"meldebescheinigung", "03", "melde-ni"},
      {"meldebescheinigung", "04", "melde-hb"},
      {"geburtsurkunde", "", "personenstand"},
  });
  const RouteDecision decision = table->lookup("meldebescheinigung", "");
  EXPECT_EQ(decision.outcome, RouteOutcome::region_required);
  EXPECT_EQ(decision.adapter, nullptr);
  // Another type of the same table is not affected.
  EXPECT_TRUE(RoutedTo(table->lookup("geburtsurkunde", ""), "personenstand"));
}

TEST_F(RoutingTableTest, NoRegionMatch) {
  auto table = build({
      {"meldebescheinigung", "03", "melde-ni"},
      {"meldebescheinigung", "04", "melde-hb"},
  });
  for (const std::string region : {"05", "051110000000", "0", "30", "99", "40"}) {
    const RouteDecision decision = table->lookup("meldebescheinigung", region);
    EXPECT_EQ(decision.outcome, RouteOutcome::no_region_match) << region;
    EXPECT_EQ(decision.adapter, nullptr) << region;
  }
}

TEST_F(RoutingTableTest, RulesAreKeptAsGiven) {
  const std::vector<RouteRule> rules{
      {"meldebescheinigung", "04", "melde-hb"},
      {"geburtsurkunde", "", "personenstand"},
      {"meldebescheinigung", "03", "melde-ni"},
  };
  auto table = build(rules);
  ASSERT_EQ(table->rules().size(), rules.size());
  for (std::size_t i = 0; i < rules.size(); ++i) {
    EXPECT_EQ(table->rules()[i].evidence_type, rules[i].evidence_type);
    EXPECT_EQ(table->rules()[i].region_prefix, rules[i].region_prefix);
    EXPECT_EQ(table->rules()[i].adapter, rules[i].adapter);
  }
}

TEST_F(RoutingTableTest, TableKeepsItsAdaptersAlive) {
  std::weak_ptr<RegisterAdapter> watch;
  std::shared_ptr<const RoutingTable> table;
  {
    AdapterRegistry scoped;
    auto adapter = std::make_shared<FakeAdapter>("ephemeral");
    watch = adapter;
    scoped.add(std::move(adapter));
    table = RoutingTable::build({{"geburtsurkunde", "", "ephemeral"}}, scoped);
  }
  ASSERT_FALSE(watch.expired());
  EXPECT_TRUE(RoutedTo(table->lookup("geburtsurkunde", ""), "ephemeral"));
  table.reset();
  EXPECT_TRUE(watch.expired());
}

TEST_F(RoutingTableTest, BuildRejectsAnUnknownAdapter) {
  try {
    (void)build({{"geburtsurkunde", "", "personenstand"}, {"sterbeurkunde", "", "no-such-adapter"}});
    FAIL() << "expected RoutingError";
  } catch (const RoutingError& error) {
    EXPECT_NE(std::string(error.what()).find("no-such-adapter"), std::string::npos) << error.what();
  }
}

TEST_F(RoutingTableTest, BuildRejectsADuplicateTypeAndRegion) {
  EXPECT_THROW((void)build({{"meldebescheinigung", "03", "melde-ni"}, {"meldebescheinigung", "03", "melde-hb"}}),
               RoutingError);
  // Also when both name the same adapter, and for two catch-alls.
  EXPECT_THROW((void)build({{"meldebescheinigung", "03", "melde-ni"}, {"meldebescheinigung", "03", "melde-ni"}}),
               RoutingError);
  EXPECT_THROW((void)build({{"geburtsurkunde", "", "personenstand"}, {"geburtsurkunde", "", "melde-bund"}}),
               RoutingError);
  // The same region for different types, and different regions for one type, are fine.
  EXPECT_NO_THROW((void)build({{"meldebescheinigung", "03", "melde-ni"}, {"geburtsurkunde", "03", "personenstand"}}));
  EXPECT_NO_THROW((void)build({{"meldebescheinigung", "03", "melde-ni"}, {"meldebescheinigung", "031", "melde-ni"}}));
}

TEST_F(RoutingTableTest, BuildRejectsAMalformedRegion) {
  for (const std::string region : {"0a", "03 ", " 03", "-3", "03.241", "\xC3\xA9", "0324100010011"}) {
    EXPECT_THROW((void)build({{"meldebescheinigung", region, "melde-ni"}}), RoutingError) << region;
  }
  // Twelve digits is the full Regionalschlüssel and allowed.
  EXPECT_NO_THROW((void)build({{"meldebescheinigung", "032410001001", "melde-ni"}}));
}

TEST_F(RoutingTableTest, BuildRejectsAnEmptyEvidenceType) {
  EXPECT_THROW((void)build({{"", "", "personenstand"}}), RoutingError);
}

// ----------------------------------------------------------------------------------------------
// Registries.

TEST(AdapterRegistry, FindsAdaptersByNameAndRejectsDuplicates) {
  AdapterRegistry registry;
  auto first = std::make_shared<FakeAdapter>("personenstand", "first");
  registry.add(first);
  registry.add(std::make_shared<FakeAdapter>("melderegister"));
  EXPECT_EQ(registry.size(), 2u);

  try {
    registry.add(std::make_shared<FakeAdapter>("personenstand", "second"));
    FAIL() << "expected AdapterError";
  } catch (const AdapterError& error) {
    EXPECT_NE(std::string(error.what()).find("personenstand"), std::string::npos) << error.what();
  }
  // The first registration stays in place.
  EXPECT_EQ(registry.size(), 2u);
  EXPECT_EQ(registry.find("personenstand"), first);
  EXPECT_EQ(registry.find("personenstand")->register_name(), "first");
  EXPECT_EQ(registry.find("unknown"), nullptr);
  EXPECT_EQ(registry.find(""), nullptr);
  EXPECT_EQ(registry.find("Personenstand"), nullptr);
  EXPECT_EQ(registry.all().size(), 2u);

  EXPECT_THROW(registry.add(nullptr), AdapterError);
  EXPECT_EQ(registry.size(), 2u);
}

TEST(AdapterFactoryRegistry, CreatesAdaptersThroughTheirFactory) {
  AdapterFactoryRegistry factories;
  AdapterConfig seen_config;
  std::string seen_data_dir;
  factories.add("fake", [&](const AdapterConfig& config, const AdapterContext& context) {
    seen_config = config;
    seen_data_dir = context.data_dir;
    return std::make_shared<FakeAdapter>(config.name, config.register_name);
  });
  const AdapterConfig config{"a1", "fake", "Register A1", {{"data", "/tmp/x.tsv"}}};
  auto adapter = factories.create(config, AdapterContext{{}, "/var/lib/oncegate"});
  ASSERT_NE(adapter, nullptr);
  EXPECT_EQ(adapter->name(), "a1");
  EXPECT_EQ(adapter->register_name(), "Register A1");
  EXPECT_EQ(seen_config.settings.at("data"), "/tmp/x.tsv");
  EXPECT_EQ(seen_data_dir, "/var/lib/oncegate");
}

TEST(AdapterFactoryRegistry, RejectsDuplicateTypes) {
  AdapterFactoryRegistry factories;
  int calls_first = 0;
  factories.add("fake", [&](const AdapterConfig& c, const AdapterContext&) {
    ++calls_first;
    return std::make_shared<FakeAdapter>(c.name);
  });
  try {
    factories.add("fake", [](const AdapterConfig& c, const AdapterContext&) {
      return std::make_shared<FakeAdapter>(c.name + "-second");
    });
    FAIL() << "expected AdapterError";
  } catch (const AdapterError& error) {
    EXPECT_NE(std::string(error.what()).find("fake"), std::string::npos) << error.what();
  }
  // The first factory is still the one used.
  auto adapter = factories.create(AdapterConfig{"x", "fake", "X", {}}, AdapterContext{});
  EXPECT_EQ(adapter->name(), "x");
  EXPECT_EQ(calls_first, 1);
  EXPECT_EQ(factories.types(), std::vector<std::string>{"fake"});
  // A missing factory is refused as well.
  EXPECT_THROW(factories.add("empty", oncegate::adapters::AdapterFactory{}), AdapterError);
}

TEST(AdapterFactoryRegistry, UnknownTypeNamesTheKnownOnes) {
  AdapterFactoryRegistry factories;
  auto make = [](const AdapterConfig& c, const AdapterContext&) { return std::make_shared<FakeAdapter>(c.name); };
  factories.add("remote-http", make);
  factories.add("embedded-personenstand", make);
  factories.add("embedded-melderegister", make);
  try {
    (void)factories.create(AdapterConfig{"my-adapter", "embedded-standesamt", "X", {}}, AdapterContext{});
    FAIL() << "expected AdapterError";
  } catch (const AdapterError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("my-adapter"), std::string::npos) << message;
    EXPECT_NE(message.find("embedded-standesamt"), std::string::npos) << message;
    EXPECT_NE(message.find("embedded-melderegister, embedded-personenstand, remote-http"), std::string::npos)
        << message;
  }
  EXPECT_EQ(factories.types(),
            (std::vector<std::string>{"embedded-melderegister", "embedded-personenstand", "remote-http"}));
}

TEST(AdapterFactoryRegistry, FactoryReturningNothingIsAnError) {
  AdapterFactoryRegistry factories;
  factories.add("broken", [](const AdapterConfig&, const AdapterContext&) { return std::shared_ptr<RegisterAdapter>{}; });
  EXPECT_THROW((void)factories.create(AdapterConfig{"b", "broken", "B", {}}, AdapterContext{}), AdapterError);
}

}  // namespace
