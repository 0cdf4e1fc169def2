#include "gateway/message/dsc/dsc.hpp"

#include <charconv>

#include "gateway/common/bytes.hpp"
#include "gateway/common/time.hpp"
#include "gateway/message/safe_xml.hpp"
#include "gateway/message/xml_schema.hpp"
#include "gateway/message/xml_text.hpp"
#include "gateway/message/xml_tree.hpp"

namespace oncegate::message::dsc {

namespace {

using detail::append_xml_text;
using detail::XmlTextKind;

const xmlNode* child(const xmlNode* parent, std::string_view name) { return xml::first_child(parent, kNamespace, name); }

std::optional<std::uint64_t> whole_number(const std::string& text) {
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// <dsc:name>text</dsc:name>
void element(std::string& out, std::string_view name, std::string_view text) {
  out += "<dsc:";
  out += name;
  out += '>';
  append_xml_text(out, text);
  out += "</dsc:";
  out += name;
  out += '>';
}

}  // namespace

struct DscCodec::Impl {
  CodecOptions options;
  detail::XmlSchema schema{embedded_dsc_schema(), "the DSC schema (xsd/oncegate-dsc-1.xsd)"};
  std::string validate(xmlDoc* doc) const { return schema.validate(doc); }
};

DscCodec::DscCodec(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DscCodec::~DscCodec() = default;

std::shared_ptr<const DscCodec> DscCodec::open(const CodecOptions& options) {
  init_libxml_once();
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  return std::shared_ptr<const DscCodec>(new DscCodec(std::move(impl)));
}

DscDecodeResult DscCodec::decode(std::string_view body) const {
  DscDecodeResult result;
  auto parsed = parse_safely(body, impl_->options.max_depth, impl_->options.max_elements);
  if (!parsed.doc) {
    result.error = parsed.code;
    result.error_text = std::move(parsed.error);
    return result;
  }
  const xmlNode* root = xmlDocGetRootElement(parsed.doc.get());
  const xmlNode* kopf = child(root, "nachrichtenkopf");
  if (const auto uuid = xml::text_of(child(kopf, "nachrichtenUUID")); common::is_uuid_text(uuid)) result.request_uuid = uuid;
  if (!xml::is_element(root, kNamespace, "protokolldatenAnfrage")) {
    result.error = ErrorCode::schema_invalid;
    result.error_text = "expected a protokolldatenAnfrage in namespace " + std::string(kNamespace);
    return result;
  }
  if (std::string problem = impl_->validate(parsed.doc.get()); !problem.empty()) {
    result.error = ErrorCode::schema_invalid;
    result.error_text = "the request does not match the schema (xsd/oncegate-dsc-1.xsd): " + problem;
    return result;
  }
  DscRequest request;
  request.request_uuid = xml::text_of(child(kopf, "nachrichtenUUID"));
  request.created = xml::text_of(child(kopf, "erstellungszeitpunkt"));
  request.sender = xml::text_of(child(kopf, "absender"));
  request.idnr = xml::text_of(child(root, "idnr"));
  if (const xmlNode* period = child(root, "zeitraum")) {
    request.from_date = xml::text_of(child(period, "von"));
    request.to_date = xml::text_of(child(period, "bis"));
  }
  if (const xmlNode* page = child(root, "seite")) {
    if (const xmlNode* count = child(page, "anzahl")) {
      request.limit = static_cast<std::size_t>(whole_number(xml::text_of(count)).value_or(kDefaultPage));
    }
    if (const xmlNode* before = child(page, "vor")) {
      const auto value = whole_number(xml::text_of(before));
      if (!value) {
        result.error = ErrorCode::schema_invalid;
        result.error_text = "seite/vor is not a log entry number";
        return result;
      }
      request.before = value;
    }
    if (const xmlNode* continuation = child(page, "fortsetzung")) request.continuation = xml::text_of(continuation);
  }
  result.request = std::move(request);
  result.document = std::make_shared<ParsedDocument>(std::move(parsed.doc));
  return result;
}

std::string DscCodec::write_request(const DscRequest& request) const {
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<dsc:protokolldatenAnfrage xmlns:dsc=\"";
  out += kNamespace;
  out += "\"><dsc:nachrichtenkopf>";
  element(out, "nachrichtenUUID", request.request_uuid);
  element(out, "erstellungszeitpunkt", request.created);
  element(out, "absender", request.sender);
  out += "</dsc:nachrichtenkopf>";
  element(out, "idnr", request.idnr);
  if (!request.from_date.empty() || !request.to_date.empty()) {
    out += "<dsc:zeitraum>";
    if (!request.from_date.empty()) element(out, "von", request.from_date);
    if (!request.to_date.empty()) element(out, "bis", request.to_date);
    out += "</dsc:zeitraum>";
  }
  out += "<dsc:seite>";
  element(out, "anzahl", std::to_string(request.limit));
  if (request.before) element(out, "vor", std::to_string(*request.before));
  if (!request.continuation.empty()) element(out, "fortsetzung", request.continuation);
  out += "</dsc:seite></dsc:protokolldatenAnfrage>";
  return out;
}

std::string DscCodec::write_answer(const DscAnswer& a) const {
  std::string out;
  out.reserve(4096 + a.entries.size() * 3072);
  out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<dsc:protokolldatenAntwort xmlns:dsc=\"";
  out += kNamespace;
  out += "\"><dsc:nachrichtenkopf>";
  element(out, "nachrichtenUUID", a.answer_uuid);
  element(out, "erstellungszeitpunkt", a.created);
  element(out, "absender", a.sender);
  out += "</dsc:nachrichtenkopf><dsc:bezug>";
  element(out, "nachrichtenUUID", a.request_uuid);
  element(out, "anfrageDigest", a.request_digest);
  out += "</dsc:bezug>";
  for (const auto& log : a.logs) {
    out += "<dsc:protokoll";
    if (!log.node.empty()) {
      out += " knoten=\"";
      append_xml_text(out, log.node, XmlTextKind::attribute);
      out += '"';
    }
    out += '>';
    element(out, "herkunft", log.origin);
    element(out, "pruefschluessel", log.vkey);
    for (const auto& w : log.witness_vkeys) element(out, "zeuge", w);
    element(out, "zeugenQuorum", std::to_string(log.witness_quorum));
    for (const auto& [size, note] : log.checkpoints) {
      out += "<dsc:checkpoint groesse=\"" + std::to_string(size) + "\">";
      append_xml_text(out, note);
      out += "</dsc:checkpoint>";
    }
    out += "</dsc:protokoll>";
  }
  out += "<dsc:eintraege anzahl=\"" + std::to_string(a.entries.size()) + "\"";
  if (a.next_before) out += " naechsteSeiteVor=\"" + std::to_string(*a.next_before) + "\"";
  if (!a.continuation.empty()) {
    out += " fortsetzung=\"";
    append_xml_text(out, a.continuation, XmlTextKind::attribute);
    out += '"';
  }
  out += '>';
  for (const auto& e : a.entries) {
    out += "<dsc:eintrag nummer=\"" + std::to_string(e.number) + "\"";
    if (!e.node.empty()) {
      out += " knoten=\"";
      append_xml_text(out, e.node, XmlTextKind::attribute);
      out += '"';
    }
    out += '>';
    element(out, "zeitpunkt", e.time_ms > 0 ? common::utc_text_ms(e.time_ms) : std::string("1970-01-01T00:00:00Z"));
    out += "<dsc:anfragendeStelle kennung=\"";
    append_xml_text(out, e.requester, XmlTextKind::attribute);
    out += "\">";
    append_xml_text(out, e.requester_name);
    out += "</dsc:anfragendeStelle>";
    element(out, "datenhaltendeStelle", e.register_name);
    element(out, "nachweistyp", e.evidence_type);
    element(out, "zweck", e.purpose);
    element(out, "rechtsgrundlage", e.legal_basis);
    element(out, "ergebnis", e.outcome);
    if (!e.code.empty()) element(out, "fehlercode", e.code);
    out += "<dsc:datenfelder>";
    for (const auto& f : e.data_fields) element(out, "feld", f);
    out += "</dsc:datenfelder>";
    element(out, "anfrageReferenz", e.reference);
    if (e.proof) {
      out += "<dsc:nachweis>";
      element(out, "datensatz", e.proof->record_bytes);
      element(out, "salz", e.proof->salt_hex);
      element(out, "eintrag", e.proof->entry_hex);
      element(out, "baumgroesse", std::to_string(e.proof->tree_size));
      out += "<dsc:pfad>";
      for (const auto& h : e.proof->path_hex) element(out, "hash", h);
      out += "</dsc:pfad></dsc:nachweis>";
    }
    out += "</dsc:eintrag>";
  }
  std::uint64_t withheld = 0;
  for (const auto& [basis, count] : a.withheld) withheld += count;
  out += "</dsc:eintraege><dsc:zurueckgehalten anzahl=\"" + std::to_string(withheld) + "\">";
  for (const auto& [basis, count] : a.withheld) {
    out += "<dsc:grund anzahl=\"" + std::to_string(count) + "\">";
    append_xml_text(out, basis);
    out += "</dsc:grund>";
  }
  out += "</dsc:zurueckgehalten>";
  if (!a.missing_nodes.empty()) {
    out += "<dsc:ohneAntwort>";
    for (const auto& [node, why] : a.missing_nodes) {
      out += "<dsc:knoten grund=\"";
      append_xml_text(out, why, XmlTextKind::attribute);
      out += "\">";
      append_xml_text(out, node);
      out += "</dsc:knoten>";
    }
    out += "</dsc:ohneAntwort>";
  }
  out += "</dsc:protokolldatenAntwort>";
  return out;
}

DscAnswerReading DscCodec::read_answer(std::string_view xml) const {
  DscAnswerReading out;
  auto parsed = parse_safely(xml, 64, 1'000'000);
  if (!parsed.doc) {
    out.problem = parsed.error;
    return out;
  }
  const xmlNode* root = xmlDocGetRootElement(parsed.doc.get());
  if (!xml::is_element(root, kNamespace, "protokolldatenAntwort")) {
    out.problem = "not a protokolldatenAntwort";
    return out;
  }
  if (auto problem = impl_->validate(parsed.doc.get()); !problem.empty()) {
    out.problem = "not valid against xsd/oncegate-dsc-1.xsd: " + problem;
    return out;
  }
  const xmlNode* bezug = child(root, "bezug");
  out.request_uuid = xml::text_of(child(bezug, "nachrichtenUUID"));
  out.request_digest = xml::text_of(child(bezug, "anfrageDigest"));
  for (const xmlNode* protokoll = root->children; protokoll != nullptr; protokoll = protokoll->next) {
    if (!xml::is_element(protokoll, kNamespace, "protokoll")) continue;
    if (out.log_origin.empty()) out.log_origin = xml::text_of(child(protokoll, "herkunft"));
    if (const auto node = xml::attribute(protokoll, "knoten"); !node.empty()) out.nodes.push_back(node);
    for (const xmlNode* c = protokoll->children; c != nullptr; c = c->next) {
      if (xml::is_element(c, kNamespace, "checkpoint")) ++out.checkpoints;
    }
  }
  const xmlNode* entries = child(root, "eintraege");
  if (const auto next = whole_number(xml::attribute(entries, "naechsteSeiteVor"))) out.next_before = next;
  out.continuation = xml::attribute(entries, "fortsetzung");
  if (const xmlNode* missing = child(root, "ohneAntwort")) {
    for (const xmlNode* c = missing->children; c != nullptr; c = c->next) {
      if (xml::is_element(c, kNamespace, "knoten")) out.missing_nodes.push_back(xml::text_of(c));
    }
  }
  for (const xmlNode* c = entries->children; c != nullptr; c = c->next) {
    if (!xml::is_element(c, kNamespace, "eintrag")) continue;
    DscAnswerReading::Entry e;
    e.node = xml::attribute(c, "knoten");
    e.number = whole_number(xml::attribute(c, "nummer")).value_or(0);
    e.time = xml::text_of(child(c, "zeitpunkt"));
    e.requester = xml::text_of(child(c, "anfragendeStelle"));
    e.requester_kennung = xml::attribute(child(c, "anfragendeStelle"), "kennung");
    e.evidence_type = xml::text_of(child(c, "nachweistyp"));
    e.outcome = xml::text_of(child(c, "ergebnis"));
    e.proven = child(c, "nachweis") != nullptr;
    out.entries.push_back(std::move(e));
  }
  out.withheld = whole_number(xml::attribute(child(root, "zurueckgehalten"), "anzahl")).value_or(0);
  out.valid = true;
  return out;
}

std::string DscCodec::validate(std::string_view xml) const {
  auto parsed = parse_safely(xml, 64, 1'000'000);
  if (!parsed.doc) return parsed.error;
  return impl_->validate(parsed.doc.get());
}

}  // namespace oncegate::message::dsc
