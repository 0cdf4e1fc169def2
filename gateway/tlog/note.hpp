#pragma once
// Signed notes (C2SP signed-note) with Ed25519 signatures (type 0x01) and timestamped Ed25519
// cosignatures (type 0x04, C2SP tlog-cosignature), and verifier keys in the `vkey` text form.
// The log signs its checkpoints and purge statements as notes; witnesses cosign checkpoints.
//
// Pure functions; thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/crypto/ed25519.hpp"

namespace oncegate::tlog {

inline constexpr std::uint8_t kEd25519 = 0x01;             // note signature over the text
inline constexpr std::uint8_t kTimestampedEd25519 = 0x04;  // cosignature/v1

// Signatures a note may carry before it is refused (the specification demands at least 16).
inline constexpr std::size_t kMaxNoteSignatures = 32;

// A key that verifies note signatures: a name, a type and the raw public key.
struct VerifierKey {
  std::string name;
  std::uint8_t type = kEd25519;
  std::string public_key;  // 32 bytes for both Ed25519 types
  [[nodiscard]] std::uint32_t id() const;
  // "<name>+<key id, 8 hex digits>+<base64(type || public key)>"
  [[nodiscard]] std::string vkey() const;
};
// nullopt for anything but a well-formed vkey whose id matches its name, type and key.
[[nodiscard]] std::optional<VerifierKey> parse_vkey(std::string_view text);
// Names must be non-empty, without spaces or '+' (signed-note).
[[nodiscard]] bool valid_key_name(std::string_view name);

struct SignatureLine {
  std::string name;
  std::uint32_t key_id = 0;
  std::string signature;  // the bytes after the key id (64, or 8 + 64 for a cosignature)
  [[nodiscard]] std::string text() const;  // "— <name> <base64(id || signature)>\n"
};

struct Note {
  std::string text;  // up to and including the final newline before the blank line
  std::vector<SignatureLine> signatures;
  [[nodiscard]] std::string serialise() const;  // text + "\n" + signature lines
};

// Splits a signed note (at the last blank line) and reads its signature lines. nullopt when it is
// not a note: control characters, no signature, more than kMaxNoteSignatures, a malformed line.
[[nodiscard]] std::optional<Note> parse_note(std::string_view bytes);
// Reads note signature lines on their own (a witness's answer).
[[nodiscard]] std::optional<std::vector<SignatureLine>> parse_signature_lines(std::string_view bytes);

// The Ed25519 (0x01) signature line of `key` named `name` over `text`.
[[nodiscard]] SignatureLine sign_note_text(std::string_view text, const std::string& name, const crypto::Ed25519Key& key);
// The timestamped cosignature (0x04) line over a checkpoint's text, as of `timestamp` (seconds).
[[nodiscard]] SignatureLine cosign_note_text(std::string_view text, const std::string& name,
                                            const crypto::Ed25519Key& key, std::uint64_t timestamp);
// "cosignature/v1\ntime <t>\n" + text: what a cosignature signs.
[[nodiscard]] std::string cosigned_message(std::string_view text, std::uint64_t timestamp);

// True when `line` is `key`'s (name and id) and verifies over `text`.
[[nodiscard]] bool verify_signature_line(std::string_view text, const SignatureLine& line, const VerifierKey& key);
// The first of the note's signatures by `key` that verifies; nullptr when none does.
[[nodiscard]] const SignatureLine* verified_signature(const Note& note, const VerifierKey& key);
// The timestamp of a cosignature line (0 when it is too short).
[[nodiscard]] std::uint64_t cosignature_time(const SignatureLine& line);

}  // namespace oncegate::tlog
