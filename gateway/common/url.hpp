#pragma once
// The query part of a URL: percent-decoding and parameters. Thread-safe.

#include <map>
#include <string>
#include <string_view>

namespace oncegate::common {

// %XX decoded, and with `plus_as_space` (query strings and forms, not paths) "+" as a space; a
// malformed %-sequence stays as it is.
[[nodiscard]] std::string percent_decode(std::string_view text, bool plus_as_space = true);

// name=value pairs, both decoded; a name without '=' has the value ""; of a repeated name the first
// counts.
[[nodiscard]] std::map<std::string, std::string> query_parameters(std::string_view query, bool plus_as_space = true);

// One decoded parameter (the first of that name), or empty when absent.
[[nodiscard]] std::string query_parameter(std::string_view query, std::string_view name, bool plus_as_space = true);

}  // namespace oncegate::common
