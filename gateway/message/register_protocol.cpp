#include "gateway/message/register_protocol.hpp"

#include <algorithm>

#include <initializer_list>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include "gateway/message/safe_xml.hpp"
#include "gateway/message/xml_text.hpp"

namespace oncegate::message {

namespace {

// Room for every element of a full answer (root, status, nachweis, 64 fields) and some slack, so
// that a few fields too many get the precise "too many fields" error rather than the parser's
// generic one. The protocol nests three levels; more is rejected by name below.
constexpr unsigned kMaxElements = static_cast<unsigned>(kRegisterMaxFields) + 16;
constexpr unsigned kMaxDepth = 8;
constexpr std::size_t kMaxNameLength = 64;

// A name from the other side as error texts may repeat it: names are chosen by the sender and
// could carry data (error texts reach /readyz, /metrics and the operation log), so only the
// protocol's own names are repeated.
std::string shown(std::string_view name) {
  static constexpr std::string_view vocabulary[] = {"registerAnfrage", "registerAntwort", "anfrageUuid", "nachweistyp",
                                                    "idnr", "regionalschluessel", "status", "nachweis", "feld",
                                                    "dokument", "name"};
  for (const auto word : vocabulary) {
    if (name == word) return std::string(name);
  }
  return "(a name not shown)";
}

// "<name>" for error texts. (Built by appending: GCC 12 warns falsely about "<" + std::string at -O3.)
std::string tag(std::string_view name) {
  std::string out = shown(name);
  out.insert(out.begin(), '<');
  out += '>';
  return out;
}

void append_escaped(std::string& out, std::string_view text, bool attribute) {
  detail::append_xml_text(out, text, attribute ? detail::XmlTextKind::attribute : detail::XmlTextKind::text);
}

void append_element(std::string& out, std::string_view name, std::string_view text) {
  out += '<';
  out += name;
  out += '>';
  append_escaped(out, text, false);
  out += "</";
  out += name;
  out += '>';
}

std::string_view name_of(const xmlNode* node) noexcept {
  return node->name != nullptr ? std::string_view(reinterpret_cast<const char*>(node->name))
                               : std::string_view{};
}

bool in_protocol_namespace(const xmlNode* node) noexcept {
  return node->ns != nullptr && node->ns->href != nullptr &&
         kRegisterNamespace == reinterpret_cast<const char*>(node->ns->href);
}

bool is_whitespace(std::string_view text) noexcept {
  for (char c : text) {
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return false;
  }
  return true;
}

std::string_view content_of(const xmlNode* node) noexcept {
  return node->content != nullptr ? std::string_view(reinterpret_cast<const char*>(node->content))
                                  : std::string_view{};
}

// The element children of a container element, in order. Fails (returns false with `error`) on
// text other than whitespace between them, on any other kind of node, and on elements outside the
// protocol namespace.
bool element_children(const xmlNode* parent, std::vector<const xmlNode*>& children,
                      std::string& error) {
  for (const xmlNode* c = parent->children; c != nullptr; c = c->next) {
    if (c->type == XML_ELEMENT_NODE) {
      if (!in_protocol_namespace(c)) {
        error = "element " + tag(name_of(c)) + " in " + tag(name_of(parent)) + " is not in namespace " +
                std::string(kRegisterNamespace);
        return false;
      }
      children.push_back(c);
    } else if (c->type == XML_TEXT_NODE && is_whitespace(content_of(c))) {
      continue;  // indentation of a pretty-printed document
    } else {
      error = tag(name_of(parent)) + " may contain elements only";
      return false;
    }
  }
  return true;
}

// The text of an element that may hold text only. Fails on child elements, entity references or
// anything else, and when the text exceeds `limit` bytes.
bool text_only(const xmlNode* node, std::size_t limit, std::string& text, std::string& error) {
  text.clear();
  for (const xmlNode* c = node->children; c != nullptr; c = c->next) {
    if (c->type != XML_TEXT_NODE && c->type != XML_CDATA_SECTION_NODE) {
      error = tag(name_of(node)) + " may contain text only";
      return false;
    }
    const std::string_view part = content_of(c);
    if (text.size() + part.size() > limit) {
      error = tag(name_of(node)) + " is longer than " + std::to_string(limit) +
              " bytes";
      return false;
    }
    text += part;
  }
  return true;
}

// Checks that `node` carries exactly the unqualified attributes in `allowed` it has (each at
// most once; libxml2 already refuses duplicates) and nothing else.
bool only_attributes(const xmlNode* node, std::initializer_list<std::string_view> allowed,
                     std::string& error) {
  for (const xmlAttr* a = node->properties; a != nullptr; a = a->next) {
    const std::string_view name =
        a->name != nullptr ? std::string_view(reinterpret_cast<const char*>(a->name))
                           : std::string_view{};
    bool known = a->ns == nullptr;
    if (known) {
      known = false;
      for (std::string_view candidate : allowed) known = known || candidate == name;
    }
    if (!known) {
      error = tag(name_of(node)) + " has an unexpected attribute '" + shown(name) + "'";
      return false;
    }
  }
  return true;
}

// The value of an unqualified attribute; nullopt when absent.
std::optional<std::string> attribute(const xmlNode* node, const char* name) {
  xmlChar* value = xmlGetNoNsProp(node, reinterpret_cast<const xmlChar*>(name));
  if (value == nullptr) return std::nullopt;
  std::string out(reinterpret_cast<const char*>(value));
  xmlFree(value);
  return out;
}

bool all_digits(std::string_view text) noexcept {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Parses `xml` safely and checks the root element's name and namespace.
const xmlNode* parse_root(std::string_view xml, std::string_view root_name, DocPtr& doc,
                          std::string& error) {
  if (xml.size() > kRegisterMaxDocumentBytes) {
    error = "the document is larger than " + std::to_string(kRegisterMaxDocumentBytes) + " bytes";
    return nullptr;
  }
  ParseOutcome parsed = parse_safely(xml, kMaxDepth, kMaxElements);
  if (!parsed.doc) {
    error = parsed.error;
    return nullptr;
  }
  doc = std::move(parsed.doc);
  const xmlNode* root = xmlDocGetRootElement(doc.get());
  if (root == nullptr || name_of(root) != root_name || !in_protocol_namespace(root)) {
    error = "the root element is not <" + std::string(root_name) + "> in namespace " +
            std::string(kRegisterNamespace);
    return nullptr;
  }
  if (!only_attributes(root, {}, error)) return nullptr;
  return root;
}

bool read_evidence(const xmlNode* nachweis, adapters::Evidence& evidence, std::string& error) {
  if (!only_attributes(nachweis, {"dokument"}, error)) return false;
  std::optional<std::string> dokument = attribute(nachweis, "dokument");
  if (!dokument || !is_register_field_name(*dokument)) {
    error = "<nachweis> needs a dokument attribute that is an XML name";
    return false;
  }
  evidence.document = std::move(*dokument);
  std::vector<const xmlNode*> fields;
  if (!element_children(nachweis, fields, error)) return false;
  if (fields.size() > kRegisterMaxFields) {
    error = "<nachweis> has more than " + std::to_string(kRegisterMaxFields) + " fields";
    return false;
  }
  evidence.fields.reserve(fields.size());
  for (const xmlNode* feld : fields) {
    if (name_of(feld) != "feld") {
      error = "unexpected element " + tag(name_of(feld)) + " in <nachweis>";
      return false;
    }
    if (!only_attributes(feld, {"name"}, error)) return false;
    std::optional<std::string> name = attribute(feld, "name");
    if (!name || !is_register_field_name(*name)) {
      // The offending name is not echoed: a broken register might put a value there.
      error = "field " + std::to_string(evidence.fields.size() + 1) +
              " of <nachweis> needs a name attribute that is an XML name";
      return false;
    }
    std::string value;
    if (!text_only(feld, kRegisterMaxValueBytes, value, error)) {
      error = "field '" + *name + "': " + error;
      return false;
    }
    evidence.fields.emplace_back(std::move(*name), std::move(value));
  }
  return true;
}

}  // namespace

bool is_register_field_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  const auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (!letter(name[0]) && name[0] != '_') return false;
  for (char c : name) {
    if (!letter(c) && !(c >= '0' && c <= '9') && c != '_' && c != '-' && c != '.') return false;
  }
  return true;
}

std::string write_register_query(const adapters::EvidenceQuery& query) {
  std::string out;
  out.reserve(256);
  out += "<registerAnfrage xmlns=\"";
  out += kRegisterNamespace;
  out += "\">";
  append_element(out, "anfrageUuid", query.request_uuid);
  append_element(out, "nachweistyp", query.evidence_type);
  append_element(out, "idnr", query.idnr);
  if (!query.region.empty()) append_element(out, "regionalschluessel", query.region);
  out += "</registerAnfrage>";
  return out;
}

RegisterQueryParse parse_register_query(std::string_view xml) {
  RegisterQueryParse result;
  DocPtr doc;
  const xmlNode* root = parse_root(xml, "registerAnfrage", doc, result.error);
  if (root == nullptr) return result;
  std::vector<const xmlNode*> children;
  if (!element_children(root, children, result.error)) return result;

  // Fixed order, as written by write_register_query.
  static constexpr std::string_view order[] = {"anfrageUuid", "nachweistyp", "idnr",
                                               "regionalschluessel"};
  adapters::EvidenceQuery query;
  std::string* targets[] = {&query.request_uuid, &query.evidence_type, &query.idnr,
                            &query.region};
  std::size_t next = 0;
  for (const xmlNode* child : children) {
    const std::string_view name = name_of(child);
    while (next < std::size(order) && order[next] != name) {
      if (next < 3) {
        result.error = tag(order[next]) + " is missing or out of order";
        return result;
      }
      ++next;
    }
    if (next == std::size(order)) {
      result.error = "unexpected element <" + std::string(name) + "> in <registerAnfrage>";
      return result;
    }
    if (!only_attributes(child, {}, result.error)) return result;
    if (!text_only(child, kRegisterMaxQueryValueBytes, *targets[next], result.error)) {
      return result;
    }
    ++next;
  }
  if (next < 3) {
    result.error = tag(order[next]) + " is missing";
    return result;
  }
  if (query.request_uuid.empty() || !is_register_field_name(query.evidence_type)) {
    result.error = "<anfrageUuid> must not be empty and <nachweistyp> must be an XML name";
    return result;
  }
  if (!all_digits(query.idnr)) {
    result.error = "<idnr> must consist of digits";
    return result;
  }
  if (next == std::size(order) && !all_digits(query.region)) {
    result.error = "<regionalschluessel> must consist of digits";
    return result;
  }
  result.query = std::move(query);
  return result;
}

std::string write_register_answer(const adapters::FetchResult& result, std::string_view request_uuid) {
  if (result.status != adapters::FetchStatus::found &&
      result.status != adapters::FetchStatus::not_found) {
    throw std::invalid_argument("a register answer is either found or not_found");
  }
  std::string out;
  out.reserve(512);
  out += "<registerAntwort xmlns=\"";
  out += kRegisterNamespace;
  out += "\">";
  append_element(out, "anfrageUuid", request_uuid);
  if (result.status == adapters::FetchStatus::not_found) {
    append_element(out, "status", "not_found");
  } else {
    append_element(out, "status", "found");
    out += "<nachweis dokument=\"";
    append_escaped(out, result.evidence.document, true);
    out += "\">";
    for (const auto& [name, value] : result.evidence.fields) {
      out += "<feld name=\"";
      append_escaped(out, name, true);
      out += "\">";
      append_escaped(out, value, false);
      out += "</feld>";
    }
    out += "</nachweis>";
  }
  out += "</registerAntwort>";
  return out;
}

RegisterAnswerParse parse_register_answer(std::string_view xml) {
  RegisterAnswerParse result;
  DocPtr doc;
  const xmlNode* root = parse_root(xml, "registerAntwort", doc, result.error);
  if (root == nullptr) return result;
  std::vector<const xmlNode*> children;
  if (!element_children(root, children, result.error)) return result;

  if (children.empty() || name_of(children[0]) != "anfrageUuid") {
    result.error = "<anfrageUuid> is missing";
    return result;
  }
  if (!only_attributes(children[0], {}, result.error) ||
      !text_only(children[0], kMaxNameLength, result.request_uuid, result.error)) {
    return result;
  }
  if (children.size() < 2 || name_of(children[1]) != "status") {
    result.error = "<status> is missing";
    return result;
  }
  std::string status;
  if (!only_attributes(children[1], {}, result.error) ||
      !text_only(children[1], kMaxNameLength, status, result.error)) {
    return result;
  }
  if (status == "found") {
    if (children.size() < 3 || name_of(children[2]) != "nachweis") {
      result.error = "status found without <nachweis>";
      return result;
    }
    if (children.size() > 3) {
      result.error = "unexpected element " + tag(name_of(children[3])) + " in <registerAntwort>";
      return result;
    }
    adapters::Evidence evidence;
    if (!read_evidence(children[2], evidence, result.error)) return result;
    result.evidence = std::move(evidence);
    result.outcome = RegisterAnswerParse::Outcome::found;
  } else if (status == "not_found") {
    if (children.size() > 2) {
      result.error = "status not_found with further element " + tag(name_of(children[2]));
      return result;
    }
    result.outcome = RegisterAnswerParse::Outcome::not_found;
  } else {
    result.error = "<status> must be found or not_found";
  }
  return result;
}

}  // namespace oncegate::message
