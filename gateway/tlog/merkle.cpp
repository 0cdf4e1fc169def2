#include "gateway/tlog/merkle.hpp"

#include "gateway/crypto/crypto.hpp"

#include <bit>
#include <stdexcept>

namespace oncegate::tlog {

namespace {

// Largest power of two strictly smaller than n (n >= 2).
std::uint64_t split_point(std::uint64_t n) { return std::bit_floor(n - 1); }

bool is_power_of_two(std::uint64_t n) { return n != 0 && (n & (n - 1)) == 0; }

}  // namespace

Hash leaf_hash(std::string_view leaf_data) { return crypto::sha256({std::string_view("\x00", 1), leaf_data}); }

Hash node_hash(std::string_view left, std::string_view right) {
  return crypto::sha256({std::string_view("\x01", 1), left, right});
}


Hash subtree_hash(std::uint64_t start, std::uint64_t size, const PerfectSubtree& perfect) {
  if (size == 0) return crypto::sha256(std::string_view{});
  if (is_power_of_two(size) && start % size == 0) {
    return perfect(static_cast<unsigned>(std::countr_zero(size)), start / size);
  }
  const std::uint64_t k = split_point(size);
  return node_hash(subtree_hash(start, k, perfect), subtree_hash(start + k, size - k, perfect));
}

namespace {

void path(std::uint64_t m, std::uint64_t start, std::uint64_t n, const PerfectSubtree& perfect, std::vector<Hash>& out) {
  if (n <= 1) return;
  const std::uint64_t k = split_point(n);
  if (m < k) {
    path(m, start, k, perfect, out);
    out.push_back(subtree_hash(start + k, n - k, perfect));
  } else {
    path(m - k, start + k, n - k, perfect, out);
    out.push_back(subtree_hash(start, k, perfect));
  }
}

void subproof(std::uint64_t m, std::uint64_t start, std::uint64_t n, bool complete, const PerfectSubtree& perfect,
              std::vector<Hash>& out) {
  if (m == n) {
    if (!complete) out.push_back(subtree_hash(start, n, perfect));
    return;
  }
  const std::uint64_t k = split_point(n);
  if (m <= k) {
    subproof(m, start, k, complete, perfect, out);
    out.push_back(subtree_hash(start + k, n - k, perfect));
  } else {
    subproof(m - k, start + k, n - k, false, perfect, out);
    out.push_back(subtree_hash(start, k, perfect));
  }
}

}  // namespace

std::vector<Hash> inclusion_proof(std::uint64_t index, std::uint64_t size, const PerfectSubtree& perfect) {
  if (index >= size) throw std::out_of_range("leaf index outside the tree");
  std::vector<Hash> out;
  path(index, 0, size, perfect, out);
  return out;
}

std::vector<Hash> consistency_proof(std::uint64_t old_size, std::uint64_t new_size, const PerfectSubtree& perfect) {
  if (old_size > new_size) throw std::out_of_range("old tree larger than new tree");
  std::vector<Hash> out;
  if (old_size == 0 || old_size == new_size) return out;
  subproof(old_size, 0, new_size, true, perfect, out);
  return out;
}

bool verify_inclusion(std::uint64_t index, std::uint64_t size, const Hash& leaf, const std::vector<Hash>& proof,
                      const Hash& root) {
  if (index >= size) return false;
  std::uint64_t fn = index;
  std::uint64_t sn = size - 1;
  Hash r = leaf;
  for (const Hash& p : proof) {
    if (sn == 0) return false;
    if ((fn & 1) == 1 || fn == sn) {
      r = node_hash(p, r);
      if ((fn & 1) == 0) {
        while ((fn & 1) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      r = node_hash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && r == root;
}

bool verify_consistency(std::uint64_t old_size, std::uint64_t new_size, const Hash& old_root, const Hash& new_root,
                        const std::vector<Hash>& proof) {
  if (old_size > new_size) return false;
  if (old_size == new_size) return proof.empty() && old_root == new_root;
  if (old_size == 0) return proof.empty();
  std::vector<Hash> path = proof;
  if (is_power_of_two(old_size)) path.insert(path.begin(), old_root);
  if (path.empty()) return false;
  std::uint64_t fn = old_size - 1;
  std::uint64_t sn = new_size - 1;
  while ((fn & 1) == 1) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash fr = path.front();
  Hash sr = path.front();
  for (std::size_t i = 1; i < path.size(); ++i) {
    const Hash& c = path[i];
    if (sn == 0) return false;
    if ((fn & 1) == 1 || fn == sn) {
      fr = node_hash(c, fr);
      sr = node_hash(c, sr);
      if ((fn & 1) == 0) {
        while ((fn & 1) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      sr = node_hash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && fr == old_root && sr == new_root;
}

std::vector<Frontier::Completed> Frontier::append(const Hash& leaf) {
  std::vector<Completed> completed;
  entries_.push_back({0, size_, leaf});
  ++size_;
  while (entries_.size() >= 2 && entries_[entries_.size() - 1].level == entries_[entries_.size() - 2].level) {
    Entry right = std::move(entries_.back());
    entries_.pop_back();
    Entry left = std::move(entries_.back());
    entries_.pop_back();
    Entry parent{left.level + 1, left.index / 2, node_hash(left.hash, right.hash)};
    completed.push_back({parent.level, parent.index, parent.hash});
    entries_.push_back(std::move(parent));
  }
  return completed;
}

Hash Frontier::root() const {
  if (entries_.empty()) return crypto::sha256(std::string_view{});
  Hash root = entries_.back().hash;
  for (std::size_t i = entries_.size() - 1; i-- > 0;) root = node_hash(entries_[i].hash, root);
  return root;
}

void Frontier::restore(std::uint64_t size, const PerfectSubtree& perfect) {
  entries_.clear();
  size_ = size;
  std::uint64_t start = 0;
  for (int level = 63; level >= 0; --level) {
    const std::uint64_t span = std::uint64_t{1} << level;
    if ((size & span) == 0) continue;
    entries_.push_back({static_cast<unsigned>(level), start >> level, perfect(static_cast<unsigned>(level), start >> level)});
    start += span;
  }
}

}  // namespace oncegate::tlog
