#pragma once
// One kind of item operators manage at runtime (adapters, routes, authorities, permissions, the
// signing key). Each section is one file under sections/ and owns, for its items: the admin body
// schema, how its overlay entries are laid over the configuration file, its listing, and its
// changes. The runtime control builds, persists and swaps; the admin module routes and audits.
// Adding a managed item: a new ManagedSection file and its line in sections.cpp.
//
// Thread safety: sections are stateless; list() runs concurrently with changes, changes are
// serialised by the runtime control.

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

}  // namespace oncegate::runtime
