#pragma once
// Adapter registries.
//
// AdapterFactoryRegistry: adapter *types* by name ("embedded-personenstand", later "remote-http"),
// each a factory that builds an adapter from its configuration. AdapterRegistry: the configured
// adapter *instances* by name. Both reject duplicate names.
//
// Thread safety: both are filled at start-up and read-only afterwards; concurrent reads are safe.

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "adapters/adapter.hpp"

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

class AdapterError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
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

class AdapterRegistry {
 public:
  // Throws AdapterError if an adapter of the same name is already registered.
  void add(std::shared_ptr<RegisterAdapter> adapter);
  // nullptr when unknown.
  [[nodiscard]] std::shared_ptr<RegisterAdapter> find(std::string_view name) const;
  [[nodiscard]] std::size_t size() const noexcept { return adapters_.size(); }
  [[nodiscard]] std::vector<std::shared_ptr<RegisterAdapter>> all() const;

 private:
  std::map<std::string, std::shared_ptr<RegisterAdapter>, std::less<>> adapters_;
};

}  // namespace oncegate::adapters
