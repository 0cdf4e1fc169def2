#include "gateway/exchange/oots.hpp"

#include <stdexcept>

#include "gateway/common/time.hpp"
#include "gateway/crypto/crypto.hpp"
#include "gateway/net/http.hpp"
#include "gateway/net/multipart.hpp"
#include "gateway/oplog/oplog.hpp"

namespace oncegate::exchange {

namespace edm = message::edm;
using message::ErrorCode;

namespace {

constexpr std::string_view kEbrsMediaType = "application/x-ebrs+xml";
constexpr std::string_view kClassificationMarker = "evidencetypeclassifications/";

// "https://sr.oots.tech.ec.europa.eu/evidencetypeclassifications/DE/ca8a..." -> "DE/ca8a...".
std::string_view classification_key(std::string_view classification) {
  const auto at = classification.find(kClassificationMarker);
  return at == std::string_view::npos ? classification : classification.substr(at + kClassificationMarker.size());
}

edm::Fault fault_for(ErrorCode code) {
  switch (code) {
    case ErrorCode::unknown_authority:
    case ErrorCode::author_mismatch:
    case ErrorCode::signature_invalid: return edm::Fault::failed_authentication;
    case ErrorCode::not_permitted: return edm::Fault::missing_authorization;
    case ErrorCode::xml_malformed:
    case ErrorCode::schema_invalid:
    case ErrorCode::idnr_invalid:
    case ErrorCode::stale:
    case ErrorCode::time_invalid:
    case ErrorCode::wrong_recipient:
    case ErrorCode::replay:
    case ErrorCode::bad_request:
    case ErrorCode::too_large:
    case ErrorCode::unsupported_media_type:
    case ErrorCode::method_not_allowed:
    case ErrorCode::unknown_endpoint:
    case ErrorCode::not_implemented:
    case ErrorCode::expectation_failed: return edm::Fault::invalid_request;
    case ErrorCode::not_found: return edm::Fault::not_found;
    case ErrorCode::timeout: return edm::Fault::timeout;
    case ErrorCode::unsupported_capability:
    case ErrorCode::no_register: return edm::Fault::unsupported;
    case ErrorCode::register_unavailable:
    case ErrorCode::rate_limited:
    case ErrorCode::overloaded:
    case ErrorCode::shutting_down:
    case ErrorCode::internal_error:
    case ErrorCode::replay_window_unavailable:
    case ErrorCode::log_unavailable: return edm::Fault::query_exception;
  }
  return edm::Fault::query_exception;
}

std::string uuid_urn() { return "urn:uuid:" + crypto::new_uuid(); }

class OotsFamily final : public MessageFamily {
 public:
  OotsFamily(std::shared_ptr<const edm::EdmCodec> codec, std::shared_ptr<const OotsOptions> options)
      : codec_(std::move(codec)), options_(std::move(options)) {}

  [[nodiscard]] std::string_view name() const noexcept override { return "oots"; }
  [[nodiscard]] FamilyWords words() const noexcept override {
    return {"IssueDateTime", "request id", "the person's explicit request (ExplicitRequestGiven = true)", "this person"};
  }

  void decode(ExchangeContext& context) const override {
    const bool envelope = net::media_type_is(context.content_type, "application/soap+xml");
    auto reading = std::make_shared<edm::DecodeResult>(codec_->decode(context.body, envelope));
    context.decoded = {};
    context.decoded.request_uuid = reading->request_id;
    if (!reading->ok()) {
      context.decoded.error = reading->fault == edm::Fault::unsupported      ? ErrorCode::unsupported_capability
                              : reading->fault == edm::Fault::query_exception ? ErrorCode::internal_error
                                                                               : ErrorCode::schema_invalid;
      context.decoded.error_text = reading->detail;
    } else {
      const auto& r = *reading->request;
      message::EvidenceRequest view;
      view.kopf.nachrichten_uuid = r.id;
      view.kopf.nachrichtentyp = "oots-edm QueryRequest";
      view.kopf.erstellungszeitpunkt = r.issue_date_time;
      view.kopf.autor = message::Authority{"oots", r.requester.key(), r.requester.name};
      view.zweck = r.procedure;
      view.rechtsgrundlage = options_->legal_basis;
      view.einwilligung = r.explicit_request_given;
      context.decoded.request = std::move(view);
    }
    context.edm = std::move(reading);
  }

  [[nodiscard]] ExchangeResult answer(ExchangeContext& context, const adapters::RegisterAdapter& adapter,
                                      const adapters::Evidence& evidence) const override {
    const auto& request = *context.edm->request;
    const std::string& type = context.request().nachweistyp;
    edm::ResponseFacts facts;
    facts.provider = options_->provider;
    facts.response_id = crypto::new_uuid();
    facts.issue_date_time = common::utc_text(std::chrono::system_clock::now());
    facts.registry_object_id = uuid_urn();
    facts.package_id = uuid_urn();
    facts.classification_id = uuid_urn();
    facts.evidence_id = crypto::new_uuid();
    facts.issuing_authority_name = adapter.register_name();
    facts.issuing_date = facts.issue_date_time.substr(0, 10);
    facts.content_id = facts.evidence_id + "@evidence.oncegate";
    facts.title = context.evidence_title.empty() ? type : context.evidence_title;
    const bool pdf = net::media_type_is(request.format, "application/pdf");
    const std::string attachment = pdf ? edm::render_evidence_pdf(facts.title, evidence.fields)
                                       : edm::render_evidence_xml(evidence.document, evidence.fields);
    const std::string response = codec_->write_response(request, facts);
    // The QueryResponse and the evidence it references, the way AS4 carries them: one MIME part
    // each, the evidence under the Content-ID its RepositoryItemRef names.
    auto multipart = net::write_multipart_related(
        {{"application/x-ebrs+xml; charset=UTF-8", "response@oncegate", response},
         {pdf ? "application/pdf" : "application/xml", facts.content_id, attachment}},
        "oncegate-" + crypto::random_hex(12));
    ExchangeResult result;
    result.headers.emplace_back(std::string(kJwsHeader), options_->jws(multipart.body));  // throws: nothing unsigned leaves
    result.body = std::move(multipart.body);
    result.content_type = std::move(multipart.content_type);
    return result;
  }

  [[nodiscard]] ExchangeResult error(const ExchangeContext* context, ErrorCode code,
                                     std::string_view text) const override {
    edm::ErrorFacts facts;
    if (context != nullptr && context->edm) {
      const auto& reading = *context->edm;
      facts.version = reading.answer_version;
      facts.specification = reading.answer_specification;
      facts.request_id = reading.request_id;
      if (reading.ok()) facts.requester = reading.request->requester;
    }
    facts.response_id = crypto::new_uuid();
    facts.timestamp = common::utc_text(std::chrono::system_clock::now());
    facts.error_provider = options_->provider;
    ExchangeResult result;
    result.http_status = message::http_status(code);
    result.body = codec_->write_error(facts, fault_for(code), text);
    result.content_type = std::string(kEbrsMediaType) + "; charset=utf-8";
    try {
      result.headers.emplace_back(std::string(kJwsHeader), options_->jws(result.body));
    } catch (const std::exception& failure) {
      // As for national error answers: no personal data inside, and the missing signature shows.
      oplog::write(oplog::Level::error, "signing_failed", {{"what", "oots error answer"}, {"reason", failure.what()}});
    }
    return result;
  }

 private:
  std::shared_ptr<const edm::EdmCodec> codec_;
  std::shared_ptr<const OotsOptions> options_;
};

}  // namespace

std::vector<std::string> oots_media_types() {
  return {std::string(kEbrsMediaType), "application/xml", "application/soap+xml"};
}

std::shared_ptr<const MessageFamily> oots_family(std::shared_ptr<const edm::EdmCodec> codec,
                                                 std::shared_ptr<const OotsOptions> options) {
  return std::make_shared<const OotsFamily>(std::move(codec), std::move(options));
}

namespace {
std::string subject_key(bool legal_person, std::string_view key) {
  return std::string(legal_person ? "L|" : "N|") + std::string(key);
}
}  // namespace

OotsEvidenceTypes::OotsEvidenceTypes(std::vector<OotsEvidenceType> mappings) : mappings_(std::move(mappings)) {
  for (std::size_t i = 0; i < mappings_.size(); ++i) {
    const auto& m = mappings_[i];
    if (!m.classification.empty() &&
        !by_classification_.emplace(subject_key(m.legal_person, classification_key(m.classification)), i).second) {
      throw std::invalid_argument("two OOTS evidence type mappings for the same subject map the classification '" +
                                  m.classification + "' (the second: '" + m.id + "')");
    }
    if (!m.requirement.empty() && !by_requirement_.emplace(subject_key(m.legal_person, m.requirement), i).second) {
      throw std::invalid_argument("two OOTS evidence type mappings for the same subject map the requirement '" +
                                  m.requirement + "' (the second: '" + m.id + "')");
    }
  }
}

const OotsEvidenceType* OotsEvidenceTypes::find(bool legal_person, std::string_view classification,
                                                const std::vector<std::string>& requirements) const {
  if (const auto it = by_classification_.find(subject_key(legal_person, classification_key(classification)));
      it != by_classification_.end()) {
    return &mappings_[it->second];
  }
  for (const auto& requirement : requirements) {
    if (const auto it = by_requirement_.find(subject_key(legal_person, requirement)); it != by_requirement_.end()) {
      return &mappings_[it->second];
    }
  }
  return nullptr;
}

std::optional<Rejection> AgentCheck::check(ExchangeContext& context) const {
  const auto& fingerprint = context.connection.peer_certificate_fingerprint;
  const trust::Authority* party = fingerprint.empty() ? nullptr : trust_->by_certificate(fingerprint);
  if (party == nullptr) {
    return Rejection{ErrorCode::unknown_authority, "the TLS client certificate is not registered to any party",
                     Outcome::denied};
  }
  const auto& agent = context.request().kopf.autor.kennung;
  if (!trust_->speaks_for(party->kennung, agent)) {
    return Rejection{ErrorCode::unknown_authority,
                     "the party " + party->kennung + " is not registered to speak for the EvidenceRequester " + agent,
                     Outcome::denied};
  }
  context.authority = agent;
  context.authentic = true;
  return std::nullopt;
}

std::optional<Rejection> EvidenceTypeCheck::check(ExchangeContext& context) const {
  const auto& request = *context.edm->request;
  const bool legal = request.company.has_value();
  const OotsEvidenceType* found =
      options_->evidence_types.find(legal, request.evidence_type_classification, request.requirements);
  if (found == nullptr) {
    return Rejection{ErrorCode::unsupported_capability,
                     std::string("this provider offers no evidence of the requested type for a ") +
                         (legal ? "legal person" : "natural person"),
                     Outcome::invalid};
  }
  if (!net::media_type_is(request.format, "application/xml") && !net::media_type_is(request.format, "application/pdf")) {
    return Rejection{ErrorCode::unsupported_capability,
                     "the distribution format is not offered; this provider offers application/xml and application/pdf",
                     Outcome::invalid};
  }
  context.decoded.request->nachweistyp = found->evidence_type;
  context.evidence_title = found->title;
  return std::nullopt;
}

std::optional<Rejection> PreviewCheck::check(ExchangeContext& context) const {
  if (!context.preview_required) return std::nullopt;
  const bool possible = context.edm->request->possibility_for_preview;
  return Rejection{ErrorCode::not_permitted,
                   std::string("the permission rule '") + context.permission_rule +
                       "' allows this evidence only after a preview, and this provider offers no preview" +
                       (possible ? "" : " (nor does the request allow one)"),
                   Outcome::denied};
}

std::optional<Rejection> IdentityCheck::check(ExchangeContext& context) const {
  const auto& request = *context.edm->request;
  if (request.company) {
    // A company is found by the register that holds it (by name and register number), the way
    // the Handelsregister's own search finds it; its answer not_found is EDM:ERR:0004 as here.
    context.legal_entity = adapters::LegalEntityQuery{request.company->legal_name, request.company->identifiers};
    return std::nullopt;
  }
  if (!request.person) return Rejection{ErrorCode::schema_invalid, "the request names no subject", Outcome::invalid};
  const auto& person = *request.person;
  const auto match = resolver_ ? resolver_->resolve(adapters::IdentityQuery{person.family_name, person.given_name,
                                                                            person.date_of_birth, person.place_of_birth})
                               : adapters::IdentityMatch{};
  if (match.outcome != adapters::IdentityOutcome::matched) {
    // Same words for no match and for several: the requester learns nothing about who exists.
    return Rejection{ErrorCode::not_found, "no single person in the German registers matches the data given",
                     Outcome::not_found};
  }
  context.decoded.request->idnr = match.idnr;
  return std::nullopt;
}

}  // namespace oncegate::exchange
