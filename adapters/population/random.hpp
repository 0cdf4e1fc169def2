#pragma once
// The deterministic randomness of the sample data (population, companies): splitmix64, so that
// the same seed gives the same data on every machine and with every standard library (no <random>
// distributions, no clock).

#include <array>
#include <cstddef>
#include <cstdint>

namespace oncegate::adapters::population {

class Random {
 public:
  explicit Random(std::uint64_t seed) noexcept : state_(seed) {}

  std::uint64_t next() noexcept {  // splitmix64
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }

  // The modulo bias is below 2^-40 for the bounds used here, far below anything observable.
  std::uint64_t below(std::uint64_t bound) noexcept { return next() % bound; }

  std::int64_t between(std::int64_t low, std::int64_t high) noexcept {  // inclusive
    return low + static_cast<std::int64_t>(below(static_cast<std::uint64_t>(high - low) + 1));
  }

  bool per_mille(std::uint64_t chance) noexcept { return below(1000) < chance; }

  template <typename T, std::size_t N>
  const T& pick(const std::array<T, N>& items) noexcept {
    return items[below(N)];
  }

 private:
  std::uint64_t state_;
};

}  // namespace oncegate::adapters::population
