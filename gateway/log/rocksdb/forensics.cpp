// Forensics and tests only: what someone with write access to a stopped log's database could do.

#include <stdexcept>

#include <rocksdb/write_batch.h>

#include "gateway/common/time.hpp"
#include "gateway/log/rocksdb/db.hpp"
#include "gateway/log/wire.hpp"

namespace oncegate::log {

using namespace rocksdb_backend;
using common::now_ms;

void overwrite_record_for_test(const std::string& directory, std::uint64_t sequence, const std::string& bytes) {
  const auto db = Db::open(directory, false);
  rocksdb::WriteOptions options;
  options.sync = true;
  const auto status = bytes.empty() ? db->db->Delete(options, db->families[kRecords], be64(sequence))
                                    : db->db->Put(options, db->families[kRecords], be64(sequence), bytes);
  if (!status.ok()) throw std::runtime_error(status.ToString());
}

void remove_tree_heads_for_test(const std::string& directory, std::uint64_t from_size) {
  const auto db = Db::open(directory, false);
  rocksdb::WriteOptions options;
  options.sync = true;
  const auto status = db->db->DeleteRange(options, db->families[kHeads], be64(from_size), std::string(9, '\xff'));
  if (!status.ok()) throw std::runtime_error(status.ToString());
}

void forge_purge_for_test(const std::string& directory, std::uint64_t end, const std::string& note_text) {
  const auto db = Db::open(directory, false);
  rocksdb::WriteBatch writes;
  for (std::uint64_t sequence = 0; sequence < end; ++sequence) writes.Delete(db->families[kRecords], be64(sequence));
  PurgeNote note{now_ms(), now_ms(), end, 0, end, 730LL * 86'400'000, {}, note_text};
  writes.Put(db->families[kMeta], "purge/" + be64(end), purge_json(note));
  writes.Put(db->families[kMeta], "purged_below", be64(end));
  rocksdb::WriteOptions options;
  options.sync = true;
  const auto status = db->db->Write(options, &writes);
  if (!status.ok()) throw std::runtime_error(status.ToString());
}

void overwrite_tile_for_test(const std::string& directory, bool entries, unsigned tile_level, std::uint64_t index,
                             const std::string& bytes) {
  const auto db = Db::open(directory, false);
  rocksdb::WriteOptions options;
  options.sync = true;
  const auto status = db->db->Put(options, db->families[kTiles], tile_key(entries, tile_level, index), bytes);
  if (!status.ok()) throw std::runtime_error(status.ToString());
}

void overwrite_head_for_test(const std::string& directory, const TreeHead& head) {
  const auto db = Db::open(directory, false);
  rocksdb::WriteOptions options;
  options.sync = true;
  const auto status = db->db->Put(options, db->families[kHeads], be64(head.size), head_json(head));
  if (!status.ok()) throw std::runtime_error(status.ToString());
}

}  // namespace oncegate::log
