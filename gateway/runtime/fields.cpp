#include "gateway/runtime/fields.hpp"

#include <algorithm>

namespace oncegate::runtime {

namespace json = boost::json;

ManagementResult error(unsigned status, const std::string& text) {
  return ManagementResult{status, json::object{{"error", text}}};
}

const json::object& as_object(const json::value& value, std::string_view what) {
  if (!value.is_object()) throw ChangeError(400, std::string(what) + " must be a JSON object");
  return value.as_object();
}

void reject_unknown_keys(const json::object& object, std::initializer_list<std::string_view> known,
                         std::string_view what) {
  for (const auto& [key, value] : object) {
    if (std::find(known.begin(), known.end(), std::string_view(key)) == known.end()) {
      throw ChangeError(400, std::string(what) + ": unknown field '" + std::string(key) + "'");
    }
  }
}

std::string string_field(const json::object& object, std::string_view key, bool required, std::string_view what,
                         std::string fallback) {
  const auto* value = object.if_contains(key);
  if (value == nullptr) {
    if (required) throw ChangeError(400, std::string(what) + ": '" + std::string(key) + "' is required");
    return fallback;
  }
  if (!value->is_string()) throw ChangeError(400, std::string(what) + ": '" + std::string(key) + "' must be a string");
  return std::string(value->as_string());
}

bool bool_field(const json::object& object, std::string_view key, bool fallback, std::string_view what) {
  const auto* value = object.if_contains(key);
  if (value == nullptr) return fallback;
  if (!value->is_bool()) throw ChangeError(400, std::string(what) + ": '" + std::string(key) + "' must be true or false");
  return value->as_bool();
}

std::vector<std::string> string_list(const json::object& object, std::string_view key, bool required,
                                     std::string_view what) {
  const auto* value = object.if_contains(key);
  if (value == nullptr) {
    if (required) throw ChangeError(400, std::string(what) + ": '" + std::string(key) + "' is required");
    return {};
  }
  if (!value->is_array()) throw ChangeError(400, std::string(what) + ": '" + std::string(key) + "' must be an array");
  std::vector<std::string> out;
  for (const auto& element : value->as_array()) {
    if (!element.is_string()) throw ChangeError(400, std::string(what) + ": '" + std::string(key) + "' must hold strings");
    out.emplace_back(element.as_string());
  }
  if (required && out.empty()) throw ChangeError(400, std::string(what) + ": '" + std::string(key) + "' must not be empty");
  return out;
}

json::array to_json_array(const std::vector<std::string>& values) {
  json::array out;
  for (const auto& v : values) out.emplace_back(v);
  return out;
}

}  // namespace oncegate::runtime
