// The admin endpoint on its own listener: roles, refusals, the audit trail, health and the
// transfer log's operations.

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include <boost/json.hpp>

#include "gateway/crypto/ed25519.hpp"
#include "gateway/log/transfer_log.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/test_gateway.hpp"

namespace oncegate::testing {
namespace {

namespace json = boost::json;

class AdminApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    TestGatewayOptions options;
    // Client certificates are asked for (not required), as for certificate-only operators.
    options.extra_toml =
        "[listeners.admin]\naddress = \"127.0.0.1\"\nport = 0\ncertificate = \"demo/server.pem\"\n"
        "private_key = \"demo/server.key\"\nclient_ca = \"demo/ca.pem\"\n";
    gateway_ = new TestGateway(options);
    admin_key_ = read_text(gateway_->demo_dir() / "admin-api-key");
    observer_key_ = read_text(gateway_->demo_dir() / "observer-api-key");
    admin_key_.pop_back();
    observer_key_.pop_back();
  }
  static void TearDownTestSuite() { delete gateway_; }

  static client::HttpReply call(const std::string& method, const std::string& path, const std::string& key) {
    client::HttpsClient connection("127.0.0.1", gateway_->gateway().port("admin"), gateway_->tls(""));
    std::vector<std::pair<std::string, std::string>> headers;
    if (!key.empty()) headers.emplace_back("Authorization", "Bearer " + key);
    return connection.request(method, path, "", "application/json", headers);
  }

  static std::vector<json::object> audit() {
    std::vector<json::object> out;
    const auto file = gateway_->data_dir() / "admin-audit.jsonl";
    if (!std::filesystem::exists(file)) return out;  // nothing audited yet
    std::istringstream lines(read_text(file));
    for (std::string line; std::getline(lines, line);) out.push_back(json::parse(line).as_object());
    return out;
  }

  static TestGateway* gateway_;
  static std::string admin_key_;
  static std::string observer_key_;
};

TestGateway* AdminApiTest::gateway_ = nullptr;
std::string AdminApiTest::admin_key_;
std::string AdminApiTest::observer_key_;

TEST_F(AdminApiTest, PortsFileNamesBothListeners) {
  const auto ports = json::parse(read_text(gateway_->data_dir() / "ports.json")).as_object();
  EXPECT_EQ(ports.at("evidence").to_number<unsigned>(), gateway_->port());
  EXPECT_EQ(ports.at("admin").to_number<unsigned>(), gateway_->gateway().port("admin"));
  EXPECT_NE(gateway_->gateway().port("admin"), gateway_->port());
}

TEST_F(AdminApiTest, HealthIsOpenReadinessNeedsAKey) {
  EXPECT_EQ(call("GET", "/admin/v1/healthz", "").status, 200u);
  EXPECT_EQ(call("GET", "/admin/v1/readyz", "").status, 401u);
  const auto ready = call("GET", "/admin/v1/readyz", observer_key_);
  EXPECT_EQ(ready.status, 200u) << ready.body;
  const auto body = json::parse(ready.body).as_object();
  EXPECT_TRUE(body.at("ready").as_bool());
  EXPECT_TRUE(body.at("log_writable").as_bool());
  EXPECT_TRUE(body.at("signing_key_loaded").as_bool());
  EXPECT_FALSE(body.at("degraded").as_bool());
  // Every register is listed with its state; in-process ones have no breaker.
  ASSERT_EQ(body.at("registers").as_array().size(), 3u);
  EXPECT_EQ(body.at("registers").as_array()[0].at("breaker").as_string(), "none");
}

TEST_F(AdminApiTest, WrongKeyIsRefusedAndAudited) {
  const auto before = audit().size();
  EXPECT_EQ(call("POST", "/admin/v1/log/verify", "og_admin_guess").status, 401u);
  const auto entries = audit();
  ASSERT_EQ(entries.size(), before + 1);
  EXPECT_EQ(entries.back().at("who").as_string(), "unknown");
  EXPECT_NE(std::string(entries.back().at("result").as_string()).find("refused"), std::string::npos);
}

TEST_F(AdminApiTest, ObserverCannotChangeAnythingAndTheRefusalIsAudited) {
  const auto before = audit().size();
  EXPECT_EQ(call("POST", "/admin/v1/log/verify", observer_key_).status, 403u);
  EXPECT_EQ(call("POST", "/admin/v1/log/head", observer_key_).status, 403u);
  const auto entries = audit();
  ASSERT_EQ(entries.size(), before + 2);
  EXPECT_EQ(entries.back().at("who").as_string(), "demo-observer");
  EXPECT_EQ(entries.back().at("action").as_string(), "log.issue_head");
}

TEST_F(AdminApiTest, AdminIssuesHeadsAndVerifiesTheLog) {
  ASSERT_EQ(gateway_->post(gateway_->request(gateway_->people().front().idnr, "geburtsurkunde")).status, 200u);
  const auto issued = call("POST", "/admin/v1/log/head", admin_key_);
  ASSERT_EQ(issued.status, 200u) << issued.body;
  const auto head = json::parse(issued.body).as_object();
  EXPECT_EQ(head.at("size").to_number<std::uint64_t>(), gateway_->gateway().transfer_log().size());
  const auto read = json::parse(call("GET", "/admin/v1/log/head", observer_key_).body).as_object();
  EXPECT_EQ(read.at("root").as_string(), head.at("root").as_string());
  const auto verified = call("POST", "/admin/v1/log/verify", admin_key_);
  ASSERT_EQ(verified.status, 200u) << verified.body;
  const auto report = json::parse(verified.body).as_object();
  EXPECT_TRUE(report.at("ok").as_bool()) << verified.body;
  EXPECT_GE(report.at("records").to_number<std::uint64_t>(), 1u);
  bool audited = false;
  for (const auto& entry : audit()) {
    audited = audited || (entry.at("action").as_string() == "log.verify" && entry.at("result").as_string() == "consistent");
  }
  EXPECT_TRUE(audited);
}

TEST_F(AdminApiTest, BackupRestoresIntoAWorkingLog) {
  ASSERT_EQ(gateway_->post(gateway_->request(gateway_->people().at(1).idnr, "geburtsurkunde")).status, 200u);
  EXPECT_EQ(call("POST", "/admin/v1/log/backup", observer_key_).status, 403u);
  const auto reply = call("POST", "/admin/v1/log/backup", admin_key_);
  ASSERT_EQ(reply.status, 200u) << reply.body;
  const std::filesystem::path backup(std::string(json::parse(reply.body).as_object().at("directory").as_string()));
  const std::string directory = (backup / "log").string();
  const auto size = json::parse(reply.body).as_object().at("log_size").to_number<std::uint64_t>();
  // Beside the log: what a restore needs, owner-only, with a manifest saying where each belongs.
  EXPECT_EQ(read_text(backup / "files" / "pseudonym.secret"), read_text(gateway_->data_dir() / "pseudonym.secret"));
  EXPECT_EQ(read_text(backup / "files" / "log-key.pem"), read_text(gateway_->data_dir() / "log-key.pem"));
  EXPECT_TRUE(std::filesystem::exists(backup / "files" / "admin-keys.json"));
  EXPECT_TRUE(std::filesystem::exists(backup / "files" / "admin-audit.jsonl"));
  EXPECT_EQ(std::filesystem::status(backup / "files" / "pseudonym.secret").permissions() &
                (std::filesystem::perms::group_all | std::filesystem::perms::others_all),
            std::filesystem::perms::none);
  const auto manifest = json::parse(read_text(backup / "manifest.json")).as_object();
  EXPECT_EQ(manifest.at("format").as_string(), "oncegate-backup/1");
  bool secret_listed = false;
  for (const auto& f : manifest.at("files").as_array()) {
    if (f.at("name").as_string() == "pseudonym.secret") {
      secret_listed = f.at("path").as_string() == (gateway_->data_dir() / "pseudonym.secret").string();
    }
  }
  EXPECT_TRUE(secret_listed) << json::serialize(manifest);
  // The backup is a log of its own: it opens, holds the records and verifies.
  log::TransferLogOptions options;
  options.directory = directory;
  // With the gateway's log key and origin, as a restore onto a new machine would be.
  options.identity = log::LogIdentity{
      "oncegate.test/log/test-1",
      std::make_shared<crypto::Ed25519Key>(crypto::Ed25519Key::from_pem(read_text(gateway_->data_dir() / "log-key.pem")))};
  auto restored = log::TransferLog::Open(options);
  EXPECT_EQ(restored->size(), size);
  const auto report = restored->verify([](const std::string&, const std::string& sig) { return sig != ""; });
  EXPECT_TRUE(report.ok) << report.first_problem;
}

TEST_F(AdminApiTest, MetricsCountersMoveAsRequestsFlow) {
  const auto count = [](const std::string& text, const std::string& series) -> long {
    // A sample line starts with the series name (HELP and TYPE lines start with '#').
    const auto pos = text.find("\n" + series + " ");
    return pos == std::string::npos ? 0 : std::stol(text.substr(pos + series.size() + 2));
  };
  EXPECT_EQ(call("GET", "/admin/v1/metrics", "").status, 401u);
  const std::string delivered =
      "oncegate_requests_total{family=\"national\",outcome=\"delivered\",evidence_type=\"geburtsurkunde\"}";
  const std::string invalid =
      "oncegate_requests_total{family=\"national\",outcome=\"invalid\",evidence_type=\"geburtsurkunde\"}";
  const auto before = call("GET", "/admin/v1/metrics", observer_key_).body;
  ASSERT_EQ(gateway_->post(gateway_->request(gateway_->people().at(2).idnr, "geburtsurkunde")).status, 200u);
  ASSERT_EQ(gateway_->post(gateway_->request("36574261890", "geburtsurkunde")).status, 400u);
  const auto after = call("GET", "/admin/v1/metrics", observer_key_);
  ASSERT_EQ(after.status, 200u);
  EXPECT_NE(after.content_type.find("text/plain"), std::string::npos);
  EXPECT_EQ(count(after.body, delivered), count(before, delivered) + 1);
  EXPECT_EQ(count(after.body, invalid), count(before, invalid) + 1);
  EXPECT_EQ(count(after.body, "oncegate_request_duration_seconds_count{family=\"national\"}"),
            count(before, "oncegate_request_duration_seconds_count{family=\"national\"}") + 2);
  EXPECT_GE(count(after.body, "oncegate_transfer_log_records"), 2);
  // Every adapter type counts its calls, the in-process ones too.
  const std::string embedded_calls = "oncegate_adapter_calls_total{adapter=\"personenstand\"}";
  EXPECT_EQ(count(after.body, embedded_calls), count(before, embedded_calls) + 1) << after.body;
}

TEST_F(AdminApiTest, DrainMakesTheNodeUnreadyWhileItServesOn) {
  EXPECT_EQ(call("POST", "/admin/v1/drain", observer_key_).status, 403u);
  ASSERT_EQ(call("POST", "/admin/v1/drain", admin_key_).status, 200u);
  const auto draining = call("GET", "/admin/v1/readyz", observer_key_);
  EXPECT_EQ(draining.status, 503u) << draining.body;
  EXPECT_TRUE(json::parse(draining.body).at("draining").as_bool());
  // Requests still get their answers: the load balancer, not the node, moves the traffic.
  EXPECT_EQ(gateway_->post(gateway_->request(gateway_->people().at(3).idnr, "geburtsurkunde")).status, 200u);
  ASSERT_EQ(call("DELETE", "/admin/v1/drain", admin_key_).status, 200u);
  EXPECT_EQ(call("GET", "/admin/v1/readyz", observer_key_).status, 200u);
  const auto entries = audit();
  EXPECT_TRUE(std::any_of(entries.begin(), entries.end(), [](const json::object& e) { return e.at("action").as_string() == "drain"; }));
}

TEST_F(AdminApiTest, RefusalsSayWhatWasWrongAndWhatToDo) {
  const auto unknown_path = call("GET", "/admin/v1/no-such-topic", observer_key_);
  EXPECT_EQ(unknown_path.status, 404u);
  EXPECT_NE(unknown_path.body.find("GET /admin/v1/ lists them"), std::string::npos) << unknown_path.body;
  const auto wrong_method = call("DELETE", "/admin/v1/readyz", admin_key_);
  EXPECT_EQ(wrong_method.status, 405u);
  EXPECT_NE(wrong_method.body.find("does not take this method"), std::string::npos) << wrong_method.body;
  const auto no_key = call("GET", "/admin/v1/readyz", "");
  EXPECT_EQ(no_key.status, 401u);
  EXPECT_NE(no_key.body.find("[[admin.operators]]"), std::string::npos) << no_key.body;
  const auto unknown_key = call("GET", "/admin/v1/readyz", "og_admin_guess");
  EXPECT_NE(unknown_key.body.find("API key is not known"), std::string::npos) << unknown_key.body;

  // A TLS client certificate that is no operator's (an authority's): said as such.
  client::HttpsClient connection("127.0.0.1", gateway_->gateway().port("admin"), gateway_->tls());
  const auto stranger = connection.request("GET", "/admin/v1/readyz", "", "application/json");
  EXPECT_EQ(stranger.status, 401u);
  EXPECT_NE(stranger.body.find("is not registered as an operator"), std::string::npos) << stranger.body;

  // The index the 404 points to lists every endpoint with its method.
  const auto index = call("GET", "/admin/v1/", observer_key_);
  ASSERT_EQ(index.status, 200u) << index.body;
  const auto endpoints = json::parse(index.body).at("endpoints").as_array();
  const auto listed = [&](const std::string& endpoint) {
    return std::any_of(endpoints.begin(), endpoints.end(), [&](const auto& e) { return e.as_string() == endpoint; });
  };
  EXPECT_TRUE(listed("GET /admin/v1/readyz"));
  EXPECT_TRUE(listed("POST /admin/v1/log/verify"));
  EXPECT_TRUE(listed("GET /admin/v1/"));
}

TEST_F(AdminApiTest, KeysAreStoredOnlyAsHashes) {
  const std::string keys_file = read_text(gateway_->data_dir() / "admin-keys.json");
  EXPECT_EQ(keys_file.find(admin_key_), std::string::npos);
  EXPECT_EQ(keys_file.find(observer_key_), std::string::npos);
}

// A register that cannot be reached must not take the node out: readiness stays 200, names the
// route and register, and the metric says so; the other routes keep serving.
TEST(ReadinessTest, ADeadRemoteRegisterDegradesItsRouteOnly) {
  TestGatewayOptions options;
  options.extra_toml =
      "[listeners.admin]\naddress = \"127.0.0.1\"\nport = 0\ncertificate = \"demo/server.pem\"\n"
      "private_key = \"demo/server.key\"\n"
      "[[adapters]]\nname = \"dead-remote\"\ntype = \"remote-https\"\nurl = \"https://127.0.0.1:1\"\n"
      "ca = \"demo/ca.pem\"\nhealth_interval_ms = 100\n"
      "[[routes]]\nevidence_type = \"sterbeurkunde\"\nadapter = \"dead-remote\"\n";
  TestGateway gateway(options);
  std::string observer = read_text(gateway.demo_dir() / "observer-api-key");
  observer.pop_back();
  const auto call = [&](const std::string& path) {
    client::HttpsClient connection("127.0.0.1", gateway.gateway().port("admin"), gateway.tls(""));
    return connection.request("GET", path, "", "application/json", {{"Authorization", "Bearer " + observer}});
  };
  json::object body;
  ASSERT_TRUE(eventually([&] {
    const auto ready = call("/admin/v1/readyz");
    body = json::parse(ready.body).as_object();
    return ready.status == 200 && body.at("degraded").as_bool();
  }, std::chrono::milliseconds(5000))) << json::serialize(body);
  EXPECT_TRUE(body.at("ready").as_bool());
  const auto& routes = body.at("degraded_routes").as_array();
  ASSERT_EQ(routes.size(), 1u) << json::serialize(body);
  EXPECT_EQ(routes[0].at("evidence_type").as_string(), "sterbeurkunde");
  EXPECT_EQ(routes[0].at("adapter").as_string(), "dead-remote");
  EXPECT_NE(std::string(routes[0].at("reason").as_string()).find("health check"), std::string::npos);
  const auto metrics = call("/admin/v1/metrics").body;
  EXPECT_NE(metrics.find("\noncegate_routes_degraded 1\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("oncegate_adapter_reachable{adapter=\"dead-remote\"} 0"), std::string::npos);
  EXPECT_NE(metrics.find("oncegate_adapter_reachable{adapter=\"personenstand\"} 1"), std::string::npos);
  // The other routes serve as before.
  EXPECT_EQ(gateway.post(gateway.request(gateway.people().front().idnr, "geburtsurkunde")).status, 200u);
}

}  // namespace
}  // namespace oncegate::testing
