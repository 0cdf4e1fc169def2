#pragma once
// Refusals logged in aggregate: a flood of failed handshakes or refused requests must not become
// a flood of log lines (that is an attack on the log, and on the disk behind it). Each refusal is
// counted under (listener, source, reason); flush() writes one "refusals" line per key with its
// count since the last flush, and forgets. The server flushes every interval and at shutdown.
//
//   {"ts":"…","level":"warn","event":"refusals","listener":"evidence","source":"192.0.2.7",
//    "reason":"tls_handshake_failed","count":498,"interval_ms":10000}
//
// Bounded: at most kMaxKeys keys between flushes; further sources are counted under the source
// "(other)". Thread safety: all functions may be called from any thread.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace oncegate::oplog {

inline constexpr std::size_t kMaxTallyKeys = 4096;

// Counts one refusal. `source` is an address (no port: a new port per connection would defeat
// the aggregation), `reason` a stable word such as a code name.
void tally(std::string_view listener, std::string_view source, std::string_view reason);

// Writes one line per key counted since the last flush; returns the number of lines.
std::size_t flush_tally();

}  // namespace oncegate::oplog
