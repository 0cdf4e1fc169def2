// Whole-log verification over one RocksDB snapshot; fails closed (VerifyOptions).

#include <unordered_set>
#include <algorithm>

#include "gateway/common/bytes.hpp"
#include "gateway/log/rocksdb/db.hpp"
#include "gateway/log/wire.hpp"

namespace oncegate::log::rocksdb_backend {

namespace {

// Unix milliseconds the log can plausibly hold (1970 .. year 3000); anything else is forged, and
// keeps the verifier's arithmetic far from overflow.
bool plausible_time(std::int64_t ms) { return ms >= 0 && ms <= 32'503'680'000'000; }

}  // namespace

// Fails closed: every record must be vouched for by a signed tree head (or be young enough to
// wait for the next one), every missing record by a signed purge note.
VerificationReport verify_db(const Db& db, const VerifyOptions& given) {
  VerificationReport report;
  const auto fail = [&report](std::string problem) {
    report.first_problem = std::move(problem);
    return report;
  };
  VerifyOptions options = given;
  options.grace_ms = std::clamp<std::int64_t>(options.grace_ms, 0, 86'400'000);
  options.retention_ms = std::clamp<std::int64_t>(options.retention_ms, 0, 100LL * 366 * 86'400'000);
  // One consistent view: a live log keeps appending, purging and issuing heads meanwhile.
  struct Snapshot {
    rocksdb::DB* db;
    const rocksdb::Snapshot* snapshot;
    ~Snapshot() { db->ReleaseSnapshot(snapshot); }
  } snapshot{db.db.get(), db.db->GetSnapshot()};
  rocksdb::ReadOptions read;
  read.snapshot = snapshot.snapshot;
  std::vector<TreeHead> heads;
  {
    std::unique_ptr<rocksdb::Iterator> it(db.db->NewIterator(read, db.families[kHeads]));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      auto head = parse_head(it->value().ToStringView());
      if (!head || head->size != read_be64(it->key().ToStringView()) || !plausible_time(head->time_ms)) {
        return fail("tree head at size " + std::to_string(read_be64(it->key().ToStringView())) + " is unreadable");
      }
      if (!heads.empty() && head->time_ms < heads.back().time_ms) {
        return fail("tree head at size " + std::to_string(head->size) + " is older than the head before it");
      }
      heads.push_back(*head);
    }
  }
  if (heads.empty()) {
    return fail("there is no signed tree head, so nothing vouches for the records (were the heads removed?)");
  }
  const TreeHead& newest = heads.back();

  // Purge notes: signed, respecting the retention period against the signed heads' times, and
  // together one prefix [0, purged_end) of the tree.
  std::uint64_t purged_end = 0;
  {
    std::vector<PurgeNote> notes;
    std::unique_ptr<rocksdb::Iterator> it(db.db->NewIterator(read, db.families[kMeta]));
    for (it->Seek("purge/"); it->Valid() && it->key().starts_with("purge/"); it->Next()) {
      auto note = parse_purge(it->value().ToStringView());
      if (!note) return fail("a purge note is unreadable or unsigned");
      const std::string range = std::to_string(note->first_sequence) + ".." + std::to_string(note->end_sequence);
      if (!options.verify_signature(note->signed_text(), note->signature)) {
        return fail("the purge note for records " + range + " is not signed by the gateway");
      }
      if (!plausible_time(note->time_ms) || !plausible_time(note->cutoff_ms) || note->retention_ms < 0 ||
          note->retention_ms > 100LL * 366 * 86'400'000 || note->end_sequence < note->first_sequence ||
          note->count != note->end_sequence - note->first_sequence) {
        return fail("the purge note for records " + range + " is not self-consistent");
      }
      // Against the retention period the note was made under, which must be at least the one in
      // force, and against the signed heads' time: never younger records.
      if (note->retention_ms < options.retention_ms) {
        return fail("the purge note for records " + range + " was made under a retention period shorter than " +
                    std::to_string(options.retention_ms / 86'400'000) + " days");
      }
      if (note->cutoff_ms + note->retention_ms > std::min(newest.time_ms, note->time_ms)) {
        return fail("the purge note for records " + range + " purged records younger than the retention period");
      }
      notes.push_back(*note);
    }
    std::sort(notes.begin(), notes.end(), [](const PurgeNote& a, const PurgeNote& b) { return a.first_sequence < b.first_sequence; });
    for (const auto& note : notes) {
      if (note.first_sequence != purged_end || note.end_sequence < note.first_sequence) {
        return fail("the purge notes do not cover one prefix of the log (gap or overlap at record " +
                    std::to_string(purged_end) + ")");
      }
      purged_end = note.end_sequence;
    }
    if (purged_end > newest.size) return fail("a purge note names records no signed tree head covers");
  }

  std::size_t next_head = 0;
  Frontier frontier;
  const auto check_heads = [&]() -> bool {
    while (next_head < heads.size() && heads[next_head].size == frontier.size()) {
      const auto& head = heads[next_head];
      if (common::to_hex(frontier.root()) != head.root_hex) {
        report.first_problem = "tree head at size " + std::to_string(head.size) +
                               ": root does not match the records (a record was altered, removed or reordered)";
        return false;
      }
      if (!options.verify_signature(head.signed_text(), head.signature)) {
        report.first_problem = "tree head at size " + std::to_string(head.size) + ": signature does not verify";
        return false;
      }
      ++next_head;
      ++report.heads;
    }
    return true;
  };
  if (!check_heads()) return report;

  std::unique_ptr<rocksdb::Iterator> leaves(db.db->NewIterator(read, db.families[kLeaves]));
  std::unique_ptr<rocksdb::Iterator> records(db.db->NewIterator(read, db.families[kRecords]));
  records->SeekToFirst();
  std::uint64_t expected = 0;
  for (leaves->SeekToFirst(); leaves->Valid(); leaves->Next(), ++expected) {
    const std::uint64_t sequence = read_be64(leaves->key().ToStringView());
    if (sequence != expected) return fail("leaf " + std::to_string(expected) + " is missing");
    const bool present = records->Valid() && read_be64(records->key().ToStringView()) == sequence;
    if (records->Valid() && read_be64(records->key().ToStringView()) < sequence) {
      return fail("record " + std::to_string(read_be64(records->key().ToStringView())) + " has no leaf");
    }
    const Hash leaf = leaves->value().ToString();
    if (sequence < purged_end) {
      if (present) return fail("record " + std::to_string(sequence) + " should have been purged");
      ++report.purged;
    } else {
      if (!present) {
        return fail("record " + std::to_string(sequence) + " is missing, and no signed purge note covers it");
      }
      const std::string bytes = records->value().ToString();
      const auto record = TransferRecord::parse(bytes);
      if (!record || record->sequence != sequence || !plausible_time(record->time_ms)) {
        return fail("record " + std::to_string(sequence) + " is unreadable or names another position");
      }
      if (leaf_hash(bytes) != leaf) return fail("record " + std::to_string(sequence) + " does not match its leaf hash");
      if (sequence >= newest.size && record->time_ms > newest.time_ms + options.grace_ms) {
        return fail("record " + std::to_string(sequence) + " is not under a signed tree head although it was written " +
                    std::to_string((record->time_ms - newest.time_ms) / 1000) +
                    " s after the newest one (grace " + std::to_string(options.grace_ms / 1000) +
                    " s): tree heads may have been removed");
      }
      ++report.records;
    }
    if (present) records->Next();
    // The stored subtree hashes serve the proofs: they must be the ones the leaves give.
    for (const auto& node : frontier.append(leaf)) {
      if (db.get(kNodes, node_key(node.level, node.index), read) != node.hash) {
        return fail("the stored subtree hash " + std::to_string(node.level) + "/" + std::to_string(node.index) +
                    " does not match the leaves (proofs from it would not hold)");
      }
    }
    if (!check_heads()) return report;
  }
  if (records->Valid()) return fail("record " + std::to_string(read_be64(records->key().ToStringView())) + " has no leaf");
  if (next_head < heads.size()) {
    return fail("tree head at size " + std::to_string(heads[next_head].size) +
                " covers records that are missing (the log holds " + std::to_string(frontier.size()) + ")");
  }
  if (purged_end > frontier.size()) return fail("a purge note names records beyond the end of the log");
  const auto stored_size = db.get(kMeta, "size", read);
  if ((stored_size ? read_be64(*stored_size) : 0) != frontier.size()) {
    return fail("the stored tree size does not match the leaves");
  }
  report.ok = true;
  return report;
}

}  // namespace oncegate::log::rocksdb_backend

namespace oncegate::log {

VerificationReport verify_log_directory(const std::string& directory, const VerifyOptions& options) {
  const auto db = rocksdb_backend::Db::open(directory, true);
  return rocksdb_backend::verify_db(*db, options);
}

std::vector<std::string> requests_missing_from_log(const std::string& directory,
                                                   const std::vector<std::string>& request_ids) {
  const auto db = rocksdb_backend::Db::open(directory, true);
  std::unordered_set<std::string> logged;
  std::unique_ptr<rocksdb::Iterator> it(
      db->db->NewIterator(rocksdb::ReadOptions(), db->families[rocksdb_backend::kRecords]));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (const auto record = TransferRecord::parse(it->value().ToStringView())) logged.insert(record->request_uuid);
  }
  std::vector<std::string> missing;
  for (const auto& id : request_ids) {
    if (!logged.contains(id)) missing.push_back(id);
  }
  return missing;
}

}  // namespace oncegate::log
