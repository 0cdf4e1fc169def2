#pragma once
// A circuit breaker for one remote register: stop sending requests to a register that keeps
// failing, and find out by a single probe when it is back.
//
//   closed    --failure_threshold consecutive failures-->  open
//   open      --begin_probe(), once open_duration passed-->  half_open
//   half_open --probe_succeeded()-->  closed     --probe_failed()-->  open (for open_duration again)
//
// Only closed lets requests through. Results of requests that were started while closed and end
// while open or half_open change nothing: the probe alone decides whether the register is back.
// Pure logic with an injectable clock, so the state machine is tested without waiting.
//
// Thread safety: none; the owner serialises access (the remote adapter holds its mutex).

#include <chrono>
#include <functional>
#include <string_view>

namespace oncegate::adapters::remote {

class CircuitBreaker {
 public:
  using Clock = std::chrono::steady_clock;
  using Now = std::function<Clock::time_point()>;

  enum class State { closed, open, half_open };

  struct Options {
    unsigned failure_threshold = 5;             // consecutive failures that open it; >= 1
    std::chrono::milliseconds open_duration{2000};  // open before a probe is due
  };

  // `now` defaults to the steady clock; tests pass a clock of their own.
  explicit CircuitBreaker(Options options, Now now = Clock::now);

  [[nodiscard]] State state() const noexcept { return state_; }
  // True when a request may be sent (closed).
  [[nodiscard]] bool allows_requests() const noexcept { return state_ == State::closed; }
  [[nodiscard]] unsigned consecutive_failures() const noexcept { return failures_; }

  // A request succeeded: the failure count starts again. Ignored unless closed.
  void record_success() noexcept;
  // A request failed. Returns true when this failure opened the breaker. Ignored unless closed.
  bool record_failure();

  // When the next probe is due (meaningful while open).
  [[nodiscard]] Clock::time_point probe_due_at() const noexcept { return probe_due_at_; }
  // Open and the open duration has passed: moves to half_open and returns true. Otherwise false.
  bool begin_probe();
  // half_open -> closed. Returns true on that transition.
  bool probe_succeeded() noexcept;
  // half_open -> open for another open_duration. Returns true on that transition.
  bool probe_failed();

 private:
  void open();

  Options options_;
  Now now_;
  State state_ = State::closed;
  unsigned failures_ = 0;
  Clock::time_point probe_due_at_{};
};

// "closed", "open" or "half_open" (as in AdapterStatus::breaker).
[[nodiscard]] std::string_view to_string(CircuitBreaker::State state) noexcept;

}  // namespace oncegate::adapters::remote
