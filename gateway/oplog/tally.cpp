#include "gateway/oplog/tally.hpp"

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

#include "gateway/oplog/oplog.hpp"

namespace oncegate::oplog {

namespace {

struct Tally {
  std::mutex mutex;
  std::map<std::tuple<std::string, std::string, std::string>, std::uint64_t, std::less<>> counts;
  std::chrono::steady_clock::time_point since = std::chrono::steady_clock::now();
};

Tally& the_tally() {
  static Tally tally;
  return tally;
}

}  // namespace

void tally(std::string_view listener, std::string_view source, std::string_view reason) {
  auto& t = the_tally();
  std::lock_guard lock(t.mutex);
  auto key = std::make_tuple(std::string(listener), std::string(source), std::string(reason));
  if (auto it = t.counts.find(key); it != t.counts.end()) {
    ++it->second;
    return;
  }
  if (t.counts.size() >= kMaxTallyKeys) std::get<1>(key) = "(other)";
  ++t.counts[std::move(key)];
}

std::size_t flush_tally() {
  decltype(Tally::counts) counts;
  std::chrono::steady_clock::time_point since;
  {
    auto& t = the_tally();
    std::lock_guard lock(t.mutex);
    counts.swap(t.counts);
    since = t.since;
    t.since = std::chrono::steady_clock::now();
  }
  const auto interval_ms = static_cast<std::int64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - since).count());
  for (const auto& [key, count] : counts) {
    const auto& [listener, source, reason] = key;
    write(Level::warn, "refusals",
          {{"listener", listener}, {"source", source}, {"reason", reason}, {"count", count}, {"interval_ms", interval_ms}});
  }
  return counts.size();
}

}  // namespace oncegate::oplog
