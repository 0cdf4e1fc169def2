// oncegate-load: the whole exchange under load, against a running gateway. Signed requests for
// sample people are prepared first (each request may be sent once: the gateway refuses replays),
// then N keep-alive TLS connections send them as fast as answers come back, for a fixed time or
// until the prepared requests run out. Prints throughput, latency percentiles and outcomes.
//
//   oncegate-load --data-dir var --connections 32 --seconds 20 --type geburtsurkunde
//
// Meant for a gateway started from the embedded default (demo authorities and keys under
// <data-dir>/demo). The client's own TLS and XML work shares the machine with the gateway when
// both run on one host; the numbers are then a lower bound.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "adapters/population/population.hpp"
#include "gateway/client/https_client.hpp"
#include "gateway/message/codec.hpp"
#include "gateway/message/signature.hpp"

namespace {

using Clock = std::chrono::steady_clock;

std::string read_file(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read '" + file + "'");
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::uint16_t evidence_port(const std::string& data_dir) {
  const std::string text = read_file(data_dir + "/ports.json");
  std::smatch match;
  static const std::regex evidence("\"evidence\"\\s*:\\s*([0-9]+)");
  if (!std::regex_search(text, match, evidence)) throw std::runtime_error("no evidence port in ports.json");
  return static_cast<std::uint16_t>(std::stoul(match[1].str()));
}

// The error code of an answer, or "delivered" (a cheap look, no parsing: the load generator must
// not become the bottleneck).
std::string outcome_of(const oncegate::client::HttpReply& reply) {
  if (reply.status == 200) return "delivered";
  static const std::regex code("<nw:code>([A-Z_]+)</nw:code>");
  std::smatch match;
  if (std::regex_search(reply.body, match, code)) return match[1].str();
  return "HTTP " + std::to_string(reply.status);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"oncegate-load: load test of the whole evidence exchange against a running gateway"};
  std::string data_dir = "./var";
  std::string host = "127.0.0.1";
  unsigned port = 0;
  unsigned connections = 32;
  double seconds = 20;
  std::size_t prepare = 0;
  std::string type = "geburtsurkunde";
  std::string region;
  std::string authority = "psw:01003110";
  std::string purpose = "leistungsgewaehrung";
  std::string legal_basis = "IDNrG § 6 Abs. 2";
  cli.add_option("--data-dir", data_dir, "Gateway data directory (ports.json, demo keys, population)")->capture_default_str();
  cli.add_option("--host", host)->capture_default_str();
  cli.add_option("--port", port, "Evidence port (default: from ports.json)");
  cli.add_option("--connections", connections, "Concurrent keep-alive connections")->capture_default_str();
  cli.add_option("--seconds", seconds, "How long to send")->capture_default_str();
  cli.add_option("--requests", prepare, "Signed requests to prepare (default: enough for 6,000/s)");
  cli.add_option("--type", type)->capture_default_str();
  cli.add_option("--region", region, "Regionalschlüssel; people are then taken from that region");
  cli.add_option("--as", authority)->capture_default_str();
  cli.add_option("--purpose", purpose)->capture_default_str();
  cli.add_option("--legal-basis", legal_basis)->capture_default_str();
  CLI11_PARSE(cli, argc, argv);
  if (connections == 0 || seconds <= 0) {
    std::fprintf(stderr, "oncegate-load: --connections and --seconds must be positive\n");
    return 2;
  }
  if (prepare == 0) prepare = static_cast<std::size_t>(seconds * 6000);

  try {
    if (port == 0) port = evidence_port(data_dir);
    std::string kennung_file = authority;
    std::replace(kennung_file.begin(), kennung_file.end(), ':', '-');
    const std::string key_file = data_dir + "/demo/authorities/" + kennung_file + ".key";
    const std::string cert_file = data_dir + "/demo/authorities/" + kennung_file + ".pem";
    const oncegate::client::ClientTls tls{data_dir + "/demo/ca.pem", cert_file, key_file};

    auto people = oncegate::adapters::population::read_tsv(data_dir + "/registers/population.tsv");
    if (!region.empty()) {
      std::erase_if(people, [&](const auto& p) { return !p.wohnort_ags.starts_with(region); });
    }
    if (people.empty()) throw std::runtime_error("no sample people (for that region)");

    // Prepared on all cores; each request gets its own UUID and the current time.
    std::fprintf(stderr, "oncegate-load: signing %zu requests ...\n", prepare);
    std::vector<std::string> requests(prepare);
    {
      const auto signer = oncegate::message::XmlSigningKey::load(read_file(key_file), read_file(cert_file));
      const auto codec = oncegate::message::MessageCodec::open({});
      const unsigned workers = std::max(1u, std::thread::hardware_concurrency());
      std::vector<std::thread> threads;
      for (unsigned w = 0; w < workers; ++w) {
        threads.emplace_back([&, w] {
          for (std::size_t i = w; i < prepare; i += workers) {
            oncegate::message::EvidenceRequest request;
            request.kopf.autor = {"dvdv", authority, ""};
            request.kopf.leser = {"dvdv", "psw:99000001", ""};
            request.idnr = people[i % people.size()].idnr;
            request.nachweistyp = type;
            request.regionalschluessel = region;
            request.zweck = purpose;
            request.rechtsgrundlage = legal_basis;
            requests[i] = signer->sign(codec->write_request(request));
          }
        });
      }
      for (auto& t : threads) t.join();
    }

    std::atomic<std::size_t> next{0};
    std::mutex results_mutex;
    std::vector<std::uint32_t> latencies_us;
    latencies_us.reserve(prepare);
    std::map<std::string, std::size_t> outcomes;
    std::atomic<std::size_t> failed_connections{0};
    const auto start = Clock::now();
    const auto stop_at = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
    std::vector<std::thread> clients;
    for (unsigned c = 0; c < connections; ++c) {
      clients.emplace_back([&] {
        std::vector<std::uint32_t> mine;
        std::map<std::string, std::size_t> my_outcomes;
        try {
          oncegate::client::HttpsClient connection(host, static_cast<std::uint16_t>(port), tls);
          while (Clock::now() < stop_at) {
            const std::size_t i = next.fetch_add(1);
            if (i >= requests.size()) break;
            const auto sent = Clock::now();
            const auto reply = connection.request("POST", "/v1/nachweis", requests[i], "application/xml");
            mine.push_back(static_cast<std::uint32_t>(
                std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - sent).count()));
            ++my_outcomes[outcome_of(reply)];
          }
        } catch (const std::exception& error) {
          ++failed_connections;
          std::fprintf(stderr, "oncegate-load: a connection failed: %s\n", error.what());
        }
        std::lock_guard lock(results_mutex);
        latencies_us.insert(latencies_us.end(), mine.begin(), mine.end());
        for (const auto& [k, v] : my_outcomes) outcomes[k] += v;
      });
    }
    for (auto& t : clients) t.join();
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();

    std::sort(latencies_us.begin(), latencies_us.end());
    const auto percentile = [&](double p) -> double {
      if (latencies_us.empty()) return 0;
      const auto index = std::min(latencies_us.size() - 1, static_cast<std::size_t>(p * latencies_us.size()));
      return latencies_us[index] / 1000.0;
    };
    std::printf("requests %zu in %.1f s over %u connections: %.0f/s\n", latencies_us.size(), elapsed, connections,
                latencies_us.size() / elapsed);
    std::printf("latency ms: p50 %.2f  p90 %.2f  p99 %.2f  max %.2f\n", percentile(0.50), percentile(0.90),
                percentile(0.99), latencies_us.empty() ? 0.0 : latencies_us.back() / 1000.0);
    for (const auto& [outcome, count] : outcomes) std::printf("  %-22s %zu\n", outcome.c_str(), count);
    if (next.load() >= requests.size()) {
      std::printf("(all %zu prepared requests were sent before the time was up: raise --requests)\n", requests.size());
    }
    return failed_connections == 0 ? 0 : 1;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "oncegate-load: %s\n", error.what());
    return 2;
  }
}
