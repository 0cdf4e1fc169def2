// RFC 9162 Merkle tree: roots, inclusion and consistency proofs against a naive reference.

#include <gtest/gtest.h>

#include <map>

#include "gateway/common/bytes.hpp"
#include "gateway/tlog/merkle.hpp"

namespace oncegate::tlog {
namespace {

using common::from_hex;
using common::to_hex;

// MTH exactly as RFC 9162 defines it, recursively over the leaf data.
Hash reference_mth(const std::vector<std::string>& leaves, std::size_t start, std::size_t n) {
  if (n == 0) return from_hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855").value();
  if (n == 1) return leaf_hash(leaves[start]);
  std::size_t k = 1;
  while (k * 2 < n) k *= 2;
  return node_hash(reference_mth(leaves, start, k), reference_mth(leaves, start + k, n - k));
}

class MerkleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 70; ++i) leaves_.push_back("record-" + std::to_string(i));
    for (const auto& leaf : leaves_) {
      for (const auto& c : frontier_.append(leaf_hash(leaf))) stored_[{c.level, c.index}] = c.hash;
    }
    perfect_ = [this](unsigned level, std::uint64_t index) -> Hash {
      if (level == 0) return leaf_hash(leaves_.at(index));
      return stored_.at({level, index});
    };
  }

  std::vector<std::string> leaves_;
  Frontier frontier_;
  std::map<std::pair<unsigned, std::uint64_t>, Hash> stored_;
  PerfectSubtree perfect_;
};

TEST_F(MerkleTest, KnownVectors) {
  EXPECT_EQ(to_hex(leaf_hash("")), "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
  EXPECT_EQ(to_hex(reference_mth({}, 0, 0)), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_F(MerkleTest, FrontierRootAndSubtreeHashMatchTheReference) {
  Frontier growing;
  for (std::size_t n = 1; n <= leaves_.size(); ++n) {
    growing.append(leaf_hash(leaves_[n - 1]));
    const Hash expected = reference_mth(leaves_, 0, n);
    EXPECT_EQ(growing.root(), expected) << n;
    EXPECT_EQ(subtree_hash(0, n, perfect_), expected) << n;
    Frontier restored;
    restored.restore(n, perfect_);
    EXPECT_EQ(restored.root(), expected) << n;
  }
}

TEST_F(MerkleTest, InclusionProofsVerifyAndFailWhenTampered) {
  for (std::uint64_t n = 1; n <= leaves_.size(); ++n) {
    const Hash root = reference_mth(leaves_, 0, n);
    for (std::uint64_t m = 0; m < n; ++m) {
      auto proof = inclusion_proof(m, n, perfect_);
      const Hash leaf = leaf_hash(leaves_[m]);
      ASSERT_TRUE(verify_inclusion(m, n, leaf, proof, root)) << m << "/" << n;
      EXPECT_FALSE(verify_inclusion(m, n, leaf_hash("forged"), proof, root));
      if (!proof.empty()) {
        proof[proof.size() / 2][0] ^= 1;
        EXPECT_FALSE(verify_inclusion(m, n, leaf, proof, root));
      }
      if (n > 1) {
        EXPECT_FALSE(verify_inclusion((m + 1) % n, n, leaf, inclusion_proof(m, n, perfect_), root));
      }
    }
  }
}

TEST_F(MerkleTest, ConsistencyProofsVerifyAndFailWhenTampered) {
  for (std::uint64_t n = 1; n <= 40; ++n) {
    const Hash new_root = reference_mth(leaves_, 0, n);
    for (std::uint64_t m = 1; m <= n; ++m) {
      const Hash old_root = reference_mth(leaves_, 0, m);
      auto proof = consistency_proof(m, n, perfect_);
      ASSERT_TRUE(verify_consistency(m, n, old_root, new_root, proof)) << m << "->" << n;
      if (m < n) {
        EXPECT_FALSE(verify_consistency(m, n, leaf_hash("x"), new_root, proof));
        if (!proof.empty()) {
          proof.back()[3] ^= 0x40;
          EXPECT_FALSE(verify_consistency(m, n, old_root, new_root, proof));
        }
      }
    }
  }
}

}  // namespace
}  // namespace oncegate::tlog
