#pragma once
// Merkle tree hashing and proofs as in RFC 9162 (Certificate Transparency 2.0), section 2.1:
//   leaf hash  = SHA-256(0x00 || leaf data)
//   node hash  = SHA-256(0x01 || left || right)
//   MTH(D[n])  splits at the largest power of two smaller than n.
// Pure functions, thread-safe. Hashes are raw 32-byte strings.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace oncegate::tlog {

using Hash = std::string;  // 32 bytes

[[nodiscard]] Hash leaf_hash(std::string_view leaf_data);
[[nodiscard]] Hash node_hash(std::string_view left, std::string_view right);

// The hash of the perfect, aligned subtree of 2^level leaves starting at leaf index * 2^level.
using PerfectSubtree = std::function<Hash(unsigned level, std::uint64_t index)>;

// MTH over leaves [start, start + size), assembled from perfect subtrees.
[[nodiscard]] Hash subtree_hash(std::uint64_t start, std::uint64_t size, const PerfectSubtree& perfect);

// Audit path for leaf `index` in the tree of the first `size` leaves (RFC 9162 2.1.3.1).
[[nodiscard]] std::vector<Hash> inclusion_proof(std::uint64_t index, std::uint64_t size, const PerfectSubtree& perfect);

// Consistency proof between tree sizes `old_size` <= `new_size` (RFC 9162 2.1.4.1).
[[nodiscard]] std::vector<Hash> consistency_proof(std::uint64_t old_size, std::uint64_t new_size,
                                                  const PerfectSubtree& perfect);

// Verification (RFC 9162 2.1.3.2 and 2.1.4.2).
[[nodiscard]] bool verify_inclusion(std::uint64_t index, std::uint64_t size, const Hash& leaf,
                                    const std::vector<Hash>& proof, const Hash& root);
[[nodiscard]] bool verify_consistency(std::uint64_t old_size, std::uint64_t new_size, const Hash& old_root,
                                      const Hash& new_root, const std::vector<Hash>& proof);

// The right edge of an append-only tree: one perfect subtree root per set bit of the size.
// Appending returns the completed perfect subtrees so they can be stored.
class Frontier {
 public:
  struct Completed {
    unsigned level;
    std::uint64_t index;
    Hash hash;
  };
  // Appends a leaf hash; returns every perfect subtree (level >= 1) this completes.
  std::vector<Completed> append(const Hash& leaf);
  [[nodiscard]] std::uint64_t size() const noexcept { return size_; }
  // MTH of all leaves so far; the empty tree's root is SHA-256 of nothing.
  [[nodiscard]] Hash root() const;
  // Restores the frontier of a tree of `size` leaves from its stored perfect subtrees.
  void restore(std::uint64_t size, const PerfectSubtree& perfect);

 private:
  struct Entry {
    unsigned level;
    std::uint64_t index;
    Hash hash;
  };
  std::vector<Entry> entries_;  // left to right, strictly decreasing levels
  std::uint64_t size_ = 0;
};

}  // namespace oncegate::tlog
