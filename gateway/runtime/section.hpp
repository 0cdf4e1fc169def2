#pragma once
// One kind of item operators manage at runtime (adapters, routes, authorities, permissions, the
// signing key). Each section is one file under sections/ and owns, for its items: the admin body
// schema, how its overlay entries are laid over the configuration file, its listing, and its
// changes. The runtime control builds, persists and swaps; the admin module routes and audits.
// Adding a managed item: a new ManagedSection file and its line in sections.cpp.
//
// Thread safety: sections are stateless; list() runs concurrently with changes, changes are
// serialised by the runtime control.

#include <algorithm>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "gateway/runtime/fields.hpp"
#include "gateway/runtime/management.hpp"
#include "gateway/runtime/state.hpp"

namespace oncegate::runtime {

// What a change may use. `candidate` starts as the persisted overlay; commit() builds a whole
// runtime from the configuration file plus the candidate, persists it and swaps it in, or
// throws ChangeError and nothing changes.
struct ChangeEnv {
  boost::json::object candidate;
  std::shared_ptr<const Runtime> runtime;   // in force when the change began
  const config::GatewayConfig& base;        // the configuration file
  const RuntimeParts& parts;
  std::function<void(boost::json::object candidate, std::string_view what)> commit;
  std::function<std::shared_ptr<const Runtime>()> current;                       // after commit
  std::function<std::filesystem::path(const std::string& pem)> store_certificate;  // -> file
};

class ManagedSection {
 public:
  virtual ~ManagedSection() = default;
  [[nodiscard]] virtual SectionInfo info() const = 0;
  // Lays this section's entries of `overlay` over `config` (when a runtime is built).
  virtual void apply(const boost::json::object& overlay, config::GatewayConfig& config,
                     const RuntimeParts& parts) const = 0;
  [[nodiscard]] virtual boost::json::array list(const Runtime& runtime) const = 0;
  [[nodiscard]] virtual ManagementResult put(std::string_view key, const boost::json::value& body, ChangeEnv& env) const;
  [[nodiscard]] virtual ManagementResult remove(std::string_view key, const RemoveOptions& options, ChangeEnv& env) const;
  [[nodiscard]] virtual ManagementResult action(std::string_view key, std::string_view action,
                                                const boost::json::value& body, ChangeEnv& env) const;
};

// The sections in the order they are listed (sections.cpp).
[[nodiscard]] const std::vector<std::unique_ptr<const ManagedSection>>& managed_sections();
[[nodiscard]] const ManagedSection* find_section(std::string_view name);

// Helpers for sections.

// The overlay's object for `section`, made when missing.
[[nodiscard]] boost::json::object& overlay_section(boost::json::object& overlay, std::string_view section);
// Removal in the overlay: a tombstone (null) for an item of the configuration file, else the
// entry is forgotten.
void mark_removed(boost::json::object& overlay, std::string_view section, std::string_view key, bool in_base);
// "admin" when the overlay of `runtime` holds the item, else "config".
[[nodiscard]] std::string source_of(const Runtime& runtime, std::string_view section, std::string_view key);


// Lays the entries of overlay[section] over `items`: each replaces the item of its key, a null
// entry removes it.
template <typename Item, typename KeyOf, typename Parse>
void lay_over(const boost::json::object& overlay, std::string_view section, std::vector<Item>& items, KeyOf key_of,
              Parse parse) {
  const auto* entries = overlay.if_contains(section);
  if (entries == nullptr || !entries->is_object()) return;
  for (const auto& [key, value] : entries->as_object()) {
    std::erase_if(items, [&](const Item& item) { return key_of(item) == key; });
    if (!value.is_null()) items.push_back(parse(key, value));
  }
}

// Removes the item `key` of `section` (404 when the runtime in force has none), leaving a
// tombstone when the configuration file defines it, and commits.
template <typename Item, typename KeyOf>
ManagementResult remove_item(ChangeEnv& env, std::string_view section, std::string_view key,
                             const std::vector<Item>& in_force, const std::vector<Item>& in_file, KeyOf key_of,
                             const std::string& label) {
  const auto matches = [&](const Item& item) { return key_of(item) == key; };
  if (std::none_of(in_force.begin(), in_force.end(), matches)) return error(404, "no " + label + " '" + std::string(key) + "'");
  mark_removed(env.candidate, section, key, std::any_of(in_file.begin(), in_file.end(), matches));
  env.commit(std::move(env.candidate), label + " " + std::string(key) + " removed");
  return ManagementResult{200, boost::json::object{{"removed", key}}};
}
}  // namespace oncegate::runtime
