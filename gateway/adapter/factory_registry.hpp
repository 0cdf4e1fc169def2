#pragma once
// Adapter *types* by name ("embedded-personenstand", "remote-https", ...), each a factory that
// builds an adapter instance from its configuration. Rejects duplicate type names. Each adapter
// implementation (adapters/<kind>/) registers its own types.
//
// Thread safety: filled at start-up and read-only afterwards; concurrent reads are safe.

#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "gateway/adapter/adapter_registry.hpp"

namespace oncegate::adapters {

// The configuration of one adapter instance, as read from the config file.
struct AdapterConfig {
  std::string name;                          // instance name, unique
  std::string type;                          // factory name
  std::string register_name;                 // human-readable register name
  std::map<std::string, std::string> settings;  // type-specific settings (paths are absolute)
};

// What a factory may use: executors for completions and the data directory.
struct AdapterContext {
  boost::asio::any_io_executor executor;  // completions are posted here
  std::string data_dir;
};

using AdapterFactory = std::function<std::shared_ptr<RegisterAdapter>(const AdapterConfig&,
                                                                      const AdapterContext&)>;

class AdapterFactoryRegistry {
 public:
  // Throws AdapterError if `type` is already registered.
  void add(std::string type, AdapterFactory factory);
  // Throws AdapterError for an unknown type or when the factory rejects the configuration.
  [[nodiscard]] std::shared_ptr<RegisterAdapter> create(const AdapterConfig& config,
                                                        const AdapterContext& context) const;
  [[nodiscard]] std::vector<std::string> types() const;

 private:
  std::map<std::string, AdapterFactory, std::less<>> factories_;
};

// Helpers for factories reading their settings; every error is an AdapterError naming the adapter.
[[noreturn]] void reject_setting(const AdapterConfig& config, const std::string& problem);
// A misspelt key must not go unnoticed: any setting not in `known` is rejected.
void reject_unknown_settings(const AdapterConfig& config, std::initializer_list<std::string_view> known);
// The decimal integer setting `key` in [minimum, maximum], or `fallback` when it is not given.
[[nodiscard]] unsigned long integer_setting(const AdapterConfig& config, const std::string& key,
                                            unsigned long minimum, unsigned long maximum, unsigned long fallback);

}  // namespace oncegate::adapters
