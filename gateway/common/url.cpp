#include "gateway/common/url.hpp"

#include <charconv>

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

std::string percent_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string HttpsUrl::origin() const {
  return "https://" + host + (port == 443 ? std::string() : ":" + std::to_string(port));
}

std::optional<HttpsUrl> parse_https_url(std::string_view url) {
  if (!url.starts_with("https://")) return std::nullopt;
  std::string_view rest = url.substr(8);
  if (rest.find('#') != std::string_view::npos) return std::nullopt;
  const auto end_of_authority = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, end_of_authority);
  HttpsUrl out;
  if (end_of_authority != std::string_view::npos) {
    out.target = std::string(rest.substr(end_of_authority));
    if (out.target.front() == '?') out.target.insert(out.target.begin(), '/');
  }
  if (authority.find('@') != std::string_view::npos || authority.find('[') != std::string_view::npos) return std::nullopt;
  const auto colon = authority.rfind(':');
  if (colon != std::string_view::npos) {
    const auto digits = authority.substr(colon + 1);
    unsigned port = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || port == 0 || port > 65535) return std::nullopt;
    out.port = static_cast<std::uint16_t>(port);
    authority = authority.substr(0, colon);
  }
  for (char c : authority) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
    if (!allowed) return std::nullopt;
  }
  out.host = std::string(authority);
  if (out.host.empty()) return std::nullopt;
  for (unsigned char c : out.target) {
    if (c <= ' ' || c >= 0x7f) return std::nullopt;  // a target goes into a request line as it is
  }
  return out;
}

}  // namespace oncegate::common
