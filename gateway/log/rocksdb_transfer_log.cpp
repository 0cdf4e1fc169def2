// The RocksDB transfer log. Column families:
//   records       sequence (8 bytes big-endian) -> canonical record bytes (JSON)
//   leaves        sequence -> leaf hash
//   nodes         level (1 byte) + index (8 bytes) -> hash of the perfect subtree
//   by_person     pseudonym + 0x00 + sequence -> ""   (citizen index, Datencockpit)
//   by_authority  kennung + 0x00 + sequence -> ""     (supervision by requester)
//   heads         tree size (8 bytes) -> signed tree head (JSON)
//   default       "size" -> tree size

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <boost/json.hpp>
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>

#include "gateway/common/bytes.hpp"
#include "gateway/oplog/oplog.hpp"
#include "gateway/common/time.hpp"
#include "gateway/crypto/crypto.hpp"
#include "gateway/log/transfer_log.hpp"

namespace oncegate::log {

namespace json = boost::json;

namespace {

std::string be64(std::uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = static_cast<char>(v & 0xFF);
    v >>= 8;
  }
  return out;
}

std::uint64_t read_be64(std::string_view s) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8 && i < s.size(); ++i) v = (v << 8) | static_cast<unsigned char>(s[i]);
  return v;
}

// How much earlier than the head interval the writer issues a time-based head.
constexpr std::int64_t kHeadMarginMs = 250;

std::string node_key(unsigned level, std::uint64_t index) { return std::string(1, static_cast<char>(level)) + be64(index); }

std::string index_key(const std::string& prefix, std::uint64_t sequence) {
  return prefix + std::string(1, '\0') + be64(sequence);
}

using common::now_ms;

std::string head_json(const TreeHead& head) {
  json::object o;
  o["size"] = head.size;
  o["root"] = head.root_hex;
  o["time_ms"] = head.time_ms;
  o["signature"] = head.signature;
  return json::serialize(o);
}

std::optional<TreeHead> parse_head(std::string_view bytes) {
  boost::system::error_code ec;
  const json::value v = json::parse(bytes, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const auto& o = v.as_object();
  try {
    return TreeHead{json::value_to<std::uint64_t>(o.at("size")), json::value_to<std::string>(o.at("root")),
                    json::value_to<std::int64_t>(o.at("time_ms")), json::value_to<std::string>(o.at("signature"))};
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::string purge_json(const PurgeNote& note) {
  json::object o;
  o["time_ms"] = note.time_ms;
  o["cutoff_ms"] = note.cutoff_ms;
  o["count"] = note.count;
  o["first_sequence"] = note.first_sequence;
  o["end_sequence"] = note.end_sequence;
  o["retention_ms"] = note.retention_ms;
  o["signature"] = note.signature;
  return json::serialize(o);
}

std::optional<PurgeNote> parse_purge(std::string_view bytes) {
  boost::system::error_code ec;
  const json::value v = json::parse(bytes, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const auto& o = v.as_object();
  try {
    return PurgeNote{json::value_to<std::int64_t>(o.at("time_ms")), json::value_to<std::int64_t>(o.at("cutoff_ms")),
                     json::value_to<std::uint64_t>(o.at("count")), json::value_to<std::uint64_t>(o.at("first_sequence")),
                     json::value_to<std::uint64_t>(o.at("end_sequence")), json::value_to<std::int64_t>(o.at("retention_ms")),
                     json::value_to<std::string>(o.at("signature"))};
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

const std::vector<std::string>& family_names() {
  static const std::vector<std::string> names{rocksdb::kDefaultColumnFamilyName, "records", "leaves", "nodes",
                                              "by_person", "by_authority", "heads"};
  return names;
}

enum Family { kMeta = 0, kRecords, kLeaves, kNodes, kByPerson, kByAuthority, kHeads };

struct Db {
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> families;

  ~Db() {
    for (auto* handle : families) {
      if (db && handle != nullptr) (void)db->DestroyColumnFamilyHandle(handle);
    }
  }

  static std::unique_ptr<Db> open(const std::string& directory, bool read_only) {
    auto out = std::make_unique<Db>();
    rocksdb::DBOptions options;
    options.create_if_missing = !read_only;
    options.create_missing_column_families = !read_only;
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    for (const auto& name : family_names()) descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
    rocksdb::DB* raw = nullptr;
    const rocksdb::Status status =
        read_only ? rocksdb::DB::OpenForReadOnly(options, directory, descriptors, &out->families, &raw)
                  : rocksdb::DB::Open(options, directory, descriptors, &out->families, &raw);
    if (!status.ok()) {
      const bool locked = status.ToString().find("lock") != std::string::npos;
      throw std::runtime_error("transfer log '" + directory + "': " + status.ToString() +
                               (locked ? " (another oncegate process uses this data directory: stop it first, or "
                                         "give this one its own gateway.data_dir)"
                                       : ""));
    }
    out->db.reset(raw);
    return out;
  }

  std::optional<std::string> get(Family family, const std::string& key,
                                 const rocksdb::ReadOptions& read = rocksdb::ReadOptions()) const {
    std::string value;
    const auto status = db->Get(read, families[family], key, &value);
    if (!status.ok()) return std::nullopt;
    return value;
  }

  Hash perfect(unsigned level, std::uint64_t index) const {
    auto value = level == 0 ? get(kLeaves, be64(index)) : get(kNodes, node_key(level, index));
    if (!value) throw std::runtime_error("transfer log: subtree " + std::to_string(level) + "/" + std::to_string(index) + " missing");
    return *value;
  }
};

// Fails closed: every record must be vouched for by a signed tree head (or be young enough to
// wait for the next one), every missing record by a signed purge note.
// Unix milliseconds the log can plausibly hold (1970 .. year 3000); anything else is forged, and
// keeps the verifier's arithmetic far from overflow.
bool plausible_time(std::int64_t ms) { return ms >= 0 && ms <= 32'503'680'000'000; }

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

class RocksDbTransferLog final : public TransferLog {
 public:
  explicit RocksDbTransferLog(const TransferLogOptions& options) : options_(options) {
    if (!options_.sign_head) throw std::runtime_error("transfer log: a tree-head signer is required");
    std::filesystem::create_directories(options_.directory);
    db_ = Db::open(options_.directory, false);
    const auto stored_size = db_->get(kMeta, "size");
    const std::uint64_t size = stored_size ? read_be64(*stored_size) : 0;
    frontier_.restore(size, [this](unsigned level, std::uint64_t index) { return db_->perfect(level, index); });
    size_.store(size);
    std::unique_ptr<rocksdb::Iterator> it(db_->db->NewIterator(rocksdb::ReadOptions(), db_->families[kHeads]));
    it->SeekToLast();
    if (it->Valid()) latest_head_ = parse_head(it->value().ToStringView());
    it.reset();
    if (!latest_head_) {
      if (size > 0) {
        throw std::runtime_error("transfer log '" + options_.directory + "' holds " + std::to_string(size) +
                                 " records but no signed tree head, so nothing vouches for them (were the heads "
                                 "removed?); the gateway does not sign over it. Check it with oncegate-logverify and "
                                 "restore a backup");
      }
      (void)write_head();  // a new log starts vouched for: size 0
    } else if (latest_head_->size > size || [&] {
                 Frontier at_head;
                 at_head.restore(latest_head_->size,
                                 [this](unsigned level, std::uint64_t index) { return db_->perfect(level, index); });
                 return common::to_hex(at_head.root()) != latest_head_->root_hex;
               }()) {
      throw std::runtime_error("transfer log '" + options_.directory + "': the newest signed tree head (size " +
                               std::to_string(latest_head_->size) +
                               ") does not match the stored tree; the log was altered. Check it with "
                               "oncegate-logverify and restore a backup");
    } else {
      // Records beyond the newest head can only be the last moments before a crash (a head goes
      // into the same write as any batch that is due one). Older ones mean heads were removed:
      // signing a head over them would launder whatever was done to them.
      last_time_ms_ = latest_head_->time_ms;
      std::unique_ptr<rocksdb::Iterator> beyond(db_->db->NewIterator(rocksdb::ReadOptions(), db_->families[kRecords]));
      for (beyond->Seek(be64(latest_head_->size)); beyond->Valid(); beyond->Next()) {
        const auto record = TransferRecord::parse(beyond->value().ToStringView());
        if (!record || record->time_ms > latest_head_->time_ms + options_.head_every_ms) {
          throw std::runtime_error("transfer log '" + options_.directory + "': record " +
                                   std::to_string(read_be64(beyond->key().ToStringView())) +
                                   " stands beyond the newest signed tree head by more than one head interval "
                                   "(were heads removed?); the gateway does not sign over it. Check it with "
                                   "oncegate-logverify and restore a backup");
        }
        last_time_ms_ = std::max(last_time_ms_, record->time_ms);
      }
    }
    last_head_time_ms_ = latest_head_ ? latest_head_->time_ms : 0;
    writer_ = std::thread([this] { run_writer(); });
  }

  ~RocksDbTransferLog() override {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    writer_.join();
  }

  void append(TransferRecord record, AppendDone done) override {
    {
      std::lock_guard lock(mutex_);
      queue_.push_back({std::move(record), std::move(done)});
    }
    wake_.notify_one();
  }

  void request_head(std::function<void(const TreeHead&)> done) override {
    {
      std::lock_guard lock(mutex_);
      head_requests_.push_back(std::move(done));
    }
    wake_.notify_one();
  }

  std::optional<TreeHead> latest_head() const override {
    std::lock_guard lock(head_mutex_);
    return latest_head_;
  }

  std::uint64_t size() const override { return size_.load(); }

  bool writable() const override { return last_write_ok_.load(); }

  std::size_t queue_depth() const override {
    std::lock_guard lock(mutex_);
    return queue_.size();
  }

  Page by_person(const std::string& pseudonym, std::int64_t from_ms, std::int64_t to_ms, std::size_t limit,
                 std::optional<std::uint64_t> before) const override {
    return scan(kByPerson, pseudonym, from_ms, to_ms, limit, before);
  }

  Page by_authority(const std::string& kennung, std::int64_t from_ms, std::int64_t to_ms, std::size_t limit,
                    std::optional<std::uint64_t> before) const override {
    return scan(kByAuthority, kennung, from_ms, to_ms, limit, before);
  }

  std::optional<InclusionProof> prove(std::uint64_t sequence) const override {
    auto head = latest_head();
    if (!head || sequence >= head->size) return std::nullopt;
    auto bytes = db_->get(kRecords, be64(sequence));
    if (!bytes) return std::nullopt;
    auto record = TransferRecord::parse(*bytes);
    if (!record) return std::nullopt;
    InclusionProof proof{*record, leaf_hash(*bytes), *head, {}};
    proof.path = inclusion_proof(sequence, head->size,
                                 [this](unsigned level, std::uint64_t index) { return db_->perfect(level, index); });
    return proof;
  }

  std::vector<Hash> consistency(std::uint64_t old_size, std::uint64_t new_size) const override {
    if (new_size > size()) throw std::out_of_range("tree size beyond the log");
    return consistency_proof(old_size, new_size,
                             [this](unsigned level, std::uint64_t index) { return db_->perfect(level, index); });
  }

  VerificationReport verify(const HeadVerifier& verify_signature) const override {
    return verify_db(*db_, VerifyOptions{verify_signature, options_.head_every_ms, options_.retention_ms});
  }

  void backup(const std::string& directory) const override {
    rocksdb::Checkpoint* raw = nullptr;
    auto status = rocksdb::Checkpoint::Create(db_->db.get(), &raw);
    std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
    if (status.ok()) status = checkpoint->CreateCheckpoint(directory);
    if (!status.ok()) throw std::runtime_error("transfer log backup to '" + directory + "': " + status.ToString());
  }

  PurgeNote purge_older_than(std::int64_t cutoff_ms) override {
    std::promise<PurgeNote> promise;
    auto future = promise.get_future();
    {
      std::lock_guard lock(mutex_);
      purge_requests_.emplace_back(cutoff_ms, std::move(promise));
    }
    wake_.notify_one();
    return future.get();
  }

  std::vector<PurgeNote> purges() const override {
    std::vector<PurgeNote> out;
    std::unique_ptr<rocksdb::Iterator> it(db_->db->NewIterator(rocksdb::ReadOptions(), db_->families[kMeta]));
    for (it->Seek("purge/"); it->Valid() && it->key().starts_with("purge/"); it->Next()) {
      if (auto note = parse_purge(it->value().ToStringView())) out.push_back(*note);
    }
    return out;
  }

 private:
  struct Pending {
    TransferRecord record;
    AppendDone done;
  };

  Page scan(Family family, const std::string& prefix, std::int64_t from_ms, std::int64_t to_ms, std::size_t limit,
            std::optional<std::uint64_t> before) const {
    Page page;
    if (prefix.empty() || limit == 0) return page;
    const std::string start = index_key(prefix, before.value_or(UINT64_MAX));
    const std::string lower = prefix + std::string(1, '\0');
    std::unique_ptr<rocksdb::Iterator> it(db_->db->NewIterator(rocksdb::ReadOptions(), db_->families[family]));
    it->SeekForPrev(start);
    if (before && it->Valid() && it->key().ToStringView() == start) it->Prev();  // `before` is exclusive
    for (; it->Valid(); it->Prev()) {
      const auto key = it->key().ToStringView();
      if (key.size() != lower.size() + 8 || !key.starts_with(lower)) break;
      const std::uint64_t sequence = read_be64(key.substr(lower.size()));
      auto bytes = db_->get(kRecords, be64(sequence));
      if (!bytes) continue;  // purged
      auto record = TransferRecord::parse(*bytes);
      if (!record) continue;
      if (record->time_ms > to_ms) continue;
      if (record->time_ms < from_ms) break;  // sequences grow with time
      if (page.records.size() == limit) {
        page.next_before = page.records.back().sequence;
        break;
      }
      page.records.push_back(std::move(*record));
    }
    return page;
  }

  // The log's clock: the wall clock, but never backwards (a step back would put a head before
  // the one it follows). Writer thread only.
  std::int64_t log_now() {
    last_time_ms_ = std::max(last_time_ms_, now_ms());
    return last_time_ms_;
  }

  // True when the wall clock has run ahead of the monotonic clock since the log opened by more
  // than an hour (a clock set wrong, or a VM resumed from suspend): retention purges wait, since
  // a premature deletion cannot be undone and a late one can.
  bool wall_clock_ahead() const {
    const auto steady_elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::steady_clock::now() - steady_at_open_).count();
    return now_ms() > wall_at_open_ms_ + steady_elapsed + 3'600'000;
  }

  // Purges in chunks, oldest first; each chunk is one atomic, synced write together with its
  // signed purge note, so no record ever disappears without a note that vouches for it. The
  // cutoff is bounded by the retention period before the newest signed head, and nothing is
  // purged while the wall clock runs ahead of the monotonic one.
  PurgeNote purge(std::int64_t requested_cutoff_ms) {
    const auto head = latest_head();
    const std::int64_t head_time = head ? head->time_ms : 0;
    const std::int64_t cutoff_ms = std::min(requested_cutoff_ms, head_time - options_.retention_ms);
    PurgeNote total{std::max(log_now(), head_time), cutoff_ms, 0, 0, 0, options_.retention_ms, {}};
    const auto stored = db_->get(kMeta, "purged_below");
    std::uint64_t next = stored ? read_be64(*stored) : 0;
    total.first_sequence = next;
    total.end_sequence = next;
    if (!head) return total;
    if (wall_clock_ahead()) {
      if (!warned_clock_) {
        oplog::write(oplog::Level::warn, "retention_purge_postponed",
                     {{"reason", "the wall clock ran ahead of the monotonic clock since start; purges wait until the "
                                 "next start"}});
        warned_clock_ = true;
      }
      return total;
    }
    for (;;) {
      rocksdb::WriteBatch writes;
      PurgeNote note{total.time_ms, cutoff_ms, 0, next, next, options_.retention_ms, {}};
      std::unique_ptr<rocksdb::Iterator> it(db_->db->NewIterator(rocksdb::ReadOptions(), db_->families[kRecords]));
      for (it->Seek(be64(next)); it->Valid() && note.count < 10'000; it->Next()) {
        auto record = TransferRecord::parse(it->value().ToStringView());
        // Only records under a signed head, and contiguous from the boundary.
        if (!record || record->time_ms >= cutoff_ms || record->sequence != note.end_sequence ||
            record->sequence >= head->size) {
          break;
        }
        writes.Delete(db_->families[kRecords], it->key());
        if (!record->pseudonym.empty()) writes.Delete(db_->families[kByPerson], index_key(record->pseudonym, record->sequence));
        if (!record->requester.empty()) writes.Delete(db_->families[kByAuthority], index_key(record->requester, record->sequence));
        note.end_sequence = record->sequence + 1;
        ++note.count;
      }
      if (note.count == 0) break;
      try {
        note.signature = options_.sign_head(note.signed_text());
      } catch (const std::exception&) {
        break;  // no signature, no purge
      }
      writes.Put(db_->families[kMeta], "purge/" + be64(note.end_sequence), purge_json(note));
      writes.Put(db_->families[kMeta], "purged_below", be64(note.end_sequence));
      rocksdb::WriteOptions options;
      options.sync = options_.sync;
      if (!db_->db->Write(options, &writes).ok()) break;
      total.count += note.count;
      next = note.end_sequence;
    }
    total.end_sequence = next;
    return total;
  }

  // A head is due after head_every_records, or a little before head_every_ms (by the writer's
  // wake-up period and one fsync) so that every record is under a head within one interval.
  bool head_due(std::uint64_t size) const {
    const std::uint64_t headed = latest_head() ? latest_head()->size : 0;
    return size > headed && (size - headed >= options_.head_every_records ||
                             now_ms() - last_head_time_ms_ >= options_.head_every_ms - kHeadMarginMs);
  }

  void run_writer() {
    std::int64_t next_purge_check = 0;
    for (;;) {
      std::vector<Pending> batch;
      std::vector<std::function<void(const TreeHead&)>> head_requests;
      std::vector<std::pair<std::int64_t, std::promise<PurgeNote>>> purge_requests;
      {
        std::unique_lock lock(mutex_);
        wake_.wait_for(lock, std::chrono::milliseconds(200), [&] {
          return stopping_ || !queue_.empty() || !head_requests_.empty() || !purge_requests_.empty();
        });
        while (!queue_.empty() && batch.size() < options_.max_batch) {
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
        if (queue_.empty()) head_requests.swap(head_requests_);
        purge_requests.swap(purge_requests_);
        if (stopping_ && batch.empty() && queue_.empty() && head_requests.empty() && purge_requests.empty()) {
          lock.unlock();
          // Every record gets under a signed head before the log closes.
          if (frontier_.size() > (latest_head() ? latest_head()->size : 0)) (void)write_head();
          return;
        }
      }
      if (!batch.empty()) write_batch(batch);
      for (auto& [cutoff, promise] : purge_requests) promise.set_value(purge(cutoff));
      if (now_ms() >= next_purge_check) {
        (void)purge(now_ms() - options_.retention_ms);
        next_purge_check = now_ms() + options_.purge_check_ms;
      }
      if (!head_requests.empty() || head_due(frontier_.size())) {
        TreeHead head = write_head();
        for (auto& request : head_requests) request(head);
      }
    }
  }

  // A signed head for the current frontier, dated by the log's clock (not yet stored).
  TreeHead make_head() {
    TreeHead head{frontier_.size(), common::to_hex(frontier_.root()), log_now(), {}};
    if (const auto previous = latest_head()) head.time_ms = std::max(head.time_ms, previous->time_ms);
    head.signature = options_.sign_head(head.signed_text());
    return head;
  }

  void publish_head(const TreeHead& head) {
    last_head_time_ms_ = head.time_ms;
    std::lock_guard lock(head_mutex_);
    latest_head_ = head;
  }

  // Records, their tree nodes and index entries, and (when one is due) the signed head over
  // them, in one atomic write: a crash can never leave records that are due a head without it.
  void write_batch(std::vector<Pending>& batch) {
    const Frontier before = frontier_;
    rocksdb::WriteBatch writes;
    const std::int64_t time = log_now();
    for (auto& pending : batch) {
      auto& record = pending.record;
      record.sequence = frontier_.size();
      record.time_ms = time;
      record.transfer_id = crypto::new_uuid();
      const std::string bytes = record.serialise();
      const Hash leaf = leaf_hash(bytes);
      const std::string key = be64(record.sequence);
      writes.Put(db_->families[kRecords], key, bytes);
      writes.Put(db_->families[kLeaves], key, leaf);
      for (const auto& node : frontier_.append(leaf)) {
        writes.Put(db_->families[kNodes], node_key(node.level, node.index), node.hash);
      }
      if (!record.pseudonym.empty()) writes.Put(db_->families[kByPerson], index_key(record.pseudonym, record.sequence), "");
      if (!record.requester.empty()) writes.Put(db_->families[kByAuthority], index_key(record.requester, record.sequence), "");
    }
    writes.Put(db_->families[kMeta], "size", be64(frontier_.size()));
    std::optional<TreeHead> head;
    if (head_due(frontier_.size())) {
      try {
        head = make_head();
        writes.Put(db_->families[kHeads], be64(head->size), head_json(*head));
      } catch (const std::exception&) {
        head.reset();  // signing failed: the records go, the head follows when it can be signed
      }
    }
    rocksdb::WriteOptions write_options;
    write_options.sync = options_.sync;
    const rocksdb::Status status = db_->db->Write(write_options, &writes);
    if (!status.ok()) {
      frontier_ = before;  // nothing of the batch is in the tree
      last_write_ok_.store(false);
      for (auto& pending : batch) pending.done(false, 0);
      return;
    }
    last_write_ok_.store(true);
    size_.store(frontier_.size());
    if (head) publish_head(*head);
    for (auto& pending : batch) pending.done(true, pending.record.sequence);
  }

  TreeHead write_head() {
    TreeHead head = make_head();
    rocksdb::WriteOptions write_options;
    write_options.sync = options_.sync;
    (void)db_->db->Put(write_options, db_->families[kHeads], be64(head.size), head_json(head));
    publish_head(head);
    return head;
  }

  TransferLogOptions options_;
  std::unique_ptr<Db> db_;
  Frontier frontier_;  // writer thread only (and the constructor)
  // Writer thread only (and the constructor): the log's clock, the newest head's time, and the
  // two clocks at open (see wall_clock_ahead).
  std::int64_t last_time_ms_ = 0;
  std::int64_t last_head_time_ms_ = 0;
  std::int64_t wall_at_open_ms_ = now_ms();
  std::chrono::steady_clock::time_point steady_at_open_ = std::chrono::steady_clock::now();
  bool warned_clock_ = false;
  std::atomic<std::uint64_t> size_{0};
  std::atomic<bool> last_write_ok_{true};  // the latest batch reached the disk

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Pending> queue_;
  std::vector<std::function<void(const TreeHead&)>> head_requests_;
  std::vector<std::pair<std::int64_t, std::promise<PurgeNote>>> purge_requests_;
  bool stopping_ = false;

  mutable std::mutex head_mutex_;
  std::optional<TreeHead> latest_head_;
  std::thread writer_;
};

}  // namespace

std::string TransferRecord::serialise() const {
  json::object o;
  o["v"] = 1;
  o["seq"] = sequence;
  o["time_ms"] = time_ms;
  o["transfer_id"] = transfer_id;
  o["request_uuid"] = request_uuid;
  o["requester"] = requester;
  o["register_adapter"] = register_adapter;
  o["register_name"] = register_name;
  o["evidence_type"] = evidence_type;
  o["purpose"] = purpose;
  o["legal_basis"] = legal_basis;
  o["permission_rule"] = permission_rule;
  o["outcome"] = outcome;
  o["code"] = code;
  o["answer_digest"] = answer_digest;
  o["latency_us"] = latency_us;
  o["pseudonym"] = pseudonym;
  return json::serialize(o);
}

std::optional<TransferRecord> TransferRecord::parse(std::string_view bytes) {
  boost::system::error_code ec;
  const json::value v = json::parse(bytes, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const auto& o = v.as_object();
  try {
    TransferRecord r;
    r.sequence = json::value_to<std::uint64_t>(o.at("seq"));
    r.time_ms = json::value_to<std::int64_t>(o.at("time_ms"));
    r.transfer_id = json::value_to<std::string>(o.at("transfer_id"));
    r.request_uuid = json::value_to<std::string>(o.at("request_uuid"));
    r.requester = json::value_to<std::string>(o.at("requester"));
    r.register_adapter = json::value_to<std::string>(o.at("register_adapter"));
    r.register_name = json::value_to<std::string>(o.at("register_name"));
    r.evidence_type = json::value_to<std::string>(o.at("evidence_type"));
    r.purpose = json::value_to<std::string>(o.at("purpose"));
    r.legal_basis = json::value_to<std::string>(o.at("legal_basis"));
    r.permission_rule = json::value_to<std::string>(o.at("permission_rule"));
    r.outcome = json::value_to<std::string>(o.at("outcome"));
    r.code = json::value_to<std::string>(o.at("code"));
    r.answer_digest = json::value_to<std::string>(o.at("answer_digest"));
    r.latency_us = json::value_to<std::uint32_t>(o.at("latency_us"));
    r.pseudonym = json::value_to<std::string>(o.at("pseudonym"));
    return r;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

TreeHead TransferLog::issue_head() {
  std::promise<TreeHead> promise;
  auto future = promise.get_future();
  request_head([&promise](const TreeHead& head) { promise.set_value(head); });
  return future.get();
}

std::string PurgeNote::signed_text() const {
  return "oncegate-purge-v1\n" + std::to_string(first_sequence) + "\n" + std::to_string(end_sequence) + "\n" +
         std::to_string(cutoff_ms) + "\n" + std::to_string(time_ms) + "\n" + std::to_string(retention_ms) + "\n";
}

std::string TreeHead::signed_text() const {
  return "oncegate-tree-head-v1\n" + std::to_string(size) + "\n" + root_hex + "\n" + std::to_string(time_ms) + "\n";
}

std::unique_ptr<TransferLog> TransferLog::Open(const TransferLogOptions& options) {
  return std::make_unique<RocksDbTransferLog>(options);
}

VerificationReport verify_log_directory(const std::string& directory, const VerifyOptions& options) {
  const auto db = Db::open(directory, true);
  return verify_db(*db, options);
}

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

void forge_purge_for_test(const std::string& directory, std::uint64_t end, const std::string& signature) {
  const auto db = Db::open(directory, false);
  rocksdb::WriteBatch writes;
  for (std::uint64_t sequence = 0; sequence < end; ++sequence) writes.Delete(db->families[kRecords], be64(sequence));
  PurgeNote note{now_ms(), now_ms(), end, 0, end, 730LL * 86'400'000, signature};
  writes.Put(db->families[kMeta], "purge/" + be64(end), purge_json(note));
  writes.Put(db->families[kMeta], "purged_below", be64(end));
  rocksdb::WriteOptions options;
  options.sync = true;
  const auto status = db->db->Write(options, &writes);
  if (!status.ok()) throw std::runtime_error(status.ToString());
}

std::string pseudonym(const std::string& secret, const std::string& idnr) {
  return common::to_hex(crypto::hmac_sha256(secret, idnr));
}

}  // namespace oncegate::log
