// The RocksDB transfer log: the writer thread (group commit, checkpoints in the same write as a
// batch that is due one, signed purges), queries, proofs and tiles. Storage layout: db.hpp.

#include <pthread.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>

#include "gateway/common/bytes.hpp"
#include "gateway/common/time.hpp"
#include "gateway/crypto/crypto.hpp"
#include "gateway/log/rocksdb/db.hpp"
#include "gateway/log/transfer_log.hpp"
#include "gateway/log/wire.hpp"
#include "gateway/oplog/oplog.hpp"

namespace oncegate::log {

namespace {

using namespace rocksdb_backend;
using common::now_ms;

// A batch this large goes to the disk at once, without the commit window.
constexpr std::size_t kCommitWindowBatch = 32;
// The stored format (meta "format"): 1 is every log written so far. Raise it when a change makes
// a log unreadable for the versions before it.
constexpr std::uint64_t kStoredFormat = 1;

// How much earlier than the head interval the writer issues a time-based head.
constexpr std::int64_t kHeadMarginMs = 250;

// A checkpoint's time is its own timestamped cosignature's: whole seconds, rounded down.
constexpr std::int64_t kCheckpointTimeResolutionMs = 1000;

class RocksDbTransferLog final : public TransferLog {
 public:
  explicit RocksDbTransferLog(const TransferLogOptions& options) : options_(options) {
    if (!options_.identity.key) throw std::runtime_error("transfer log: a log key is required");
    if (!tlog::valid_origin(options_.identity.origin) || options_.identity.origin == "oncegate-purge/v2") {
      throw std::runtime_error("transfer log: the origin '" + options_.identity.origin +
                               "' is not a valid checkpoint origin (non-empty, no spaces, no '+')");
    }
    std::filesystem::create_directories(options_.directory);
    db_ = Db::open(options_.directory, false, options_.faults);
    // The stored format's version: an older oncegate (a rollback) refuses a log a newer one
    // wrote rather than misread it (docs/OPERATIONS.md "Upgrade and rollback").
    if (const auto format = db_->get(kMeta, "format"); format && read_be64(*format) > kStoredFormat) {
      throw std::runtime_error("transfer log '" + options_.directory + "' was written in stored format " +
                               std::to_string(read_be64(*format)) + " by a newer oncegate; this version reads format " +
                               std::to_string(kStoredFormat) + ": install the newer version or restore a backup");
    } else if (!format) {
      rocksdb::WriteOptions write_options;
      write_options.sync = true;
      if (!db_->db->Put(write_options, db_->families[kMeta], "format", be64(kStoredFormat)).ok()) {
        throw std::runtime_error("transfer log '" + options_.directory + "': cannot write to it");
      }
    }
    const auto stored_size = db_->get(kMeta, "size");
    const std::uint64_t size = stored_size ? read_be64(*stored_size) : 0;
    frontier_.restore(size, [this](unsigned level, std::uint64_t index) { return db_->perfect(level, index); });
    size_.store(size);
    // Commitment entries begin where this version first opened the log (0 for a new log).
    if (const auto from = db_->get(kMeta, "entries_from")) {
      entries_from_ = read_be64(*from);
    } else {
      entries_from_ = size;
      rocksdb::WriteOptions write_options;
      write_options.sync = true;
      if (!db_->db->Put(write_options, db_->families[kMeta], "entries_from", be64(size)).ok()) {
        throw std::runtime_error("transfer log '" + options_.directory + "': cannot write to it");
      }
    }
    restore_tile_buffers(size);
    std::unique_ptr<rocksdb::Iterator> it(db_->db->NewIterator(rocksdb::ReadOptions(), db_->families[kHeads]));
    it->SeekToLast();
    if (it->Valid()) latest_head_ = parse_head(it->value().ToStringView());
    if (latest_head_) published_size_.store(latest_head_->size);
    // The newest checkpoint the witnesses vouch for (looking back a bounded way).
    std::size_t looked = 0;
    for (; it->Valid() && looked < 100'000; it->Prev(), ++looked) {
      auto head = parse_head(it->value().ToStringView());
      if (head && head->is_checkpoint() && options_.witnesses.satisfied(*head)) {
        latest_cosigned_ = std::move(head);
        break;
      }
    }
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
        if (!record || record->time_ms > latest_head_->time_ms + options_.head_every_ms + kCheckpointTimeResolutionMs) {
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
    writer_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "oncegate-log");
      run_writer();
    });
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
    bool first;
    {
      std::lock_guard lock(mutex_);
      first = queue_.empty();
      queue_.push_back({std::move(record), std::move(done)});
    }
    // Only the record that starts a batch wakes the writer: it takes all that queue up behind it
    // (it checks the queue again before it waits), so the others need no wake-up of their own.
    if (first) wake_.notify_one();
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

  std::optional<TreeHead> latest_cosigned_head() const override {
    std::lock_guard lock(head_mutex_);
    return latest_cosigned_;
  }

  const LogIdentity& identity() const override { return options_.identity; }
  const WitnessPolicy& witness_policy() const override { return options_.witnesses; }
  std::uint64_t entries_from() const override { return entries_from_; }

  std::size_t add_cosignatures(std::uint64_t size, const std::vector<tlog::SignatureLine>& lines) override {
    std::lock_guard write_lock(cosign_mutex_);  // one read-modify-write of a stored head at a time
    auto stored = db_->get(kHeads, be64(size));
    std::optional<TreeHead> head = stored ? parse_head(*stored) : std::nullopt;
    if (!head || !head->is_checkpoint()) return 0;
    auto note = tlog::parse_note(head->checkpoint);
    if (!note) return 0;
    std::size_t added = 0;
    for (const auto& line : lines) {
      const bool known = std::any_of(options_.witnesses.witnesses.begin(), options_.witnesses.witnesses.end(),
                                     [&](const tlog::VerifierKey& key) { return tlog::verify_signature_line(note->text, line, key); });
      const bool present = std::any_of(note->signatures.begin(), note->signatures.end(), [&](const tlog::SignatureLine& have) {
        return have.name == line.name && have.key_id == line.key_id;
      });
      if (!known || present || note->signatures.size() >= tlog::kMaxNoteSignatures) continue;
      note->signatures.push_back(line);
      ++added;
    }
    if (added == 0) return 0;
    head->checkpoint = note->serialise();
    rocksdb::WriteOptions write_options;
    write_options.sync = options_.sync;
    if (!db_->db->Put(write_options, db_->families[kHeads], be64(size), head_json(*head)).ok()) return 0;
    std::lock_guard lock(head_mutex_);
    if (latest_head_ && latest_head_->size == size) latest_head_ = head;
    if (options_.witnesses.satisfied(*head) && (!latest_cosigned_ || latest_cosigned_->size <= size)) latest_cosigned_ = head;
    return added;
  }

  std::optional<std::string> tile(const tlog::TileRef& ref) const override {
    const auto end = ref.end_leaf();
    if (!end || *end > published_size_.load()) return std::nullopt;
    const std::uint64_t first = ref.index * tlog::kTileWidth;
    if (ref.entries && first < entries_from_) return std::nullopt;
    // A full tile is stored whole once complete: one point read.
    if (ref.width == tlog::kTileWidth) {
      if (auto stored = db_->get(kTiles, tile_key(ref.entries, ref.level, ref.index))) return stored;
    }
    const unsigned level = ref.level * tlog::kTileHeight;
    const Family family = ref.entries ? kEntries : (level == 0 ? kLeaves : kNodes);
    const auto key_of = [&](std::uint64_t index) { return family == kNodes ? node_key(level, index) : be64(index); };
    std::string out;
    out.reserve(ref.width * (ref.entries ? 35 : 32));
    std::unique_ptr<rocksdb::Iterator> it(db_->db->NewIterator(rocksdb::ReadOptions(), db_->families[family]));
    it->Seek(key_of(first));
    for (unsigned i = 0; i < ref.width; ++i, it->Next()) {
      if (!it->Valid() || it->key().ToStringView() != key_of(first + i)) return std::nullopt;  // never half a tile
      const auto value = it->value().ToStringView();
      if (ref.entries) {
        out += static_cast<char>(value.size() >> 8);
        out += static_cast<char>(value.size() & 0xFF);
      }
      out += value;
    }
    return out;
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
    auto head = latest_cosigned_head();
    if (!head || sequence >= head->size) return std::nullopt;
    auto bytes = db_->get(kRecords, be64(sequence));
    if (!bytes) return std::nullopt;
    auto record = TransferRecord::parse(*bytes);
    if (!record) return std::nullopt;
    InclusionProof proof{*record, *bytes, {}, {}, {}, *head, {}};
    if (sequence >= entries_from_) {
      auto salt = db_->get(kSalts, be64(sequence));
      auto entry = db_->get(kEntries, be64(sequence));
      if (!salt || !entry) return std::nullopt;
      proof.salt = std::move(*salt);
      proof.entry = std::move(*entry);
      proof.leaf = leaf_hash(proof.entry);
    } else {
      proof.leaf = leaf_hash(*bytes);
    }
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
    VerifyOptions verify_options;
    verify_options.verify_signature = verify_signature;
    verify_options.log_key = options_.identity.verifier();
    verify_options.witnesses = options_.witnesses;
    verify_options.grace_ms = options_.head_every_ms + kCheckpointTimeResolutionMs;
    verify_options.retention_ms = options_.retention_ms;
    return verify_db(*db_, verify_options);
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
    PurgeNote total{std::max(log_now(), head_time), cutoff_ms, 0, 0, 0, options_.retention_ms, {}, {}};
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
      PurgeNote note{total.time_ms, cutoff_ms, 0, next, next, options_.retention_ms, {}, {}};
      std::unique_ptr<rocksdb::Iterator> it(db_->db->NewIterator(rocksdb::ReadOptions(), db_->families[kRecords]));
      for (it->Seek(be64(next)); it->Valid() && note.count < 10'000; it->Next()) {
        auto record = TransferRecord::parse(it->value().ToStringView());
        // Only records under a signed head, and contiguous from the boundary.
        if (!record || record->time_ms >= cutoff_ms || record->sequence != note.end_sequence ||
            record->sequence >= head->size) {
          break;
        }
        writes.Delete(db_->families[kRecords], it->key());
        writes.Delete(db_->families[kSalts], it->key());  // without it the kept entry links to nothing
        if (!record->pseudonym.empty()) writes.Delete(db_->families[kByPerson], index_key(record->pseudonym, record->sequence));
        if (!record->requester.empty()) writes.Delete(db_->families[kByAuthority], index_key(record->requester, record->sequence));
        note.end_sequence = record->sequence + 1;
        ++note.count;
      }
      if (note.count == 0) break;
      try {
        const std::string text = note.statement_text(options_.identity.origin);
        note.note = tlog::Note{text, {tlog::sign_note_text(text, options_.identity.origin, *options_.identity.key)}}.serialise();
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
        // Under concurrent load (the last batch had company) a few records waiting for the
        // disk wait a moment longer for more: one fsync, one write and one wake-up for many
        // (bench/README.md: ~10 % of the CPU per exchange). A lone request never waits.
        if (options_.commit_window.count() > 0 && last_batch_size_ > 1 && !queue_.empty() &&
            queue_.size() < kCommitWindowBatch && !stopping_) {
          lock.unlock();
          std::this_thread::sleep_for(options_.commit_window);
          lock.lock();
        }
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
      // A log that could not write tries again on every wake-up, with or without traffic, so
      // that /readyz turns ready once the disk has room again and nobody has to restart it.
      if (!last_write_ok_.load()) (void)recover();
      last_batch_size_ = batch.size();
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

  // A checkpoint for the current frontier, dated by the log's clock in whole seconds through the
  // log's own timestamped cosignature (not yet stored).
  TreeHead make_head() {
    const Hash root = frontier_.root();
    std::int64_t time_ms = log_now();
    if (const auto previous = latest_head()) time_ms = std::max(time_ms, previous->time_ms);
    const std::uint64_t seconds = static_cast<std::uint64_t>(time_ms / kCheckpointTimeResolutionMs);
    TreeHead head{frontier_.size(), common::to_hex(root), static_cast<std::int64_t>(seconds) * kCheckpointTimeResolutionMs, {}, {}};
    const std::string text = tlog::Checkpoint{options_.identity.origin, head.size, root}.text();
    const auto& key = *options_.identity.key;
    head.checkpoint = tlog::Note{text, {tlog::sign_note_text(text, options_.identity.origin, key),
                                        tlog::cosign_note_text(text, options_.identity.origin, key, seconds)}}
                          .serialise();
    return head;
  }

  void publish_head(const TreeHead& head) {
    last_head_time_ms_ = head.time_ms;
    published_size_.store(std::max(published_size_.load(), head.size));
    std::lock_guard lock(head_mutex_);
    latest_head_ = head;
    if (options_.witnesses.quorum == 0) latest_cosigned_ = head;
  }

  // Records, their tree nodes and index entries, and (when one is due) the signed head over
  // them, in one atomic write: a crash can never leave records that are due a head without it.
  void write_batch(std::vector<Pending>& batch) {
    const Frontier before = frontier_;
    rocksdb::WriteBatch writes;
    const std::int64_t time = log_now();
    const std::string salts = crypto::random_bytes(kSaltBytes * batch.size());  // one CSPRNG call a batch
    for (std::size_t i = 0; i < batch.size(); ++i) {
      auto& record = batch[i].record;
      record.sequence = frontier_.size();
      record.time_ms = time;
      record.transfer_id = crypto::new_uuid();
      record.format = 2;
      const std::string bytes = record.serialise();
      const std::string_view salt = std::string_view(salts).substr(i * kSaltBytes, kSaltBytes);
      const std::string entry = commitment_entry(salt, bytes);
      const Hash leaf = leaf_hash(entry);
      const std::string key = be64(record.sequence);
      writes.Put(db_->families[kRecords], key, bytes);
      writes.Put(db_->families[kSalts], key, rocksdb::Slice(salt.data(), salt.size()));
      writes.Put(db_->families[kEntries], key, entry);
      writes.Put(db_->families[kLeaves], key, leaf);
      add_to_tile(writes, 0, record.sequence, leaf);
      tiles_.bundle += static_cast<char>(entry.size() >> 8);
      tiles_.bundle += static_cast<char>(entry.size() & 0xFF);
      tiles_.bundle += entry;
      if ((record.sequence + 1) % tlog::kTileWidth == 0) {
        if (record.sequence + 1 - tlog::kTileWidth >= entries_from_) {
          writes.Put(db_->families[kTiles], tile_key(true, 0, record.sequence / tlog::kTileWidth), tiles_.bundle);
        }
        tiles_.bundle.clear();
      }
      for (const auto& node : frontier_.append(leaf)) {
        writes.Put(db_->families[kNodes], node_key(node.level, node.index), node.hash);
        if (node.level % tlog::kTileHeight == 0) add_to_tile(writes, node.level / tlog::kTileHeight, node.index, node.hash);
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
      restore_tile_buffers(before.size());  // from what is stored (failure path only, no copy per batch)
      mark_unwritable(status.ToString());
      for (auto& pending : batch) pending.done(false, 0);
      return;
    }
    size_.store(frontier_.size());
    if (head) publish_head(*head);
    for (auto& pending : batch) pending.done(true, pending.record.sequence);
  }

  // Signs and stores a head for the current frontier; published only once it is on disk (a head
  // that was never stored must not reach a citizen's proof). Returns the newest published head.
  TreeHead write_head() {
    // A checkpoint of that size exists (and may carry cosignatures): it is the answer. Signing
    // another one of the same size would replace the stored one and drop its cosignatures.
    if (const auto latest = latest_head(); latest && latest->size == frontier_.size()) return *latest;
    TreeHead head = make_head();
    rocksdb::WriteOptions write_options;
    write_options.sync = options_.sync;
    const rocksdb::Status status = db_->db->Put(write_options, db_->families[kHeads], be64(head.size), head_json(head));
    if (!status.ok()) {
      mark_unwritable(status.ToString());
      return latest_head().value_or(head);
    }
    publish_head(head);
    return head;
  }

  void mark_unwritable(const std::string& reason) {
    if (last_write_ok_.exchange(false)) {
      oplog::write(oplog::Level::error, "transfer_log_unwritable",
                   {{"reason", reason}, {"effect", "every exchange answers LOG_UNAVAILABLE and releases nothing "
                                                   "until the log can write again"}});
    }
  }

  // After a failed write: clears RocksDB's background error (DB::Resume) and proves the disk
  // takes a synced write again. The tree continues from what is stored, so a batch whose write
  // failed half-way can never leave its sequence numbers taken twice. Writer thread only.
  bool recover() {
    const auto now = std::chrono::steady_clock::now();
    if (now < next_recovery_attempt_) return false;
    next_recovery_attempt_ = now + std::chrono::milliseconds(100);
    if (!db_->db->Resume().ok()) return false;
    rocksdb::WriteOptions write_options;
    write_options.sync = options_.sync;
    const auto stored_size = db_->get(kMeta, "size");
    const std::uint64_t size = stored_size ? read_be64(*stored_size) : 0;
    if (size != frontier_.size()) {
      frontier_.restore(size, [this](unsigned level, std::uint64_t index) { return db_->perfect(level, index); });
      size_.store(size);
      restore_tile_buffers(size);
    }
    if (!db_->db->Put(write_options, db_->families[kMeta], "size", be64(size)).ok()) return false;
    last_write_ok_.store(true);
    oplog::write(oplog::Level::info, "transfer_log_writable", {{"size", static_cast<std::int64_t>(size)}});
    return true;
  }

  // The right edge of each tile level (and of the entry bundles) while it fills: the hashes of the
  // tile not yet complete, so that a complete one is stored whole in the batch that completes it.
  // Writer thread only (and the constructor).
  struct TileBuffers {
    std::array<std::string, 8> hashes;  // tile levels 0..7 (tree levels 0, 8, ..., 56)
    std::string bundle;                 // length-prefixed entries of the current bundle
  };

  // Appends the hash at `index` of tile level `tile_level`; stores the tile it completes.
  void add_to_tile(rocksdb::WriteBatch& writes, unsigned tile_level, std::uint64_t index, const Hash& hash) {
    if (tile_level >= tiles_.hashes.size()) return;
    auto& buffer = tiles_.hashes[tile_level];
    buffer += hash;
    if ((index + 1) % tlog::kTileWidth == 0) {
      writes.Put(db_->families[kTiles], tile_key(false, tile_level, index / tlog::kTileWidth), buffer);
      buffer.clear();
    }
  }

  // Rebuilds the buffers from the stored hashes and entries of a tree of `size` leaves.
  void restore_tile_buffers(std::uint64_t size) {
    tiles_ = TileBuffers{};
    for (unsigned tile_level = 0; tile_level < tiles_.hashes.size(); ++tile_level) {
      const unsigned level = tile_level * tlog::kTileHeight;
      const std::uint64_t count = level >= 64 ? 0 : size >> level;
      for (std::uint64_t i = count / tlog::kTileWidth * tlog::kTileWidth; i < count; ++i) {
        tiles_.hashes[tile_level] += db_->perfect(level, i);
      }
    }
    for (std::uint64_t i = size / tlog::kTileWidth * tlog::kTileWidth; i < size; ++i) {
      const auto entry = db_->get(kEntries, be64(i));
      if (!entry) continue;  // format 1: no bundle for this tile
      tiles_.bundle += static_cast<char>(entry->size() >> 8);
      tiles_.bundle += static_cast<char>(entry->size() & 0xFF);
      tiles_.bundle += *entry;
    }
  }

  TransferLogOptions options_;
  std::unique_ptr<Db> db_;
  TileBuffers tiles_;
  std::atomic<std::uint64_t> published_size_{0};  // the newest published head's size (tiles)
  Frontier frontier_;  // writer thread only (and the constructor)
  // Writer thread only (and the constructor): the log's clock, the newest head's time, and the
  // two clocks at open (see wall_clock_ahead).
  std::int64_t last_time_ms_ = 0;
  std::int64_t last_head_time_ms_ = 0;
  std::int64_t wall_at_open_ms_ = now_ms();
  std::chrono::steady_clock::time_point steady_at_open_ = std::chrono::steady_clock::now();
  bool warned_clock_ = false;
  std::atomic<std::uint64_t> size_{0};
  std::atomic<bool> last_write_ok_{true};  // the latest write reached the disk
  std::chrono::steady_clock::time_point next_recovery_attempt_{};  // writer thread only
  std::size_t last_batch_size_ = 0;  // writer thread only

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Pending> queue_;
  std::vector<std::function<void(const TreeHead&)>> head_requests_;
  std::vector<std::pair<std::int64_t, std::promise<PurgeNote>>> purge_requests_;
  bool stopping_ = false;

  std::uint64_t entries_from_ = 0;  // set in the constructor
  std::mutex cosign_mutex_;
  mutable std::mutex head_mutex_;
  std::optional<TreeHead> latest_head_;
  std::optional<TreeHead> latest_cosigned_;
  std::thread writer_;
};

}  // namespace

TreeHead TransferLog::issue_head() {
  std::promise<TreeHead> promise;
  auto future = promise.get_future();
  request_head([&promise](const TreeHead& head) { promise.set_value(head); });
  return future.get();
}

std::unique_ptr<TransferLog> TransferLog::Open(const TransferLogOptions& options) {
  return std::make_unique<RocksDbTransferLog>(options);
}

}  // namespace oncegate::log
