#include "datacockpit/web.hpp"

#include <boost/json/serialize.hpp>

namespace oncegate::datacockpit::web {

net::HttpResponse secured(net::HttpResponse response) {
  response.headers.emplace_back("Content-Security-Policy",
                                "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                                "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
  response.headers.emplace_back("X-Frame-Options", "DENY");
  response.headers.emplace_back("Referrer-Policy", "no-referrer");
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return response;
}

net::HttpResponse json_response(unsigned status, const boost::json::value& body) {
  auto response = net::json_text_response(status, boost::json::serialize(body));
  response.content_type = "application/json; charset=utf-8";
  response.headers.emplace_back("Cache-Control", "no-store");
  return secured(std::move(response));
}

net::HttpResponse problem(unsigned status, std::string_view reason) {
  return json_response(status, boost::json::object{{"error", reason}});
}

net::HttpResponse redirect(std::string location) {
  net::HttpResponse response{302, "text/plain; charset=utf-8", {}, {}};
  response.headers.emplace_back("Location", std::move(location));
  response.headers.emplace_back("Cache-Control", "no-store");
  return secured(std::move(response));
}

std::string cookie_value(const net::HttpRequest& request, std::string_view name) {
  std::string_view cookies = request.header("cookie");
  while (!cookies.empty()) {
    const auto semicolon = cookies.find(';');
    std::string_view part = cookies.substr(0, semicolon);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    if (part.starts_with(name) && part.size() > name.size() && part[name.size()] == '=') {
      return std::string(part.substr(name.size() + 1));
    }
    if (semicolon == std::string_view::npos) break;
    cookies.remove_prefix(semicolon + 1);
  }
  return {};
}

std::optional<std::int64_t> to_int(std::string_view text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  std::int64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

}  // namespace oncegate::datacockpit::web
