#pragma once
// The transfer log (IDNrG § 9): every transfer that uses an IDNr, recorded durably and
// tamper-evidently, data-minimised. The RocksDB implementation is the only code in the project
// that includes RocksDB.
//
// Thread safety: all members may be called from any thread. append() never blocks the caller:
// records are queued and written by the log's own writer thread, many per fsync (group commit);
// the completion runs on the writer thread once the record is on disk.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/crypto/ed25519.hpp"
#include "gateway/log/storage_faults.hpp"
#include "gateway/tlog/checkpoint.hpp"
#include "gateway/tlog/merkle.hpp"
#include "gateway/tlog/note.hpp"

namespace oncegate::log {

using tlog::consistency_proof;
using tlog::Frontier;
using tlog::Hash;
using tlog::inclusion_proof;
using tlog::leaf_hash;
using tlog::verify_consistency;
using tlog::verify_inclusion;

// What a transfer record holds (brief: "What a transfer record holds"). No evidence content, no
// names, no addresses: the person appears only as a keyed pseudonym of the IDNr. The record stays
// in the gateway; the published tree holds only a salted commitment to it (wire.hpp).
struct TransferRecord {
  std::uint64_t sequence = 0;      // leaf index in the Merkle tree; assigned by the log
  std::int64_t time_ms = 0;        // Unix time of the decision, milliseconds
  std::string transfer_id;         // UUID the log assigns
  std::string request_uuid;        // nachrichtenUUID of the request (may be empty if unreadable)
  std::string requester;           // authority kennung (empty when not authenticated)
  std::string register_adapter;    // adapter name (empty when not routed)
  std::string register_name;       // human-readable register name
  std::string evidence_type;
  std::string purpose;
  std::string legal_basis;
  std::string permission_rule;     // id of the rule that allowed it (empty when refused earlier)
  std::string outcome;             // delivered / denied / not_found / register_failed / invalid
  std::string code;                // error code; empty when delivered
  std::string answer_digest;       // base64 SHA-256 of the answer sent (delivered evidence is in it)
  std::uint32_t latency_us = 0;
  std::string pseudonym;           // hex HMAC-SHA-256(IDNr) with the gateway secret; empty if no IDNr
  // Format 2 on: the data fields the answer carried (names, never values), and from when the
  // citizen sees the transfer (0: at once; a later date for transfers that must stay hidden for a
  // while, e.g. for an investigation). Later fields are added the same way: optional in parse().
  std::vector<std::string> data_fields;
  std::int64_t visible_from_ms = 0;
  std::string withholding_basis;   // why the citizen does not see it yet (or ever); empty: shown at once
  int format = 2;                  // 1: written before commitments (leaf over the record itself)

  // The canonical bytes that are committed to (stable field order, JSON; format 2).
  [[nodiscard]] std::string serialise() const;
  [[nodiscard]] static std::optional<TransferRecord> parse(std::string_view bytes);
};

// A signed tree head. Since format 2 it is a C2SP checkpoint (signed note) signed by the log's
// Ed25519 key, with the log's own timestamped cosignature giving its time (whole seconds) and the
// witnesses' cosignatures as they arrive. Heads of format 1 (before issue 15) carry an ECDSA
// signature by the gateway key over signed_text() and are still verified as such.
struct TreeHead {
  std::uint64_t size = 0;
  std::string root_hex;
  std::int64_t time_ms = 0;
  std::string signature;   // format 1: base64, over signed_text(); empty for checkpoints
  std::string checkpoint;  // format 2: the signed note, every signature line included

  [[nodiscard]] bool is_checkpoint() const noexcept { return !checkpoint.empty(); }
  [[nodiscard]] std::string signed_text() const;  // format 1: "oncegate-tree-head-v1\n<size>\n<root>\n<time>\n"
};

// Verifies what format-1 logs were signed with (the gateway's ECDSA key): old heads and purge notes.
using HeadVerifier = std::function<bool(const std::string& text, const std::string& sig)>;

// The log's identity: its origin line and its long-lived Ed25519 key. A new key is a new log (a
// new origin): witnesses pin a key per origin.
struct LogIdentity {
  std::string origin;                              // e.g. oncegate.example/log/niedersachsen-1
  std::shared_ptr<const crypto::Ed25519Key> key;   // signs checkpoints and purge statements
  [[nodiscard]] tlog::VerifierKey verifier() const;       // the note key (0x01), vkey published
  [[nodiscard]] tlog::VerifierKey time_verifier() const;  // its timestamped cosignature key (0x04)
};

// Who must have cosigned a checkpoint before citizens and auditors rely on it.
struct WitnessPolicy {
  std::vector<tlog::VerifierKey> witnesses;  // timestamped Ed25519 (0x04) keys
  std::size_t quorum = 0;                    // 0: the log's own signature suffices
  // How many distinct policy witnesses cosigned this checkpoint (verified).
  [[nodiscard]] std::size_t cosigners(const TreeHead& head) const;
  [[nodiscard]] bool satisfied(const TreeHead& head) const { return cosigners(head) >= quorum; }
};

// How strictly a log is verified. The verifier fails closed: no signed tree head, records newer
// than the newest head by more than `grace_ms`, a head whose size, root or signature does not
// match, or a record missing below a boundary that no signed purge note covers, each fail it.
struct VerifyOptions {
  HeadVerifier verify_signature;  // format-1 heads and purge notes (the gateway's ECDSA key)
  std::optional<tlog::VerifierKey> log_key;  // checkpoints and purge statements (format 2)
  // With a quorum: every record older than the grace must be under a checkpoint the policy's
  // witnesses cosigned.
  WitnessPolicy witnesses;
  // Records may stand beyond the newest signed head for this long after it (a crash before the
  // next head; a checkpoint's time is in whole seconds). The writer issues a head within one head
  // interval of any record. Default 10 s.
  std::int64_t grace_ms = 10'000;
  // The retention period in force: a purge note must have been made under at least this period
  // and must not purge records younger than its own period, measured against the signed heads'
  // times. Default 730 days.
  std::int64_t retention_ms = 730LL * 24 * 3600 * 1000;
};

struct TransferLogOptions {
  std::string directory;            // created if missing. Required.
  bool sync = true;                 // fsync the WAL before completing appends. Default true.
  std::size_t max_batch = 512;      // records per write batch (one fsync). Default 512.
  // With sync and concurrent load, how long a small batch waits for more records before it goes
  // to the disk (fewer fsyncs and wake-ups per record). A lone record never waits. Default 1 ms.
  std::chrono::microseconds commit_window{1000};
  LogIdentity identity;              // origin and Ed25519 key. Required.
  WitnessPolicy witnesses;          // which cosignatures make a checkpoint count (proofs, serving)
  std::uint64_t head_every_records = 1000;  // issue a checkpoint after this many. Default 1000.
  // ... or when the newest is older than this (while entries arrive; an idle log issues none).
  // Default 1 s, so that a record is provable within about a second.
  std::int64_t head_every_ms = 1000;
  // Retention (IDNrG § 9: two years). Records older than this, measured against the newest signed
  // tree head's time (never the bare wall clock), are purged by the writer thread, checked every
  // purge_check_ms; leaf hashes stay so the tree and proofs keep verifying, and each purge leaves
  // a purge statement signed by the log key (salts go too: what is left cannot be linked).
  std::int64_t retention_ms = 730LL * 24 * 3600 * 1000;  // default 730 days
  std::int64_t purge_check_ms = 3600LL * 1000;           // default hourly
  // Fault tests and benchmarks only: the disk fails or slows down on command (storage_faults.hpp).
  std::shared_ptr<StorageFaults> faults;
};

struct Page {
  std::vector<TransferRecord> records;  // newest first
  std::optional<std::uint64_t> next_before;  // pass as `before` for the next page
};

struct InclusionProof {
  TransferRecord record;
  std::string record_bytes;   // the stored canonical bytes (what the commitment is over)
  std::string salt;           // 32 bytes (format 2; empty for format 1)
  std::string entry;          // the published entry (format 2: 0x01 || HMAC-SHA-256(salt, record))
  Hash leaf;                  // leaf hash of the entry (format 1: of the record bytes)
  TreeHead head;              // the newest checkpoint (cosigned per policy) that includes the record
  std::vector<Hash> path;     // audit path from leaf to head.root
};

struct VerificationReport {
  bool ok = false;
  std::uint64_t records = 0;  // records checked against their leaves
  std::uint64_t purged = 0;   // leaves whose records were purged by retention
  std::uint64_t heads = 0;
  std::uint64_t checkpoints = 0;  // of the heads, checkpoints (format 2)
  std::uint64_t cosigned = 0;     // of those, checkpoints the witness policy is satisfied with
  std::uint64_t entries = 0;      // commitment entries checked
  std::uint64_t tiles = 0;        // stored whole tiles and entry bundles checked
  std::string first_problem;  // empty when ok
};

// What a retention purge removed (kept in the log as a signed note, itself never purged).
struct PurgeNote {
  std::int64_t time_ms = 0;          // when the purge ran
  std::int64_t cutoff_ms = 0;        // records older than this were purged
  std::uint64_t count = 0;
  std::uint64_t first_sequence = 0;  // [first_sequence, end_sequence)
  std::uint64_t end_sequence = 0;
  std::int64_t retention_ms = 0;     // the retention period it was made under
  std::string signature;             // format 1: base64, over signed_text(), by the gateway key
  std::string note;                  // format 2: statement_text(origin), a note signed by the log key

  // format 1: "oncegate-purge-v1\n<first>\n<end>\n<cutoff_ms>\n<time_ms>\n<retention_ms>\n"
  [[nodiscard]] std::string signed_text() const;
  // format 2: "oncegate-purge/v2\n<origin>\n<first>\n<end>\n<cutoff_ms>\n<time_ms>\n<retention_ms>\n"
  [[nodiscard]] std::string statement_text(const std::string& origin) const;
};

using AppendDone = std::function<void(bool durable, std::uint64_t sequence)>;

class TransferLog {
 public:
  virtual ~TransferLog() = default;

  // Opens (or creates) the log in options.directory; a new log gets a signed head of size 0 at
  // once. Refuses (std::runtime_error with the reason) a log that holds records but no signed
  // head, or whose newest head does not match its tree: the gateway never signs over a log it
  // cannot vouch for.
  [[nodiscard]] static std::unique_ptr<TransferLog> Open(const TransferLogOptions& options);

  // Queues the record; `done` runs once it is durable (or failed). Never blocks.
  virtual void append(TransferRecord record, AppendDone done) = 0;

  // Issues a signed tree head for the current size (on demand), after queued appends; `done`
  // runs on the log's writer thread. Never blocks.
  virtual void request_head(std::function<void(const TreeHead&)> done) = 0;
  // The same, waiting for it (not for I/O threads).
  [[nodiscard]] TreeHead issue_head();
  [[nodiscard]] virtual std::optional<TreeHead> latest_head() const = 0;
  // The newest checkpoint the witness policy is satisfied with (the one served and proved against).
  [[nodiscard]] virtual std::optional<TreeHead> latest_cosigned_head() const = 0;
  // Adds witness cosignatures to the stored checkpoint of `size` (those that verify against the
  // policy's keys; others are dropped). Returns how many were new. Thread-safe.
  virtual std::size_t add_cosignatures(std::uint64_t size, const std::vector<tlog::SignatureLine>& lines) = 0;
  [[nodiscard]] virtual const LogIdentity& identity() const = 0;
  [[nodiscard]] virtual const WitnessPolicy& witness_policy() const = 0;
  // A tile or entry bundle (C2SP tlog-tiles) of the tree as far as the newest checkpoint: nullopt
  // when it reaches beyond it, or for entry bundles over format-1 records (not published: their
  // leaves are over the records themselves).
  [[nodiscard]] virtual std::optional<std::string> tile(const tlog::TileRef& ref) const = 0;
  // The first sequence with a commitment entry (0 for logs begun with format 2).
  [[nodiscard]] virtual std::uint64_t entries_from() const = 0;
  [[nodiscard]] virtual std::uint64_t size() const = 0;
  // False after a batch failed to reach the disk, until one succeeds again (for /readyz).
  [[nodiscard]] virtual bool writable() const = 0;
  // Records queued and not yet taken up by the writer (for /metrics).
  [[nodiscard]] virtual std::size_t queue_depth() const = 0;

  // Records of one person (pseudonym), newest first, in [from_ms, to_ms], `limit` per page,
  // older than sequence `before` when given.
  [[nodiscard]] virtual Page by_person(const std::string& pseudonym, std::int64_t from_ms, std::int64_t to_ms,
                                       std::size_t limit, std::optional<std::uint64_t> before) const = 0;
  // Records of one requesting authority, the same way.
  [[nodiscard]] virtual Page by_authority(const std::string& kennung, std::int64_t from_ms, std::int64_t to_ms,
                                          std::size_t limit, std::optional<std::uint64_t> before) const = 0;
  // A record with its inclusion proof against the latest cosigned checkpoint (nullopt when the
  // record does not exist, was purged, or no such checkpoint covers it yet).
  [[nodiscard]] virtual std::optional<InclusionProof> prove(std::uint64_t sequence) const = 0;
  [[nodiscard]] virtual std::vector<Hash> consistency(std::uint64_t old_size, std::uint64_t new_size) const = 0;

  // Purges the contents and index entries of records older than `cutoff_ms`, but never of
  // records younger than the retention period before the newest signed head (the writer does this
  // by itself for the retention period). Returns what was purged.
  virtual PurgeNote purge_older_than(std::int64_t cutoff_ms) = 0;
  [[nodiscard]] virtual std::vector<PurgeNote> purges() const = 0;

  // A consistent copy of the whole log (RocksDB checkpoint: hard links where possible) in
  // `directory`, which must not exist yet. Open it with TransferLog::Open or verify_log_directory.
  // Throws std::runtime_error.
  virtual void backup(const std::string& directory) const = 0;

  // Recomputes every leaf from the stored records and the tree from the leaves, and checks every
  // stored tree head and purge note (see VerifyOptions), with this log's own head interval as the
  // grace and its retention period. Reports the first inconsistency.
  [[nodiscard]] virtual VerificationReport verify(const HeadVerifier& verify_signature) const = 0;
};

// Opens an existing log read-only and verifies it (for oncegate-logverify).
[[nodiscard]] VerificationReport verify_log_directory(const std::string& directory, const VerifyOptions& options);

// The request ids (nachrichtenUUID, OOTS request id) of `request_ids` that no stored record
// carries, in their order (for the crash tests: every acknowledged request has its record). Opens
// the log read-only; it may be in use.
[[nodiscard]] std::vector<std::string> requests_missing_from_log(const std::string& directory,
                                                                 const std::vector<std::string>& request_ids);

// Forensics and tests only: what someone with write access to a stopped log's database could do.
// Overwrites the stored bytes of one record (empty: deletes it), bypassing the tree.
void overwrite_record_for_test(const std::string& directory, std::uint64_t sequence, const std::string& bytes);
// Deletes every tree head of size >= from_size.
void remove_tree_heads_for_test(const std::string& directory, std::uint64_t from_size);
// Deletes records [0, end) and leaves a purge marker and note claiming retention did it (with
// `note` as its signed note text, as given).
void forge_purge_for_test(const std::string& directory, std::uint64_t end, const std::string& note);
// Replaces a stored whole tile (or entry bundle) with other bytes.
void overwrite_tile_for_test(const std::string& directory, bool entries, unsigned tile_level, std::uint64_t index,
                             const std::string& bytes);
// Replaces the stored checkpoint of `size` (a fork: another root signed with a stolen key).
void overwrite_head_for_test(const std::string& directory, const TreeHead& head);

// The published entry for a record: 0x01 || HMAC-SHA-256(key = salt, record bytes). Hiding (the
// salt is random and never published) and binding (HMAC-SHA-256 is collision resistant).
[[nodiscard]] std::string commitment_entry(std::string_view salt, std::string_view record_bytes);
inline constexpr std::size_t kSaltBytes = 32;

// Keyed pseudonym of an IDNr: lower-case hex HMAC-SHA-256(secret, idnr).
[[nodiscard]] std::string pseudonym(const std::string& secret, const std::string& idnr);

}  // namespace oncegate::log
