// Unit tests for the configuration (gateway/config/config.hpp).

#include "gateway/config/config.hpp"

#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <string_view>

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using oncegate::config::ConfigError;
using oncegate::config::embedded_default_config;
using oncegate::config::GatewayConfig;
using oncegate::config::load_config_file;
using oncegate::config::parse_config;

// The smallest configuration that parses: the required sections and keys only.
constexpr std::string_view kGateway = R"(
[gateway]
kennung = "psw:99000001"
data_dir = "/srv/oncegate"
)";
constexpr std::string_view kListener = R"(
[listeners.evidence]
certificate = "tls/server.pem"
private_key = "/etc/oncegate/server.key"
client_ca = "tls/authorities-ca.pem"
)";
constexpr std::string_view kTrust = R"(
[trust]
ca = "demo/ca.pem"
signing_key = "demo/gateway-signing.key"
signing_certificate = "/etc/oncegate/signing.pem"
)";

std::string minimal() { return std::string(kGateway) + std::string(kListener) + std::string(kTrust); }

// Parses and returns the ConfigError message; fails the test when nothing is thrown.
std::string error_of(const std::string& text, std::string_view origin = "test.toml") {
  try {
    (void)parse_config(text, origin);
  } catch (const ConfigError& error) {
    return error.what();
  } catch (const std::exception& error) {
    ADD_FAILURE() << "not a ConfigError: " << error.what();
    return error.what();
  }
  ADD_FAILURE() << "expected a ConfigError for:\n" << text;
  return {};
}

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

// ----------------------------------------------------------------------------------------------
// The embedded default.

TEST(Config, EmbeddedDefaultParses) {
  const GatewayConfig config = parse_config(embedded_default_config(), "(embedded)");
  EXPECT_EQ(config.kennung, "psw:99000001");
  EXPECT_EQ(config.verzeichnisdienst, "dvdv");
  EXPECT_EQ(config.data_dir, (fs::current_path() / "var").lexically_normal());
  EXPECT_EQ(config.adapter_deadline, 3000ms);
  EXPECT_EQ(config.shutdown_grace, 10000ms);

  const auto* evidence = config.listener("evidence");
  ASSERT_NE(evidence, nullptr);
  EXPECT_EQ(evidence->address, "127.0.0.1");
  EXPECT_EQ(evidence->port, 8443);
  EXPECT_EQ(evidence->certificate, config.data_dir / "demo/server.pem");
  EXPECT_EQ(evidence->private_key, config.data_dir / "demo/server.key");
  EXPECT_EQ(evidence->client_ca, config.data_dir / "demo/ca.pem");
  // Demanded in the handshake: citizens reach the Datencockpit on a listener of their own.
  EXPECT_TRUE(evidence->require_client_certificate);
  ASSERT_NE(config.listener("cockpit"), nullptr);
  EXPECT_EQ(config.listener("cockpit")->port, 8446);
  EXPECT_TRUE(config.listener("cockpit")->client_ca.empty());
  EXPECT_TRUE(config.datacockpit.enabled);
  EXPECT_TRUE(config.datacockpit.demo_idp);
  EXPECT_EQ(evidence->header_limit, 16384u);
  EXPECT_EQ(evidence->body_limit, 262144u);
  ASSERT_NE(config.listener("admin"), nullptr);
  EXPECT_EQ(config.listener("admin")->port, 9443);
  EXPECT_EQ(config.listener("admin")->address, "127.0.0.1");

  ASSERT_EQ(config.adapters.size(), 4u);
  EXPECT_EQ(config.adapters[0].name, "personenstand");
  EXPECT_EQ(config.adapters[0].type, "embedded-personenstand");
  EXPECT_EQ(config.adapters[0].settings.at("data"), (config.data_dir / "registers/population.tsv").string());
  EXPECT_EQ(config.adapters[1].name, "melderegister-ni");
  EXPECT_EQ(config.adapters[1].type, "embedded-melderegister");
  EXPECT_EQ(config.adapters[1].settings.at("region"), "03");
  EXPECT_EQ(config.adapters[2].name, "melderegister-hb");
  // Bremen's register is remote: the sample register server the demo starts, trusted by file.
  EXPECT_EQ(config.adapters[2].type, "remote-https");
  EXPECT_EQ(config.adapters[2].settings.at("url"), "https://127.0.0.1:8444");
  EXPECT_EQ(config.adapters[2].settings.at("ca"), (config.data_dir / "demo/ca.pem").string());
  EXPECT_EQ(config.adapters[3].type, "embedded-handelsregister");
  EXPECT_EQ(config.adapters[3].settings.at("companies"), "2000");
  ASSERT_EQ(config.oots.evidence_types.size(), 3u);
  EXPECT_EQ(config.oots.evidence_types[2].subject, "legal");
  EXPECT_TRUE(config.demo.sample_register);
  EXPECT_EQ(config.demo.sample_register_port, 8444);
  EXPECT_EQ(config.demo.sample_register_region, "04");
  EXPECT_TRUE(config.admin.operators.empty());
  for (const auto& adapter : config.adapters) {
    EXPECT_FALSE(adapter.register_name.empty()) << adapter.name;
    // Keys the reader consumed are not repeated as settings.
    EXPECT_EQ(adapter.settings.count("name"), 0u);
    EXPECT_EQ(adapter.settings.count("type"), 0u);
    EXPECT_EQ(adapter.settings.count("register_name"), 0u);
  }

  ASSERT_EQ(config.routes.size(), 4u);
  EXPECT_EQ(config.routes[0].evidence_type, "geburtsurkunde");
  EXPECT_EQ(config.routes[0].region, "");
  EXPECT_EQ(config.routes[0].adapter, "personenstand");
  EXPECT_EQ(config.routes[1].evidence_type, "meldebescheinigung");
  EXPECT_EQ(config.routes[1].region, "03");
  EXPECT_EQ(config.routes[1].adapter, "melderegister-ni");
  EXPECT_EQ(config.routes[2].evidence_type, "meldebescheinigung");
  EXPECT_EQ(config.routes[2].region, "04");
  EXPECT_EQ(config.routes[2].adapter, "melderegister-hb");
  EXPECT_EQ(config.routes[3].adapter, "handelsregister");

  EXPECT_TRUE(config.demo.generate);
  EXPECT_EQ(config.demo.population, 100000u);
  EXPECT_EQ(config.demo.seed, 20261126u);
}

// ----------------------------------------------------------------------------------------------
// Defaults and paths.

TEST(Config, MinimalConfigGetsTheDocumentedDefaults) {
  const GatewayConfig config = parse_config(minimal(), "test.toml");
  EXPECT_EQ(config.verzeichnisdienst, "dvdv");
  EXPECT_EQ(config.name, "");
  EXPECT_EQ(config.io_threads, 0u);
  EXPECT_EQ(config.adapter_deadline, 3000ms);
  EXPECT_EQ(config.shutdown_grace, 10000ms);
  ASSERT_EQ(config.listeners.size(), 1u);
  const auto& l = config.listeners[0];
  EXPECT_EQ(l.name, "evidence");
  EXPECT_EQ(l.address, "127.0.0.1");
  EXPECT_EQ(l.port, 8443);
  EXPECT_EQ(l.client_ca, config.data_dir / "tls/authorities-ca.pem");
  EXPECT_TRUE(l.require_client_certificate);
  EXPECT_EQ(l.header_limit, 16u * 1024);
  EXPECT_EQ(l.body_limit, 256u * 1024);
  EXPECT_EQ(l.handshake_timeout, 10000ms);
  EXPECT_EQ(l.read_timeout, 30000ms);
  EXPECT_EQ(l.write_timeout, 30000ms);
  EXPECT_EQ(l.max_connections, 1024u);
  EXPECT_TRUE(config.adapters.empty());
  EXPECT_TRUE(config.routes.empty());
  EXPECT_FALSE(config.demo.generate);
  EXPECT_EQ(config.demo.population, 100000u);
  EXPECT_EQ(config.demo.seed, 20261126u);
}

TEST(Config, RelativePathsResolveAgainstDataDir) {
  const std::string text = minimal() + R"(
[[adapters]]
name = "a"
type = "embedded-personenstand"
data = "registers/population.tsv"

[[adapters]]
name = "b"
type = "embedded-personenstand"
data = "/opt/data/population.tsv"
)";
  const GatewayConfig config = parse_config(text, "test.toml");
  EXPECT_EQ(config.data_dir, fs::path("/srv/oncegate"));
  const auto& l = *config.listener("evidence");
  EXPECT_EQ(l.certificate, fs::path("/srv/oncegate/tls/server.pem"));
  EXPECT_EQ(l.private_key, fs::path("/etc/oncegate/server.key"));  // absolute stays
  EXPECT_EQ(config.trust.ca, fs::path("/srv/oncegate/demo/ca.pem"));
  EXPECT_EQ(config.trust.signing_key, fs::path("/srv/oncegate/demo/gateway-signing.key"));
  EXPECT_EQ(config.trust.signing_certificate, fs::path("/etc/oncegate/signing.pem"));
  ASSERT_EQ(config.adapters.size(), 2u);
  EXPECT_EQ(config.adapters[0].settings.at("data"), "/srv/oncegate/registers/population.tsv");
  EXPECT_EQ(config.adapters[1].settings.at("data"), "/opt/data/population.tsv");
  // register_name defaults to the name.
  EXPECT_EQ(config.adapters[0].register_name, "a");
}

TEST(Config, RelativeDataDirResolvesAgainstTheWorkingDirectory) {
  std::string text = minimal();
  text.replace(text.find("/srv/oncegate"), std::string_view("/srv/oncegate").size(), "./state/../data");
  const GatewayConfig config = parse_config(text, "test.toml");
  EXPECT_TRUE(config.data_dir.is_absolute());
  EXPECT_EQ(config.data_dir, (fs::current_path() / "data").lexically_normal());
  EXPECT_EQ(config.listener("evidence")->certificate, config.data_dir / "tls/server.pem");
}

TEST(Config, AdapterSettingsKeepOtherKeysAsStrings) {
  const std::string text = minimal() + R"(
[[adapters]]
name = "r"
type = "remote-http"
register_name = "Remote"
url = "https://register.example/api"
latency_ms = 25
verify = false
)";
  const GatewayConfig config = parse_config(text, "test.toml");
  ASSERT_EQ(config.adapters.size(), 1u);
  const auto& a = config.adapters[0];
  EXPECT_EQ(a.register_name, "Remote");
  EXPECT_EQ(a.settings.size(), 3u);
  EXPECT_EQ(a.settings.at("url"), "https://register.example/api");
  EXPECT_EQ(a.settings.at("latency_ms"), "25");
  EXPECT_EQ(a.settings.at("verify"), "false");
  // A nested table is no setting.
  const std::string message = error_of(minimal() + R"(
[[adapters]]
name = "r"
type = "remote-http"
tls = { ca = "x" }
)");
  EXPECT_TRUE(contains(message, "tls")) << message;
}

// ----------------------------------------------------------------------------------------------
// Rejections.

TEST(Config, UnknownSectionIsRejectedByName) {
  const std::string message = error_of(minimal() + "\n[gatway]\nkennung = \"x\"\n");
  EXPECT_TRUE(contains(message, "gatway")) << message;
  EXPECT_TRUE(contains(message, "test.toml")) << message;
  const std::string top_level_key = error_of("verbose = true\n" + minimal());
  EXPECT_TRUE(contains(top_level_key, "verbose")) << top_level_key;
}

TEST(Config, UnknownKeyIsRejectedByName) {
  std::string message = error_of(minimal() + "\n[demo]\ngenerat = true\n");
  EXPECT_TRUE(contains(message, "demo.generat")) << message;

  std::string text = minimal();
  text.insert(text.find("kennung ="), "kenung = \"typo\"\n");
  message = error_of(text);
  EXPECT_TRUE(contains(message, "gateway.kenung")) << message;

  text = minimal();
  text.insert(text.find("certificate = \"tls"), "prot = 8443\n");
  message = error_of(text);
  EXPECT_TRUE(contains(message, "listeners.evidence.prot")) << message;

  message = error_of(minimal() + "\n[[routes]]\nevidence_type = \"x\"\nadapter = \"y\"\nregoin = \"03\"\n");
  EXPECT_TRUE(contains(message, "regoin")) << message;

  text = minimal();
  text.insert(text.find("ca = \"demo"), "freshness_window = 1000\n");
  message = error_of(text);
  EXPECT_TRUE(contains(message, "trust.freshness_window")) << message;
}

TEST(Config, MissingKennungIsRejected) {
  std::string text = minimal();
  text.erase(text.find("kennung = \"psw:99000001\"\n"), std::string_view("kennung = \"psw:99000001\"\n").size());
  const std::string message = error_of(text);
  EXPECT_TRUE(contains(message, "gateway.kennung")) << message;
}

TEST(Config, MissingGatewaySectionIsRejected) {
  const std::string message = error_of(std::string(kListener) + std::string(kTrust));
  EXPECT_TRUE(contains(message, "gateway")) << message;
}

TEST(Config, MissingRequiredListenerKeysAreRejected) {
  std::string text = minimal();
  text.erase(text.find("certificate = \"tls/server.pem\"\n"), std::string_view("certificate = \"tls/server.pem\"\n").size());
  const std::string message = error_of(text);
  EXPECT_TRUE(contains(message, "listeners.evidence.certificate")) << message;
}

TEST(Config, WrongTypesAreRejectedWithTheKey) {
  struct Case {
    std::string from;
    std::string to;
    std::string key;
  };
  const Case cases[] = {
      {"kennung = \"psw:99000001\"", "kennung = 99000001", "gateway.kennung"},
      {"data_dir = \"/srv/oncegate\"", "data_dir = [\"/srv\"]", "gateway.data_dir"},
      {"certificate = \"tls/server.pem\"", "certificate = \"tls/server.pem\"\nport = \"8443\"", "listeners.evidence.port"},
      {"certificate = \"tls/server.pem\"", "certificate = \"tls/server.pem\"\nport = 8443.0", "listeners.evidence.port"},
      {"certificate = \"tls/server.pem\"", "certificate = \"tls/server.pem\"\nrequire_client_certificate = \"yes\"",
       "listeners.evidence.require_client_certificate"},
      {"certificate = \"tls/server.pem\"", "certificate = \"tls/server.pem\"\nmax_connections = true",
       "listeners.evidence.max_connections"},
      {"kennung = \"psw:99000001\"", "kennung = \"psw:99000001\"\nio_threads = 1.5", "gateway.io_threads"},
      {"kennung = \"psw:99000001\"", "kennung = \"psw:99000001\"\nadapter_deadline_ms = \"3s\"", "gateway.adapter_deadline_ms"},
  };
  for (const auto& c : cases) {
    std::string text = minimal();
    text.replace(text.find(c.from), c.from.size(), c.to);
    const std::string message = error_of(text);
    EXPECT_TRUE(contains(message, c.key)) << c.key << ": " << message;
  }
  // Whole sections of the wrong shape.
  // (Top-level keys must come before the first table header.)
  EXPECT_TRUE(contains(error_of("routes = 5\n" + minimal()), "routes"));
  EXPECT_TRUE(contains(error_of("demo = 1\n" + minimal()), "demo"));
  std::string listener_not_table = "listeners = { evidence = 5 }\n" + std::string(kGateway) + std::string(kTrust);
  EXPECT_TRUE(contains(error_of(listener_not_table), "listeners.evidence"));
  EXPECT_TRUE(contains(error_of(minimal() + "\n[[authorities]]\nkennung = \"psw:1\"\ncertificates = \"a.pem\"\n"),
                       "certificates"));
}

TEST(Config, OutOfRangeValuesAreRejected) {
  for (const std::string port : {"65536", "-1", "100000"}) {
    std::string text = minimal();
    text.insert(text.find("certificate = \"tls"), "port = " + port + "\n");
    const std::string message = error_of(text);
    EXPECT_TRUE(contains(message, "listeners.evidence.port")) << port << ": " << message;
    EXPECT_TRUE(contains(message, "65535")) << message;
  }
  // The bounds themselves are fine; 0 means "pick a free port".
  for (const std::string port : {"0", "65535"}) {
    std::string text = minimal();
    text.insert(text.find("certificate = \"tls"), "port = " + port + "\n");
    EXPECT_EQ(static_cast<int>(parse_config(text, "test.toml").listener("evidence")->port), std::stoi(port));
  }
  std::string text = minimal();
  text.insert(text.find("kennung ="), "adapter_deadline_ms = 0\n");
  EXPECT_TRUE(contains(error_of(text), "gateway.adapter_deadline_ms"));
  text = minimal();
  text.insert(text.find("certificate = \"tls"), "body_limit = 10\n");
  EXPECT_TRUE(contains(error_of(text), "listeners.evidence.body_limit"));
  EXPECT_TRUE(contains(error_of(minimal() + "\n[demo]\npopulation = 1\n"), "demo.population"));
}

TEST(Config, MissingEvidenceListenerIsRejected) {
  std::string message = error_of(std::string(kGateway) + std::string(kTrust));
  EXPECT_TRUE(contains(message, "listeners.evidence")) << message;
  // Another listener does not replace it.
  std::string other(kListener);
  other.replace(other.find("evidence"), std::string_view("evidence").size(), "admin");
  message = error_of(std::string(kGateway) + other + std::string(kTrust));
  EXPECT_TRUE(contains(message, "listeners.evidence")) << message;
}

TEST(Config, SyntaxErrorReportsLineAndColumn) {
  const std::string text = "[gateway]\nkennung = \"psw:1\"\ndata_dir = = \"x\"\n";
  const std::string message = error_of(text, "broken.toml");
  std::smatch match;
  ASSERT_TRUE(std::regex_search(message, match, std::regex(R"(^broken\.toml:(\d+):(\d+): .+)"))) << message;
  EXPECT_EQ(match[1].str(), "3") << message;
  EXPECT_EQ(match[2].str(), "12") << message;  // the second '='

  // An unterminated string on line 2, and a duplicate key.
  EXPECT_TRUE(std::regex_search(error_of("[gateway]\nkennung = \"psw:1\n", "b.toml"), std::regex(R"(^b\.toml:2:\d+: )")));
  EXPECT_TRUE(std::regex_search(error_of("[gateway]\nkennung = \"a\"\nkennung = \"b\"\n", "b.toml"),
                                std::regex(R"(^b\.toml:3:\d+: )")));
}

// ----------------------------------------------------------------------------------------------
// Files.

TEST(Config, LoadConfigFileOnAMissingFile) {
  const fs::path missing = fs::temp_directory_path() / ("oncegate-no-such-config-" + std::to_string(::getpid()) + ".toml");
  try {
    (void)load_config_file(missing);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& error) {
    EXPECT_TRUE(contains(error.what(), missing.string())) << error.what();
  }
}

TEST(Config, LoadConfigFileReadsTheFileAndNamesItInErrors) {
  const fs::path file = fs::temp_directory_path() / ("oncegate-config-" + std::to_string(::getpid()) + ".toml");
  {
    std::ofstream out(file);
    out << minimal();
  }
  const GatewayConfig config = load_config_file(file);
  EXPECT_EQ(config.kennung, "psw:99000001");
  EXPECT_EQ(config.listener("evidence")->certificate, fs::path("/srv/oncegate/tls/server.pem"));
  {
    std::ofstream out(file);
    out << minimal() << "\n[gatway]\n";
  }
  try {
    (void)load_config_file(file);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& error) {
    EXPECT_TRUE(contains(error.what(), file.string())) << error.what();
    EXPECT_TRUE(contains(error.what(), "gatway")) << error.what();
  }
  fs::remove(file);
}

}  // namespace

namespace {

TEST(Config, TheCockpitsSignInSettingsAreCheckedAndOldOnesNamed) {
  const std::string listeners = minimal() + "[listeners.cockpit]\nport = 0\ncertificate = \"c.pem\"\nprivate_key = \"k.pem\"\n";
  const auto refused = [&](const std::string& cockpit, const std::string& expected) {
    try {
      (void)oncegate::config::parse_config(listeners + "[datacockpit]\nenabled = true\n" + cockpit, "test.toml");
      ADD_FAILURE() << "accepted: " << cockpit;
    } catch (const oncegate::config::ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
  };
  refused("issuer = \"https://id.example\"\njwks = \"k.json\"\n", "jwks is gone");
  refused("demo_idp = true\ndemo_idp_key = \"k\"\nissuer = \"https://id.example\"\n", "must not be set with demo_idp");
  refused("issuer = \"http://id.example\"\n", "https://");
  refused("issuer = \"https://id.example\"\nscopes = [\"profile\"]\n", "openid");
  refused("issuer = \"https://id.example\"\nidnr_claim = \"\"\n", "exactly one of idnr_claim");
  refused("", "issuer");
  const auto config = oncegate::config::parse_config(
      listeners + "[datacockpit]\nenabled = true\nissuer = \"https://id.example/realms/bund\"\nacr_values = [\"urn:high\"]\n", "test.toml");
  EXPECT_EQ(config.datacockpit.acr_values, std::vector<std::string>{"urn:high"});
  EXPECT_EQ(config.datacockpit.ca, "/etc/ssl/certs/ca-certificates.crt");
}

TEST(Config, AWithheldRuleMustNameItsLegalBasis) {
  const std::string rule = "[[permissions]]\nid = \"r\"\nauthorities = [\"psw:1\"]\nevidence_types = [\"t\"]\n"
                           "purposes = [\"p\"]\nlegal_bases = [\"b\"]\n";
  EXPECT_TRUE(contains(error_of(minimal() + rule + "citizen_visible = false\n"), "withholding_basis"));
  EXPECT_TRUE(contains(error_of(minimal() + rule + "citizen_visible_after_days = 30\n"), "withholding_basis"));
  EXPECT_TRUE(contains(error_of(minimal() + rule + "withholding_basis = \"x\"\n"), "without citizen_visible"));
  const auto config = parse_config(minimal() + rule + "citizen_visible_after_days = 30\nwithholding_basis = \"§ 161 StPO\"\n", "t");
  EXPECT_EQ(config.permissions.at(0).citizen_visible_after_days, 30u);
}

TEST(Config, ProductionExampleParsesWithoutDemoMaterial) {
  const auto config = oncegate::config::load_config_file(std::string(ONCEGATE_SOURCE_DIR) + "/config/oncegate.production.example.toml");
  EXPECT_FALSE(config.demo.generate);
  EXPECT_TRUE(config.datacockpit.enabled);
  EXPECT_FALSE(config.datacockpit.demo_idp);
  EXPECT_EQ(config.data_dir, "/var/lib/oncegate");
  EXPECT_EQ(config.permissions.size(), 3u);
  for (const auto& adapter : config.adapters) EXPECT_EQ(adapter.type, "remote-https") << adapter.name;
  ASSERT_EQ(config.admin.operators.size(), 2u);
  EXPECT_EQ(config.admin.operators[0].role, "admin");
  EXPECT_EQ(config.admin.operators[1].certificate, "/etc/oncegate/operators/monitoring.pem");
  ASSERT_NE(config.listener("admin"), nullptr);
  EXPECT_EQ(config.listener("admin")->address, "127.0.0.1");
  EXPECT_EQ(config.log.origin, "gateway.example.de/log/niedersachsen-1");
  EXPECT_EQ(config.log.key, "/var/lib/oncegate/log-key.pem");  // made by oncegate init
  ASSERT_EQ(config.log.witnesses.size(), 1u);
  EXPECT_EQ(config.log.witness_quorum, 1u);
  EXPECT_EQ(config.log.witnesses[0].url, "https://witness.lfd.example.de:8448/");
  ASSERT_NE(config.listener("log"), nullptr);
}

TEST(Config, TheLogOriginAndWitnessesAreChecked) {
  const std::string base = "[gateway]\nkennung = \"psw:1\"\n[listeners.evidence]\ncertificate = \"c\"\nprivate_key = \"k\"\n"
                           "client_ca = \"ca\"\n[trust]\nca = \"ca\"\nsigning_key = \"k\"\nsigning_certificate = \"c\"\n";
  // Without one, the origin derives from the kennung.
  EXPECT_EQ(parse_config(base, "t.toml").log.origin, "oncegate.local/dvdv/psw:1/log-1");
  for (const char* bad : {"origin = \"with space\"", "origin = \"a+b\"", "origin = \"oncegate-purge/v2\"",
                          "witness_quorum = 1", "origin = \"x\"\n[[log.witnesses]]\nurl = \"http://w\"\nca = \"c\"\nvkey = \"v\"",
                          "origin = \"x\"\n[[log.witnesses]]\nurl = \"https://w\"\nca = \"c\""}) {
    EXPECT_THROW((void)parse_config(base + "[log]\n" + bad + "\n", "t.toml"), oncegate::config::ConfigError) << bad;
  }
  EXPECT_EQ(parse_config(base + "[log]\norigin = \"land.example/log/1\"\n", "t.toml").log.origin, "land.example/log/1");
}

TEST(Config, OperatorsAndAdapterSwitches) {
  const std::string base =
      "[gateway]\nkennung = \"psw:1\"\ndata_dir = \"/srv/og\"\n"
      "[listeners.evidence]\ncertificate = \"c.pem\"\nprivate_key = \"k.pem\"\nclient_ca = \"ca.pem\"\n"
      "[trust]\nca = \"ca.pem\"\nsigning_key = \"s.key\"\nsigning_certificate = \"s.pem\"\n";
  const auto config = oncegate::config::parse_config(
      base + "[admin]\n[[admin.operators]]\nname = \"anna\"\nrole = \"observer\"\ncertificate = \"ops/anna.pem\"\n"
             "[[adapters]]\nname = \"r\"\ntype = \"remote-https\"\nenabled = false\nurl = \"https://r.example\"\n"
             "ca = \"registers/r-ca.pem\"\n",
      "(test)");
  ASSERT_EQ(config.admin.operators.size(), 1u);
  EXPECT_EQ(config.admin.operators[0].certificate, "/srv/og/ops/anna.pem");
  ASSERT_EQ(config.adapters.size(), 1u);
  EXPECT_FALSE(config.adapters[0].enabled);
  EXPECT_EQ(config.adapters[0].settings.count("enabled"), 0u);
  EXPECT_EQ(config.adapters[0].settings.at("ca"), "/srv/og/registers/r-ca.pem");
  EXPECT_EQ(config.adapters[0].settings.at("url"), "https://r.example");
  EXPECT_THROW((void)oncegate::config::parse_config(
                   base + "[admin]\n[[admin.operators]]\nname = \"x\"\nrole = \"root\"\ncertificate = \"x.pem\"\n", "(test)"),
               ConfigError);
  EXPECT_THROW((void)oncegate::config::parse_config(
                   base + "[admin]\n[[admin.operators]]\nname = \"x\"\nrole = \"admin\"\n", "(test)"),
               ConfigError);
}

}  // namespace

namespace {

TEST(Config, OotsEvidenceTypeMappingsNeedAnIdAndAWayToMatch) {
  const std::string oots = "\n[oots]\nenabled = true\nprovider_id = \"DE1\"\n";
  const auto mapping = [](const std::string& body) { return "\n[[oots.evidence_types]]\n" + body; };
  const std::string good = mapping("id = \"geburt\"\nclassification = \"DE/1\"\nevidence_type = \"geburtsurkunde\"\n");
  const auto config = parse_config(minimal() + oots + good, "test.toml");
  ASSERT_EQ(config.oots.evidence_types.size(), 1u);
  EXPECT_EQ(config.oots.evidence_types[0].title, "geburtsurkunde");  // defaults to the type
  EXPECT_EQ(config.oots.evidence_types[0].subject, "natural");
  EXPECT_TRUE(contains(error_of(minimal() + oots + mapping("classification = \"DE/1\"\nevidence_type = \"x\"\n")), "id"));
  EXPECT_TRUE(contains(error_of(minimal() + oots + mapping("id = \"a b\"\nclassification = \"DE/1\"\nevidence_type = \"x\"\n")),
                       "id must be"));
  EXPECT_TRUE(contains(error_of(minimal() + oots + mapping("id = \"a\"\nevidence_type = \"x\"\n")),
                       "classification or a requirement"));
  EXPECT_TRUE(contains(error_of(minimal() + oots + mapping("id = \"a\"\nrequirement = \"r\"\nsubject = \"firm\"\nevidence_type = \"x\"\n")),
                       "subject"));
  EXPECT_TRUE(contains(error_of(minimal() + oots + good + good), "used twice"));
}

}  // namespace

TEST(Config, AClusterNamesItsNodeAndStoreAndTheLoadBalancersAddresses) {
  const std::string base = "[gateway]\nkennung = \"psw:1\"\n[trust]\nca = \"ca\"\nsigning_key = \"k\"\nsigning_certificate = \"c\"\n";
  const std::string evidence = "[listeners.evidence]\ncertificate = \"c\"\nprivate_key = \"k\"\nclient_ca = \"ca\"\n";
  const auto one = parse_config(base + evidence, "t.toml");
  EXPECT_FALSE(one.cluster.enabled);
  EXPECT_TRUE(one.listener("evidence")->proxy_protocol_from.empty());

  const auto cluster = parse_config(base + evidence + "proxy_protocol_from = [\"127.0.0.2\", \"10.0.0.0/24\"]\n" +
                                        "[listeners.health]\ncertificate = \"c\"\nprivate_key = \"k\"\n" +
                                        "[cluster]\nnode = \"a\"\nstore = \"10.0.0.9:6380\"\nstore_password_file = \"redis.pw\"\n",
                                    "t.toml");
  EXPECT_TRUE(cluster.cluster.enabled);
  EXPECT_EQ(cluster.cluster.node, "a");
  EXPECT_EQ(cluster.cluster.store, "10.0.0.9:6380");
  EXPECT_EQ(cluster.cluster.when_store_unavailable, "refuse");  // fail closed unless told otherwise
  EXPECT_EQ(cluster.cluster.store_timeout, std::chrono::milliseconds(250));
  EXPECT_EQ(cluster.cluster.store_password_file.filename(), "redis.pw");
  EXPECT_TRUE(cluster.cluster.store_password_file.is_absolute());
  EXPECT_EQ(cluster.listener("evidence")->proxy_protocol_from.size(), 2u);
  ASSERT_NE(cluster.listener("health"), nullptr);

  EXPECT_TRUE(contains(error_of(base + evidence + "[cluster]\nstore_password_file = \"p\"\n"), "node"));
  EXPECT_TRUE(contains(error_of(base + evidence + "[cluster]\nnode = \"a\"\n"), "store_password_file"));
  EXPECT_TRUE(contains(error_of(base + evidence + "[cluster]\nnode = \"a\"\nstore_password_file = \"p\"\nstore = \"redis\"\n"),
                       "host:port"));
  EXPECT_TRUE(contains(error_of(base + evidence +
                                "[cluster]\nnode = \"a\"\nstore_password_file = \"p\"\nwhen_store_unavailable = \"open\"\n"),
                       "refuse"));
  EXPECT_TRUE(contains(error_of(base + evidence + "proxy_protocol_from = [\"lb.example\"]\n"), "not an address"));
  EXPECT_TRUE(contains(error_of(base + evidence + "proxy_protocol_from = [\"10.0.0.0/40\"]\n"), "not an address"));
}
