#pragma once
// The EU family: OOTS evidence requests (EDM v1.x and v2.0) on POST /v1/oots/query.
//
//   decode (EDM codec)  ->  AgentCheck  ->  FreshnessCheck  ->  EvidenceTypeCheck
//     ->  PermissionCheck  ->  PreviewCheck  ->  IdentityCheck  ->  route (+ location) -> adapter
//     ->  QueryResponse + evidence as multipart/related, signed as a detached JWS
//
// The request reaches the shared stages in the national view (ExchangeContext::decoded): the
// requester agent as the authority, the mapped national evidence type, the procedure as the
// purpose, the configured legal basis, ExplicitRequestGiven as consent, the matched IDNr.

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gateway/adapter/identity.hpp"
#include "gateway/exchange/pipeline.hpp"
#include "gateway/message/edm/edm.hpp"
#include "gateway/trust/trust_store.hpp"

namespace oncegate::exchange {

// OOTS evidence type -> national evidence type.
struct OotsEvidenceType {
  std::string id;
  std::string classification;  // compared on the part after "evidencetypeclassifications/"; may be empty
  std::string requirement;     // a requirement URI, compared whole; may be empty
  bool legal_person = false;   // for LegalPerson requests (else NaturalPerson)
  std::string evidence_type;
  std::string title;
};

// The mappings, indexed when the pipeline is built. Immutable, thread-safe.
class OotsEvidenceTypes {
 public:
  OotsEvidenceTypes() = default;
  // Throws std::invalid_argument when two mappings for the same subject share a classification
  // (compared as find() compares it) or a requirement: the answer must not depend on their order.
  explicit OotsEvidenceTypes(std::vector<OotsEvidenceType> mappings);
  // The classification decides; a requirement of the request only where no classification maps.
  [[nodiscard]] const OotsEvidenceType* find(bool legal_person, std::string_view classification,
                                             const std::vector<std::string>& requirements) const;

 private:
  std::vector<OotsEvidenceType> mappings_;
  std::unordered_map<std::string, std::size_t> by_classification_;  // "<N|L>|<key>" -> mapping
  std::unordered_map<std::string, std::size_t> by_requirement_;     // "<N|L>|<uri>" -> mapping
};

struct OotsOptions {
  message::edm::Agent provider;  // the gateway as evidence provider
  std::string legal_basis;       // the rechtsgrundlage permission rules name for OOTS requests
  OotsEvidenceTypes evidence_types;
  // Signs the answer's bytes: a detached JWS (compact, empty payload part). Required.
  std::function<std::string(std::string_view payload)> jws;
};

// The response header carrying the detached JWS over the whole answer body.
inline constexpr std::string_view kJwsHeader = "X-JWS-Signature";

// The media types POST /v1/oots/query accepts.
[[nodiscard]] std::vector<std::string> oots_media_types();

[[nodiscard]] std::shared_ptr<const MessageFamily> oots_family(std::shared_ptr<const message::edm::EdmCodec> codec,
                                                               std::shared_ptr<const OotsOptions> options);

// The party on the TLS connection must be registered to speak for the requester agent. Then the
// request is the agent's own (authentic): the AS4 layer signed it, the party vouches for it.
class AgentCheck final : public RequestCheck {
 public:
  explicit AgentCheck(std::shared_ptr<const trust::TrustStore> trust) : trust_(std::move(trust)) {}
  [[nodiscard]] std::string_view name() const noexcept override { return "agent"; }
  [[nodiscard]] std::optional<Rejection> check(ExchangeContext& context) const override;

 private:
  std::shared_ptr<const trust::TrustStore> trust_;
};

// The requested evidence type must map to a national one, in a format offered.
class EvidenceTypeCheck final : public RequestCheck {
 public:
  explicit EvidenceTypeCheck(std::shared_ptr<const OotsOptions> options) : options_(std::move(options)) {}
  [[nodiscard]] std::string_view name() const noexcept override { return "evidence_type"; }
  [[nodiscard]] std::optional<Rejection> check(ExchangeContext& context) const override;

 private:
  std::shared_ptr<const OotsOptions> options_;
};

// A rule that demands a preview cannot be served: this provider offers none (yet).
class PreviewCheck final : public RequestCheck {
 public:
  [[nodiscard]] std::string_view name() const noexcept override { return "preview"; }
  [[nodiscard]] std::optional<Rejection> check(ExchangeContext& context) const override;
};

// Names and birth date -> IDNr through the identity-data retrieval. No match and more than one
// match get the same words. A legal person is passed on to its register as named
// (ExchangeContext::legal_entity).
class IdentityCheck final : public RequestCheck {
 public:
  explicit IdentityCheck(std::shared_ptr<const adapters::IdentityResolver> resolver) : resolver_(std::move(resolver)) {}
  [[nodiscard]] std::string_view name() const noexcept override { return "identity"; }
  [[nodiscard]] std::optional<Rejection> check(ExchangeContext& context) const override;

 private:
  std::shared_ptr<const adapters::IdentityResolver> resolver_;
};

}  // namespace oncegate::exchange
