#include "gateway/tlog/note.hpp"

#include "gateway/common/bytes.hpp"
#include "gateway/crypto/crypto.hpp"

namespace oncegate::tlog {

namespace {

constexpr std::string_view kDash = "\xE2\x80\x94 ";  // U+2014 and a space

std::string be32(std::uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

std::uint64_t read_be(std::string_view bytes) {
  std::uint64_t v = 0;
  for (const char c : bytes) v = (v << 8) | static_cast<unsigned char>(c);
  return v;
}

bool hex8(std::string_view text, std::uint32_t& out) {
  if (text.size() != 8) return false;
  out = 0;
  for (const char c : text) {
    int digit;
    if (c >= '0' && c <= '9') digit = c - '0';
    else if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
    else return false;  // lower case only, as written
    out = (out << 4) | static_cast<std::uint32_t>(digit);
  }
  return true;
}

std::optional<SignatureLine> parse_line(std::string_view line) {
  if (!line.starts_with(kDash)) return std::nullopt;
  line.remove_prefix(kDash.size());
  const auto space = line.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  SignatureLine out;
  out.name = std::string(line.substr(0, space));
  if (!valid_key_name(out.name)) return std::nullopt;
  const auto decoded = common::base64_decode(line.substr(space + 1));
  if (!decoded || decoded->size() < 5) return std::nullopt;
  out.key_id = static_cast<std::uint32_t>(read_be(std::string_view(*decoded).substr(0, 4)));
  out.signature = decoded->substr(4);
  return out;
}

}  // namespace

bool valid_key_name(std::string_view name) {
  if (name.empty()) return false;
  for (const char c : name) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == '+' || c == 0x7F) return false;
  }
  // Unicode spaces beyond ASCII are refused as bytes of non-ASCII text would have to be decoded;
  // the names oncegate writes are ASCII.
  for (const char c : name) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

std::uint32_t VerifierKey::id() const {
  const std::string digest = crypto::sha256({name, "\n", std::string(1, static_cast<char>(type)), public_key});
  return static_cast<std::uint32_t>(read_be(std::string_view(digest).substr(0, 4)));
}

std::string VerifierKey::vkey() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id_hex;
  const std::uint32_t value = id();
  for (int shift = 28; shift >= 0; shift -= 4) id_hex += kHex[(value >> shift) & 0xF];
  return name + "+" + id_hex + "+" + common::base64_encode(std::string(1, static_cast<char>(type)) + public_key);
}

std::optional<VerifierKey> parse_vkey(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  const auto first = text.find('+');
  if (first == std::string_view::npos) return std::nullopt;
  const auto second = text.find('+', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  VerifierKey key;
  key.name = std::string(text.substr(0, first));
  std::uint32_t id = 0;
  if (!valid_key_name(key.name) || !hex8(text.substr(first + 1, second - first - 1), id)) return std::nullopt;
  const auto material = common::base64_decode(text.substr(second + 1));
  if (!material || material->size() != 33) return std::nullopt;
  key.type = static_cast<std::uint8_t>((*material)[0]);
  if (key.type != kEd25519 && key.type != kTimestampedEd25519) return std::nullopt;
  key.public_key = material->substr(1);
  if (key.id() != id) return std::nullopt;
  return key;
}

std::string SignatureLine::text() const {
  return std::string(kDash) + name + " " + common::base64_encode(be32(key_id) + signature) + "\n";
}

std::string Note::serialise() const {
  std::string out = text + "\n";
  for (const auto& line : signatures) out += line.text();
  return out;
}

std::optional<std::vector<SignatureLine>> parse_signature_lines(std::string_view bytes) {
  std::vector<SignatureLine> out;
  while (!bytes.empty()) {
    const auto end = bytes.find('\n');
    if (end == std::string_view::npos) return std::nullopt;  // every line ends in a newline
    auto line = parse_line(bytes.substr(0, end));
    if (!line || out.size() == kMaxNoteSignatures) return std::nullopt;
    out.push_back(std::move(*line));
    bytes.remove_prefix(end + 1);
  }
  if (out.empty()) return std::nullopt;
  return out;
}

std::optional<Note> parse_note(std::string_view bytes) {
  for (const char c : bytes) {
    if (static_cast<unsigned char>(c) < 0x20 && c != '\n') return std::nullopt;
  }
  if (!bytes.ends_with('\n')) return std::nullopt;
  const auto split = bytes.rfind("\n\n");
  if (split == std::string_view::npos) return std::nullopt;
  Note note;
  note.text = std::string(bytes.substr(0, split + 1));
  auto lines = parse_signature_lines(bytes.substr(split + 2));
  if (!lines) return std::nullopt;
  note.signatures = std::move(*lines);
  return note;
}

SignatureLine sign_note_text(std::string_view text, const std::string& name, const crypto::Ed25519Key& key) {
  const VerifierKey verifier{name, kEd25519, key.public_key()};
  return SignatureLine{name, verifier.id(), key.sign(text)};
}

std::string cosigned_message(std::string_view text, std::uint64_t timestamp) {
  return "cosignature/v1\ntime " + std::to_string(timestamp) + "\n" + std::string(text);
}

SignatureLine cosign_note_text(std::string_view text, const std::string& name, const crypto::Ed25519Key& key,
                               std::uint64_t timestamp) {
  const VerifierKey verifier{name, kTimestampedEd25519, key.public_key()};
  std::string stamp(8, '\0');
  for (int i = 0; i < 8; ++i) stamp[static_cast<std::size_t>(i)] = static_cast<char>(timestamp >> (56 - 8 * i));
  return SignatureLine{name, verifier.id(), stamp + key.sign(cosigned_message(text, timestamp))};
}

std::uint64_t cosignature_time(const SignatureLine& line) {
  return line.signature.size() < 8 ? 0 : read_be(std::string_view(line.signature).substr(0, 8));
}

bool verify_signature_line(std::string_view text, const SignatureLine& line, const VerifierKey& key) {
  if (line.name != key.name || line.key_id != key.id()) return false;
  if (key.type == kEd25519) return crypto::ed25519_verify(key.public_key, text, line.signature);
  if (key.type != kTimestampedEd25519 || line.signature.size() != 72) return false;
  const std::uint64_t timestamp = cosignature_time(line);
  if (timestamp > static_cast<std::uint64_t>(INT64_MAX)) return false;
  return crypto::ed25519_verify(key.public_key, cosigned_message(text, timestamp),
                                std::string_view(line.signature).substr(8));
}

const SignatureLine* verified_signature(const Note& note, const VerifierKey& key) {
  for (const auto& line : note.signatures) {
    if (verify_signature_line(note.text, line, key)) return &line;
  }
  return nullptr;
}

}  // namespace oncegate::tlog
