#pragma once
// Adapter *types* by name ("embedded-personenstand", "remote-https", ...), each a factory that
// builds an adapter instance from its configuration. Rejects duplicate type names. Each adapter
// implementation (adapters/<kind>/) registers its own types.
//
// Thread safety: filled at start-up and read-only afterwards; concurrent reads are safe.

#include <functional>
#include <map>
#include <memory>
#include <string>
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

}  // namespace oncegate::adapters
