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

void ExchangeMetrics::observe(const std::string& outcome, const std::string& evidence_type, std::uint32_t latency_us) {
  const double seconds = latency_us / 1e6;
  std::lock_guard lock(mutex_);
  // Evidence types are bounded by the schema's pattern but not by the routing table; cap the
  // label set so a requester cannot grow it without limit.
  const std::string type = requests_.size() < 200 || requests_.contains({outcome, evidence_type}) ? evidence_type : "other";
  ++requests_[{outcome, type}];
  for (std::size_t i = 0; i < kBucketsSeconds.size(); ++i) {
    if (seconds <= kBucketsSeconds[i]) ++buckets_[i];
  }
  ++count_;
  sum_seconds_ += seconds;
}

std::string ExchangeMetrics::render(std::uint64_t log_size, std::size_t open_connections) const {
  std::lock_guard lock(mutex_);
  std::string out;
  out += "# HELP oncegate_requests_total Evidence requests by outcome and evidence type.\n";
  out += "# TYPE oncegate_requests_total counter\n";
  for (const auto& [key, value] : requests_) {
    out += "oncegate_requests_total{outcome=\"" + label(key.first) + "\",evidence_type=\"" + label(key.second) + "\"} " +
           std::to_string(value) + "\n";
  }
  out += "# HELP oncegate_request_duration_seconds Time from receipt to durable record.\n";
  out += "# TYPE oncegate_request_duration_seconds histogram\n";
  char line[160];
  for (std::size_t i = 0; i < kBucketsSeconds.size(); ++i) {
    std::snprintf(line, sizeof line, "oncegate_request_duration_seconds_bucket{le=\"%g\"} %llu\n", kBucketsSeconds[i],
                  static_cast<unsigned long long>(buckets_[i]));
    out += line;
  }
  std::snprintf(line, sizeof line, "oncegate_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
                static_cast<unsigned long long>(count_));
  out += line;
  std::snprintf(line, sizeof line, "oncegate_request_duration_seconds_sum %.6f\noncegate_request_duration_seconds_count %llu\n",
                sum_seconds_, static_cast<unsigned long long>(count_));
  out += line;
  out += "# HELP oncegate_transfer_log_records Records in the transfer log.\n# TYPE oncegate_transfer_log_records gauge\n";
  out += "oncegate_transfer_log_records " + std::to_string(log_size) + "\n";
  out += "# HELP oncegate_open_connections Open TLS connections.\n# TYPE oncegate_open_connections gauge\n";
  out += "oncegate_open_connections " + std::to_string(open_connections) + "\n";
  return out;
}

}  // namespace oncegate::app
