#pragma once
// Internal to the RocksDB backend: the column families, key encodings and an open database.
// Column families:
//   records       sequence (8 bytes big-endian) -> canonical record bytes (JSON)
//   salts         sequence -> the record's 32-byte salt (format 2; purged with the record)
//   entries       sequence -> published entry, 0x01 || HMAC(salt, record) (format 2; never purged)
//   leaves        sequence -> leaf hash (of the entry; format 1: of the record)
//   nodes         level (1 byte) + index (8 bytes) -> hash of the perfect subtree
//   by_person     pseudonym + 0x00 + sequence -> ""   (citizen index, Datencockpit)
//   by_authority  kennung + 0x00 + sequence -> ""     (supervision by requester)
//   tiles         tile_key -> a full tile (8,192 bytes) or entry bundle, stored once complete, so
//                 that serving one is a single point read (derived data: the verifier checks it)
//   heads         tree size (8 bytes) -> signed tree head or checkpoint (JSON, wire.hpp)
//   default       "size" -> tree size; "entries_from" -> the first sequence with an entry; "purged_below" -> the writer's purge bookmark (not trusted
//                 by the verifier); "purge/" + end (8 bytes) -> signed purge note (JSON)

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rocksdb/db.h>
#include <rocksdb/options.h>

#include "gateway/tlog/merkle.hpp"
#include "gateway/log/storage_faults.hpp"
#include "gateway/log/transfer_log.hpp"

namespace oncegate::log::rocksdb_backend {

[[nodiscard]] std::string be64(std::uint64_t v);
[[nodiscard]] std::uint64_t read_be64(std::string_view s);
[[nodiscard]] std::string node_key(unsigned level, std::uint64_t index);
[[nodiscard]] std::string index_key(const std::string& prefix, std::uint64_t sequence);

enum Family { kMeta = 0, kRecords, kLeaves, kNodes, kByPerson, kByAuthority, kHeads, kSalts, kEntries, kTiles };

// Key of a full tile in `tiles`: 'h' + tile level (1 byte) + index (8 bytes) for hash tiles,
// 'e' + index for entry bundles.
[[nodiscard]] std::string tile_key(bool entries, unsigned tile_level, std::uint64_t index);

struct Db {
  std::unique_ptr<rocksdb::Env> env;  // with injected faults only; outlives db
  std::unique_ptr<rocksdb::DB> db;
  // By Family; nullptr for a family a read-only log (written by an older version) lacks.
  std::vector<rocksdb::ColumnFamilyHandle*> families;

  ~Db();
  // Throws std::runtime_error with the reason (and what to do when the directory is locked).
  // `faults` (tests and benchmarks) puts the database on a file system that fails on command.
  [[nodiscard]] static std::unique_ptr<Db> open(const std::string& directory, bool read_only,
                                                std::shared_ptr<StorageFaults> faults = nullptr);
  [[nodiscard]] std::optional<std::string> get(Family family, const std::string& key,
                                               const rocksdb::ReadOptions& read = rocksdb::ReadOptions()) const;
  // The stored hash of a perfect subtree (level 0: a leaf). Throws when missing.
  [[nodiscard]] Hash perfect(unsigned level, std::uint64_t index) const;
};

// The whole-log verification (VerifyOptions, transfer_log.hpp) over one snapshot.
[[nodiscard]] VerificationReport verify_db(const Db& db, const VerifyOptions& options);

}  // namespace oncegate::log::rocksdb_backend
