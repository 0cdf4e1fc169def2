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

// Why a stored checkpoint does not stand (empty when it does): the log key's signature, the log's
// own timestamped cosignature giving its time, and the body naming this log, size and root.
std::string checkpoint_problem(const TreeHead& head, const tlog::VerifierKey& log_key, const tlog::VerifierKey& time_key) {
  const auto note = tlog::parse_note(head.checkpoint);
  if (!note) return "is not a signed note";
  if (tlog::verified_signature(*note, log_key) == nullptr) return "is not signed by the log key " + log_key.vkey();
  const auto* stamp = tlog::verified_signature(*note, time_key);
  if (stamp == nullptr) return "carries no timestamp signed by the log key";
  if (static_cast<std::int64_t>(tlog::cosignature_time(*stamp)) * 1000 != head.time_ms) return "has another time than its signed one";
  const auto body = tlog::parse_checkpoint_text(note->text);
  if (!body || body->origin != log_key.name || body->size != head.size || common::to_hex(body->root) != head.root_hex) {
    return "does not name this log, size and root";
  }
  return {};
}

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
  // Signatures first: a format-1 head (ECDSA, gateway key) may only precede the checkpoints.
  std::uint64_t cosigned_size = 0;
  bool seen_checkpoint = false;
  tlog::VerifierKey time_key;
  if (options.log_key) time_key = tlog::VerifierKey{options.log_key->name, tlog::kTimestampedEd25519, options.log_key->public_key};
  for (const auto& head : heads) {
    const std::string at = "tree head at size " + std::to_string(head.size);
    if (head.is_checkpoint()) {
      if (!options.log_key) return fail(at + " is a checkpoint, and no log key was given to verify it");
      if (const auto problem = checkpoint_problem(head, *options.log_key, time_key); !problem.empty()) {
        return fail("the checkpoint at size " + std::to_string(head.size) + " " + problem);
      }
      seen_checkpoint = true;
      ++report.checkpoints;
      if (options.witnesses.quorum > 0 && options.witnesses.satisfied(head)) {
        ++report.cosigned;
        cosigned_size = std::max(cosigned_size, head.size);
      }
    } else {
      if (seen_checkpoint) return fail(at + " is of the old format but follows a checkpoint (a downgrade)");
      if (!options.verify_signature) return fail(at + " is of format 1, and no gateway certificate was given to verify it");
      if (!options.verify_signature(head.signed_text(), head.signature)) return fail(at + ": signature does not verify");
    }
  }
  const auto stored_from = db.get(kMeta, "entries_from", read);
  const auto stored_size_early = db.get(kMeta, "size", read);
  const std::uint64_t entries_from =
      stored_from ? read_be64(*stored_from) : (stored_size_early ? read_be64(*stored_size_early) : 0);

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
      if (!note->note.empty()) {
        const auto signed_note = tlog::parse_note(note->note);
        if (!options.log_key || !signed_note || tlog::verified_signature(*signed_note, *options.log_key) == nullptr ||
            signed_note->text != note->statement_text(options.log_key->name)) {
          return fail("the purge statement for records " + range + " is not signed by the log key");
        }
      } else if (!options.verify_signature || !options.verify_signature(note->signed_text(), note->signature)) {
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
      // Every head against the one tree recomputed from the leaves: stronger than a consistency
      // proof between successive ones (signatures were checked above).
      if (common::to_hex(frontier.root()) != head.root_hex) {
        report.first_problem = "tree head at size " + std::to_string(head.size) +
                               ": root does not match the records (a record was altered, removed or reordered)";
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
    const bool committed = sequence >= entries_from;  // format 2: the leaf is over a commitment entry
    std::optional<std::string> entry;
    if (committed) {
      entry = db.get(kEntries, be64(sequence), read);
      if (!entry || entry->size() != 33 || (*entry)[0] != '\x01') {
        return fail("the commitment entry of record " + std::to_string(sequence) + " is missing or malformed");
      }
      if (leaf_hash(*entry) != leaf) return fail("the entry of record " + std::to_string(sequence) + " does not match its leaf hash");
      ++report.entries;
    }
    if (sequence < purged_end) {
      if (present) return fail("record " + std::to_string(sequence) + " should have been purged");
      if (committed && db.get(kSalts, be64(sequence), read)) {
        return fail("the salt of purged record " + std::to_string(sequence) + " was kept (it would link the entry)");
      }
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
      if (committed) {
        const auto salt = db.get(kSalts, be64(sequence), read);
        if (!salt || salt->size() != kSaltBytes || record->format != 2) {
          return fail("record " + std::to_string(sequence) + " has no salt, or is not of format 2");
        }
        if (commitment_entry(*salt, bytes) != *entry) {
          return fail("record " + std::to_string(sequence) + " does not match its commitment entry");
        }
      } else if (leaf_hash(bytes) != leaf) {
        return fail("record " + std::to_string(sequence) + " does not match its leaf hash");
      }
      if (options.witnesses.quorum > 0 && sequence >= cosigned_size &&
          record->time_ms + options.grace_ms < newest.time_ms) {
        return fail("record " + std::to_string(sequence) + " is under no checkpoint that " +
                    std::to_string(options.witnesses.quorum) + " witnesses cosigned, although newer checkpoints exist");
      }
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
  // The stored whole tiles are served as they are: each must be the hashes (or entries) it stands for.
  if (db.families[kTiles] != nullptr) {
    std::unique_ptr<rocksdb::Iterator> tiles(db.db->NewIterator(read, db.families[kTiles]));
    for (tiles->SeekToFirst(); tiles->Valid(); tiles->Next()) {
      const auto key = tiles->key().ToStringView();
      const bool entries = !key.empty() && key[0] == 'e';
      const unsigned tile_level = entries || key.size() < 2 ? 0 : static_cast<unsigned char>(key[1]);
      const std::uint64_t index = read_be64(key.substr(entries ? 1 : 2));
      std::string expected;
      for (std::uint64_t i = index * tlog::kTileWidth; i < (index + 1) * tlog::kTileWidth; ++i) {
        if (entries) {
          const auto entry = db.get(kEntries, be64(i), read);
          if (!entry) return fail("the stored entry bundle " + std::to_string(index) + " covers entries that do not exist");
          expected += static_cast<char>(entry->size() >> 8);
          expected += static_cast<char>(entry->size() & 0xFF);
          expected += *entry;
        } else {
          const unsigned level = tile_level * tlog::kTileHeight;
          const auto hash = level == 0 ? db.get(kLeaves, be64(i), read) : db.get(kNodes, node_key(level, i), read);
          if (!hash) return fail("the stored tile " + std::to_string(tile_level) + "/" + std::to_string(index) + " covers hashes that do not exist");
          expected += *hash;
        }
      }
      if (tiles->value().ToStringView() != expected) {
        return fail(std::string("the stored ") + (entries ? "entry bundle " : "tile " + std::to_string(tile_level) + "/") +
                    std::to_string(index) + " does not match the tree (it would be served wrong)");
      }
      ++report.tiles;
    }
  }
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
