#pragma once
// The operation log: one JSON object per line on stderr, for operators and their log shippers
// (journald, Loki, ...). It never carries personal data: people appear only as the transfer
// log's pseudonym, requests by correlation id and nachrichtenUUID.
//
//   {"ts":"2026-11-27T04:12:09.123Z","level":"info","event":"exchange","correlation_id":"…",…}
//
// Thread safety: write() may be called from any thread; each line is written with one write(2),
// so lines from different threads never interleave.

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <variant>

namespace oncegate::oplog {

enum class Level { debug, info, warn, error };

struct Field {
  std::string_view key;
  std::variant<std::string_view, std::int64_t, double, bool> value;

  Field(std::string_view k, std::string_view v) : key(k), value(v) {}
  Field(std::string_view k, const std::string& v) : key(k), value(std::string_view(v)) {}
  Field(std::string_view k, const char* v) : key(k), value(std::string_view(v)) {}
  Field(std::string_view k, std::int64_t v) : key(k), value(v) {}
  Field(std::string_view k, std::uint64_t v) : key(k), value(static_cast<std::int64_t>(v)) {}
  Field(std::string_view k, int v) : key(k), value(static_cast<std::int64_t>(v)) {}
  Field(std::string_view k, unsigned v) : key(k), value(static_cast<std::int64_t>(v)) {}
  Field(std::string_view k, double v) : key(k), value(v) {}
  Field(std::string_view k, bool v) : key(k), value(v) {}
};

// The line as written, without the trailing newline (for tests).
[[nodiscard]] std::string format(Level level, std::string_view event, std::initializer_list<Field> fields);

void write(Level level, std::string_view event, std::initializer_list<Field> fields);

// Lines below this level are dropped. Default: info.
void set_minimum_level(Level level) noexcept;

}  // namespace oncegate::oplog
