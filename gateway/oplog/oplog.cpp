#include "gateway/oplog/oplog.hpp"
#include "gateway/common/time.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace oncegate::oplog {

namespace {

std::atomic<int> minimum_level{static_cast<int>(Level::info)};

std::string_view level_name(Level level) {
  switch (level) {
    case Level::debug: return "debug";
    case Level::info: return "info";
    case Level::warn: return "warn";
    case Level::error: return "error";
  }
  return "info";
}

void append_string(std::string& out, std::string_view text) {
  out += '"';
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (byte < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", byte);
          out += escaped;
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

void append_timestamp(std::string& out) {
  out += '"';
  out += common::utc_text(std::chrono::system_clock::now());
  out += '"';
}

}  // namespace

std::string format(Level level, std::string_view event, std::initializer_list<Field> fields) {
  std::string out = "{\"ts\":";
  append_timestamp(out);
  out += ",\"level\":";
  append_string(out, level_name(level));
  out += ",\"event\":";
  append_string(out, event);
  for (const auto& field : fields) {
    out += ',';
    append_string(out, field.key);
    out += ':';
    if (const auto* text = std::get_if<std::string_view>(&field.value)) {
      append_string(out, *text);
    } else if (const auto* integer = std::get_if<std::int64_t>(&field.value)) {
      out += std::to_string(*integer);
    } else if (const auto* real = std::get_if<double>(&field.value)) {
      if (std::isfinite(*real)) {
        char number[32];
        std::snprintf(number, sizeof number, "%.3f", *real);
        out += number;
      } else {
        out += "null";
      }
    } else {
      out += std::get<bool>(field.value) ? "true" : "false";
    }
  }
  out += '}';
  return out;
}

void write(Level level, std::string_view event, std::initializer_list<Field> fields) {
  if (static_cast<int>(level) < minimum_level.load(std::memory_order_relaxed)) return;
  std::string line = format(level, event, fields);
  line += '\n';
  // One write per line; a short write to a pipe of this size does not happen in practice, and a
  // lost log line must never stop an exchange.
  [[maybe_unused]] const auto written = ::write(STDERR_FILENO, line.data(), line.size());
}

void set_minimum_level(Level level) noexcept { minimum_level.store(static_cast<int>(level)); }

}  // namespace oncegate::oplog
