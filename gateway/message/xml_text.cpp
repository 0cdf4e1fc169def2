#include "gateway/message/xml_text.hpp"

#include <cstddef>

namespace oncegate::message::detail {

void append_xml_text(std::string& out, std::string_view text, XmlTextKind kind) {
  static constexpr std::string_view replacement = "\xEF\xBF\xBD";
  const bool attribute = kind == XmlTextKind::attribute;
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  while (p < end) {
    const unsigned char c = *p;
    if (c < 0x80) {
      switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '\r': out += "&#xD;"; break;  // a raw CR would reach the reader as a line feed
        case '"': out += attribute ? "&quot;" : "\""; break;
        case '\n': out += attribute ? "&#xA;" : "\n"; break;
        case '\t': out += attribute ? "&#x9;" : "\t"; break;
        default:
          if (c < 0x20) {
            out += replacement;
          } else {
            out += static_cast<char>(c);
          }
      }
      ++p;
      continue;
    }
    const std::size_t length = (c >= 0xC2 && c <= 0xDF)   ? 2
                               : (c >= 0xE0 && c <= 0xEF) ? 3
                               : (c >= 0xF0 && c <= 0xF4) ? 4
                                                          : 0;
    bool valid = length != 0 && static_cast<std::size_t>(end - p) >= length;
    for (std::size_t i = 1; valid && i < length; ++i) valid = (p[i] & 0xC0) == 0x80;
    if (valid && length == 3) {
      const unsigned cp = ((c & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);
      valid = cp >= 0x800 && !(cp >= 0xD800 && cp <= 0xDFFF) && cp != 0xFFFE && cp != 0xFFFF;
    } else if (valid && length == 4) {
      const unsigned cp =
          ((c & 0x07u) << 18) | ((p[1] & 0x3Fu) << 12) | ((p[2] & 0x3Fu) << 6) | (p[3] & 0x3Fu);
      valid = cp >= 0x10000 && cp <= 0x10FFFF;
    }
    if (valid) {
      out.append(reinterpret_cast<const char*>(p), length);
      p += length;
    } else {
      out += replacement;
      ++p;
    }
  }
}

}  // namespace oncegate::message::detail
