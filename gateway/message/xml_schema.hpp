#pragma once
// A compiled XML schema and its validation (inside the message module only): compiled once from
// memory (the refusing entity loader covers it: no imports beyond the embedded ones), validated
// with one libxml2 context per thread and schema (contexts are not thread-safe; the compiled
// schema is). Problems never quote a value (safe_validation_message).

#include <cstdint>
#include <string>
#include <string_view>

#include <libxml/tree.h>

struct _xmlSchema;

namespace oncegate::message::detail {

class XmlSchema {
 public:
  // Throws MessageError naming `what` when the schema does not compile.
  XmlSchema(std::string_view xsd, const std::string& what);
  ~XmlSchema();
  XmlSchema(const XmlSchema&) = delete;
  XmlSchema& operator=(const XmlSchema&) = delete;

  // Empty when `doc` is valid, else its first problem (trimmed).
  [[nodiscard]] std::string validate(xmlDoc* doc) const;

 private:
  std::uint64_t id_;  // unique per schema for the life of the process: the key of the per-thread contexts
  _xmlSchema* schema_ = nullptr;
};

}  // namespace oncegate::message::detail
