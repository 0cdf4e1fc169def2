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

void Router::add(std::string method, std::string path, Handler handler) {
  auto key = std::make_pair(std::move(method), std::move(path));
  if (exact_.contains(key)) {
    throw std::logic_error("route " + key.first + " " + key.second + " registered twice");
  }
  exact_.emplace(std::move(key), std::move(handler));
}

void Router::add_prefix(std::string method, std::string prefix, Handler handler) {
  for (const auto& [m, p, h] : prefixes_) {
    if (m == method && p == prefix) throw std::logic_error("prefix route " + prefix + " registered twice");
  }
  prefixes_.emplace_back(std::move(method), std::move(prefix), std::move(handler));
  std::stable_sort(prefixes_.begin(), prefixes_.end(), [](const auto& a, const auto& b) {
    return std::get<1>(a).size() > std::get<1>(b).size();
  });
}

Router::Match Router::find(std::string_view method, std::string_view path) const {
  Match match;
  for (const auto& [key, handler] : exact_) {
    if (key.second != path) continue;
    if (key.first == method) return Match{&handler, true};
    match.path_known = true;
  }
  if (match.path_known) return match;
  for (const auto& [m, prefix, handler] : prefixes_) {
    if (!path.starts_with(prefix)) continue;
    if (m == method) return Match{&handler, true};
    match.path_known = true;
  }
  return match;
}

}  // namespace oncegate::net
