#include "gateway/message/safe_xml.hpp"

#include <libxml/dict.h>
#include <libxml/xmlerror.h>

#include <libxml/parserInternals.h>

#include <climits>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace oncegate::message {

namespace {

// Schema documents compiled into the binary, which the gateway's own schemas import by name.
std::mutex embedded_imports_mutex;
std::map<std::string, std::string_view, std::less<>>& embedded_imports() {
  static std::map<std::string, std::string_view, std::less<>> imports;
  return imports;
}

// No document we accept refers to anything outside itself: every external entity, DTD or schema
// import that libxml2 would load is refused, whatever the parser options. The one exception is a
// schema import naming one of the gateway's own embedded schema documents: served from memory.
xmlParserInputPtr refuse_external_entity(const char* url, const char* /*id*/, xmlParserCtxtPtr context) {
  if (url == nullptr || context == nullptr) return nullptr;
  std::lock_guard lock(embedded_imports_mutex);
  const auto& imports = embedded_imports();
  const auto found = imports.find(std::string_view(url));
  if (found == imports.end()) return nullptr;
  return xmlNewStringInputStream(context, reinterpret_cast<const xmlChar*>(found->second.data()));
}

void ignore_generic_error(void* /*context*/, const char* /*format*/, ...) {}

struct ParserCtxtFree {
  void operator()(xmlParserCtxt* ctxt) const noexcept { xmlFreeParserCtxt(ctxt); }
};

enum class Shape { ok, too_big, comment };

// Depth, element count and node kinds of the tree, walked without recursion.
Shape check_shape(const xmlNode* root, unsigned max_depth, unsigned max_elements, bool allow_comments) {
  unsigned depth = 1;
  unsigned elements = 0;
  const xmlNode* node = root;
  while (node != nullptr) {
    if (node->type == XML_ELEMENT_NODE) {
      if (++elements > max_elements || depth > max_depth) return Shape::too_big;
    } else if ((node->type == XML_COMMENT_NODE && !allow_comments) || node->type == XML_PI_NODE) {
      return Shape::comment;
    }
    if (node->type == XML_ELEMENT_NODE && node->children != nullptr) {
      node = node->children;
      ++depth;
      continue;
    }
    while (node != nullptr && node->next == nullptr) {
      node = node->parent;
      --depth;
      if (node == root || depth == 0) return Shape::ok;
    }
    if (node != nullptr) node = node->next;
  }
  return Shape::ok;
}

bool is_xml_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// The value of a pseudo-attribute of the XML declaration ("version", "encoding"), or nullopt.
std::optional<std::string_view> declaration_value(std::string_view declaration, std::string_view name) {
  std::size_t at = 0;
  while ((at = declaration.find(name, at)) != std::string_view::npos) {
    std::size_t p = at + name.size();
    at = p;
    while (p < declaration.size() && is_xml_space(declaration[p])) ++p;
    if (p >= declaration.size() || declaration[p] != '=') continue;
    ++p;
    while (p < declaration.size() && is_xml_space(declaration[p])) ++p;
    if (p >= declaration.size() || (declaration[p] != '"' && declaration[p] != '\'')) continue;
    const char quote = declaration[p];
    const auto end = declaration.find(quote, p + 1);
    if (end == std::string_view::npos) return std::nullopt;
    return declaration.substr(p + 1, end - p - 1);
  }
  return std::nullopt;
}

ParseOutcome refusal(ErrorCode code, std::string text) {
  ParseOutcome out;
  out.code = code;
  out.error = std::move(text);
  return out;
}

// Everything before the root element, checked before libxml2 sees a byte: an optional UTF-8 byte
// order mark, an optional XML declaration (version 1.0; UTF-8 when an encoding is named) and
// white space. A DOCTYPE, comment or processing instruction there is refused unparsed, and so is
// a NUL byte anywhere (XML 1.0 has no such character; libxml2 would stop reading at it).
std::optional<ParseOutcome> refuse_before_parsing(std::string_view body) {
  if (body.find('\0') != std::string_view::npos) {
    return refusal(ErrorCode::xml_malformed, "the body is not well-formed XML (it contains a NUL byte)");
  }
  std::size_t p = body.starts_with("\xEF\xBB\xBF") ? 3 : 0;
  if (body.substr(p).starts_with("<?xml") && p + 5 < body.size() && is_xml_space(body[p + 5])) {
    const auto end = body.find("?>", p);
    if (end == std::string_view::npos) return refusal(ErrorCode::xml_malformed, "the XML declaration is not closed");
    const std::string_view declaration = body.substr(p + 5, end - p - 5);
    const auto version = declaration_value(declaration, "version");
    if (!version || *version != "1.0") return refusal(ErrorCode::xml_malformed, "only XML 1.0 documents are accepted");
    if (const auto encoding = declaration_value(declaration, "encoding"); encoding && !iequals(*encoding, "UTF-8")) {
      return refusal(ErrorCode::xml_malformed, "only UTF-8 documents are accepted");
    }
    p = end + 2;
  }
  while (p < body.size() && is_xml_space(body[p])) ++p;
  const std::string_view rest = body.substr(p);
  if (rest.size() >= 9 && iequals(rest.substr(0, 9), "<!DOCTYPE")) {
    return refusal(ErrorCode::schema_invalid, "DOCTYPE declarations are not allowed");
  }
  if (rest.starts_with("<!") || rest.starts_with("<?")) {
    return refusal(ErrorCode::schema_invalid, "comments and processing instructions are not allowed");
  }
  if (!rest.starts_with("<")) return refusal(ErrorCode::xml_malformed, "the body is not well-formed XML (line 1, column 1)");
  return std::nullopt;
}

// The markup, counted in one linear pass before libxml2 builds anything: libxml2's duplicate-
// attribute check is quadratic in the attributes of an element (37,000 attributes cost seconds),
// and a deep or text-heavy document costs memory before any limit of the tree applies. Input
// this pass cannot follow (an unterminated tag, comment or section) is left to libxml2, which
// refuses it as malformed.
std::optional<ParseOutcome> refuse_markup(std::string_view body, unsigned max_depth) {
  const auto too_much = [](const std::string& what) { return refusal(ErrorCode::schema_invalid, what); };
  const std::size_t n = body.size();
  std::size_t i = 0;
  std::size_t text = 0;
  std::size_t attributes = 0;
  unsigned depth = 0;
  const auto skip_to = [&](std::size_t from, std::string_view end) -> std::optional<std::size_t> {
    const auto at = body.find(end, from);
    if (at == std::string_view::npos) return std::nullopt;
    return at + end.size();
  };
  while (i < n) {
    const auto lt = body.find('<', i);
    text += (lt == std::string_view::npos ? n : lt) - i;
    if (text > kMaxXmlText) return too_much("the document has more than " + std::to_string(kMaxXmlText) + " bytes of text");
    if (lt == std::string_view::npos) break;
    const std::string_view at = body.substr(lt);
    std::optional<std::size_t> next;
    if (at.starts_with("<!--")) {
      next = skip_to(lt + 4, "-->");
    } else if (at.starts_with("<![CDATA[")) {
      next = skip_to(lt + 9, "]]>");
      if (next) text += *next - 3 - (lt + 9);
    } else if (at.starts_with("<?")) {
      next = skip_to(lt + 2, "?>");
    } else if (at.starts_with("</")) {
      next = skip_to(lt + 2, ">");
      if (depth > 0) --depth;
    } else if (at.starts_with("<!")) {
      next = skip_to(lt + 2, ">");
    } else {
      // A start tag: attributes are counted by their '=' outside quoted values.
      std::size_t j = lt + 1;
      std::size_t value_start = 0;
      std::size_t in_element = 0;
      char quote = 0;
      for (; j < n; ++j) {
        const char c = body[j];
        if (quote != 0) {
          if (c != quote) continue;
          quote = 0;
          if (j - value_start > kMaxXmlAttributeValue) {
            return too_much("an attribute value is longer than " + std::to_string(kMaxXmlAttributeValue) + " bytes");
          }
        } else if (c == '"' || c == '\'') {
          quote = c;
          value_start = j + 1;
        } else if (c == '=') {
          if (++in_element > kMaxXmlAttributesPerElement) {
            return too_much("an element has more than " + std::to_string(kMaxXmlAttributesPerElement) + " attributes");
          }
          if (++attributes > kMaxXmlAttributes) {
            return too_much("the document has more than " + std::to_string(kMaxXmlAttributes) + " attributes");
          }
        } else if (c == '>') {
          break;
        }
      }
      if (j < n) {
        next = j + 1;
        if (body[j - 1] != '/' && ++depth > max_depth) return too_much("the document is nested too deeply");
      }
    }
    if (!next) break;  // unterminated: libxml2 refuses it
    i = *next;
  }
  return std::nullopt;
}

}  // namespace

void init_libxml_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    xmlInitParser();
    xmlSetExternalEntityLoader(refuse_external_entity);
    // Errors are collected per context; nothing is printed to stderr by the library.
    xmlThrDefSetGenericErrorFunc(nullptr, ignore_generic_error);
    xmlSetGenericErrorFunc(nullptr, ignore_generic_error);
  });
}

std::string trim_message(std::string text, std::size_t limit) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  if (text.size() > limit) {
    text.resize(limit);
    while (!text.empty() && (static_cast<unsigned char>(text.back()) & 0xC0) == 0x80) text.pop_back();
    if (!text.empty() && (static_cast<unsigned char>(text.back()) & 0x80) != 0) text.pop_back();
    text += "...";
  }
  return text;
}

void register_embedded_schema_import(std::string name, std::string_view nul_terminated_text) {
  std::lock_guard lock(embedded_imports_mutex);
  embedded_imports().emplace(std::move(name), nul_terminated_text);
}

ParseOutcome parse_safely(std::string_view body, unsigned max_depth, unsigned max_elements, bool allow_comments) {
  init_libxml_once();
  ParseOutcome out;
  if (body.size() > static_cast<std::size_t>(INT_MAX)) {
    out.code = ErrorCode::too_large;
    out.error = "the document is too large";
    return out;
  }
  if (auto refused = refuse_before_parsing(body)) return std::move(*refused);
  if (auto refused = refuse_markup(body, max_depth)) return std::move(*refused);
  // One parser context per thread, reset by every read: saves allocating the context and its
  // name dictionary for each message.
  thread_local std::unique_ptr<xmlParserCtxt, ParserCtxtFree> ctxt(xmlNewParserCtxt());
  // The context's name dictionary keeps every name it has seen; a sender could fill it with
  // invented namespace prefixes until libxml2's cap refuses new names. Start afresh past a bound.
  constexpr int kMaxDictionaryEntries = 20'000;
  if (ctxt && ctxt->dict != nullptr && xmlDictSize(ctxt->dict) > kMaxDictionaryEntries) ctxt.reset(xmlNewParserCtxt());
  if (!ctxt) {
    out.code = ErrorCode::internal_error;
    out.error = "parser unavailable";
    return out;
  }
  // No NOENT (entities stay unexpanded), no DTDLOAD/DTDATTR/DTDVALID, no XINCLUDE, no HUGE
  // (libxml2's own depth and size limits stay on), NONET as a second lock on the network.
  // COMPACT stores short texts inside their nodes: fewer allocations; the tree is never modified.
  constexpr int options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_COMPACT;
  out.doc.reset(xmlCtxtReadMemory(ctxt.get(), body.data(), static_cast<int>(body.size()), nullptr,
                                  nullptr, options));
  if (!out.doc || ctxt->wellFormed == 0) {
    out.doc.reset();
    const xmlError* error = xmlCtxtGetLastError(ctxt.get());
    out.code = ErrorCode::xml_malformed;
    // Position only: libxml2's messages quote the input (entity names, bytes), which may be
    // personal data.
    out.error = "the body is not well-formed XML";
    if (error != nullptr && error->line > 0) {
      out.error += " (line " + std::to_string(error->line) + ", column " + std::to_string(error->int2) + ")";
    }
    return out;
  }
  xmlDoc* doc = out.doc.get();
  if (doc->version == nullptr || std::string_view(reinterpret_cast<const char*>(doc->version)) != "1.0") {
    out.doc.reset();
    out.code = ErrorCode::xml_malformed;
    out.error = "only XML 1.0 documents are accepted";
    return out;
  }
  // A second lock: the prolog check above refuses DOCTYPE before parsing.
  if (doc->intSubset != nullptr || doc->extSubset != nullptr) {
    out.doc.reset();
    out.code = ErrorCode::schema_invalid;
    out.error = "DOCTYPE declarations are not allowed";
    return out;
  }
  const xmlNode* root = xmlDocGetRootElement(doc);
  const Shape shape = root == nullptr ? Shape::too_big : check_shape(root, max_depth, max_elements, allow_comments);
  // Comments and PIs outside the root element are children of the document node.
  bool outside = false;
  for (const xmlNode* n = doc->children; n != nullptr; n = n->next) {
    outside = outside || n->type == XML_COMMENT_NODE || n->type == XML_PI_NODE;
  }
  if (shape == Shape::comment || outside) {
    out.doc.reset();
    out.code = ErrorCode::schema_invalid;
    out.error = "comments and processing instructions are not allowed";
    return out;
  }
  if (shape == Shape::too_big) {
    out.doc.reset();
    out.code = ErrorCode::schema_invalid;
    out.error = "the document is nested too deeply or has too many elements";
    return out;
  }
  return out;
}

// libxml2 quotes offending values in its validation messages ("The value '3657426180X' is not
// accepted ..."). Values may be personal data (an IDNr), and quotes inside a value defeat any
// attempt to cut them out, so a message that mentions a value is replaced by one built only from
// the element's name; messages about structure (missing or unexpected elements) name elements
// only and are kept.
std::string safe_validation_message(const xmlError* error) {
  const std::string message = error->message != nullptr ? error->message : "";
  const bool mentions_value = message.find("value") != std::string::npos || message.find("Value") != std::string::npos;
  std::string out = "line " + std::to_string(error->line) + ": ";
  if (!mentions_value) return out + message;
  const auto* node = static_cast<const xmlNode*>(error->node);
  if (node != nullptr && node->type == XML_ELEMENT_NODE && node->name != nullptr) {
    return out + "element '" + reinterpret_cast<const char*>(node->name) + "' has a value the schema does not allow";
  }
  return out + "a value the schema does not allow";
}


}  // namespace oncegate::message
