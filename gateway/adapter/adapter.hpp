#pragma once
// The register adapter interface: how oncegate asks a register (evidence provider) for evidence.
//
// An adapter is one register (or one regional part of a register). It is asynchronous: fetch()
// returns at once and calls the completion handler exactly once, later, on any thread. It never
// blocks the calling (I/O) thread. The deadline is the adapter's to honour where it can; the
// exchange pipeline enforces it independently and ignores a late completion.
//
// Thread safety: fetch() may be called concurrently from several threads.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace oncegate::adapters {

// A company or other legal entity as an EU request names it: a register like the Handelsregister
// searches by name and register number itself, so the gateway passes on what was sent.
struct LegalEntityQuery {
  std::string legal_name;
  std::vector<std::pair<std::string, std::string>> identifiers;  // scheme (e.g. "EUID", "VAT") -> value
};

// What the national Datenschutzcockpit asks of the transfer log (the "register" of protocol
// data): a period and a page, newest first.
struct ProtocolQuery {
  std::int64_t from_ms = 0;
  std::int64_t to_ms = INT64_MAX;
  std::size_t limit = 50;
  std::optional<std::uint64_t> before;  // entries older than this log entry number
  std::string continuation;             // a cluster's cursor over its nodes' logs (log::NodeCursor)
};

// What the gateway asks of a register. Only what the register needs: no requester secrets.
struct EvidenceQuery {
  std::string idnr;            // valid IDNr of the person (checked before routing); empty for a legal entity
  std::string evidence_type;   // e.g. "geburtsurkunde"
  std::string region;          // Regionalschlüssel from the request, may be empty
  std::string request_uuid;    // for correlation in the register's own log
  std::string correlation_id;  // the gateway's correlation id (X-Correlation-ID), may be empty
  // Set instead of idnr when the evidence is about a legal entity (OOTS LegalPerson requests).
  // Registers of natural persons answer not_found; the register wire protocol does not carry it.
  std::optional<LegalEntityQuery> legal_entity;
  // Set for protocol data (the DSC family); other registers ignore it.
  std::optional<ProtocolQuery> protocol = std::nullopt;
};

// Evidence as the register delivers it: a named document with ordered fields. The message module
// renders it as XML elements of the national schema (<root><field>value</field>...</root>).
struct Evidence {
  std::string document;                                    // e.g. "geburtsurkunde"
  std::vector<std::pair<std::string, std::string>> fields;  // element name -> text
};

enum class FetchStatus {
  found,        // evidence delivered
  not_found,    // the register does not know the person (or holds no such evidence)
  unavailable,  // the register could not be reached or failed
  timeout,      // the register did not answer in time
};

struct FetchResult {
  FetchStatus status = FetchStatus::unavailable;
  Evidence evidence;   // set when status == found
  std::string detail;  // operator-facing reason for failures; never shown with personal data
};

using FetchHandler = std::function<void(FetchResult)>;

// How an adapter is doing, for /readyz and /metrics. In-process adapters keep the defaults.
struct AdapterStatus {
  // "none" (in-process, nothing to break), "closed" (calls flow), "open" (failing fast),
  // "half_open" (probing whether the register is back).
  std::string breaker = "none";
  bool reachable = true;              // last known reachability
  std::uint64_t calls = 0;            // fetches started
  std::uint64_t failures = 0;         // unavailable answers (connection, TLS, HTTP, protocol)
  std::uint64_t timeouts = 0;         // deadline passed
  std::uint64_t rejected_open = 0;    // refused at once because the breaker was open
  std::string last_error;             // operator-facing, no personal data
};

// Calls and failures of an in-process adapter (the remote one keeps its own with the breaker),
// so that oncegate_adapter_calls_total counts every adapter type. Any thread; relaxed counters.
class CallCounter {
 public:
  void started() noexcept { calls_.fetch_add(1, std::memory_order_relaxed); }
  void failed() noexcept { failures_.fetch_add(1, std::memory_order_relaxed); }
  [[nodiscard]] AdapterStatus status() const noexcept {
    AdapterStatus out;
    out.calls = calls_.load(std::memory_order_relaxed);
    out.failures = failures_.load(std::memory_order_relaxed);
    return out;
  }

 private:
  std::atomic<std::uint64_t> calls_{0};
  std::atomic<std::uint64_t> failures_{0};
};

class RegisterAdapter {
 public:
  virtual ~RegisterAdapter() = default;

  // Registry name, unique among adapters (e.g. "personenstand").
  [[nodiscard]] virtual const std::string& name() const noexcept = 0;

  // Human-readable name of the register (e.g. "Personenstandsregister (Beispiel)").
  [[nodiscard]] virtual const std::string& register_name() const noexcept = 0;

  // Starts fetching. `done` is called exactly once, from any thread, possibly before fetch returns
  // only if the adapter documents that it may; the pipeline copes with both.
  virtual void fetch(EvidenceQuery query, std::chrono::steady_clock::time_point deadline,
                     FetchHandler done) = 0;

  // A snapshot of the adapter's health; safe to call from any thread.
  [[nodiscard]] virtual AdapterStatus status() const { return {}; }

  // The gateway is stopping: end background work (timers, idle connections, queued calls) so the
  // I/O threads can finish; calls in flight end by their deadlines. Idempotent, any thread.
  virtual void stop() {}
};

}  // namespace oncegate::adapters
