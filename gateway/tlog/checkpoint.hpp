#pragma once
// Checkpoints (C2SP tlog-checkpoint) and tile paths (C2SP tlog-tiles): the formats in which the
// transfer log is published and witnessed.
//
// Pure functions; thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/tlog/merkle.hpp"

namespace oncegate::tlog {

struct Checkpoint {
  std::string origin;
  std::uint64_t size = 0;
  Hash root;  // 32 bytes
  // "<origin>\n<size>\n<base64 root>\n", the note text (no extension lines).
  [[nodiscard]] std::string text() const;
};
// The first three lines of a checkpoint's note text; extension lines are allowed and ignored.
[[nodiscard]] std::optional<Checkpoint> parse_checkpoint_text(std::string_view text);

// Origins name a log: non-empty, no spaces, no '+' (signed-note key names; the log signs with
// its origin as key name).
[[nodiscard]] bool valid_origin(std::string_view origin);

inline constexpr unsigned kTileHeight = 8;     // 256 hashes a tile
inline constexpr unsigned kTileWidth = 256;

// One tile or entry bundle: tile/<L>/<N>[.p/<W>] or tile/entries/<N>[.p/<W>].
struct TileRef {
  bool entries = false;
  unsigned level = 0;       // 0..63 (0 for entry bundles)
  std::uint64_t index = 0;  // N
  unsigned width = kTileWidth;  // 1..256; 256 is a full tile
  [[nodiscard]] std::string path() const;  // without the "tile/" prefix's prefix: "tile/0/x001/234.p/7"
  // The first leaf after the tile (its end index), or nullopt when it does not fit 64 bits.
  [[nodiscard]] std::optional<std::uint64_t> end_leaf() const;
};
// Parses the part after "<prefix>/": "tile/..." in the exact canonical form only (no leading
// zeroes, every element present), else nullopt.
[[nodiscard]] std::optional<TileRef> parse_tile_path(std::string_view path);
// "x001/x234/067"
[[nodiscard]] std::string tile_index_path(std::uint64_t index);

}  // namespace oncegate::tlog
