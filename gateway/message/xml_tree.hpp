#pragma once
// Internal to the message module: reading parsed libxml2 trees by namespace URI and local name,
// never by prefix. Used by the national codec and the EDM codec alike.

#include <libxml/tree.h>

#include <string>
#include <string_view>

namespace oncegate::message::xml {

[[nodiscard]] inline bool is_element(const xmlNode* node, std::string_view ns, std::string_view local_name) {
  if (node == nullptr || node->type != XML_ELEMENT_NODE || local_name != reinterpret_cast<const char*>(node->name)) {
    return false;
  }
  if (ns.empty()) return node->ns == nullptr || node->ns->href == nullptr || node->ns->href[0] == 0;
  return node->ns != nullptr && node->ns->href != nullptr && ns == reinterpret_cast<const char*>(node->ns->href);
}

[[nodiscard]] inline const xmlNode* first_child(const xmlNode* parent, std::string_view ns, std::string_view local_name) {
  if (parent == nullptr) return nullptr;
  for (const xmlNode* c = parent->children; c != nullptr; c = c->next) {
    if (is_element(c, ns, local_name)) return c;
  }
  return nullptr;
}

[[nodiscard]] inline const xmlNode* first_element(const xmlNode* parent) {
  if (parent == nullptr) return nullptr;
  for (const xmlNode* c = parent->children; c != nullptr; c = c->next) {
    if (c->type == XML_ELEMENT_NODE) return c;
  }
  return nullptr;
}

// The text of an element's text and CDATA children (comments skipped), trimmed of XML space.
[[nodiscard]] inline std::string text_of(const xmlNode* node) {
  std::string out;
  if (node == nullptr) return out;
  for (const xmlNode* c = node->children; c != nullptr; c = c->next) {
    if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content != nullptr) {
      out += reinterpret_cast<const char*>(c->content);
    }
  }
  const auto space = [](char ch) { return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n'; };
  std::size_t begin = 0;
  while (begin < out.size() && space(out[begin])) ++begin;
  std::size_t end = out.size();
  while (end > begin && space(out[end - 1])) --end;
  return out.substr(begin, end - begin);
}

[[nodiscard]] inline std::string attribute(const xmlNode* node, const char* name, const char* ns = nullptr) {
  if (node == nullptr) return {};
  xmlChar* value = ns == nullptr ? xmlGetNoNsProp(node, reinterpret_cast<const xmlChar*>(name))
                                 : xmlGetNsProp(node, reinterpret_cast<const xmlChar*>(name),
                                                reinterpret_cast<const xmlChar*>(ns));
  if (value == nullptr) return {};
  std::string out(reinterpret_cast<const char*>(value));
  xmlFree(value);
  return out;
}

}  // namespace oncegate::message::xml
