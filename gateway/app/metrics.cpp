#include "gateway/app/metrics.hpp"

#include <cstdio>

namespace oncegate::app {

namespace {
// Label values come from the message (evidence type); escape what the format requires.
std::string label(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}
}  // namespace

void ExchangeMetrics::observe(const std::string& family, const std::string& outcome, const std::string& evidence_type,
                              std::uint32_t latency_us,
                              const std::array<std::uint32_t, kStageCount>& stage_us) {
  const double seconds = latency_us / 1e6;
  std::lock_guard lock(mutex_);
  for (std::size_t stage = 0; stage < kStageCount; ++stage) {
    if (stage_us[stage] == 0) continue;  // not reached
    const double stage_seconds = stage_us[stage] / 1e6;
    auto& histogram = stages_[stage];
    for (std::size_t i = 0; i < kStageBucketsSeconds.size(); ++i) {
      if (stage_seconds <= kStageBucketsSeconds[i]) ++histogram.buckets[i];
    }
    ++histogram.count;
    histogram.sum_seconds += stage_seconds;
  }
  // Evidence types are bounded by the schema's pattern but not by the routing table; cap the
  // label set so a requester cannot grow it without limit.
  const std::string type =
      requests_.size() < 200 || requests_.contains({family, outcome, evidence_type}) ? evidence_type : "other";
  ++requests_[{family, outcome, type}];
  auto& histogram = durations_[family];
  for (std::size_t i = 0; i < kBucketsSeconds.size(); ++i) {
    if (seconds <= kBucketsSeconds[i]) ++histogram.buckets[i];
  }
  ++histogram.count;
  histogram.sum_seconds += seconds;
}

void ExchangeMetrics::refused_before_trust(const std::string& code) {
  std::lock_guard lock(mutex_);
  ++refused_[code];
}

std::string ExchangeMetrics::render(const MetricsGauges& gauges) const {
  std::lock_guard lock(mutex_);
  std::string out;
  out += "# HELP oncegate_refused_before_trust_total Evidence requests refused before their message was authentic "
         "(not transfers: operation log only), by code.\n";
  out += "# TYPE oncegate_refused_before_trust_total counter\n";
  for (const auto& [code, value] : refused_) {
    out += "oncegate_refused_before_trust_total{code=\"" + label(code) + "\"} " + std::to_string(value) + "\n";
  }
  out += "# HELP oncegate_requests_total Evidence requests by message family, outcome and evidence type.\n";
  out += "# TYPE oncegate_requests_total counter\n";
  for (const auto& [key, value] : requests_) {
    const auto& [family, outcome, type] = key;
    out += "oncegate_requests_total{family=\"" + label(family) + "\",outcome=\"" + label(outcome) +
           "\",evidence_type=\"" + label(type) + "\"} " + std::to_string(value) + "\n";
  }
  out += "# HELP oncegate_request_duration_seconds Time from receipt to durable record, by message family.\n";
  out += "# TYPE oncegate_request_duration_seconds histogram\n";
  char line[512];
  for (const auto& [family, histogram] : durations_) {
    const std::string f = label(family);
    for (std::size_t i = 0; i < kBucketsSeconds.size(); ++i) {
      std::snprintf(line, sizeof line, "oncegate_request_duration_seconds_bucket{family=\"%s\",le=\"%g\"} %llu\n",
                    f.c_str(), kBucketsSeconds[i], static_cast<unsigned long long>(histogram.buckets[i]));
      out += line;
    }
    std::snprintf(line, sizeof line,
                  "oncegate_request_duration_seconds_bucket{family=\"%s\",le=\"+Inf\"} %llu\n"
                  "oncegate_request_duration_seconds_sum{family=\"%s\"} %.6f\n"
                  "oncegate_request_duration_seconds_count{family=\"%s\"} %llu\n",
                  f.c_str(), static_cast<unsigned long long>(histogram.count), f.c_str(), histogram.sum_seconds,
                  f.c_str(), static_cast<unsigned long long>(histogram.count));
    out += line;
  }
  out += "# HELP oncegate_stage_duration_seconds Time per exchange stage (log: until the record is durable).\n";
  out += "# TYPE oncegate_stage_duration_seconds histogram\n";
  for (std::size_t stage = 0; stage < kStageCount; ++stage) {
    const auto& histogram = stages_[stage];
    for (std::size_t i = 0; i < kStageBucketsSeconds.size(); ++i) {
      std::snprintf(line, sizeof line, "oncegate_stage_duration_seconds_bucket{stage=\"%s\",le=\"%g\"} %llu\n",
                    kStageNames[stage], kStageBucketsSeconds[i], static_cast<unsigned long long>(histogram.buckets[i]));
      out += line;
    }
    std::snprintf(line, sizeof line,
                  "oncegate_stage_duration_seconds_bucket{stage=\"%s\",le=\"+Inf\"} %llu\n"
                  "oncegate_stage_duration_seconds_sum{stage=\"%s\"} %.6f\n"
                  "oncegate_stage_duration_seconds_count{stage=\"%s\"} %llu\n",
                  kStageNames[stage], static_cast<unsigned long long>(histogram.count), kStageNames[stage],
                  histogram.sum_seconds, kStageNames[stage], static_cast<unsigned long long>(histogram.count));
    out += line;
  }
  out += "# HELP oncegate_transfer_log_records Records in the transfer log.\n# TYPE oncegate_transfer_log_records gauge\n";
  out += "oncegate_transfer_log_records " + std::to_string(gauges.log_size) + "\n";
  out += "# HELP oncegate_transfer_log_queue_depth Records waiting for the log writer.\n"
         "# TYPE oncegate_transfer_log_queue_depth gauge\n";
  out += "oncegate_transfer_log_queue_depth " + std::to_string(gauges.log_queue_depth) + "\n";
  out += "# HELP oncegate_checkpoint_size Tree size of the newest checkpoint, and of the newest one the witness quorum "
         "cosigned (the one served and proved against).\n# TYPE oncegate_checkpoint_size gauge\n";
  out += "oncegate_checkpoint_size{cosigned=\"false\"} " + std::to_string(gauges.checkpoint_size) + "\n";
  out += "oncegate_checkpoint_size{cosigned=\"true\"} " + std::to_string(gauges.cosigned_checkpoint_size) + "\n";
  out += "# HELP oncegate_witness_cosigned_size The newest tree size each witness cosigned.\n"
         "# TYPE oncegate_witness_cosigned_size gauge\n";
  for (const auto& w : gauges.witnesses) {
    out += "oncegate_witness_cosigned_size{witness=\"" + w.name + "\"} " + std::to_string(w.cosigned_size) + "\n";
  }
  out += "# HELP oncegate_witness_failures_total Checkpoint submissions to a witness that failed.\n"
         "# TYPE oncegate_witness_failures_total counter\n";
  for (const auto& w : gauges.witnesses) {
    out += "oncegate_witness_failures_total{witness=\"" + w.name + "\"} " + std::to_string(w.failures) + "\n";
  }
  out += "# HELP oncegate_open_connections Open TLS connections.\n# TYPE oncegate_open_connections gauge\n";
  out += "oncegate_open_connections " + std::to_string(gauges.open_connections) + "\n";
  out += "# HELP oncegate_limit_refusals_total Connections refused and requests answered RATE_LIMITED by the abuse "
         "limits, per listener and reason.\n# TYPE oncegate_limit_refusals_total counter\n";
  for (const auto& l : gauges.limits) {
    for (const auto& [reason, count] : l.refused) {
      out += "oncegate_limit_refusals_total{listener=\"" + label(l.listener) + "\",reason=\"" + label(reason) + "\"} " +
             std::to_string(count) + "\n";
    }
  }
  out += "# HELP oncegate_limit_sources Sources the abuse limits track, per listener.\n# TYPE oncegate_limit_sources gauge\n";
  for (const auto& l : gauges.limits) {
    out += "oncegate_limit_sources{listener=\"" + label(l.listener) + "\"} " + std::to_string(l.sources) + "\n";
  }
  out += "# HELP oncegate_handshakes_in_flight TLS handshakes in flight, per listener.\n"
         "# TYPE oncegate_handshakes_in_flight gauge\n";
  for (const auto& l : gauges.limits) {
    out += "oncegate_handshakes_in_flight{listener=\"" + label(l.listener) + "\"} " +
           std::to_string(l.handshakes_in_flight) + "\n";
  }

  out += "# HELP oncegate_adapter_calls_total Register calls started, per adapter.\n# TYPE oncegate_adapter_calls_total counter\n";
  for (const auto& [name, status] : gauges.adapters) {
    out += "oncegate_adapter_calls_total{adapter=\"" + label(name) + "\"} " + std::to_string(status.calls) + "\n";
  }
  out += "# HELP oncegate_adapter_errors_total Register calls that failed, per adapter and kind.\n"
         "# TYPE oncegate_adapter_errors_total counter\n";
  for (const auto& [name, status] : gauges.adapters) {
    out += "oncegate_adapter_errors_total{adapter=\"" + label(name) + "\",kind=\"unavailable\"} " + std::to_string(status.failures) + "\n";
    out += "oncegate_adapter_errors_total{adapter=\"" + label(name) + "\",kind=\"timeout\"} " + std::to_string(status.timeouts) + "\n";
    out += "oncegate_adapter_errors_total{adapter=\"" + label(name) + "\",kind=\"breaker_open\"} " + std::to_string(status.rejected_open) + "\n";
  }
  out += "# HELP oncegate_adapter_breaker_state Circuit breaker: 0 closed (or in-process), 1 half-open, 2 open, 3 disabled.\n"
         "# TYPE oncegate_adapter_breaker_state gauge\n";
  for (const auto& [name, status] : gauges.adapters) {
    const int state = status.breaker == "half_open" ? 1 : status.breaker == "open" ? 2 : status.breaker == "disabled" ? 3 : 0;
    out += "oncegate_adapter_breaker_state{adapter=\"" + label(name) + "\",state=\"" + label(status.breaker) + "\"} " +
           std::to_string(state) + "\n";
  }
  out += "# HELP oncegate_adapter_reachable 1 when the register answered its last call or health check.\n"
         "# TYPE oncegate_adapter_reachable gauge\n";
  for (const auto& [name, status] : gauges.adapters) {
    out += "oncegate_adapter_reachable{adapter=\"" + label(name) + "\"} " + (status.reachable ? "1" : "0") + "\n";
  }
  out += "# HELP oncegate_routes_degraded Routes (evidence type, region) whose register cannot be reached now.\n"
         "# TYPE oncegate_routes_degraded gauge\n";
  out += "oncegate_routes_degraded " + std::to_string(gauges.degraded_routes) + "\n";
  if (gauges.cluster) {
    const auto& c = *gauges.cluster;
    // One sample a metric, with its help and type.
    const auto single = [&out](std::string_view name, std::string_view type, std::string_view help, std::uint64_t value) {
      out += "# HELP " + std::string(name) + " " + std::string(help) + "\n# TYPE " + std::string(name) + " " +
             std::string(type) + "\n" + std::string(name) + " " + std::to_string(value) + "\n";
    };
    single("oncegate_store_up", "gauge", "The cluster's shared store (replay window) is connected and answering.",
           c.store_up ? 1 : 0);
    single("oncegate_store_failed_commands_total", "counter", "Commands to the shared store that got no answer.",
           c.store_failed_commands);
    out += "# HELP oncegate_replay_window_total Requests the shared replay window decided, by verdict (seen: used at "
           "another node; unavailable: the store did not answer).\n";
    out += "# TYPE oncegate_replay_window_total counter\n";
    out += "oncegate_replay_window_total{verdict=\"seen\"} " + std::to_string(c.replays_seen) + "\n";
    out += "oncegate_replay_window_total{verdict=\"unavailable\"} " + std::to_string(c.replay_window_unavailable) + "\n";
    single("oncegate_config_version", "gauge", "The shared configuration's version in force on this node.",
           c.config_version);
    single("oncegate_config_version_failed", "gauge",
           "A stored version this node could not build and does not run (0: none); it runs oncegate_config_version.",
           c.config_failed_version);
  }
  out += "# HELP oncegate_certificate_expiry_days Days until a certificate expires (negative: expired).\n"
         "# TYPE oncegate_certificate_expiry_days gauge\n";
  for (const auto& c : gauges.certificates) {
    std::snprintf(line, sizeof line, "%.2f", c.days_left);
    out += "oncegate_certificate_expiry_days{kind=\"" + label(c.kind) + "\",name=\"" + label(c.name) + "\"} " + line + "\n";
  }
  return out;
}

}  // namespace oncegate::app
