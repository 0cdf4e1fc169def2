#include "gateway/net/http.hpp"

#include <algorithm>
#include <stdexcept>
#include <tuple>

namespace oncegate::net {

std::string_view HttpRequest::header(std::string_view lower_case_name) const noexcept {
  for (const auto& [name, value] : headers) {
    if (name == lower_case_name) return value;
  }
  return {};
}

HttpResponse json_text_response(unsigned status, std::string serialized) {
  serialized += '\n';
  return HttpResponse{status, "application/json", std::move(serialized), {}};
}

bool media_type_is(std::string_view content_type, std::string_view media_type) noexcept {
  std::string_view type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
  if (type.size() != media_type.size()) return false;
  for (std::size_t i = 0; i < type.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(type[i]) != lower(media_type[i])) return false;
  }
  return true;
}

unsigned http_status(HttpFailure failure) noexcept {
  switch (failure) {
    case HttpFailure::bad_request: return 400;
    case HttpFailure::header_too_large: return 431;
    case HttpFailure::body_too_large: return 413;
    case HttpFailure::not_found: return 404;
    case HttpFailure::method_not_allowed: return 405;
    case HttpFailure::shutting_down: return 503;
    case HttpFailure::internal_error: return 500;
    case HttpFailure::not_implemented: return 501;
    case HttpFailure::expectation_failed: return 417;
    case HttpFailure::rate_limited: return 429;
  }
  return 400;
}

std::string_view describe(HttpFailure failure) noexcept {
  switch (failure) {
    case HttpFailure::bad_request: return "the HTTP request is malformed";
    case HttpFailure::header_too_large: return "the HTTP header is larger than allowed";
    case HttpFailure::body_too_large: return "the message is larger than allowed";
    case HttpFailure::not_found: return "no such endpoint";
    case HttpFailure::method_not_allowed: return "this endpoint does not accept this method";
    case HttpFailure::shutting_down: return "the gateway is shutting down, try again";
    case HttpFailure::internal_error: return "the gateway failed to handle the request";
    case HttpFailure::not_implemented: return "only the chunked transfer coding is supported";
    case HttpFailure::expectation_failed: return "only Expect: 100-continue is supported";
    case HttpFailure::rate_limited: return "too many requests from this source or party; try again in a second";
  }
  return "the HTTP request is malformed";
}

void Router::add(std::string method, std::string path, Handler handler, Admission admit, FailureRenderer render) {
  auto key = std::make_pair(std::move(method), std::move(path));
  if (exact_.contains(key)) {
    throw std::logic_error("route " + key.first + " " + key.second + " registered twice");
  }
  exact_.emplace(std::move(key), Route{std::move(handler), std::move(admit), std::move(render)});
}

void Router::add_prefix(std::string method, std::string prefix, Handler handler, Admission admit) {
  for (const auto& [m, p, h] : prefixes_) {
    if (m == method && p == prefix) throw std::logic_error("prefix route " + prefix + " registered twice");
  }
  prefixes_.emplace_back(std::move(method), std::move(prefix), Route{std::move(handler), std::move(admit), {}});
  std::stable_sort(prefixes_.begin(), prefixes_.end(), [](const auto& a, const auto& b) {
    return std::get<1>(a).size() > std::get<1>(b).size();
  });
}

std::vector<std::string> Router::endpoints() const {
  std::vector<std::pair<std::string, std::string>> all;
  for (const auto& [key, route] : exact_) all.emplace_back(key.second, key.first);
  for (const auto& [method, prefix, route] : prefixes_) all.emplace_back(prefix + "*", method);
  std::sort(all.begin(), all.end());
  std::vector<std::string> out;
  for (const auto& [path, method] : all) out.push_back(method + " " + path);
  return out;
}

Router::Match Router::find(std::string_view method, std::string_view path) const {
  Match match;
  for (const auto& [key, route] : exact_) {
    if (key.second != path) continue;
    if (key.first == method) return Match{&route, true};
    match.path_known = true;
  }
  if (match.path_known) return match;
  for (const auto& [m, prefix, route] : prefixes_) {
    if (!path.starts_with(prefix)) continue;
    if (m == method) return Match{&route, true};
    match.path_known = true;
  }
  return match;
}

}  // namespace oncegate::net
