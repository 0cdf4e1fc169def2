#include "gateway/tlog/checkpoint.hpp"

#include <charconv>

#include "gateway/common/bytes.hpp"
#include "gateway/tlog/note.hpp"

namespace oncegate::tlog {

namespace {

// A decimal without leading zeroes (or "0").
bool parse_decimal(std::string_view text, std::uint64_t& out) {
  if (text.empty() || (text.size() > 1 && text[0] == '0')) return false;
  for (const char c : text) {
    if (c < '0' || c > '9') return false;
  }
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

std::string_view next_line(std::string_view& text, bool& ok) {
  const auto end = text.find('\n');
  if (end == std::string_view::npos) {
    ok = false;
    return {};
  }
  const auto line = text.substr(0, end);
  text.remove_prefix(end + 1);
  return line;
}

}  // namespace

std::string Checkpoint::text() const {
  return origin + "\n" + std::to_string(size) + "\n" + common::base64_encode(root) + "\n";
}

std::optional<Checkpoint> parse_checkpoint_text(std::string_view text) {
  bool ok = true;
  Checkpoint out;
  out.origin = std::string(next_line(text, ok));
  const auto size = next_line(text, ok);
  const auto root = next_line(text, ok);
  if (!ok || out.origin.empty() || !parse_decimal(size, out.size)) return std::nullopt;
  const auto decoded = common::base64_decode(root);
  if (!decoded || decoded->size() != 32) return std::nullopt;
  out.root = *decoded;
  while (!text.empty()) {
    if (next_line(text, ok).empty() || !ok) return std::nullopt;  // extension lines are non-empty
  }
  return out;
}

bool valid_origin(std::string_view origin) { return valid_key_name(origin); }

std::string tile_index_path(std::uint64_t index) {
  std::string digits = std::to_string(index);
  while (digits.size() % 3 != 0) digits.insert(digits.begin(), '0');
  std::string out;
  for (std::size_t i = 0; i < digits.size(); i += 3) {
    if (i + 3 < digits.size()) out += 'x';
    out.append(digits, i, 3);
    if (i + 3 < digits.size()) out += '/';
  }
  return out;
}

std::string TileRef::path() const {
  std::string out = "tile/" + (entries ? std::string("entries") : std::to_string(level)) + "/" + tile_index_path(index);
  if (width < kTileWidth) out += ".p/" + std::to_string(width);
  return out;
}

std::optional<std::uint64_t> TileRef::end_leaf() const {
  // (index * 256 + width) * 256^level, refused when it does not fit 64 bits
  if (index > (UINT64_MAX - width) / kTileWidth) return std::nullopt;
  std::uint64_t leaves = index * kTileWidth + width;
  for (unsigned i = 0; i < level; ++i) {
    if (leaves > UINT64_MAX / kTileWidth) return std::nullopt;
    leaves *= kTileWidth;
  }
  return leaves;
}

std::optional<TileRef> parse_tile_path(std::string_view path) {
  const std::string_view original = path;
  if (path.size() > 64 || !path.starts_with("tile/")) return std::nullopt;
  path.remove_prefix(5);
  TileRef out;
  const auto slash = path.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const auto first = path.substr(0, slash);
  path.remove_prefix(slash + 1);
  if (first == "entries") {
    out.entries = true;
  } else {
    std::uint64_t level = 0;
    if (!parse_decimal(first, level) || level > 63) return std::nullopt;
    out.level = static_cast<unsigned>(level);
  }
  if (const auto partial = path.find(".p/"); partial != std::string_view::npos) {
    std::uint64_t width = 0;
    if (!parse_decimal(path.substr(partial + 3), width) || width < 1 || width > 255) return std::nullopt;
    out.width = static_cast<unsigned>(width);
    path = path.substr(0, partial);
  }
  // x001/x234/067: the digits without the 'x's and slashes; the exact form is checked below.
  std::string digits;
  for (const char c : path) {
    if (c >= '0' && c <= '9') digits += c;
    else if (c != 'x' && c != '/') return std::nullopt;
  }
  if (digits.empty() || digits.size() > 21) return std::nullopt;
  const auto first_digit = digits.find_first_not_of('0');
  const std::string_view number =
      first_digit == std::string::npos ? std::string_view("0") : std::string_view(digits).substr(first_digit);
  if (number.size() > 20 || !parse_decimal(number, out.index)) return std::nullopt;
  // Only the one canonical spelling of a tile is served (its URL is its identity, cached forever).
  if (out.path() != original || !out.end_leaf()) return std::nullopt;
  return out;
}

}  // namespace oncegate::tlog
