#include "gateway/runtime/sections/items.hpp"

#include <algorithm>

#include "gateway/runtime/fields.hpp"

namespace oncegate::runtime {

namespace json = boost::json;

json::object adapter_to_json(const config::AdapterConfig& a) {
  json::object settings;
  for (const auto& [key, value] : a.settings) settings[key] = value;
  return json::object{{"type", a.type}, {"register_name", a.register_name}, {"enabled", a.enabled}, {"settings", settings}};
}

config::AdapterConfig adapter_from_json(std::string_view name, const json::value& value,
                                        const std::filesystem::path& data_dir) {
  const std::string what = "adapter '" + std::string(name) + "'";
  const auto& object = as_object(value, what);
  reject_unknown_keys(object, {"type", "register_name", "enabled", "settings"}, what);
  config::AdapterConfig a;
  a.name = std::string(name);
  a.type = string_field(object, "type", true, what);
  a.register_name = string_field(object, "register_name", false, what, a.name);
  a.enabled = bool_field(object, "enabled", true, what);
  if (const auto* settings = object.if_contains("settings")) {
    for (const auto& [key, setting] : as_object(*settings, what + " settings")) {
      std::string text;
      if (setting.is_string()) {
        text = std::string(setting.as_string());
      } else if (setting.is_int64() || setting.is_uint64()) {
        text = json::serialize(setting);
      } else if (setting.is_bool()) {
        text = setting.as_bool() ? "true" : "false";
      } else {
        throw ChangeError(400, what + ": setting '" + std::string(key) + "' must be a string, integer or boolean");
      }
      if (config::is_file_setting(key) && !text.empty() && std::filesystem::path(text).is_relative()) {
        text = (data_dir / text).lexically_normal().string();
      }
      a.settings[std::string(key)] = std::move(text);
    }
  }
  return a;
}

std::string route_key(std::string_view type, std::string_view region) {
  return std::string(type) + "|" + std::string(region);
}

bool route_in_base(const config::GatewayConfig& base, std::string_view key) {
  return std::any_of(base.routes.begin(), base.routes.end(),
                     [&](const auto& r) { return route_key(r.evidence_type, r.region) == key; });
}

json::object route_to_json(const config::RouteConfig& r) {
  return json::object{{"evidence_type", r.evidence_type}, {"region", r.region}, {"adapter", r.adapter}};
}

json::object permission_to_json(const config::PermissionConfig& p) {
  return json::object{{"authorities", to_json_array(p.authorities)},
                      {"evidence_types", to_json_array(p.evidence_types)},
                      {"purposes", to_json_array(p.purposes)},
                      {"legal_bases", to_json_array(p.legal_bases)},
                      {"consent_required", p.consent_required},
                      {"preview_required", p.preview_required},
                      {"citizen_visible", p.citizen_visible},
                      {"citizen_visible_after_days", p.citizen_visible_after_days},
                      {"withholding_basis", p.withholding_basis}};
}

config::PermissionConfig permission_from_json(std::string_view id, const json::value& value) {
  const std::string what = "permission '" + std::string(id) + "'";
  const auto& object = as_object(value, what);
  reject_unknown_keys(object, {"authorities", "evidence_types", "purposes", "legal_bases", "consent_required", "preview_required",
                               "citizen_visible", "citizen_visible_after_days", "withholding_basis"},
                      what);
  config::PermissionConfig p;
  p.id = std::string(id);
  p.authorities = string_list(object, "authorities", true, what);
  p.evidence_types = string_list(object, "evidence_types", true, what);
  p.purposes = string_list(object, "purposes", true, what);
  p.legal_bases = string_list(object, "legal_bases", true, what);
  p.consent_required = bool_field(object, "consent_required", false, what);
  p.preview_required = bool_field(object, "preview_required", false, what);
  p.citizen_visible = bool_field(object, "citizen_visible", true, what);
  if (const auto* days = object.if_contains("citizen_visible_after_days")) {
    const bool whole = days->is_int64() || days->is_uint64();
    const std::int64_t n = days->is_int64() ? days->as_int64() : (days->is_uint64() && days->as_uint64() <= 36'500 ? static_cast<std::int64_t>(days->as_uint64()) : -1);
    if (!whole || n < 0 || n > 36'500) {
      throw ChangeError(400, what + ": citizen_visible_after_days must be a whole number from 0 to 36500");
    }
    p.citizen_visible_after_days = static_cast<unsigned>(n);
  }
  p.withholding_basis = string_field(object, "withholding_basis", false, what);
  try {
    config::check_withholding(p, what);
  } catch (const config::ConfigError& error) {
    throw ChangeError(400, error.what());
  }
  return p;
}

// Stored form of an authority: its certificates as files in <data_dir>/managed/certificates.
json::object authority_to_stored_json(const config::AuthorityConfig& a) {
  json::array files;
  for (const auto& file : a.certificates) files.emplace_back(file.string());
  return json::object{{"name", a.name}, {"certificates", files}};
}

config::AuthorityConfig authority_from_stored_json(std::string_view kennung, const json::value& value) {
  const auto& object = as_object(value, "stored authority");
  config::AuthorityConfig a;
  a.kennung = std::string(kennung);
  a.name = string_field(object, "name", false, "stored authority", a.kennung);
  for (const auto& file : string_list(object, "certificates", true, "stored authority")) a.certificates.emplace_back(file);
  return a;
}

}  // namespace oncegate::runtime
