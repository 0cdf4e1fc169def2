#pragma once
// Internal to the sections: configuration items as the admin API and managed.json write them.

#include <filesystem>
#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "gateway/config/config.hpp"

namespace oncegate::runtime {

[[nodiscard]] boost::json::object adapter_to_json(const config::AdapterConfig& a);
// Relative file settings (config::is_file_setting) are resolved against `data_dir`.
[[nodiscard]] config::AdapterConfig adapter_from_json(std::string_view name, const boost::json::value& value,
                                                      const std::filesystem::path& data_dir);
// The overlay key of a route: "<type>|<region>".
[[nodiscard]] std::string route_key(std::string_view type, std::string_view region);
[[nodiscard]] bool route_in_base(const config::GatewayConfig& base, std::string_view key);
[[nodiscard]] boost::json::object route_to_json(const config::RouteConfig& r);
[[nodiscard]] boost::json::object permission_to_json(const config::PermissionConfig& p);
[[nodiscard]] config::PermissionConfig permission_from_json(std::string_view id, const boost::json::value& value);
// Stored form of an authority: its certificates as files in <data_dir>/managed/certificates.
[[nodiscard]] boost::json::object authority_to_stored_json(const config::AuthorityConfig& a);
[[nodiscard]] config::AuthorityConfig authority_from_stored_json(std::string_view kennung, const boost::json::value& value);

}  // namespace oncegate::runtime
