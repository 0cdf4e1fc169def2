#include "gateway/common/url.hpp"

namespace oncegate::common {

namespace {
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::string percent_decode(std::string_view text, bool plus_as_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+' && plus_as_space) {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 && hex_value(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::map<std::string, std::string> query_parameters(std::string_view query, bool plus_as_space) {
  std::map<std::string, std::string> out;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    const auto eq = pair.find('=');
    if (!pair.empty()) {
      if (eq == std::string_view::npos) {
        out.emplace(percent_decode(pair, plus_as_space), "");
      } else {
        out.emplace(percent_decode(pair.substr(0, eq), plus_as_space), percent_decode(pair.substr(eq + 1), plus_as_space));
      }
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

std::string query_parameter(std::string_view query, std::string_view name, bool plus_as_space) {
  const auto parameters = query_parameters(query, plus_as_space);
  const auto it = parameters.find(std::string(name));
  return it == parameters.end() ? std::string() : it->second;
}

}  // namespace oncegate::common
