// hostile_flood: the attacks of the hostile suite at once, for a while, against a gateway running
// elsewhere (tests/hostile/memory_under_attack.sh runs it against the Release build): idle
// connections from one host (127.0.0.1), 30,000-attribute and 10,000-deep bodies from a registered
// authority on another (127.0.0.3), plain-text garbage on the TLS port from a third (127.0.0.4):
// each attack from its own source, so that the limits of one do not starve the others. Prints
// what it sent.
#include <atomic>
#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include "gateway/client/https_client.hpp"

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  CLI::App cli{"hostile_flood: floods a running gateway as the hostile suite does"};
  unsigned port = 0;
  std::string data_dir;
  int seconds = 10;
  cli.add_option("--port", port, "evidence port")->required();
  cli.add_option("--data-dir", data_dir, "the gateway's data directory (demo CA and authority keys)")->required();
  cli.add_option("--seconds", seconds, "how long")->capture_default_str();
  CLI11_PARSE(cli, argc, argv);
  const auto until = Clock::now() + std::chrono::seconds(seconds);
  const asio::ip::tcp::endpoint target(asio::ip::make_address("127.0.0.1"), static_cast<std::uint16_t>(port));
  const oncegate::client::ClientTls authority{data_dir + "/demo/ca.pem", data_dir + "/demo/authorities/psw-01003110.pem",
                                               data_dir + "/demo/authorities/psw-01003110.key", "127.0.0.3"};
  std::atomic<long> idle{0}, attribute_bodies{0}, deep_bodies{0}, garbage{0};
  std::vector<std::thread> threads;
  // 1,100 idle connections from one host, reopened as the gateway drops them.
  threads.emplace_back([&] {
    asio::io_context io;
    std::vector<std::unique_ptr<asio::ip::tcp::socket>> held;
    while (Clock::now() < until) {
      held.clear();
      for (int i = 0; i < 1100; ++i) {
        auto socket = std::make_unique<asio::ip::tcp::socket>(io);
        boost::system::error_code ec;
        socket->connect(target, ec);
        if (!ec) held.push_back(std::move(socket));
      }
      idle += static_cast<long>(held.size());
      std::this_thread::sleep_for(std::chrono::seconds(2));
    }
  });
  std::string attributes = "<r";
  for (int i = 0; i < 30'000; ++i) attributes += " a" + std::to_string(i) + "=\"\"";
  attributes += "/>";
  std::string deep;
  for (int i = 0; i < 10'000; ++i) deep += "<a>";
  for (int i = 0; i < 10'000; ++i) deep += "</a>";
  for (int sender = 0; sender < 4; ++sender) {
    threads.emplace_back([&, sender] {
      while (Clock::now() < until) {
        try {
          oncegate::client::HttpsClient connection("127.0.0.1", static_cast<std::uint16_t>(port), authority,
                                                   std::chrono::seconds(10));
          for (int i = 0; i < 20 && Clock::now() < until; ++i) {
            const bool attrs = (sender + i) % 2 == 0;
            (void)connection.request("POST", "/v1/nachweis", attrs ? attributes : deep);
            ++(attrs ? attribute_bodies : deep_bodies);
          }
        } catch (const std::exception&) {
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
      }
    });
  }
  threads.emplace_back([&] {
    asio::io_context io;
    while (Clock::now() < until) {
      asio::ip::tcp::socket socket(io);
      boost::system::error_code ec;
      socket.open(asio::ip::tcp::v4(), ec);
      socket.bind(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.4"), 0), ec);
      socket.connect(target, ec);
      if (ec) continue;
      asio::write(socket, asio::buffer(std::string_view("GET / HTTP/1.1\r\nHost: x\r\n\r\n")), ec);
      char byte;
      socket.read_some(asio::buffer(&byte, 1), ec);
      ++garbage;
    }
  });
  for (auto& thread : threads) thread.join();
  std::cout << "hostile_flood: " << idle << " idle connections, " << attribute_bodies << " 30,000-attribute bodies, "
            << deep_bodies << " 10,000-deep bodies, " << garbage << " garbage connections in " << seconds << " s\n";
  return 0;
}
