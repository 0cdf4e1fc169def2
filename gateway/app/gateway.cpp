#include "gateway/app/gateway.hpp"

#include <openssl/rand.h>
#include <sys/stat.h>

#include <cstdio>
#include <algorithm>
#include <chrono>
#include <fstream>

#include "adapters/embedded/embedded_register.hpp"
#include "adapters/population/population.hpp"
#include "datacockpit/cockpit.hpp"
#include "gateway/admin/admin_api.hpp"
#include "gateway/app/metrics.hpp"
#include "datacockpit/demo_idp.hpp"
#include "gateway/exchange/checks.hpp"
#include "gateway/log/transfer_log.hpp"
#include "gateway/exchange/pipeline.hpp"
#include "gateway/message/codec.hpp"
#include "gateway/message/signature.hpp"
#include "gateway/net/server.hpp"
#include "gateway/routing/routing_table.hpp"
#include "gateway/trust/data_signer.hpp"
#include "gateway/trust/demo_pki.hpp"
#include "gateway/trust/permission_matrix.hpp"
#include "gateway/trust/trust_store.hpp"

namespace oncegate::app {

namespace {

void prepare_data_dir(const config::GatewayConfig& config) {
  std::filesystem::create_directories(config.data_dir);
  ::chmod(config.data_dir.c_str(), 0700);  // keys and the log live here
  if (!config.demo.generate) return;
  trust::ensure_demo_pki(config.data_dir / "demo");
  if (config.datacockpit.demo_idp) datacockpit::ensure_demo_idp(config.data_dir / "demo");
  if (config.listener("admin") != nullptr) admin::ensure_demo_api_keys(config.data_dir / "demo", config.admin.keys_file);
  if (!std::filesystem::exists(config.log.pseudonym_secret)) {
    unsigned char secret[32];
    if (RAND_bytes(secret, sizeof secret) != 1) throw std::runtime_error("no randomness for the pseudonym secret");
    trust::write_file_atomically(config.log.pseudonym_secret,
                                 log::to_hex(std::string_view(reinterpret_cast<const char*>(secret), sizeof secret)) + "\n",
                                 true);
  }
  const auto population = config.data_dir / "registers" / "population.tsv";
  if (adapters::population::ensure_population_file(population, config.demo.seed, config.demo.population)) {
    std::fprintf(stderr, "oncegate: generated %zu sample people in %s\n", config.demo.population,
                 population.c_str());
  }
}

std::string read_file(const std::filesystem::path& file, const char* what) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error(std::string("cannot read ") + what + " '" + file.string() + "'");
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::shared_ptr<const trust::TrustStore> load_trust(const config::GatewayConfig& config) {
  std::vector<trust::AuthorityInput> inputs;
  for (const auto& a : config.authorities) {
    trust::AuthorityInput input{a.kennung, a.name, {}};
    for (const auto& file : a.certificates) input.certificate_pems.push_back(read_file(file, "authority certificate"));
    inputs.push_back(std::move(input));
  }
  return trust::TrustStore::build(read_file(config.trust.ca, "trust CA bundle"), inputs);
}

std::shared_ptr<const trust::PermissionMatrix> load_permissions(const config::GatewayConfig& config) {
  std::vector<trust::PermissionRule> rules;
  for (const auto& p : config.permissions) {
    rules.push_back({p.id, p.authorities, p.evidence_types, p.purposes, p.legal_bases, p.consent_required});
  }
  std::vector<trust::AuthorityGroup> groups;
  for (const auto& g : config.authority_groups) groups.push_back({g.name, g.members});
  return trust::PermissionMatrix::build(std::move(rules), groups);
}

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
  return o;
}


std::string read_pseudonym_secret(const std::filesystem::path& file) {
  std::string secret = read_file(file, "pseudonym secret");
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r' || secret.back() == ' ')) secret.pop_back();
  if (secret.size() < 32) {
    throw std::runtime_error("pseudonym secret '" + file.string() + "' is shorter than 32 bytes");
  }
  return secret;
}

// One transfer as the log keeps it: who asked whom for what, why, and how it ended; the person
// only as a pseudonym; no evidence content.
log::TransferRecord transfer_record(const exchange::ExchangeContext& context, const exchange::ExchangeResult& result,
                                    const std::string& pseudonym_secret) {
  log::TransferRecord record;
  record.requester = context.authority;
  record.register_adapter = result.register_adapter;
  record.register_name = result.register_name;
  record.permission_rule = context.permission_rule;
  record.outcome = std::string(exchange::outcome_name(result.outcome));
  if (result.error) record.code = std::string(message::code_name(*result.error));
  if (context.decoded.ok()) {
    const auto& request = context.request();
    record.request_uuid = request.kopf.nachrichten_uuid;
    record.evidence_type = request.nachweistyp;
    record.purpose = request.zweck;
    record.legal_basis = request.rechtsgrundlage;
    if (!request.idnr.empty()) record.pseudonym = log::pseudonym(pseudonym_secret, request.idnr);
  } else {
    record.request_uuid = context.decoded.request_uuid;
  }
  if (result.outcome == exchange::Outcome::delivered) record.answer_digest = message::sha256_base64(result.body);
  record.latency_us = static_cast<std::uint32_t>(std::min<std::int64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - context.received).count(),
      UINT32_MAX));
  return record;
}

}  // namespace

struct Gateway::Impl {
  config::GatewayConfig config;
  std::unique_ptr<net::Server> server;
  adapters::AdapterRegistry adapters;
  std::shared_ptr<const exchange::ExchangePipeline> pipeline;
  // Declared after the server: destroyed first, so its last completions still find the server's
  // executor alive.
  std::unique_ptr<log::TransferLog> transfer_log;
  std::shared_ptr<datacockpit::Cockpit> cockpit;  // reads the log: destroyed before it
  std::shared_ptr<admin::AdminApi> admin;          // likewise
  std::shared_ptr<ExchangeMetrics> metrics = std::make_shared<ExchangeMetrics>();
};


Gateway::Gateway(GatewayOptions options) : impl_(std::make_unique<Impl>()) {
  auto& config = impl_->config;
  config = std::move(options.config);
  prepare_data_dir(config);

  impl_->server = std::make_unique<net::Server>(net::ServerOptions{config.io_threads, config.shutdown_grace});

  adapters::AdapterFactoryRegistry factories;
  adapters::embedded::register_embedded_adapter_types(factories);
  if (options.extra_adapter_types) options.extra_adapter_types(factories);
  const adapters::AdapterContext adapter_context{impl_->server->executor(), config.data_dir.string()};
  for (const auto& a : config.adapters) {
    impl_->adapters.add(factories.create(adapters::AdapterConfig{a.name, a.type, a.register_name, a.settings},
                                         adapter_context));
  }
  std::vector<routing::RouteRule> rules;
  for (const auto& r : config.routes) rules.push_back({r.evidence_type, r.region, r.adapter});
  auto routes = routing::RoutingTable::build(std::move(rules), impl_->adapters);

  auto codec = message::MessageCodec::open(message::CodecOptions{options.schema_path});
  // Keys and certificates are read here, once; requests only use what is loaded.
  auto trust_store = load_trust(config);
  auto permissions = load_permissions(config);
  // The gateway's signing material, read once: it signs answers (XMLDSig) and tree heads, and
  // its certificate is what the cockpit and the admin verification check against.
  const std::string signing_key_pem = read_file(config.trust.signing_key, "gateway signing key");
  const std::string signing_certificate_pem = read_file(config.trust.signing_certificate, "gateway signing certificate");
  auto signing_key = message::XmlSigningKey::load(signing_key_pem, signing_certificate_pem);
  auto head_signer = std::make_shared<trust::DataSigner>(signing_key_pem, signing_certificate_pem);
  log::TransferLogOptions log_options;
  log_options.directory = config.log.directory.string();
  log_options.sync = config.log.sync;
  log_options.sign_head = [head_signer](const std::string& text) { return head_signer->sign(text); };
  log_options.head_every_records = config.log.head_every_records;
  log_options.head_every_ms = config.log.head_every.count();
  log_options.retention_ms = static_cast<std::int64_t>(config.log.retention_days) * 24 * 3600 * 1000;
  impl_->transfer_log = log::TransferLog::Open(log_options);
  const std::string pseudonym_secret = read_pseudonym_secret(config.log.pseudonym_secret);
  exchange::TransferRecorder recorder = [log = impl_->transfer_log.get(), pseudonym_secret, metrics = impl_->metrics](
                                            const exchange::ExchangeContext& context,
                                            const exchange::ExchangeResult& result, std::function<void(bool)> then) {
    auto record = transfer_record(context, result, pseudonym_secret);
    metrics->observe(record.outcome, record.evidence_type, record.latency_us);
    log->append(std::move(record), [then = std::move(then)](bool durable, std::uint64_t) { then(durable); });
  };

  std::vector<std::unique_ptr<exchange::RequestCheck>> checks;
  checks.push_back(std::make_unique<exchange::AuthorityCheck>(trust_store));
  checks.push_back(std::make_unique<exchange::SignatureCheck>(trust_store));
  checks.push_back(std::make_unique<exchange::FreshnessCheck>(config.trust.freshness_window));
  checks.push_back(std::make_unique<exchange::IdnrCheck>());
  checks.push_back(std::make_unique<exchange::PermissionCheck>(permissions));
  impl_->pipeline = std::make_shared<const exchange::ExchangePipeline>(
      exchange::PipelineOptions{message::Authority{config.verzeichnisdienst, config.kennung, config.name},
                                config.adapter_deadline},
      std::move(codec), std::move(routes), std::move(checks),
      [signing_key](std::string_view xml) { return signing_key->sign_own_document(xml); }, std::move(recorder));

  auto router = std::make_shared<net::Router>();
  impl_->pipeline->register_routes(*router);
  if (config.datacockpit.enabled) {
    const auto& c = config.datacockpit;
    datacockpit::CockpitOptions cockpit;
    cockpit.policy = {c.issuer, c.audience, c.required_acr, c.idnr_claim};
    cockpit.jwks_json = read_file(c.jwks, "Datencockpit JWKS");
    cockpit.pseudonym_secret = pseudonym_secret;
    cockpit.session_ttl = std::chrono::duration_cast<std::chrono::seconds>(c.session_ttl);
    cockpit.gateway_certificate_pem = signing_certificate_pem;
    for (const auto& authority : trust_store->authorities()) cockpit.authority_names[authority.kennung] = authority.name;
    if (c.demo_idp) {
      cockpit.demo_idp = std::make_shared<const datacockpit::DemoIdp>(read_file(c.demo_idp_key, "demo IdP key"),
                                                                      c.issuer, c.audience);
      const auto population = config.data_dir / "registers" / "population.tsv";
      if (std::filesystem::exists(population)) {
        const auto people = adapters::population::read_tsv(population);
        for (std::size_t i = 0; i < people.size() && i < 20; ++i) {
          const auto& p = people[i];
          cockpit.demo_people.push_back({p.idnr, p.vornamen + " " + p.familienname + ", geb. " + p.geburtsdatum + ", " + p.wohnort});
        }
      }
    }
    impl_->cockpit = std::make_shared<datacockpit::Cockpit>(std::move(cockpit), *impl_->transfer_log);
    impl_->cockpit->register_routes(*router);
  }
  if (const auto* admin_listener = config.listener("admin")) {
    auto verifier = std::make_shared<trust::DataVerifier>(signing_certificate_pem);
    admin::AdminOptions admin_options;
    admin_options.keys = admin::load_api_keys(config.admin.keys_file);
    admin_options.audit_file = config.admin.audit_file;
    admin_options.backup_dir = config.data_dir / "backups";
    admin_options.metrics = [metrics = impl_->metrics, log = impl_->transfer_log.get(), server = impl_->server.get()] {
      return metrics->render(log->size(), server->open_connections());
    };
    admin_options.verify_head = [verifier](const std::string& text, const std::string& sig) { return verifier->verify(text, sig); };
    impl_->admin = std::make_shared<admin::AdminApi>(std::move(admin_options), *impl_->transfer_log);
    auto admin_router = std::make_shared<net::Router>();
    impl_->admin->register_routes(*admin_router);
    impl_->server->add_listener(listener_options(*admin_listener), admin_router, [](net::HttpFailure failure) {
      const unsigned status = failure == net::HttpFailure::not_found              ? 404
                              : failure == net::HttpFailure::method_not_allowed   ? 405
                              : failure == net::HttpFailure::body_too_large ||
                                        failure == net::HttpFailure::header_too_large ? 413
                              : failure == net::HttpFailure::internal_error       ? 500
                              : failure == net::HttpFailure::shutting_down        ? 503
                                                                                   : 400;
      return net::HttpResponse{status, "application/json", "{\"error\":\"request refused\",\"status\":" + std::to_string(status) + "}\n", {}};
    });
  }
  const auto* evidence = config.listener("evidence");
  impl_->server->add_listener(listener_options(*evidence), router,
                              [pipeline = impl_->pipeline](net::HttpFailure failure) {
                                return pipeline->render_failure(failure);
                              });
}

Gateway::~Gateway() { shutdown(); }

void Gateway::start() {
  impl_->server->start();
  std::string ports = "{\"evidence\": " + std::to_string(port("evidence"));
  if (impl_->config.listener("admin") != nullptr) ports += ", \"admin\": " + std::to_string(port("admin"));
  ports += "}\n";
  trust::write_file_atomically(impl_->config.data_dir / "ports.json", ports, false);
}

void Gateway::run_until_signal() {
  start();
  impl_->server->run_until_signal();
}

void Gateway::shutdown() {
  if (impl_ && impl_->server) impl_->server->shutdown();
}

std::uint16_t Gateway::port(const std::string& listener) const { return impl_->server->port(listener); }

const std::filesystem::path& Gateway::data_dir() const noexcept { return impl_->config.data_dir; }

std::size_t Gateway::open_connections() const noexcept { return impl_->server->open_connections(); }

log::TransferLog& Gateway::transfer_log() const noexcept { return *impl_->transfer_log; }

}  // namespace oncegate::app
