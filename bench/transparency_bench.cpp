// The published log at scale (issue 15): a real transfer log of N entries (default 10 million)
// in RocksDB, then
//   1. inclusion proofs (TransferLog::prove) and consistency proofs at that size: latency;
//   2. tile and checkpoint answers in process (serve_log_path): CPU per answer;
//   3. tile GETs over HTTPS with keep-alive against a server with ONE I/O thread: GETs/s, and the
//      I/O thread's own CPU per GET (read from /proc), i.e. GETs per second of one core;
//   4. append -> in a cosigned checkpoint: records appended at a steady rate (fsync on), the log
//      issuing checkpoints every second, a witness (in process, over HTTPS) cosigning them through
//      the gateway's WitnessSubmitter; the time from a record's durable append to the first
//      cosigned checkpoint that covers it.
// Usage: transparency_bench [--entries N] [--dir D] [--reuse] [--seconds S] [--rate R] [--json F]
// The log in D is kept (--reuse skips filling it again).

#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gateway/client/https_client.hpp"
#include "gateway/common/bytes.hpp"
#include "gateway/common/files.hpp"
#include "gateway/demo/pki.hpp"
#include "gateway/log/transfer_log.hpp"
#include "gateway/net/server.hpp"
#include "gateway/tlog/checkpoint.hpp"
#include "gateway/transparency/log_api.hpp"
#include "gateway/transparency/witness.hpp"
#include "gateway/transparency/witness_client.hpp"
#include "bench/sample_record.hpp"

namespace {

using namespace oncegate;
using Clock = std::chrono::steady_clock;

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1, static_cast<std::size_t>(p * static_cast<double>(values.size())))];
}

// CPU seconds of this process's threads named `name` (utime + stime from /proc).
double thread_cpu_seconds(const std::string& name) {
  double total = 0;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string thread_name;
    std::getline(comm, thread_name);
    if (thread_name != name) continue;
    std::ifstream stat(task.path() / "stat");
    std::string line;
    std::getline(stat, line);
    const auto close = line.rfind(')');
    std::istringstream fields(line.substr(close + 2));
    std::string field;
    std::vector<std::string> values;
    while (fields >> field) values.push_back(field);
    // After the name: state is field 3, utime 14, stime 15 (1-based) -> indexes 11 and 12 here.
    total += (std::stod(values.at(11)) + std::stod(values.at(12))) / static_cast<double>(sysconf(_SC_CLK_TCK));
  }
  return total;
}

// A server with one I/O thread and one listener `name` on a free loopback port, serving `router`.
std::unique_ptr<net::Server> serve(const std::string& name, std::shared_ptr<net::Router> router, const demo::DemoPkiFiles& pki) {
  auto server = std::make_unique<net::Server>(net::ServerOptions{1, std::chrono::seconds(2), std::chrono::seconds(10)});
  net::ListenerOptions listener;
  listener.name = name;
  listener.tls.certificate_chain_file = pki.server_certificate.string();
  listener.tls.private_key_file = pki.server_key.string();
  server->add_listener(listener, std::move(router), [](net::HttpFailure f) {
    return net::HttpResponse{net::http_status(f), "text/plain", std::string(net::describe(f)), {}};
  });
  server->start();
  return server;
}

void append_waiting(log::TransferLog& log, std::uint64_t count) {
  // In flight at most 4096 at a time, so the queue stays bounded.
  std::atomic<std::uint64_t> done{0};
  std::uint64_t sent = 0;
  while (sent < count) {
    while (sent - done.load() < 4096 && sent < count) {
      log.append(bench::sample_transfer_record(sent), [&done](bool, std::uint64_t) { done.fetch_add(1); });
      ++sent;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  while (done.load() < count) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t entries = 10'000'000;
  std::filesystem::path dir = "bench-transparency";
  bool reuse = false;
  double seconds = 10;
  double rate = 1000;
  std::string json_file;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto next = [&] { return std::string(i + 1 < argc ? argv[++i] : ""); };
    if (arg == "--entries") entries = std::stoull(next());
    else if (arg == "--dir") dir = next();
    else if (arg == "--reuse") reuse = true;
    else if (arg == "--seconds") seconds = std::stod(next());
    else if (arg == "--rate") rate = std::stod(next());
    else if (arg == "--json") json_file = next();
    else {
      std::fprintf(stderr, "usage: transparency_bench [--entries N] [--dir D] [--reuse] [--seconds S] [--rate R] [--json F]\n");
      return 2;
    }
  }
  std::filesystem::create_directories(dir);
  const auto pki = demo::ensure_demo_pki(dir / "demo");
  const auto log_key = transparency::load_or_create_key(dir / "log-key.pem");
  const log::LogIdentity identity{"oncegate.bench/log/transparency-1", log_key};
  // For oncegate-logverify --vkey-file <dir>/log.vkey on the log it leaves.
  common::write_file_atomically(dir / "log.vkey", identity.verifier().vkey() + "\n", false);
  std::map<std::string, double> results;

  log::TransferLogOptions options;
  options.directory = (dir / "log").string();
  options.identity = identity;
  options.sync = false;
  options.head_every_records = 100'000;
  options.head_every_ms = 3'600'000;
  if (!reuse || !std::filesystem::exists(options.directory)) {
    std::filesystem::remove_all(options.directory);
    std::filesystem::remove_all(dir / "witness");
    auto log = log::TransferLog::Open(options);
    const auto start = Clock::now();
    append_waiting(*log, entries);
    (void)log->issue_head();
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    std::printf("filled %llu entries in %.0f s (%.0f appends/s, WAL without fsync)\n",
                static_cast<unsigned long long>(entries), elapsed, static_cast<double>(entries) / elapsed);
    results["fill_appends_per_second"] = static_cast<double>(entries) / elapsed;
  }

  {
    auto log = log::TransferLog::Open(options);
    const std::uint64_t size = log->latest_head()->size;
    entries = size;
    std::mt19937_64 random(7);
    // 1. Proofs at this size.
    std::vector<double> proof_us, consistency_us;
    for (int i = 0; i < 20'000; ++i) {
      const std::uint64_t sequence = random() % size;
      const auto start = Clock::now();
      const auto proof = log->prove(sequence);
      proof_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
      if (!proof) {
        std::fprintf(stderr, "no proof for %llu\n", static_cast<unsigned long long>(sequence));
        return 1;
      }
    }
    for (int i = 0; i < 2'000; ++i) {
      const std::uint64_t old_size = 1 + random() % (size - 1);
      const auto start = Clock::now();
      (void)log->consistency(old_size, size);
      consistency_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
    }
    std::printf("inclusion proof at %llu entries: p50 %.1f us, p99 %.1f us, max %.1f us (%zu proofs)\n",
                static_cast<unsigned long long>(size), percentile(proof_us, 0.5), percentile(proof_us, 0.99),
                percentile(proof_us, 1.0), proof_us.size());
    std::printf("consistency proof to %llu: p50 %.1f us, p99 %.1f us\n", static_cast<unsigned long long>(size),
                percentile(consistency_us, 0.5), percentile(consistency_us, 0.99));
    results["proof_p50_us"] = percentile(proof_us, 0.5);
    results["proof_p99_us"] = percentile(proof_us, 0.99);
    results["consistency_p99_us"] = percentile(consistency_us, 0.99);

    // 2. In process: one answer's CPU.
    const std::uint64_t full_tiles = size / 256;
    const auto random_tile_path = [&] {
      return tlog::TileRef{false, 0, random() % full_tiles, 256}.path();
    };
    for (const auto& [label, make_path] : std::vector<std::pair<std::string, std::function<std::string()>>>{
             {"tile_level0", random_tile_path},
             {"entry_bundle", [&] { return tlog::TileRef{true, 0, random() % full_tiles, 256}.path(); }},
             {"checkpoint", [] { return std::string("checkpoint"); }}}) {
      const int calls = 50'000;
      const auto start = Clock::now();
      std::size_t bytes = 0;
      for (int i = 0; i < calls; ++i) bytes += transparency::serve_log_path(*log, make_path(), "").body.size();
      const double us = std::chrono::duration<double, std::micro>(Clock::now() - start).count() / calls;
      std::printf("in process, %s: %.2f us an answer (%zu bytes)\n", label.c_str(), us, bytes / calls);
      results["in_process_" + label + "_us"] = us;
    }

    // 3. Over HTTPS, one I/O thread.
    auto router = std::make_shared<net::Router>();
    transparency::register_log_routes(*router, *log);
    const auto server = serve("log", router, pki);
    const std::uint16_t port = server->port("log");
    const int clients = 4;
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> gets{0}, failures{0};
    std::vector<std::thread> threads;
    const double cpu_before = thread_cpu_seconds("oncegate-io");
    const auto start = Clock::now();
    for (int c = 0; c < clients; ++c) {
      threads.emplace_back([&, c] {
        std::mt19937_64 local(static_cast<std::uint64_t>(c) + 11);
        client::HttpsClient connection("127.0.0.1", port, client::ClientTls{pki.ca_certificate.string(), {}, {}});
        while (!stop.load()) {
          const auto reply = connection.request("GET", std::string(transparency::kLogPrefix) +
                                                           tlog::TileRef{false, 0, local() % full_tiles, 256}.path());
          if (reply.status == 200 && reply.body.size() == 8192) gets.fetch_add(1);
          else failures.fetch_add(1);
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    stop = true;
    for (auto& t : threads) t.join();
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    const double cpu = thread_cpu_seconds("oncegate-io") - cpu_before;
    const double per_second = static_cast<double>(gets.load()) / elapsed;
    const double per_core = static_cast<double>(gets.load()) / cpu;
    std::printf("HTTPS tile GETs (8 KiB, keep-alive, %d clients, 1 I/O thread): %.0f GETs/s, I/O thread busy "
                "%.0f %% -> %.0f GETs per second of one core (%.1f us CPU a GET); %llu failures\n",
                clients, per_second, 100 * cpu / elapsed, per_core, 1e6 / per_core,
                static_cast<unsigned long long>(failures.load()));
    results["https_tile_gets_per_second"] = per_second;
    results["https_tile_gets_per_core_second"] = per_core;
    results["https_io_thread_busy"] = cpu / elapsed;
    server->shutdown();
  }

  // 4. Append -> cosigned checkpoint, with a witness over HTTPS and the gateway's submitter.
  {
    const auto witness_key = transparency::load_or_create_key(dir / "witness" / "witness-key.pem");
    transparency::Witness witness(transparency::WitnessOptions{dir / "witness", "oncegate.bench/witness-1", witness_key,
                                                               {identity.verifier()}, {}});
    auto router = std::make_shared<net::Router>();
    witness.register_routes(*router);
    const auto server = serve("witness", router, pki);
    auto live = options;
    live.sync = true;
    live.head_every_ms = 1000;
    live.head_every_records = 1000;
    live.witnesses.witnesses = {witness.verifier()};
    live.witnesses.quorum = 1;
    auto log = log::TransferLog::Open(live);
    transparency::WitnessSubmitter submitter(
        *log, {transparency::WitnessEndpoint{witness.verifier(), "https://127.0.0.1:" + std::to_string(server->port("witness")) + "/",
                                             pki.ca_certificate.string()}});
    std::mutex mutex;
    std::map<std::uint64_t, Clock::time_point> durable;  // sequence -> when its append completed
    std::vector<double> latency_ms;
    std::atomic<bool> stop{false};
    std::thread watcher([&] {
      while (!stop.load()) {
        const auto head = log->latest_cosigned_head();
        const auto now = Clock::now();
        if (head) {
          std::lock_guard lock(mutex);
          while (!durable.empty() && durable.begin()->first < head->size) {
            latency_ms.push_back(std::chrono::duration<double, std::milli>(now - durable.begin()->second).count());
            durable.erase(durable.begin());
          }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    });
    const auto interval = std::chrono::duration<double>(1.0 / rate);
    const auto start = Clock::now();
    std::uint64_t sent = 0;
    while (Clock::now() - start < std::chrono::duration<double>(seconds)) {
      log->append(bench::sample_transfer_record(entries + sent), [&](bool ok, std::uint64_t sequence) {
        if (!ok) return;
        std::lock_guard lock(mutex);
        durable[sequence] = Clock::now();
      });
      ++sent;
      std::this_thread::sleep_until(start + std::chrono::duration_cast<Clock::duration>(interval * static_cast<double>(sent)));
    }
    // Every record gets its cosigned checkpoint (the last one within about a second).
    for (int i = 0; i < 500; ++i) {
      {
        std::lock_guard lock(mutex);
        if (durable.empty() && latency_ms.size() >= sent) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    stop = true;
    watcher.join();
    std::lock_guard lock(mutex);
    std::printf("append -> cosigned checkpoint (%llu records at %.0f/s, fsync on, checkpoint every 1 s, witness over "
                "HTTPS): p50 %.0f ms, p99 %.0f ms, max %.0f ms; %zu still waiting\n",
                static_cast<unsigned long long>(sent), rate, percentile(latency_ms, 0.5), percentile(latency_ms, 0.99),
                percentile(latency_ms, 1.0), durable.size());
    results["cosigned_p50_ms"] = percentile(latency_ms, 0.5);
    results["cosigned_p99_ms"] = percentile(latency_ms, 0.99);
    results["cosigned_max_ms"] = percentile(latency_ms, 1.0);
    const auto status = submitter.status();
    if (!status.empty() && !status.front().last_problem.empty()) std::printf("witness: %s\n", status.front().last_problem.c_str());
    server->shutdown();
  }
  if (!json_file.empty()) {
    std::ofstream out(json_file);
    out << "{\"entries\": " << entries;
    for (const auto& [key, value] : results) out << ", \"" << key << "\": " << value;
    out << "}\n";
  }
  return 0;
}
