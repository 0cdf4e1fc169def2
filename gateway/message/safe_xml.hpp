#pragma once
// Internal to the message module: libxml2 set-up and the one safe way to parse untrusted XML.

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <memory>
#include <string>
#include <string_view>

#include "gateway/message/error_code.hpp"

namespace oncegate::message {

// Initialises libxml2 (and refuses every external entity, DTD or schema load) once per process.
void init_libxml_once();

struct DocFree {
  void operator()(xmlDoc* doc) const noexcept { xmlFreeDoc(doc); }
};
using DocPtr = std::unique_ptr<xmlDoc, DocFree>;

// A parsed document handed between stages (decode -> signature verification). Documents share
// their parser's name dictionary, which is not safe to touch from two threads: free a document
// on the thread that parsed it (the pipeline drops it once its synchronous checks are done).
class ParsedDocument {
 public:
  explicit ParsedDocument(DocPtr doc) : doc_(std::move(doc)) {}
  [[nodiscard]] xmlDoc* get() const noexcept { return doc_.get(); }

 private:
  DocPtr doc_;
};

struct ParseOutcome {
  DocPtr doc;          // null on failure
  std::string error;   // for the requester
  ErrorCode code = ErrorCode::xml_malformed;
};

// What any document may hold, checked in one linear pass over the bytes before libxml2 sees them
// (the real requests of both families have at most 10 attributes on an element, 53 in all, and a
// few kilobytes of text; the Domibus envelope's base64 payload is text).
inline constexpr std::size_t kMaxXmlAttributesPerElement = 32;
inline constexpr std::size_t kMaxXmlAttributes = 2048;
inline constexpr std::size_t kMaxXmlAttributeValue = 16 * 1024;
inline constexpr std::size_t kMaxXmlText = 1024 * 1024;

// No DTD (any DOCTYPE is refused), no entity expansion, no network or file access, no comments
// or processing instructions (they are not signed and must not steer processing), bounded depth
// and element count, and the markup limits above (SCHEMA_INVALID naming the limit).
// `allow_comments`: comments inside the root element are kept (and ignored by the readers), for
// families whose messages are not signed inside (EDM); processing instructions stay refused.
[[nodiscard]] ParseOutcome parse_safely(std::string_view body, unsigned max_depth, unsigned max_elements,
                                        bool allow_comments = false);

// Makes `nul_terminated_text` (a schema compiled into the binary) loadable by schemas that import
// it under `name`; nothing else can ever be loaded.
void register_embedded_schema_import(std::string name, std::string_view nul_terminated_text);

// A libxml2 schema-validation message fit for the requester: libxml2 quotes offending values
// ("The value '3657426180X' is not accepted ..."), which may be personal data, so a message that
// mentions a value is replaced by one naming only the element. Message module only.
[[nodiscard]] std::string safe_validation_message(const xmlError* error);

// Shortens a message for an answer without cutting a UTF-8 sequence.
[[nodiscard]] std::string trim_message(std::string text, std::size_t limit = 300);

}  // namespace oncegate::message
