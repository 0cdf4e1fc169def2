// Abuse limits, tried from outside against the running gateway as an attacker would: one host
// holding connections and handshakes, one source or party sending too fast, floods of garbage
// connections. Good requests come from another source (127.0.0.2) and must keep being answered.

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include "gateway/oplog/tally.hpp"
#include "tests/support/test_gateway.hpp"

namespace oncegate::testing {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

const std::string kAdminListener =
    "[listeners.admin]\naddress = \"127.0.0.1\"\nport = 0\ncertificate = \"demo/server.pem\"\n"
    "private_key = \"demo/server.key\"\n";

// Idle TCP connections from `source` (no TLS handshake), as a slowloris host opens them.
std::vector<std::unique_ptr<asio::ip::tcp::socket>> open_idle(asio::io_context& io, std::uint16_t port, int count,
                                                              const std::string& source = "127.0.0.1") {
  std::vector<std::unique_ptr<asio::ip::tcp::socket>> sockets;
  const asio::ip::tcp::endpoint target(asio::ip::make_address("127.0.0.1"), port);
  for (int i = 0; i < count; ++i) {
    auto socket = std::make_unique<asio::ip::tcp::socket>(io);
    boost::system::error_code ec;
    socket->open(asio::ip::tcp::v4(), ec);
    socket->bind(asio::ip::tcp::endpoint(asio::ip::make_address(source), 0), ec);
    socket->connect(target, ec);
    if (!ec) sockets.push_back(std::move(socket));
  }
  return sockets;
}

client::ClientTls from(client::ClientTls tls, const std::string& source) {
  tls.bind_address = source;
  return tls;
}

// The value of one metric series ("name{labels}"), -1 when absent.
double metric(const std::string& text, const std::string& series) {
  const auto at = text.find("\n" + series + " ");
  return at == std::string::npos ? -1 : std::stod(text.substr(at + series.size() + 2));
}

// What the process writes to stderr (the operation log) while it lives.
class StderrCapture {
 public:
  StderrCapture() : file_(std::filesystem::temp_directory_path() / ("oncegate-stderr-" + std::to_string(::getpid()))) {
    std::fflush(stderr);
    saved_ = ::dup(2);
    const int fd = ::open(file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(fd, 2);
    ::close(fd);
  }
  ~StderrCapture() {
    restore();
    std::filesystem::remove(file_);
  }
  std::string text() {
    std::fflush(stderr);
    return read_text(file_);
  }
  void restore() {
    if (saved_ < 0) return;
    std::fflush(stderr);
    ::dup2(saved_, 2);
    ::close(saved_);
    saved_ = -1;
  }

 private:
  std::filesystem::path file_;
  int saved_ = -1;
};

TEST(AbuseLimits, OneHostHoldingConnectionsCannotLockOtherAuthoritiesOut) {
  TestGatewayOptions options;
  options.evidence_listener_toml = "per_source_connections = 40\nper_source_handshakes = 10\nhandshake_timeout_ms = 5000\n";
  options.extra_toml = kAdminListener;
  TestGateway gateway(options);
  asio::io_context io;
  // 1,100 idle connections from one host, as in the attack; only ten may wait for a handshake.
  auto idle = open_idle(io, gateway.port(), 1100);
  ASSERT_GT(idle.size(), 10u);

  // Another authority's host is answered, promptly.
  const auto start = Clock::now();
  client::HttpsClient other("127.0.0.1", gateway.port(), from(gateway.tls(), "127.0.0.2"), 20s);
  const auto reply = other.request("POST", "/v1/nachweis", gateway.request(gateway.people().at(1).idnr, "geburtsurkunde"));
  EXPECT_EQ(reply.status, 200u) << reply.body;
  // The bound stated in docs/SECURITY.md: 2 s (benchmark: a few ms).
  EXPECT_LT(Clock::now() - start, 2s);

  // The flooding host itself gets no further connection while it holds its handshake slots.
  EXPECT_THROW(client::HttpsClient("127.0.0.1", gateway.port(), gateway.tls(), 5s), client::ClientError);
  const auto metrics = gateway.admin_call("GET", "/admin/v1/metrics", gateway.observer_key()).body;
  EXPECT_GE(metric(metrics, R"(oncegate_limit_refusals_total{listener="evidence",reason="source_handshakes"})"), 1000);
  EXPECT_GE(metric(metrics, R"(oncegate_limit_sources{listener="evidence"})"), 1);

  // Once it lets go, it is served again.
  idle.clear();
  bool served = false;
  for (int attempt = 0; attempt < 50 && !served; ++attempt) {
    try {
      client::HttpsClient again("127.0.0.1", gateway.port(), gateway.tls(), 5s);
      served = again.request("POST", "/v1/nachweis", gateway.request(gateway.people().at(2).idnr, "geburtsurkunde")).status == 200;
    } catch (const client::ClientError&) {
      std::this_thread::sleep_for(100ms);
    }
  }
  EXPECT_TRUE(served);
}

TEST(AbuseLimits, IdleSocketsOnTheAdminAndCockpitListenersLockNobodyOut) {
  TestGatewayOptions options;
  options.extra_toml = kAdminListener;
  options.datacockpit = true;
  TestGateway gateway(options);
  asio::io_context io;
  // 64 idle sockets locked the operators out before: now one host holds at most 8 handshakes
  // there, 16 on the cockpit.
  auto idle_admin = open_idle(io, gateway.gateway().port("admin"), 200);
  auto idle_cockpit = open_idle(io, gateway.cockpit_port(), 400);
  client::HttpsClient operators("127.0.0.1", gateway.gateway().port("admin"), from(gateway.tls(""), "127.0.0.2"), 10s);
  const auto reply = operators.request("GET", "/admin/v1/readyz", "", "application/json",
                                       {{"Authorization", "Bearer " + gateway.observer_key()}});
  EXPECT_EQ(reply.status, 200u) << reply.body;
  client::HttpsClient citizen("127.0.0.1", gateway.cockpit_port(), from(gateway.tls(""), "127.0.0.2"), 10s);
  EXPECT_EQ(citizen.request("GET", "/cockpit/", "", "text/html").status, 200u);
  // Nor do they take anything from the evidence listener.
  EXPECT_EQ(gateway.post(gateway.request(gateway.people().at(1).idnr, "geburtsurkunde")).status, 200u);
  // (Asked on the operators' connection: the flooding host itself gets none on the admin listener.)
  const auto metrics = operators.request("GET", "/admin/v1/metrics", "", "application/json",
                                         {{"Authorization", "Bearer " + gateway.observer_key()}}).body;
  EXPECT_GE(metric(metrics, R"(oncegate_limit_refusals_total{listener="cockpit",reason="source_handshakes"})"), 300);
  EXPECT_GE(metric(metrics, R"(oncegate_limit_refusals_total{listener="admin",reason="source_handshakes"})"), 150);
}

TEST(AbuseLimits, RequestRatesAreLimitedPerSourceAndPerPartyWithAStableCode) {
  TestGatewayOptions options;
  options.evidence_listener_toml =
      "per_source_requests_per_second = 1\nper_source_burst = 5\nper_party_requests_per_second = 1\nper_party_burst = 8\n";
  options.extra_toml = kAdminListener;
  TestGateway gateway(options);
  const auto send_from = [&](const std::string& source) {
    client::HttpsClient connection("127.0.0.1", gateway.port(), from(gateway.tls(), source), 10s);
    return connection.request("POST", "/v1/nachweis", gateway.request(gateway.people().at(3).idnr, "geburtsurkunde"));
  };
  int delivered = 0;
  client::HttpReply limited;
  for (int i = 0; i < 8; ++i) {
    auto reply = send_from("127.0.0.1");
    if (reply.status == 200) ++delivered;
    if (reply.status == 429) limited = reply;
  }
  EXPECT_GE(delivered, 5);
  EXPECT_LE(delivered, 6);  // a token may have refilled meanwhile
  ASSERT_EQ(limited.status, 429u);
  const auto reading = gateway.codec().read_answer(limited.body);
  EXPECT_EQ(reading.error_code, "RATE_LIMITED") << limited.body;
  bool retry_after = false;
  for (const auto& [name, value] : limited.headers) retry_after = retry_after || (name == "Retry-After" && value == "1");
  EXPECT_TRUE(retry_after);
  // The same party from another source: its own source bucket is full, the party's is nearly empty.
  int second = 0;
  for (int i = 0; i < 6; ++i) second += send_from("127.0.0.2").status == 200 ? 1 : 0;
  EXPECT_LE(second, 4);
  const auto metrics = gateway.admin_call("GET", "/admin/v1/metrics", gateway.observer_key()).body;
  EXPECT_GE(metric(metrics, R"(oncegate_limit_refusals_total{listener="evidence",reason="source_rate"})"), 2);
  EXPECT_GE(metric(metrics, R"(oncegate_limit_refusals_total{listener="evidence",reason="party_rate"})"), 1);
}

TEST(AbuseLimits, TheEuEndpointAnswersRateLimitsInItsOwnFamily) {
  TestGatewayOptions options;
  options.evidence_listener_toml = "per_source_requests_per_second = 1\nper_source_burst = 1\n";
  options.authorities_toml = "[[authorities]]\nkennung = \"oots:ap-de-demo\"\nname = \"OOTS-Zugangspunkt (Test)\"\n"
                             "certificates = [\"demo/authorities/oots-ap-de-demo.pem\"]\n";
  options.extra_toml = "[oots]\nenabled = true\nprovider_id = \"DE99000001\"\n";
  TestGateway gateway(options);
  client::HttpsClient first("127.0.0.1", gateway.port(), gateway.tls("oots:ap-de-demo"), 10s);
  EXPECT_NE(first.request("POST", "/v1/oots/query", "<not-a-query/>", "application/xml").status, 429u);
  client::HttpsClient second("127.0.0.1", gateway.port(), gateway.tls("oots:ap-de-demo"), 10s);
  const auto limited = second.request("POST", "/v1/oots/query", "<not-a-query/>", "application/xml");
  EXPECT_EQ(limited.status, 429u);
  EXPECT_NE(limited.body.find("EDM:ERR:0008"), std::string::npos) << limited.body;
  EXPECT_NE(limited.body.find("too many requests"), std::string::npos) << limited.body;
}

TEST(AbuseLimits, GarbageConnectionsAreLoggedInAggregateNotOneLineEach) {
  TestGateway gateway;
  (void)oplog::flush_tally();  // what earlier tests left
  StderrCapture capture;
  asio::io_context io;
  for (int i = 0; i < 300; ++i) {
    asio::ip::tcp::socket socket(io);
    boost::system::error_code ec;
    socket.connect({asio::ip::make_address("127.0.0.1"), gateway.port()}, ec);
    if (ec) continue;
    // Plain HTTP where TLS is expected: the handshake fails at once.
    asio::write(socket, asio::buffer(std::string_view("GET / HTTP/1.1\r\nHost: x\r\n\r\n")), ec);
    char byte;
    socket.read_some(asio::buffer(&byte, 1), ec);  // until the gateway closes
  }
  (void)oplog::flush_tally();
  const std::string log = capture.text();
  capture.restore();
  std::size_t lines = 0;
  long counted = 0;
  const std::regex refusal(R"re("event":"refusals".*"reason":"tls_handshake_failed","count":([0-9]+))re");
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    EXPECT_EQ(line.find("connection_failed"), std::string::npos) << line;
    std::smatch match;
    if (std::regex_search(line, match, refusal)) {
      ++lines;
      counted += std::stol(match[1].str());
      EXPECT_NE(line.find(R"("source":"127.0.0.1")"), std::string::npos) << line;
    }
  }
  EXPECT_EQ(counted, 300);
  EXPECT_LE(lines, 2u);  // one per interval; the periodic flush may have split them
}

}  // namespace
}  // namespace oncegate::testing
