// Signed notes, vkeys, cosignatures, checkpoints and tile paths: the formats others verify.
// The vectors with fixed keys are checked again, independently, by Go's sumdb/note in the
// interoperability test (tests/interop).

#include <gtest/gtest.h>

#include "gateway/common/bytes.hpp"
#include "gateway/crypto/crypto.hpp"
#include "gateway/tlog/checkpoint.hpp"
#include "gateway/tlog/note.hpp"

namespace oncegate::tlog {
namespace {

TEST(Note, SignsAndVerifiesWithItsKeyOnly) {
  const auto key = crypto::Ed25519Key::generate();
  const std::string text = "example.org/log\n3\n" + common::base64_encode(std::string(32, 'r')) + "\n";
  const Note note{text, {sign_note_text(text, "example.org/log", key)}};
  const auto parsed = parse_note(note.serialise());
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->text, text);
  const VerifierKey verifier{"example.org/log", kEd25519, key.public_key()};
  EXPECT_NE(verified_signature(*parsed, verifier), nullptr);
  // Another key of the same name, the same key under another name, altered text: no.
  const auto other = crypto::Ed25519Key::generate();
  EXPECT_EQ(verified_signature(*parsed, VerifierKey{"example.org/log", kEd25519, other.public_key()}), nullptr);
  EXPECT_EQ(verified_signature(*parsed, VerifierKey{"example.org/other", kEd25519, key.public_key()}), nullptr);
  Note altered = *parsed;
  altered.text[altered.text.find('3')] = '4';
  EXPECT_EQ(verified_signature(altered, verifier), nullptr);
}

TEST(Note, TheSignatureLineIsAnEmDashTheNameAndBase64OfKeyIdAndSignature) {
  const auto key = crypto::Ed25519Key::generate();
  const VerifierKey verifier{"example.org/log", kEd25519, key.public_key()};
  const auto line = sign_note_text("hello\n", "example.org/log", key);
  const std::string text = line.text();
  EXPECT_EQ(text.substr(0, 4), "\xE2\x80\x94 ");
  const auto decoded = common::base64_decode(text.substr(4 + verifier.name.size() + 1, text.size() - 4 - verifier.name.size() - 2));
  ASSERT_TRUE(decoded.has_value());
  ASSERT_EQ(decoded->size(), 68u);
  // key id = SHA-256(name || "\n" || 0x01 || key)[:4], big-endian
  const std::string digest = crypto::sha256(verifier.name + "\n\x01" + key.public_key());
  EXPECT_EQ(decoded->substr(0, 4), digest.substr(0, 4));
}

TEST(Note, VkeysRoundTripAndRefuseAWrongId) {
  const auto key = crypto::Ed25519Key::generate();
  const VerifierKey verifier{"oncegate.example/log/x-1", kEd25519, key.public_key()};
  const std::string vkey = verifier.vkey();
  EXPECT_EQ(vkey.rfind("oncegate.example/log/x-1+", 0), 0u);
  const auto parsed = parse_vkey(vkey);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->public_key, key.public_key());
  EXPECT_EQ(parsed->type, kEd25519);
  std::string wrong = vkey;
  wrong[verifier.name.size() + 1] = wrong[verifier.name.size() + 1] == '0' ? '1' : '0';
  EXPECT_FALSE(parse_vkey(wrong).has_value());
  EXPECT_FALSE(parse_vkey("no plus here").has_value());
  EXPECT_FALSE(parse_vkey("a b+00000000+AAAA").has_value());
}

TEST(Note, CosignaturesAreTimestampedAndBoundToTheText) {
  const auto witness = crypto::Ed25519Key::generate();
  const VerifierKey verifier{"witness.example/w1", kTimestampedEd25519, witness.public_key()};
  const std::string text = "example.org/log\n5\n" + common::base64_encode(std::string(32, 'q')) + "\n";
  const auto line = cosign_note_text(text, "witness.example/w1", witness, 1'700'000'000);
  EXPECT_EQ(line.signature.size(), 72u);
  EXPECT_EQ(cosignature_time(line), 1'700'000'000u);
  EXPECT_TRUE(verify_signature_line(text, line, verifier));
  EXPECT_EQ(cosigned_message(text, 7), "cosignature/v1\ntime 7\n" + text);
  // A cosignature is no plain note signature (another key id), and a changed time breaks it.
  EXPECT_FALSE(verify_signature_line(text, line, VerifierKey{"witness.example/w1", kEd25519, witness.public_key()}));
  auto moved = line;
  moved.signature[7] = static_cast<char>(moved.signature[7] ^ 1);
  EXPECT_FALSE(verify_signature_line(text, moved, verifier));
  const auto lines = parse_signature_lines(line.text());
  ASSERT_TRUE(lines.has_value());
  EXPECT_TRUE(verify_signature_line(text, lines->front(), verifier));
}

TEST(Note, MalformedNotesAreRefused) {
  EXPECT_FALSE(parse_note("text\n").has_value());                          // no signature
  EXPECT_FALSE(parse_note("text\n\n").has_value());                        // no signature line
  EXPECT_FALSE(parse_note("text\n\n\xE2\x80\x94 a AAAA\n").has_value());  // too short
  EXPECT_FALSE(parse_note("te\txt\n\n\xE2\x80\x94 a AAAAAAAA\n").has_value());  // control character
  std::string many = "text\n\n";
  const auto key = crypto::Ed25519Key::generate();
  for (std::size_t i = 0; i <= kMaxNoteSignatures; ++i) many += sign_note_text("text\n", "k" + std::to_string(i), key).text();
  EXPECT_FALSE(parse_note(many).has_value());
}

TEST(Checkpoint, TextIsOriginSizeAndBase64Root) {
  const Checkpoint checkpoint{"oncegate.example/log/ni-1", 20852163, std::string(32, '\x01')};
  EXPECT_EQ(checkpoint.text(), "oncegate.example/log/ni-1\n20852163\nAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n");
  const auto parsed = parse_checkpoint_text(checkpoint.text());
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->size, 20852163u);
  EXPECT_EQ(parsed->root, checkpoint.root);
  EXPECT_TRUE(parse_checkpoint_text(checkpoint.text() + "extension\n").has_value());
  EXPECT_FALSE(parse_checkpoint_text("o\n012\nAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n").has_value());  // leading zero
  EXPECT_FALSE(parse_checkpoint_text("o\n12\nAQEB\n").has_value());                                        // short root
  EXPECT_FALSE(parse_checkpoint_text("o\n12\n").has_value());
  EXPECT_TRUE(valid_origin("oncegate.example/log/ni-1"));
  EXPECT_FALSE(valid_origin("with space"));
  EXPECT_FALSE(valid_origin("with+plus"));
  EXPECT_FALSE(valid_origin(""));
}

TEST(TilePaths, FollowTheThreeDigitGroups) {
  EXPECT_EQ(tile_index_path(0), "000");
  EXPECT_EQ(tile_index_path(67), "067");
  EXPECT_EQ(tile_index_path(1234067), "x001/x234/067");
  EXPECT_EQ((TileRef{false, 0, 1234067, 256}.path()), "tile/0/x001/x234/067");
  EXPECT_EQ((TileRef{true, 0, 5, 17}.path()), "tile/entries/005.p/17");
  const auto full = parse_tile_path("tile/2/x001/x234/067");
  ASSERT_TRUE(full.has_value());
  EXPECT_EQ(full->level, 2u);
  EXPECT_EQ(full->index, 1234067u);
  EXPECT_EQ(full->width, 256u);
  const auto partial = parse_tile_path("tile/entries/005.p/17");
  ASSERT_TRUE(partial.has_value());
  EXPECT_TRUE(partial->entries);
  EXPECT_EQ(partial->width, 17u);
  EXPECT_EQ(*partial->end_leaf(), 5u * 256 + 17);
  EXPECT_EQ((TileRef{false, 1, 0, 3}.end_leaf().value()), 3u * 256);
  // Only the canonical spelling: leading zero groups, missing x, widths 0 and 256, level 64.
  for (const char* bad : {"tile/0/x000/005", "tile/0/5", "tile/0/001/005", "tile/0/005.p/0", "tile/0/005.p/256",
                          "tile/64/000", "tile/00/000", "tile/0/x1/005", "tile/0/", "tile/0/005/", "tile/0/00a",
                          "tile/0/x999/x999/x999/x999/x999/x999/x999/999", "tiles/0/000"}) {
    EXPECT_FALSE(parse_tile_path(bad).has_value()) << bad;
  }
  EXPECT_FALSE((TileRef{false, 8, 1, 256}.end_leaf().has_value()));  // beyond 2^64 leaves
}

}  // namespace
}  // namespace oncegate::tlog
