// The RocksDB transfer log with a real database in a temporary directory: durable appends in
// order, queries, proofs, signed tree heads, and the verifier against tampering.

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <future>
#include <csignal>
#include <sys/wait.h>
#include <unistd.h>
#include <set>
#include <thread>

#include "gateway/common/bytes.hpp"
#include "gateway/log/transfer_log.hpp"
#include "gateway/crypto/data_signer.hpp"
#include "gateway/demo/pki.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/eventually.hpp"

namespace oncegate::log {
namespace {

using common::from_hex;
using common::to_hex;

using testing::TempDir;
using testing::eventually;

class TransferLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    crypto::CertificateRequest request;
    request.common_name = "log signer";
    request.role = crypto::CertificateRole::signing;
    const auto material = crypto::issue_certificate(request, nullptr);
    signer_ = std::make_shared<crypto::DataSigner>(material.private_key_pem, material.certificate_pem);
    verifier_ = std::make_shared<crypto::DataVerifier>(material.certificate_pem);
    options_.directory = (dir_.path() / "log").string();
    options_.identity = LogIdentity{"oncegate.test/log/unit-1", log_key_};
    options_.head_every_records = 1'000'000;
    options_.head_every_ms = 3'600'000;
  }

  HeadVerifier head_verifier() const {
    return [v = verifier_](const std::string& text, const std::string& sig) { return v->verify(text, sig); };
  }

  // How an auditor verifies this log: the log key (checkpoints), the gateway key (format 1).
  VerifyOptions verify_options() const {
    VerifyOptions options;
    options.verify_signature = head_verifier();
    options.log_key = options_.identity.verifier();
    return options;
  }

  static TransferRecord record(const std::string& person, const std::string& requester, const std::string& outcome) {
    TransferRecord r;
    r.requester = requester;
    r.evidence_type = "geburtsurkunde";
    r.purpose = "leistungsgewaehrung";
    r.legal_basis = "IDNrG § 6 Abs. 2";
    r.outcome = outcome;
    r.pseudonym = person;
    return r;
  }

  // Appends and waits until durable; returns the sequence.
  static std::uint64_t append_sync(TransferLog& log, TransferRecord r) {
    std::promise<std::pair<bool, std::uint64_t>> done;
    log.append(std::move(r), [&](bool durable, std::uint64_t sequence) { done.set_value({durable, sequence}); });
    auto [durable, sequence] = done.get_future().get();
    EXPECT_TRUE(durable);
    return sequence;
  }

  TempDir dir_;
  TransferLogOptions options_;
  std::shared_ptr<crypto::DataSigner> signer_;
  std::shared_ptr<crypto::DataVerifier> verifier_;
  std::shared_ptr<const crypto::Ed25519Key> log_key_ = std::make_shared<crypto::Ed25519Key>(crypto::Ed25519Key::generate());
};

TEST_F(TransferLogTest, ConcurrentAppendsAreAllDurableWithDistinctSequences) {
  auto log = TransferLog::Open(options_);
  constexpr int kWriters = 16;
  constexpr int kEach = 50;
  std::vector<std::thread> writers;
  std::mutex mutex;
  std::set<std::uint64_t> sequences;
  std::atomic<int> durable{0};
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < kEach; ++i) {
        const auto sequence = append_sync(*log, record("p" + std::to_string(w), "psw:1", "delivered"));
        std::lock_guard lock(mutex);
        sequences.insert(sequence);
        ++durable;
      }
    });
  }
  for (auto& t : writers) t.join();
  EXPECT_EQ(durable.load(), kWriters * kEach);
  EXPECT_EQ(sequences.size(), static_cast<std::size_t>(kWriters * kEach));
  EXPECT_EQ(*sequences.rbegin(), static_cast<std::uint64_t>(kWriters * kEach - 1));
  EXPECT_EQ(log->size(), static_cast<std::uint64_t>(kWriters * kEach));
  (void)log->issue_head();
  EXPECT_TRUE(log->verify(head_verifier()).ok);
}

TEST_F(TransferLogTest, RecordsSurviveReopenAndTheTreeContinues) {
  Hash root_before;
  {
    auto log = TransferLog::Open(options_);
    for (int i = 0; i < 7; ++i) append_sync(*log, record("anna", "psw:1", "delivered"));
    root_before = from_hex(log->issue_head().root_hex).value();
  }
  auto log = TransferLog::Open(options_);
  EXPECT_EQ(log->size(), 7u);
  for (int i = 0; i < 6; ++i) append_sync(*log, record("bert", "psw:2", "denied"));
  const auto head = log->issue_head();
  EXPECT_EQ(head.size, 13u);
  EXPECT_TRUE(verify_consistency(7, 13, root_before, from_hex(head.root_hex).value(), log->consistency(7, 13)));
  EXPECT_TRUE(log->verify(head_verifier()).ok) << log->verify(head_verifier()).first_problem;
}

TEST_F(TransferLogTest, PersonQueriesAreNewestFirstPagedAndOnlyThatPerson) {
  auto log = TransferLog::Open(options_);
  for (int i = 0; i < 25; ++i) {
    append_sync(*log, record(i % 3 == 0 ? "anna" : "bert", i % 2 == 0 ? "psw:1" : "psw:2", "delivered"));
  }
  std::vector<std::uint64_t> seen;
  std::optional<std::uint64_t> before;
  do {
    const Page page = log->by_person("anna", 0, INT64_MAX, 4, before);
    for (const auto& r : page.records) {
      EXPECT_EQ(r.pseudonym, "anna");
      if (!seen.empty()) {
        EXPECT_LT(r.sequence, seen.back());
      }
      seen.push_back(r.sequence);
    }
    before = page.next_before;
  } while (before);
  EXPECT_EQ(seen.size(), 9u);  // 0, 3, ..., 24
  EXPECT_EQ(seen.front(), 24u);
  EXPECT_TRUE(log->by_person("nobody", 0, INT64_MAX, 10, std::nullopt).records.empty());
  EXPECT_EQ(log->by_authority("psw:2", 0, INT64_MAX, 100, std::nullopt).records.size(), 12u);
  // A time range that ends before the first record is empty.
  EXPECT_TRUE(log->by_person("anna", 0, 1, 10, std::nullopt).records.empty());
}

TEST_F(TransferLogTest, InclusionProofsVerifyAgainstTheSignedHead) {
  auto log = TransferLog::Open(options_);
  for (int i = 0; i < 37; ++i) append_sync(*log, record("p" + std::to_string(i), "psw:1", "delivered"));
  EXPECT_FALSE(log->prove(3).has_value());  // no head yet
  const auto head = log->issue_head();
  // The head is a C2SP checkpoint: the log key's signature over "<origin>\n<size>\n<root>\n".
  const auto note = tlog::parse_note(head.checkpoint);
  ASSERT_TRUE(note.has_value());
  EXPECT_NE(tlog::verified_signature(*note, options_.identity.verifier()), nullptr);
  EXPECT_EQ(note->text, options_.identity.origin + "\n37\n" + common::base64_encode(from_hex(head.root_hex).value()) + "\n");
  const auto* stamp = tlog::verified_signature(*note, options_.identity.time_verifier());
  ASSERT_NE(stamp, nullptr);
  EXPECT_EQ(static_cast<std::int64_t>(tlog::cosignature_time(*stamp)) * 1000, head.time_ms);
  for (std::uint64_t s : {0u, 1u, 17u, 36u}) {
    const auto proof = log->prove(s);
    ASSERT_TRUE(proof.has_value());
    EXPECT_EQ(proof->record.sequence, s);
    EXPECT_EQ(proof->salt.size(), kSaltBytes);
    // The entry commits to the record's stored bytes with its salt; the leaf is over the entry.
    EXPECT_EQ(proof->entry, commitment_entry(proof->salt, proof->record_bytes));
    EXPECT_EQ(proof->leaf, leaf_hash(proof->entry));
    EXPECT_EQ(proof->record_bytes.find(proof->record.pseudonym) != std::string::npos, true);
    EXPECT_EQ(proof->entry.find(proof->record.pseudonym), std::string::npos);
    const Hash root = from_hex(proof->head.root_hex).value();
    EXPECT_TRUE(verify_inclusion(s, proof->head.size, proof->leaf, proof->path, root));
    auto tampered = proof->record;
    tampered.outcome = "denied";
    EXPECT_FALSE(verify_inclusion(s, proof->head.size, leaf_hash(commitment_entry(proof->salt, tampered.serialise())),
                                  proof->path, root));
  }
  EXPECT_FALSE(log->prove(37).has_value());
}

TEST_F(TransferLogTest, FullTilesAreStoredWholeMatchTheTreeAndAreVerified) {
  {
    auto log = TransferLog::Open(options_);
    for (int i = 0; i < 600; ++i) append_sync(*log, record("p" + std::to_string(i % 9), "psw:1", "delivered"));
    EXPECT_FALSE(log->tile(tlog::TileRef{false, 0, 0, 256}).has_value());  // no checkpoint covers it yet
    const auto head = log->issue_head();
    std::string leaves, bundle;
    for (std::uint64_t i = 0; i < 512; ++i) {
      const auto proof = log->prove(i);
      ASSERT_TRUE(proof.has_value());
      leaves += proof->leaf;
      if (i < 256) bundle += std::string{static_cast<char>(0), static_cast<char>(33)} + proof->entry;
    }
    // Level 0: the leaf hashes; entry bundles: the length-prefixed entries; level 1: the roots of
    // the complete level-0 tiles (width 600 / 256 = 2).
    EXPECT_EQ(log->tile(tlog::TileRef{false, 0, 0, 256}), leaves.substr(0, 8192));
    EXPECT_EQ(log->tile(tlog::TileRef{false, 0, 1, 256}), leaves.substr(8192, 8192));
    EXPECT_EQ(log->tile(tlog::TileRef{true, 0, 0, 256}), bundle);
    std::string level1;
    for (int t = 0; t < 2; ++t) {
      tlog::Frontier subtree;
      for (int i = 0; i < 256; ++i) (void)subtree.append(leaves.substr(static_cast<std::size_t>(32 * (256 * t + i)), 32));
      level1 += subtree.root();
    }
    EXPECT_EQ(log->tile(tlog::TileRef{false, 1, 0, 2}), level1);
    EXPECT_EQ(log->tile(tlog::TileRef{false, 0, 2, 600 - 512})->size(), 32u * 88);
    EXPECT_FALSE(log->tile(tlog::TileRef{false, 0, 2, 89}).has_value());  // beyond the checkpoint
    EXPECT_EQ(head.size, 600u);
    const auto report = log->verify(head_verifier());
    EXPECT_TRUE(report.ok) << report.first_problem;
    EXPECT_EQ(report.tiles, 4u);  // two level-0 tiles and their two entry bundles
  }
  // A stored tile that is not the tree's would be served wrong: the verifier finds it.
  overwrite_tile_for_test(options_.directory, false, 0, 1, std::string(8192, 'x'));
  const auto report = verify_log_directory(options_.directory, verify_options());
  EXPECT_FALSE(report.ok);
  EXPECT_NE(report.first_problem.find("stored tile 0/1 does not match"), std::string::npos) << report.first_problem;
}

TEST_F(TransferLogTest, VerifierFindsAlteredDeletedAndReorderedRecords) {
  const auto fill = [&](const std::string& name) {
    options_.directory = (dir_.path() / name).string();
    auto log = TransferLog::Open(options_);
    for (int i = 0; i < 10; ++i) append_sync(*log, record("p" + std::to_string(i), "psw:1", "delivered"));
    (void)log->issue_head();
    std::vector<std::string> bytes;
    for (std::uint64_t s = 0; s < 10; ++s) bytes.push_back(log->prove(s)->record.serialise());
    return bytes;
  };
  {
    const auto bytes = fill("intact");
    EXPECT_TRUE(verify_log_directory(options_.directory, verify_options()).ok);
  }
  {
    auto bytes = fill("flipped");
    bytes[4][bytes[4].find("delivered")] = 'D';
    overwrite_record_for_test(options_.directory, 4, bytes[4]);
    const auto report = verify_log_directory(options_.directory, verify_options());
    EXPECT_FALSE(report.ok);
    EXPECT_NE(report.first_problem.find("record 4"), std::string::npos) << report.first_problem;
  }
  {
    fill("deleted");
    overwrite_record_for_test(options_.directory, 6, "");
    const auto report = verify_log_directory(options_.directory, verify_options());
    EXPECT_FALSE(report.ok);
    EXPECT_NE(report.first_problem.find("record 6 is missing"), std::string::npos) << report.first_problem;
  }
  {
    const auto bytes = fill("reordered");
    overwrite_record_for_test(options_.directory, 2, bytes[3]);
    overwrite_record_for_test(options_.directory, 3, bytes[2]);
    EXPECT_FALSE(verify_log_directory(options_.directory, verify_options()).ok);
  }
  {
    fill("foreign-signature");
    // A verifier with another key refuses the heads.
    // Checkpoints by another key (of the same origin) are not this log's.
    VerifyOptions wrong = verify_options();
    wrong.log_key->public_key = crypto::Ed25519Key::generate().public_key();
    const auto report = verify_log_directory(options_.directory, wrong);
    EXPECT_FALSE(report.ok);
    EXPECT_NE(report.first_problem.find("not signed by the log key"), std::string::npos) << report.first_problem;
  }
}

TEST_F(TransferLogTest, PseudonymsAreKeyedAndStable) {
  const std::string secret(32, 'k');
  EXPECT_EQ(pseudonym(secret, "36574261809"), pseudonym(secret, "36574261809"));
  EXPECT_NE(pseudonym(secret, "36574261809"), pseudonym(secret, "86095742719"));
  EXPECT_NE(pseudonym(secret, "36574261809"), pseudonym(std::string(32, 'x'), "36574261809"));
  EXPECT_EQ(pseudonym(secret, "36574261809").size(), 64u);
}

}  // namespace
}  // namespace oncegate::log

namespace oncegate::log {
namespace {

using common::from_hex;
using common::to_hex;

// A child process appends under load and reports every acknowledged (durable) sequence through a
// pipe; it is killed with SIGKILL mid-stream. After reopening, every acknowledged record must be
// there and the log must verify.
TEST_F(TransferLogTest, EveryAcknowledgedRecordSurvivesSigkill) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(fds[0]);
    options_.head_every_records = 200;
    auto log = TransferLog::Open(options_);
    std::vector<std::thread> writers;
    for (int w = 0; w < 8; ++w) {
      writers.emplace_back([&] {
        for (;;) {
          std::promise<std::uint64_t> acked;
          log->append(record("p", "psw:1", "delivered"), [&](bool durable, std::uint64_t sequence) {
            if (durable) acked.set_value(sequence);
          });
          const std::uint64_t sequence = acked.get_future().get();
          if (::write(fds[1], &sequence, sizeof sequence) != sizeof sequence) ::_exit(3);
        }
      });
    }
    for (auto& t : writers) t.join();
    ::_exit(0);
  }
  ::close(fds[1]);
  std::set<std::uint64_t> acknowledged;
  const auto read_acks = [&](bool until_eof) {
    std::uint64_t sequence = 0;
    while (::read(fds[0], &sequence, sizeof sequence) == static_cast<ssize_t>(sizeof sequence)) {
      acknowledged.insert(sequence);
      if (!until_eof && acknowledged.size() >= 300) return;
    }
  };
  read_acks(false);
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  read_acks(true);
  ::close(fds[0]);
  ASSERT_TRUE(WIFSIGNALED(status));
  ASSERT_GE(acknowledged.size(), 300u);

  auto log = TransferLog::Open(options_);
  EXPECT_GE(log->size(), *acknowledged.rbegin() + 1);
  (void)log->issue_head();
  for (std::uint64_t sequence : acknowledged) {
    ASSERT_TRUE(log->prove(sequence).has_value()) << "acknowledged record " << sequence << " lost";
  }
  const auto report = log->verify(head_verifier());
  EXPECT_TRUE(report.ok) << report.first_problem;
}

}  // namespace
}  // namespace oncegate::log

namespace oncegate::log {
namespace {

using common::from_hex;
using common::to_hex;

TEST_F(TransferLogTest, RetentionPurgeRemovesContentButKeepsTheTreeVerifiable) {
  // A retention period short enough for a test; the purge is bounded by it, measured against the
  // newest signed head.
  options_.retention_ms = 10;
  auto log = TransferLog::Open(options_);
  for (int i = 0; i < 10; ++i) append_sync(*log, record("old" + std::to_string(i), "psw:1", "delivered"));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const std::int64_t cutoff =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  for (int i = 0; i < 10; ++i) append_sync(*log, record("new" + std::to_string(i), "psw:1", "delivered"));
  // A checkpoint's time is in whole seconds: a second later it is surely past the cutoff.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  const auto old_head = log->issue_head();
  const auto proof_before = log->prove(12);
  ASSERT_TRUE(proof_before.has_value());

  const PurgeNote note = log->purge_older_than(cutoff);
  EXPECT_EQ(note.count, 10u);
  EXPECT_EQ(note.first_sequence, 0u);
  EXPECT_EQ(note.end_sequence, 10u);
  ASSERT_EQ(log->purges().size(), 1u);
  EXPECT_EQ(log->purges().front().count, 10u);

  EXPECT_FALSE(log->prove(3).has_value());  // content gone
  EXPECT_TRUE(log->by_person("old3", 0, INT64_MAX, 10, std::nullopt).records.empty());
  EXPECT_EQ(log->by_authority("psw:1", 0, INT64_MAX, 100, std::nullopt).records.size(), 10u);
  // The proof made before the purge still verifies, and new proofs and heads do too.
  EXPECT_TRUE(verify_inclusion(12, old_head.size, proof_before->leaf, proof_before->path,
                               from_hex(old_head.root_hex).value()));
  append_sync(*log, record("later", "psw:1", "delivered"));
  const auto new_head = log->issue_head();
  const auto proof_after = log->prove(15);
  ASSERT_TRUE(proof_after.has_value());
  EXPECT_TRUE(verify_inclusion(15, new_head.size, proof_after->leaf, proof_after->path, from_hex(new_head.root_hex).value()));
  EXPECT_TRUE(verify_consistency(old_head.size, new_head.size, from_hex(old_head.root_hex).value(),
                                 from_hex(new_head.root_hex).value(), log->consistency(old_head.size, new_head.size)));
  const auto report = log->verify(head_verifier());
  EXPECT_TRUE(report.ok) << report.first_problem;
  EXPECT_EQ(report.records, 11u);
  EXPECT_EQ(report.purged, 10u);
}

}  // namespace
}  // namespace oncegate::log

namespace oncegate::log {
namespace {

using common::from_hex;
using common::to_hex;

// The verifier fails closed (issue 10): what someone with write access to a stopped log could do
// without the gateway key is found.
TEST_F(TransferLogTest, VerifierFailsWithoutAnySignedHeadAndTheGatewayRefusesToSignOverIt) {
  {
    auto log = TransferLog::Open(options_);
    for (int i = 0; i < 5; ++i) append_sync(*log, record("p", "psw:1", "delivered"));
    (void)log->issue_head();
  }
  EXPECT_TRUE(verify_log_directory(options_.directory, verify_options()).ok);
  remove_tree_heads_for_test(options_.directory, 0);
  const auto report = verify_log_directory(options_.directory, verify_options());
  EXPECT_FALSE(report.ok);
  EXPECT_NE(report.first_problem.find("no signed tree head"), std::string::npos) << report.first_problem;
  // Reopening would sign a head over whatever is there now: refused.
  try {
    (void)TransferLog::Open(options_);
    ADD_FAILURE() << "a log without heads was opened";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("no signed tree head"), std::string::npos) << error.what();
  }
}

TEST_F(TransferLogTest, ANewLogIsVouchedForFromTheStart) {
  { auto log = TransferLog::Open(options_); }
  const auto report = verify_log_directory(options_.directory, verify_options());
  EXPECT_TRUE(report.ok) << report.first_problem;
  EXPECT_EQ(report.heads, 1u);
  EXPECT_EQ(report.records, 0u);
}

TEST_F(TransferLogTest, RecordsBeyondTheNewestHeadPassOnlyWithinTheGrace) {
  {
    auto log = TransferLog::Open(options_);
    for (int i = 0; i < 5; ++i) append_sync(*log, record("p", "psw:1", "delivered"));
    (void)log->issue_head();  // size 5
    std::this_thread::sleep_for(std::chrono::milliseconds(60));
    for (int i = 0; i < 5; ++i) append_sync(*log, record("q", "psw:1", "delivered"));
    (void)log->issue_head();  // size 10
  }
  remove_tree_heads_for_test(options_.directory, 6);  // the head of size 10 is gone
  VerifyOptions strict = verify_options();
  strict.grace_ms = 20;
  const auto report = verify_log_directory(options_.directory, strict);
  EXPECT_FALSE(report.ok);
  EXPECT_NE(report.first_problem.find("not under a signed tree head"), std::string::npos) << report.first_problem;
  // A crash right after writing leaves records that young: within the grace they verify.
  VerifyOptions lenient = verify_options();
  lenient.grace_ms = 60'000;
  EXPECT_TRUE(verify_log_directory(options_.directory, lenient).ok);
}

TEST_F(TransferLogTest, AForgedPurgeMarkerDoesNotHideRecords) {
  {
    auto log = TransferLog::Open(options_);
    for (int i = 0; i < 8; ++i) append_sync(*log, record("p" + std::to_string(i), "psw:1", "delivered"));
    (void)log->issue_head();
  }
  forge_purge_for_test(options_.directory, 3, "Zm9yZ2Vk");
  auto report = verify_log_directory(options_.directory, verify_options());
  EXPECT_FALSE(report.ok);
  EXPECT_NE(report.first_problem.find("not signed by the log key"), std::string::npos) << report.first_problem;
}

TEST_F(TransferLogTest, APurgeNeverReachesRecordsYoungerThanTheRetentionPeriod) {
  auto log = TransferLog::Open(options_);  // retention: the default 730 days
  for (int i = 0; i < 4; ++i) append_sync(*log, record("p", "psw:1", "delivered"));
  (void)log->issue_head();
  const std::int64_t far_future = std::int64_t{1} << 50;
  const PurgeNote note = log->purge_older_than(far_future);  // as a clock gone wild would ask
  EXPECT_EQ(note.count, 0u);
  EXPECT_TRUE(log->prove(0).has_value());
  EXPECT_TRUE(log->verify(head_verifier()).ok);
}

TEST_F(TransferLogTest, ARecordMissingAboveASignedPurgeIsFound) {
  options_.retention_ms = 10;
  std::vector<std::string> bytes;
  {
    auto log = TransferLog::Open(options_);
    for (int i = 0; i < 6; ++i) append_sync(*log, record("p", "psw:1", "delivered"));
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // checkpoint times are whole seconds
    (void)log->issue_head();
    const PurgeNote note = log->purge_older_than(INT64_MAX);
    EXPECT_EQ(note.count, 6u);
    for (int i = 0; i < 3; ++i) append_sync(*log, record("q", "psw:1", "delivered"));
    (void)log->issue_head();
    ASSERT_EQ(log->purges().size(), 1u);
    EXPECT_FALSE(log->purges().front().note.empty());
  }
  VerifyOptions options = verify_options();
  options.retention_ms = 10;
  auto report = verify_log_directory(options_.directory, options);
  ASSERT_TRUE(report.ok) << report.first_problem;
  EXPECT_EQ(report.purged, 6u);
  EXPECT_EQ(report.records, 3u);
  // A verifier that expects the real retention period refuses the note, made under a shorter one.
  report = verify_log_directory(options_.directory, verify_options());
  EXPECT_FALSE(report.ok);
  EXPECT_NE(report.first_problem.find("retention period shorter than 730 days"), std::string::npos) << report.first_problem;
  // The signed note does not stretch to a record deleted later.
  overwrite_record_for_test(options_.directory, 7, "");
  report = verify_log_directory(options_.directory, options);
  EXPECT_FALSE(report.ok);
  EXPECT_NE(report.first_problem.find("record 7 is missing"), std::string::npos) << report.first_problem;
}

}  // namespace
}  // namespace oncegate::log

namespace oncegate::log {
namespace {

using common::from_hex;
using common::to_hex;

// Review findings: the live verifier reads one snapshot while the log keeps writing, a head goes
// into the same write as a batch that is due one, and a log whose newest heads were removed is not
// reopened.
TEST_F(TransferLogTest, VerifyingALiveLogUnderLoadNeverReportsAFalseAlarm) {
  options_.head_every_records = 50;
  auto log = TransferLog::Open(options_);
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; !stop.load() && i < 5000; ++i) append_sync(*log, record("p" + std::to_string(i % 7), "psw:1", "delivered"));
  });
  for (int round = 0; round < 20; ++round) {
    const auto report = log->verify(head_verifier());
    EXPECT_TRUE(report.ok) << "round " << round << ": " << report.first_problem;
  }
  stop = true;
  writer.join();
}

TEST_F(TransferLogTest, AfterAnIdleIntervalTheFirstBatchCarriesItsOwnHead) {
  options_.head_every_ms = 300;
  {
    auto log = TransferLog::Open(options_);
    append_sync(*log, record("p", "psw:1", "delivered"));
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    const auto sequence = append_sync(*log, record("q", "psw:1", "delivered"));
    // The head came with the batch, not after it.
    const auto head = log->latest_head();
    ASSERT_TRUE(head.has_value());
    EXPECT_GT(head->size, sequence);
  }
  VerifyOptions options = verify_options();
  options.grace_ms = 300;
  EXPECT_TRUE(verify_log_directory(options_.directory, options).ok);
}

TEST_F(TransferLogTest, ALogWhoseNewestHeadsWereRemovedIsNotReopened) {
  {
    auto log = TransferLog::Open(options_);
    for (int i = 0; i < 3; ++i) append_sync(*log, record("p", "psw:1", "delivered"));
    (void)log->issue_head();  // size 3
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));  // beyond 20 ms + the 1 s resolution
    for (int i = 0; i < 3; ++i) append_sync(*log, record("q", "psw:1", "delivered"));
    (void)log->issue_head();  // size 6
  }
  remove_tree_heads_for_test(options_.directory, 4);
  options_.head_every_ms = 20;  // the records beyond the head of size 3 are older than one interval
  try {
    (void)TransferLog::Open(options_);
    ADD_FAILURE() << "the gateway would have signed over records whose heads were removed";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("beyond the newest signed tree head"), std::string::npos) << error.what();
  }
}

// Appends and waits; returns whether the record was durable.
bool append_result(TransferLog& log, TransferRecord r) {
  std::promise<bool> done;
  log.append(std::move(r), [&](bool durable, std::uint64_t) { done.set_value(durable); });
  return done.get_future().get();
}

TEST_F(TransferLogTest, AFullDiskRefusesAppendsAndTheLogResumesByItselfWhenSpaceReturns) {
  auto faults = std::make_shared<StorageFaults>();
  options_.faults = faults;
  std::vector<std::uint64_t> acknowledged;
  {
    auto log = TransferLog::Open(options_);
    for (int i = 0; i < 5; ++i) acknowledged.push_back(append_sync(*log, record("anna", "psw:1", "delivered")));
    faults->set_disk_full(true);
    for (int i = 0; i < 5; ++i) EXPECT_FALSE(append_result(*log, record("bert", "psw:1", "delivered")));
    EXPECT_FALSE(log->writable());
    EXPECT_GT(faults->refused_writes(), 0u);
    EXPECT_EQ(log->size(), 5u);
    // No traffic needed: the writer notices the space by itself.
    faults->set_disk_full(false);
    EXPECT_TRUE(eventually([&] { return log->writable(); }));
    for (int i = 0; i < 5; ++i) acknowledged.push_back(append_sync(*log, record("carl", "psw:1", "delivered")));
    // The tree goes on where the stored log stands: no sequence number taken twice.
    EXPECT_EQ(acknowledged.back(), 9u);
    (void)log->issue_head();
    EXPECT_TRUE(log->verify(head_verifier()).ok);
  }
  auto reopened = TransferLog::Open(options_);
  EXPECT_EQ(reopened->size(), 10u);
  for (const auto sequence : acknowledged) EXPECT_TRUE(reopened->prove(sequence).has_value()) << sequence;
  // Nobody refused is under anybody's name.
  EXPECT_TRUE(reopened->by_person("bert", 0, INT64_MAX, 100, std::nullopt).records.empty());
  EXPECT_EQ(reopened->by_person("carl", 0, INT64_MAX, 100, std::nullopt).records.size(), 5u);
  EXPECT_TRUE(reopened->verify(head_verifier()).ok);
}

TEST_F(TransferLogTest, ASlowDiskIsAbsorbedByGroupCommit) {
  auto faults = std::make_shared<StorageFaults>();
  options_.faults = faults;
  auto log = TransferLog::Open(options_);
  faults->set_sync_delay(std::chrono::milliseconds(50));
  constexpr int kWriters = 64;
  std::vector<std::thread> writers;
  std::atomic<int> durable{0};
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&] {
      for (int i = 0; i < 4; ++i) durable += append_result(*log, record("p", "psw:1", "delivered")) ? 1 : 0;
    });
  }
  for (auto& t : writers) t.join();
  EXPECT_EQ(durable.load(), kWriters * 4);
  // 256 records took far fewer than 256 syncs: many records shared each fsync.
  EXPECT_GT(faults->delayed_syncs(), 0u);
  EXPECT_LT(faults->delayed_syncs(), 64u);
  EXPECT_TRUE(log->writable());
}

}  // namespace
}  // namespace oncegate::log
