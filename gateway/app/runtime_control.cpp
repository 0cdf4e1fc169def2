#include "gateway/app/runtime_control.hpp"
#include "gateway/common/files.hpp"
#include "gateway/common/time.hpp"

#include <algorithm>
#include <ctime>
#include <fstream>
#include <map>
#include <set>

#include <boost/asio/post.hpp>
#include <boost/json.hpp>

#include "gateway/oplog/oplog.hpp"
#include "gateway/routing/routing_table.hpp"
#include "gateway/trust/demo_pki.hpp"
#include "gateway/trust/permission_matrix.hpp"

namespace oncegate::app {

namespace json = boost::json;
using admin::ManagementResult;

namespace {

class ChangeError : public std::runtime_error {
 public:
  ChangeError(unsigned status, const std::string& message) : std::runtime_error(message), status(status) {}
  unsigned status;
};

using common::read_file;

ManagementResult error(unsigned status, const std::string& text) {
  return ManagementResult{status, json::object{{"error", text}}};
}

// Routes to a disabled adapter answer REGISTER_UNAVAILABLE without calling it; the real adapter
// is kept so that enabling it again keeps its pool and breaker.
class DisabledAdapter final : public adapters::RegisterAdapter {
 public:
  DisabledAdapter(std::shared_ptr<adapters::RegisterAdapter> inner, boost::asio::any_io_executor executor)
      : inner_(std::move(inner)), executor_(std::move(executor)) {}
  const std::string& name() const noexcept override { return inner_->name(); }
  const std::string& register_name() const noexcept override { return inner_->register_name(); }
  void fetch(adapters::EvidenceQuery, std::chrono::steady_clock::time_point, adapters::FetchHandler done) override {
    boost::asio::post(executor_, [done = std::move(done)] {
      done(adapters::FetchResult{adapters::FetchStatus::unavailable, {}, "disabled by an operator"});
    });
  }
  adapters::AdapterStatus status() const override {
    auto status = inner_->status();
    status.breaker = "disabled";
    status.reachable = false;
    return status;
  }

 private:
  std::shared_ptr<adapters::RegisterAdapter> inner_;
  boost::asio::any_io_executor executor_;
};

// ---- JSON <-> configuration items ----------------------------------------------------------

const json::object& as_object(const json::value& value, std::string_view what) {
  if (!value.is_object()) throw ChangeError(400, std::string(what) + " must be a JSON object");
  return value.as_object();
}

void reject_unknown_keys(const json::object& object, std::initializer_list<std::string_view> known,
                         std::string_view what) {
  for (const auto& [key, value] : object) {
    if (std::find(known.begin(), known.end(), std::string_view(key)) == known.end()) {
      throw ChangeError(400, std::string(what) + ": unknown field '" + std::string(key) + "'");
    }
  }
}

std::string string_field(const json::object& object, std::string_view key, bool required, std::string_view what,
                         std::string fallback = {}) {
  const auto* value = object.if_contains(key);
  if (value == nullptr) {
    if (required) throw ChangeError(400, std::string(what) + ": '" + std::string(key) + "' is required");
    return fallback;
  }
  if (!value->is_string()) throw ChangeError(400, std::string(what) + ": '" + std::string(key) + "' must be a string");
  return std::string(value->as_string());
}

bool bool_field(const json::object& object, std::string_view key, bool fallback, std::string_view what) {
  const auto* value = object.if_contains(key);
  if (value == nullptr) return fallback;
  if (!value->is_bool()) throw ChangeError(400, std::string(what) + ": '" + std::string(key) + "' must be true or false");
  return value->as_bool();
}

std::vector<std::string> string_list(const json::object& object, std::string_view key, bool required,
                                     std::string_view what) {
  const auto* value = object.if_contains(key);
  if (value == nullptr) {
    if (required) throw ChangeError(400, std::string(what) + ": '" + std::string(key) + "' is required");
    return {};
  }
  if (!value->is_array()) throw ChangeError(400, std::string(what) + ": '" + std::string(key) + "' must be an array");
  std::vector<std::string> out;
  for (const auto& element : value->as_array()) {
    if (!element.is_string()) throw ChangeError(400, std::string(what) + ": '" + std::string(key) + "' must hold strings");
    out.emplace_back(element.as_string());
  }
  if (required && out.empty()) throw ChangeError(400, std::string(what) + ": '" + std::string(key) + "' must not be empty");
  return out;
}

json::array to_json_array(const std::vector<std::string>& values) {
  json::array out;
  for (const auto& v : values) out.emplace_back(v);
  return out;
}

json::object adapter_to_json(const config::AdapterConfig& a) {
  json::object settings;
  for (const auto& [key, value] : a.settings) settings[key] = value;
  return json::object{{"type", a.type}, {"register_name", a.register_name}, {"enabled", a.enabled}, {"settings", settings}};
}

// Setting names of files; relative paths are resolved against the data directory.
bool is_file_setting(std::string_view key) {
  return key == "data" || key == "ca" || key == "client_certificate" || key == "client_key";
}

config::AdapterConfig adapter_from_json(std::string_view name, const json::value& value,
                                        const std::filesystem::path& data_dir) {
  const std::string what = "adapter '" + std::string(name) + "'";
  const auto& object = as_object(value, what);
  reject_unknown_keys(object, {"type", "register_name", "enabled", "settings"}, what);
  config::AdapterConfig a;
  a.name = std::string(name);
  a.type = string_field(object, "type", true, what);
  a.register_name = string_field(object, "register_name", false, what, a.name);
  a.enabled = bool_field(object, "enabled", true, what);
  if (const auto* settings = object.if_contains("settings")) {
    for (const auto& [key, setting] : as_object(*settings, what + " settings")) {
      std::string text;
      if (setting.is_string()) {
        text = std::string(setting.as_string());
      } else if (setting.is_int64() || setting.is_uint64()) {
        text = json::serialize(setting);
      } else if (setting.is_bool()) {
        text = setting.as_bool() ? "true" : "false";
      } else {
        throw ChangeError(400, what + ": setting '" + std::string(key) + "' must be a string, integer or boolean");
      }
      if (is_file_setting(key) && !text.empty() && std::filesystem::path(text).is_relative()) {
        text = (data_dir / text).lexically_normal().string();
      }
      a.settings[std::string(key)] = std::move(text);
    }
  }
  return a;
}

std::string route_key(std::string_view type, std::string_view region) {
  return std::string(type) + "|" + std::string(region);
}

json::object route_to_json(const config::RouteConfig& r) {
  return json::object{{"evidence_type", r.evidence_type}, {"region", r.region}, {"adapter", r.adapter}};
}

json::object permission_to_json(const config::PermissionConfig& p) {
  return json::object{{"authorities", to_json_array(p.authorities)},
                      {"evidence_types", to_json_array(p.evidence_types)},
                      {"purposes", to_json_array(p.purposes)},
                      {"legal_bases", to_json_array(p.legal_bases)},
                      {"consent_required", p.consent_required}};
}

config::PermissionConfig permission_from_json(std::string_view id, const json::value& value) {
  const std::string what = "permission '" + std::string(id) + "'";
  const auto& object = as_object(value, what);
  reject_unknown_keys(object, {"authorities", "evidence_types", "purposes", "legal_bases", "consent_required"}, what);
  config::PermissionConfig p;
  p.id = std::string(id);
  p.authorities = string_list(object, "authorities", true, what);
  p.evidence_types = string_list(object, "evidence_types", true, what);
  p.purposes = string_list(object, "purposes", true, what);
  p.legal_bases = string_list(object, "legal_bases", true, what);
  p.consent_required = bool_field(object, "consent_required", false, what);
  return p;
}

// Stored form of an authority: its certificates as files in <data_dir>/managed/certificates.
json::object authority_to_stored_json(const config::AuthorityConfig& a) {
  json::array files;
  for (const auto& file : a.certificates) files.emplace_back(file.string());
  return json::object{{"name", a.name}, {"certificates", files}};
}

config::AuthorityConfig authority_from_stored_json(std::string_view kennung, const json::value& value) {
  const auto& object = as_object(value, "stored authority");
  config::AuthorityConfig a;
  a.kennung = std::string(kennung);
  a.name = string_field(object, "name", false, "stored authority", a.kennung);
  for (const auto& file : string_list(object, "certificates", true, "stored authority")) a.certificates.emplace_back(file);
  return a;
}

std::time_t now_seconds() { return std::time(nullptr); }

std::string iso_date(std::time_t seconds) { return common::utc_text_seconds(seconds); }

std::shared_ptr<const SigningMaterial> load_signing(const std::filesystem::path& key_file,
                                                    const std::filesystem::path& certificate_file) {
  const std::string key_pem = read_file(key_file, "gateway signing key");
  const std::string certificate_pem = read_file(certificate_file, "gateway signing certificate");
  const auto described = trust::describe_certificate(certificate_pem);
  const auto now = now_seconds();
  if (described.not_before > now || described.not_after <= now) {
    throw ChangeError(400, "the signing certificate '" + certificate_file.string() + "' is not valid now (valid " +
                               iso_date(described.not_before) + " to " + iso_date(described.not_after) + ")");
  }
  auto material = std::make_shared<SigningMaterial>();
  material->certificate_pem = certificate_pem;
  material->fingerprint = described.fingerprint;
  material->not_after = described.not_after;
  material->key_file = key_file;
  material->certificate_file = certificate_file;
  // Both check that the key is usable and belongs to the certificate.
  material->xml_key = message::XmlSigningKey::load(key_pem, certificate_pem);
  material->head_signer = std::make_shared<trust::DataSigner>(key_pem, certificate_pem);
  return material;
}

}  // namespace

struct RuntimeControl::Runtime {
  config::GatewayConfig config;  // effective: files + overlay
  json::object overlay;          // the admin changes this runtime was built with (for "source")
  std::map<std::string, std::shared_ptr<adapters::RegisterAdapter>, std::less<>> instances;  // by name
  std::shared_ptr<const trust::TrustStore> trust;
  std::shared_ptr<const SigningMaterial> signing;
  std::vector<std::string> published;  // current certificate first
  std::vector<std::shared_ptr<const trust::DataVerifier>> published_verifiers;  // same order
  std::shared_ptr<const exchange::ExchangePipeline> pipeline;
};

struct RuntimeControl::Impl {
  RuntimeParts parts;
  std::filesystem::path managed_file;
  std::mutex change_mutex;  // one change at a time
  config::GatewayConfig base;  // as read from the configuration file
  json::object overlay;        // as persisted in managed.json

  mutable std::mutex state_mutex;  // guards `current` (the pointer, not the runtime)
  std::shared_ptr<const Runtime> current;
  std::shared_ptr<exchange::PipelineSwitch> pipeline_switch;

  std::shared_ptr<const Runtime> snapshot() const {
    std::lock_guard lock(state_mutex);
    return current;
  }

  json::object& overlay_section(json::object& o, std::string_view section) {
    auto& value = o[section];
    if (!value.is_object()) value = json::object{};
    return value.as_object();
  }

  config::GatewayConfig effective(const config::GatewayConfig& from, const json::object& o) const {
    config::GatewayConfig cfg = from;
    const auto section = [&](std::string_view name) -> const json::object* {
      const auto* v = o.if_contains(name);
      return v != nullptr && v->is_object() ? &v->as_object() : nullptr;
    };
    if (const auto* adapters = section("adapters")) {
      for (const auto& [name, value] : *adapters) {
        std::erase_if(cfg.adapters, [&](const auto& a) { return a.name == name; });
        if (!value.is_null()) cfg.adapters.push_back(adapter_from_json(name, value, parts.data_dir));
      }
    }
    if (const auto* routes = section("routes")) {
      for (const auto& [key, value] : *routes) {
        const auto bar = std::string_view(key).find('|');
        const std::string type(std::string_view(key).substr(0, bar));
        const std::string region(bar == std::string_view::npos ? std::string_view() : std::string_view(key).substr(bar + 1));
        std::erase_if(cfg.routes, [&](const auto& r) { return r.evidence_type == type && r.region == region; });
        if (!value.is_null()) {
          cfg.routes.push_back({type, region, string_field(as_object(value, "stored route"), "adapter", true, "stored route")});
        }
      }
    }
    if (const auto* authorities = section("authorities")) {
      for (const auto& [kennung, value] : *authorities) {
        std::erase_if(cfg.authorities, [&](const auto& a) { return a.kennung == kennung; });
        if (!value.is_null()) cfg.authorities.push_back(authority_from_stored_json(kennung, value));
      }
    }
    if (const auto* permissions = section("permissions")) {
      for (const auto& [id, value] : *permissions) {
        std::erase_if(cfg.permissions, [&](const auto& p) { return p.id == id; });
        if (!value.is_null()) cfg.permissions.push_back(permission_from_json(id, value));
      }
    }
    if (const auto* switches = section("adapter_switches")) {
      for (const auto& [name, enabled] : *switches) {
        for (auto& a : cfg.adapters) {
          if (a.name == name && enabled.is_bool()) a.enabled = enabled.as_bool();
        }
      }
    }
    if (const auto* signing = section("signing")) {
      cfg.trust.signing_key = string_field(*signing, "key", true, "stored signing key");
      cfg.trust.signing_certificate = string_field(*signing, "certificate", true, "stored signing key");
    }
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
    next->trust = trust::TrustStore::build(read_file(cfg.trust.ca, "trust CA bundle"), authority_inputs);

    std::vector<trust::PermissionRule> permission_rules;
    for (const auto& p : cfg.permissions) {
      permission_rules.push_back({p.id, p.authorities, p.evidence_types, p.purposes, p.legal_bases, p.consent_required});
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
      next->published_verifiers.push_back(std::make_shared<const trust::DataVerifier>(pem));
    }

    std::vector<std::unique_ptr<exchange::RequestCheck>> checks;
    checks.push_back(std::make_unique<exchange::AuthorityCheck>(next->trust));
    checks.push_back(std::make_unique<exchange::SignatureCheck>(next->trust));
    checks.push_back(std::make_unique<exchange::FreshnessCheck>(parts.freshness_window, parts.replay));
    checks.push_back(std::make_unique<exchange::IdnrCheck>());
    checks.push_back(std::make_unique<exchange::PermissionCheck>(std::move(permissions)));
    exchange::PipelineOptions pipeline_options{parts.gateway_identity, parts.adapter_deadline, {}, parts.on_refused};
    pipeline_options.party = [trust = next->trust](std::string_view fingerprint) -> std::optional<std::string> {
      const trust::Authority* authority = trust->by_certificate(fingerprint);
      if (authority == nullptr) return std::nullopt;
      return authority->kennung;
    };
    next->pipeline = std::make_shared<const exchange::ExchangePipeline>(
        std::move(pipeline_options), parts.codec, std::move(routes),
        std::move(checks),
        [key = next->signing->xml_key](std::string_view xml) { return key->sign_own_document(xml); }, parts.recorder);
    return next;
  }

  // Builds with the candidate overlay, persists it, swaps. Called with change_mutex held.
  void commit(json::object candidate, std::string_view what, config::GatewayConfig* new_base = nullptr) {
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
    common::write_file_atomically(managed_file, json::serialize(candidate) + "\n", false);
    next->overlay = candidate;
    overlay = std::move(candidate);
    if (new_base != nullptr) base = std::move(*new_base);
    {
      std::lock_guard lock(state_mutex);
      current = next;
    }
    pipeline_switch->replace(next->pipeline);
    // Applied from here on: nothing below may turn the answer into a failure.
    try {
      announce(*previous, *next, what);
    } catch (const std::exception&) {
    }
  }

  void announce(const Runtime& previous, const Runtime& next, std::string_view what) const {
    oplog::write(oplog::Level::info, "configuration_applied",
                 {{"change", what}, {"adapters", static_cast<std::uint64_t>(next.config.adapters.size())},
                  {"routes", static_cast<std::uint64_t>(next.config.routes.size())},
                  {"authorities", static_cast<std::uint64_t>(next.config.authorities.size())},
                  {"permissions", static_cast<std::uint64_t>(next.config.permissions.size())},
                  {"signing_key", next.signing->fingerprint.substr(0, 16)}});
    if (previous.signing != next.signing && parts.on_signing_key_change) parts.on_signing_key_change();
  }

  bool in_base(std::string_view section, std::string_view key) const {
    if (section == "adapters") {
      return std::any_of(base.adapters.begin(), base.adapters.end(), [&](const auto& a) { return a.name == key; });
    }
    if (section == "authorities") {
      return std::any_of(base.authorities.begin(), base.authorities.end(), [&](const auto& a) { return a.kennung == key; });
    }
    if (section == "permissions") {
      return std::any_of(base.permissions.begin(), base.permissions.end(), [&](const auto& p) { return p.id == key; });
    }
    if (section == "routes") {
      return std::any_of(base.routes.begin(), base.routes.end(),
                         [&](const auto& r) { return route_key(r.evidence_type, r.region) == key; });
    }
    return false;
  }

  // Removal in the overlay: a tombstone for items of the configuration file, else forgetting.
  void mark_removed(json::object& o, std::string_view section, std::string_view key) {
    auto& items = overlay_section(o, section);
    if (in_base(section, key)) {
      items[key] = nullptr;
    } else {
      items.erase(key);
    }
  }

  static std::string source_of(const Runtime& runtime, std::string_view section, std::string_view key) {
    const auto* items = runtime.overlay.if_contains(section);
    if (items != nullptr && items->is_object() && items->as_object().contains(key)) return "admin";
    return "config";
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
  impl_->pipeline_switch = std::make_shared<exchange::PipelineSwitch>(impl_->current->pipeline);
}

RuntimeControl::~RuntimeControl() = default;

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
  const auto runtime = impl_->snapshot();
  std::vector<std::pair<std::string, adapters::AdapterStatus>> out;
  for (const auto& a : runtime->config.adapters) {
    const auto it = runtime->instances.find(a.name);
    if (it == runtime->instances.end()) continue;
    auto status = it->second->status();
    if (!a.enabled) {
      status.breaker = "disabled";
      status.reachable = false;
    }
    out.emplace_back(a.name, std::move(status));
  }
  return out;
}

ManagementResult RuntimeControl::list(std::string_view section) const {
  const auto runtime = impl_->snapshot();  // no lock: list() must never wait for a change
  json::array items;
  if (section == "adapters") {
    const auto statuses = adapter_statuses();
    for (const auto& a : runtime->config.adapters) {
      auto item = adapter_to_json(a);
      item["name"] = a.name;
      item["source"] = Impl::source_of(*runtime, "adapters", a.name);
      for (const auto& [name, status] : statuses) {
        if (name != a.name) continue;
        item["status"] = json::object{{"breaker", status.breaker}, {"reachable", status.reachable},
                                      {"calls", status.calls}, {"failures", status.failures},
                                      {"timeouts", status.timeouts}, {"rejected_open", status.rejected_open},
                                      {"last_error", status.last_error}};
      }
      items.push_back(std::move(item));
    }
  } else if (section == "routes") {
    for (const auto& r : runtime->config.routes) {
      auto item = route_to_json(r);
      item["source"] = Impl::source_of(*runtime, "routes", route_key(r.evidence_type, r.region));
      items.push_back(std::move(item));
    }
  } else if (section == "authorities") {
    for (const auto& a : runtime->trust->authorities()) {
      json::array certificates;
      for (const auto& c : a.certificates) {
        certificates.push_back(json::object{{"fingerprint", c.fingerprint}, {"subject", c.subject},
                                            {"not_before", iso_date(c.not_before)}, {"not_after", iso_date(c.not_after)}});
      }
      items.push_back(json::object{{"kennung", a.kennung}, {"name", a.name}, {"certificates", certificates},
                                   {"source", Impl::source_of(*runtime, "authorities", a.kennung)}});
    }
  } else if (section == "permissions") {
    for (const auto& p : runtime->config.permissions) {
      auto item = permission_to_json(p);
      item["id"] = p.id;
      item["source"] = Impl::source_of(*runtime, "permissions", p.id);
      items.push_back(std::move(item));
    }
  } else if (section == "signing-keys") {
    for (std::size_t i = 0; i < runtime->published.size(); ++i) {
      const auto described = trust::describe_certificate(runtime->published[i]);
      items.push_back(json::object{{"fingerprint", described.fingerprint}, {"subject", described.subject},
                                   {"not_after", iso_date(described.not_after)}, {"current", i == 0},
                                   {"certificate", runtime->published[i]}});
    }
  } else {
    return error(404, "unknown section");
  }
  return ManagementResult{200, json::object{{std::string(section), items}}};
}

ManagementResult RuntimeControl::put(std::string_view section, std::string_view key, const json::value& body) {
  std::lock_guard lock(impl_->change_mutex);
  try {
    if (key.empty() || key.size() > 128) throw ChangeError(400, "name the item in the path (1..128 characters)");
    json::object candidate = impl_->overlay;
    if (section == "adapters") {
      const auto adapter = adapter_from_json(key, body, impl_->parts.data_dir);
      impl_->overlay_section(candidate, "adapters")[key] = adapter_to_json(adapter);
      impl_->overlay_section(candidate, "adapter_switches").erase(key);  // the body says enabled or not
      impl_->commit(std::move(candidate), "adapter " + std::string(key) + " set");
      return ManagementResult{200, [&] { auto j = adapter_to_json(adapter); j["name"] = adapter.name; return j; }()};
    }
    if (section == "routes") {
      const auto& object = as_object(body, "route");
      reject_unknown_keys(object, {"region", "adapter"}, "route");
      const config::RouteConfig route{std::string(key), string_field(object, "region", false, "route"),
                                      string_field(object, "adapter", true, "route")};
      impl_->overlay_section(candidate, "routes")[route_key(route.evidence_type, route.region)] =
          json::object{{"adapter", route.adapter}};
      impl_->commit(std::move(candidate), "route " + route.evidence_type + " set");
      return ManagementResult{200, route_to_json(route)};
    }
    if (section == "authorities") {
      const auto& object = as_object(body, "authority");
      reject_unknown_keys(object, {"name", "certificates"}, "authority");
      config::AuthorityConfig authority;
      authority.kennung = std::string(key);
      authority.name = string_field(object, "name", false, "authority", authority.kennung);
      for (const auto& pem : string_list(object, "certificates", true, "authority")) {
        try {
          authority.certificates.push_back(impl_->store_certificate(pem));
        } catch (const std::exception& failure) {
          throw ChangeError(400, std::string("authority: a certificate is unreadable: ") + failure.what());
        }
      }
      impl_->overlay_section(candidate, "authorities")[key] = authority_to_stored_json(authority);
      impl_->commit(std::move(candidate), "authority " + std::string(key) + " set");
      return ManagementResult{200, json::object{{"kennung", authority.kennung}, {"name", authority.name},
                                                {"certificates", authority.certificates.size()}}};
    }
    if (section == "permissions") {
      const auto permission = permission_from_json(key, body);
      impl_->overlay_section(candidate, "permissions")[key] = permission_to_json(permission);
      impl_->commit(std::move(candidate), "permission " + std::string(key) + " set");
      auto j = permission_to_json(permission);
      j["id"] = permission.id;
      return ManagementResult{200, j};
    }
    return error(404, "unknown section");
  } catch (const ChangeError& failure) {
    return error(failure.status, failure.what());
  } catch (const std::exception& failure) {
    return error(500, std::string("the change could not be saved: ") + failure.what());
  }
}

ManagementResult RuntimeControl::remove(std::string_view section, std::string_view key,
                                        const admin::RemoveOptions& options) {
  std::lock_guard lock(impl_->change_mutex);
  try {
    const auto runtime = impl_->snapshot();
    const auto& cfg = runtime->config;
    json::object candidate = impl_->overlay;
    if (section == "adapters") {
      if (std::none_of(cfg.adapters.begin(), cfg.adapters.end(), [&](const auto& a) { return a.name == key; })) {
        return error(404, "no adapter named '" + std::string(key) + "'");
      }
      json::array dependent;
      for (const auto& r : cfg.routes) {
        if (r.adapter == key) dependent.push_back(route_to_json(r));
      }
      if (!dependent.empty() && !options.with_routes) {
        return ManagementResult{409, json::object{{"error", "routes still lead to this adapter; remove them first "
                                                            "or add ?with_routes=true"},
                                                  {"routes", dependent}}};
      }
      for (const auto& r : cfg.routes) {
        if (r.adapter == key) impl_->mark_removed(candidate, "routes", route_key(r.evidence_type, r.region));
      }
      impl_->mark_removed(candidate, "adapters", key);
      impl_->overlay_section(candidate, "adapter_switches").erase(key);
      impl_->commit(std::move(candidate), "adapter " + std::string(key) + " removed");
      return ManagementResult{200, json::object{{"removed", key}, {"routes_removed", dependent}}};
    }
    if (section == "routes") {
      const std::string& region = options.region;
      if (std::none_of(cfg.routes.begin(), cfg.routes.end(),
                       [&](const auto& r) { return r.evidence_type == key && r.region == region; })) {
        return error(404, "no route for '" + std::string(key) + "' and region '" + region + "'");
      }
      impl_->mark_removed(candidate, "routes", route_key(key, region));
      impl_->commit(std::move(candidate), "route " + std::string(key) + " removed");
      return ManagementResult{200, json::object{{"removed", key}, {"region", region}}};
    }
    if (section == "authorities") {
      if (std::none_of(cfg.authorities.begin(), cfg.authorities.end(), [&](const auto& a) { return a.kennung == key; })) {
        return error(404, "no authority '" + std::string(key) + "'");
      }
      impl_->mark_removed(candidate, "authorities", key);
      impl_->commit(std::move(candidate), "authority " + std::string(key) + " removed");
      return ManagementResult{200, json::object{{"removed", key}}};
    }
    if (section == "permissions") {
      if (std::none_of(cfg.permissions.begin(), cfg.permissions.end(), [&](const auto& p) { return p.id == key; })) {
        return error(404, "no permission rule '" + std::string(key) + "'");
      }
      impl_->mark_removed(candidate, "permissions", key);
      impl_->commit(std::move(candidate), "permission " + std::string(key) + " removed");
      return ManagementResult{200, json::object{{"removed", key}}};
    }
    return error(404, "unknown section");
  } catch (const ChangeError& failure) {
    return error(failure.status, failure.what());
  } catch (const std::exception& failure) {
    return error(500, std::string("the change could not be saved: ") + failure.what());
  }
}

ManagementResult RuntimeControl::action(std::string_view section, std::string_view key, std::string_view action,
                                        const json::value& body) {
  std::lock_guard lock(impl_->change_mutex);
  try {
    const auto runtime = impl_->snapshot();
    json::object candidate = impl_->overlay;
    if (section == "adapters" && (action == "enable" || action == "disable")) {
      const auto& adapters = runtime->config.adapters;
      const auto it = std::find_if(adapters.begin(), adapters.end(), [&](const auto& a) { return a.name == key; });
      if (it == adapters.end()) return error(404, "no adapter named '" + std::string(key) + "'");
      const bool enabled = action == "enable";
      impl_->overlay_section(candidate, "adapter_switches")[key] = enabled;
      impl_->commit(std::move(candidate), "adapter " + std::string(key) + " " + std::string(action) + "d");
      return ManagementResult{200, json::object{{"name", key}, {"enabled", enabled}}};
    }
    if (section == "signing-keys" && key.empty() && action == "rotate") {
      const auto& object = as_object(body, "rotation");
      reject_unknown_keys(object, {"key", "certificate", "generate"}, "rotation");
      std::filesystem::path key_file;
      std::filesystem::path certificate_file;
      if (bool_field(object, "generate", false, "rotation")) {
        // Demo and test installations: a fresh key certified by the demo CA.
        const auto demo = impl_->parts.data_dir / "demo";
        if (!std::filesystem::exists(demo / "ca.key")) {
          throw ChangeError(400, "generate needs the demo CA; in production name the key and certificate files");
        }
        const trust::KeyAndCertificate ca{read_file(demo / "ca.key", "demo CA key"), read_file(demo / "ca.pem", "demo CA")};
        trust::CertificateRequest request;
        request.common_name = impl_->parts.gateway_identity.kennung + " answer signing";
        request.role = trust::CertificateRole::signing;
        const auto issued = trust::issue_certificate(request, &ca);
        const auto directory = impl_->parts.data_dir / "managed" / "signing";
        std::filesystem::create_directories(directory);
        const auto stamp = std::to_string(std::time(nullptr)) + "-" + trust::describe_certificate(issued.certificate_pem).fingerprint.substr(0, 8);
        key_file = directory / ("gateway-signing-" + stamp + ".key");
        certificate_file = directory / ("gateway-signing-" + stamp + ".pem");
        common::write_file_atomically(key_file, issued.private_key_pem, true);
        common::write_file_atomically(certificate_file, issued.certificate_pem, false);
      } else {
        key_file = string_field(object, "key", true, "rotation");
        certificate_file = string_field(object, "certificate", true, "rotation");
        if (key_file.is_relative()) key_file = impl_->parts.data_dir / key_file;
        if (certificate_file.is_relative()) certificate_file = impl_->parts.data_dir / certificate_file;
      }
      if (key_file == runtime->signing->key_file && certificate_file == runtime->signing->certificate_file) {
        throw ChangeError(409, "this key is already in use");
      }
      candidate["signing"] = json::object{{"key", key_file.string()}, {"certificate", certificate_file.string()}};
      impl_->commit(std::move(candidate), "signing key rotated");
      const auto now_signing = impl_->snapshot()->signing;
      return ManagementResult{200, json::object{{"fingerprint", now_signing->fingerprint},
                                                {"not_after", iso_date(now_signing->not_after)},
                                                {"certificate", now_signing->certificate_pem},
                                                {"previous_fingerprint", runtime->signing->fingerprint}}};
    }
    return error(404, "unknown action");
  } catch (const ChangeError& failure) {
    return error(failure.status, failure.what());
  } catch (const std::exception& failure) {
    return error(500, std::string("the change could not be applied: ") + failure.what());
  }
}

ManagementResult RuntimeControl::reload() {
  std::lock_guard lock(impl_->change_mutex);
  if (!impl_->parts.reload_config) return error(409, "this gateway was started without a configuration file to reload");
  try {
    auto fresh = impl_->parts.reload_config();
    impl_->commit(impl_->overlay, "configuration file reloaded", &fresh);
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

json::object RuntimeControl::readiness() const {
  const auto runtime = impl_->snapshot();
  json::array registers;
  bool degraded = false;
  for (const auto& [name, status] : adapter_statuses()) {
    if (status.breaker == "open" || status.breaker == "half_open" || !status.reachable) degraded = true;
    registers.push_back(json::object{{"name", name}, {"breaker", status.breaker}, {"reachable", status.reachable},
                                     {"last_error", status.last_error}});
  }
  const bool key_valid = runtime->signing && runtime->signing->not_after > now_seconds();
  return json::object{{"signing_key_loaded", key_valid},
                      {"signing_key", runtime->signing ? runtime->signing->fingerprint : std::string()},
                      {"registers", registers},
                      {"degraded", degraded}};
}

}  // namespace oncegate::app
