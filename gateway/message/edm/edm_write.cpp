// Writing EDM answers (QueryResponse, success and failure) in each version's form, the evidence
// attachment (XML or PDF), and reading answers back for tests and the client.

#include <cstdio>

#include "gateway/message/edm/edm.hpp"
#include "gateway/message/xml_tree.hpp"
#include "gateway/message/safe_xml.hpp"
#include "gateway/message/xml_text.hpp"

namespace oncegate::message::edm {

namespace {

using message::detail::append_xml_text;
using message::detail::XmlTextKind;

constexpr std::string_view kSeverityError = "urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error";
constexpr std::string_view kXlinkNamespace = "http://www.w3.org/1999/xlink";

class Writer {
 public:
  void open(std::string_view tag) {
    out_ += '<';
    out_ += tag;
  }
  void attr(std::string_view name, std::string_view value) {
    out_ += ' ';
    out_ += name;
    out_ += "=\"";
    append_xml_text(out_, value, XmlTextKind::attribute);
    out_ += '"';
  }
  void end_open() { out_ += '>'; }
  void close_empty() { out_ += "/>"; }
  void close(std::string_view tag) {
    out_ += "</";
    out_ += tag;
    out_ += '>';
  }
  void element(std::string_view tag, std::string_view text) {
    open(tag);
    end_open();
    append_xml_text(out_, text);
    close(tag);
  }
  void element_with(std::string_view tag, std::string_view attr_name, std::string_view attr_value,
                    std::string_view text) {
    open(tag);
    attr(attr_name, attr_value);
    end_open();
    append_xml_text(out_, text);
    close(tag);
  }
  void raw(std::string_view text) { out_ += text; }
  [[nodiscard]] std::string take() { return std::move(out_); }

  // <rim:Slot name="..."><rim:SlotValue xsi:type="rim:<kind>"><rim:Value>text</rim:Value>...
  void value_slot(std::string_view name, std::string_view kind, std::string_view value) {
    open("rim:Slot");
    attr("name", name);
    end_open();
    open("rim:SlotValue");
    attr("xsi:type", std::string("rim:") + std::string(kind));
    end_open();
    element("rim:Value", value);
    close("rim:SlotValue");
    close("rim:Slot");
  }

  void agent(const Agent& a, std::string_view classification, bool with_country) {
    open("sdg:Agent");
    end_open();
    element_with("sdg:Identifier", "schemeID", a.scheme, a.identifier);
    if (!a.name.empty()) element_with("sdg:Name", "lang", "EN", a.name);
    if (with_country && !a.country.empty()) {
      open("sdg:Address");
      end_open();
      element("sdg:AdminUnitLevel1", a.country);
      close("sdg:Address");
    }
    if (!classification.empty()) element("sdg:Classification", classification);
    close("sdg:Agent");
  }

  void any_slot_open(std::string_view name) {
    open("rim:Slot");
    attr("name", name);
    end_open();
    open("rim:SlotValue");
    attr("xsi:type", "rim:AnyValueType");
    end_open();
  }
  void any_slot_close() {
    close("rim:SlotValue");
    close("rim:Slot");
  }

 private:
  std::string out_;
};

void open_response(Writer& w, std::string_view status, std::string_view request_id) {
  w.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
  w.open("query:QueryResponse");
  w.attr("xmlns:query", kQueryNamespace);
  w.attr("xmlns:rim", kRimNamespace);
  w.attr("xmlns:rs", kRsNamespace);
  w.attr("xmlns:sdg", kSdgNamespace);
  w.attr("xmlns:xlink", kXlinkNamespace);
  w.attr("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance");
  w.attr("status", std::string("urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:") + std::string(status));
  if (!request_id.empty()) w.attr("requestId", request_id);
  w.end_open();
}

void requester_slot(Writer& w, const Agent& requester) {
  w.any_slot_open("EvidenceRequester");
  w.agent(requester, {}, false);
  w.any_slot_close();
}

void about(Writer& w, const EvidenceRequest& request) {
  w.open("sdg:IsAbout");
  w.end_open();
  if (request.person) {
    const auto& p = *request.person;
    w.open("sdg:NaturalPerson");
    w.end_open();
    if (!p.eidas_identifier.empty()) w.element_with("sdg:Identifier", "schemeID", "eidas", p.eidas_identifier);
    w.element("sdg:FamilyName", p.family_name);
    w.element("sdg:GivenName", p.given_name);
    w.element("sdg:DateOfBirth", p.date_of_birth);
    w.close("sdg:NaturalPerson");
  } else if (request.company) {
    const auto& c = *request.company;
    w.open("sdg:LegalPerson");
    w.end_open();
    if (!c.eidas_identifier.empty()) w.element_with("sdg:LegalPersonIdentifier", "schemeID", "eidas", c.eidas_identifier);
    w.element("sdg:LegalName", c.legal_name);
    w.close("sdg:LegalPerson");
  }
  w.close("sdg:IsAbout");
}

void evidence_object(Writer& w, const EvidenceRequest& request, const ResponseFacts& facts) {
  w.open("rim:RegistryObject");
  w.attr("xsi:type", "rim:ExtrinsicObjectType");
  w.attr("id", facts.registry_object_id);
  w.end_open();
  w.any_slot_open("EvidenceMetadata");
  w.open("sdg:Evidence");
  w.end_open();
  w.element("sdg:Identifier", facts.evidence_id);
  about(w, request);
  w.open("sdg:IssuingAuthority");
  w.end_open();
  w.element_with("sdg:Identifier", "schemeID", facts.provider.scheme, facts.provider.identifier);
  w.element_with("sdg:Name", "lang", "DE", facts.issuing_authority_name);
  w.close("sdg:IssuingAuthority");
  w.open("sdg:IsConformantTo");
  w.end_open();
  w.element("sdg:EvidenceTypeClassification", request.evidence_type_classification);
  w.element_with("sdg:Title", "lang", "EN", facts.title);
  w.close("sdg:IsConformantTo");
  w.element("sdg:IssuingDate", facts.issuing_date);
  w.open("sdg:Distribution");
  w.end_open();
  w.element("sdg:Format", request.format);
  w.element("sdg:Language", "DE");
  if (!request.conforms_to.empty()) w.element("sdg:ConformsTo", request.conforms_to);
  if (!request.transformation.empty()) w.element("sdg:Transformation", request.transformation);
  w.close("sdg:Distribution");
  w.close("sdg:Evidence");
  w.any_slot_close();
  if (request.version == Version::v2) {
    w.open("rim:Classification");
    w.attr("id", facts.classification_id);
    w.attr("classificationScheme", "urn:fdc:oots:classification:edm");
    w.attr("classificationNode", "MainEvidence");
    w.close_empty();
  }
  w.open("rim:RepositoryItemRef");
  w.attr("xlink:href", "cid:" + facts.content_id);
  w.attr("xlink:title", facts.title);
  w.close_empty();
  w.close("rim:RegistryObject");
}

// UTF-8 -> WinAnsi (Latin-1 range; anything else becomes '?'), escaped for a PDF string.
std::string pdf_text(std::string_view utf8) {
  std::string out;
  for (std::size_t i = 0; i < utf8.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(utf8[i]);
    unsigned code = c;
    if (c >= 0x80) {
      if ((c & 0xE0) == 0xC0 && i + 1 < utf8.size()) {
        code = ((c & 0x1Fu) << 6) | (static_cast<unsigned char>(utf8[i + 1]) & 0x3Fu);
        ++i;
      } else {
        while (i + 1 < utf8.size() && (static_cast<unsigned char>(utf8[i + 1]) & 0xC0) == 0x80) ++i;
        code = '?';
      }
      if (code > 0xFF || code < 0xA0) code = '?';
    } else if (c < 0x20) {
      code = ' ';
    }
    if (code == '(' || code == ')' || code == '\\') out += '\\';
    out += static_cast<char>(code);
  }
  return out;
}

}  // namespace

std::string EdmCodec::write_response(const EvidenceRequest& request, const ResponseFacts& facts) const {
  Writer w;
  open_response(w, "Success", request.id);
  w.value_slot("SpecificationIdentifier", "StringValueType", request.specification);
  w.value_slot("EvidenceResponseIdentifier", "StringValueType", facts.response_id);
  w.value_slot("IssueDateTime", "DateTimeValueType", facts.issue_date_time);
  w.open("rim:Slot");
  w.attr("name", "EvidenceProvider");
  w.end_open();
  w.open("rim:SlotValue");
  w.attr("xsi:type", "rim:CollectionValueType");
  if (request.version == Version::v2) w.attr("collectionType", "urn:oasis:names:tc:ebxml-regrep:CollectionType:Set");
  w.end_open();
  w.open("rim:Element");
  w.attr("xsi:type", "rim:AnyValueType");
  w.end_open();
  w.agent(facts.provider, "EP", true);
  w.close("rim:Element");
  w.close("rim:SlotValue");
  w.close("rim:Slot");
  requester_slot(w, request.requester);
  w.open("rim:RegistryObjectList");
  w.end_open();
  if (request.version == Version::v2) {
    w.open("rim:RegistryObject");
    w.attr("xsi:type", "rim:RegistryPackageType");
    w.attr("id", facts.package_id);
    w.end_open();
    w.open("rim:RegistryObjectList");
    w.end_open();
    evidence_object(w, request, facts);
    w.close("rim:RegistryObjectList");
    w.close("rim:RegistryObject");
  } else {
    evidence_object(w, request, facts);
  }
  w.close("rim:RegistryObjectList");
  w.close("query:QueryResponse");
  return w.take();
}

std::string EdmCodec::write_error(const ErrorFacts& facts, Fault fault, std::string_view detail) const {
  Writer w;
  open_response(w, "Failure", facts.request_id);
  w.value_slot("SpecificationIdentifier", "StringValueType", facts.specification);
  w.value_slot("EvidenceResponseIdentifier", "StringValueType", facts.response_id);
  w.any_slot_open("ErrorProvider");
  w.agent(facts.error_provider, "ERRP", true);
  w.any_slot_close();
  if (facts.requester) requester_slot(w, *facts.requester);
  w.open("rs:Exception");
  w.attr("xsi:type", fault_type(fault));
  w.attr("severity", kSeverityError);
  w.attr("message", fault_message(fault));
  if (!detail.empty()) w.attr("detail", detail);
  w.attr("code", fault_code(fault));
  w.end_open();
  w.value_slot("Timestamp", "DateTimeValueType", facts.timestamp);
  w.close("rs:Exception");
  w.close("query:QueryResponse");
  return w.take();
}

ResponseReading read_response(std::string_view body) {
  using message::xml::attribute;
  using message::xml::first_child;
  using message::xml::is_element;
  using message::xml::text_of;
  ResponseReading out;
  ParseOutcome parsed = parse_safely(body, 48, 8000, true);
  if (!parsed.doc) {
    out.problem = parsed.error;
    return out;
  }
  const xmlNode* root = xmlDocGetRootElement(parsed.doc.get());
  if (!is_element(root, kQueryNamespace, "QueryResponse")) {
    out.problem = "not a query:QueryResponse";
    return out;
  }
  out.valid = true;
  out.request_id = attribute(root, "requestId");
  out.success = attribute(root, "status") == "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success";
  for (const xmlNode* c = root->children; c != nullptr; c = c->next) {
    if (is_element(c, kRimNamespace, "Slot")) {
      const std::string name = attribute(c, "name");
      const xmlNode* value = first_child(c, kRimNamespace, "SlotValue");
      if (name == "SpecificationIdentifier") out.specification = text_of(first_child(value, kRimNamespace, "Value"));
    } else if (is_element(c, kRsNamespace, "Exception")) {
      out.error_code = attribute(c, "code");
      out.error_detail = attribute(c, "detail");
    }
  }
  // Depth-first for the first RepositoryItemRef and the provider's classification.
  const xmlNode* node = root;
  while (node != nullptr) {
    if (is_element(node, kRimNamespace, "RepositoryItemRef") && out.repository_item.empty()) {
      out.repository_item = attribute(node, "href", std::string(kXlinkNamespace).c_str());
    }
    if (is_element(node, kSdgNamespace, "Classification") && out.provider_classification.empty()) {
      out.provider_classification = text_of(node);
    }
    if (node->children != nullptr) {
      node = node->children;
      continue;
    }
    while (node != nullptr && node != root && node->next == nullptr) node = node->parent;
    if (node == nullptr || node == root) break;
    node = node->next;
  }
  return out;
}

std::string render_evidence_xml(std::string_view document,
                                const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<nw:";
  out += document;
  out += " xmlns:nw=\"urn:de:oncegate:nachweis:1\">";
  for (const auto& [name, value] : fields) {
    out += "<nw:" + name + ">";
    append_xml_text(out, value);
    out += "</nw:" + name + ">";
  }
  out += "</nw:";
  out += document;
  out += ">\n";
  return out;
}

std::string render_evidence_pdf(std::string_view title,
                                const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string content = "BT\n/F1 16 Tf\n56 780 Td\n(" + pdf_text(title) + ") Tj\n/F1 11 Tf\n0 -30 Td\n";
  std::size_t lines = 0;
  for (const auto& [name, value] : fields) {
    if (++lines > 40) break;
    // Appended piece by piece: GCC 12 warns (-Wrestrict, a known false positive) on the chain of
    // operator+ that would say the same.
    content += '(';
    content += pdf_text(name);
    content += ": ";
    content += pdf_text(value);
    content += ") Tj\n0 -17 Td\n";
  }
  content += "ET\n";
  std::vector<std::string> objects{
      "<< /Type /Catalog /Pages 2 0 R >>",
      "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
      "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
      "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
      "<< /Length " + std::to_string(content.size()) + " >>\nstream\n" + content + "endstream",
  };
  std::string pdf = "%PDF-1.4\n%\xE2\xE3\xCF\xD3\n";
  std::vector<std::size_t> offsets;
  for (std::size_t i = 0; i < objects.size(); ++i) {
    offsets.push_back(pdf.size());
    pdf += std::to_string(i + 1) + " 0 obj\n" + objects[i] + "\nendobj\n";
  }
  const std::size_t xref = pdf.size();
  pdf += "xref\n0 " + std::to_string(objects.size() + 1) + "\n0000000000 65535 f \n";
  for (const auto offset : offsets) {
    char entry[21];
    std::snprintf(entry, sizeof entry, "%010zu 00000 n \n", offset);
    pdf += entry;
  }
  pdf += "trailer\n<< /Size " + std::to_string(objects.size() + 1) + " /Root 1 0 R >>\nstartxref\n" +
         std::to_string(xref) + "\n%%EOF\n";
  return pdf;
}

}  // namespace oncegate::message::edm
