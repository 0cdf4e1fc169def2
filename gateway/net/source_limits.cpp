#include "gateway/net/source_limits.hpp"

#include <algorithm>

namespace oncegate::net {

std::string source_key(const boost::asio::ip::address& address) {
  if (address.is_v4()) return address.to_string();
  auto v6 = address.to_v6();
  if (v6.is_v4_mapped()) return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6).to_string();
  auto bytes = v6.to_bytes();
  std::fill(bytes.begin() + 8, bytes.end(), 0);
  return boost::asio::ip::address_v6(bytes).to_string() + "/64";
}

std::string_view reason_name(LimitReason reason) noexcept {
  switch (reason) {
    case LimitReason::source_connections: return "source_connections";
    case LimitReason::source_handshakes: return "source_handshakes";
    case LimitReason::listener_handshakes: return "listener_handshakes";
    case LimitReason::sources: return "sources";
    case LimitReason::source_rate: return "source_rate";
    case LimitReason::party_rate: return "party_rate";
    case LimitReason::count: break;
  }
  return "unknown";
}

SourceLimiter::SourceLimiter(SourceLimitOptions options)
    : options_(options),
      burst_(options.request_burst > 0 ? options.request_burst : std::max(1.0, 2 * options.requests_per_second)),
      party_burst_(options.party_request_burst > 0 ? options.party_request_burst
                                                   : std::max(1.0, 2 * options.party_requests_per_second)) {}

SourceLimiter::Lease::Lease(Lease&& other) noexcept
    : limiter_(other.limiter_), source_(std::move(other.source_)), handshaking_(other.handshaking_) {
  other.limiter_ = nullptr;
}

SourceLimiter::Lease::~Lease() {
  if (limiter_ != nullptr) limiter_->release(source_, handshaking_);
}

void SourceLimiter::Lease::handshake_finished() {
  if (limiter_ == nullptr || !handshaking_) return;
  handshaking_ = false;
  limiter_->finish_handshake(source_);
}

std::optional<SourceLimiter::Lease> SourceLimiter::admit(const std::string& source, LimitReason& why) {
  std::lock_guard lock(mutex_);
  const auto fail = [&](LimitReason reason) -> std::optional<Lease> {
    why = reason;
    refuse(reason);
    return std::nullopt;
  };
  if (options_.handshakes_in_flight != 0 && handshakes_ >= options_.handshakes_in_flight) {
    return fail(LimitReason::listener_handshakes);
  }
  auto it = sources_.find(source);
  if (it == sources_.end()) {
    if (sources_.size() >= kMaxSources) prune(Clock::now());
    if (sources_.size() >= kMaxSources) return fail(LimitReason::sources);
    it = sources_.emplace(source, Source{}).first;
  }
  Source& s = it->second;
  if (options_.connections_per_source != 0 && s.connections >= options_.connections_per_source) {
    return fail(LimitReason::source_connections);
  }
  if (options_.handshakes_per_source != 0 && s.handshakes >= options_.handshakes_per_source) {
    return fail(LimitReason::source_handshakes);
  }
  ++s.connections;
  ++s.handshakes;
  ++handshakes_;
  return Lease(this, source);
}

void SourceLimiter::finish_handshake(const std::string& source) {
  std::lock_guard lock(mutex_);
  --handshakes_;
  if (auto it = sources_.find(source); it != sources_.end()) --it->second.handshakes;
}

void SourceLimiter::release(const std::string& source, bool handshaking) {
  std::lock_guard lock(mutex_);
  if (handshaking) --handshakes_;
  auto it = sources_.find(source);
  if (it == sources_.end()) return;
  if (handshaking) --it->second.handshakes;
  --it->second.connections;
  // A source without a rate limit has nothing worth remembering once its last connection closed.
  if (it->second.connections == 0 && options_.requests_per_second <= 0) sources_.erase(it);
}

bool SourceLimiter::take(Bucket& bucket, bool fresh, double rate, double burst, Clock::time_point now) {
  if (fresh) {
    bucket.tokens = burst;
  } else {
    const double seconds = std::chrono::duration<double>(now - bucket.refilled).count();
    bucket.tokens = std::min(burst, bucket.tokens + seconds * rate);
  }
  bucket.refilled = now;
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}

bool SourceLimiter::take_request(const std::string& source, std::string_view party, LimitReason& why) {
  const auto now = Clock::now();
  std::lock_guard lock(mutex_);
  if (options_.requests_per_second > 0) {
    auto it = sources_.find(source);
    // A request comes on an admitted connection, so its source is tracked; be safe anyway.
    const bool fresh = it == sources_.end();
    if (fresh) it = sources_.emplace(source, Source{}).first;
    const bool first = it->second.bucket.refilled == Clock::time_point{};
    if (!take(it->second.bucket, fresh || first, options_.requests_per_second, burst_, now)) {
      why = LimitReason::source_rate;
      refuse(why);
      return false;
    }
  }
  if (options_.party_requests_per_second > 0 && !party.empty()) {
    auto it = parties_.find(std::string(party));
    bool fresh = it == parties_.end();
    if (fresh) {
      if (parties_.size() >= kMaxParties) {
        std::erase_if(parties_, [&](const auto& entry) {
          const double idle = std::chrono::duration<double>(now - entry.second.refilled).count();
          return entry.second.tokens + idle * options_.party_requests_per_second >= party_burst_;
        });
      }
      if (parties_.size() >= kMaxParties) {
        why = LimitReason::party_rate;
        refuse(why);
        return false;
      }
      it = parties_.emplace(std::string(party), Bucket{}).first;
    }
    if (!take(it->second, fresh, options_.party_requests_per_second, party_burst_, now)) {
      why = LimitReason::party_rate;
      refuse(why);
      return false;
    }
  }
  return true;
}

void SourceLimiter::prune(Clock::time_point now) {
  std::erase_if(sources_, [&](const auto& entry) {
    const Source& s = entry.second;
    if (s.connections != 0) return false;
    if (options_.requests_per_second <= 0) return true;
    const double idle = std::chrono::duration<double>(now - s.bucket.refilled).count();
    return s.bucket.tokens + idle * options_.requests_per_second >= burst_;
  });
}

LimitCounts SourceLimiter::counts() const {
  LimitCounts out;
  for (std::size_t i = 0; i < out.refused.size(); ++i) out.refused[i] = refused_[i].load(std::memory_order_relaxed);
  std::lock_guard lock(mutex_);
  out.sources = sources_.size();
  out.handshakes_in_flight = handshakes_;
  return out;
}

}  // namespace oncegate::net
