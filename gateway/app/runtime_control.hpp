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
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "gateway/adapter/factory_registry.hpp"
#include "gateway/admin/management.hpp"
#include "gateway/config/config.hpp"
#include "gateway/exchange/checks.hpp"
#include "gateway/exchange/pipeline.hpp"
#include "gateway/message/codec.hpp"
#include "gateway/message/signature.hpp"
#include "gateway/trust/data_signer.hpp"
#include "gateway/trust/trust_store.hpp"

namespace oncegate::app {

// The gateway's signing key in force: it signs answers (XMLDSig) and tree heads.
struct SigningMaterial {
  std::string certificate_pem;
  std::string fingerprint;      // SHA-256 of the certificate's DER form, hex
  std::time_t not_after = 0;
  std::filesystem::path key_file;
  std::filesystem::path certificate_file;
  std::shared_ptr<const message::XmlSigningKey> xml_key;
  std::shared_ptr<const trust::DataSigner> head_signer;
};

// What stays the same for the gateway's whole life.
struct RuntimeParts {
  std::shared_ptr<const message::MessageCodec> codec;
  message::Authority gateway_identity;
  std::chrono::milliseconds adapter_deadline{3000};
  // The freshness window and the replay guard sized for it (changes need a restart).
  std::chrono::milliseconds freshness_window{300'000};
  std::shared_ptr<exchange::ReplayGuard> replay;
  exchange::TransferRecorder recorder;
  // Refusals before trust (operation log and metrics; never the transfer log).
  exchange::RefusalObserver on_refused;
  adapters::AdapterFactoryRegistry factories;
  adapters::AdapterContext adapter_context;
  std::filesystem::path data_dir;
  // Re-reads the configuration file; empty: reload is refused.
  std::function<config::GatewayConfig()> reload_config;
  // Called after a new signing key took effect (the gateway issues a tree head with it).
  std::function<void()> on_signing_key_change;
};

class RuntimeControl final : public admin::Management {
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

  // admin::Management
  [[nodiscard]] admin::ManagementResult list(std::string_view section) const override;
  [[nodiscard]] admin::ManagementResult put(std::string_view section, std::string_view key,
                                            const boost::json::value& body) override;
  [[nodiscard]] admin::ManagementResult remove(std::string_view section, std::string_view key,
                                               const admin::RemoveOptions& options) override;
  [[nodiscard]] admin::ManagementResult action(std::string_view section, std::string_view key,
                                               std::string_view action, const boost::json::value& body) override;
  [[nodiscard]] admin::ManagementResult reload() override;
  [[nodiscard]] boost::json::object readiness() const override;

 private:
  struct Runtime;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace oncegate::app
