#include "gateway/message/xml_schema.hpp"

#include <libxml/xmlschemas.h>

#include <array>
#include <atomic>
#include <cstdint>

#include "gateway/message/codec.hpp"
#include "gateway/message/safe_xml.hpp"

namespace oncegate::message::detail {

namespace {
std::atomic<std::uint64_t> next_schema_id{1};
}  // namespace

XmlSchema::XmlSchema(std::string_view xsd, const std::string& what) : id_(next_schema_id.fetch_add(1)) {
  init_libxml_once();
  xmlSchemaParserCtxt* parser = xmlSchemaNewMemParserCtxt(xsd.data(), static_cast<int>(xsd.size()));
  if (parser == nullptr) throw MessageError("cannot create the schema parser for " + what);
  std::string problem;
  xmlSchemaSetParserStructuredErrors(
      parser,
      [](void* user, xmlErrorPtr error) {
        auto* out = static_cast<std::string*>(user);
        if (out->empty() && error != nullptr && error->message != nullptr) *out = error->message;
      },
      &problem);
  schema_ = xmlSchemaParse(parser);
  xmlSchemaFreeParserCtxt(parser);
  if (schema_ == nullptr) throw MessageError(what + " is invalid: " + trim_message(problem));
}

XmlSchema::~XmlSchema() {
  if (schema_ != nullptr) xmlSchemaFree(schema_);
}

std::string XmlSchema::validate(xmlDoc* doc) const {
  struct Cached {
    std::uint64_t owner = 0;  // the schema's id (never an address: a new schema may get a freed one's)
    xmlSchemaValidCtxt* ctxt = nullptr;
    ~Cached() {
      if (ctxt != nullptr) xmlSchemaFreeValidCtxt(ctxt);
    }
  };
  // One context per thread and schema, for the few schemas a process has (national, DSC); a
  // schema beyond them takes the last slot over.
  thread_local std::array<Cached, 4> slots;
  Cached* slot = &slots.back();
  for (auto& s : slots) {
    if (s.owner == id_ || s.owner == 0) {
      slot = &s;
      break;
    }
  }
  if (slot->owner != id_) {
    if (slot->ctxt != nullptr) xmlSchemaFreeValidCtxt(slot->ctxt);
    slot->ctxt = xmlSchemaNewValidCtxt(schema_);
    slot->owner = slot->ctxt != nullptr ? id_ : 0;
  }
  xmlSchemaValidCtxt* ctxt = slot->ctxt;
  if (ctxt == nullptr) return "schema validation context unavailable";
  std::string first;
  xmlSchemaSetValidStructuredErrors(
      ctxt,
      [](void* user, xmlErrorPtr error) {
        auto* out = static_cast<std::string*>(user);
        if (out->empty() && error != nullptr) *out = safe_validation_message(error);
      },
      &first);
  const int rc = xmlSchemaValidateDoc(ctxt, doc);
  xmlSchemaSetValidStructuredErrors(ctxt, nullptr, nullptr);
  if (rc == 0) return {};
  return first.empty() ? std::string("the document does not match the schema") : trim_message(first);
}

}  // namespace oncegate::message::detail
