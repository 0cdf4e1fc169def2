#pragma once
// The evidence exchange: one request from the Fachverfahren through the stages of the brief to
// one answer.
//
//   decode (parse, schema)  ->  checks (IDNr; later: signature, freshness, permission)
//     ->  route  ->  adapter (async, with deadline)  ->  answer (later: sign, then log)
//
// Checks are RequestCheck objects run in order; the first rejection ends the exchange with an
// error answer. Later issues add checks and the answer stages here, nowhere else.
//
// Thread safety: an ExchangePipeline is immutable after construction; handle() may be called
// concurrently from all I/O threads.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "gateway/adapter/adapter.hpp"
#include "gateway/adapter/identity.hpp"
#include "gateway/message/codec.hpp"
#include "gateway/log/transfer_log.hpp"
#include "gateway/message/dsc/dsc.hpp"
#include "gateway/message/edm/edm.hpp"
#include "gateway/net/http.hpp"
#include "gateway/routing/routing_table.hpp"
#include "gateway/store/replay_window.hpp"

namespace oncegate::exchange {

// The stages whose latency /metrics reports, in the order a request passes them.
enum class Stage : std::size_t { parse, verify, permission, adapter, sign, log, count };

[[nodiscard]] std::string_view stage_name(Stage stage) noexcept;

// What the transfer log (IDNrG § 9) will distinguish.
enum class Outcome { delivered, denied, not_found, register_failed, invalid };

[[nodiscard]] std::string_view outcome_name(Outcome outcome) noexcept;

// How a message family names what the shared stages speak of, so that their error texts use the
// words of the requester's own format.
struct FamilyWords {
  std::string_view issue_time = "erstellungszeitpunkt";
  std::string_view request_id = "nachrichtenUUID";
  std::string_view consent = "the person's consent (einwilligung = true)";
  std::string_view subject = "this IDNr";  // "the register holds no <type> for <subject>"
};

// Everything known about one request while it passes the stages.
struct ExchangeContext {
  std::string body;                     // as received
  std::string content_type;             // as received
  net::ConnectionInfo connection;       // peer, listener, client certificate
  // Set by the decode stage. Every family fills `decoded.request` with the national view of the
  // request (who asks, for which evidence type, purpose and legal basis, about which IDNr), which
  // the shared checks, routing and the transfer log read.
  message::DecodeResult decoded;
  // The EU family's own reading (OOTS requests only).
  std::shared_ptr<const message::edm::DecodeResult> edm;
  std::string request_digest;           // base64 SHA-256 of body, set before decoding
  std::string authority;                // kennung of the TLS-authenticated authority, set by AuthorityCheck
  // The message is the authority's own: its XML signature verified (set by SignatureCheck). Only
  // then is the exchange a transfer record, and only then under the person's pseudonym.
  bool authentic = false;
  // The request id as the replay window keeps it (set by FreshnessCheck once the time passed);
  // a cluster's shared window is asked about it after the checks.
  std::optional<std::array<unsigned char, 16>> replay_key;
  std::string permission_rule;          // id of the rule that allowed the request
  std::int64_t withheld_days = 0;       // the rule's: -1 never shown to the citizen, N days later, 0 at once
  std::string withholding_basis;        // the rule's reason for that
  bool preview_required = false;        // that rule demands a preview (OOTS)
  std::string evidence_title;           // OOTS: the title of the evidence type mapping that matched
  // The company the evidence is about (OOTS LegalPerson requests), instead of an IDNr; passed to
  // the register, which finds it by name and register number.
  std::optional<adapters::LegalEntityQuery> legal_entity;
  // The period and page of a Datenschutzcockpit query (the DSC family), passed to the transfer log.
  std::optional<adapters::ProtocolQuery> protocol;
  std::string family = "national";      // the message family, for metrics and the operation log
  FamilyWords words;                    // that family's words, for error texts
  std::string correlation_id;           // from X-Correlation-ID or generated; returned to the client
  // Microseconds spent per stage; 0 for stages the request did not reach. The log stage is
  // filled by the TransferRecorder.
  std::array<std::uint32_t, static_cast<std::size_t>(Stage::count)> stage_us{};
  std::chrono::steady_clock::time_point received = std::chrono::steady_clock::now();

  [[nodiscard]] const message::EvidenceRequest& request() const { return *decoded.request; }
};

struct Rejection {
  message::ErrorCode code;
  std::string text;
  Outcome outcome = Outcome::invalid;
};

// A synchronous stage between decoding and routing. Runs on the I/O thread: it must be fast and
// must not block.
class RequestCheck {
 public:
  virtual ~RequestCheck() = default;
  [[nodiscard]] virtual std::string_view name() const noexcept = 0;
  // nullopt: passed. Called only with a successfully decoded request; may note what it
  // established in the context for later stages.
  [[nodiscard]] virtual std::optional<Rejection> check(ExchangeContext& context) const = 0;
};

// IDNr rules of the brief (length, leading digit, frequency, triple run, check digit).
class IdnrCheck final : public RequestCheck {
 public:
  [[nodiscard]] std::string_view name() const noexcept override { return "idnr"; }
  [[nodiscard]] std::optional<Rejection> check(ExchangeContext& context) const override;
};

// An evidence type that no register holds is NO_REGISTER whatever the permissions: decided on the
// type alone, before the permission matrix and before any person lookup (the catalogue at
// GET /v1/catalogue lists the types, so this says nothing a requester could not read there).
class EvidenceTypeRoutedCheck final : public RequestCheck {
 public:
  explicit EvidenceTypeRoutedCheck(std::shared_ptr<const routing::RoutingTable> routes) : routes_(std::move(routes)) {}
  [[nodiscard]] std::string_view name() const noexcept override { return "evidence_type"; }
  [[nodiscard]] std::optional<Rejection> check(ExchangeContext& context) const override;

 private:
  std::shared_ptr<const routing::RoutingTable> routes_;
};

struct ExchangeResult {
  unsigned http_status = 500;
  std::string body;  // the answer of the message family
  std::string content_type = "application/xml; charset=utf-8";
  std::vector<std::pair<std::string, std::string>> headers;  // e.g. a detached JWS
  Outcome outcome = Outcome::invalid;
  std::optional<message::ErrorCode> error;  // unset when delivered
  std::string register_adapter;             // adapter name when routed
  std::string register_name;                // its human-readable name
  std::vector<std::string> data_fields;     // names of the fields delivered (never their values)
};

using ExchangeDone = std::function<void(ExchangeResult)>;

// Records a finished exchange durably (IDNrG § 9) and calls `then(durable)` afterwards, from any
// thread. The answer leaves only after a durable record; without one the requester gets
// LOG_UNAVAILABLE instead. Must not block.
using TransferRecorder =
    std::function<void(const ExchangeContext& context, const ExchangeResult& result, std::function<void(bool)> then)>;

// The registered party (its kennung) a verified TLS client certificate belongs to, or nullopt.
using PartyLookup = std::function<std::optional<std::string>(std::string_view certificate_fingerprint)>;

// A request refused before its message was found authentic (no registered party, wrong media
// type, malformed, schema-invalid, author mismatch, bad signature). It is no transfer: it goes to
// the operation log and the metrics, never into the transfer log. `context` is null when the
// request was refused from its header.
using RefusalObserver = std::function<void(const net::ConnectionInfo& connection, const ExchangeContext* context,
                                           message::ErrorCode code, std::string_view correlation_id)>;

class LocationCache;

struct PipelineOptions {
  // Author of every answer (the gateway's own directory-service identity). Required.
  message::Authority gateway;
  // How long a register may take. Default: 3 s.
  std::chrono::milliseconds adapter_deadline{3000};
  // Who may send requests at all, from the TLS identity. Default empty: nobody.
  PartyLookup party;
  // Told of every refusal before trust. Default empty: not told.
  RefusalObserver on_refused;
  // Finds the region of a person whose evidence is held by regional registers when the request
  // names none. Default null: such requests are NO_REGISTER.
  std::shared_ptr<const adapters::LocationService> locator;
  std::shared_ptr<LocationCache> location_cache;  // may be null: no cache
  // Media types of the family's requests. Default (empty): application/xml.
  std::vector<std::string> accepted_media_types;
  // How long an answer waits for its transfer record to be durable (a hanging disk). Past it the
  // answer is LOG_UNAVAILABLE and nothing is released; a record that lands later says more was
  // asked than was answered, never the reverse. Default: 5 s.
  std::chrono::milliseconds log_deadline{5000};
  // A cluster's replay window, shared by its nodes (docs/SCALE-OUT.md). After the checks have
  // passed (the node's own guard among them), the request id must be new there too, else REPLAY.
  // Ids of requests refused by a later check are remembered as well, without waiting. Default
  // null: the node's own guard alone.
  std::shared_ptr<store::SharedReplayWindow> shared_replay;
  // When the shared window cannot be reached: false refuses (REPLAY_WINDOW_UNAVAILABLE, fail
  // closed), true goes on with the node's own guard alone. Default false.
  bool replay_local_when_unavailable = false;
};

// Signs every outgoing message (answers and error answers). Implementations must be thread-safe.
using AnswerSigner = std::function<std::string(std::string_view unsigned_xml)>;

// A message family: how requests of one format are read and answered (the national nachweis
// family, the EU's OOTS EDM). Everything between decoding and answering is shared.
class MessageFamily {
 public:
  virtual ~MessageFamily() = default;
  [[nodiscard]] virtual std::string_view name() const noexcept = 0;
  [[nodiscard]] virtual FamilyWords words() const noexcept { return {}; }
  // Fills context.decoded (and the family's own reading); on failure decoded.error/error_text.
  virtual void decode(ExchangeContext& context) const = 0;
  // The signed answer carrying `evidence`. Throws when it cannot be written; the pipeline then
  // answers with an error instead.
  [[nodiscard]] virtual ExchangeResult answer(ExchangeContext& context, const adapters::RegisterAdapter& adapter,
                                              const adapters::Evidence& evidence) const = 0;
  // The signed error answer; `context` is null for refusals from the header.
  [[nodiscard]] virtual ExchangeResult error(const ExchangeContext* context, message::ErrorCode code,
                                             std::string_view text) const = 0;
};

// The Datenschutzcockpit's family (xsd/oncegate-dsc-1.xsd, docs/DSC.md): protokolldatenAnfrage in,
// protokolldatenAntwort out (each entry with its inclusion proof from `log`), refusals as the
// national error answer. Its only register is the transfer log (type "protokolldaten").
struct DscFamilyOptions {
  std::string evidence_type = "protokolldaten";   // what the transfer record names
  std::string purpose = "datenschutzcockpit";
  std::string legal_basis = "IDNrG § 10";
  // The requester's name for an entry (the trust store's, at answer time).
  std::function<std::string(const std::string& kennung)> requester_name;
  // A cluster node whose protocol data is every node's log (pages by seite/fortsetzung).
  bool across_nodes = false;
};
[[nodiscard]] std::shared_ptr<const MessageFamily> dsc_family(std::shared_ptr<const message::dsc::DscCodec> codec,
                                                              std::shared_ptr<const message::MessageCodec> national,
                                                              AnswerSigner signer, message::Authority gateway,
                                                              DscFamilyOptions options);

// The DSC's endpoint is the DSC's alone: the authenticated party must be one of `parties`.
class DscPartyCheck final : public RequestCheck {
 public:
  explicit DscPartyCheck(std::vector<std::string> parties) : parties_(std::move(parties)) {}
  [[nodiscard]] std::string_view name() const noexcept override { return "permission"; }
  [[nodiscard]] std::optional<Rejection> check(ExchangeContext& context) const override;

 private:
  std::vector<std::string> parties_;
};

// The national family (xsd/oncegate-nachweis-1.xsd, XMLDSig-signed answers).
// `gateway` is the author of every answer.
[[nodiscard]] std::shared_ptr<const MessageFamily> national_family(std::shared_ptr<const message::MessageCodec> codec,
                                                                   AnswerSigner signer, message::Authority gateway);

// Remembers where people live for a short time, under a keyed hash of the IDNr (a pseudonym with
// a key of this process, never stored), so that repeated requests do not ask the location
// service again. Thread-safe.
class LocationCache {
 public:
  explicit LocationCache(std::chrono::milliseconds ttl);
  [[nodiscard]] std::optional<std::string> find(std::string_view idnr);
  void remember(std::string_view idnr, std::string region);
  [[nodiscard]] std::chrono::milliseconds ttl() const noexcept { return ttl_; }

 private:
  [[nodiscard]] std::string key_of(std::string_view idnr) const;
  struct Shard {
    std::mutex mutex;
    std::unordered_map<std::string, std::pair<std::string, std::chrono::steady_clock::time_point>> entries;
  };
  static constexpr std::size_t kShards = 16;
  static constexpr std::size_t kMaxPerShard = 65'536;
  std::chrono::milliseconds ttl_;
  std::string key_;
  Shard shards_[kShards];
};

class ExchangePipeline : public std::enable_shared_from_this<ExchangePipeline> {
  friend class PipelineSwitch;

 public:
  ExchangePipeline(PipelineOptions options, std::shared_ptr<const MessageFamily> family,
                   std::shared_ptr<const routing::RoutingTable> routes,
                   std::vector<std::unique_ptr<RequestCheck>> checks, TransferRecorder recorder = {});

  // Decide on a request from its HTTP header, before its body is read. admit_party: the TLS
  // identity must belong to a registered party (UNKNOWN_AUTHORITY), for every route of the
  // evidence listener. admit_media_type: the media type must be application/xml
  // (UNSUPPORTED_MEDIA_TYPE), for POST /v1/nachweis. nullopt admits; a refusal is the signed
  // error answer, reported to on_refused.
  [[nodiscard]] std::optional<net::HttpResponse> admit_party(const net::ConnectionInfo& connection,
                                                             std::string_view offered_correlation_id) const;
  [[nodiscard]] std::optional<net::HttpResponse> admit_media_type(const net::ConnectionInfo& connection,
                                                                  std::string_view content_type,
                                                                  std::string_view offered_correlation_id) const;

  // Runs one exchange. `done` is called exactly once, on `strand`.
  void handle(std::string body, std::string content_type, net::ConnectionInfo connection,
              std::string correlation_id, boost::asio::any_io_executor strand, ExchangeDone done) const;

  // XML error answers for failures the connection layer detects itself.
  [[nodiscard]] net::HttpResponse render_failure(net::HttpFailure failure) const;

 private:
  struct Pending;
  void call_adapter(std::shared_ptr<ExchangeContext> context, adapters::RegisterAdapter& adapter,
                    boost::asio::any_io_executor strand, ExchangeDone done) const;
  // Records the exchange, then hands the result (or LOG_UNAVAILABLE) to `done` on `strand`.
  void finish(std::shared_ptr<ExchangeContext> context, ExchangeResult result, boost::asio::any_io_executor strand,
              ExchangeDone done) const;
  [[nodiscard]] net::HttpResponse refuse_from_header(const net::ConnectionInfo& connection, message::ErrorCode code,
                                                     std::string_view text, Outcome outcome,
                                                     std::string_view offered_correlation_id) const;
  [[nodiscard]] ExchangeResult error_result(ExchangeContext* context, message::ErrorCode code,
                                            std::string_view text, Outcome outcome) const;
  [[nodiscard]] ExchangeResult answer_result(ExchangeContext& context,
                                             const adapters::RegisterAdapter& adapter,
                                             const adapters::Evidence& evidence) const;

  // After the checks: the shared replay window (when there is one), then route.
  void after_checks(std::shared_ptr<ExchangeContext> context, boost::asio::any_io_executor strand, ExchangeDone done) const;
  void route(std::shared_ptr<ExchangeContext> context, boost::asio::any_io_executor strand, ExchangeDone done) const;
  // The region of the person, from the cache or the location service.
  [[nodiscard]] std::optional<std::string> locate(std::string_view idnr) const;

  PipelineOptions options_;
  std::shared_ptr<const MessageFamily> family_;
  std::shared_ptr<const routing::RoutingTable> routes_;
  std::vector<std::unique_ptr<RequestCheck>> checks_;
  TransferRecorder recorder_;
};

// The pipelines of the families in force, swapped together.
struct Pipelines {
  std::shared_ptr<const ExchangePipeline> national;
  std::shared_ptr<const ExchangePipeline> oots;  // null when OOTS is off
  std::shared_ptr<const ExchangePipeline> dsc;   // null when the DSC interface is off
};

// The pipeline in force. A configuration change builds a new pipeline and swaps it in here;
// requests already running keep the pipeline they started with (they hold a shared_ptr to it)
// and finish on the old configuration.
class PipelineSwitch {
 public:
  explicit PipelineSwitch(Pipelines initial)
      : current_(std::make_shared<const Pipelines>(std::move(initial))) {}
  [[nodiscard]] std::shared_ptr<const ExchangePipeline> current() const { return current_.load()->national; }
  [[nodiscard]] std::shared_ptr<const Pipelines> pipelines() const { return current_.load(); }
  void replace(Pipelines next) { current_.store(std::make_shared<const Pipelines>(std::move(next))); }

  // POST /v1/nachweis, POST /v1/oots/query and GET /healthz on the evidence listener, served by
  // the current pipelines;
  // every request on the router is admitted from its header first (admit_party, and for
  // /v1/nachweis admit_media_type).
  // The answer carries X-Correlation-ID: the client's own when well-formed (1..64 of
  // [A-Za-z0-9._-]), otherwise a generated one.
  static void register_routes(std::shared_ptr<const PipelineSwitch> self, net::Router& router);

 private:
  std::atomic<std::shared_ptr<const Pipelines>> current_;
};

// A correlation id for a request: `offered` when well-formed, otherwise 32 random hex digits.
[[nodiscard]] std::string correlation_id_for(std::string_view offered);

}  // namespace oncegate::exchange
