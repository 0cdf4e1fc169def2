// The replay window under rate (issue 14): what remembering request ids costs. Feeds fresh UUIDs
// at a simulated 5,000/s through the guard with the default retention (2 x 300 s + 1 s) and
// reports the resident memory per remembered id, the CPU per first sighting, and the cost of
// forgetting (generations dropped whole) per id. Linked with the gateway's allocator.
//
//   build/bin/replay_bench [ids, default 3000000]

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include "gateway/crypto/crypto.hpp"
#include "gateway/exchange/checks.hpp"

namespace {

long rss_kb() {
  long pages_total = 0, pages_resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages_total, &pages_resident) != 2) pages_resident = 0;
    std::fclose(f);
  }
  return pages_resident * (sysconf(_SC_PAGESIZE) / 1024);
}

double cpu_s() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t count = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 3'000'000;
  constexpr double kRate = 5000;
  auto guard = oncegate::exchange::FreshnessCheck::make_replay_guard(std::chrono::minutes(5));
  std::vector<std::string> ids;
  ids.reserve(count);
  for (std::size_t i = 0; i < count; ++i) ids.push_back(oncegate::crypto::new_uuid());
  const auto t0 = std::chrono::steady_clock::now();
  const auto at = [&](std::size_t i) {
    return t0 + std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(i / kRate));
  };
  const long rss_before = rss_kb();
  const double cpu_before = cpu_s();
  std::size_t admitted = 0;
  for (std::size_t i = 0; i < count; ++i) admitted += guard->first_sighting(ids[i], at(i)) ? 1 : 0;
  const double insert_ns = (cpu_s() - cpu_before) * 1e9 / static_cast<double>(count);
  const long rss_full = rss_kb();
  const std::size_t remembered = guard->size();
  // A replay of the newest id is refused; the oldest are still remembered within the retention.
  const bool refused = !guard->first_sighting(ids[count - 1], at(count));
  // Time passes by one retention: every shard drops its generations as it is used.
  const auto later = at(count) + std::chrono::seconds(700);
  const double drop_before = cpu_s();
  for (std::size_t i = 0; i < 10'000; ++i) (void)guard->first_sighting(oncegate::crypto::new_uuid(), later);
  const double drop_s = cpu_s() - drop_before;
  std::printf("{\"ids\":%zu,\"admitted\":%zu,\"remembered\":%zu,\"replay_refused\":%s,"
              "\"rss_kb_for_ids\":%ld,\"bytes_per_id\":%.1f,\"cpu_ns_per_first_sighting\":%.1f,"
              "\"cpu_ns_per_id_forgotten\":%.1f,\"remembered_after_retention\":%zu}\n",
              count, admitted, remembered, refused ? "true" : "false", rss_full - rss_before,
              static_cast<double>(rss_full - rss_before) * 1024.0 / static_cast<double>(remembered),
              insert_ns, drop_s * 1e9 / static_cast<double>(remembered), guard->size());
  return refused && admitted == count ? 0 : 1;
}
