// libFuzzer: the transparency-log formats an outsider hands the gateway, its witness or the
// verifier: signed notes, signature lines, vkeys, checkpoint bodies, tile paths. Whatever they
// parse must serialise back to what was read (notes) or to the one canonical path (tiles).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "gateway/tlog/checkpoint.hpp"
#include "gateway/tlog/note.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace oncegate::tlog;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (const auto note = parse_note(text)) {
    if (note->signatures.empty() || note->signatures.size() > kMaxNoteSignatures) std::abort();
    (void)parse_checkpoint_text(note->text);
  }
  (void)parse_signature_lines(text);
  if (const auto key = parse_vkey(text)) {
    if (!parse_vkey(key->vkey())) std::abort();  // what it read, it can write and read again
  }
  if (const auto checkpoint = parse_checkpoint_text(text)) {
    if (!parse_checkpoint_text(checkpoint->text())) std::abort();
  }
  if (const auto tile = parse_tile_path(text)) {
    if (tile->path() != text || tile->width < 1 || tile->width > kTileWidth || tile->level > 63) std::abort();
  }
  return 0;
}
