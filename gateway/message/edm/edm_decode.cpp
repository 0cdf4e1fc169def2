// Reading EDM requests: envelope, slots by name, the version, the schema of that version, then the
// rules a provider must check, each failure EDM:ERR:0003 naming the rule.

#include "gateway/message/edm/edm.hpp"

#include <libxml/xmlerror.h>
#include <libxml/xmlschemas.h>

#include <array>
#include <chrono>
#include <climits>
#include <map>
#include <mutex>
#include <stdexcept>

#include "gateway/common/bytes.hpp"
#include "gateway/message/xml_tree.hpp"
#include "gateway/message/safe_xml.hpp"
#include "gateway/message/xml_schema.hpp"

namespace oncegate::message {
std::string_view embedded_edm_rim_schema() noexcept;
std::string_view embedded_edm_v1_schema() noexcept;
std::string_view embedded_edm_v2_schema() noexcept;
}  // namespace oncegate::message

namespace oncegate::message::edm {

using xml::attribute;
using xml::first_child;
using xml::first_element;
using xml::is_element;
using xml::text_of;

namespace {

constexpr std::string_view kSoap12Namespace = "http://www.w3.org/2003/05/soap-envelope";
constexpr std::string_view kDomibusWsPluginNamespace = "http://eu.domibus.wsplugin/";
constexpr std::string_view kEbmsNamespace = "http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/";
constexpr const char* kXsiNamespace = "http://www.w3.org/2001/XMLSchema-instance";

// Slots a QueryRequest must carry (top level), in the order they are reported when missing.
constexpr std::array<std::string_view, 7> kRequiredSlots{
    "SpecificationIdentifier", "IssueDateTime", "Procedure", "PossibilityForPreview",
    "ExplicitRequestGiven",    "Requirements",  "EvidenceRequester"};

// RFC 4122: version 1..5 and the variant bits 10xx.
bool is_rfc4122_request_id(std::string_view id) {
  if (!id.starts_with("urn:uuid:")) return false;
  const std::string_view uuid = id.substr(9);
  if (!common::is_uuid_text(uuid)) return false;
  const char version = uuid[14];
  const char variant = static_cast<char>(uuid[19] | 0x20);
  return version >= '1' && version <= '5' && (variant == '8' || variant == '9' || variant == 'a' || variant == 'b');
}

bool is_date(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  for (std::size_t i : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u}) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  const int year = std::stoi(std::string(text.substr(0, 4)));
  const unsigned month = static_cast<unsigned>(std::stoi(std::string(text.substr(5, 2))));
  const unsigned day = static_cast<unsigned>(std::stoi(std::string(text.substr(8, 2))));
  return std::chrono::year_month_day{std::chrono::year{year}, std::chrono::month{month}, std::chrono::day{day}}.ok();
}

bool is_country(std::string_view text) {
  return text.size() == 2 && text[0] >= 'A' && text[0] <= 'Z' && text[1] >= 'A' && text[1] <= 'Z';
}

// eIDAS identifier: XX/YY/<unique part>, XX and YY ISO 3166-1 alpha-2 (EL for Greece included).
bool is_eidas_identifier(std::string_view text) {
  return text.size() > 6 && text.size() <= 256 && is_country(text.substr(0, 2)) && text[2] == '/' &&
         is_country(text.substr(3, 2)) && text[5] == '/';
}

bool is_level_of_assurance(std::string_view text) {
  return text == "Low" || text == "Substantial" || text == "High" || text == "http://eidas.europa.eu/LoA/low" ||
         text == "http://eidas.europa.eu/LoA/substantial" || text == "http://eidas.europa.eu/LoA/high";
}

// An EAS scheme: urn:cef.eu:names:identifier:EAS:<four digits>.
bool is_eas_scheme(std::string_view scheme) {
  if (!scheme.starts_with(kEasSchemePrefix)) return false;
  const auto code = scheme.substr(kEasSchemePrefix.size());
  if (code.size() != 4) return false;
  for (char c : code) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// The local name of the xsi:type of a rim:SlotValue, resolved through the namespace in scope:
// "rim:StringValueType" with rim bound to the RIM namespace gives "StringValueType".
std::string value_kind(const xmlNode* value) {
  const std::string type = attribute(value, "type", kXsiNamespace);
  const auto colon = type.find(':');
  const std::string prefix = colon == std::string::npos ? std::string() : type.substr(0, colon);
  const std::string local = colon == std::string::npos ? type : type.substr(colon + 1);
  const xmlNs* ns = xmlSearchNs(value->doc, const_cast<xmlNode*>(value),
                                prefix.empty() ? nullptr : reinterpret_cast<const xmlChar*>(prefix.c_str()));
  if (ns == nullptr || ns->href == nullptr || kRimNamespace != reinterpret_cast<const char*>(ns->href)) return {};
  return local;
}

class Invalid : public std::runtime_error {
 public:
  Invalid(Fault fault, const std::string& detail) : std::runtime_error(detail), fault_(fault) {}
  [[nodiscard]] Fault fault() const noexcept { return fault_; }

 private:
  Fault fault_;
};

[[noreturn]] void invalid(const std::string& detail) { throw Invalid(Fault::invalid_request, detail); }

using Slots = std::map<std::string, const xmlNode*, std::less<>>;

// The rim:Slot children of `parent` by name; a name twice is invalid.
Slots slots_of(const xmlNode* parent, std::string_view where) {
  Slots slots;
  for (const xmlNode* c = parent->children; c != nullptr; c = c->next) {
    if (!is_element(c, kRimNamespace, "Slot")) continue;
    std::string name = attribute(c, "name");
    if (!slots.emplace(name, c).second) invalid("the slot '" + name + "' appears twice in " + std::string(where));
  }
  return slots;
}

const xmlNode* slot_value(const xmlNode* slot, std::string_view name) {
  const xmlNode* value = first_child(slot, kRimNamespace, "SlotValue");
  if (value == nullptr) invalid("the slot '" + std::string(name) + "' has no SlotValue");
  return value;
}

void expect_kind(const xmlNode* value, std::string_view name, std::string_view kind) {
  if (value_kind(value) != kind) {
    invalid("the slot '" + std::string(name) + "' must have a SlotValue of xsi:type rim:" + std::string(kind));
  }
}

bool boolean_slot(const Slots& slots, std::string_view name) {
  const xmlNode* value = slot_value(slots.find(name)->second, name);
  expect_kind(value, name, "BooleanValueType");
  const std::string text = text_of(first_child(value, kRimNamespace, "Value"));
  if (text == "true" || text == "1") return true;
  if (text == "false" || text == "0") return false;
  invalid("the slot '" + std::string(name) + "' must hold an xs:boolean");
}

// Procedure: a LocalizedString in v1 (InternationalStringValueType), a plain string in v2; either
// form is read in both versions.
std::string procedure_slot(const Slots& slots) {
  const xmlNode* value = slot_value(slots.find("Procedure")->second, "Procedure");
  const std::string kind = value_kind(value);
  std::string code;
  if (kind == "InternationalStringValueType") {
    code = attribute(first_child(first_child(value, kRimNamespace, "Value"), kRimNamespace, "LocalizedString"), "value");
  } else if (kind == "StringValueType") {
    code = text_of(first_child(value, kRimNamespace, "Value"));
  } else {
    invalid("the slot 'Procedure' must have a SlotValue of xsi:type rim:InternationalStringValueType (v1) or "
            "rim:StringValueType (v2)");
  }
  while (!code.empty() && (code.back() == ' ' || code.back() == '\n' || code.back() == '\t')) code.pop_back();
  if (code.empty() || code.size() > 16) invalid("the slot 'Procedure' must name a procedure code");
  return code;
}

// The elements a slot carries: one in an AnyValueType, each Element's one in a CollectionValueType.
std::vector<const xmlNode*> carried_elements(const xmlNode* slot, std::string_view name) {
  const xmlNode* value = slot_value(slot, name);
  const std::string kind = value_kind(value);
  std::vector<const xmlNode*> out;
  if (kind == "AnyValueType") {
    if (const xmlNode* e = first_element(value)) out.push_back(e);
  } else if (kind == "CollectionValueType") {
    for (const xmlNode* c = value->children; c != nullptr; c = c->next) {
      if (!is_element(c, kRimNamespace, "Element")) continue;
      if (value_kind(c) != "AnyValueType") {
        invalid("the elements of the slot '" + std::string(name) + "' must be of xsi:type rim:AnyValueType");
      }
      if (const xmlNode* e = first_element(c)) out.push_back(e);
    }
  } else {
    invalid("the slot '" + std::string(name) + "' must have a SlotValue of xsi:type rim:AnyValueType or "
            "rim:CollectionValueType");
  }
  return out;
}

std::string sdg_text(const xmlNode* parent, std::string_view local_name) {
  return text_of(first_child(parent, kSdgNamespace, local_name));
}

Agent read_agent(const xmlNode* agent, std::string_view slot) {
  if (!is_element(agent, kSdgNamespace, "Agent")) invalid("the slot '" + std::string(slot) + "' must carry sdg:Agent");
  Agent out;
  const xmlNode* identifier = first_child(agent, kSdgNamespace, "Identifier");
  out.identifier = text_of(identifier);
  out.scheme = attribute(identifier, "schemeID");
  out.name = sdg_text(agent, "Name");
  out.country = sdg_text(first_child(agent, kSdgNamespace, "Address"), "AdminUnitLevel1");
  out.classification = sdg_text(agent, "Classification");
  if (out.identifier.empty() || out.scheme.empty()) {
    invalid("an sdg:Agent in '" + std::string(slot) + "' needs an sdg:Identifier with a schemeID");
  }
  if (out.identifier.size() > 128 || out.scheme.size() > 128) invalid("an sdg:Agent identifier is too long");
  return out;
}

NaturalPerson read_person(const xmlNode* person, std::string_view slot, Version version) {
  if (!is_element(person, kSdgNamespace, "Person")) invalid("the slot '" + std::string(slot) + "' must carry sdg:Person");
  NaturalPerson out;
  out.level_of_assurance = sdg_text(person, "LevelOfAssurance");
  const xmlNode* identifier = first_child(person, kSdgNamespace, "Identifier");
  out.eidas_identifier = text_of(identifier);
  out.family_name = sdg_text(person, "FamilyName");
  out.given_name = sdg_text(person, "GivenName");
  out.date_of_birth = sdg_text(person, "DateOfBirth");
  out.birth_name = sdg_text(person, "BirthName");
  out.place_of_birth = sdg_text(person, "PlaceOfBirth");
  const std::string where = "the sdg:Person of '" + std::string(slot) + "'";
  if (!is_level_of_assurance(out.level_of_assurance)) {
    invalid(where + " needs an sdg:LevelOfAssurance of the eIDAS list (Low, Substantial, High)");
  }
  if (identifier == nullptr && version == Version::v1) invalid(where + " needs the eIDAS sdg:Identifier (required in v1)");
  if (identifier != nullptr) {
    if (attribute(identifier, "schemeID") != "eidas") invalid(where + ": sdg:Identifier needs schemeID=\"eidas\"");
    if (!is_eidas_identifier(out.eidas_identifier)) {
      invalid(where + ": the eIDAS identifier must have the form XX/YY/<identifier> (ISO 3166-1 alpha-2 codes)");
    }
  }
  if (out.family_name.empty() || out.family_name.size() > 200) invalid(where + " needs an sdg:FamilyName");
  if (out.given_name.empty() || out.given_name.size() > 200) invalid(where + " needs an sdg:GivenName");
  if (!is_date(out.date_of_birth)) invalid(where + " needs an sdg:DateOfBirth of the form YYYY-MM-DD");
  if (out.birth_name.size() > 200 || out.place_of_birth.size() > 200) invalid(where + ": a name is too long");
  return out;
}

LegalPerson read_company(const xmlNode* company, Version version) {
  if (!is_element(company, kSdgNamespace, "LegalPerson")) invalid("the slot 'LegalPerson' must carry sdg:LegalPerson");
  LegalPerson out;
  out.level_of_assurance = sdg_text(company, "LevelOfAssurance");
  const xmlNode* identifier = first_child(company, kSdgNamespace, "LegalPersonIdentifier");
  out.eidas_identifier = text_of(identifier);
  out.legal_name = sdg_text(company, "LegalName");
  for (const xmlNode* c = company->children; c != nullptr; c = c->next) {
    if (is_element(c, kSdgNamespace, "Identifier")) out.identifiers.emplace_back(attribute(c, "schemeID"), text_of(c));
  }
  if (!is_level_of_assurance(out.level_of_assurance)) {
    invalid("the sdg:LegalPerson needs an sdg:LevelOfAssurance of the eIDAS list (Low, Substantial, High)");
  }
  if (identifier == nullptr && version == Version::v1) {
    invalid("the sdg:LegalPerson needs the eIDAS sdg:LegalPersonIdentifier (required in v1)");
  }
  if (identifier != nullptr && !is_eidas_identifier(out.eidas_identifier)) {
    invalid("the sdg:LegalPerson: the eIDAS identifier must have the form XX/YY/<identifier>");
  }
  if (out.legal_name.empty() || out.legal_name.size() > 300) invalid("the sdg:LegalPerson needs an sdg:LegalName");
  return out;
}

void read_evidence_request(const xmlNode* slot, EvidenceRequest& request) {
  const auto carried = carried_elements(slot, "EvidenceRequest");
  if (carried.size() != 1 || !is_element(carried[0], kSdgNamespace, "DataServiceEvidenceType")) {
    invalid("the slot 'EvidenceRequest' must carry one sdg:DataServiceEvidenceType");
  }
  const xmlNode* type = carried[0];
  request.evidence_type_id = sdg_text(type, "Identifier");
  request.evidence_type_classification = sdg_text(type, "EvidenceTypeClassification");
  request.evidence_title = sdg_text(type, "Title");
  const xmlNode* distribution = first_child(type, kSdgNamespace, "DistributedAs");
  request.format = sdg_text(distribution, "Format");
  request.conforms_to = sdg_text(distribution, "ConformsTo");
  request.transformation = sdg_text(distribution, "Transformation");
  request.language = sdg_text(distribution, "Language");
  if (request.evidence_type_id.empty()) invalid("the sdg:DataServiceEvidenceType needs an sdg:Identifier");
  if (request.evidence_type_classification.empty() || request.evidence_type_classification.size() > 512) {
    invalid("the sdg:DataServiceEvidenceType needs an sdg:EvidenceTypeClassification");
  }
  if (distribution == nullptr || request.format.empty()) {
    invalid("the sdg:DataServiceEvidenceType needs sdg:DistributedAs with an sdg:Format");
  }
}

// The version named by a SpecificationIdentifier text, or nullopt when not served.
std::optional<Version> version_of(std::string_view specification) {
  if (specification == "oots-edm:v1.0" || specification == "oots-edm:v1.1" || specification == "oots-edm:v1.2") {
    return Version::v1;
  }
  if (specification == "oots-edm:v2.0") return Version::v2;
  return std::nullopt;
}

struct Unwrapped {
  std::string payload;
  std::string envelope_specification;  // MessageProperties/Property[@name=SpecificationId]
};

// The QueryRequest inside a Domibus WS plugin retrieveMessageResponse envelope.
Unwrapped unwrap_domibus(std::string_view body, const CodecOptions& options) {
  ParseOutcome parsed = parse_safely(body, options.max_depth, options.max_elements, true);
  if (!parsed.doc) invalid("the envelope: " + parsed.error);
  const xmlNode* envelope = xmlDocGetRootElement(parsed.doc.get());
  if (!is_element(envelope, kSoap12Namespace, "Envelope")) invalid("the envelope must be a SOAP 1.2 soap:Envelope");
  Unwrapped out;
  const xmlNode* user_message = first_child(first_child(first_child(envelope, kSoap12Namespace, "Header"), kEbmsNamespace,
                                                        "Messaging"), kEbmsNamespace, "UserMessage");
  const xmlNode* properties = first_child(user_message, kEbmsNamespace, "MessageProperties");
  for (const xmlNode* p = properties != nullptr ? properties->children : nullptr; p != nullptr; p = p->next) {
    if (is_element(p, kEbmsNamespace, "Property") && attribute(p, "name") == "SpecificationId") {
      out.envelope_specification = text_of(p);
    }
  }
  const xmlNode* response = first_child(first_child(envelope, kSoap12Namespace, "Body"), kDomibusWsPluginNamespace,
                                        "retrieveMessageResponse");
  if (response == nullptr) invalid("the soap:Body must hold a Domibus retrieveMessageResponse");
  const xmlNode* payload = first_child(response, "", "payload");
  if (payload == nullptr) invalid("the retrieveMessageResponse carries no payload");
  std::string encoded = text_of(first_child(payload, "", "value"));
  std::erase_if(encoded, [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; });
  auto decoded = common::base64_decode(encoded);
  if (!decoded || decoded->empty()) invalid("the payload value is not base64");
  out.payload = std::move(*decoded);
  return out;
}


}  // namespace

std::string_view supported_specifications() noexcept { return "oots-edm:v1.0, oots-edm:v1.1, oots-edm:v1.2, oots-edm:v2.0"; }

struct EdmCodec::Impl {
  CodecOptions options;
  std::unique_ptr<detail::XmlSchema> v1;
  std::unique_ptr<detail::XmlSchema> v2;

  void validate(xmlDoc* doc, Version version) const {
    const std::string problem = (version == Version::v1 ? v1 : v2)->validate(doc);
    if (!problem.empty()) {
      invalid("not a valid QueryRequest of " + std::string(version == Version::v1 ? "EDM v1" : "EDM v2") + " (" + problem + ")");
    }
  }

  void decode_payload(std::string_view body, DecodeResult& out) const {
    ParseOutcome parsed = parse_safely(body, options.max_depth, options.max_elements, true);
    if (!parsed.doc) invalid(parsed.error);
    const xmlNode* root = xmlDocGetRootElement(parsed.doc.get());
    if (!is_element(root, kQueryNamespace, "QueryRequest")) {
      invalid("the document must be a query:QueryRequest (namespace " + std::string(kQueryNamespace) + ")");
    }
    const std::string id = attribute(root, "id");
    if (is_rfc4122_request_id(id)) out.request_id = id;

    const Slots slots = slots_of(root, "the QueryRequest");
    std::string missing;
    for (auto name : kRequiredSlots) {
      if (!slots.contains(name)) missing += (missing.empty() ? "" : ", ") + std::string(name);
    }
    if (!slots.contains("EvidenceProvider")) missing += (missing.empty() ? "" : ", ") + std::string("EvidenceProvider");
    if (!missing.empty()) invalid("required slot missing in the QueryRequest: " + missing);

    const xmlNode* spec_value = first_child(slot_value(slots.at("SpecificationIdentifier"), "SpecificationIdentifier"),
                                            kRimNamespace, "Value");
    const std::string specification = text_of(spec_value);
    if (specification.empty()) invalid("the slot 'SpecificationIdentifier' has no Value");
    const auto version = version_of(specification);
    if (!version) {
      throw Invalid(Fault::unsupported, "the SpecificationIdentifier is not supported; this provider answers " +
                                            std::string(supported_specifications()));
    }
    out.answer_version = *version;
    out.answer_specification = specification;
    validate(parsed.doc.get(), *version);
    if (!is_rfc4122_request_id(id)) invalid("the QueryRequest id must be urn:uuid: followed by an RFC 4122 UUID");

    EvidenceRequest request;
    request.version = *version;
    request.specification = specification;
    request.id = id;
    const xmlNode* issued = slot_value(slots.at("IssueDateTime"), "IssueDateTime");
    expect_kind(issued, "IssueDateTime", "DateTimeValueType");
    request.issue_date_time = text_of(first_child(issued, kRimNamespace, "Value"));
    if (request.issue_date_time.empty()) invalid("the slot 'IssueDateTime' has no Value");
    request.procedure = procedure_slot(slots);
    request.possibility_for_preview = boolean_slot(slots, "PossibilityForPreview");
    request.explicit_request_given = boolean_slot(slots, "ExplicitRequestGiven");

    for (const xmlNode* requirement : carried_elements(slots.at("Requirements"), "Requirements")) {
      if (!is_element(requirement, kSdgNamespace, "Requirement")) invalid("the slot 'Requirements' must carry sdg:Requirement");
      std::string identifier = sdg_text(requirement, "Identifier");
      if (identifier.empty()) invalid("an sdg:Requirement needs an sdg:Identifier");
      request.requirements.push_back(std::move(identifier));
    }
    if (request.requirements.empty()) invalid("the slot 'Requirements' must carry at least one sdg:Requirement");

    bool have_requester = false;
    for (const xmlNode* element : carried_elements(slots.at("EvidenceRequester"), "EvidenceRequester")) {
      Agent agent = read_agent(element, "EvidenceRequester");
      if (agent.classification.empty() || agent.classification == "ER") {
        if (have_requester) invalid("the slot 'EvidenceRequester' names more than one ER agent");
        if (!is_eas_scheme(agent.scheme)) {
          invalid("the ER agent's identifier needs an EAS schemeID (urn:cef.eu:names:identifier:EAS:<code>)");
        }
        agent.classification = "ER";
        request.requester = std::move(agent);
        have_requester = true;
      } else if (agent.classification == "IP") {
        request.intermediary = std::move(agent);
      } else {
        invalid("the slot 'EvidenceRequester' may carry ER and IP agents only");
      }
    }
    if (!have_requester) invalid("the slot 'EvidenceRequester' needs an agent classified ER");

    const auto providers = carried_elements(slots.at("EvidenceProvider"), "EvidenceProvider");
    if (providers.empty()) invalid("the slot 'EvidenceProvider' needs an sdg:Agent");
    request.provider = read_agent(providers.front(), "EvidenceProvider");

    const xmlNode* query = first_child(root, kQueryNamespace, "Query");
    const Slots query_slots = slots_of(query, "the Query");
    const bool natural = query_slots.contains("NaturalPerson");
    const bool legal = query_slots.contains("LegalPerson");
    if (natural == legal) invalid("the Query needs exactly one subject: the slot 'NaturalPerson' or 'LegalPerson'");
    if (natural) {
      const auto carried = carried_elements(query_slots.at("NaturalPerson"), "NaturalPerson");
      if (carried.size() != 1) invalid("the slot 'NaturalPerson' must carry one sdg:Person");
      request.person = read_person(carried[0], "NaturalPerson", *version);
    } else {
      const auto carried = carried_elements(query_slots.at("LegalPerson"), "LegalPerson");
      if (carried.size() != 1) invalid("the slot 'LegalPerson' must carry one sdg:LegalPerson");
      request.company = read_company(carried[0], *version);
    }
    if (const auto it = query_slots.find("AuthorizedRepresentative"); it != query_slots.end()) {
      const auto carried = carried_elements(it->second, "AuthorizedRepresentative");
      if (carried.size() != 1) invalid("the slot 'AuthorizedRepresentative' must carry one sdg:Person");
      request.representative = read_person(carried[0], "AuthorizedRepresentative", *version);
    }
    const auto evidence = query_slots.find("EvidenceRequest");
    if (evidence == query_slots.end()) invalid("required slot missing in the Query: EvidenceRequest");
    read_evidence_request(evidence->second, request);
    out.request = std::move(request);
  }
};

EdmCodec::EdmCodec(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
EdmCodec::~EdmCodec() = default;

std::shared_ptr<const EdmCodec> EdmCodec::open(const CodecOptions& options) {
  init_libxml_once();
  static std::once_flag registered;
  std::call_once(registered, [] { register_embedded_schema_import("oots-rim-4.0-subset.xsd", embedded_edm_rim_schema()); });
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->v1 = std::make_unique<detail::XmlSchema>(embedded_edm_v1_schema(), "the schema oots-edm-1.x.xsd");
  impl->v2 = std::make_unique<detail::XmlSchema>(embedded_edm_v2_schema(), "the schema oots-edm-2.0.xsd");
  return std::shared_ptr<const EdmCodec>(new EdmCodec(std::move(impl)));
}

DecodeResult EdmCodec::decode(std::string_view body, bool domibus_envelope) const {
  DecodeResult out;
  out.carrier = domibus_envelope ? Carrier::domibus : Carrier::bare;
  try {
    std::string payload_storage;
    std::string_view payload = body;
    if (domibus_envelope) {
      Unwrapped unwrapped = unwrap_domibus(body, impl_->options);
      if (const auto version = version_of(unwrapped.envelope_specification)) {
        out.answer_version = *version;
        out.answer_specification = unwrapped.envelope_specification;
      }
      payload_storage = std::move(unwrapped.payload);
      payload = payload_storage;
    }
    impl_->decode_payload(payload, out);
  } catch (const Invalid& failure) {
    out.request.reset();
    out.fault = failure.fault();
    out.detail = failure.what();
    if (out.fault == Fault::unsupported) {
      out.answer_version = Version::v2;
      out.answer_specification = "oots-edm:v2.0";
    }
  } catch (const std::exception&) {
    out.request.reset();
    out.fault = Fault::query_exception;
    out.detail = "the request could not be processed";
  }
  return out;
}

std::string_view fault_code(Fault fault) noexcept {
  switch (fault) {
    case Fault::failed_authentication: return "EDM:ERR:0001";
    case Fault::missing_authorization: return "EDM:ERR:0002";
    case Fault::invalid_request: return "EDM:ERR:0003";
    case Fault::not_found: return "EDM:ERR:0004";
    case Fault::timeout: return "EDM:ERR:0005";
    case Fault::unsupported: return "EDM:ERR:0007";
    case Fault::query_exception: return "EDM:ERR:0008";
  }
  return "EDM:ERR:0008";
}

std::string_view fault_type(Fault fault) noexcept {
  switch (fault) {
    case Fault::failed_authentication: return "rs:AuthenticationExceptionType";
    case Fault::missing_authorization: return "rs:AuthorizationExceptionType";
    case Fault::invalid_request: return "rs:InvalidRequestExceptionType";
    case Fault::not_found: return "rs:ObjectNotFoundExceptionType";
    case Fault::timeout: return "rs:TimeoutExceptionType";
    case Fault::unsupported: return "rs:UnsupportedCapabilityExceptionType";
    case Fault::query_exception: return "rs:QueryExceptionType";
  }
  return "rs:QueryExceptionType";
}

std::string_view fault_message(Fault fault) noexcept {
  switch (fault) {
    case Fault::failed_authentication: return "Failed Authentication";
    case Fault::missing_authorization: return "Missing Authorization";
    case Fault::invalid_request: return "Syntactically or semantically invalid request";
    case Fault::not_found: return "Object not found";
    case Fault::timeout: return "Exceeding timeout period";
    case Fault::unsupported: return "Optional feature or capability is not supported";
    case Fault::query_exception: return "Problem during the processing of a QueryRequest";
  }
  return "Problem during the processing of a QueryRequest";
}

}  // namespace oncegate::message::edm
