#pragma once
// What every page and API answer of the citizens' listener shares (inside the datacockpit module):
// the strict security headers, JSON answers and problems, redirects, cookies.
// Thread-safe (pure functions).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include "gateway/net/http.hpp"

namespace oncegate::datacockpit::web {

// Own scripts and styles only, nothing inline, no framing, no referrer; forms post only to this
// origin (the demo provider's form too: it redirects to the cockpit on the same origin).
[[nodiscard]] net::HttpResponse secured(net::HttpResponse response);
[[nodiscard]] net::HttpResponse json_response(unsigned status, const boost::json::value& body);
// {"error": reason}
[[nodiscard]] net::HttpResponse problem(unsigned status, std::string_view reason);
// 302 to `location`, never cached.
[[nodiscard]] net::HttpResponse redirect(std::string location);
// The value of the cookie `name` in the request's Cookie header, or empty.
[[nodiscard]] std::string cookie_value(const net::HttpRequest& request, std::string_view name);
// A whole number 0..10^18 written in decimal digits only.
[[nodiscard]] std::optional<std::int64_t> to_int(std::string_view text);

}  // namespace oncegate::datacockpit::web
