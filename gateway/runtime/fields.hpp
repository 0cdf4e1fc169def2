#pragma once
// The admin REST bodies: reading JSON fields strictly (unknown fields and wrong types are 400 with
// the field's name) and the error a change is refused with. Shared by the sections.

#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "gateway/runtime/management.hpp"

namespace oncegate::runtime {

// A change refused with an HTTP status and a reason for the operator.
class ChangeError : public std::runtime_error {
 public:
  ChangeError(unsigned status, const std::string& message) : std::runtime_error(message), status(status) {}
  unsigned status;
};

[[nodiscard]] ManagementResult error(unsigned status, const std::string& text);

[[nodiscard]] const boost::json::object& as_object(const boost::json::value& value, std::string_view what);
void reject_unknown_keys(const boost::json::object& object, std::initializer_list<std::string_view> known,
                         std::string_view what);
[[nodiscard]] std::string string_field(const boost::json::object& object, std::string_view key, bool required,
                                       std::string_view what, std::string fallback = {});
[[nodiscard]] bool bool_field(const boost::json::object& object, std::string_view key, bool fallback,
                              std::string_view what);
[[nodiscard]] std::vector<std::string> string_list(const boost::json::object& object, std::string_view key,
                                                   bool required, std::string_view what);
[[nodiscard]] boost::json::array to_json_array(const std::vector<std::string>& values);

}  // namespace oncegate::runtime
