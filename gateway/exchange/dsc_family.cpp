// The national Datenschutzcockpit's family: protokolldatenAnfrage in (xsd/oncegate-dsc-1.xsd),
// protokolldatenAntwort out, each entry with its inclusion proof, signed with the gateway's key;
// refusals as the national error answer. The register behind it is the transfer log.

#include <charconv>
#include <chrono>
#include <map>

#include "gateway/common/bytes.hpp"
#include "gateway/common/time.hpp"
#include "gateway/crypto/crypto.hpp"
#include "gateway/exchange/pipeline.hpp"
#include "gateway/log/protocol_page.hpp"
#include "gateway/oplog/oplog.hpp"

namespace oncegate::exchange {

namespace {

using message::ErrorCode;

// A day of the period (xs:date, its time zone ignored: days are UTC) as milliseconds; `end`: the
// day's last millisecond.
std::optional<std::int64_t> day_ms(std::string_view text, bool end) {
  if (text.size() < 10) return std::nullopt;
  int y = 0;
  unsigned m = 0, d = 0;
  const auto number = [&](std::size_t at, std::size_t length, auto& out) {
    const auto [p, ec] = std::from_chars(text.data() + at, text.data() + at + length, out);
    return ec == std::errc() && p == text.data() + at + length;
  };
  if (!number(0, 4, y) || text[4] != '-' || !number(5, 2, m) || text[7] != '-' || !number(8, 2, d)) return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year{y}, std::chrono::month{m}, std::chrono::day{d}};
  if (!date.ok() || y < 1970) return std::nullopt;
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::sys_days{date}.time_since_epoch()).count();
  return end ? ms + 86'400'000 - 1 : ms;
}

class DscFamily final : public MessageFamily {
 public:
  DscFamily(std::shared_ptr<const message::dsc::DscCodec> codec, std::shared_ptr<const message::MessageCodec> national,
            AnswerSigner signer, message::Authority gateway, DscFamilyOptions options)
      : codec_(std::move(codec)), national_(std::move(national)), signer_(std::move(signer)), gateway_(std::move(gateway)),
        options_(std::move(options)) {}

  [[nodiscard]] std::string_view name() const noexcept override { return "dsc"; }

  void decode(ExchangeContext& context) const override {
    auto decoded = codec_->decode(context.body);
    context.decoded.request_uuid = decoded.request_uuid;
    if (!decoded.request) {
      context.decoded.error = decoded.error;
      context.decoded.error_text = std::move(decoded.error_text);
      return;
    }
    const auto& r = *decoded.request;
    adapters::ProtocolQuery query;
    query.limit = r.limit;
    query.before = r.before;
    query.continuation = r.continuation;
    // A gateway of one node pages by entry number; a cluster by its cursor over the nodes' logs
    // (entry numbers are per log).
    const char* paging_problem = nullptr;
    if (options_.across_nodes && r.before) {
      paging_problem = "seite/vor is an entry number of one log; this gateway is a cluster: send the answer's fortsetzung as seite/fortsetzung";
    } else if (!options_.across_nodes && !r.continuation.empty()) {
      paging_problem = "seite/fortsetzung is a cluster's cursor; this gateway keeps one log: send the answer's naechsteSeiteVor as seite/vor";
    } else if (!r.continuation.empty() && !log::parse_node_cursor(r.continuation)) {
      paging_problem = "seite/fortsetzung is not a cursor of an earlier answer";
    }
    if (paging_problem != nullptr) {
      context.decoded.error = ErrorCode::schema_invalid;
      context.decoded.error_text = paging_problem;
      return;
    }
    if (!r.from_date.empty()) query.from_ms = day_ms(r.from_date, false).value_or(0);
    if (!r.to_date.empty()) query.to_ms = day_ms(r.to_date, true).value_or(INT64_MAX);
    if (query.from_ms > query.to_ms) {
      context.decoded.error = ErrorCode::schema_invalid;
      context.decoded.error_text = "zeitraum: von is after bis";
      return;
    }
    // The national view the shared checks and the transfer record read.
    message::EvidenceRequest request;
    request.kopf.nachrichten_uuid = r.request_uuid;
    request.kopf.erstellungszeitpunkt = r.created;
    request.kopf.autor = {gateway_.verzeichnisdienst, r.sender, ""};
    request.idnr = r.idnr;
    request.nachweistyp = options_.evidence_type;
    request.zweck = options_.purpose;
    request.rechtsgrundlage = options_.legal_basis;
    context.decoded.request = std::move(request);
    context.decoded.document = std::move(decoded.document);
    context.protocol = query;
  }

  [[nodiscard]] ExchangeResult answer(ExchangeContext& context, const adapters::RegisterAdapter&,
                                      const adapters::Evidence& evidence) const override {
    const auto& request = context.request();
    message::dsc::DscAnswer a;
    a.answer_uuid = crypto::new_uuid();
    a.created = common::utc_text(std::chrono::system_clock::now());
    a.sender = gateway_.kennung;
    a.request_uuid = request.kopf.nachrichten_uuid;
    a.request_digest = context.request_digest;
    // The transfer log's answer (ProtocolDataAdapter): ("protokoll", page) per log, then
    // ("naechste", number) or ("fortsetzung", cursor), and ("ohne_antwort", "node\treason").
    std::vector<log::ProtocolPage> pages;
    std::map<std::string, std::uint64_t> withheld;
    for (const auto& [name, value] : evidence.fields) {
      if (name == "protokoll") {
        auto page = log::parse_protocol_page(value, message::dsc::kMaxPage);
        if (!page) throw std::runtime_error("the protocol data's page cannot be read");
        for (const auto& [basis, count] : page->withheld) withheld[basis] += count;
        pages.push_back(std::move(*page));
      } else if (name == "naechste") {
        a.next_before = std::stoull(value);
      } else if (name == "fortsetzung") {
        a.continuation = value;
      } else if (name == "ohne_antwort") {
        const auto tab = value.find('\t');
        a.missing_nodes.emplace_back(value.substr(0, tab), tab == std::string::npos ? std::string() : value.substr(tab + 1));
      }
    }
    for (const auto& page : pages) {
      a.logs.push_back({page.node, page.origin, page.vkey, page.witness_vkeys, static_cast<std::size_t>(page.witness_quorum),
                        page.checkpoints});
    }
    for (const auto& [p, i] : log::merge_newest_first(pages, SIZE_MAX)) {
      const auto& entry = pages[p].entries[i];
      const auto record = log::TransferRecord::parse(entry.record);
      if (!record) continue;
      message::dsc::DscEntry e;
      e.node = pages[p].node;
      e.number = entry.number;
      e.time_ms = record->time_ms;
      e.requester = record->requester;
      e.requester_name = options_.requester_name ? options_.requester_name(record->requester) : std::string();
      if (e.requester_name.empty()) e.requester_name = record->requester;
      e.register_name = record->register_name;
      e.evidence_type = record->evidence_type;
      e.purpose = record->purpose;
      e.legal_basis = record->legal_basis;
      e.outcome = record->outcome;
      e.code = record->code;
      e.data_fields = record->data_fields;
      e.reference = record->request_uuid;
      if (entry.proof) {
        e.proof = message::dsc::DscProof{entry.record, entry.proof->salt_hex, entry.proof->entry_hex, entry.proof->tree_size,
                                         entry.proof->path_hex};
      }
      a.entries.push_back(std::move(e));
    }
    for (const auto& [basis, count] : withheld) a.withheld.emplace_back(basis, count);
    ExchangeResult result;
    result.body = codec_->write_answer(a);
    if (signer_) result.body = signer_(result.body);
    return result;
  }

  [[nodiscard]] ExchangeResult error(const ExchangeContext* context, ErrorCode code, std::string_view text) const override {
    message::OutgoingHeader header{gateway_, {}};
    message::Bezug bezug;
    if (context != nullptr) {
      if (context->decoded.ok()) header.leser = context->request().kopf.autor;
      bezug = {context->decoded.ok() ? context->request().kopf.nachrichten_uuid : context->decoded.request_uuid,
               context->request_digest};
    }
    ExchangeResult result;
    result.http_status = message::http_status(code);
    result.body = national_->write_error(header, bezug, code, text);
    if (signer_) {
      try {
        result.body = signer_(result.body);
      } catch (const std::exception& failure) {
        oplog::write(oplog::Level::error, "signing_failed", {{"what", "DSC error answer"}, {"reason", failure.what()}});
      }
    }
    return result;
  }

 private:
  std::shared_ptr<const message::dsc::DscCodec> codec_;
  std::shared_ptr<const message::MessageCodec> national_;
  AnswerSigner signer_;
  message::Authority gateway_;
  DscFamilyOptions options_;
};

}  // namespace

std::shared_ptr<const MessageFamily> dsc_family(std::shared_ptr<const message::dsc::DscCodec> codec,
                                                std::shared_ptr<const message::MessageCodec> national, AnswerSigner signer,
                                                message::Authority gateway, DscFamilyOptions options) {
  return std::make_shared<DscFamily>(std::move(codec), std::move(national), std::move(signer), std::move(gateway),
                                     std::move(options));
}

std::optional<Rejection> DscPartyCheck::check(ExchangeContext& context) const {
  for (const auto& party : parties_) {
    if (party == context.authority) {
      context.permission_rule = "dsc";
      return std::nullopt;
    }
  }
  return Rejection{ErrorCode::not_permitted,
                   "this endpoint is for the national Datenschutzcockpit only; " + context.authority + " is not registered as it",
                   Outcome::denied};
}

}  // namespace oncegate::exchange
