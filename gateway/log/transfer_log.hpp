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
#include <vector>

#include "gateway/log/merkle.hpp"
#include "gateway/log/storage_faults.hpp"

namespace oncegate::log {

// What a transfer record holds (brief: "What a transfer record holds"). No evidence content, no
// names, no addresses: the person appears only as a keyed pseudonym of the IDNr.
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

  // The canonical bytes that are hashed into the tree (stable field order, JSON).
  [[nodiscard]] std::string serialise() const;
  [[nodiscard]] static std::optional<TransferRecord> parse(std::string_view bytes);
};

struct TreeHead {
  std::uint64_t size = 0;
  std::string root_hex;
  std::int64_t time_ms = 0;
  std::string signature;  // base64, over signed_text()

  [[nodiscard]] std::string signed_text() const;  // "oncegate-tree-head-v1\n<size>\n<root>\n<time>\n"
};

// Signs (and verifies) what the log vouches for with the gateway key: tree heads and purge notes.
using HeadSigner = std::function<std::string(const std::string& text)>;                 // -> base64 signature
using HeadVerifier = std::function<bool(const std::string& text, const std::string& sig)>;

// How strictly a log is verified. The verifier fails closed: no signed tree head, records newer
// than the newest head by more than `grace_ms`, a head whose size, root or signature does not
// match, or a record missing below a boundary that no signed purge note covers, each fail it.
struct VerifyOptions {
  HeadVerifier verify_signature;  // heads and purge notes. Required.
  // Records may stand beyond the newest signed head for this long after it (a crash before the
  // next head). The writer issues a head within one head interval of any record. Default 10 s,
  // the default head interval.
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
  HeadSigner sign_head;             // signs tree heads. Required.
  std::uint64_t head_every_records = 1000;  // issue a signed tree head after this many. Default 1000.
  std::int64_t head_every_ms = 10'000;      // ... or when the newest is older than this. Default 10 s.
  // Retention (IDNrG § 9: two years). Records older than this, measured against the newest signed
  // tree head's time (never the bare wall clock), are purged by the writer thread, checked every
  // purge_check_ms; leaf hashes stay so the tree and proofs keep verifying, and each purge leaves
  // a purge note signed like a tree head.
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
  Hash leaf;                  // leaf hash of the record's canonical bytes
  TreeHead head;              // the newest signed tree head that includes the record
  std::vector<Hash> path;     // audit path from leaf to head.root
};

struct VerificationReport {
  bool ok = false;
  std::uint64_t records = 0;  // records checked against their leaves
  std::uint64_t purged = 0;   // leaves whose records were purged by retention
  std::uint64_t heads = 0;
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
  std::string signature;             // base64, over signed_text(), by the gateway key

  // "oncegate-purge-v1\n<first>\n<end>\n<cutoff_ms>\n<time_ms>\n<retention_ms>\n"
  [[nodiscard]] std::string signed_text() const;
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
  // A record with its inclusion proof against the latest signed tree head (nullopt when the
  // record does not exist or no head covers it yet).
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
// Deletes records [0, end) and leaves an unsigned-looking purge marker and note claiming
// retention did it (with `signature` as given).
void forge_purge_for_test(const std::string& directory, std::uint64_t end, const std::string& signature);

// Keyed pseudonym of an IDNr: lower-case hex HMAC-SHA-256(secret, idnr).
[[nodiscard]] std::string pseudonym(const std::string& secret, const std::string& idnr);

}  // namespace oncegate::log
