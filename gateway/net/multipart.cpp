#include "gateway/net/multipart.hpp"

#include <cctype>

#include "gateway/net/http.hpp"

namespace oncegate::net {

namespace {

bool same_text(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// The value of parameter `name` of a header value ("multipart/related; boundary=\"x\"").
std::string parameter(std::string_view header, std::string_view name) {
  std::size_t at = header.find(';');
  while (at != std::string_view::npos) {
    std::string_view rest = header.substr(at + 1);
    const auto next = rest.find(';');
    std::string_view item = trim(rest.substr(0, next));
    const auto equals = item.find('=');
    if (equals != std::string_view::npos && same_text(trim(item.substr(0, equals)), name)) {
      std::string_view value = trim(item.substr(equals + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
      return std::string(value);
    }
    at = next == std::string_view::npos ? std::string_view::npos : at + 1 + next;
  }
  return {};
}

}  // namespace

Multipart write_multipart_related(const std::vector<MimePart>& parts, std::string_view boundary) {
  Multipart out;
  std::size_t size = 64;
  for (const auto& part : parts) size += part.body.size() + part.content_type.size() + part.content_id.size() + 128;
  out.body.reserve(size);
  for (const auto& part : parts) {
    out.body += "--";
    out.body += boundary;
    out.body += "\r\nContent-Type: " + part.content_type + "\r\nContent-ID: <" + part.content_id +
                ">\r\nContent-Transfer-Encoding: binary\r\n\r\n";
    out.body += part.body;
    out.body += "\r\n";
  }
  out.body += "--";
  out.body += boundary;
  out.body += "--\r\n";
  const std::string first_type = parts.empty() ? std::string() : parts.front().content_type.substr(0, parts.front().content_type.find(';'));
  out.content_type = "multipart/related; type=\"" + first_type + "\"; start=\"<" +
                     (parts.empty() ? std::string() : parts.front().content_id) + ">\"; boundary=\"" +
                     std::string(boundary) + "\"";
  return out;
}

std::optional<std::vector<MimePart>> read_multipart(std::string_view body, std::string_view content_type) {
  if (!media_type_is(content_type, "multipart/related") && !media_type_is(content_type, "multipart/mixed")) {
    return std::nullopt;
  }
  const std::string boundary = parameter(content_type, "boundary");
  if (boundary.empty() || boundary.size() > 70) return std::nullopt;
  const std::string delimiter = "--" + boundary;
  std::vector<MimePart> parts;
  std::size_t at = body.find(delimiter);
  if (at == std::string_view::npos) return std::nullopt;
  while (true) {
    at += delimiter.size();
    if (body.substr(at, 2) == "--") return parts;  // the closing delimiter
    if (body.substr(at, 2) != "\r\n") return std::nullopt;
    const auto headers_end = body.find("\r\n\r\n", at);
    if (headers_end == std::string_view::npos) return std::nullopt;
    MimePart part;
    for (std::size_t line = at + 2; line < headers_end + 2;) {
      const auto end = body.find("\r\n", line);
      const std::string_view header = body.substr(line, end - line);
      const auto colon = header.find(':');
      if (colon != std::string_view::npos) {
        const std::string_view name = trim(header.substr(0, colon));
        std::string_view value = trim(header.substr(colon + 1));
        if (same_text(name, "Content-Type")) part.content_type = std::string(value);
        if (same_text(name, "Content-ID")) {
          if (value.size() >= 2 && value.front() == '<' && value.back() == '>') value = value.substr(1, value.size() - 2);
          part.content_id = std::string(value);
        }
      }
      line = end + 2;
    }
    const auto next = body.find("\r\n" + delimiter, headers_end + 4);
    if (next == std::string_view::npos) return std::nullopt;
    part.body = std::string(body.substr(headers_end + 4, next - headers_end - 4));
    parts.push_back(std::move(part));
    at = next + 2;
  }
}

}  // namespace oncegate::net
