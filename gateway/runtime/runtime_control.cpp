#include "gateway/runtime/runtime_control.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <ctime>
#include <future>
#include <mutex>
#include <thread>

#include <boost/json.hpp>

#include "gateway/common/files.hpp"
#include "gateway/common/time.hpp"
#include "gateway/oplog/oplog.hpp"
#include "gateway/routing/routing_table.hpp"
#include "gateway/runtime/disabled_adapter.hpp"
#include "gateway/runtime/section.hpp"
#include "gateway/trust/permission_matrix.hpp"

#include "gateway/runtime/catalogue.hpp"
#include "gateway/runtime/shared_document.hpp"

namespace oncegate::runtime {

namespace json = boost::json;
using common::read_file;

std::vector<std::pair<std::string, adapters::AdapterStatus>> adapter_statuses(const Runtime& runtime) {
  const Runtime* const r = &runtime;
  std::vector<std::pair<std::string, adapters::AdapterStatus>> out;
  for (const auto& a : r->config.adapters) {
    const auto it = r->instances.find(a.name);
    if (it == r->instances.end()) continue;
    auto status = it->second->status();
    if (!a.enabled) {
      status.breaker = "disabled";
      status.reachable = false;
    }
    out.emplace_back(a.name, std::move(status));
  }
  return out;
}

std::vector<DegradedRoute> degraded_routes(const Runtime& runtime,
                                           const std::vector<std::pair<std::string, adapters::AdapterStatus>>& statuses) {
  std::vector<DegradedRoute> out;
  for (const auto& route : runtime.config.routes) {
    const auto it = std::find_if(statuses.begin(), statuses.end(), [&](const auto& s) { return s.first == route.adapter; });
    if (it == statuses.end()) continue;
    const auto& status = it->second;
    if (status.reachable && status.breaker != "open" && status.breaker != "half_open") continue;
    const std::string reason = status.breaker == "disabled" ? "the adapter is disabled"
                               : status.breaker == "open" || status.breaker == "half_open"
                                   ? "circuit breaker " + status.breaker + (status.last_error.empty() ? "" : ": " + status.last_error)
                                   : status.last_error.empty() ? "unreachable" : status.last_error;
    out.push_back({route.evidence_type, route.region, route.adapter, reason});
  }
  return out;
}

struct RuntimeControl::Impl {
  RuntimeParts parts;
  std::filesystem::path managed_file;
  std::mutex change_mutex;  // one change at a time
  config::GatewayConfig base;  // as read from the configuration file
  json::object overlay;        // as persisted in managed.json

  mutable std::mutex state_mutex;  // guards `current` (the pointer, not the runtime)
  std::shared_ptr<const Runtime> current;
  std::shared_ptr<exchange::PipelineSwitch> pipeline_switch;

  // A cluster node: the shared configuration's version in force here, one that failed to build
  // here (and why), and the thread that follows the store.
  std::atomic<std::uint64_t> running_version{0};
  std::atomic<std::uint64_t> failed_version{0};
  std::atomic<bool> synced{false};
  mutable std::mutex failure_mutex;
  std::string failed_reason;
  std::string peer_address;  // host:port of this node's peer listener, in its report (the node directory)
  std::thread follower;
  std::mutex follower_mutex;
  std::condition_variable follower_wake;
  bool follower_stop = false;

  // Waits for one answer of the shared store (on this thread: the admin job thread or the
  // follower, never an I/O thread); nullopt when unreachable or slower than `limit`.
  template <typename T, typename Call>
  static std::optional<T> ask_store(Call call, std::chrono::milliseconds limit = std::chrono::milliseconds(2000)) {
    auto promise = std::make_shared<std::promise<std::optional<T>>>();
    auto future = promise->get_future();
    call([promise](std::optional<T> value) { promise->set_value(std::move(value)); });
    if (future.wait_for(limit) != std::future_status::ready) return std::nullopt;
    return future.get();
  }

  // Polls the stored version five times a second and applies a newer one through commit(), the
  // same build-then-swap path as a local change; reports this node's state once a second.
  void follow_shared_configuration() {
    auto& store = *parts.shared_config;
    auto last_report = std::chrono::steady_clock::time_point{};
    while (true) {
      {
        std::unique_lock lock(follower_mutex);
        if (follower_wake.wait_for(lock, std::chrono::milliseconds(200), [this] { return follower_stop; })) return;
      }
      const auto stored = ask_store<std::uint64_t>([&](auto then) { store.version(std::move(then)); }, std::chrono::milliseconds(1000));
      if (stored && *stored > running_version.load() && *stored != failed_version.load()) apply_stored();
      if (stored && (*stored == running_version.load() || *stored == 0)) synced.store(true);
      if (stored && std::chrono::steady_clock::now() - last_report > std::chrono::seconds(1)) {
        last_report = std::chrono::steady_clock::now();
        report();
      }
    }
  }

  // This node's entry in the store's node directory: the version it runs, one it failed to
  // build, and where the other nodes reach its peer listener.
  void report() {
    std::lock_guard failure(failure_mutex);
    if (parts.announces_peer && peer_address.empty()) return;
    json::object entry{{"config_version", running_version.load()},
                       {"failed_version", failed_version.load()},
                       {"failed_reason", failed_reason},
                       {"time_ms", common::now_ms()}};
    if (!peer_address.empty()) entry["peer"] = peer_address;
    parts.shared_config->report(parts.node, json::serialize(entry));
  }

  void apply_stored() {
    const auto document = ask_store<store::StoredDocument>([&](auto then) { parts.shared_config->fetch(std::move(then)); });
    if (!document || document->version <= running_version.load()) return;
    std::lock_guard lock(change_mutex);
    try {
      auto stored_overlay = overlay_from_shared_document(document->document, parts.data_dir);
      commit(std::move(stored_overlay), "shared configuration version " + std::to_string(document->version), nullptr, false);
      running_version.store(document->version);
      failed_version.store(0);
      {
        std::lock_guard failure_lock(failure_mutex);
        failed_reason.clear();
      }
      synced.store(true);
    } catch (const std::exception& failure) {
      // This node keeps what it runs; the admin API and the metrics say which version failed.
      failed_version.store(document->version);
      {
        std::lock_guard failure_lock(failure_mutex);
        failed_reason = failure.what();
      }
      synced.store(true);
      oplog::write(oplog::Level::error, "shared_configuration_failed",
                   {{"version", document->version}, {"reason", std::string(failure.what()).substr(0, 300)}});
    }
  }

  void stop_following() {
    {
      std::lock_guard lock(follower_mutex);
      follower_stop = true;
    }
    follower_wake.notify_all();
    if (follower.joinable() && follower.get_id() != std::this_thread::get_id()) follower.join();
  }

  std::shared_ptr<const Runtime> snapshot() const {
    std::lock_guard lock(state_mutex);
    return current;
  }

  // The configuration file with every section's overlay entries laid over it.
  config::GatewayConfig effective(const config::GatewayConfig& from, const json::object& o) const {
    config::GatewayConfig cfg = from;
    for (const auto& section : managed_sections()) section->apply(o, cfg, parts);
    // The replay guard remembers UUIDs for the window the gateway started with; a longer window
    // would let it forget too early, so the window changes only with a restart.
    cfg.trust.freshness_window = parts.freshness_window;
    return cfg;
  }

  std::shared_ptr<Runtime> build(const config::GatewayConfig& from, const json::object& o,
                                 const Runtime* previous) const {
    auto next = std::make_shared<Runtime>();
    next->config = effective(from, o);
    const auto& cfg = next->config;

    adapters::AdapterRegistry registry;
    for (const auto& a : cfg.adapters) {
      std::shared_ptr<adapters::RegisterAdapter> instance;
      if (previous != nullptr) {
        const auto old = std::find_if(previous->config.adapters.begin(), previous->config.adapters.end(),
                                      [&](const auto& p) { return p.name == a.name; });
        const auto it = previous->instances.find(a.name);
        if (old != previous->config.adapters.end() && it != previous->instances.end() && old->type == a.type &&
            old->register_name == a.register_name && old->settings == a.settings) {
          instance = it->second;  // unchanged: keeps its connections and breaker
        }
      }
      if (!instance) {
        instance = parts.factories.create(adapters::AdapterConfig{a.name, a.type, a.register_name, a.settings},
                                          parts.adapter_context);
      }
      next->instances[a.name] = instance;
      if (a.enabled) {
        registry.add(instance);
      } else {
        registry.add(std::make_shared<DisabledAdapter>(instance, parts.adapter_context.executor));
      }
    }
    std::vector<routing::RouteRule> rules;
    for (const auto& r : cfg.routes) rules.push_back({r.evidence_type, r.region, r.adapter});
    auto routes = routing::RoutingTable::build(std::move(rules), registry);

    std::vector<trust::AuthorityInput> authority_inputs;
    for (const auto& a : cfg.authorities) {
      trust::AuthorityInput input{a.kennung, a.name, {}};
      for (const auto& file : a.certificates) input.certificate_pems.push_back(read_file(file, "authority certificate"));
      authority_inputs.push_back(std::move(input));
    }
    std::vector<trust::EuRequester> eu_requesters;
    for (const auto& q : cfg.oots.requesters) eu_requesters.push_back({q.agent, q.name, q.country, q.parties});
    next->trust = trust::TrustStore::build(read_file(cfg.trust.ca, "trust CA bundle"), authority_inputs, eu_requesters);

    std::vector<trust::PermissionRule> permission_rules;
    for (const auto& p : cfg.permissions) {
      permission_rules.push_back(
          {p.id, p.authorities, p.evidence_types, p.purposes, p.legal_bases, p.consent_required, p.preview_required,
           p.citizen_visible ? static_cast<std::int64_t>(p.citizen_visible_after_days) : -1, p.withholding_basis});
    }
    std::vector<trust::AuthorityGroup> groups;
    for (const auto& g : cfg.authority_groups) groups.push_back({g.name, g.members});
    auto permissions = trust::PermissionMatrix::build(std::move(permission_rules), groups);

    if (previous != nullptr && previous->signing->key_file == cfg.trust.signing_key &&
        previous->signing->certificate_file == cfg.trust.signing_certificate) {
      next->signing = previous->signing;  // keys are read once, not per change
    } else {
      next->signing = load_signing(cfg.trust.signing_key, cfg.trust.signing_certificate);
    }
    // Published: the key in force, the ones rotated out before, and, when this change replaces
    // the key (by rotation or by an edited configuration file), everything published so far.
    const auto publish = [&](const std::string& pem) {
      if (std::find(next->published.begin(), next->published.end(), pem) == next->published.end()) {
        next->published.push_back(pem);
      }
    };
    publish(next->signing->certificate_pem);
    if (previous != nullptr) {
      for (const auto& pem : previous->published) publish(pem);  // newest first
    }
    if (const auto* retired = o.if_contains("retired_signing_certificates"); retired != nullptr && retired->is_array()) {
      for (const auto& pem : retired->as_array()) {
        if (pem.is_string()) publish(std::string(pem.as_string()));
      }
    }

    for (const auto& pem : next->published) {
      next->published_verifiers.push_back(std::make_shared<const crypto::DataVerifier>(pem));
    }

    std::vector<std::unique_ptr<exchange::RequestCheck>> checks;
    checks.push_back(std::make_unique<exchange::AuthorityCheck>(next->trust));
    checks.push_back(std::make_unique<exchange::SignatureCheck>(next->trust));
    checks.push_back(std::make_unique<exchange::RecipientCheck>(parts.gateway_identity));
    checks.push_back(std::make_unique<exchange::FreshnessCheck>(parts.freshness_window, parts.replay));
    checks.push_back(std::make_unique<exchange::IdnrCheck>());
    checks.push_back(std::make_unique<exchange::EvidenceTypeRoutedCheck>(routes));
    checks.push_back(std::make_unique<exchange::PermissionCheck>(permissions));
    exchange::PipelineOptions pipeline_options;
    pipeline_options.gateway = parts.gateway_identity;
    pipeline_options.adapter_deadline = parts.adapter_deadline;
    pipeline_options.on_refused = parts.on_refused;
    pipeline_options.locator = parts.locator;
    pipeline_options.location_cache = parts.location_cache;
    pipeline_options.log_deadline = parts.log_deadline;
    pipeline_options.shared_replay = parts.shared_replay;
    pipeline_options.replay_local_when_unavailable = parts.replay_local_when_unavailable;
    pipeline_options.party = [trust = next->trust](std::string_view fingerprint) -> std::optional<std::string> {
      const trust::Authority* authority = trust->by_certificate(fingerprint);
      if (authority == nullptr) return std::nullopt;
      return authority->kennung;
    };
    next->pipeline = std::make_shared<const exchange::ExchangePipeline>(
        pipeline_options,
        exchange::national_family(
            parts.codec, [key = next->signing->xml_key](std::string_view xml) { return key->sign_own_document(xml); },
            parts.gateway_identity),
        routes, std::move(checks), parts.recorder);
    if (cfg.oots.enabled) next->oots_pipeline = build_oots(cfg, *next, permissions, routes, pipeline_options);
    if (cfg.dsc.enabled) build_dsc(cfg, *next, pipeline_options);
    return next;
  }

  // The Datenschutzcockpit's pipeline: the same trust and freshness checks, its own party check
  // instead of the permission matrix, and the transfer log as its only register.
  void build_dsc(const config::GatewayConfig& cfg, Runtime& next, exchange::PipelineOptions pipeline_options) const {
    if (!parts.dsc_codec || !parts.protocol_data) throw ChangeError(400, "the DSC interface is enabled but the gateway was started without it");
    for (const auto& party : cfg.dsc.parties) {
      if (next.trust->by_kennung(party) == nullptr) {
        throw ChangeError(400, "dsc.parties names " + party + ", which is no registered authority ([[authorities]])");
      }
    }
    next.dsc_registry = std::make_shared<adapters::AdapterRegistry>();
    next.dsc_registry->add(parts.protocol_data);
    auto routes = routing::RoutingTable::build({{"protokolldaten", "", parts.protocol_data->name()}}, *next.dsc_registry);
    std::vector<std::unique_ptr<exchange::RequestCheck>> checks;
    checks.push_back(std::make_unique<exchange::AuthorityCheck>(next.trust));
    checks.push_back(std::make_unique<exchange::SignatureCheck>(next.trust));
    checks.push_back(std::make_unique<exchange::FreshnessCheck>(parts.freshness_window, parts.replay));
    checks.push_back(std::make_unique<exchange::IdnrCheck>());
    checks.push_back(std::make_unique<exchange::DscPartyCheck>(cfg.dsc.parties));
    exchange::DscFamilyOptions options;
    options.across_nodes = parts.announces_peer;
    options.purpose = cfg.dsc.purpose;
    options.legal_basis = cfg.dsc.legal_basis;
    options.requester_name = [trust = next.trust](const std::string& kennung) {
      if (const auto* authority = trust->by_kennung(kennung)) return authority->name;
      if (const auto* requester = trust->by_agent(kennung)) return requester->display_name();
      return std::string();
    };
    auto family = exchange::dsc_family(
        parts.dsc_codec, parts.codec, [key = next.signing->xml_key](std::string_view xml) { return key->sign(xml); },
        parts.gateway_identity, std::move(options));
    next.dsc_pipeline = std::make_shared<const exchange::ExchangePipeline>(std::move(pipeline_options), std::move(family),
                                                                           std::move(routes), std::move(checks), parts.recorder);
  }

  // The EU family's pipeline: same trust, permissions, routes and registers as the national one.
  std::shared_ptr<const exchange::ExchangePipeline> build_oots(const config::GatewayConfig& cfg, const Runtime& next,
                                                               std::shared_ptr<const trust::PermissionMatrix> permissions,
                                                               std::shared_ptr<const routing::RoutingTable> routes,
                                                               exchange::PipelineOptions pipeline_options) const {
    if (!parts.edm_codec) throw ChangeError(400, "OOTS is enabled but the gateway was started without the EDM codec");
    if (!next.signing->jws_key) {
      throw ChangeError(400, "OOTS answers are signed as ES256 JWS: the signing key must be an EC P-256 key");
    }
    auto options = std::make_shared<exchange::OotsOptions>();
    options->provider = {cfg.oots.provider_scheme, cfg.oots.provider_id, cfg.oots.provider_name,
                         cfg.oots.provider_country, "EP"};
    options->legal_basis = cfg.oots.legal_basis;
    std::vector<exchange::OotsEvidenceType> mappings;
    for (const auto& e : cfg.oots.evidence_types) {
      mappings.push_back({e.id, e.classification, e.requirement, e.subject == "legal", e.evidence_type, e.title});
    }
    config::check_oots_evidence_types(cfg.oots.evidence_types);
    options->evidence_types = exchange::OotsEvidenceTypes(std::move(mappings));
    options->jws = [signing = next.signing](std::string_view payload) {
      return crypto::detached_jws(*signing->jws_key, signing->x5t_s256, payload);
    };
    std::vector<std::unique_ptr<exchange::RequestCheck>> checks;
    checks.push_back(std::make_unique<exchange::AgentCheck>(next.trust));
    checks.push_back(std::make_unique<exchange::FreshnessCheck>(parts.freshness_window, parts.replay));
    checks.push_back(std::make_unique<exchange::EvidenceTypeCheck>(options));
    checks.push_back(std::make_unique<exchange::PermissionCheck>(std::move(permissions)));
    checks.push_back(std::make_unique<exchange::PreviewCheck>());
    checks.push_back(std::make_unique<exchange::IdentityCheck>(parts.identity));
    pipeline_options.accepted_media_types = exchange::oots_media_types();
    return std::make_shared<const exchange::ExchangePipeline>(std::move(pipeline_options),
                                                              exchange::oots_family(parts.edm_codec, options),
                                                              std::move(routes), std::move(checks), parts.recorder);
  }

  // Builds with the candidate overlay, persists it, swaps. Called with change_mutex held. In a
  // cluster a change (publish) is stored in the shared store first, as the version after the one
  // this node runs: refused there, nothing is stored or applied anywhere.
  void commit(json::object candidate, std::string_view what, config::GatewayConfig* new_base = nullptr,
              bool publish = true) {
    const auto previous = snapshot();
    std::shared_ptr<Runtime> next;
    try {
      next = build(new_base != nullptr ? *new_base : base, candidate, previous.get());
    } catch (const ChangeError&) {
      throw;
    } catch (const std::exception& failure) {
      throw ChangeError(400, failure.what());
    }
    // Certificates rotated out stay published, also across restarts.
    if (next->published.size() > 1) {
      json::array retired;
      for (std::size_t i = 1; i < next->published.size(); ++i) retired.emplace_back(next->published[i]);
      candidate["retired_signing_certificates"] = std::move(retired);
    }
    if (parts.shared_config && publish) {
      const auto expected = running_version.load();
      const auto stored = ask_store<std::uint64_t>([&](auto then) {
        parts.shared_config->publish(expected, shared_document(candidate, parts.data_dir, parts.node), std::move(then));
      });
      if (!stored) {
        throw ChangeError(503, "the cluster's shared configuration store cannot be reached: nothing was changed");
      }
      if (*stored == 0) {
        throw ChangeError(409, "another node stored a change first (this node runs version " + std::to_string(expected) +
                                   "): nothing was changed; send the change again once GET /admin/v1/cluster shows the "
                                   "newer version here");
      }
      running_version.store(*stored);
    }
    common::write_file_atomically(managed_file, json::serialize(candidate) + "\n", false);
    next->overlay = candidate;
    overlay = std::move(candidate);
    if (new_base != nullptr) base = std::move(*new_base);
    {
      std::lock_guard lock(state_mutex);
      current = next;
    }
    pipeline_switch->replace(exchange::Pipelines{next->pipeline, next->oots_pipeline, next->dsc_pipeline});
    // Applied from here on: nothing below may turn the answer into a failure.
    try {
      announce(*next, what);
    } catch (const std::exception&) {
    }
  }

  void announce(const Runtime& next, std::string_view what) const {
    oplog::write(oplog::Level::info, "configuration_applied",
                 {{"change", what}, {"adapters", static_cast<std::uint64_t>(next.config.adapters.size())},
                  {"routes", static_cast<std::uint64_t>(next.config.routes.size())},
                  {"authorities", static_cast<std::uint64_t>(next.config.authorities.size())},
                  {"permissions", static_cast<std::uint64_t>(next.config.permissions.size())},
                  {"signing_key", next.signing->fingerprint.substr(0, 16)}});
  }

  // Authority certificates arrive as PEM text; they are kept as files next to the overlay.
  std::filesystem::path store_certificate(const std::string& pem) {
    const auto described = trust::describe_certificate(pem);
    const auto directory = parts.data_dir / "managed" / "certificates";
    std::filesystem::create_directories(directory);
    const auto file = directory / (described.fingerprint + ".pem");
    if (!std::filesystem::exists(file)) common::write_file_atomically(file, pem, false);
    return file;
  }

  // A change on a section, under the change mutex, with ChangeError turned into its answer.
  template <typename Change>
  ManagementResult change(std::string_view section_name, Change&& run, const char* failed = "saved") {
    const ManagedSection* section = find_section(section_name);
    if (section == nullptr) return error(404, "unknown section");
    std::lock_guard lock(change_mutex);
    try {
      ChangeEnv env{overlay, snapshot(), base, parts,
                    [this](json::object candidate, std::string_view what) { commit(std::move(candidate), what); },
                    [this] { return snapshot(); },
                    [this](const std::string& pem) { return store_certificate(pem); }};
      return run(*section, env);
    } catch (const ChangeError& failure) {
      return error(failure.status, failure.what());
    } catch (const std::exception& failure) {
      return error(500, std::string("the change could not be ") + failed + ": " + failure.what());
    }
  }
};

RuntimeControl::RuntimeControl(RuntimeParts parts, config::GatewayConfig base) : impl_(std::make_unique<Impl>()) {
  impl_->parts = std::move(parts);
  impl_->base = std::move(base);
  impl_->managed_file = impl_->parts.data_dir / "managed.json";
  if (std::filesystem::exists(impl_->managed_file)) {
    boost::system::error_code ec;
    auto parsed = json::parse(read_file(impl_->managed_file, "admin changes"), ec);
    if (ec || !parsed.is_object()) {
      throw std::runtime_error("'" + impl_->managed_file.string() +
                               "' (the admin changes) is not a JSON object; restore it from a backup or remove it "
                               "to start from the configuration file alone");
    }
    impl_->overlay = std::move(parsed.as_object());
  }
  auto first = impl_->build(impl_->base, impl_->overlay, nullptr);
  first->overlay = impl_->overlay;
  impl_->current = std::move(first);
  impl_->pipeline_switch = std::make_shared<exchange::PipelineSwitch>(
      exchange::Pipelines{impl_->current->pipeline, impl_->current->oots_pipeline, impl_->current->dsc_pipeline});
  if (impl_->parts.shared_config) impl_->follower = std::thread([impl = impl_.get()] { impl->follow_shared_configuration(); });
}

RuntimeControl::~RuntimeControl() { impl_->stop_following(); }

bool RuntimeControl::configuration_synced() const noexcept { return impl_->synced.load(); }
std::uint64_t RuntimeControl::configuration_version() const noexcept { return impl_->running_version.load(); }
std::uint64_t RuntimeControl::configuration_failed_version() const noexcept { return impl_->failed_version.load(); }

ManagementResult RuntimeControl::cluster() const {
  if (!impl_->parts.shared_config) return error(404, "this gateway is one node: there is no [cluster] section in its configuration");
  json::object body{{"node", impl_->parts.node}, {"config_version", impl_->running_version.load()},
                    {"failed_version", impl_->failed_version.load()}, {"synced", impl_->synced.load()}};
  {
    std::lock_guard lock(impl_->failure_mutex);
    if (!impl_->failed_reason.empty()) body["failed_reason"] = impl_->failed_reason;
  }
  auto& store = *impl_->parts.shared_config;
  const auto stored = Impl::ask_store<std::uint64_t>([&](auto then) { store.version(std::move(then)); });
  const auto reports = Impl::ask_store<std::map<std::string, std::string>>([&](auto then) { store.reports(std::move(then)); });
  body["store_reachable"] = stored.has_value();
  if (stored) body["stored_version"] = *stored;
  json::array nodes;
  if (reports) {
    const auto now = common::now_ms();
    for (const auto& [name, text] : *reports) {
      boost::system::error_code ec;
      auto report = json::parse(text, ec);
      if (ec || !report.is_object()) continue;
      auto& object = report.as_object();
      object["node"] = name;
      if (const auto* time = object.if_contains("time_ms"); time != nullptr && time->is_int64()) {
        object["seconds_since_report"] = static_cast<double>(now - time->as_int64()) / 1000.0;
      }
      nodes.push_back(std::move(object));
    }
  }
  body["nodes"] = std::move(nodes);
  return ManagementResult{200, std::move(body)};
}

std::shared_ptr<exchange::PipelineSwitch> RuntimeControl::pipeline_switch() const { return impl_->pipeline_switch; }

std::shared_ptr<const SigningMaterial> RuntimeControl::signing() const { return impl_->snapshot()->signing; }

std::vector<std::string> RuntimeControl::published_certificates() const { return impl_->snapshot()->published; }

bool RuntimeControl::verify_with_published(const std::string& text, const std::string& signature) const {
  const auto runtime = impl_->snapshot();
  return std::any_of(runtime->published_verifiers.begin(), runtime->published_verifiers.end(),
                     [&](const auto& verifier) { return verifier->verify(text, signature); });
}

std::shared_ptr<const trust::TrustStore> RuntimeControl::trust() const { return impl_->snapshot()->trust; }

std::vector<std::pair<std::string, adapters::AdapterStatus>> RuntimeControl::adapter_statuses() const {
  return runtime::adapter_statuses(*impl_->snapshot());
}

void RuntimeControl::stop_following() const { impl_->stop_following(); }

void RuntimeControl::peer_directory(
    std::function<void(std::optional<std::map<std::string, std::string>>)> then) const {
  if (!impl_->parts.shared_config) return then(std::map<std::string, std::string>{});
  impl_->parts.shared_config->reports([then = std::move(then)](std::optional<std::map<std::string, std::string>> reports) {
    if (!reports) return then(std::nullopt);
    std::map<std::string, std::string> peers;
    for (const auto& [name, text] : *reports) {
      boost::system::error_code ec;
      const auto report = json::parse(text, ec);
      if (ec || !report.is_object()) continue;
      if (const auto* peer = report.as_object().if_contains("peer"); peer != nullptr && peer->is_string()) {
        peers[name] = std::string(peer->as_string());
      }
    }
    then(std::move(peers));
  });
}

void RuntimeControl::announce_peer_address(std::string host_port) const {
  if (!impl_->parts.shared_config) return;
  {
    std::lock_guard lock(impl_->failure_mutex);
    impl_->peer_address = std::move(host_port);
  }
  impl_->report();
}

void RuntimeControl::stop_adapters() const {
  for (const auto& [name, instance] : impl_->snapshot()->instances) instance->stop();
}

std::vector<SectionInfo> RuntimeControl::sections() const {
  std::vector<SectionInfo> out;
  for (const auto& section : managed_sections()) out.push_back(section->info());
  return out;
}

ManagementResult RuntimeControl::list(std::string_view section_name) const {
  const ManagedSection* section = find_section(section_name);
  if (section == nullptr) return error(404, "unknown section");
  const auto runtime = impl_->snapshot();  // no lock: list() must never wait for a change
  return ManagementResult{200, json::object{{std::string(section_name), section->list(*runtime)}}};
}

ManagementResult RuntimeControl::put(std::string_view section, std::string_view key, const json::value& body) {
  if (key.empty() || key.size() > 128) return error(400, "name the item in the path (1..128 characters)");
  return impl_->change(section, [&](const ManagedSection& s, ChangeEnv& env) { return s.put(key, body, env); });
}

ManagementResult RuntimeControl::remove(std::string_view section, std::string_view key, const RemoveOptions& options) {
  return impl_->change(section, [&](const ManagedSection& s, ChangeEnv& env) { return s.remove(key, options, env); });
}

ManagementResult RuntimeControl::action(std::string_view section, std::string_view key, std::string_view action,
                                        const json::value& body) {
  return impl_->change(
      section, [&](const ManagedSection& s, ChangeEnv& env) { return s.action(key, action, body, env); }, "applied");
}

ManagementResult RuntimeControl::reload() {
  std::lock_guard lock(impl_->change_mutex);
  if (!impl_->parts.reload_config) return error(409, "this gateway was started without a configuration file to reload");
  try {
    auto fresh = impl_->parts.reload_config();
    // The operators' changes stay as they are (in a cluster: as stored); only the file is new.
    impl_->commit(impl_->overlay, "configuration file reloaded", &fresh, false);
    const auto runtime = impl_->snapshot();
    return ManagementResult{200, json::object{{"reloaded", true},
                                              {"adapters", runtime->config.adapters.size()},
                                              {"routes", runtime->config.routes.size()},
                                              {"authorities", runtime->config.authorities.size()},
                                              {"permissions", runtime->config.permissions.size()}}};
  } catch (const ChangeError& failure) {
    return error(failure.status, failure.what());
  } catch (const std::exception& failure) {
    return error(400, std::string("the configuration was not reloaded: ") + failure.what());
  }
}

boost::json::object RuntimeControl::catalogue(std::string_view kennung) const {
  return requester_catalogue(*impl_->snapshot(), kennung);
}

std::vector<DegradedRoute> RuntimeControl::degraded_routes() const {
  const auto runtime = impl_->snapshot();
  return runtime::degraded_routes(*runtime, runtime::adapter_statuses(*runtime));
}

json::object RuntimeControl::readiness() const {
  const auto runtime = impl_->snapshot();
  json::array registers;
  const auto statuses = runtime::adapter_statuses(*runtime);
  for (const auto& [name, status] : statuses) {
    registers.push_back(json::object{{"name", name}, {"breaker", status.breaker}, {"reachable", status.reachable},
                                     {"last_error", status.last_error}});
  }
  json::array routes;
  for (const auto& route : runtime::degraded_routes(*runtime, statuses)) {
    routes.push_back(json::object{{"evidence_type", route.evidence_type}, {"region", route.region},
                                  {"adapter", route.adapter}, {"reason", route.reason}});
  }
  const bool key_valid = runtime->signing && runtime->signing->not_after > std::time(nullptr);
  return json::object{{"signing_key_loaded", key_valid},
                      {"signing_key", runtime->signing ? runtime->signing->fingerprint : std::string()},
                      {"registers", registers},
                      {"degraded", !routes.empty()},
                      {"degraded_routes", routes}};
}

}  // namespace oncegate::runtime
