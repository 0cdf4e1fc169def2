// The managed sections, in the order the admin endpoint lists them. A new section: its file in
// this folder and one line here.

#include "gateway/runtime/section.hpp"

namespace oncegate::runtime {

std::unique_ptr<const ManagedSection> make_adapters_section();
std::unique_ptr<const ManagedSection> make_routes_section();
std::unique_ptr<const ManagedSection> make_authorities_section();
std::unique_ptr<const ManagedSection> make_permissions_section();
std::unique_ptr<const ManagedSection> make_oots_evidence_types_section();
std::unique_ptr<const ManagedSection> make_signing_keys_section();

const std::vector<std::unique_ptr<const ManagedSection>>& managed_sections() {
  static const auto sections = [] {
    std::vector<std::unique_ptr<const ManagedSection>> out;
    out.push_back(make_adapters_section());
    out.push_back(make_routes_section());
    out.push_back(make_authorities_section());
    out.push_back(make_permissions_section());
    out.push_back(make_oots_evidence_types_section());
    out.push_back(make_signing_keys_section());
    return out;
  }();
  return sections;
}

const ManagedSection* find_section(std::string_view name) {
  for (const auto& section : managed_sections()) {
    if (section->info().name == name) return section.get();
  }
  return nullptr;
}

ManagementResult ManagedSection::put(std::string_view, const boost::json::value&, ChangeEnv&) const {
  return error(405, "items of this section are not set this way");
}

ManagementResult ManagedSection::remove(std::string_view, const RemoveOptions&, ChangeEnv&) const {
  return error(405, "items of this section are not removed this way");
}

ManagementResult ManagedSection::action(std::string_view, std::string_view, const boost::json::value&, ChangeEnv&) const {
  return error(404, "unknown action");
}

boost::json::object& overlay_section(boost::json::object& overlay, std::string_view section) {
  auto& value = overlay[section];
  if (!value.is_object()) value = boost::json::object{};
  return value.as_object();
}

void mark_removed(boost::json::object& overlay, std::string_view section, std::string_view key, bool in_base) {
  auto& items = overlay_section(overlay, section);
  if (in_base) {
    items[key] = nullptr;
  } else {
    items.erase(key);
  }
}

std::string source_of(const Runtime& runtime, std::string_view section, std::string_view key) {
  const auto* items = runtime.overlay.if_contains(section);
  if (items != nullptr && items->is_object() && items->as_object().contains(key)) return "admin";
  return "config";
}

}  // namespace oncegate::runtime
