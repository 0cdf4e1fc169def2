#include "gateway/net/bounded_parser.hpp"

#include <cctype>
#include <string>

namespace oncegate::net {

namespace {

class FramingCategory final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "oncegate.http-framing"; }
  std::string message(int value) const override {
    switch (static_cast<FramingError>(value)) {
      case FramingError::trailer_refused: return "trailer fields are not accepted";
      case FramingError::field_too_large: return "a header field is larger than allowed";
      case FramingError::transfer_coding_invalid:
        return "Transfer-Encoding must end in exactly one chunked (HTTP/1.1 only)";
      case FramingError::transfer_coding_unsupported: return "only the chunked transfer coding is supported";
      case FramingError::host_missing: return "an HTTP/1.1 request needs a Host field";
      case FramingError::host_repeated: return "more than one Host field";
      case FramingError::expectation_unsupported: return "only Expect: 100-continue is supported";
      case FramingError::out_of_memory: return "out of memory while reading the message";
    }
    return "HTTP framing refused";
  }
};

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

const boost::system::error_category& framing_category() noexcept {
  static const FramingCategory category;
  return category;
}

boost::system::error_code make_error_code(FramingError error) noexcept {
  return {static_cast<int>(error), framing_category()};
}

namespace detail {

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

int judge_transfer_codings(std::string_view joined) noexcept {
  // RFC 9112 6.1: the codings form one list across all fields; chunked must be last and once.
  // Anything a second reader could take differently is refused: an item whose coding name is
  // empty (";x"), and parameters on chunked (it has none).
  std::size_t codings = 0;
  std::size_t chunked = 0;
  bool chunked_last = false;
  while (true) {
    const auto comma = joined.find(',');
    const std::string_view item = trim(joined.substr(0, comma));
    if (!item.empty()) {
      const auto semicolon = item.find(';');
      const std::string_view name = trim(item.substr(0, semicolon));
      if (name.empty()) return static_cast<int>(FramingError::transfer_coding_invalid);
      ++codings;
      chunked_last = iequals(name, "chunked");
      if (chunked_last) {
        if (semicolon != std::string_view::npos) return static_cast<int>(FramingError::transfer_coding_invalid);
        ++chunked;
      }
    }
    if (comma == std::string_view::npos) break;
    joined.remove_prefix(comma + 1);
  }
  if (chunked != 1 || !chunked_last) return static_cast<int>(FramingError::transfer_coding_invalid);
  if (codings > 1) return static_cast<int>(FramingError::transfer_coding_unsupported);
  return 0;
}

}  // namespace detail

}  // namespace oncegate::net
