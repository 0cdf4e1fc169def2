#pragma once
// URLs: percent-decoding and -encoding, query parameters, and https:// URLs split for a
// connection. Thread-safe.

#include <cstdint>
#include <map>
#include <optional>
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

// Percent-encoding of everything but the unreserved characters (RFC 3986 2.3): for query values
// and form bodies.
[[nodiscard]] std::string percent_encode(std::string_view text);

// An https:// URL split for a connection: host (a name or an IPv4 address), port (443 unless
// given) and the target (path and query, at least "/"). No user info, no fragment.
struct HttpsUrl {
  std::string host;
  std::uint16_t port = 443;
  std::string target = "/";
  // "https://host[:port]" as given back: the origin (RFC 6454) of the URL.
  [[nodiscard]] std::string origin() const;
};
// nullopt unless `url` is such a URL.
[[nodiscard]] std::optional<HttpsUrl> parse_https_url(std::string_view url);

}  // namespace oncegate::common
