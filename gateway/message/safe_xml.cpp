#include "gateway/message/safe_xml.hpp"

#include <libxml/dict.h>
#include <libxml/xmlerror.h>

#include <climits>
#include <mutex>

namespace oncegate::message {

namespace {

// No document we accept refers to anything outside itself: every external entity, DTD or schema
// import that libxml2 would load is refused, whatever the parser options.
xmlParserInputPtr refuse_external_entity(const char* /*url*/, const char* /*id*/,
                                         xmlParserCtxtPtr /*context*/) {
  return nullptr;
}

void ignore_generic_error(void* /*context*/, const char* /*format*/, ...) {}

struct ParserCtxtFree {
  void operator()(xmlParserCtxt* ctxt) const noexcept { xmlFreeParserCtxt(ctxt); }
};

enum class Shape { ok, too_big, comment };

// Depth, element count and node kinds of the tree, walked without recursion.
Shape check_shape(const xmlNode* root, unsigned max_depth, unsigned max_elements) {
  unsigned depth = 1;
  unsigned elements = 0;
  const xmlNode* node = root;
  while (node != nullptr) {
    if (node->type == XML_ELEMENT_NODE) {
      if (++elements > max_elements || depth > max_depth) return Shape::too_big;
    } else if (node->type == XML_COMMENT_NODE || node->type == XML_PI_NODE) {
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

ParseOutcome parse_safely(std::string_view body, unsigned max_depth, unsigned max_elements) {
  init_libxml_once();
  ParseOutcome out;
  if (body.size() > static_cast<std::size_t>(INT_MAX)) {
    out.code = ErrorCode::too_large;
    out.error = "the document is too large";
    return out;
  }
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
  if (doc->intSubset != nullptr || doc->extSubset != nullptr) {
    out.doc.reset();
    out.code = ErrorCode::schema_invalid;
    out.error = "DOCTYPE declarations are not allowed";
    return out;
  }
  const xmlNode* root = xmlDocGetRootElement(doc);
  const Shape shape = root == nullptr ? Shape::too_big : check_shape(root, max_depth, max_elements);
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

}  // namespace oncegate::message
