// The HTTPS server under real connections: keep-alive, limits, malformed HTTP, many concurrent
// clients, connection limit and graceful shutdown.

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "tests/support/test_gateway.hpp"

namespace oncegate::testing {
namespace {

using client::ClientError;
using client::HttpsClient;

TEST(ServerTest, HealthAndKeepAlive) {
  TestGateway gateway;
  auto connection = gateway.connect();
  const auto health = connection->request("GET", "/healthz");
  EXPECT_EQ(health.status, 200u);
  EXPECT_NE(health.body.find("ok"), std::string::npos);
  EXPECT_TRUE(health.keep_alive);
  for (int i = 0; i < 20; ++i) {
    const auto& person = gateway.people().at(static_cast<std::size_t>(i));
    const auto reply = connection->request("POST", "/v1/nachweis", gateway.request(person.idnr, "geburtsurkunde"));
    ASSERT_EQ(reply.status, 200u) << reply.body;
    EXPECT_EQ(gateway.codec().read_answer(reply.body).field("familienname"), person.familienname);
  }
  EXPECT_EQ(gateway.open_connections_for_test(), 1u);
}

TEST(ServerTest, TlsIsAtLeastOnePointTwoAndVerified) {
  TestGateway gateway;
  auto connection = gateway.connect();
  const std::string version = connection->tls_version();
  EXPECT_TRUE(version == "TLSv1.3" || version == "TLSv1.2") << version;
  // A client that trusts another CA refuses the gateway: verification is on.
  TempDir other;
  const auto foreign_ca = trust_material_for_test(other.path());
  EXPECT_THROW(HttpsClient("127.0.0.1", gateway.port(), {foreign_ca, "", ""}), ClientError);
}

TEST(ServerTest, UnknownPathAndWrongMethodGetXmlErrors) {
  TestGateway gateway;
  auto connection = gateway.connect();
  auto reply = connection->request("GET", "/v1/unknown");
  EXPECT_EQ(reply.status, 404u);
  EXPECT_EQ(gateway.codec().read_answer(reply.body).error_code, "UNKNOWN_ENDPOINT");
  reply = connection->request("GET", "/v1/nachweis");
  EXPECT_EQ(reply.status, 405u);
  EXPECT_EQ(gateway.codec().read_answer(reply.body).error_code, "METHOD_NOT_ALLOWED");
}

TEST(ServerTest, MalformedHttpIsAnsweredAndTheServerLivesOn) {
  TestGateway gateway;
  for (const std::string& raw : {std::string("GARBAGE\r\n\r\n"), std::string("GET / HTTP/9.9\r\n\r\n"),
                                std::string("POST /v1/nachweis HTTP/1.1\r\nContent-Length: abc\r\n\r\n"),
                                std::string("GET /\x01 HTTP/1.1\r\n\r\n")}) {
    auto connection = gateway.connect();
    const auto reply = connection->raw(raw);
    EXPECT_EQ(reply.status, 400u) << raw;
    EXPECT_EQ(gateway.codec().read_answer(reply.body).error_code, "BAD_REQUEST");
  }
  const auto& person = gateway.people().front();
  EXPECT_EQ(gateway.post(gateway.request(person.idnr, "geburtsurkunde")).status, 200u);
}

TEST(ServerTest, OversizedHeaderIsRefused) {
  TestGatewayOptions options;
  options.evidence_listener_toml = "header_limit = 2048\n";
  TestGateway gateway(options);
  auto connection = gateway.connect();
  const auto reply = connection->request("GET", "/healthz", "", "", {{"X-Filler", std::string(4096, 'x')}});
  EXPECT_EQ(reply.status, 431u);
  EXPECT_EQ(gateway.codec().read_answer(reply.body).error_code, "TOO_LARGE");
}

TEST(ServerTest, PlainTextAndGarbageBeforeTlsDoNotHurt) {
  TestGateway gateway;
  boost::asio::io_context io;
  for (const std::string& bytes : {std::string("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), std::string(5000, '\x16')}) {
    boost::asio::ip::tcp::socket socket(io);
    socket.connect({boost::asio::ip::make_address("127.0.0.1"), gateway.port()});
    boost::system::error_code ec;
    boost::asio::write(socket, boost::asio::buffer(bytes), ec);
    char buffer[256];
    socket.read_some(boost::asio::buffer(buffer), ec);  // the server answers with a TLS alert or closes
  }
  EXPECT_EQ(gateway.post(gateway.request(gateway.people().front().idnr, "geburtsurkunde")).status, 200u);
}

TEST(ServerTest, TwoHundredConcurrentKeepAliveClientsGetTheirOwnAnswers) {
  TestGateway gateway;
  constexpr int kClients = 200;
  constexpr int kRequestsEach = 3;
  std::atomic<int> correct{0};
  std::atomic<int> wrong{0};
  std::vector<std::thread> clients;
  std::promise<void> go;
  std::shared_future<void> start = go.get_future().share();
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      try {
        auto connection = gateway.connect();
        start.wait();
        for (int r = 0; r < kRequestsEach; ++r) {
          const auto& person = gateway.people().at(static_cast<std::size_t>((c * kRequestsEach + r) % 2000));
          const bool registration = (c + r) % 2 == 0;
          const std::string region = person.wohnort_ags.substr(0, 2);
          const auto reply = connection->request(
              "POST", "/v1/nachweis",
              gateway.request(person.idnr, registration ? "meldebescheinigung" : "geburtsurkunde",
                              registration ? region : ""));
          const auto answer = gateway.codec().read_answer(reply.body);
          const bool ok = reply.status == 200 && answer.valid && answer.field("familienname") == person.familienname &&
                          answer.field("geburtsdatum") == person.geburtsdatum &&
                          (!registration || answer.field("strasse") == person.strasse);
          (ok ? correct : wrong)++;
        }
      } catch (const std::exception&) {
        wrong++;
      }
    });
  }
  // Every client holds its connection open before the first request goes out.
  while (gateway.open_connections_for_test() < static_cast<std::size_t>(kClients)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  go.set_value();
  for (auto& t : clients) t.join();
  EXPECT_EQ(correct.load(), kClients * kRequestsEach);
  EXPECT_EQ(wrong.load(), 0);
}

TEST(ServerTest, ConnectionLimitRefusesTheSurplus) {
  TestGatewayOptions options;
  options.evidence_listener_toml = "max_connections = 2\n";
  TestGateway gateway(options);
  auto first = gateway.connect();
  auto second = gateway.connect();
  EXPECT_THROW(gateway.connect(), ClientError);
  EXPECT_EQ(first->request("GET", "/healthz").status, 200u);
  second.reset();
  // Once a slot is free, new connections are served again.
  for (int attempt = 0; attempt < 50 && gateway.open_connections_for_test() >= 2; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(gateway.connect()->request("GET", "/healthz").status, 200u);
}

TEST(ServerTest, GracefulShutdownFinishesTheRequestInFlight) {
  TestGatewayOptions options;
  // A slow copy of the Personenstandsregister, reachable under its own region.
  options.extra_toml =
      "[[adapters]]\nname = \"slow\"\ntype = \"embedded-personenstand\"\ndata = \"registers/population.tsv\"\n"
      "latency_ms = 600\n"
      "[[routes]]\nevidence_type = \"geburtsurkunde\"\nregion = \"99\"\nadapter = \"slow\"\n";
  TestGateway gateway(options);
  const auto& person = gateway.people().front();
  auto busy = gateway.connect();
  auto idle = gateway.connect();
  auto in_flight = std::async(std::launch::async, [&] {
    return busy->request("POST", "/v1/nachweis", gateway.request(person.idnr, "geburtsurkunde", "99"));
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  const auto started = std::chrono::steady_clock::now();
  gateway.gateway().shutdown();
  const auto reply = in_flight.get();
  EXPECT_EQ(reply.status, 200u);
  EXPECT_FALSE(reply.keep_alive);  // told to go away
  EXPECT_EQ(gateway.codec().read_answer(reply.body).field("familienname"), person.familienname);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(4));
  // Nobody is served any more.
  EXPECT_THROW(idle->request("GET", "/healthz"), ClientError);
  EXPECT_THROW(gateway.connect(), ClientError);
}

}  // namespace
}  // namespace oncegate::testing
