#pragma once
// Counters of the exchange for the admin listener's Prometheus endpoint: requests by message
// family (national, oots), outcome and evidence type, end-to-end latency by family and per-stage latency histograms; gauges (log, connections, adapters,
// certificate expiry) are passed in when rendering. Updated once per exchange (when its record is
// written), read by /admin/v1/metrics. Thread safety: all members may be called concurrently.

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "gateway/adapter/adapter.hpp"

namespace oncegate::app {

// Stages as in exchange::Stage: parse, verify, permission, adapter, sign, log.
inline constexpr std::size_t kStageCount = 6;
inline constexpr std::array<const char*, kStageCount> kStageNames{"parse", "verify", "permission", "adapter", "sign", "log"};

// Gauges read when /metrics is asked for.
struct MetricsGauges {
  std::uint64_t log_size = 0;
  std::size_t log_queue_depth = 0;
  std::size_t open_connections = 0;
  std::uint64_t checkpoint_size = 0;           // the newest checkpoint
  std::uint64_t cosigned_checkpoint_size = 0;  // the newest one the witness quorum cosigned (served)
  struct Witness {
    std::string name;
    std::uint64_t cosigned_size = 0;
    std::uint64_t failures = 0;
  };
  std::vector<Witness> witnesses;
  // Abuse limits per listener: refusals by reason (the connection refused, or the request answered
  // RATE_LIMITED), sources tracked, handshakes in flight.
  struct ListenerLimits {
    std::string listener;
    std::vector<std::pair<std::string, std::uint64_t>> refused;  // reason -> count
    std::size_t sources = 0;
    std::size_t handshakes_in_flight = 0;
  };
  std::vector<ListenerLimits> limits;
  std::vector<std::pair<std::string, adapters::AdapterStatus>> adapters;
  std::size_t degraded_routes = 0;  // routes whose register cannot be reached now
  struct Certificate {
    std::string kind;  // "signing", "authority", "listener"
    std::string name;  // fingerprint prefix, kennung or listener name
    double days_left = 0;
  };
  std::vector<Certificate> certificates;
  // A cluster node's shared store (unset: one node).
  struct Cluster {
    bool store_up = false;
    std::uint64_t store_failed_commands = 0;
    std::uint64_t replays_seen = 0;           // refused by the shared window (used at another node)
    std::uint64_t replay_window_unavailable = 0;
    std::uint64_t config_version = 0;         // of the shared configuration, in force here
    std::uint64_t config_failed_version = 0;  // one this node could not build (0: none)
  };
  std::optional<Cluster> cluster;
};

class ExchangeMetrics {
 public:
  // `stage_us` per exchange::Stage; zero for stages the request did not reach.
  void observe(const std::string& family, const std::string& outcome, const std::string& evidence_type,
               std::uint32_t latency_us,
               const std::array<std::uint32_t, kStageCount>& stage_us = {});
  // A request refused before its message was authentic (no transfer record), by error code.
  void refused_before_trust(const std::string& code);
  // Prometheus text exposition format (version 0.0.4).
  [[nodiscard]] std::string render(const MetricsGauges& gauges) const;

 private:
  static constexpr std::array<double, 9> kBucketsSeconds{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2.5};
  mutable std::mutex mutex_;
  std::map<std::tuple<std::string, std::string, std::string>, std::uint64_t> requests_;  // (family, outcome, type)
  std::map<std::string, std::uint64_t> refused_;                                        // by code
  struct Histogram {
    std::array<std::uint64_t, kBucketsSeconds.size()> buckets{};
    std::uint64_t count = 0;
    double sum_seconds = 0;
  };
  std::map<std::string, Histogram> durations_;  // by family (names from the code, a fixed few)

  static constexpr std::array<double, 11> kStageBucketsSeconds{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                              0.01,   0.05,    0.25,   1.0,   5.0};
  struct StageHistogram {
    std::array<std::uint64_t, kStageBucketsSeconds.size()> buckets{};
    std::uint64_t count = 0;
    double sum_seconds = 0;
  };
  std::array<StageHistogram, kStageCount> stages_{};
};

}  // namespace oncegate::app
