// A log written before commitments and checkpoints (tests/log/fixtures/v1-log, made by commit
// 0c1d3ca) opens with the current code, still verifies, continues with commitment entries under
// Ed25519 checkpoints, and verifies as a whole with both keys.

#include <gtest/gtest.h>

#include <filesystem>
#include <future>

#include "gateway/common/bytes.hpp"
#include "gateway/crypto/data_signer.hpp"
#include "gateway/log/transfer_log.hpp"
#include "tests/support/temp_dir.hpp"

namespace oncegate::log {
namespace {

const std::filesystem::path kFixtures = std::filesystem::path(ONCEGATE_SOURCE_DIR) / "tests/log/fixtures";
constexpr std::uint64_t kFixtureRecords = 226;

class MigrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::copy(kFixtures / "v1-log", directory_);
    ecdsa_ = std::make_shared<crypto::DataVerifier>(testing::read_text(kFixtures / "v1-gateway-signing.pem"));
    options_.directory = directory_.string();
    options_.identity = LogIdentity{"oncegate.test/log/migrated-1", key_};
    options_.head_every_ms = 3'600'000;
  }

  VerifyOptions verify_options(bool with_gateway_key, bool with_log_key) const {
    VerifyOptions options;
    if (with_gateway_key) options.verify_signature = [v = ecdsa_](const std::string& t, const std::string& s) { return v->verify(t, s); };
    if (with_log_key) options.log_key = options_.identity.verifier();
    // The fixture's records are older than any grace: its own last head covers them all.
    return options;
  }

  testing::TempDir dir_;
  std::filesystem::path directory_ = dir_.path() / "log";
  std::shared_ptr<crypto::DataVerifier> ecdsa_;
  std::shared_ptr<const crypto::Ed25519Key> key_ = std::make_shared<crypto::Ed25519Key>(crypto::Ed25519Key::generate());
  TransferLogOptions options_;
};

TEST_F(MigrationTest, TheOldLogVerifiesReadOnlyAsItWas) {
  const auto report = verify_log_directory(options_.directory, verify_options(true, false));
  ASSERT_TRUE(report.ok) << report.first_problem;
  EXPECT_EQ(report.records, kFixtureRecords);
  EXPECT_EQ(report.entries, 0u);
  EXPECT_EQ(report.checkpoints, 0u);
}

TEST_F(MigrationTest, ItContinuesWithCommitmentsAndVerifiesWithBothKeys) {
  std::string old_pseudonym;
  {
    auto log = TransferLog::Open(options_);
    EXPECT_EQ(log->size(), kFixtureRecords);
    EXPECT_EQ(log->entries_from(), kFixtureRecords);
    for (int i = 0; i < 40; ++i) {
      TransferRecord record;
      record.requester = "psw:01003110";
      record.outcome = "delivered";
      record.pseudonym = "p" + std::to_string(i);
      record.data_fields = {"familienname", "geburtsdatum"};
      std::promise<bool> done;
      log->append(record, [&](bool durable, std::uint64_t) { done.set_value(durable); });
      ASSERT_TRUE(done.get_future().get());
    }
    const auto head = log->issue_head();
    EXPECT_TRUE(head.is_checkpoint());
    EXPECT_EQ(head.size, kFixtureRecords + 40);
    // An old record proves as before (leaf over its bytes); a new one through its commitment.
    const auto old_proof = log->prove(5);
    ASSERT_TRUE(old_proof.has_value());
    EXPECT_TRUE(old_proof->salt.empty());
    EXPECT_EQ(old_proof->record.format, 1);
    EXPECT_EQ(old_proof->leaf, leaf_hash(old_proof->record_bytes));
    old_pseudonym = old_proof->record.pseudonym;
    const auto new_proof = log->prove(kFixtureRecords + 3);
    ASSERT_TRUE(new_proof.has_value());
    EXPECT_EQ(new_proof->record.format, 2);
    EXPECT_EQ(new_proof->record.data_fields, (std::vector<std::string>{"familienname", "geburtsdatum"}));
    EXPECT_EQ(new_proof->leaf, leaf_hash(commitment_entry(new_proof->salt, new_proof->record_bytes)));
    const Hash root = common::from_hex(head.root_hex).value();
    for (const auto* proof : {&*old_proof, &*new_proof}) {
      EXPECT_TRUE(verify_inclusion(proof->record.sequence, head.size, proof->leaf, proof->path, root));
    }
    // The old records' leaves are hashes and may be published; their entries (the records) not.
    EXPECT_TRUE(log->tile(tlog::TileRef{false, 0, 0, 256}).has_value());
    EXPECT_FALSE(log->tile(tlog::TileRef{true, 0, 0, 255}).has_value());
    // The citizen index still finds the old records.
    EXPECT_FALSE(log->by_person(old_pseudonym, 0, INT64_MAX, 10, std::nullopt).records.empty());
  }
  auto report = verify_log_directory(options_.directory, verify_options(true, true));
  ASSERT_TRUE(report.ok) << report.first_problem;
  EXPECT_EQ(report.records, kFixtureRecords + 40);
  EXPECT_EQ(report.entries, 40u);
  EXPECT_GE(report.checkpoints, 1u);
  // Either key alone is not enough: the old heads need the gateway's, the checkpoints the log's.
  report = verify_log_directory(options_.directory, verify_options(false, true));
  EXPECT_FALSE(report.ok);
  EXPECT_NE(report.first_problem.find("no gateway certificate"), std::string::npos) << report.first_problem;
  report = verify_log_directory(options_.directory, verify_options(true, false));
  EXPECT_FALSE(report.ok);
  EXPECT_NE(report.first_problem.find("no log key"), std::string::npos) << report.first_problem;
}

}  // namespace
}  // namespace oncegate::log
