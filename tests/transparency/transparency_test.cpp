// The published log through the running gateway: C2SP checkpoints cosigned by the demo witness,
// tiles and entry bundles that hash to the checkpoint's root and hold nothing personal, their
// cache headers, and the witness protocol with its refusals, over real TLS on loopback.

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>

#include "gateway/common/bytes.hpp"
#include "gateway/crypto/ed25519.hpp"
#include "gateway/log/transfer_log.hpp"
#include "gateway/tlog/checkpoint.hpp"
#include "gateway/tlog/merkle.hpp"
#include "gateway/tlog/note.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/test_gateway.hpp"

namespace oncegate {
namespace {

using testing::TestGateway;
using testing::TestGatewayOptions;

std::string header(const client::HttpReply& reply, const std::string& name) {
  for (const auto& [key, value] : reply.headers) {
    if (key.size() == name.size() &&
        std::equal(key.begin(), key.end(), name.begin(), [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
      return value;
    }
  }
  return {};
}

class TransparencyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TestGatewayOptions options;
    options.transparency = true;
    options.population = 200;
    options.extra_toml = "[listeners.admin]\naddress = \"127.0.0.1\"\nport = 0\ncertificate = \"demo/server.pem\"\n"
                         "private_key = \"demo/server.key\"\n";
    gateway_ = std::make_unique<TestGateway>(options);
    witness_key_ = *tlog::parse_vkey(testing::read_text(gateway_->data_dir() / "demo-witness" / "witness.vkey"));
  }

  client::HttpReply get(const std::string& path) const {
    client::HttpsClient connection("127.0.0.1", gateway_->listener_port("log"), gateway_->tls(""));
    return connection.request("GET", "/log/v1/" + path);
  }

  client::HttpReply add_checkpoint(const std::string& body) const {
    client::HttpsClient connection("127.0.0.1", gateway_->listener_port("witness"), gateway_->tls(""));
    return connection.request("POST", "/add-checkpoint", body, "text/plain");
  }

  // Sends n requests that the gateway answers with evidence (each is a record).
  void exchange(int n) const {
    for (int i = 0; i < n; ++i) {
      const auto reply = gateway_->post(gateway_->request(gateway_->people().at(static_cast<std::size_t>(i)).idnr, "geburtsurkunde"));
      ASSERT_EQ(reply.status, 200u) << reply.body;
    }
  }

  // The served checkpoint once it covers `size` records.
  tlog::Note checkpoint_covering(std::uint64_t size) const {
    std::optional<tlog::Note> note;
    EXPECT_TRUE(testing::eventually([&] {
      const auto reply = get("checkpoint");
      if (reply.status != 200) return false;
      note = tlog::parse_note(reply.body);
      return note && tlog::parse_checkpoint_text(note->text)->size >= size;
    }, std::chrono::seconds(10)));
    return note.value_or(tlog::Note{});
  }

  std::unique_ptr<TestGateway> gateway_;
  tlog::VerifierKey witness_key_;
};

TEST_F(TransparencyTest, TheServedCheckpointIsSignedByTheLogAndCosignedByTheWitness) {
  exchange(5);
  const auto note = checkpoint_covering(5);
  const auto vkey = get("vkey");
  ASSERT_EQ(vkey.status, 200u);
  const auto log_key = tlog::parse_vkey(vkey.body);
  ASSERT_TRUE(log_key.has_value());
  EXPECT_EQ(log_key->name, "oncegate.test/log/test-1");
  // The published vkey is the log key in the data directory.
  EXPECT_EQ(log_key->public_key,
            crypto::Ed25519Key::from_pem(testing::read_text(gateway_->data_dir() / "log-key.pem")).public_key());
  EXPECT_NE(tlog::verified_signature(note, *log_key), nullptr);
  const auto* cosignature = tlog::verified_signature(note, witness_key_);
  ASSERT_NE(cosignature, nullptr);
  const auto now = static_cast<std::uint64_t>(std::time(nullptr));
  EXPECT_LE(tlog::cosignature_time(*cosignature), now + 1);
  EXPECT_GE(tlog::cosignature_time(*cosignature) + 60, now);
  EXPECT_EQ(note.text.rfind("oncegate.test/log/test-1\n", 0), 0u);
  const auto checkpoint = get("checkpoint");
  EXPECT_EQ(checkpoint.content_type, "text/plain; charset=utf-8");
  EXPECT_EQ(header(checkpoint, "cache-control"), "public, max-age=1");
  const auto witnesses = get("witnesses");
  EXPECT_EQ(witnesses.body, "quorum 1\n" + witness_key_.vkey() + "\n");
  // Operators see the same: the checkpoint in the admin API, the witness's progress in /metrics.
  const auto head = gateway_->admin_call("GET", "/admin/v1/log/head", gateway_->observer_key());
  ASSERT_EQ(head.status, 200u) << head.body;
  EXPECT_NE(head.body.find("\"checkpoint\":\"oncegate.test/log/test-1\\n"), std::string::npos) << head.body;
  const auto metrics = gateway_->admin_call("GET", "/admin/v1/metrics", gateway_->observer_key());
  ASSERT_EQ(metrics.status, 200u);
  EXPECT_NE(metrics.body.find("oncegate_witness_cosigned_size{witness=\"oncegate.localhost/witness/demo-1\"} "),
            std::string::npos) << metrics.body;
  EXPECT_NE(metrics.body.find("oncegate_checkpoint_size{cosigned=\"true\"} "), std::string::npos);
  EXPECT_NE(metrics.body.find("oncegate_witness_failures_total{witness=\"oncegate.localhost/witness/demo-1\"} 0"),
            std::string::npos);
}

TEST_F(TransparencyTest, TilesAndEntryBundlesHashToTheRootAndHoldNoPersonalData) {
  exchange(7);
  const auto note = checkpoint_covering(7);
  const auto checkpoint = *tlog::parse_checkpoint_text(note.text);
  ASSERT_LT(checkpoint.size, 256u);
  const std::string width = std::to_string(checkpoint.size);
  const auto tile = get("tile/0/000.p/" + width);
  ASSERT_EQ(tile.status, 200u) << tile.body;
  EXPECT_EQ(tile.content_type, "application/octet-stream");
  ASSERT_EQ(tile.body.size(), 32 * checkpoint.size);
  std::vector<tlog::Hash> leaves;
  for (std::size_t i = 0; i < checkpoint.size; ++i) leaves.push_back(tile.body.substr(32 * i, 32));
  // The root from the tile's leaf hashes alone.
  tlog::Frontier frontier;
  for (const auto& leaf : leaves) (void)frontier.append(leaf);
  EXPECT_EQ(frontier.root(), checkpoint.root);

  const auto bundle = get("tile/entries/000.p/" + width);
  ASSERT_EQ(bundle.status, 200u) << bundle.body;
  std::size_t at = 0;
  for (std::size_t i = 0; i < checkpoint.size; ++i) {
    ASSERT_LE(at + 2, bundle.body.size());
    const std::size_t length = (static_cast<unsigned char>(bundle.body[at]) << 8) | static_cast<unsigned char>(bundle.body[at + 1]);
    ASSERT_EQ(length, 33u);  // 0x01 and a 32-byte commitment: nothing else
    const std::string entry = bundle.body.substr(at + 2, length);
    EXPECT_EQ(entry[0], '\x01');
    EXPECT_EQ(tlog::leaf_hash(entry), leaves[i]) << "entry " << i;
    at += 2 + length;
  }
  EXPECT_EQ(at, bundle.body.size());
  // No person's IDNr or pseudonym, no authority, nothing of a record.
  for (const auto& person : gateway_->people()) EXPECT_EQ(bundle.body.find(person.idnr), std::string::npos);
  EXPECT_EQ(bundle.body.find("psw:"), std::string::npos);

  // Immutable: cached for a year, with an ETag that answers 304.
  EXPECT_EQ(header(tile, "cache-control"), "public, max-age=31536000, immutable");
  const std::string etag = header(tile, "etag");
  ASSERT_FALSE(etag.empty());
  client::HttpsClient connection("127.0.0.1", gateway_->listener_port("log"), gateway_->tls(""));
  const auto again = connection.request("GET", "/log/v1/tile/0/000.p/" + width, "", "application/octet-stream",
                                        {{"If-None-Match", etag}});
  EXPECT_EQ(again.status, 304u);
  EXPECT_TRUE(again.body.empty());
  // The same partial tile stays the same after the log grew.
  exchange(3);
  (void)checkpoint_covering(checkpoint.size + 3);
  EXPECT_EQ(get("tile/0/000.p/" + width).body, tile.body);
  // Beyond the checkpoint, and any spelling but the canonical one: not found.
  EXPECT_EQ(get("tile/0/000").status, 404u);
  EXPECT_EQ(get("tile/0/x000/000.p/1").status, 404u);
  EXPECT_EQ(get("tile/0/000.p/0").status, 404u);
  EXPECT_EQ(get("tile/../../etc").status, 404u);
}

TEST_F(TransparencyTest, TheWitnessRefusesWhatItMustRefuse) {
  exchange(4);
  const auto note = checkpoint_covering(4);
  const auto checkpoint = *tlog::parse_checkpoint_text(note.text);
  const auto log_key = crypto::Ed25519Key::from_pem(testing::read_text(gateway_->data_dir() / "log-key.pem"));
  const std::string origin = checkpoint.origin;
  const auto signed_by_log = [&](const tlog::Checkpoint& c) {
    return tlog::Note{c.text(), {tlog::sign_note_text(c.text(), origin, log_key)}}.serialise();
  };
  // Wait until the witness has cosigned at least this size (the gateway submits it).
  std::uint64_t known = 0;
  ASSERT_TRUE(testing::eventually([&] {
    const auto reply = add_checkpoint("old 0\n\n" + signed_by_log(checkpoint));
    if (reply.status != 409 || reply.content_type != "text/x.tlog.size") return false;
    known = std::stoull(reply.body);
    return known >= checkpoint.size;
  }));
  // A stale old size: 409 with the size it knows.
  auto reply = add_checkpoint("old 1\n\n" + signed_by_log(checkpoint));
  EXPECT_EQ(reply.status, 409u);
  EXPECT_EQ(reply.content_type, "text/x.tlog.size");
  EXPECT_EQ(reply.body, std::to_string(known) + "\n");
  // A fork: the log key signs a tree that does not extend the one the witness saw.
  tlog::Checkpoint fork{origin, known + 5, std::string(32, '\x42')};
  reply = add_checkpoint("old " + std::to_string(known) + "\n" + common::base64_encode(std::string(32, '\x07')) + "\n\n" +
                         signed_by_log(fork));
  EXPECT_EQ(reply.status, 422u) << reply.body;
  // The same size with another root.
  tlog::Checkpoint same{origin, known, std::string(32, '\x43')};
  reply = add_checkpoint("old " + std::to_string(known) + "\n\n" + signed_by_log(same));
  EXPECT_EQ(reply.status, 409u) << reply.body;
  EXPECT_NE(reply.content_type, "text/x.tlog.size");
  // Another key, an unknown origin, garbage, an old size beyond the checkpoint.
  const auto stranger = crypto::Ed25519Key::generate();
  reply = add_checkpoint("old " + std::to_string(known) + "\n\n" +
                         tlog::Note{checkpoint.text(), {tlog::sign_note_text(checkpoint.text(), origin, stranger)}}.serialise());
  EXPECT_EQ(reply.status, 403u);
  tlog::Checkpoint unknown{"elsewhere.example/log", 1, std::string(32, '\x01')};
  reply = add_checkpoint("old 0\n\n" + tlog::Note{unknown.text(), {tlog::sign_note_text(unknown.text(), unknown.origin, log_key)}}.serialise());
  EXPECT_EQ(reply.status, 404u);
  EXPECT_EQ(add_checkpoint("hello").status, 400u);
  EXPECT_EQ(add_checkpoint("old 99999\n\n" + signed_by_log(checkpoint)).status, 400u);
  // After all that the witness still knows the log's true size, and keeps cosigning it.
  exchange(2);
  (void)checkpoint_covering(known + 2);
  const auto served = tlog::parse_note(get("checkpoint").body);
  ASSERT_TRUE(served.has_value());
  EXPECT_NE(tlog::verified_signature(*served, witness_key_), nullptr);
}

}  // namespace
}  // namespace oncegate
