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

#include <boost/json.hpp>

#include "adapters/embedded/embedded_register.hpp"
#include "adapters/remote/remote_register.hpp"
#include "adapters/sample_register/sample_register_server.hpp"
#include "adapters/population/population.hpp"
#include "datacockpit/cockpit.hpp"
#include "gateway/admin/admin_api.hpp"
#include "gateway/app/metrics.hpp"
#include "gateway/runtime/runtime_control.hpp"
#include "gateway/oplog/oplog.hpp"
#include "datacockpit/demo_idp.hpp"
#include "gateway/exchange/checks.hpp"
#include "gateway/log/transfer_log.hpp"
#include "gateway/exchange/pipeline.hpp"
#include "gateway/message/codec.hpp"
#include "gateway/message/signature.hpp"
#include "gateway/net/server.hpp"
#include "gateway/routing/idnr.hpp"
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
    common::write_file_atomically(config.log.pseudonym_secret, crypto::random_hex(32) + "\n", true);
  }
  const auto population = config.data_dir / "registers" / "population.tsv";
  if (adapters::population::ensure_population_file(population, config.demo.seed, config.demo.population)) {
    oplog::write(oplog::Level::info, "sample_population_generated",
                 {{"people", static_cast<std::uint64_t>(config.demo.population)}, {"file", population.string()}});
  }
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
    // Filed under the person only with a valid IDNr: nobody can sign in with an invalid one.
    if (routing::check_idnr(request.idnr) == routing::IdnrError::ok) {
      record.pseudonym = log::pseudonym(pseudonym_secret, request.idnr);
    }
  } else {
    record.request_uuid = context.decoded.request_uuid;
  }
  if (result.outcome == exchange::Outcome::delivered) record.answer_digest = crypto::sha256_base64(result.body);
  record.latency_us = static_cast<std::uint32_t>(std::min<std::int64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - context.received).count(),
      UINT32_MAX));
  return record;
}

// What the operation log and the metrics need of one exchange once its record is durable.
struct ExchangeNote {
  std::string correlation_id;
  std::string request_uuid;
  std::string authority;
  std::string evidence_type;
  std::string outcome;
  std::string code;
  std::string adapter;
  std::string pseudonym;
  std::uint32_t latency_us = 0;  // receipt until the record was handed to the log
  std::array<std::uint32_t, kStageCount> stage_us{};
};

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
  std::unique_ptr<net::Server> server;
  // The demo's remote register, served from inside the gateway ([demo] sample_register).
  std::unique_ptr<adapters::sample_register::SampleRegisterServer> sample_register;
  // Destroyed after the log (declared before it): closing the log signs a last tree head.
  std::shared_ptr<runtime::RuntimeControl> runtime;
  // Declared after the server: destroyed first, so its last completions still find the server's
  // executor alive.
  std::unique_ptr<log::TransferLog> transfer_log;
  std::shared_ptr<datacockpit::Cockpit> cockpit;  // reads the log: destroyed before it
  std::shared_ptr<admin::AdminApi> admin;          // likewise
  std::shared_ptr<ExchangeMetrics> metrics = std::make_shared<ExchangeMetrics>();
  std::vector<std::pair<std::string, std::time_t>> listener_certificates;  // name -> not_after

  [[nodiscard]] MetricsGauges gauges() const {
    MetricsGauges g;
    g.log_size = transfer_log->size();
    g.log_queue_depth = transfer_log->queue_depth();
    g.open_connections = server->open_connections();
    g.adapters = runtime->adapter_statuses();
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

  impl_->server = std::make_unique<net::Server>(net::ServerOptions{config.io_threads, config.shutdown_grace});
  Impl* const impl = impl_.get();

  // The demo's remote register. An adapter url naming its configured port names it; with port 0
  // the port it got is put in (also into reloaded configurations).
  std::function<void(config::GatewayConfig&)> point_to_sample_register = [](config::GatewayConfig&) {};
  if (config.demo.sample_register) {
    adapters::sample_register::SampleRegisterServer::Options o;
    o.kind = adapters::sample_register::parse_document_kind(config.demo.sample_register_kind);
    o.population = config.data_dir / "registers" / "population.tsv";
    o.region = config.demo.sample_register_region;
    o.port = config.demo.sample_register_port;
    o.certificate = (config.data_dir / "demo" / "server.pem").string();
    o.private_key = (config.data_dir / "demo" / "server.key").string();
    o.io_threads = 1;
    try {
      impl_->sample_register = std::make_unique<adapters::sample_register::SampleRegisterServer>(o);
    } catch (const std::exception& failure) {
      // The server's own advice names a listener setting; for the demo register it is this one.
      std::string reason = failure.what();
      if (const auto advice = reason.find(" ("); advice != std::string::npos) reason.resize(advice);
      throw std::runtime_error("the demo's sample register server: " + reason +
                               " (stop what uses the port, or set demo.sample_register_port in a configuration "
                               "file, 0 for any free port, and start with --config)");
    }
    impl_->sample_register->start();
    point_to_sample_register = [configured = "https://127.0.0.1:" + std::to_string(config.demo.sample_register_port),
                                actual = "https://127.0.0.1:" + std::to_string(impl_->sample_register->port())](
                                   config::GatewayConfig& c) {
      for (auto& a : c.adapters) {
        if (auto url = a.settings.find("url"); url != a.settings.end() && url->second == configured) url->second = actual;
      }
    };
    point_to_sample_register(config);
    oplog::write(oplog::Level::info, "sample_register_started",
                 {{"kind", config.demo.sample_register_kind}, {"region", config.demo.sample_register_region},
                  {"port", static_cast<int>(impl_->sample_register->port())}});
  }

  const std::string pseudonym_secret = read_pseudonym_secret(config.log.pseudonym_secret);
  // Records every exchange durably, then counts it and writes its operation-log line (pseudonym
  // only). Requests arrive only after start(), when the log exists.
  exchange::TransferRecorder recorder = [impl, pseudonym_secret, metrics = impl_->metrics](const exchange::ExchangeContext& context,
                                                                  const exchange::ExchangeResult& result,
                                                                  std::function<void(bool)> then) {
    auto record = transfer_record(context, result, pseudonym_secret);
    ExchangeNote note{context.correlation_id, record.request_uuid, record.requester, record.evidence_type,
                      record.outcome, record.code, record.register_adapter, record.pseudonym,
                      record.latency_us, context.stage_us};
    const auto log_start = std::chrono::steady_clock::now();
    // The completion may run while the gateway is being torn down (the log drains its queue on
    // close): it holds what it uses.
    impl->transfer_log->append(std::move(record), [metrics, then = std::move(then), note = std::move(note), log_start](
                                                      bool durable, std::uint64_t sequence) mutable {
      const auto log_us = static_cast<std::uint32_t>(std::clamp<std::int64_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - log_start).count(), 1,
          UINT32_MAX));
      note.stage_us[static_cast<std::size_t>(exchange::Stage::log)] = log_us;
      const std::uint32_t total_us = note.latency_us + log_us;
      metrics->observe(note.outcome, note.evidence_type, total_us, note.stage_us);
      oplog::write(durable ? oplog::Level::info : oplog::Level::error, "exchange",
                   {{"correlation_id", note.correlation_id}, {"request_uuid", note.request_uuid},
                    {"authority", note.authority}, {"evidence_type", note.evidence_type}, {"outcome", note.outcome},
                    {"code", note.code}, {"adapter", note.adapter}, {"pseudonym", note.pseudonym},
                    {"latency_ms", total_us / 1000.0}, {"durable", durable},
                    {"log_sequence", durable ? static_cast<std::int64_t>(sequence) : std::int64_t{-1}}});
      then(durable);
    });
  };

  runtime::RuntimeParts parts;
  // A refusal before the message was found authentic is no transfer (IDNrG § 9 logs transfers of
  // identified parties): operators see it here, with the TLS identity and the peer, never a value
  // the sender chose.
  parts.on_refused = [metrics = impl_->metrics](const net::ConnectionInfo& connection, const exchange::ExchangeContext* context,
                                                message::ErrorCode code, std::string_view correlation_id) {
    const std::string code_text(message::code_name(code));
    metrics->refused_before_trust(code_text);
    oplog::write(oplog::Level::warn, "refused_before_trust",
                 {{"correlation_id", std::string(correlation_id)}, {"code", code_text},
                  {"peer", connection.peer_address}, {"listener", connection.listener},
                  {"tls_certificate_sha256", connection.peer_certificate_fingerprint},
                  {"authority", context != nullptr ? context->authority : std::string()},
                  {"stage", context != nullptr ? "message" : "header"}});
  };
  parts.codec = message::MessageCodec::open(message::CodecOptions{options.schema_path});
  parts.gateway_identity = message::Authority{config.verzeichnisdienst, config.kennung, config.name};
  parts.adapter_deadline = config.adapter_deadline;
  parts.freshness_window = config.trust.freshness_window;
  parts.replay = exchange::FreshnessCheck::make_replay_guard(config.trust.freshness_window);
  parts.recorder = std::move(recorder);
  adapters::embedded::register_embedded_adapter_types(parts.factories);
  adapters::remote::register_remote_adapter_type(parts.factories);
  if (options.extra_adapter_types) options.extra_adapter_types(parts.factories);
  parts.adapter_context = adapters::AdapterContext{impl_->server->executor(), config.data_dir.string()};
  parts.data_dir = config.data_dir;
  if (options.reload_config) {
    parts.reload_config = [reload = std::move(options.reload_config), point_to_sample_register] {
      auto fresh = reload();
      point_to_sample_register(fresh);
      return fresh;
    };
  }
  // Tree heads from now on carry the new key's signature, and the page verifies the latest head.
  parts.on_signing_key_change = [impl] {
    if (impl->transfer_log) impl->transfer_log->request_head([](const log::TreeHead&) {});
  };
  // Keys and certificates are read here, once; requests only use what is loaded.
  impl_->runtime = std::make_shared<runtime::RuntimeControl>(std::move(parts), config);
  const auto runtime = impl_->runtime;

  log::TransferLogOptions log_options;
  log_options.directory = config.log.directory.string();
  log_options.sync = config.log.sync;
  log_options.sign_head = [impl](const std::string& text) { return impl->runtime->signing()->head_signer->sign(text); };
  log_options.head_every_records = config.log.head_every_records;
  log_options.head_every_ms = config.log.head_every.count();
  log_options.retention_ms = static_cast<std::int64_t>(config.log.retention_days) * 24 * 3600 * 1000;
  impl_->transfer_log = log::TransferLog::Open(log_options);

  auto router = std::make_shared<net::Router>();
  exchange::PipelineSwitch::register_routes(runtime->pipeline_switch(), *router);
  register_certificate_route(*router, runtime);
  if (config.datacockpit.enabled) {
    const auto& c = config.datacockpit;
    datacockpit::CockpitOptions cockpit;
    cockpit.policy = {c.issuer, c.audience, c.required_acr, c.idnr_claim};
    cockpit.jwks_json = read_file(c.jwks, "Datencockpit JWKS");
    cockpit.pseudonym_secret = pseudonym_secret;
    cockpit.session_ttl = std::chrono::duration_cast<std::chrono::seconds>(c.session_ttl);
    cockpit.current_gateway_certificate = [runtime] { return runtime->signing()->certificate_pem; };
    cockpit.authority_name = [runtime](const std::string& kennung) {
      const auto* authority = runtime->trust()->by_kennung(kennung);
      return authority != nullptr ? authority->name : std::string();
    };
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
    auto cockpit_router = std::make_shared<net::Router>();
    impl_->cockpit->register_routes(*cockpit_router);
    // Public material for citizens and auditors who check a proof against the published key.
    register_certificate_route(*cockpit_router, runtime);
    // Citizens on a listener of their own: they never share connection slots, limits or the
    // TLS policy with authorities.
    impl_->server->add_listener(listener_options(*config.listener("cockpit")), cockpit_router, json_failure);
  }
  for (const auto& l : config.listeners) impl_->listener_certificates.emplace_back(l.name, certificate_not_after(l.certificate));
  if (const auto* admin_listener = config.listener("admin")) {
    admin::AdminOptions admin_options;
    admin_options.keys = admin::load_api_keys(config.admin.keys_file);
    admin_options.operators = load_operators(config);
    admin_options.audit_file = config.admin.audit_file;
    admin_options.backup_dir = config.data_dir / "backups";
    admin_options.management = runtime;
    admin_options.metrics = [impl] { return impl->metrics->render(impl->gauges()); };
    // A tree head may be signed by any key the gateway has used (rotation keeps the old ones).
    admin_options.verify_head = [runtime](const std::string& text, const std::string& signature) {
      return runtime->verify_with_published(text, signature);
    };
    impl_->admin = std::make_shared<admin::AdminApi>(std::move(admin_options), *impl_->transfer_log);
    auto admin_router = std::make_shared<net::Router>();
    impl_->admin->register_routes(*admin_router);
    impl_->server->add_listener(listener_options(*admin_listener), admin_router, json_failure);
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
  std::string ports = "{\"evidence\": " + std::to_string(port("evidence"));
  if (impl_->config.listener("admin") != nullptr) ports += ", \"admin\": " + std::to_string(port("admin"));
  if (impl_->config.datacockpit.enabled) ports += ", \"cockpit\": " + std::to_string(port("cockpit"));
  ports += "}\n";
  common::write_file_atomically(impl_->config.data_dir / "ports.json", ports, false);
}

void Gateway::run_until_signal() {
  start();
  impl_->server->run_until_signal();
}

void Gateway::shutdown() {
  if (impl_ && impl_->server) impl_->server->shutdown();
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
