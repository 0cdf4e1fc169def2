#include "gateway/message/codec.hpp"
#include "gateway/message/xml_schema.hpp"

#include "gateway/common/bytes.hpp"
#include "gateway/common/time.hpp"
#include "gateway/crypto/crypto.hpp"
#include "gateway/message/safe_xml.hpp"
#include "gateway/message/xml_text.hpp"
#include "gateway/message/xml_tree.hpp"

#include <libxml/xmlerror.h>
#include <libxml/xmlschemas.h>

#include <array>
#include <climits>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <mutex>
#include <sstream>

namespace oncegate::message {

namespace {




// Elements of the national namespace.
bool is_element(const xmlNode* node, std::string_view local_name) { return xml::is_element(node, kNamespace, local_name); }
const xmlNode* child(const xmlNode* parent, std::string_view local_name) {
  return xml::first_child(parent, kNamespace, local_name);
}

using xml::text_of;

std::string read_uuid(const xmlNode* root) {
  std::string uuid = text_of(child(child(root, "nachrichtenkopf"), "nachrichtenUUID"));
  return common::is_uuid_text(uuid) ? uuid : std::string{};
}

Authority read_authority(const xmlNode* node) {
  return Authority{text_of(child(node, "verzeichnisdienst")), text_of(child(node, "kennung")),
                   text_of(child(node, "name"))};
}


// Messages are written without indentation (every whitespace text node costs parsing,
// canonicalisation and signature time at both ends) and in canonical form (exclusive C14N: no
// attributes but the root's namespace declaration, end tags for empty elements, C14N text
// escaping), which lets the gateway sign its answers without re-parsing them.
void append_escaped(std::string& out, std::string_view text) { detail::append_xml_text(out, text); }

bool is_xml_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  if (!((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z'))) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

void element(std::string& out, std::string_view name, std::string_view text) {
  out += "<nw:";
  out += name;
  out += '>';
  append_escaped(out, text);
  out += "</nw:";
  out += name;
  out += ">";
}

void authority(std::string& out, std::string_view role, const Authority& a) {
  out += "<nw:";
  out += role;
  out += ">";
  element(out, "verzeichnisdienst", a.verzeichnisdienst);
  element(out, "kennung", a.kennung);
  if (!a.name.empty()) element(out, "name", a.name);
  out += "</nw:";
  out += role;
  out += ">";
}

void header(std::string& out, const OutgoingHeader& h, std::string_view type,
            std::string_view uuid = {}, std::string_view created = {}) {
  out += "<nw:nachrichtenkopf>";
  element(out, "nachrichtenUUID", uuid.empty() ? crypto::new_uuid() : std::string(uuid));
  element(out, "nachrichtentyp", type);
  element(out, "erstellungszeitpunkt",
          created.empty() ? common::utc_text(std::chrono::system_clock::now()) : std::string(created));
  authority(out, "autor", h.autor);
  // An error may answer a message whose author could not be read: then there is no reader.
  if (!h.leser.kennung.empty()) authority(out, "leser", h.leser);
  out += "</nw:nachrichtenkopf>";
}

void bezug(std::string& out, const Bezug& b) {
  out += "<nw:bezug>";
  if (!b.request_uuid.empty()) element(out, "nachrichtenUUID", b.request_uuid);
  if (!b.request_digest.empty()) element(out, "anfrageDigest", b.request_digest);
  out += "</nw:bezug>";
}

}  // namespace


struct MessageCodec::Impl {
  CodecOptions options;
  std::unique_ptr<detail::XmlSchema> schema;

  // Returns the first validation error, or an empty string when `doc` is valid.
  std::string validate(xmlDoc* doc) const { return schema->validate(doc); }
};

MessageCodec::MessageCodec(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MessageCodec::~MessageCodec() = default;

std::shared_ptr<const MessageCodec> MessageCodec::open(const CodecOptions& options) {
  init_libxml_once();
  std::string xsd;
  if (options.schema_path.empty()) {
    xsd = embedded_schema();
  } else {
    std::ifstream in(options.schema_path, std::ios::binary);
    if (!in) throw MessageError("cannot read message schema '" + options.schema_path + "'");
    std::ostringstream text;
    text << in.rdbuf();
    xsd = text.str();
  }

  auto impl = std::make_unique<Impl>();
  impl->options = options;
  // Loaded from memory so that the refusing entity loader also covers the schema: it has no
  // imports and must not acquire any.
  impl->schema = std::make_unique<detail::XmlSchema>(
      xsd, "message schema '" + (options.schema_path.empty() ? std::string("(embedded)") : options.schema_path) + "'");
  return std::shared_ptr<const MessageCodec>(new MessageCodec(std::move(impl)));
}

DecodeResult MessageCodec::decode_request(std::string_view body) const {
  DecodeResult result;
  auto parsed = parse_safely(body, impl_->options.max_depth, impl_->options.max_elements);
  if (!parsed.doc) {
    result.error = parsed.code;
    result.error_text = std::move(parsed.error);
    return result;
  }
  const xmlNode* root = xmlDocGetRootElement(parsed.doc.get());
  result.request_uuid = read_uuid(root);
  if (!is_element(root, "nachweisAnfrage")) {
    result.error = ErrorCode::schema_invalid;
    result.error_text = "expected a nachweisAnfrage in namespace " + std::string(kNamespace);
    return result;
  }
  if (std::string error = impl_->validate(parsed.doc.get()); !error.empty()) {
    result.error = ErrorCode::schema_invalid;
    result.error_text = "the request does not match the schema: " + error;
    return result;
  }
  const xmlNode* kopf = child(root, "nachrichtenkopf");
  const xmlNode* anfrage = child(root, "anfrage");
  EvidenceRequest request;
  request.kopf.nachrichten_uuid = text_of(child(kopf, "nachrichtenUUID"));
  request.kopf.nachrichtentyp = text_of(child(kopf, "nachrichtentyp"));
  request.kopf.erstellungszeitpunkt = text_of(child(kopf, "erstellungszeitpunkt"));
  request.kopf.autor = read_authority(child(kopf, "autor"));
  request.kopf.leser = read_authority(child(kopf, "leser"));
  if (request.kopf.nachrichtentyp != kTypeRequest) {
    result.error = ErrorCode::schema_invalid;
    result.error_text = "a nachweisAnfrage must have nachrichtentyp " + std::string(kTypeRequest);
    return result;
  }
  request.idnr = text_of(child(anfrage, "idnr"));
  request.nachweistyp = text_of(child(anfrage, "nachweistyp"));
  request.zweck = text_of(child(anfrage, "zweck"));
  request.rechtsgrundlage = text_of(child(anfrage, "rechtsgrundlage"));
  request.regionalschluessel = text_of(child(anfrage, "regionalschluessel"));
  if (const xmlNode* consent = child(anfrage, "einwilligung"); consent != nullptr) {
    const std::string value = text_of(consent);
    request.einwilligung = value == "true" || value == "1";
  }
  result.request = std::move(request);
  result.document = std::make_shared<ParsedDocument>(std::move(parsed.doc));
  return result;
}

AnswerReading MessageCodec::read_answer(std::string_view body) const {
  AnswerReading reading;
  auto parsed = parse_safely(body, impl_->options.max_depth, impl_->options.max_elements);
  if (!parsed.doc) {
    reading.problem = parsed.error;
    return reading;
  }
  if (std::string error = impl_->validate(parsed.doc.get()); !error.empty()) {
    reading.problem = error;
    return reading;
  }
  const xmlNode* root = xmlDocGetRootElement(parsed.doc.get());
  reading.is_error = is_element(root, "fehlerAntwort");
  if (!reading.is_error && !is_element(root, "nachweisAntwort")) {
    reading.problem = "neither nachweisAntwort nor fehlerAntwort";
    return reading;
  }
  reading.valid = true;
  const xmlNode* bezug_node = child(root, "bezug");
  reading.request_uuid = text_of(child(bezug_node, "nachrichtenUUID"));
  reading.request_digest = text_of(child(bezug_node, "anfrageDigest"));
  if (reading.is_error) {
    const xmlNode* fehler = child(root, "fehler");
    reading.error_code = text_of(child(fehler, "code"));
    reading.error_text = text_of(child(fehler, "text"));
    return reading;
  }
  const xmlNode* nachweis = child(root, "nachweis");
  reading.nachweistyp = text_of(child(nachweis, "nachweistyp"));
  reading.register_name = text_of(child(nachweis, "register"));
  for (const xmlNode* c = nachweis != nullptr ? nachweis->children : nullptr; c != nullptr; c = c->next) {
    if (c->type != XML_ELEMENT_NODE || is_element(c, "nachweistyp") || is_element(c, "register")) continue;
    reading.document = reinterpret_cast<const char*>(c->name);
    for (const xmlNode* f = c->children; f != nullptr; f = f->next) {
      if (f->type == XML_ELEMENT_NODE) reading.fields.emplace_back(reinterpret_cast<const char*>(f->name), text_of(f));
    }
  }
  return reading;
}

std::string MessageCodec::validate(std::string_view body) const {
  auto parsed = parse_safely(body, impl_->options.max_depth, impl_->options.max_elements);
  if (!parsed.doc) return parsed.error;
  return impl_->validate(parsed.doc.get());
}

std::string MessageCodec::write_request(const EvidenceRequest& request) const {
  std::string out;
  out.reserve(1536);
  out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<nw:nachweisAnfrage xmlns:nw=\"";
  out += kNamespace;
  out += "\">";
  header(out, OutgoingHeader{request.kopf.autor, request.kopf.leser}, kTypeRequest,
         request.kopf.nachrichten_uuid, request.kopf.erstellungszeitpunkt);
  out += "<nw:anfrage>";
  element(out, "idnr", request.idnr);
  element(out, "nachweistyp", request.nachweistyp);
  element(out, "zweck", request.zweck);
  element(out, "rechtsgrundlage", request.rechtsgrundlage);
  if (!request.regionalschluessel.empty()) element(out, "regionalschluessel", request.regionalschluessel);
  if (request.einwilligung) element(out, "einwilligung", *request.einwilligung ? "true" : "false");
  out += "</nw:anfrage></nw:nachweisAnfrage>\n";
  return out;
}

std::string MessageCodec::write_answer(const OutgoingHeader& h, const Bezug& b,
                                       std::string_view nachweistyp, std::string_view register_name,
                                       const adapters::Evidence& evidence) const {
  if (!is_xml_name(evidence.document)) {
    throw MessageError("register delivered a document with an invalid name");
  }
  std::string out;
  out.reserve(2048);
  out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<nw:nachweisAntwort xmlns:nw=\"";
  out += kNamespace;
  out += "\">";
  header(out, h, kTypeAnswer);
  bezug(out, b);
  out += "<nw:nachweis>";
  element(out, "nachweistyp", nachweistyp);
  element(out, "register", register_name);
  out += "<nw:";
  out += evidence.document;
  out += ">";
  for (const auto& [name, value] : evidence.fields) {
    if (!is_xml_name(name)) throw MessageError("register delivered a field with an invalid name");
    element(out, name, value);
  }
  out += "</nw:";
  out += evidence.document;
  out += "></nw:nachweis></nw:nachweisAntwort>";
  return out;
}

std::string MessageCodec::write_error(const OutgoingHeader& h, const Bezug& b, ErrorCode code,
                                      std::string_view text) const {
  std::string out;
  out.reserve(1024);
  out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<nw:fehlerAntwort xmlns:nw=\"";
  out += kNamespace;
  out += "\">";
  header(out, h, kTypeError);
  if (!b.request_uuid.empty() || !b.request_digest.empty()) bezug(out, b);
  out += "<nw:fehler>";
  element(out, "code", code_name(code));
  element(out, "text", trim_message(std::string(text), 900));
  out += "</nw:fehler></nw:fehlerAntwort>\n";
  return out;
}

}  // namespace oncegate::message
