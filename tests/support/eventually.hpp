#pragma once
// Test support: polls a condition until it holds or a time limit passes (for state another
// thread changes: a log that recovers, a breaker that closes).

#include <chrono>
#include <functional>
#include <thread>

namespace oncegate::testing {

inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return condition();
}

}  // namespace oncegate::testing
