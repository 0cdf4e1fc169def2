// The remote register adapter against real HTTPS registers on loopback: the sample register
// server (an embedded register behind the register wire protocol) and, for broken answers, a
// small register built on oncegate's HTTPS server. Real TLS with a test PKI, port 0 throughout.
// Also: the circuit breaker's state machine with a fake clock, and the wire protocol's reader.

#include "adapters/remote/remote_register.hpp"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "adapters/embedded/embedded_register.hpp"
#include "adapters/population/population.hpp"
#include "gateway/adapter/factory_registry.hpp"
#include "adapters/remote/circuit_breaker.hpp"
#include "adapters/sample_register/sample_register_server.hpp"
#include "gateway/client/https_client.hpp"
#include "gateway/message/register_protocol.hpp"
#include "gateway/net/server.hpp"
#include "gateway/routing/idnr.hpp"
#include "gateway/demo/pki.hpp"
#include "gateway/common/files.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/test_gateway.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using oncegate::testing::eventually;
using oncegate::adapters::AdapterConfig;
using oncegate::adapters::AdapterContext;
using oncegate::adapters::AdapterError;
using oncegate::adapters::AdapterFactoryRegistry;
using oncegate::adapters::Evidence;
using oncegate::adapters::EvidenceQuery;
using oncegate::adapters::FetchResult;
using oncegate::adapters::FetchStatus;
using oncegate::adapters::RegisterAdapter;
using oncegate::adapters::population::Person;
using oncegate::adapters::remote::CircuitBreaker;
using oncegate::adapters::sample_register::SampleRegisterServer;
namespace message = oncegate::message;
namespace population = oncegate::adapters::population;
namespace remote = oncegate::adapters::remote;
namespace crypto = oncegate::crypto;
namespace net = oncegate::net;

using Settings = std::map<std::string, std::string>;

// The register protocol's namespace, for hand-made answers.
const std::string kNs = "xmlns=\"urn:oncegate:register:1\"";

// ------------------------------------------------------------------------------------------------
// Circuit breaker (pure logic, fake clock)

TEST(CircuitBreakerTest, OpensAfterConsecutiveFailuresAndRecoversThroughAProbe) {
  Clock::time_point now{};
  CircuitBreaker breaker({3, 1000ms}, [&now] { return now; });
  EXPECT_EQ(breaker.state(), CircuitBreaker::State::closed);
  EXPECT_TRUE(breaker.allows_requests());

  EXPECT_FALSE(breaker.record_failure());
  EXPECT_FALSE(breaker.record_failure());
  breaker.record_success();  // failures must be consecutive
  EXPECT_EQ(breaker.consecutive_failures(), 0u);
  EXPECT_FALSE(breaker.record_failure());
  EXPECT_FALSE(breaker.record_failure());
  EXPECT_TRUE(breaker.record_failure());  // the third in a row opens it
  EXPECT_EQ(breaker.state(), CircuitBreaker::State::open);
  EXPECT_FALSE(breaker.allows_requests());
  EXPECT_EQ(breaker.probe_due_at(), now + 1000ms);

  // Late results of requests started before it opened change nothing.
  EXPECT_FALSE(breaker.record_failure());
  breaker.record_success();
  EXPECT_EQ(breaker.state(), CircuitBreaker::State::open);

  now += 999ms;
  EXPECT_FALSE(breaker.begin_probe());  // not yet due
  now += 1ms;
  EXPECT_TRUE(breaker.begin_probe());
  EXPECT_EQ(breaker.state(), CircuitBreaker::State::half_open);
  EXPECT_FALSE(breaker.allows_requests());
  EXPECT_FALSE(breaker.begin_probe());  // one probe at a time

  EXPECT_TRUE(breaker.probe_failed());
  EXPECT_EQ(breaker.state(), CircuitBreaker::State::open);
  EXPECT_EQ(breaker.probe_due_at(), now + 1000ms);  // another full open period
  EXPECT_FALSE(breaker.probe_succeeded());          // only from half_open

  now += 1000ms;
  EXPECT_TRUE(breaker.begin_probe());
  EXPECT_TRUE(breaker.probe_succeeded());
  EXPECT_EQ(breaker.state(), CircuitBreaker::State::closed);
  EXPECT_TRUE(breaker.allows_requests());
  EXPECT_EQ(breaker.consecutive_failures(), 0u);
  EXPECT_FALSE(breaker.record_failure());  // counting starts afresh
}

TEST(CircuitBreakerTest, ThresholdOfOneAndStateNames) {
  Clock::time_point now{};
  CircuitBreaker breaker({0, 10ms}, [&now] { return now; });  // 0 is taken as 1
  EXPECT_TRUE(breaker.record_failure());
  EXPECT_EQ(remote::to_string(breaker.state()), "open");
  now += 10ms;
  ASSERT_TRUE(breaker.begin_probe());
  EXPECT_EQ(remote::to_string(breaker.state()), "half_open");
  breaker.probe_succeeded();
  EXPECT_EQ(remote::to_string(breaker.state()), "closed");
}

// ------------------------------------------------------------------------------------------------
// Register URLs

TEST(RegisterUrlTest, ParsesHostPortAndBasePath) {
  std::string problem;
  auto url = remote::parse_register_url("https://register.example:8443/base/path/", problem);
  ASSERT_TRUE(url) << problem;
  EXPECT_EQ(url->host, "register.example");
  EXPECT_EQ(url->port, 8443);
  EXPECT_EQ(url->base_path, "/base/path");

  url = remote::parse_register_url("https://[::1]:9000", problem);
  ASSERT_TRUE(url) << problem;
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, 9000);
  EXPECT_EQ(url->base_path, "");

  url = remote::parse_register_url("HTTPS://127.0.0.1", problem);
  ASSERT_TRUE(url) << problem;
  EXPECT_EQ(url->port, 443);

  for (const char* bad : {"http://127.0.0.1:1", "https://", "https://:80", "https://host:0",
                          "https://host:70000", "https://host:12x", "https://user@host:1",
                          "https://host:1/p?q=1", "https://host:1/p#f", "https://[::1", "https://ho st",
                          "https://host:1/a b", "ftp://host"}) {
    EXPECT_FALSE(remote::parse_register_url(bad, problem)) << bad;
  }
}

// ------------------------------------------------------------------------------------------------
// Against real registers

struct TestPki {
  fs::path ca;           // the register's CA
  fs::path server_cert;  // localhost / 127.0.0.1, chain with the CA
  fs::path server_key;
  fs::path other_ca;     // an unrelated CA
  fs::path client_ca;    // CA of the gateway's client certificate
  fs::path client_cert;
  fs::path client_key;
};

TestPki make_pki(const fs::path& dir) {
  fs::create_directories(dir);
  TestPki pki{dir / "ca.pem", dir / "server.pem", dir / "server.key", dir / "other-ca.pem",
              dir / "client-ca.pem", dir / "client.pem", dir / "client.key"};
  crypto::CertificateRequest ca_request;
  ca_request.common_name = "Test Register CA";
  ca_request.role = crypto::CertificateRole::ca;
  const auto ca = crypto::issue_certificate(ca_request, nullptr);
  oncegate::common::write_file_atomically(pki.ca, ca.certificate_pem, false);

  crypto::CertificateRequest server_request;
  server_request.common_name = "localhost";
  server_request.role = crypto::CertificateRole::tls_server;
  server_request.dns_names = {"localhost"};
  server_request.ip_addresses = {"127.0.0.1"};
  const auto server = crypto::issue_certificate(server_request, &ca);
  oncegate::common::write_file_atomically(pki.server_cert, server.certificate_pem + ca.certificate_pem, false);
  oncegate::common::write_file_atomically(pki.server_key, server.private_key_pem, true);

  ca_request.common_name = "Unrelated CA";
  oncegate::common::write_file_atomically(pki.other_ca, crypto::issue_certificate(ca_request, nullptr).certificate_pem, false);

  ca_request.common_name = "Gateway Client CA";
  const auto client_ca = crypto::issue_certificate(ca_request, nullptr);
  oncegate::common::write_file_atomically(pki.client_ca, client_ca.certificate_pem, false);
  crypto::CertificateRequest client_request;
  client_request.common_name = "oncegate gateway";
  client_request.role = crypto::CertificateRole::tls_client;
  const auto client = crypto::issue_certificate(client_request, &client_ca);
  oncegate::common::write_file_atomically(pki.client_cert, client.certificate_pem + client_ca.certificate_pem, false);
  oncegate::common::write_file_atomically(pki.client_key, client.private_key_pem, true);
  return pki;
}

class RemoteRegisterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pki_ = make_pki(dir_.path() / "pki");
    people_ = population::generate(20240101, 300);
    population_file_ = dir_.path() / "population.tsv";
    population::write_tsv(population_file_, people_);
    remote::register_remote_adapter_type(factories_);
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_.run(); });
  }

  void TearDown() override {
    // Adapters first (their pending work ends within its deadlines), then the I/O threads, then
    // the registers.
    adapters_.clear();
    work_.reset();
    for (auto& thread : threads_) thread.join();
    servers_.clear();
  }

  SampleRegisterServer& start_register(std::uint16_t port = 0, std::chrono::milliseconds latency = 0ms,
                                       std::string client_ca = {}) {
    SampleRegisterServer::Options options;
    options.population = population_file_;
    options.port = port;
    options.certificate = pki_.server_cert.string();
    options.private_key = pki_.server_key.string();
    options.client_ca = std::move(client_ca);
    options.latency = latency;
    servers_.push_back(std::make_unique<SampleRegisterServer>(options));
    servers_.back()->start();
    return *servers_.back();
  }

  Settings settings_for(std::uint16_t port) const {
    // Without the periodic health check, so that connection counts are the calls' alone (the
    // health check has a test of its own).
    return {{"url", "https://127.0.0.1:" + std::to_string(port)}, {"ca", pki_.ca.string()}, {"health_interval_ms", "0"}};
  }

  std::shared_ptr<RegisterAdapter> make(Settings settings) {
    AdapterConfig config{"remote-test", "remote-https", "Testregister (entfernt)", std::move(settings)};
    adapters_.push_back(factories_.create(config, AdapterContext{io_.get_executor(), dir_.path().string()}));
    return adapters_.back();
  }

  // Fetches and waits for the completion (which must come, and only once).
  static FetchResult fetch(RegisterAdapter& adapter, const std::string& idnr,
                           std::chrono::milliseconds budget = 3000ms,
                           const std::string& type = "geburtsurkunde",
                           const std::string& correlation_id = {}) {
    auto promise = std::make_shared<std::promise<FetchResult>>();
    auto future = promise->get_future();
    adapter.fetch(EvidenceQuery{idnr, type, "", "6a1f0a7e-1111-4222-8333-444455556666", correlation_id, {}},
                  Clock::now() + budget, [promise](FetchResult result) { promise->set_value(std::move(result)); });
    if (future.wait_for(budget + 10s) != std::future_status::ready) {
      ADD_FAILURE() << "no completion";
      return {};
    }
    return future.get();
  }

  std::string unknown_idnr() const {
    std::unordered_set<std::string> known;
    for (const Person& p : people_) known.insert(p.idnr);
    std::uint64_t state = 0xC0FFEE;
    for (;;) {
      std::string idnr = oncegate::routing::generate_idnr(state);
      if (!known.contains(idnr)) return idnr;
    }
  }

  void expect_rejected(Settings settings, const std::string& mentioned) {
    try {
      (void)make(std::move(settings));
      ADD_FAILURE() << "configuration accepted, expected an error mentioning '" << mentioned << "'";
    } catch (const AdapterError& e) {
      EXPECT_NE(std::string(e.what()).find(mentioned), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("remote-test"), std::string::npos) << e.what();
    }
  }

  oncegate::testing::TempDir dir_;
  TestPki pki_;
  std::vector<Person> people_;
  fs::path population_file_;
  AdapterFactoryRegistry factories_;
  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_{
      io_.get_executor()};
  std::vector<std::thread> threads_;
  std::vector<std::unique_ptr<SampleRegisterServer>> servers_;
  std::vector<std::shared_ptr<RegisterAdapter>> adapters_;
};

TEST_F(RemoteRegisterTest, FoundAndNotFoundThroughARealRegister) {
  auto& server = start_register();
  auto adapter = make(settings_for(server.port()));
  const Person& person = people_.front();

  const FetchResult found = fetch(*adapter, person.idnr, 3000ms, "geburtsurkunde", "corr-4711");
  ASSERT_EQ(found.status, FetchStatus::found) << found.detail;
  EXPECT_EQ(found.evidence.document, "geburtsurkunde");
  ASSERT_EQ(found.evidence.fields.size(), 7u);
  EXPECT_EQ(found.evidence.fields[0], (std::pair<std::string, std::string>{"familienname", person.familienname}));
  EXPECT_EQ(found.evidence.fields[2], (std::pair<std::string, std::string>{"vornamen", person.vornamen}));
  EXPECT_EQ(server.last_correlation_id(), "corr-4711");

  const FetchResult missing = fetch(*adapter, unknown_idnr());
  EXPECT_EQ(missing.status, FetchStatus::not_found) << missing.detail;
  EXPECT_TRUE(server.last_correlation_id().empty());

  const auto status = adapter->status();
  EXPECT_EQ(status.breaker, "closed");
  EXPECT_TRUE(status.reachable);
  EXPECT_EQ(status.calls, 2u);
  EXPECT_EQ(status.failures, 0u);
  EXPECT_EQ(status.timeouts, 0u);
  EXPECT_EQ(server.queries_handled(), 2u);
}

TEST_F(RemoteRegisterTest, KeepAliveReusesConnections) {
  auto& server = start_register();
  auto adapter = make(settings_for(server.port()));
  for (int i = 0; i < 20; ++i) {
    const FetchResult result = fetch(*adapter, people_[static_cast<std::size_t>(i)].idnr);
    ASSERT_EQ(result.status, FetchStatus::found) << i << ": " << result.detail;
  }
  EXPECT_EQ(server.queries_handled(), 20u);
  EXPECT_LE(server.connections_seen(), 2u);
}

TEST_F(RemoteRegisterTest, PoolBoundsConnectionsAndQueuesTheRest) {
  auto& server = start_register(0, 50ms);
  Settings settings = settings_for(server.port());
  settings["pool_size"] = "2";
  auto adapter = make(settings);
  std::vector<std::future<FetchResult>> results;
  std::vector<std::shared_ptr<std::promise<FetchResult>>> promises;
  for (int i = 0; i < 12; ++i) {
    auto promise = std::make_shared<std::promise<FetchResult>>();
    results.push_back(promise->get_future());
    adapter->fetch(EvidenceQuery{people_[static_cast<std::size_t>(i)].idnr, "geburtsurkunde", "", "u", "", {}},
                   Clock::now() + 10s, [promise](FetchResult r) { promise->set_value(std::move(r)); });
  }
  for (auto& result : results) {
    ASSERT_EQ(result.wait_for(20s), std::future_status::ready);
    const FetchResult r = result.get();
    EXPECT_EQ(r.status, FetchStatus::found) << r.detail;
  }
  EXPECT_EQ(server.queries_handled(), 12u);
  EXPECT_LE(server.connections_seen(), 2u);
}

TEST_F(RemoteRegisterTest, QueuedCallTimesOutAtItsDeadline) {
  auto& server = start_register(0, 600ms);
  Settings settings = settings_for(server.port());
  settings["pool_size"] = "1";
  auto adapter = make(settings);
  auto first = std::async(std::launch::async, [&] { return fetch(*adapter, people_[0].idnr, 5000ms); });
  ASSERT_TRUE(eventually([&] { return adapter->status().calls == 1; }, 2000ms));
  std::this_thread::sleep_for(50ms);  // the first call holds the only connection
  const auto start = Clock::now();
  const FetchResult queued = fetch(*adapter, people_[1].idnr, 150ms);
  EXPECT_EQ(queued.status, FetchStatus::timeout) << queued.detail;
  EXPECT_NE(queued.detail.find("free connection"), std::string::npos) << queued.detail;
  EXPECT_LT(Clock::now() - start, 500ms);
  EXPECT_EQ(first.get().status, FetchStatus::found);
}

TEST_F(RemoteRegisterTest, WrongCaIsUnavailableAndTheRegisterSeesNoQuery) {
  auto& server = start_register();
  Settings settings = settings_for(server.port());
  settings["ca"] = pki_.other_ca.string();
  auto adapter = make(settings);
  const FetchResult result = fetch(*adapter, people_[0].idnr);
  EXPECT_EQ(result.status, FetchStatus::unavailable);
  EXPECT_NE(result.detail.find("TLS"), std::string::npos) << result.detail;
  EXPECT_EQ(result.detail.find(people_[0].idnr), std::string::npos) << result.detail;
  EXPECT_EQ(server.queries_handled(), 0u);
  const auto status = adapter->status();
  EXPECT_FALSE(status.reachable);
  EXPECT_EQ(status.failures, 1u);
  EXPECT_NE(status.last_error.find("TLS"), std::string::npos) << status.last_error;
}

TEST_F(RemoteRegisterTest, ServerNameOverridesTheVerifiedName) {
  auto& server = start_register();
  Settings wrong = settings_for(server.port());
  wrong["server_name"] = "register.example";  // not in the certificate
  auto mismatched = make(wrong);
  const FetchResult result = fetch(*mismatched, people_[0].idnr);
  EXPECT_EQ(result.status, FetchStatus::unavailable);
  EXPECT_NE(result.detail.find("TLS"), std::string::npos) << result.detail;
  EXPECT_EQ(server.queries_handled(), 0u);

  Settings right = settings_for(server.port());
  right["server_name"] = "localhost";  // the certificate's DNS name, while connecting to 127.0.0.1
  auto matching = make(right);
  EXPECT_EQ(fetch(*matching, people_[0].idnr).status, FetchStatus::found);
}

TEST_F(RemoteRegisterTest, MutualTlsWithAClientCertificate) {
  auto& server = start_register(0, 0ms, pki_.client_ca.string());
  auto without = make(settings_for(server.port()));
  EXPECT_EQ(fetch(*without, people_[0].idnr).status, FetchStatus::unavailable);
  EXPECT_EQ(server.queries_handled(), 0u);

  Settings settings = settings_for(server.port());
  settings["client_certificate"] = pki_.client_cert.string();
  settings["client_key"] = pki_.client_key.string();
  auto with = make(settings);
  const FetchResult result = fetch(*with, people_[0].idnr);
  EXPECT_EQ(result.status, FetchStatus::found) << result.detail;
}

TEST_F(RemoteRegisterTest, SlowRegisterTimesOutAtTheDeadline) {
  auto& server = start_register(0, 1500ms);
  auto adapter = make(settings_for(server.port()));
  const auto start = Clock::now();
  const FetchResult result = fetch(*adapter, people_[0].idnr, 300ms);
  EXPECT_EQ(result.status, FetchStatus::timeout) << result.detail;
  EXPECT_LT(Clock::now() - start, 1200ms);
  EXPECT_EQ(adapter->status().timeouts, 1u);
}

TEST_F(RemoteRegisterTest, StaleKeepAliveConnectionIsRetriedOnAFreshOne) {
  auto* server = &start_register();
  const std::uint16_t port = server->port();
  Settings settings = settings_for(port);
  auto adapter = make(settings);
  settings["retries"] = "0";
  auto no_retry = make(settings);
  ASSERT_EQ(fetch(*adapter, people_[0].idnr).status, FetchStatus::found);
  ASSERT_EQ(fetch(*no_retry, people_[0].idnr).status, FetchStatus::found);

  // The register restarts: both adapters hold a pooled connection that is dead now.
  server->shutdown();
  servers_.clear();
  server = &start_register(port);

  const FetchResult retried = fetch(*adapter, people_[1].idnr);
  EXPECT_EQ(retried.status, FetchStatus::found) << retried.detail;
  EXPECT_EQ(adapter->status().failures, 0u);

  const FetchResult not_retried = fetch(*no_retry, people_[1].idnr);
  EXPECT_EQ(not_retried.status, FetchStatus::unavailable) << not_retried.detail;
  EXPECT_EQ(server->queries_handled(), 1u);
}

TEST_F(RemoteRegisterTest, BreakerOpensFailsFastAndClosesWhenTheRegisterIsBack) {
  auto* server = &start_register();
  const std::uint16_t port = server->port();
  Settings settings = settings_for(port);
  settings["breaker_failures"] = "3";
  settings["breaker_open_ms"] = "300";
  auto adapter = make(settings);
  ASSERT_EQ(fetch(*adapter, people_[0].idnr).status, FetchStatus::found);

  server->shutdown();
  servers_.clear();
  for (int i = 0; i < 3; ++i) {
    const FetchResult result = fetch(*adapter, people_[0].idnr);
    EXPECT_EQ(result.status, FetchStatus::unavailable) << i;
    EXPECT_EQ(result.detail.find(people_[0].idnr), std::string::npos) << result.detail;
  }
  EXPECT_EQ(adapter->status().breaker, "open");

  const auto start = Clock::now();
  const FetchResult fast = fetch(*adapter, people_[0].idnr, 2000ms);
  EXPECT_LT(Clock::now() - start, 200ms);
  EXPECT_EQ(fast.status, FetchStatus::unavailable);
  EXPECT_EQ(fast.detail, "circuit open");
  auto status = adapter->status();
  EXPECT_GE(status.rejected_open, 1u);
  EXPECT_FALSE(status.reachable);

  // Probes keep failing while the register is down; the breaker stays open (or probing).
  std::this_thread::sleep_for(700ms);
  EXPECT_NE(adapter->status().breaker, "closed");

  server = &start_register(port);
  EXPECT_TRUE(eventually([&] { return adapter->status().breaker == "closed"; }, 3000ms))
      << adapter->status().breaker;
  const FetchResult back = fetch(*adapter, people_[1].idnr);
  EXPECT_EQ(back.status, FetchStatus::found) << back.detail;
  EXPECT_TRUE(adapter->status().reachable);
}

TEST_F(RemoteRegisterTest, HealthCheckFindsADeadRegisterBeforeAnyCallAndItsReturn) {
  // Readiness must know a dead register before the first request fails on it.
  auto* server = &start_register();
  const std::uint16_t port = server->port();
  server->shutdown();
  servers_.clear();
  Settings settings = settings_for(port);
  settings["health_interval_ms"] = "100";
  auto adapter = make(settings);
  EXPECT_TRUE(eventually([&] { return !adapter->status().reachable; }, 3000ms));
  auto status = adapter->status();
  EXPECT_EQ(status.calls, 0u);
  EXPECT_EQ(status.breaker, "closed");  // the breaker is moved by calls, not by the health check
  EXPECT_NE(status.last_error.find("health check"), std::string::npos) << status.last_error;

  server = &start_register(port);
  EXPECT_TRUE(eventually([&] { return adapter->status().reachable; }, 3000ms)) << adapter->status().last_error;
  EXPECT_EQ(adapter->status().calls, 0u);
}

TEST_F(RemoteRegisterTest, AdapterDestroyedWithCallsInFlight) {
  auto& server = start_register(0, 300ms);
  Settings settings = settings_for(server.port());
  settings["pool_size"] = "2";
  auto adapter = make(settings);
  adapters_.clear();  // the test holds the only reference

  constexpr int kCalls = 10;
  // Held by the handlers too: should a completion come late, it must not touch a finished test.
  struct Tally {
    std::vector<std::atomic<int>> completions = std::vector<std::atomic<int>>(kCalls);
    std::atomic<int> done{0};
    std::atomic<int> removed{0};
    std::atomic<int> found{0};
  };
  auto tally = std::make_shared<Tally>();
  for (int i = 0; i < kCalls; ++i) {
    adapter->fetch(EvidenceQuery{people_[static_cast<std::size_t>(i)].idnr, "geburtsurkunde", "", "u", "", {}},
                   Clock::now() + 5s, [tally, i](FetchResult r) {
                     if (r.detail == "register adapter removed") tally->removed.fetch_add(1);
                     if (r.status == FetchStatus::found) tally->found.fetch_add(1);
                     tally->completions[static_cast<std::size_t>(i)].fetch_add(1);
                     tally->done.fetch_add(1);
                   });
  }
  adapter.reset();  // two calls on the wire, eight queued
  EXPECT_TRUE(eventually([&] { return tally->done.load() == kCalls; }, 8000ms)) << tally->done.load();
  std::this_thread::sleep_for(200ms);  // a second completion would show up here
  for (const auto& count : tally->completions) EXPECT_EQ(count.load(), 1);
  EXPECT_EQ(tally->removed.load(), 8);  // the queued ones end at once
  EXPECT_EQ(tally->found.load(), 2);    // the ones on the wire finish normally
}

TEST_F(RemoteRegisterTest, AdapterDestroyedWhileTheBreakerWaitsToProbe) {
  Settings settings = settings_for(1);  // nothing listens on port 1
  settings["breaker_failures"] = "1";
  settings["breaker_open_ms"] = "100";
  auto adapter = make(settings);
  EXPECT_EQ(fetch(*adapter, people_[0].idnr).status, FetchStatus::unavailable);
  EXPECT_EQ(adapter->status().breaker, "open");
  std::this_thread::sleep_for(250ms);  // at least one probe ran and failed
  adapters_.clear();
  adapter.reset();
  std::this_thread::sleep_for(250ms);  // a probe timer firing now must find nothing to touch
}

TEST_F(RemoteRegisterTest, ConfigurationErrors) {
  const Settings good = settings_for(443);
  Settings s = good;
  s["colour"] = "blue";
  expect_rejected(s, "colour");
  s = good;
  s["url"] = "http://127.0.0.1:8080";
  expect_rejected(s, "https");
  s = good;
  s.erase("url");
  expect_rejected(s, "url");
  s = good;
  s.erase("ca");
  expect_rejected(s, "ca");
  s = good;
  s["ca"] = (dir_.path() / "nope.pem").string();
  expect_rejected(s, "nope.pem");
  s = good;
  s["ca"] = population_file_.string();  // a file, but no certificate in it
  expect_rejected(s, "CA");
  s = good;
  s["pool_size"] = "0";
  expect_rejected(s, "pool_size");
  s = good;
  s["retries"] = "2";
  expect_rejected(s, "retries");
  s = good;
  s["connect_timeout_ms"] = "soon";
  expect_rejected(s, "connect_timeout_ms");
  s = good;
  s["client_certificate"] = pki_.client_cert.string();
  expect_rejected(s, "client_key");
  s = good;
  s["server_name"] = "bad name";
  expect_rejected(s, "server_name");

  // A relative CA path is resolved against the data directory.
  s = good;
  s["ca"] = "pki/ca.pem";
  EXPECT_NO_THROW((void)make(s));
}

// A register built directly on oncegate's HTTPS server, answering whatever the test says.
class ScriptedRegister {
 public:
  ScriptedRegister(const TestPki& pki, unsigned status, std::string body) : server_(net::ServerOptions{1, 2s}) {
    auto router = std::make_shared<net::Router>();
    router->add("POST", std::string(message::kRegisterQueryPath),
                [status, body = std::move(body)](net::HttpRequest, const net::ConnectionInfo&,
                                                 boost::asio::any_io_executor, net::Responder respond) {
                  net::HttpResponse response;
                  response.status = status;
                  response.content_type = "application/xml";
                  response.body = body;
                  respond(std::move(response));
                });
    net::ListenerOptions listener;
    listener.tls.certificate_chain_file = pki.server_cert.string();
    listener.tls.private_key_file = pki.server_key.string();
    server_.add_listener(listener, router, [](net::HttpFailure) {
      net::HttpResponse response;
      response.status = 400;
      return response;
    });
    server_.start();
  }
  [[nodiscard]] std::uint16_t port() const { return server_.port("evidence"); }

 private:
  net::Server server_;
};

TEST_F(RemoteRegisterTest, BrokenAnswersAreUnavailable) {
  FetchResult meldung;
  meldung.status = FetchStatus::found;
  meldung.evidence.document = "meldebescheinigung";
  meldung.evidence.fields = {{"familienname", "Meyer"}};
  const std::vector<std::tuple<unsigned, std::string, std::string>> cases = {
      {503, "busy", "HTTP 503"},
      {200, "<registerAntwort " + kNs + "><anfrageUuid>6a1f0a7e-1111-4222-8333-444455556666</anfrageUuid><status>vielleicht</status></registerAntwort>", "malformed"},
      {200, "not xml at all", "malformed"},
      {200, message::write_register_answer(meldung, "6a1f0a7e-1111-4222-8333-444455556666"), "meldebescheinigung"},
      // An answer to another query (a connection out of step) is never passed on.
      {200, message::write_register_answer(meldung, "00000000-0000-4000-8000-000000000000"), "another query"},
      {200, std::string(70 * 1024, 'x'), "larger than"},
  };
  for (const auto& [status, body, mentioned] : cases) {
    ScriptedRegister scripted(pki_, status, body);
    auto adapter = make(settings_for(scripted.port()));
    const FetchResult result = fetch(*adapter, people_[0].idnr);
    EXPECT_EQ(result.status, FetchStatus::unavailable) << mentioned;
    EXPECT_NE(result.detail.find(mentioned), std::string::npos) << result.detail;
    EXPECT_TRUE(adapter->status().reachable) << mentioned;  // it answered, just not usefully
    adapters_.clear();
  }
}

TEST_F(RemoteRegisterTest, SampleRegisterHealthAndMalformedQueries) {
  auto& server = start_register();
  oncegate::client::HttpsClient client("127.0.0.1", server.port(), {pki_.ca.string(), "", ""});
  const auto health = client.request("GET", "/register/v1/health");
  EXPECT_EQ(health.status, 200u);
  EXPECT_EQ(health.body, "{\"status\":\"ok\"}");
  const auto malformed = client.request("POST", "/register/v1/abfrage", "<registerAnfrage/>");
  EXPECT_EQ(malformed.status, 400u);
  EXPECT_NE(malformed.body.find("malformed"), std::string::npos) << malformed.body;
  EXPECT_EQ(server.queries_handled(), 1u);
  EXPECT_EQ(server.persons(), people_.size());
}

TEST_F(RemoteRegisterTest, SampleRegisterRejectsMissingPopulation) {
  SampleRegisterServer::Options options;
  options.population = dir_.path() / "missing.tsv";
  options.certificate = pki_.server_cert.string();
  options.private_key = pki_.server_key.string();
  EXPECT_THROW(SampleRegisterServer{options}, oncegate::adapters::sample_register::SampleRegisterError);
}

}  // namespace
