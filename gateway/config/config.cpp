#include "gateway/config/config.hpp"
#include "gateway/common/url.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <sstream>

#include <toml++/toml.h>

namespace oncegate::config {

namespace {

// Reads one table strictly: every key must be known, so a typo is an error, not a silent default.
class TableReader {
 public:
  TableReader(const toml::table& table, std::string path) : table_(table), path_(std::move(path)) {}

  std::string string(std::string_view key, std::string fallback, bool required = false) {
    seen_.insert(std::string(key));
    const toml::node* node = table_.get(key);
    if (node == nullptr) {
      if (required) throw ConfigError(where(key) + " is required");
      return fallback;
    }
    if (auto value = node->value<std::string>(); value && node->is_string()) return *value;
    throw ConfigError(where(key) + " must be a string");
  }

  std::int64_t integer(std::string_view key, std::int64_t fallback, std::int64_t min, std::int64_t max) {
    seen_.insert(std::string(key));
    const toml::node* node = table_.get(key);
    if (node == nullptr) return fallback;
    if (!node->is_integer()) throw ConfigError(where(key) + " must be an integer");
    const std::int64_t value = *node->value<std::int64_t>();
    if (value < min || value > max) {
      throw ConfigError(where(key) + " must be between " + std::to_string(min) + " and " + std::to_string(max));
    }
    return value;
  }

  bool boolean(std::string_view key, bool fallback) {
    seen_.insert(std::string(key));
    const toml::node* node = table_.get(key);
    if (node == nullptr) return fallback;
    if (!node->is_boolean()) throw ConfigError(where(key) + " must be true or false");
    return *node->value<bool>();
  }

  std::vector<std::string> strings(std::string_view key, bool required) {
    seen_.insert(std::string(key));
    const toml::node* node = table_.get(key);
    if (node == nullptr) {
      if (required) throw ConfigError(where(key) + " is required");
      return {};
    }
    const toml::array* array = node->as_array();
    if (array == nullptr) throw ConfigError(where(key) + " must be an array of strings");
    std::vector<std::string> out;
    for (const auto& element : *array) {
      if (!element.is_string()) throw ConfigError(where(key) + " must be an array of strings");
      out.push_back(*element.value<std::string>());
    }
    if (required && out.empty()) throw ConfigError(where(key) + " must not be empty");
    return out;
  }

  std::chrono::milliseconds millis(std::string_view key, std::chrono::milliseconds fallback,
                                   std::int64_t min = 1, std::int64_t max = 3'600'000) {
    return std::chrono::milliseconds(integer(key, fallback.count(), min, max));
  }

  // Keys not read so far, as strings (for adapter settings); nested tables are refused.
  std::map<std::string, std::string> remaining() {
    std::map<std::string, std::string> out;
    for (const auto& [key, node] : table_) {
      const std::string name(key.str());
      if (seen_.contains(name)) continue;
      seen_.insert(name);
      if (node.is_string()) {
        out[name] = *node.value<std::string>();
      } else if (node.is_integer()) {
        out[name] = std::to_string(*node.value<std::int64_t>());
      } else if (node.is_boolean()) {
        out[name] = *node.value<bool>() ? "true" : "false";
      } else {
        throw ConfigError(where(name) + " must be a string, integer or boolean");
      }
    }
    return out;
  }

  // A key another reader handles (nested arrays of tables).
  void handled_elsewhere(std::string_view key) { seen_.insert(std::string(key)); }

  // A key read by someone else (an array of tables).
  void accept(std::string_view key) { seen_.insert(std::string(key)); }

  void reject_unknown() const {
    for (const auto& [key, node] : table_) {
      if (!seen_.contains(std::string(key.str()))) {
        throw ConfigError(where(key.str()) + " is not a known setting");
      }
    }
  }

 private:
  std::string where(std::string_view key) const { return path_ + "." + std::string(key); }
  const toml::table& table_;
  std::string path_;
  std::set<std::string> seen_;
};

const toml::table* subtable(const toml::table& root, std::string_view key, std::string_view origin) {
  const toml::node* node = root.get(key);
  if (node == nullptr) return nullptr;
  if (!node->is_table()) throw ConfigError(std::string(origin) + ": " + std::string(key) + " must be a table");
  return node->as_table();
}

template <typename Fn>
void for_each_table_in_array(const toml::table& root, std::string_view key, std::string_view origin, Fn fn) {
  const toml::node* node = root.get(key);
  if (node == nullptr) return;
  const toml::array* array = node->as_array();
  if (array == nullptr) throw ConfigError(std::string(origin) + ": " + std::string(key) + " must be an array of tables ([[" + std::string(key) + "]])");
  std::size_t index = 0;
  for (const auto& element : *array) {
    if (!element.is_table()) throw ConfigError(std::string(origin) + ": " + std::string(key) + " must hold tables");
    fn(*element.as_table(), std::string(key) + "[" + std::to_string(index++) + "]");
  }
}

// An IPv4 or IPv6 address, optionally with a prefix length (10.0.0.0/24).
bool valid_network(const std::string& text) {
  const auto slash = text.find('/');
  const std::string address = text.substr(0, slash);
  unsigned char bytes[16];
  const bool v4 = ::inet_pton(AF_INET, address.c_str(), bytes) == 1;
  const bool v6 = !v4 && ::inet_pton(AF_INET6, address.c_str(), bytes) == 1;
  if (!v4 && !v6) return false;
  if (slash == std::string::npos) return true;
  const std::string prefix = text.substr(slash + 1);
  if (prefix.empty() || prefix.size() > 3 || prefix.find_first_not_of("0123456789") != std::string::npos) return false;
  return std::stoi(prefix) <= (v4 ? 32 : 128);
}

std::filesystem::path resolve(const std::filesystem::path& base, const std::string& value) {
  if (value.empty()) return {};
  std::filesystem::path path(value);
  return path.is_absolute() ? path : base / path;
}

}  // namespace

void check_withholding(const PermissionConfig& p, const std::string& where) {
  const bool withholds = !p.citizen_visible || p.citizen_visible_after_days > 0;
  if (withholds && p.withholding_basis.empty()) {
    throw ConfigError(where + ": a rule that withholds transfers from the citizen must name the legal basis (withholding_basis)");
  }
  if (!withholds && !p.withholding_basis.empty()) {
    throw ConfigError(where + ": withholding_basis without citizen_visible = false or citizen_visible_after_days");
  }
}

void check_oots_evidence_type(const OotsEvidenceTypeConfig& mapping, const std::string& where) {
  const bool id_ok = !mapping.id.empty() && mapping.id.size() <= 64 &&
                     std::all_of(mapping.id.begin(), mapping.id.end(), [](char c) {
                       return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '-';
                     });
  if (!id_ok) throw ConfigError(where + ": id must be 1 to 64 of A-Z a-z 0-9 . _ -, got '" + mapping.id + "'");
  if (mapping.classification.empty() && mapping.requirement.empty()) {
    throw ConfigError(where + " needs a classification or a requirement");
  }
  if (mapping.subject != "natural" && mapping.subject != "legal") {
    throw ConfigError(where + ".subject must be \"natural\" or \"legal\"");
  }
  if (mapping.evidence_type.empty()) throw ConfigError(where + " needs an evidence_type");
}

void check_oots_evidence_types(const std::vector<OotsEvidenceTypeConfig>& mappings) {
  for (std::size_t i = 0; i < mappings.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      const auto& a = mappings[i];
      const auto& b = mappings[j];
      if (a.id == b.id) throw ConfigError("oots.evidence_types: the id '" + a.id + "' is used twice");
    }
  }
}

bool is_file_setting(std::string_view key) noexcept {
  return key == "data" || key == "ca" || key == "client_certificate" || key == "client_key";
}

const ListenerConfig* GatewayConfig::listener(std::string_view name) const noexcept {
  for (const auto& l : listeners) {
    if (l.name == name) return &l;
  }
  return nullptr;
}

GatewayConfig parse_config(std::string_view text, std::string_view origin) {
  toml::table root;
  try {
    root = toml::parse(text, origin);
  } catch (const toml::parse_error& error) {
    std::ostringstream message;
    message << origin << ":" << error.source().begin.line << ":" << error.source().begin.column << ": "
            << error.description();
    throw ConfigError(message.str());
  }
  const std::string prefix(origin);
  for (const auto& [key, node] : root) {
    static const std::set<std::string, std::less<>> known{"gateway", "listeners", "demo", "adapters", "routes",
                                                          "trust", "authorities", "authority_groups", "permissions", "log",
                                                          "datacockpit", "admin", "oots", "locating", "demo_witness",
                                                          "catalogue", "dsc", "cluster"};
    if (!known.contains(key.str())) throw ConfigError(prefix + ": unknown section '" + std::string(key.str()) + "'");
  }

  GatewayConfig config;
  const toml::table* gateway = subtable(root, "gateway", origin);
  if (gateway == nullptr) throw ConfigError(prefix + ": the [gateway] section is required");
  {
    TableReader r(*gateway, prefix + ": gateway");
    config.data_dir = std::filesystem::absolute(r.string("data_dir", "./var")).lexically_normal();
    config.verzeichnisdienst = r.string("verzeichnisdienst", "dvdv");
    config.kennung = r.string("kennung", "", true);
    config.name = r.string("name", "");
    config.io_threads = static_cast<unsigned>(r.integer("io_threads", 0, 0, 256));
    config.adapter_deadline = r.millis("adapter_deadline_ms", config.adapter_deadline, 1, 600'000);
    config.shutdown_grace = r.millis("shutdown_grace_ms", config.shutdown_grace, 0, 600'000);
    config.drain = r.millis("drain_ms", config.drain, 0, 600'000);
    r.reject_unknown();
  }
  const auto& base = config.data_dir;

  if (const toml::table* listeners = subtable(root, "listeners", origin)) {
    for (const auto& [key, node] : *listeners) {
      const std::string name(key.str());
      if (!node.is_table()) throw ConfigError(prefix + ": listeners." + name + " must be a table");
      TableReader r(*node.as_table(), prefix + ": listeners." + name);
      ListenerConfig l;
      l.name = name;
      l.address = r.string("address", l.address);
      l.port = static_cast<std::uint16_t>(r.integer("port", l.port, 0, 65535));
      l.certificate = resolve(base, r.string("certificate", "", true));
      l.private_key = resolve(base, r.string("private_key", "", true));
      l.client_ca = resolve(base, r.string("client_ca", ""));
      // The evidence listener serves authorities only: the handshake demands a certificate of
      // client_ca (citizens use [listeners.cockpit]).
      const bool evidence = name == "evidence";
      l.require_client_certificate = r.boolean("require_client_certificate", evidence || name == "peer");
      if (evidence && (!l.require_client_certificate || l.client_ca.empty())) {
        throw ConfigError(prefix + ": listeners.evidence needs client_ca and require_client_certificate = true (the "
                                   "Datencockpit has a listener of its own, [listeners.cockpit])");
      }
      if (name == "peer" && (!l.require_client_certificate || l.client_ca.empty())) {
        throw ConfigError(prefix + ": listeners.peer answers the cluster's nodes only: it needs client_ca and "
                                   "require_client_certificate = true");
      }
      // At most 65,000 bytes: one header field must fit Beast's 16-bit field lengths
      // (net::kMaxFieldSize).
      l.header_limit = static_cast<std::size_t>(r.integer("header_limit", static_cast<std::int64_t>(l.header_limit), 1024, 65'000));
      l.body_limit = static_cast<std::size_t>(r.integer("body_limit", static_cast<std::int64_t>(l.body_limit), 1024, 64 << 20));
      l.handshake_timeout = r.millis("handshake_timeout_ms", l.handshake_timeout);
      l.read_timeout = r.millis("read_timeout_ms", l.read_timeout);
      l.write_timeout = r.millis("write_timeout_ms", l.write_timeout);
      l.max_connections = static_cast<std::size_t>(r.integer("max_connections", static_cast<std::int64_t>(l.max_connections), 1, 1'000'000));
      // Abuse limits: defaults so that one host cannot hold a listener, far above what one
      // well-behaved client needs (see README "Limits").
      struct Defaults {
        std::int64_t connections, handshakes, in_flight, rate, party_rate;
      };
      // The published log is read by monitors and auditors that fetch many tiles at once; the
      // witness is called by logs about once a second.
      const Defaults d = evidence            ? Defaults{256, 32, 256, 5000, 5000}
                         : name == "cockpit" ? Defaults{32, 16, 128, 50, 0}
                         : name == "log"     ? Defaults{64, 16, 128, 2000, 0}
                         : name == "witness" ? Defaults{16, 8, 32, 50, 0}
                         : name == "peer"    ? Defaults{64, 16, 64, 2000, 0}
                                             : Defaults{16, 8, 32, 50, 50};
      const auto limit = [&](const char* key, std::int64_t fallback) {
        return static_cast<std::size_t>(r.integer(key, fallback, 0, 1'000'000));
      };
      l.per_source_connections = limit("per_source_connections", d.connections);
      l.per_source_handshakes = limit("per_source_handshakes", d.handshakes);
      l.handshakes_in_flight = limit("handshakes_in_flight", d.in_flight);
      l.per_source_requests_per_second = limit("per_source_requests_per_second", d.rate);
      l.per_source_burst = limit("per_source_burst", 0);
      l.per_party_requests_per_second = limit("per_party_requests_per_second", d.party_rate);
      l.per_party_burst = limit("per_party_burst", 0);
      l.proxy_protocol_from = r.strings("proxy_protocol_from", false);
      for (const auto& from : l.proxy_protocol_from) {
        if (!valid_network(from)) {
          throw ConfigError(prefix + ": listeners." + name + ".proxy_protocol_from: '" + from +
                            "' is not an address or a network (10.0.0.5, 10.0.0.0/24, fd00::/64)");
        }
      }
      r.reject_unknown();
      config.listeners.push_back(std::move(l));
    }
  }
  if (config.listener("evidence") == nullptr) throw ConfigError(prefix + ": [listeners.evidence] is required");
  for (const auto& l : config.listeners) {
    if (l.name != "evidence" && l.name != "admin" && l.name != "cockpit" && l.name != "log" && l.name != "witness" &&
        l.name != "health" && l.name != "peer") {
      throw ConfigError(prefix + ": listeners." + l.name +
                        " is not a listener oncegate has (evidence, admin, cockpit, log, witness, health, peer)");
    }
  }

  if (const toml::table* demo = subtable(root, "demo", origin)) {
    TableReader r(*demo, prefix + ": demo");
    config.demo.generate = r.boolean("generate", false);
    config.demo.population = static_cast<std::size_t>(r.integer("population", static_cast<std::int64_t>(config.demo.population), 10, 10'000'000));
    config.demo.seed = static_cast<std::uint64_t>(r.integer("seed", static_cast<std::int64_t>(config.demo.seed), 0, INT64_MAX));
    config.demo.sample_register = r.boolean("sample_register", false);
    config.demo.sample_register_kind = r.string("sample_register_kind", config.demo.sample_register_kind);
    if (config.demo.sample_register_kind != "geburtsurkunde" && config.demo.sample_register_kind != "meldebescheinigung") {
      throw ConfigError(prefix + ": demo.sample_register_kind must be \"geburtsurkunde\" or \"meldebescheinigung\"");
    }
    config.demo.sample_register_region = r.string("sample_register_region", "");
    config.demo.sample_register_port = static_cast<std::uint16_t>(
        r.integer("sample_register_port", config.demo.sample_register_port, 0, 65535));
    r.reject_unknown();
  }
  config.demo_witness.directory = resolve(base, config.demo_witness.directory.string());
  if (const toml::table* witness = subtable(root, "demo_witness", origin)) {
    TableReader r(*witness, prefix + ": demo_witness");
    config.demo_witness.enabled = r.boolean("enabled", false);
    config.demo_witness.name = r.string("name", config.demo_witness.name);
    config.demo_witness.directory = resolve(base, r.string("directory", "demo-witness"));
    r.reject_unknown();
    if (config.demo_witness.enabled && config.listener("witness") == nullptr) {
      throw ConfigError(prefix + ": the demo witness needs a listener of its own, [listeners.witness]");
    }
  }

  for_each_table_in_array(root, "adapters", origin, [&](const toml::table& table, const std::string& path) {
    TableReader r(table, prefix + ": " + path);
    AdapterConfig a;
    a.name = r.string("name", "", true);
    a.type = r.string("type", "", true);
    a.register_name = r.string("register_name", a.name);
    a.enabled = r.boolean("enabled", true);
    a.settings = r.remaining();
    for (auto& [key, value] : a.settings) {
      if (is_file_setting(key)) value = resolve(base, value).string();
    }
    config.adapters.push_back(std::move(a));
  });
  for_each_table_in_array(root, "routes", origin, [&](const toml::table& table, const std::string& path) {
    TableReader r(table, prefix + ": " + path);
    RouteConfig route;
    route.evidence_type = r.string("evidence_type", "", true);
    route.region = r.string("region", "");
    route.adapter = r.string("adapter", "", true);
    r.reject_unknown();
    config.routes.push_back(std::move(route));
  });

  const toml::table* trust = subtable(root, "trust", origin);
  if (trust == nullptr) throw ConfigError(prefix + ": the [trust] section is required");
  {
    TableReader r(*trust, prefix + ": trust");
    config.trust.ca = resolve(base, r.string("ca", "", true));
    config.trust.signing_key = resolve(base, r.string("signing_key", "", true));
    config.trust.signing_certificate = resolve(base, r.string("signing_certificate", "", true));
    config.trust.freshness_window = r.millis("freshness_window_ms", config.trust.freshness_window, 1000, 86'400'000);
    r.reject_unknown();
  }
  config.log.directory = resolve(base, config.log.directory.string());
  config.log.pseudonym_secret = resolve(base, config.log.pseudonym_secret.string());
  config.log.key = resolve(base, config.log.key.string());
  if (const toml::table* log = subtable(root, "log", origin)) {
    TableReader r(*log, prefix + ": log");
    config.log.directory = resolve(base, r.string("directory", "log"));
    config.log.sync = r.boolean("sync", true);
    config.log.pseudonym_secret = resolve(base, r.string("pseudonym_secret", "pseudonym.secret"));
    config.log.head_every_records =
        static_cast<std::uint64_t>(r.integer("head_every_records", 1000, 1, 100'000'000));
    config.log.head_every = r.millis("head_every_ms", config.log.head_every, 10, 86'400'000);
    config.log.deadline = r.millis("deadline_ms", config.log.deadline, 10, 600'000);
    config.log.commit_window =
        std::chrono::microseconds(r.integer("commit_window_us", config.log.commit_window.count(), 0, 100'000));
    config.log.retention_days = static_cast<unsigned>(r.integer("retention_days", 730, 1, 36'500));
    config.log.origin = r.string("origin", "");
    const auto bad_origin = [&] {
      if (config.log.origin.empty()) return false;  // the default below
      if (config.log.origin == "oncegate-purge/v2") return true;
      for (const char c : config.log.origin) {
        if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7F || c == '+') return true;
      }
      return false;
    };
    if (bad_origin()) {
      throw ConfigError(prefix + ": log.origin must be a schema-less URL without spaces or '+', e.g. "
                                 "\"authority.example/log/land-1\"");
    }
    config.log.key = resolve(base, r.string("key", "log-key.pem"));
    config.log.witness_quorum = static_cast<std::size_t>(r.integer("witness_quorum", 0, 0, 64));
    r.handled_elsewhere("witnesses");
    r.reject_unknown();
    for_each_table_in_array(*log, "witnesses", prefix + ": log", [&](const toml::table& table, const std::string& path) {
      TableReader w(table, prefix + ": log." + path);
      LogWitnessConfig witness;
      witness.vkey = w.string("vkey", "");
      const std::string vkey_file = w.string("vkey_file", "");
      if (!vkey_file.empty()) witness.vkey_file = resolve(base, vkey_file);
      witness.local = w.boolean("local", false);
      witness.url = w.string("url", "", !witness.local);
      const std::string ca = w.string("ca", "", !witness.local);
      if (!ca.empty()) witness.ca = resolve(base, ca);
      w.reject_unknown();
      if (witness.vkey.empty() == witness.vkey_file.empty()) {
        throw ConfigError(prefix + ": log." + path + " needs exactly one of vkey and vkey_file");
      }
      if (!witness.local && !witness.url.starts_with("https://")) {
        throw ConfigError(prefix + ": log." + path + ".url must be an https:// URL");
      }
      config.log.witnesses.push_back(std::move(witness));
    });
    if (config.log.witness_quorum > config.log.witnesses.size()) {
      throw ConfigError(prefix + ": log.witness_quorum (" + std::to_string(config.log.witness_quorum) +
                        ") is more than the witnesses configured (" + std::to_string(config.log.witnesses.size()) + ")");
    }
  }
  if (config.log.origin.empty()) {
    // A name that is unique as long as the kennung is; set log.origin explicitly in production.
    std::string origin_name = "oncegate.local/" + config.verzeichnisdienst + "/";
    for (const char c : config.kennung) origin_name += (c == ' ' || c == '+') ? '-' : c;
    config.log.origin = origin_name + "/log-1";
  }
  config.admin.keys_file = resolve(base, config.admin.keys_file.string());
  config.admin.audit_file = resolve(base, config.admin.audit_file.string());
  config.admin.backup_dir = resolve(base, config.admin.backup_dir.string());
  if (const toml::table* admin = subtable(root, "admin", origin)) {
    TableReader r(*admin, prefix + ": admin");
    config.admin.keys_file = resolve(base, r.string("keys_file", "admin-keys.json"));
    config.admin.audit_file = resolve(base, r.string("audit_file", "admin-audit.jsonl"));
    config.admin.backup_dir = resolve(base, r.string("backup_dir", "backups"));
    r.handled_elsewhere("operators");
    r.reject_unknown();
    for_each_table_in_array(*admin, "operators", prefix + ": admin", [&](const toml::table& table, const std::string& path) {
      TableReader o(table, prefix + ": admin." + path);
      OperatorConfig op;
      op.name = o.string("name", "", true);
      op.role = o.string("role", "", true);
      if (op.role != "admin" && op.role != "observer") {
        throw ConfigError(prefix + ": admin." + path + ".role must be \"admin\" or \"observer\"");
      }
      op.certificate = resolve(base, o.string("certificate", "", true));
      o.reject_unknown();
      config.admin.operators.push_back(std::move(op));
    });
  }
  if (const toml::table* cockpit = subtable(root, "datacockpit", origin)) {
    TableReader r(*cockpit, prefix + ": datacockpit");
    auto& c = config.datacockpit;
    c.enabled = r.boolean("enabled", false);
    for (const char* gone : {"jwks", "audience", "required_acr"}) {
      if (cockpit->contains(gone)) {
        throw ConfigError(prefix + ": datacockpit." + gone + " is gone: the cockpit signs in with OpenID Connect now "
                          "(jwks comes from the provider's discovery, audience is client_id, required_acr is acr_values)");
      }
    }
    c.demo_idp = r.boolean("demo_idp", false);
    c.demo_idp_key = resolve(base, r.string("demo_idp_key", "", c.demo_idp));
    c.issuer = r.string("issuer", "", c.enabled && !c.demo_idp);
    if (c.demo_idp && !c.issuer.empty()) {
      throw ConfigError(prefix + ": datacockpit.issuer must not be set with demo_idp: the demo provider is the issuer");
    }
    if (!c.issuer.empty() && (!c.issuer.starts_with("https://") || c.issuer.ends_with("/"))) {
      throw ConfigError(prefix + ": datacockpit.issuer must be an https:// URL without a trailing '/'");
    }
    c.client_id = r.string("client_id", c.client_id);
    if (const auto secret = r.string("client_secret_file", ""); !secret.empty()) c.client_secret_file = resolve(base, secret);
    c.public_url = r.string("public_url", "");
    if (!c.public_url.empty()) {
      const auto url = common::parse_https_url(c.public_url);
      if (!url || url->target != "/" || c.public_url.ends_with("/") || url->origin() != c.public_url) {
        throw ConfigError(prefix + ": datacockpit.public_url must be https://host[:port] without a path (the address citizens use)");
      }
    }
    c.redirect_uri = r.string("redirect_uri", "");
    c.post_logout_redirect_uri = r.string("post_logout_redirect_uri", "");
    for (const auto* uri : {&c.redirect_uri, &c.post_logout_redirect_uri}) {
      if (!uri->empty() && !uri->starts_with("https://")) throw ConfigError(prefix + ": datacockpit redirect URIs must be https://");
    }
    if (cockpit->contains("scopes")) c.scopes = r.strings("scopes", true);
    if (std::find(c.scopes.begin(), c.scopes.end(), "openid") == c.scopes.end()) {
      throw ConfigError(prefix + ": datacockpit.scopes must contain \"openid\"");
    }
    if (cockpit->contains("acr_values")) c.acr_values = r.strings("acr_values", true);
    if (c.acr_values.empty()) throw ConfigError(prefix + ": datacockpit.acr_values must name at least one level");
    c.idnr_claim = r.string("idnr_claim", c.idnr_claim);
    if (const auto mapping = r.string("idnr_mapping", ""); !mapping.empty()) c.idnr_mapping = resolve(base, mapping);
    if (c.idnr_claim.empty() == c.idnr_mapping.empty()) {
      throw ConfigError(prefix + ": datacockpit needs exactly one of idnr_claim (non-empty) and idnr_mapping");
    }
    c.ca = resolve(base, r.string("ca", c.demo_idp ? "demo/ca.pem" : "/etc/ssl/certs/ca-certificates.crt"));
    c.clock_skew = r.millis("clock_skew_ms", c.clock_skew, 0, 300'000);
    c.jwks_min_refresh = r.millis("jwks_min_refresh_ms", c.jwks_min_refresh, 1'000, 86'400'000);
    c.session_ttl = r.millis("session_ttl_ms", c.session_ttl, 10'000, 86'400'000);
    c.max_sessions = static_cast<std::size_t>(r.integer("max_sessions", 10'000, 1, 10'000'000));
    r.reject_unknown();
    if (c.enabled && config.listener("cockpit") == nullptr) {
      throw ConfigError(prefix + ": the Datencockpit needs a listener of its own, [listeners.cockpit]");
    }
  }
  if (const toml::table* oots = subtable(root, "oots", origin)) {
    TableReader r(*oots, prefix + ": oots");
    auto& o = config.oots;
    o.enabled = r.boolean("enabled", false);
    o.legal_basis = r.string("legal_basis", o.legal_basis);
    o.provider_scheme = r.string("provider_scheme", o.provider_scheme);
    o.provider_id = r.string("provider_id", "", o.enabled);
    o.provider_name = r.string("provider_name", config.name.empty() ? config.kennung : config.name);
    o.provider_country = r.string("provider_country", o.provider_country);
    r.handled_elsewhere("evidence_types");
    r.handled_elsewhere("requesters");
    r.reject_unknown();
    for_each_table_in_array(*oots, "evidence_types", prefix + ": oots", [&](const toml::table& table, const std::string& path) {
      TableReader t(table, prefix + ": oots." + path);
      OotsEvidenceTypeConfig e;
      e.id = t.string("id", "", true);
      e.classification = t.string("classification", "");
      e.requirement = t.string("requirement", "");
      e.subject = t.string("subject", e.subject);
      e.evidence_type = t.string("evidence_type", "", true);
      e.title = t.string("title", e.evidence_type);
      t.reject_unknown();
      check_oots_evidence_type(e, prefix + ": oots." + path);
      o.evidence_types.push_back(std::move(e));
    });
    for_each_table_in_array(*oots, "requesters", prefix + ": oots", [&](const toml::table& table, const std::string& path) {
      TableReader t(table, prefix + ": oots." + path);
      OotsRequesterConfig q;
      q.agent = t.string("agent", "", true);
      q.name = t.string("name", "", true);
      q.country = t.string("country", "", true);
      q.parties = t.strings("parties", true);
      t.reject_unknown();
      if (q.country.size() != 2) throw ConfigError(prefix + ": oots." + path + ".country must be two letters (ISO 3166-1)");
      o.requesters.push_back(std::move(q));
    });
    check_oots_evidence_types(o.evidence_types);
  }
  if (const toml::table* locating = subtable(root, "locating", origin)) {
    TableReader r(*locating, prefix + ": locating");
    const std::string population = r.string("data", "");
    if (!population.empty()) config.locating.population = resolve(base, population);
    config.locating.location_cache = r.millis("location_cache_ms", config.locating.location_cache, 0, 86'400'000);
    r.reject_unknown();
  }
  for_each_table_in_array(root, "authorities", origin, [&](const toml::table& table, const std::string& path) {
    TableReader r(table, prefix + ": " + path);
    AuthorityConfig a;
    a.kennung = r.string("kennung", "", true);
    a.name = r.string("name", a.kennung);
    for (const auto& file : r.strings("certificates", true)) a.certificates.push_back(resolve(base, file));
    r.reject_unknown();
    config.authorities.push_back(std::move(a));
  });
  for_each_table_in_array(root, "authority_groups", origin, [&](const toml::table& table, const std::string& path) {
    TableReader r(table, prefix + ": " + path);
    AuthorityGroupConfig g;
    g.name = r.string("name", "", true);
    g.members = r.strings("members", true);
    r.reject_unknown();
    config.authority_groups.push_back(std::move(g));
  });
  if (const toml::table* dsc = subtable(root, "dsc", origin)) {
    TableReader r(*dsc, prefix + ": dsc");
    config.dsc.enabled = r.boolean("enabled", false);
    config.dsc.parties = r.strings("parties", config.dsc.enabled);
    config.dsc.legal_basis = r.string("legal_basis", config.dsc.legal_basis);
    config.dsc.purpose = r.string("purpose", config.dsc.purpose);
    r.reject_unknown();
    if (config.dsc.enabled && config.dsc.parties.empty()) throw ConfigError(prefix + ": dsc.parties must name the DSC's kennung");
  }
  if (const toml::table* cluster = subtable(root, "cluster", origin)) {
    auto& c = config.cluster;
    TableReader r(*cluster, prefix + ": cluster");
    c.enabled = true;
    c.node = r.string("node", "", true);
    c.store = r.string("store", c.store);
    if (const auto colon = c.store.rfind(':'); colon == std::string::npos || colon == 0 ||
                                               c.store.find_first_not_of("0123456789", colon + 1) != std::string::npos ||
                                               colon + 1 == c.store.size()) {
      throw ConfigError(prefix + ": cluster.store must be host:port (127.0.0.1:6379)");
    }
    c.store_user = r.string("store_user", "");
    c.store_password_file = resolve(base, r.string("store_password_file", "", true));
    c.key_prefix = r.string("key_prefix", c.key_prefix);
    c.store_timeout = r.millis("store_timeout_ms", c.store_timeout, 1, 60'000);
    c.when_store_unavailable = r.string("when_store_unavailable", c.when_store_unavailable);
    if (c.when_store_unavailable != "refuse" && c.when_store_unavailable != "local") {
      throw ConfigError(prefix + ": cluster.when_store_unavailable must be \"refuse\" or \"local\"");
    }
    // The name travels in the Datencockpit's cursors and answers.
    if (c.node.size() > 64 || c.node.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != std::string::npos) {
      throw ConfigError(prefix + ": cluster.node must be at most 64 letters, digits, '.', '_' or '-'");
    }
    const auto* peer = config.listener("peer");
    c.peer_certificate = resolve(base, r.string("peer_certificate", "", peer != nullptr));
    c.peer_key = resolve(base, r.string("peer_key", "", peer != nullptr));
    c.peer_ca = resolve(base, r.string("peer_ca", peer != nullptr ? peer->client_ca.string() : std::string()));
    for (const auto& client : r.strings("peer_clients", false)) c.peer_clients.push_back(resolve(base, client));
    if (c.peer_clients.empty() && !c.peer_certificate.empty()) c.peer_clients.push_back(c.peer_certificate);
    c.peer_address = r.string("peer_address", peer != nullptr ? peer->address : std::string());
    if (peer != nullptr && (c.peer_address == "0.0.0.0" || c.peer_address == "::" || c.peer_address.empty())) {
      throw ConfigError(prefix + ": cluster.peer_address must be the address the other nodes reach [listeners.peer] at "
                                 "(the listener listens on every address)");
    }
    c.peer_timeout = r.millis("peer_timeout_ms", c.peer_timeout, 10, 10'000);
    r.reject_unknown();
  }
  if (const toml::table* catalogue = subtable(root, "catalogue", origin)) {
    auto& c = config.catalogue;
    TableReader r(*catalogue, prefix + ": catalogue");
    c.supervisory_authority_de = r.string("supervisory_authority_de", "");
    c.supervisory_authority_en = r.string("supervisory_authority_en", "");
    for (const char* list : {"evidence_types", "purposes", "legal_bases", "fields", "contacts"}) r.accept(list);
    const auto entries = [&](const char* list, std::vector<CatalogueEntry>& out) {
      std::set<std::string> codes;
      for_each_table_in_array(*catalogue, list, prefix + ": catalogue", [&](const toml::table& table, const std::string& path) {
        TableReader e(table, prefix + ": catalogue." + path);
        CatalogueEntry entry;
        entry.code = e.string("code", "", true);
        entry.de = e.string("de", "", true);
        entry.en = e.string("en", "", true);
        entry.phrase_de = e.string("phrase_de", "");
        entry.phrase_en = e.string("phrase_en", "");
        e.reject_unknown();
        if (!codes.insert(entry.code).second) throw ConfigError(prefix + ": catalogue." + list + " names '" + entry.code + "' twice");
        out.push_back(std::move(entry));
      });
    };
    entries("evidence_types", c.evidence_types);
    entries("purposes", c.purposes);
    entries("legal_bases", c.legal_bases);
    entries("fields", c.fields);
    for_each_table_in_array(*catalogue, "contacts", prefix + ": catalogue", [&](const toml::table& table, const std::string& path) {
      TableReader e(table, prefix + ": catalogue." + path);
      c.contacts.push_back({e.string("kennung", "", true), e.string("de", "", true), e.string("en", "", true)});
      e.reject_unknown();
    });
    r.reject_unknown();
  }
  for_each_table_in_array(root, "permissions", origin, [&](const toml::table& table, const std::string& path) {
    TableReader r(table, prefix + ": " + path);
    PermissionConfig p;
    p.id = r.string("id", "", true);
    p.authorities = r.strings("authorities", true);
    p.evidence_types = r.strings("evidence_types", true);
    p.purposes = r.strings("purposes", true);
    p.legal_bases = r.strings("legal_bases", true);
    p.consent_required = r.boolean("consent_required", false);
    p.preview_required = r.boolean("preview_required", false);
    p.citizen_visible = r.boolean("citizen_visible", true);
    p.citizen_visible_after_days = static_cast<unsigned>(r.integer("citizen_visible_after_days", 0, 0, 36'500));
    p.withholding_basis = r.string("withholding_basis", "");
    check_withholding(p, prefix + ": " + path);
    r.reject_unknown();
    config.permissions.push_back(std::move(p));
  });
  if (const auto* peer = config.listener("peer"); peer != nullptr && (!config.cluster.enabled || !config.datacockpit.enabled)) {
    throw ConfigError(prefix + ": [listeners.peer] serves the Datencockpit of a cluster's other nodes: it needs [cluster] and "
                               "[datacockpit] enabled = true");
  }
  return config;
}

GatewayConfig load_config_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ConfigError("cannot read configuration file '" + file.string() + "'");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), file.string());
}

}  // namespace oncegate::config
