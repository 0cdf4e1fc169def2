#include "gateway/app/gateway.hpp"
#include "gateway/common/files.hpp"
#include "gateway/common/time.hpp"
#include "gateway/crypto/crypto.hpp"

#include <sys/stat.h>

#include <cstdio>
#include <algorithm>
#include <array>
#include <ctime>
#include <chrono>
#include <fstream>
#include <set>

#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>

#include "adapters/embedded/embedded_register.hpp"
#include "adapters/handelsregister/handelsregister.hpp"
#include "adapters/population/identity_index.hpp"
#include "adapters/remote/remote_register.hpp"
#include "datacockpit/cockpit.hpp"
#include "gateway/admin/admin_api.hpp"
#include "gateway/app/metrics.hpp"
#include "gateway/demo/demo.hpp"
#include "gateway/app/recording.hpp"
#include "gateway/runtime/runtime_control.hpp"
#include "gateway/oplog/oplog.hpp"
#include "adapters/transfer_log/protocol_data.hpp"
#include "datacockpit/demo_idp.hpp"
#include "gateway/exchange/checks.hpp"
#include "gateway/log/transfer_log.hpp"
#include "gateway/exchange/pipeline.hpp"
#include "gateway/message/codec.hpp"
#include "gateway/message/signature.hpp"
#include "gateway/net/server.hpp"
#include "gateway/store/redis_client.hpp"
#include "gateway/store/replay_window.hpp"
#include "gateway/store/shared_state.hpp"
#include "gateway/routing/idnr.hpp"
#include "gateway/routing/routing_table.hpp"
#include "gateway/crypto/data_signer.hpp"
#include "gateway/crypto/x509.hpp"
#include "gateway/demo/pki.hpp"
#include "gateway/trust/permission_matrix.hpp"
#include "gateway/transparency/log_api.hpp"
#include "gateway/transparency/witness.hpp"
#include "gateway/transparency/witness_client.hpp"
#include "gateway/trust/trust_store.hpp"

namespace oncegate::app {

namespace {

// The log's Ed25519 key, loaded once. The demo material includes one; otherwise the operator
// creates it (a new key is a new log: docs/TRANSPARENCY.md).
std::shared_ptr<const crypto::Ed25519Key> load_log_key(const config::GatewayConfig& config) {
  if (!std::filesystem::exists(config.log.key)) {
    if (!config.demo.generate) {
      throw std::runtime_error("log.key '" + config.log.key.string() +
                               "' does not exist: create the log's key with `openssl genpkey -algorithm ed25519 -out " +
                               config.log.key.string() + "` (mode 0600, owned by the service user) and publish its "
                               "vkey (GET /log/v1/vkey) to the witnesses");
    }
    return transparency::load_or_create_key(config.log.key);
  }
  return std::make_shared<const crypto::Ed25519Key>(crypto::Ed25519Key::from_pem(common::read_secret_file(config.log.key, "log.key")));
}

void prepare_data_dir(const config::GatewayConfig& config) {
  std::filesystem::create_directories(config.data_dir);
  ::chmod(config.data_dir.c_str(), 0700);  // keys and the log live here
  demo::prepare_demo_material(config);
}

using common::read_file;

net::ListenerOptions listener_options(const config::ListenerConfig& l) {
  net::ListenerOptions o;
  o.name = l.name;
  o.address = l.address;
  o.port = l.port;
  o.tls.certificate_chain_file = l.certificate.string();
  o.tls.private_key_file = l.private_key.string();
  o.tls.client_ca_file = l.client_ca.string();
  o.tls.require_client_certificate = l.require_client_certificate;
  o.header_limit = l.header_limit;
  o.body_limit = l.body_limit;
  o.handshake_timeout = l.handshake_timeout;
  o.read_timeout = l.read_timeout;
  o.write_timeout = l.write_timeout;
  o.max_connections = l.max_connections;
  o.limits.connections_per_source = l.per_source_connections;
  o.limits.handshakes_per_source = l.per_source_handshakes;
  o.limits.handshakes_in_flight = l.handshakes_in_flight;
  o.limits.requests_per_second = static_cast<double>(l.per_source_requests_per_second);
  o.limits.request_burst = static_cast<double>(l.per_source_burst);
  o.limits.party_requests_per_second = static_cast<double>(l.per_party_requests_per_second);
  o.limits.party_request_burst = static_cast<double>(l.per_party_burst);
  o.proxy_protocol_from = l.proxy_protocol_from;
  return o;
}


// Operators who sign in to the admin listener with a client certificate.
std::vector<admin::OperatorCertificate> load_operators(const config::GatewayConfig& config) {
  std::vector<admin::OperatorCertificate> out;
  for (const auto& op : config.admin.operators) {
    const auto described = trust::describe_certificate(read_file(op.certificate, "operator certificate"));
    out.push_back({op.name, op.role, described.fingerprint});
  }
  return out;
}

}  // namespace

struct Gateway::Impl {
  config::GatewayConfig config;
  // The embedded default's witness: its routes run on the server's threads, so it outlives them.
  std::shared_ptr<transparency::Witness> demo_witness;
  std::unique_ptr<net::Server> server;
  // The demo's remote register, served from inside the gateway ([demo] sample_register).
  std::shared_ptr<demo::SampleRegister> sample_register;
  // Destroyed after the log (declared before it): closing the log signs a last tree head.
  std::shared_ptr<runtime::RuntimeControl> runtime;
  // Declared after the server: destroyed first, so its last completions still find the server's
  // executor alive.
  std::unique_ptr<log::TransferLog> transfer_log;
  std::shared_ptr<datacockpit::Cockpit> cockpit;  // reads the log: destroyed before it
  // The other nodes of a cluster, asked by the Datencockpit and the DSC interface (set before start).
  std::shared_ptr<datacockpit::PeerClient> peer_client;
  // Draining (SIGTERM with [gateway] drain_ms, or POST /admin/v1/drain): serving on, unready.
  std::atomic<bool> draining{false};
  std::shared_ptr<datacockpit::DemoOpenIdProvider> demo_provider;
  std::shared_ptr<admin::AdminApi> admin;          // likewise
  std::unique_ptr<transparency::WitnessSubmitter> witness_submitter;  // likewise
  std::shared_ptr<ExchangeMetrics> metrics = std::make_shared<ExchangeMetrics>();
  std::vector<std::pair<std::string, std::time_t>> listener_certificates;  // name -> not_after
  // A cluster node's connection to the shared store and the replay window on it (null: one node).
  std::shared_ptr<store::RedisClient> store;
  std::shared_ptr<store::SharedReplayWindow> shared_replay;

  // Requests still in flight at a stop may yet ask a register or the replay window: registers and
  // the store stay until the last connection has closed (or the grace period cuts everything).
  // The wait belongs to the timer's handler: cut by the grace period, it goes with the I/O context.
  // A server that never started has no connections: `then` runs at once.
  void after_the_last_connection(std::function<void()> then,
                                 std::shared_ptr<boost::asio::steady_timer> timer = nullptr) {
    if (server->open_connections() == 0) return then();
    if (!timer) timer = std::make_shared<boost::asio::steady_timer>(server->executor());
    timer->expires_after(std::chrono::milliseconds(20));
    timer->async_wait([this, timer, then = std::move(then)](boost::system::error_code ec) mutable {
      if (!ec) after_the_last_connection(std::move(then), timer);
    });
  }

  [[nodiscard]] MetricsGauges gauges() const {
    MetricsGauges g;
    g.log_size = transfer_log->size();
    g.log_queue_depth = transfer_log->queue_depth();
    if (const auto head = transfer_log->latest_head()) g.checkpoint_size = head->size;
    if (const auto head = transfer_log->latest_cosigned_head()) g.cosigned_checkpoint_size = head->size;
    if (witness_submitter) {
      for (const auto& w : witness_submitter->status()) g.witnesses.push_back({w.name, w.cosigned_size, w.failures});
    }
    g.open_connections = server->open_connections();
    for (const auto& listener : server->limit_counts()) {
      MetricsGauges::ListenerLimits limits{listener.listener, {}, listener.counts.sources,
                                           listener.counts.handshakes_in_flight};
      limits.refused.emplace_back("listener_connections", listener.refused_listener_full);
      for (std::size_t i = 0; i < listener.counts.refused.size(); ++i) {
        limits.refused.emplace_back(std::string(net::reason_name(static_cast<net::LimitReason>(i))),
                                    listener.counts.refused[i]);
      }
      g.limits.push_back(std::move(limits));
    }
    if (store) {
      const auto verdicts = shared_replay->counts();
      g.cluster = MetricsGauges::Cluster{store->up(), store->counts().failed, verdicts.seen, verdicts.unavailable,
                                         runtime->configuration_version(), runtime->configuration_failed_version()};
    }
    g.adapters = runtime->adapter_statuses();
    g.degraded_routes = runtime->degraded_routes().size();
    const auto now = static_cast<double>(std::time(nullptr));
    const auto days = [now](std::time_t not_after) { return (static_cast<double>(not_after) - now) / 86400.0; };
    const auto published = runtime->published_certificates();
    for (std::size_t i = 0; i < published.size(); ++i) {
      const auto c = trust::describe_certificate(published[i]);
      g.certificates.push_back({i == 0 ? "signing" : "signing_previous", c.fingerprint.substr(0, 16), days(c.not_after)});
    }
    for (const auto& authority : runtime->trust()->authorities()) {
      for (const auto& c : authority.certificates) {
        g.certificates.push_back({"authority", authority.kennung + " " + c.fingerprint.substr(0, 16), days(c.not_after)});
      }
    }
    for (const auto& [name, not_after] : listener_certificates) g.certificates.push_back({"listener", name, days(not_after)});
    return g;
  }
};

namespace {

// GET /v1/signing-certificates on the evidence listener: every certificate answers and tree heads
// may carry a signature of (current first), so requesters and citizens can verify after a key
// rotation. Public material only.
void register_certificate_route(net::Router& router, std::shared_ptr<runtime::RuntimeControl> runtime) {
  router.add("GET", "/v1/signing-certificates", [runtime](net::HttpRequest, const net::ConnectionInfo&,
                                                           boost::asio::any_io_executor, net::Responder respond) {
    boost::json::array certificates;
    const auto published = runtime->published_certificates();
    for (std::size_t i = 0; i < published.size(); ++i) {
      const auto c = trust::describe_certificate(published[i]);
      certificates.push_back(boost::json::object{{"fingerprint", c.fingerprint}, {"current", i == 0},
                                                 {"not_after", static_cast<std::int64_t>(c.not_after)},
                                                 {"certificate", published[i]}});
    }
    respond(net::HttpResponse{200, "application/json",
                              boost::json::serialize(boost::json::object{{"certificates", certificates}}) + "\n", {}});
  });
}

// GET /v1/catalogue on the evidence listener: the code lists and the calling authority's own
// permission rules (the listener admits registered authorities only, so the caller is known).
void register_catalogue_route(net::Router& router, std::shared_ptr<runtime::RuntimeControl> runtime) {
  router.add("GET", "/v1/catalogue", [runtime](net::HttpRequest, const net::ConnectionInfo& connection,
                                                boost::asio::any_io_executor, net::Responder respond) {
    const auto trust = runtime->trust();
    const trust::Authority* authority = trust->by_certificate(connection.peer_certificate_fingerprint);
    const std::string kennung = authority != nullptr ? authority->kennung : std::string();
    respond(net::HttpResponse{200, "application/json", boost::json::serialize(runtime->catalogue(kennung)) + "\n", {}});
  });
}

// Failures the connection layer answers itself on the JSON listeners (admin, Datencockpit).
net::HttpResponse json_failure(net::HttpFailure failure) {
  const unsigned status = net::http_status(failure);
  return net::HttpResponse{status, "application/json",
                           boost::json::serialize(boost::json::object{{"error", net::describe(failure)}, {"status", status}}) + "\n",
                           {}};
}

std::time_t certificate_not_after(const std::filesystem::path& file) {
  try {
    return trust::describe_certificate(read_file(file, "listener certificate")).not_after;
  } catch (const std::exception&) {
    return 0;
  }
}

}  // namespace

Gateway::Gateway(GatewayOptions options) : impl_(std::make_unique<Impl>()) {
  static_assert(static_cast<std::size_t>(exchange::Stage::count) == kStageCount);
  auto& config = impl_->config;
  config = std::move(options.config);
  prepare_data_dir(config);

  net::ServerOptions server_options{config.io_threads, config.shutdown_grace};
  server_options.drain_before_stop = config.drain;
  impl_->server = std::make_unique<net::Server>(server_options);
  impl_->server->on_drain([impl = impl_.get()] {
    impl->draining.store(true);
    oplog::write(oplog::Level::info, "draining", {{"trigger", "SIGTERM"}, {"drain_ms", static_cast<std::int64_t>(impl->config.drain.count())}});
  });
  Impl* const impl = impl_.get();

  // The demo's remote register (demo.sample_register), and the configuration pointed to it.
  impl_->sample_register = std::make_shared<demo::SampleRegister>(config);
  impl_->sample_register->point_adapters_to_it(config);
  std::shared_ptr<const demo::SampleRegister> sample_register = impl_->sample_register;

  const std::string pseudonym_secret = read_pseudonym_secret(config.log.pseudonym_secret);
  // Requests arrive only after start(), when the log exists.
  exchange::TransferRecorder recorder = make_transfer_recorder(
      [impl]() -> log::TransferLog& { return *impl->transfer_log; }, pseudonym_secret,
      impl_->metrics);
  runtime::RuntimeParts parts;
  parts.on_refused = make_refusal_observer(impl_->metrics);
  parts.codec = message::MessageCodec::open(message::CodecOptions{options.schema_path});
  parts.gateway_identity = message::Authority{config.verzeichnisdienst, config.kennung, config.name};
  parts.adapter_deadline = config.adapter_deadline;
  parts.log_deadline = config.log.deadline;
  parts.freshness_window = config.trust.freshness_window;
  parts.replay = exchange::FreshnessCheck::make_replay_guard(config.trust.freshness_window);
  if (config.cluster.enabled) {
    // One replay window for all nodes: ids are kept in the shared store as long as the node's own
    // guard keeps them.
    const auto& c = config.cluster;
    store::RedisOptions store_options;
    const auto colon = c.store.rfind(':');
    store_options.host = c.store.substr(0, colon);
    store_options.port = static_cast<std::uint16_t>(std::stoul(c.store.substr(colon + 1)));
    store_options.user = c.store_user;
    store_options.password =
        common::without_line_end(common::read_secret_file(c.store_password_file, "cluster.store_password_file"));
    store_options.timeout = c.store_timeout;
    impl_->store = store::RedisClient::start(impl_->server->executor(), std::move(store_options));
    const auto retention = std::chrono::duration_cast<std::chrono::milliseconds>(2 * config.trust.freshness_window) +
                           std::chrono::seconds(1);
    impl_->shared_replay = store::redis_replay_window(impl_->store, retention, c.key_prefix + "replay:");
    parts.shared_replay = impl_->shared_replay;
    parts.shared_config = std::make_shared<store::SharedConfigStore>(impl_->store, c.key_prefix);
    parts.node = c.node;
    parts.announces_peer = config.listener("peer") != nullptr;
    parts.replay_local_when_unavailable = c.when_store_unavailable == "local";
  }
  parts.recorder = std::move(recorder);
  adapters::embedded::register_embedded_adapter_types(parts.factories);
  adapters::handelsregister::register_handelsregister_adapter_type(parts.factories);
  adapters::remote::register_remote_adapter_type(parts.factories);
  if (options.extra_adapter_types) options.extra_adapter_types(parts.factories);
  parts.adapter_context = adapters::AdapterContext{impl_->server->executor(), config.data_dir.string()};
  parts.data_dir = config.data_dir;
  parts.edm_codec = message::edm::EdmCodec::open();
  if (config.dsc.enabled) {
    parts.dsc_codec = message::dsc::DscCodec::open();
    parts.transfer_log = [impl]() -> log::TransferLog& { return *impl->transfer_log; };
    std::optional<adapters::transfer_log::ClusterProtocol> across_nodes;
    if (config.listener("peer") != nullptr) {
      // Every node's log, the others asked on their peer listeners (the same client as the
      // Datencockpit's, made below; requests arrive only after start()).
      const auto executor = impl_->server->executor();
      across_nodes = adapters::transfer_log::ClusterProtocol{
          config.cluster.node, [impl, executor](auto target_for, std::string pseudonym, auto then) {
            impl->peer_client->ask_all(
                std::move(target_for), std::move(pseudonym), executor,
                [then = std::move(then)](std::optional<std::vector<datacockpit::PeerAnswer>> answers) {
                  if (!answers) return then(std::nullopt);
                  std::vector<adapters::transfer_log::NodeAnswer> out;
                  for (auto& a : *answers) out.push_back({a.node, a.answered, a.status, std::move(a.body), a.problem});
                  then(std::move(out));
                });
          }};
    }
    parts.protocol_data = std::make_shared<adapters::transfer_log::ProtocolDataAdapter>(parts.transfer_log, pseudonym_secret,
                                                                                        std::move(across_nodes));
  }
  if (!config.locating.population.empty()) {
    // The sample national services, over the same people as the embedded registers.
    const auto people = adapters::embedded::load_shared_population(config.locating.population);
    parts.identity = std::make_shared<const adapters::population::IdentityIndex>(*people);
    parts.locator = std::make_shared<const adapters::population::ResidenceLocator>(*people);
    parts.location_cache = std::make_shared<exchange::LocationCache>(config.locating.location_cache);
  }
  if (options.reload_config) {
    parts.reload_config = [reload = std::move(options.reload_config), sample_register] {
      auto fresh = reload();
      sample_register->point_adapters_to_it(fresh);
      return fresh;
    };
  }
  // Keys and certificates are read here, once; requests only use what is loaded.
  impl_->runtime = std::make_shared<runtime::RuntimeControl>(std::move(parts), config);
  const auto runtime = impl_->runtime;
  // Registers' timers and idle connections end once nothing new comes in, so the I/O threads
  // finish with the last request instead of at the grace period.
  impl_->server->on_stopping([runtime, impl = impl_.get()] {
    runtime->stop_following();
    impl->after_the_last_connection([runtime, impl] {
      runtime->stop_adapters();
      if (impl->store) impl->store->stop();
    });
  });

  log::TransferLogOptions log_options;
  log_options.directory = config.log.directory.string();
  log_options.sync = config.log.sync;
  log_options.identity = log::LogIdentity{config.log.origin, load_log_key(config)};
  // Public: what auditors and witnesses verify checkpoints with (also GET /log/v1/vkey).
  common::write_file_atomically(config.data_dir / "log.vkey", log_options.identity.verifier().vkey() + "\n", false);
  if (config.demo_witness.enabled) {
    // Its own key and state, as a witness elsewhere would have; it pins this log's key.
    const auto& w = config.demo_witness;
    auto key = transparency::load_or_create_key(w.directory / "witness-key.pem");
    const tlog::VerifierKey verifier{w.name, tlog::kTimestampedEd25519, key->public_key()};
    common::write_file_atomically(w.directory / "witness.vkey", verifier.vkey() + "\n", false);
    impl_->demo_witness = std::make_shared<transparency::Witness>(
        transparency::WitnessOptions{w.directory, w.name, std::move(key), {log_options.identity.verifier()}, {}});
    auto witness_router = std::make_shared<net::Router>();
    impl_->demo_witness->register_routes(*witness_router);
    impl_->server->add_listener(listener_options(*config.listener("witness")), witness_router, json_failure);
  }
  std::vector<transparency::WitnessEndpoint> witness_endpoints;
  for (const auto& w : config.log.witnesses) {
    const std::string text = w.vkey.empty() ? read_file(w.vkey_file, "witness vkey") : w.vkey;
    const auto key = tlog::parse_vkey(text);
    if (!key || key->type != tlog::kTimestampedEd25519) {
      throw std::runtime_error("log.witnesses: '" + text.substr(0, 120) +
                               "' is not the vkey of a witness (timestamped Ed25519 cosignatures, type 0x04): put "
                               "the contents of the witness's witness.vkey there (oncegate-witness --print-vkey)");
    }
    transparency::WitnessEndpoint endpoint{*key, w.url, w.ca.string()};
    if (w.local) {
      // The demo witness's listener is bound already (add_listener binds at once).
      if (!impl_->demo_witness) throw std::runtime_error("log.witnesses: local = true needs [demo_witness] enabled");
      endpoint.url = "https://127.0.0.1:" + std::to_string(impl_->server->port("witness")) + "/";
      endpoint.ca_file = config.trust.ca.string();
    }
    log_options.witnesses.witnesses.push_back(*key);
    witness_endpoints.push_back(std::move(endpoint));
  }
  log_options.witnesses.quorum = config.log.witness_quorum;
  log_options.head_every_records = config.log.head_every_records;
  log_options.head_every_ms = config.log.head_every.count();
  log_options.retention_ms = static_cast<std::int64_t>(config.log.retention_days) * 24 * 3600 * 1000;
  log_options.faults = options.log_faults;
  log_options.commit_window = config.log.commit_window;
  impl_->transfer_log = log::TransferLog::Open(log_options);
  if (!witness_endpoints.empty()) {
    impl_->witness_submitter =
        std::make_unique<transparency::WitnessSubmitter>(*impl_->transfer_log, std::move(witness_endpoints));
  }
  if (const auto* log_listener = config.listener("log")) {
    // The published log: tiles, checkpoint, vkey, for anyone.
    auto log_router = std::make_shared<net::Router>();
    transparency::register_log_routes(*log_router, *impl_->transfer_log);
    impl_->server->add_listener(listener_options(*log_listener), log_router, json_failure);
  }

  auto router = std::make_shared<net::Router>();
  exchange::PipelineSwitch::register_routes(runtime->pipeline_switch(), *router);
  register_certificate_route(*router, runtime);
  register_catalogue_route(*router, runtime);
  if (config.datacockpit.enabled) {
    const auto& c = config.datacockpit;
    datacockpit::CockpitOptions cockpit;
    auto& oidc = cockpit.oidc;
    oidc.issuer = c.issuer;
    oidc.client_id = c.client_id;
    if (!c.client_secret_file.empty()) {
      // One line; the line break an editor or `echo` adds is not part of the secret.
      oidc.client_secret = common::read_secret_file(c.client_secret_file, "datacockpit.client_secret_file");
      while (!oidc.client_secret.empty() && (oidc.client_secret.back() == '\n' || oidc.client_secret.back() == '\r')) {
        oidc.client_secret.pop_back();
      }
      if (oidc.client_secret.empty()) throw std::runtime_error("datacockpit.client_secret_file is empty");
    }
    oidc.redirect_uri = c.redirect_uri;
    oidc.post_logout_redirect_uri = c.post_logout_redirect_uri;
    oidc.scopes = c.scopes;
    oidc.ca_file = c.ca.string();
    oidc.jwks_min_refresh = c.jwks_min_refresh;
    oidc.policy.accepted_acr = c.acr_values;
    oidc.policy.idnr_claim = c.idnr_claim;
    oidc.policy.clock_skew = std::chrono::duration_cast<std::chrono::seconds>(c.clock_skew);
    if (!c.idnr_mapping.empty()) oidc.policy.subject_to_idnr = datacockpit::parse_idnr_mapping(read_file(c.idnr_mapping, "datacockpit.idnr_mapping"));
    cockpit.demo_issuer = c.demo_idp;
    cockpit.catalogue = config.catalogue;
    cockpit.retention_days = config.log.retention_days;
    cockpit.max_sessions = c.max_sessions;
    // In a cluster the sessions, pending sign-ins and demo provider's codes live in the shared
    // store: a citizen's next request, and the provider's redirect back, may land on any node.
    std::shared_ptr<store::SharedState> shared_state;
    if (impl_->store) shared_state = store::redis_shared_state(impl_->store, config.cluster.key_prefix + "cockpit:");
    cockpit.shared_state = shared_state;
    cockpit.pseudonym_secret = pseudonym_secret;
    cockpit.session_ttl = std::chrono::duration_cast<std::chrono::seconds>(c.session_ttl);
    cockpit.authority_name = [runtime](const std::string& kennung) {
      const auto trust = runtime->trust();
      if (const auto* authority = trust->by_kennung(kennung)) return authority->name;
      if (const auto* requester = trust->by_agent(kennung)) return requester->display_name();
      return std::string();
    };
    if (config.listener("peer") != nullptr) {
      // Every node's log in the citizen's view: the other nodes are asked on their peer listeners.
      datacockpit::PeerSettings peers;
      peers.self = config.cluster.node;
      peers.ca_file = config.cluster.peer_ca.string();
      peers.certificate_file = config.cluster.peer_certificate.string();
      peers.private_key_file = config.cluster.peer_key.string();
      peers.timeout = config.cluster.peer_timeout;
      peers.directory = [runtime](auto then) { runtime->peer_directory(std::move(then)); };
      impl_->peer_client = std::make_shared<datacockpit::PeerClient>(std::move(peers));
      cockpit.peers = impl_->peer_client;
    }
    impl_->cockpit = std::make_shared<datacockpit::Cockpit>(std::move(cockpit), *impl_->transfer_log);
    auto cockpit_router = std::make_shared<net::Router>();
    impl_->cockpit->register_routes(*cockpit_router);
    if (c.demo_idp) {
      impl_->demo_provider = std::make_shared<datacockpit::DemoOpenIdProvider>(
          read_file(c.demo_idp_key, "demo IdP key"),
          read_file(config.data_dir / "demo" / "idp-jwks.json", "demo IdP key set"), c.client_id, demo::demo_people(config),
          shared_state);
      impl_->demo_provider->register_routes(*cockpit_router);
    }
    // Public material for citizens and auditors who check a proof against the published key.
    register_certificate_route(*cockpit_router, runtime);
    // Citizens on a listener of their own: they never share connection slots, limits or the
    // TLS policy with authorities.
    impl_->server->add_listener(listener_options(*config.listener("cockpit")), cockpit_router, json_failure);
    if (const auto* peer = config.listener("peer")) {
      // The other nodes' questions, from the holders of the nodes' peer certificates only.
      std::set<std::string> node_certificates;
      for (const auto& file : config.cluster.peer_clients) {
        node_certificates.insert(crypto::certificate_fingerprint(
            crypto::read_pem_certificate(read_file(file, "cluster.peer_clients")).get()));
      }
      auto peer_router = std::make_shared<net::Router>();
      impl_->cockpit->register_peer_routes(*peer_router, std::move(node_certificates));
      impl_->server->add_listener(listener_options(*peer), peer_router, json_failure);
      const auto& host = config.cluster.peer_address;
      runtime->announce_peer_address((host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
                                     std::to_string(impl_->server->port("peer")));
    }
  }
  for (const auto& l : config.listeners) impl_->listener_certificates.emplace_back(l.name, certificate_not_after(l.certificate));
  if (const auto* admin_listener = config.listener("admin")) {
    admin::AdminOptions admin_options;
    // The key file is optional when operators sign in with certificates; with neither nobody
    // could use the listener, which is a mistake worth refusing at start.
    const bool key_file = std::filesystem::exists(config.admin.keys_file);
    if (!key_file && config.admin.operators.empty()) {
      throw std::runtime_error("admin.keys_file '" + config.admin.keys_file.string() +
                               "' does not exist and no [[admin.operators]] are registered: `oncegate init --config "
                               "FILE` creates the file with a first admin key (docs/OPERATIONS.md)");
    }
    if (key_file) admin_options.keys = admin::load_api_keys(config.admin.keys_file);
    admin_options.operators = load_operators(config);
    admin_options.audit_file = config.admin.audit_file;
    admin_options.backup_dir = config.admin.backup_dir;
    // Everything besides the log that a restore needs: without the pseudonym secret no citizen
    // finds their transfers again, without the log key the log cannot go on under its origin.
    admin_options.backup_files = {config.log.pseudonym_secret, config.log.key, config.trust.signing_key,
                                  config.trust.signing_certificate, config.admin.keys_file, config.admin.audit_file,
                                  config.data_dir / "managed.json", config.data_dir / "managed"};
    admin_options.management = runtime;
    admin_options.draining = [impl = impl_.get()] { return impl->draining.load(); };
    admin_options.set_draining = [impl = impl_.get()](bool on) { impl->draining.store(on); };
    admin_options.metrics = [impl] { return impl->metrics->render(impl->gauges()); };
    if (impl_->store) {
      admin_options.cluster_readiness = [impl = impl_.get(), refuse = config.cluster.when_store_unavailable == "refuse",
                                         node = config.cluster.node](boost::json::object& body, bool& ready) {
        const bool up = impl->store->up();
        body["node"] = node;
        body["store_reachable"] = up;
        body["config_version"] = impl->runtime->configuration_version();
        body["config_synced"] = impl->runtime->configuration_synced();
        // Failing closed, a node without the store refuses every request: the load balancer
        // should send them elsewhere. Until it has read the shared configuration once it would
        // answer from a configuration the cluster may have left behind.
        if (!up && refuse) ready = false;
        if (!impl->runtime->configuration_synced()) ready = false;
      };
    }
    // A tree head may be signed by any key the gateway has used (rotation keeps the old ones).
    admin_options.verify_head = [runtime](const std::string& text, const std::string& signature) {
      return runtime->verify_with_published(text, signature);
    };
    impl_->admin = std::make_shared<admin::AdminApi>(std::move(admin_options), *impl_->transfer_log);
    auto admin_router = std::make_shared<net::Router>();
    impl_->admin->register_routes(*admin_router);
    impl_->server->add_listener(listener_options(*admin_listener), admin_router, admin::AdminApi::render_failure);
    if (const auto* health = config.listener("health")) {
      auto probe_router = std::make_shared<net::Router>();
      impl_->admin->register_probe_routes(*probe_router);
      impl_->server->add_listener(listener_options(*health), probe_router, admin::AdminApi::render_failure);
    }
  } else if (config.listener("health") != nullptr) {
    throw std::runtime_error("[listeners.health] answers from the admin module's readiness: it needs [listeners.admin]");
  }
  // SIGHUP reloads: audited through the admin module when there is one (on its job thread),
  // otherwise here, on the signal thread.
  impl_->server->on_hangup([admin = std::weak_ptr<admin::AdminApi>(impl_->admin), runtime] {
    if (auto a = admin.lock()) return a->reload_from_signal();
    const auto result = runtime->reload();
    oplog::write(result.status == 200 ? oplog::Level::info : oplog::Level::error, "reload",
                 {{"trigger", "SIGHUP"}, {"status", static_cast<int>(result.status)}});
  });
  const auto* evidence = config.listener("evidence");
  impl_->server->add_listener(listener_options(*evidence), router,
                              [pipelines = runtime->pipeline_switch()](net::HttpFailure failure) {
                                return pipelines->current()->render_failure(failure);
                              });
}

Gateway::~Gateway() { shutdown(); }

void Gateway::start() {
  impl_->server->start();
  if (impl_->cockpit) {
    // Behind a load balancer the citizens' address is its, not this listener's.
    const auto& public_url = impl_->config.datacockpit.public_url;
    const std::string origin = public_url.empty() ? "https://127.0.0.1:" + std::to_string(port("cockpit")) : public_url;
    if (impl_->demo_provider) impl_->demo_provider->listening(origin);
    impl_->cockpit->listening(origin);
  }
  std::string ports = "{\"evidence\": " + std::to_string(port("evidence"));
  if (impl_->config.listener("admin") != nullptr) ports += ", \"admin\": " + std::to_string(port("admin"));
  if (impl_->config.datacockpit.enabled) ports += ", \"cockpit\": " + std::to_string(port("cockpit"));
  for (const char* name : {"log", "witness", "health", "peer"}) {
    if (impl_->config.listener(name) != nullptr) ports += ", \"" + std::string(name) + "\": " + std::to_string(port(name));
  }
  ports += "}\n";
  common::write_file_atomically(impl_->config.data_dir / "ports.json", ports, false);
}

void Gateway::run_until_signal() {
  start();
  impl_->server->run_until_signal();
}

void Gateway::shutdown() {
  if (impl_ && impl_->server) impl_->server->shutdown();
  // Answers of other nodes still on their way find no executor to run on from here.
  if (impl_ && impl_->cockpit) impl_->cockpit->stop();
  // Admin jobs (changes, verification, backup) finish before anything they use goes away.
  if (impl_ && impl_->admin) impl_->admin->stop();
  if (impl_ && impl_->sample_register) impl_->sample_register->shutdown();
}

std::uint16_t Gateway::port(const std::string& listener) const { return impl_->server->port(listener); }

std::string Gateway::url(const std::string& listener) const {
  const auto* l = impl_->config.listener(listener);
  if (l == nullptr || port(listener) == 0) return {};
  const bool v6 = l->address.find(':') != std::string::npos;
  return "https://" + (v6 ? "[" + l->address + "]" : l->address) + ":" + std::to_string(port(listener));
}

const std::filesystem::path& Gateway::data_dir() const noexcept { return impl_->config.data_dir; }

std::size_t Gateway::open_connections() const noexcept { return impl_->server->open_connections(); }

log::TransferLog& Gateway::transfer_log() const noexcept { return *impl_->transfer_log; }

}  // namespace oncegate::app
