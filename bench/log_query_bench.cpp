// Citizen query latency in a large transfer log: builds (or reuses) a log of N records in which
// one person has 1,000 transfers spread evenly, then measures the Datencockpit query for that
// person (newest 50, whole time range) and prints p50/p99/max. Usage:
//   log_query_bench [--records N] [--dir DIR] [--queries Q]
// Goal (issue 4): < 5 ms p99 at 10 million records.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <string>
#include <vector>

#include "gateway/log/transfer_log.hpp"

using namespace oncegate::log;

int main(int argc, char** argv) {
  std::uint64_t records = 10'000'000;
  std::string dir = (std::filesystem::temp_directory_path() / "oncegate-bench-log-10m").string();
  int queries = 2000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i];
    if (key == "--records") records = std::strtoull(argv[i + 1], nullptr, 10);
    if (key == "--dir") dir = argv[i + 1];
    if (key == "--queries") queries = std::atoi(argv[i + 1]);
  }
  const std::string secret(32, 's');
  const std::string citizen = pseudonym(secret, "36574261809");
  TransferLogOptions options;
  options.directory = dir;
  options.sync = false;  // building the fixture; the query path does not depend on it
  options.max_batch = 4096;
  options.head_every_records = 1'000'000;
  options.identity = oncegate::log::LogIdentity{"oncegate.bench/log/1", std::make_shared<oncegate::crypto::Ed25519Key>(oncegate::crypto::Ed25519Key::generate())};
  auto log = TransferLog::Open(options);
  const auto build_start = std::chrono::steady_clock::now();
  const std::uint64_t step = std::max<std::uint64_t>(1, records / 1000);
  std::uint64_t have = log->size();
  while (have < records) {
    const std::uint64_t chunk = std::min<std::uint64_t>(100'000, records - have);
    std::vector<std::promise<void>> done(chunk);
    for (std::uint64_t i = 0; i < chunk; ++i) {
      const std::uint64_t n = have + i;
      TransferRecord r;
      r.requester = "psw:0" + std::to_string(1000000 + n % 500);
      r.register_adapter = "personenstand";
      r.evidence_type = n % 2 ? "geburtsurkunde" : "meldebescheinigung";
      r.purpose = "leistungsgewaehrung";
      r.legal_basis = "IDNrG § 6 Abs. 2";
      r.outcome = "delivered";
      r.pseudonym = n % step == 0 ? citizen : pseudonym(secret, std::to_string(20'000'000'000ULL + n));
      log->append(std::move(r), [&done, i](bool, std::uint64_t) { done[i].set_value(); });
    }
    for (auto& d : done) d.get_future().get();
    have += chunk;
    if (have % 1'000'000 == 0) std::fprintf(stderr, "built %llu records\n", static_cast<unsigned long long>(have));
  }
  const double build_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - build_start).count();
  std::vector<double> latencies_ms;
  std::size_t found = 0;
  for (int q = 0; q < queries; ++q) {
    const auto start = std::chrono::steady_clock::now();
    const Page page = log->by_person(citizen, 0, INT64_MAX, 50, std::nullopt);
    latencies_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    found = page.records.size();
  }
  // Walking all 1,000 transfers page by page, as an export does.
  const auto all_start = std::chrono::steady_clock::now();
  std::size_t total = 0;
  std::optional<std::uint64_t> before;
  do {
    const Page page = log->by_person(citizen, 0, INT64_MAX, 100, before);
    total += page.records.size();
    before = page.next_before;
  } while (before);
  const double all_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - all_start).count();
  std::sort(latencies_ms.begin(), latencies_ms.end());
  const auto pct = [&](double p) { return latencies_ms[static_cast<std::size_t>(p * (latencies_ms.size() - 1))]; };
  std::printf("records=%llu (built in %.1f s), citizen transfers=%zu, page=%zu\n",
              static_cast<unsigned long long>(log->size()), build_s, total, found);
  std::printf("newest-50 query: p50=%.3f ms p99=%.3f ms max=%.3f ms over %d queries\n", pct(0.5), pct(0.99),
              latencies_ms.back(), queries);
  std::printf("all %zu transfers in pages of 100: %.3f ms\n", total, all_ms);
  return 0;
}
