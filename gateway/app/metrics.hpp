#pragma once
// Counters of the exchange for the admin listener's Prometheus endpoint: requests by outcome and
// evidence type, end-to-end latency histogram. Updated once per exchange (when its record is
// written), read by /admin/v1/metrics. Thread safety: all members may be called concurrently.

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace oncegate::app {

class ExchangeMetrics {
 public:
  void observe(const std::string& outcome, const std::string& evidence_type, std::uint32_t latency_us);
  // Prometheus text exposition format (version 0.0.4).
  [[nodiscard]] std::string render(std::uint64_t log_size, std::size_t open_connections) const;

 private:
  static constexpr std::array<double, 9> kBucketsSeconds{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2.5};
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, std::uint64_t> requests_;  // (outcome, type)
  std::array<std::uint64_t, kBucketsSeconds.size()> buckets_{};
  std::uint64_t count_ = 0;
  double sum_seconds_ = 0;
};

}  // namespace oncegate::app
