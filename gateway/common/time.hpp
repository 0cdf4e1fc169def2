#pragma once
// Wall-clock time as the gateway writes it. Thread-safe.

#include <chrono>
#include <cstdint>
#include <string>

namespace oncegate::common {

// Milliseconds since the Unix epoch, now.
[[nodiscard]] std::int64_t now_ms();

// xs:dateTime in UTC with milliseconds, e.g. 2026-11-26T23:40:00.123Z.
[[nodiscard]] std::string utc_text(std::chrono::system_clock::time_point time);
[[nodiscard]] std::string utc_text_ms(std::int64_t unix_ms);
// Whole seconds, e.g. 2026-11-26T23:40:00Z (certificate validity).
[[nodiscard]] std::string utc_text_seconds(std::int64_t unix_seconds);

}  // namespace oncegate::common
