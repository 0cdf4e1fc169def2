#pragma once
// The part of the gateway operators change while it runs: register adapters and routes,
// authorities and their certificates, permission rules, the gateway signing key.
//
// Effective configuration = the configuration file + the admin changes kept in
// <data_dir>/managed.json, an overlay with, per item, a replacement or a removal. Every change
// first builds a complete new runtime (adapters, routing table, trust store, permission matrix,
// signing key, pipeline); a change that does not build is refused and nothing changes. A runtime
// that builds is persisted first and then swapped in at once; requests in flight finish on the
// pipeline they started with. Reload (SIGHUP, POST /admin/v1/reload) re-reads the configuration
// file and applies the overlay again.
//
// Adapter instances whose configuration did not change are carried over, so a register keeps its
// connection pool and circuit breaker across changes.
//
// Thread safety: changes are serialised by an internal mutex and may come from any thread; the
// getters may be called concurrently with them.

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "gateway/runtime/management.hpp"
#include "gateway/runtime/state.hpp"

namespace oncegate::runtime {

class RuntimeControl final : public Management {
 public:
  // Builds the first runtime from `base` plus <data_dir>/managed.json. Throws std::exception
  // naming the problem.
  RuntimeControl(RuntimeParts parts, config::GatewayConfig base);
  ~RuntimeControl() override;

  // The pipeline switch the evidence listener serves from.
  [[nodiscard]] std::shared_ptr<exchange::PipelineSwitch> pipeline_switch() const;
  [[nodiscard]] std::shared_ptr<const SigningMaterial> signing() const;
  // Certificates answers and tree heads may have been signed with: the current one first, then
  // the ones rotated out (kept for verification).
  [[nodiscard]] std::vector<std::string> published_certificates() const;
  // True when `signature` over `text` verifies with one of the published certificates (tree heads
  // signed before and after rotations). The verifiers are made once per configuration change.
  [[nodiscard]] bool verify_with_published(const std::string& text, const std::string& signature) const;
  [[nodiscard]] std::shared_ptr<const trust::TrustStore> trust() const;
  // Every configured adapter with its status; a disabled one reports breaker "disabled".
  [[nodiscard]] std::vector<std::pair<std::string, adapters::AdapterStatus>> adapter_statuses() const;
  [[nodiscard]] std::vector<DegradedRoute> degraded_routes() const;
  // The catalogue for the authority `kennung` (catalogue.hpp), from the runtime in force.
  [[nodiscard]] boost::json::object catalogue(std::string_view kennung) const;
  // The gateway is stopping: every adapter ends its background work (RegisterAdapter::stop).
  void stop_adapters() const;
  // A cluster node stops following the shared configuration (waits for a change being applied).
  void stop_following() const;
  // A cluster node: the other nodes reach its peer listener at host:port (announced in the
  // store's node directory at once and with every report).
  void announce_peer_address(std::string host_port) const;
  // The node directory: node -> host:port of its peer listener, from every node's report
  // (then(nullopt) when the store cannot be reached). `then` runs on the store's strand.
  void peer_directory(std::function<void(std::optional<std::map<std::string, std::string>>)> then) const;

  // Management: dispatched to the sections (section.hpp, sections/).
  [[nodiscard]] std::vector<SectionInfo> sections() const override;
  [[nodiscard]] ManagementResult list(std::string_view section) const override;
  [[nodiscard]] ManagementResult put(std::string_view section, std::string_view key,
                                     const boost::json::value& body) override;
  [[nodiscard]] ManagementResult remove(std::string_view section, std::string_view key,
                                        const RemoveOptions& options) override;
  [[nodiscard]] ManagementResult action(std::string_view section, std::string_view key, std::string_view action,
                                        const boost::json::value& body) override;
  [[nodiscard]] ManagementResult reload() override;
  [[nodiscard]] boost::json::object readiness() const override;
  [[nodiscard]] ManagementResult cluster() const override;
  // A cluster node: the shared configuration has been read once since the start (until then the
  // node is not ready); the version it runs; one it could not build (0: none).
  [[nodiscard]] bool configuration_synced() const noexcept;
  [[nodiscard]] std::uint64_t configuration_version() const noexcept;
  [[nodiscard]] std::uint64_t configuration_failed_version() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace oncegate::runtime
