#include "gateway/app/recording.hpp"

#include <algorithm>
#include <array>
#include <chrono>

#include "gateway/common/files.hpp"
#include "gateway/common/time.hpp"
#include "gateway/crypto/crypto.hpp"
#include "gateway/message/error_code.hpp"
#include "gateway/oplog/oplog.hpp"
#include "gateway/oplog/tally.hpp"
#include "gateway/routing/idnr.hpp"

namespace oncegate::app {

using common::read_file;

std::string read_pseudonym_secret(const std::filesystem::path& file) {
  return pseudonym_secret_from(common::read_secret_file(file, "pseudonym secret"), file);
}

std::string pseudonym_secret_from(std::string secret, const std::filesystem::path& file) {
  secret = common::without_line_end(std::move(secret));
  if (secret.size() < 32) {
    throw std::runtime_error("pseudonym secret '" + file.string() + "' is shorter than 32 bytes");
  }
  return secret;
}

log::TransferRecord transfer_record(const exchange::ExchangeContext& context, const exchange::ExchangeResult& result,
                                    const std::string& pseudonym_secret) {
  log::TransferRecord record;
  record.requester = context.authority;
  record.register_adapter = result.register_adapter;
  record.register_name = result.register_name;
  record.permission_rule = context.permission_rule;
  if (context.withheld_days != 0) {
    // Recorded and proved like any other; the citizen's views leave it out until then (or always).
    record.visible_from_ms = context.withheld_days < 0 ? INT64_MAX : common::now_ms() + context.withheld_days * 86'400'000;
    record.withholding_basis = context.withholding_basis;
  }
  record.outcome = std::string(exchange::outcome_name(result.outcome));
  if (result.error) record.code = std::string(message::code_name(*result.error));
  if (context.decoded.ok()) {
    const auto& request = context.request();
    record.request_uuid = request.kopf.nachrichten_uuid;
    record.evidence_type = request.nachweistyp;
    record.purpose = request.zweck;
    record.legal_basis = request.rechtsgrundlage;
    // Filed under the person only with a valid IDNr: nobody can sign in with an invalid one.
    if (routing::check_idnr(request.idnr) == routing::IdnrError::ok) {
      record.pseudonym = log::pseudonym(pseudonym_secret, request.idnr);
    }
  } else {
    record.request_uuid = context.decoded.request_uuid;
  }
  if (result.outcome == exchange::Outcome::delivered) {
    record.answer_digest = crypto::sha256_base64(result.body);
    record.data_fields = result.data_fields;
  }
  record.latency_us = static_cast<std::uint32_t>(std::min<std::int64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - context.received).count(),
      UINT32_MAX));
  return record;
}

// What the operation log and the metrics need of one exchange once its record is durable.
struct ExchangeNote {
  std::string family;
  std::string correlation_id;
  std::string request_uuid;
  std::string authority;
  std::string evidence_type;
  std::string outcome;
  std::string code;
  std::string adapter;
  std::string pseudonym;
  std::uint32_t latency_us = 0;  // receipt until the record was handed to the log
  std::array<std::uint32_t, kStageCount> stage_us{};
  // The authority's address (behind a load balancer: the one its PROXY header named).
  std::string peer;
};

exchange::TransferRecorder make_transfer_recorder(std::function<log::TransferLog&()> log, std::string pseudonym_secret,
                                                  std::shared_ptr<ExchangeMetrics> metrics) {
  return [log = std::move(log), pseudonym_secret = std::move(pseudonym_secret), metrics = std::move(metrics)](
             const exchange::ExchangeContext& context, const exchange::ExchangeResult& result,
             std::function<void(bool)> then) {
    auto record = transfer_record(context, result, pseudonym_secret);
    ExchangeNote note{context.family, context.correlation_id, record.request_uuid, record.requester, record.evidence_type,
                      record.outcome, record.code, record.register_adapter, record.pseudonym,
                      record.latency_us, context.stage_us, context.connection.peer_address};
    const auto log_start = std::chrono::steady_clock::now();
    // The completion may run while the gateway is being torn down (the log drains its queue on
    // close): it holds what it uses.
    log().append(std::move(record), [metrics, then = std::move(then), note = std::move(note), log_start](
                                                      bool durable, std::uint64_t sequence) mutable {
      const auto log_us = static_cast<std::uint32_t>(std::clamp<std::int64_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - log_start).count(), 1,
          UINT32_MAX));
      note.stage_us[static_cast<std::size_t>(exchange::Stage::log)] = log_us;
      const std::uint32_t total_us = note.latency_us + log_us;
      metrics->observe(note.family, note.outcome, note.evidence_type, total_us, note.stage_us);
      oplog::write(durable ? oplog::Level::info : oplog::Level::error, "exchange",
                   {{"correlation_id", note.correlation_id}, {"family", note.family}, {"request_uuid", note.request_uuid},
                    {"authority", note.authority}, {"evidence_type", note.evidence_type}, {"outcome", note.outcome},
                    {"code", note.code}, {"adapter", note.adapter}, {"pseudonym", note.pseudonym},
                    {"latency_ms", total_us / 1000.0}, {"durable", durable}, {"peer", note.peer},
                    {"log_sequence", durable ? static_cast<std::int64_t>(sequence) : std::int64_t{-1}}});
      then(durable);
    });
  };

}

exchange::RefusalObserver make_refusal_observer(std::shared_ptr<ExchangeMetrics> metrics) {
  // A refusal before the message was found authentic is no transfer (IDNrG § 9 logs transfers of
  // identified parties): operators see it here, with the TLS identity and the peer, never a value
  // the sender chose.
  return [metrics = std::move(metrics)](const net::ConnectionInfo& connection, const exchange::ExchangeContext* context,
                                                message::ErrorCode code, std::string_view correlation_id) {
    const std::string code_text(message::code_name(code));
    metrics->refused_before_trust(code_text);
    // Anybody can cause these, as fast as the limits let them: one line per source and code per
    // interval (oplog/tally.hpp), never one per refusal. The per-request detail goes to debug.
    oplog::tally(connection.listener, connection.source, code_text);
    oplog::write(oplog::Level::debug, "refused_before_trust",
                 {{"correlation_id", std::string(correlation_id)}, {"code", code_text},
                  {"peer", connection.peer_address}, {"listener", connection.listener},
                  {"tls_certificate_sha256", connection.peer_certificate_fingerprint},
                  {"authority", context != nullptr ? context->authority : std::string()},
                  {"stage", context != nullptr ? "message" : "header"}});
  };
}

}  // namespace oncegate::app
