// Faults, tried on the running gateway: the transfer log's disk full and slow (RocksDB's own
// FileSystem wrapper, on command), and registers that hang or answer slowly. What must hold in
// each: an answer within its deadline, nothing released without a durable record, nothing
// acknowledged missing from the log, and the service back by itself once the fault is gone.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <set>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/json.hpp>

#include "adapters/population/population.hpp"
#include "adapters/sample_register/sample_register_server.hpp"
#include "gateway/common/files.hpp"
#include "gateway/crypto/data_signer.hpp"
#include "gateway/log/transfer_log.hpp"
#include "tests/support/test_gateway.hpp"
#include "tests/support/eventually.hpp"

namespace oncegate::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
namespace json = boost::json;

const char* kAdminListener =
    "[listeners.admin]\naddress = \"127.0.0.1\"\nport = 0\ncertificate = \"demo/server.pem\"\n"
    "private_key = \"demo/server.key\"\n";

struct Answer {
  unsigned status = 0;
  std::string code;  // empty when delivered
  std::string request_uuid;
  std::size_t fields = 0;  // evidence fields in the answer
  std::chrono::milliseconds took{0};
  std::string body;
};

Answer ask(const TestGateway& gateway, const std::string& type, std::size_t person) {
  const std::string request = gateway.request(gateway.people().at(person).idnr, type);
  const auto start = Clock::now();
  const auto reply = gateway.post(request);
  Answer answer;
  answer.took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  answer.status = reply.status;
  answer.body = reply.body;
  const auto reading = gateway.codec().read_answer(reply.body);
  EXPECT_TRUE(reading.valid) << reading.problem << "\n" << reply.body;
  answer.code = reading.error_code;
  answer.request_uuid = reading.request_uuid;
  answer.fields = reading.fields.size();
  return answer;
}

bool ready(const TestGateway& gateway) {
  return gateway.admin_call("GET", "/admin/v1/readyz", gateway.observer_key()).status == 200;
}

std::set<std::string> logged_request_uuids(TestGateway& gateway) {
  std::set<std::string> out;
  std::optional<std::uint64_t> before;
  do {
    auto page = gateway.gateway().transfer_log().by_authority(TestGateway::kAuthority, 0, INT64_MAX, 500, before);
    for (const auto& record : page.records) out.insert(record.request_uuid);
    before = page.next_before;
  } while (before);
  return out;
}

bool log_verifies(TestGateway& gateway) {
  auto& log = gateway.gateway().transfer_log();
  (void)log.issue_head();
  const crypto::DataVerifier verifier(common::read_file(gateway.demo_dir() / "gateway-signing.pem"));
  const auto report = log.verify([&](const std::string& text, const std::string& signature) {
    return verifier.verify(text, signature);
  });
  EXPECT_TRUE(report.ok) << report.first_problem;
  return report.ok;
}

// ------------------------------------------------------------------------------------------------
// The log's disk

TEST(LogDiskFull, NothingIsReleasedWithoutARecordAndServiceResumesWithoutRestart) {
  auto faults = std::make_shared<log::StorageFaults>();
  TestGatewayOptions options;
  options.extra_toml = kAdminListener;
  options.log_faults = faults;
  TestGateway gateway(options);
  std::set<std::string> acknowledged;
  for (std::size_t i = 0; i < 3; ++i) {
    const auto answer = ask(gateway, "geburtsurkunde", i);
    ASSERT_EQ(answer.code, "") << answer.body;
    acknowledged.insert(answer.request_uuid);
  }
  ASSERT_TRUE(ready(gateway));

  faults->set_disk_full(true);
  std::set<std::string> refused;
  for (std::size_t i = 3; i < 8; ++i) {
    const auto answer = ask(gateway, "geburtsurkunde", i);
    EXPECT_EQ(answer.status, 503u);
    EXPECT_EQ(answer.code, "LOG_UNAVAILABLE") << answer.body;
    EXPECT_EQ(answer.fields, 0u) << "evidence left without a record: " << answer.body;
    EXPECT_EQ(answer.body.find(gateway.people().at(i).familienname), std::string::npos) << answer.body;
    refused.insert(answer.request_uuid);
  }
  EXPECT_GT(faults->refused_writes(), 0u);
  const auto not_ready = gateway.admin_call("GET", "/admin/v1/readyz", gateway.observer_key());
  EXPECT_EQ(not_ready.status, 503u) << not_ready.body;
  EXPECT_NE(not_ready.body.find("\"log_writable\":false"), std::string::npos) << not_ready.body;

  // Space returns: no restart, no request needed for readiness to come back.
  faults->set_disk_full(false);
  EXPECT_TRUE(eventually([&] { return ready(gateway); }));
  for (std::size_t i = 8; i < 11; ++i) {
    const auto answer = ask(gateway, "geburtsurkunde", i);
    ASSERT_EQ(answer.code, "") << answer.body;
    acknowledged.insert(answer.request_uuid);
  }

  const auto logged = logged_request_uuids(gateway);
  for (const auto& uuid : acknowledged) EXPECT_TRUE(logged.contains(uuid)) << "acknowledged but not logged: " << uuid;
  for (const auto& uuid : refused) EXPECT_FALSE(logged.contains(uuid)) << "refused but logged: " << uuid;
  EXPECT_TRUE(log_verifies(gateway));

  // And it all survives a restart.
  gateway.restart();
  const auto after_restart = logged_request_uuids(gateway);
  for (const auto& uuid : acknowledged) EXPECT_TRUE(after_restart.contains(uuid)) << uuid;
  EXPECT_TRUE(log_verifies(gateway));
}

TEST(LogDiskSlow, GroupCommitAbsorbsSlowSyncsAndNobodyWaitsPastTheLogDeadline) {
  auto faults = std::make_shared<log::StorageFaults>();
  TestGatewayOptions options;
  options.log_faults = faults;
  options.log_toml = "deadline_ms = 1000\n";
  TestGateway gateway(options);
  ASSERT_EQ(ask(gateway, "geburtsurkunde", 0).code, "");

  // Every fsync takes 50 ms: 32 clients at once share them.
  faults->set_sync_delay(50ms);
  constexpr int kClients = 32;
  constexpr int kEach = 4;
  std::atomic<int> delivered{0};
  std::atomic<long> slowest_ms{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      for (int i = 0; i < kEach; ++i) {
        const auto answer = ask(gateway, "geburtsurkunde", static_cast<std::size_t>(c * kEach + i) % 500);
        if (answer.code.empty()) ++delivered;
        long took = answer.took.count();
        long seen = slowest_ms.load();
        while (took > seen && !slowest_ms.compare_exchange_weak(seen, took)) {
        }
      }
    });
  }
  for (auto& client : clients) client.join();
  EXPECT_EQ(delivered.load(), kClients * kEach);
  // Far fewer syncs than records: each fsync carried many of them.
  EXPECT_LT(faults->delayed_syncs(), static_cast<std::uint64_t>(kClients * kEach / 2)) << faults->delayed_syncs();
  // Well inside the log deadline of 1 s: the answers never came near it.
  EXPECT_LT(slowest_ms.load(), 1000) << slowest_ms.load();

  // A disk that stops answering (a sync of 3 s) meets the log deadline: LOG_UNAVAILABLE within it,
  // nothing released.
  faults->set_sync_delay(3000ms);
  const auto hung = ask(gateway, "geburtsurkunde", 7);
  EXPECT_EQ(hung.code, "LOG_UNAVAILABLE") << hung.body;
  EXPECT_EQ(hung.fields, 0u);
  EXPECT_GE(hung.took, 950ms);
  EXPECT_LT(hung.took, 2500ms);  // the deadline plus a generous margin (ASan, two cores)
  faults->set_sync_delay(0ms);
  EXPECT_TRUE(eventually([&] { return ask(gateway, "geburtsurkunde", 8).code.empty(); }));
  EXPECT_TRUE(log_verifies(gateway));
}

// ------------------------------------------------------------------------------------------------
// Registers that hang or are slow

// A TCP server that accepts connections and then never says a word (not even TLS).
class SilentServer {
 public:
  SilentServer() : acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
    accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~SilentServer() {
    io_.stop();
    thread_.join();
  }
  [[nodiscard]] std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  [[nodiscard]] int accepted() const { return accepted_.load(); }

 private:
  void accept() {
    acceptor_.async_accept([this](const boost::system::error_code& error, boost::asio::ip::tcp::socket socket) {
      if (error) return;
      ++accepted_;
      held_.push_back(std::move(socket));
      accept();
    });
  }
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::vector<boost::asio::ip::tcp::socket> held_;
  std::atomic<int> accepted_{0};
  std::thread thread_;
};

class FaultyRegisters : public ::testing::Test {
 protected:
  static constexpr auto kDeadline = 1000ms;  // TestGateway's adapter_deadline_ms

  void SetUp() override {
    TestGatewayOptions options;
    options.prepare = [this](const std::filesystem::path& data_dir) {
      // The same people as the gateway's own registers (what TestGateway's demo section makes).
      (void)adapters::population::ensure_population_file(data_dir / "registers" / "population.tsv", 7, 2000);
      adapters::sample_register::SampleRegisterServer::Options slow;
      slow.population = data_dir / "registers" / "population.tsv";
      slow.certificate = (data_dir / "demo" / "server.pem").string();
      slow.private_key = (data_dir / "demo" / "server.key").string();
      slow.latency = 300ms;
      slow_ = std::make_unique<adapters::sample_register::SampleRegisterServer>(slow);
      slow_->start();
    };
    options.extra_toml_late = [this] { return std::to_string(slow_->port()); };
    options.extra_toml = std::string(kAdminListener) +
        "[[adapters]]\nname = \"hanging\"\ntype = \"remote-https\"\nurl = \"https://127.0.0.1:" +
        std::to_string(silent_.port()) + "\"\nca = \"demo/ca.pem\"\nconnect_timeout_ms = 30000\n"
        "breaker_failures = 3\nbreaker_open_ms = 60000\n"
        "[[adapters]]\nname = \"slow\"\ntype = \"remote-https\"\nurl = \"https://127.0.0.1:{PORT}\"\n"
        "ca = \"demo/ca.pem\"\n"
        "[[routes]]\nevidence_type = \"test-hanging\"\nadapter = \"hanging\"\n"
        "[[permissions]]\nid = \"faults\"\nauthorities = [\"psw:01003110\"]\n"
        "evidence_types = [\"test-hanging\"]\npurposes = [\"leistungsgewaehrung\"]\n"
        "legal_bases = [\"IDNrG § 6 Abs. 2\"]\n";
    gateway_ = std::make_unique<TestGateway>(options);
  }
  void TearDown() override {
    gateway_.reset();
    slow_.reset();
  }

  SilentServer silent_;
  std::unique_ptr<adapters::sample_register::SampleRegisterServer> slow_;
  std::unique_ptr<TestGateway> gateway_;
};

TEST_F(FaultyRegisters, AHangingRegisterMeetsItsDeadlineOthersKeepTheirPaceAndTheBreakerOpens) {
  auto& gateway = *gateway_;
  ASSERT_EQ(ask(gateway, "geburtsurkunde", 0).code, "");

  // Two requests hang on the silent register at once while the embedded register keeps serving.
  std::vector<std::future<Answer>> hanging;
  for (std::size_t i = 0; i < 2; ++i) {
    hanging.push_back(std::async(std::launch::async, [&gateway, i] { return ask(gateway, "test-hanging", 10 + i); }));
  }
  std::this_thread::sleep_for(100ms);
  std::chrono::milliseconds slowest_other{0};
  for (std::size_t i = 0; i < 5; ++i) {
    const auto other = ask(gateway, "geburtsurkunde", 20 + i);
    EXPECT_EQ(other.code, "") << other.body;
    slowest_other = std::max(slowest_other, other.took);
  }
  // Far below the deadline the hanging ones wait for.
  EXPECT_LT(slowest_other, 400ms);
  for (auto& future : hanging) {
    const auto answer = future.get();
    EXPECT_EQ(answer.code, "TIMEOUT") << answer.body;
    EXPECT_EQ(answer.status, 504u);
    EXPECT_GE(answer.took, kDeadline - 50ms);
    EXPECT_LT(answer.took, kDeadline + 1500ms);
  }
  EXPECT_GE(silent_.accepted(), 1);

  // The third timeout opens the breaker; from then on the register is not even tried.
  EXPECT_EQ(ask(gateway, "test-hanging", 12).code, "TIMEOUT");
  const auto fast = ask(gateway, "test-hanging", 13);
  EXPECT_EQ(fast.code, "REGISTER_UNAVAILABLE") << fast.body;
  EXPECT_LT(fast.took, kDeadline / 2);
  // Readiness names the open breaker, and one register down does not take the gateway out.
  const auto readiness = gateway.admin_call("GET", "/admin/v1/readyz", gateway.observer_key());
  EXPECT_EQ(readiness.status, 200u) << readiness.body;
  const auto body = json::parse(readiness.body).as_object();
  EXPECT_TRUE(body.at("degraded").as_bool());
  std::string breaker;
  for (const auto& entry : body.at("registers").as_array()) {
    if (entry.at("name").as_string() == "hanging") breaker = std::string(entry.at("breaker").as_string());
  }
  EXPECT_EQ(breaker, "open") << readiness.body;
  // The others are untouched.
  EXPECT_EQ(ask(gateway, "geburtsurkunde", 30).code, "");
}

TEST_F(FaultyRegisters, ASlowRegisterWithinTheDeadlineDelivers) {
  auto& gateway = *gateway_;
  // The operator points the birth certificates at the slow register (it holds only those).
  const auto moved = gateway.admin_call("PUT", "/admin/v1/routes/geburtsurkunde", gateway.admin_key(),
                                        R"({"adapter":"slow"})");
  ASSERT_EQ(moved.status, 200u) << moved.body;
  const auto slow = ask(gateway, "geburtsurkunde", 1);
  EXPECT_EQ(slow.code, "") << slow.body;
  EXPECT_GT(slow.fields, 0u);
  EXPECT_GE(slow.took, 300ms);
  EXPECT_LT(slow.took, kDeadline + 1000ms);
  EXPECT_GE(slow_->queries_handled(), 1u);
}

}  // namespace
}  // namespace oncegate::testing
