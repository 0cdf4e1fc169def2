#pragma once
// Faults of the transfer log's disk, on command: the disk is full (every write and sync of the
// log's files fails with "no space"), or every sync takes a given time (a slow disk). The RocksDB
// backend applies them through RocksDB's own FileSystem wrapper, so nothing is mounted or
// preloaded and a test runs the same on every machine and under the sanitizers.
//
// For the fault tests and benchmarks only: a production gateway never sets one.
// Thread safety: all members may be called from any thread.

#include <atomic>
#include <chrono>
#include <cstdint>

namespace oncegate::log {

class StorageFaults {
 public:
  void set_disk_full(bool full) noexcept { disk_full_.store(full); }
  void set_sync_delay(std::chrono::milliseconds delay) noexcept { sync_delay_ms_.store(delay.count()); }

  [[nodiscard]] bool disk_full() const noexcept { return disk_full_.load(); }
  [[nodiscard]] std::chrono::milliseconds sync_delay() const noexcept {
    return std::chrono::milliseconds(sync_delay_ms_.load());
  }

  // What the faults did so far.
  [[nodiscard]] std::uint64_t refused_writes() const noexcept { return refused_writes_.load(); }
  [[nodiscard]] std::uint64_t delayed_syncs() const noexcept { return delayed_syncs_.load(); }
  void count_refused_write() noexcept { refused_writes_.fetch_add(1); }
  void count_delayed_sync() noexcept { delayed_syncs_.fetch_add(1); }

 private:
  std::atomic<bool> disk_full_{false};
  std::atomic<std::int64_t> sync_delay_ms_{0};
  std::atomic<std::uint64_t> refused_writes_{0};
  std::atomic<std::uint64_t> delayed_syncs_{0};
};

}  // namespace oncegate::log
