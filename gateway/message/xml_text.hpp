#pragma once
// Writing text into XML (inside the message module only): markup escaped, and whatever XML 1.0
// cannot carry (control characters, broken UTF-8, surrogates, U+FFFE/U+FFFF) replaced by U+FFFD,
// so a document is well-formed whatever a register's data holds.
//
// Text is escaped the way exclusive C14N writes it (quotes literal, CR as &#xD;), so messages the
// gateway writes are already canonical and can be signed without re-parsing. Attribute values
// also escape quotes and whitespace, so that attribute-value normalisation gives the reader the
// exact text back.

#include <string>
#include <string_view>

namespace oncegate::message::detail {

enum class XmlTextKind { text, attribute };

void append_xml_text(std::string& out, std::string_view text, XmlTextKind kind = XmlTextKind::text);

}  // namespace oncegate::message::detail
