#include "adapters/remote/circuit_breaker.hpp"

#include <algorithm>
#include <utility>

namespace oncegate::adapters::remote {

CircuitBreaker::CircuitBreaker(Options options, Now now)
    : options_(options), now_(now ? std::move(now) : Now(Clock::now)) {
  // A threshold of 0 would open on nothing; treat it as "open on the first failure".
  options_.failure_threshold = std::max(1u, options_.failure_threshold);
}

void CircuitBreaker::record_success() noexcept {
  if (state_ == State::closed) failures_ = 0;
}

bool CircuitBreaker::record_failure() {
  if (state_ != State::closed) return false;
  if (++failures_ < options_.failure_threshold) return false;
  open();
  return true;
}

bool CircuitBreaker::begin_probe() {
  if (state_ != State::open || now_() < probe_due_at_) return false;
  state_ = State::half_open;
  return true;
}

bool CircuitBreaker::probe_succeeded() noexcept {
  if (state_ != State::half_open) return false;
  state_ = State::closed;
  failures_ = 0;
  return true;
}

bool CircuitBreaker::probe_failed() {
  if (state_ != State::half_open) return false;
  open();
  return true;
}

void CircuitBreaker::open() {
  state_ = State::open;
  probe_due_at_ = now_() + options_.open_duration;
}

std::string_view to_string(CircuitBreaker::State state) noexcept {
  switch (state) {
    case CircuitBreaker::State::closed: return "closed";
    case CircuitBreaker::State::open: return "open";
    case CircuitBreaker::State::half_open: return "half_open";
  }
  return "closed";
}

}  // namespace oncegate::adapters::remote
