#pragma once
// What a runtime is made of: the parts that stay for the gateway's whole life, and one built
// runtime (effective configuration, adapters, trust, signing key, pipeline), immutable once built.

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/json.hpp>

#include "gateway/adapter/factory_registry.hpp"
#include "gateway/config/config.hpp"
#include "gateway/exchange/checks.hpp"
#include "gateway/exchange/oots.hpp"
#include "gateway/exchange/pipeline.hpp"
#include "gateway/store/config_store.hpp"
#include "gateway/message/codec.hpp"
#include "gateway/runtime/signing.hpp"
#include "gateway/crypto/data_signer.hpp"
#include "gateway/trust/trust_store.hpp"

namespace oncegate::runtime {

// What stays the same for the gateway's whole life.
struct RuntimeParts {
  std::shared_ptr<const message::MessageCodec> codec;
  message::Authority gateway_identity;
  std::chrono::milliseconds adapter_deadline{3000};
  std::chrono::milliseconds log_deadline{5000};
  // The freshness window and the replay guard sized for it (changes need a restart).
  std::chrono::milliseconds freshness_window{300'000};
  std::shared_ptr<exchange::ReplayGuard> replay;
  // A cluster's shared replay window (null: one node), and what to do when it is unreachable.
  std::shared_ptr<store::SharedReplayWindow> shared_replay;
  bool replay_local_when_unavailable = false;
  // A cluster's shared configuration (null: one node, changes in managed.json alone) and this
  // node's name.
  std::shared_ptr<store::SharedConfigStore> shared_config;
  // This node has a peer listener: its report waits until its address is announced, so that
  // the node directory never shows it without one.
  bool announces_peer = false;
  std::string node;
  exchange::TransferRecorder recorder;
  // Refusals before trust (operation log and metrics; never the transfer log).
  exchange::RefusalObserver on_refused;
  adapters::AdapterFactoryRegistry factories;
  adapters::AdapterContext adapter_context;
  std::filesystem::path data_dir;
  // Re-reads the configuration file; empty: reload is refused.
  std::function<config::GatewayConfig()> reload_config;
  // The EU family's codec; the services that find people without being told where (null: none).
  std::shared_ptr<const message::edm::EdmCodec> edm_codec;
  std::shared_ptr<const adapters::IdentityResolver> identity;
  std::shared_ptr<const adapters::LocationService> locator;
  std::shared_ptr<exchange::LocationCache> location_cache;
  // The national Datenschutzcockpit's interface (null codec: off): its codec, and the transfer log
  // as the register of protocol data.
  std::shared_ptr<const message::dsc::DscCodec> dsc_codec;
  std::shared_ptr<adapters::RegisterAdapter> protocol_data;
  std::function<log::TransferLog&()> transfer_log;
};

// One built runtime. Immutable; requests hold the pipeline they started with.
struct Runtime {
  config::GatewayConfig config;  // effective: files + overlay
  boost::json::object overlay;   // the admin changes this runtime was built with (for "source")
  std::map<std::string, std::shared_ptr<adapters::RegisterAdapter>, std::less<>> instances;  // by name
  std::shared_ptr<const trust::TrustStore> trust;
  std::shared_ptr<const SigningMaterial> signing;
  std::vector<std::string> published;  // current certificate first
  std::vector<std::shared_ptr<const crypto::DataVerifier>> published_verifiers;  // same order
  std::shared_ptr<const exchange::ExchangePipeline> pipeline;
  std::shared_ptr<const exchange::ExchangePipeline> oots_pipeline;  // null when OOTS is off
  std::shared_ptr<const exchange::ExchangePipeline> dsc_pipeline;   // null when the DSC interface is off
  std::shared_ptr<adapters::AdapterRegistry> dsc_registry;          // its one register (the routes point into it)
};

// Every configured adapter with its status; a disabled one reports breaker "disabled".
[[nodiscard]] std::vector<std::pair<std::string, adapters::AdapterStatus>> adapter_statuses(const Runtime& runtime);

// A route whose register cannot be reached now (health check, breaker open, or disabled): the
// node still serves every other route, so readiness stays 200 and says `degraded`.
struct DegradedRoute {
  std::string evidence_type;
  std::string region;
  std::string adapter;
  std::string reason;  // the breaker's state or the register's last error; no personal data
};
[[nodiscard]] std::vector<DegradedRoute> degraded_routes(
    const Runtime& runtime, const std::vector<std::pair<std::string, adapters::AdapterStatus>>& statuses);

}  // namespace oncegate::runtime
