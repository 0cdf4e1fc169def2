#pragma once
// The gateway assembled from its modules: configuration in, a running server out. main() and
// the integration tests both use this; neither wires modules by hand.
//
// Thread safety: construct, start and shut down from one thread.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "gateway/adapter/factory_registry.hpp"
#include "gateway/config/config.hpp"

namespace oncegate::log {
class TransferLog;
class StorageFaults;
}

namespace oncegate::app {

struct GatewayOptions {
  config::GatewayConfig config;
  // Message schema file; empty: the schema compiled into the binary (xsd/oncegate-nachweis-1.xsd).
  std::string schema_path;
  // Registers further adapter types before adapters are created (extensions, tests).
  std::function<void(adapters::AdapterFactoryRegistry&)> extra_adapter_types;
  // Re-reads the configuration file for SIGHUP and POST /admin/v1/reload; empty: reload is
  // refused (the embedded default has no file to re-read).
  std::function<config::GatewayConfig()> reload_config;
  // Fault tests and benchmarks only: the transfer log's disk fails or slows down on command.
  std::shared_ptr<log::StorageFaults> log_faults;
};

class Gateway {
 public:
  // Prepares the data directory (and, with demo.generate, the demo PKI and sample registers),
  // loads schema, adapters and routes, and binds the listeners. Throws std::exception with a
  // message that names the problem.
  explicit Gateway(GatewayOptions options);
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  // Serves in the background; writes <data_dir>/ports.json once listeners accept.
  void start();
  // Serves until SIGINT/SIGTERM, then shuts down gracefully.
  void run_until_signal();
  void shutdown();

  [[nodiscard]] std::uint16_t port(const std::string& listener) const;
  // "https://<address>:<port>" of a listener that serves, else empty (for the start-up banner).
  [[nodiscard]] std::string url(const std::string& listener) const;
  [[nodiscard]] const std::filesystem::path& data_dir() const noexcept;
  [[nodiscard]] std::size_t open_connections() const noexcept;
  // The transfer log (for tests and, later, the Datencockpit and admin modules).
  [[nodiscard]] log::TransferLog& transfer_log() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace oncegate::app
