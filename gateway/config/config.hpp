#pragma once
// The gateway configuration (TOML). This module is the only one that includes the TOML parser.
//
// Every field states its default. Relative paths are resolved against gateway.data_dir, which is
// itself resolved against the working directory.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace oncegate::config {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ListenerConfig {
  std::string name;                  // table name, e.g. "evidence"
  std::string address = "127.0.0.1";
  std::uint16_t port = 8443;         // 0: pick a free port, see <data_dir>/ports.json
  std::filesystem::path certificate;   // PEM chain. Required.
  std::filesystem::path private_key;   // PEM. Required.
  std::filesystem::path client_ca;     // PEM bundle; empty: no client certificates. Default empty.
  // Demand a client certificate in the handshake. Default: true for "evidence" (where it must be
  // true), false elsewhere.
  bool require_client_certificate = false;
  std::size_t header_limit = 16 * 1024;  // at most 65,000 (one field must fit Beast's storage)
  std::size_t body_limit = 256 * 1024;
  std::chrono::milliseconds handshake_timeout{10'000};
  std::chrono::milliseconds read_timeout{30'000};
  std::chrono::milliseconds write_timeout{30'000};
  std::size_t max_connections = 1024;
  // Abuse limits (0 switches one off). Defaults by listener: evidence / cockpit / admin.
  std::size_t per_source_connections = 0;       // 256 / 32 / 16 concurrent connections of one source
  std::size_t per_source_handshakes = 0;        // 32 / 16 / 8 TLS handshakes in flight of one source
  std::size_t handshakes_in_flight = 0;         // 256 / 128 / 32 on the whole listener
  std::size_t per_source_requests_per_second = 0;  // 5000 / 50 / 50, token bucket
  std::size_t per_source_burst = 0;             // bucket size; default twice the rate
  std::size_t per_party_requests_per_second = 0;   // 5000 / 0 / 50, per client certificate
  std::size_t per_party_burst = 0;              // default twice the rate
  // Load balancers whose connections begin with a PROXY protocol v2 header (addresses, or
  // networks as a.b.c.d/n): the header names the real peer, which the limits, logs and the audit
  // trail then see. Connections from anywhere else are taken as they are. Default none.
  std::vector<std::string> proxy_protocol_from;
};

struct AdapterConfig {
  std::string name;
  std::string type;
  std::string register_name;  // default: the name
  bool enabled = true;        // false: routes to it answer REGISTER_UNAVAILABLE. Default true.
  // Every other key; the file settings data, ca, client_certificate and client_key are resolved
  // as paths.
  std::map<std::string, std::string> settings;

  bool operator==(const AdapterConfig&) const = default;
};

struct RouteConfig {
  std::string evidence_type;
  std::string region;  // default empty: any region
  std::string adapter;
};

struct TrustConfig {
  std::filesystem::path ca;                   // PEM bundle authority certificates chain to. Required.
  std::filesystem::path signing_key;          // the gateway's answer-signing key (PEM). Required.
  std::filesystem::path signing_certificate;  // its certificate (PEM). Required.
  std::chrono::milliseconds freshness_window{300'000};  // erstellungszeitpunkt tolerance. 5 min.
};

struct AuthorityConfig {
  std::string kennung;  // directory-service key, e.g. psw:01003110. Required.
  std::string name;     // default: the kennung
  std::vector<std::filesystem::path> certificates;  // PEM files; at least one
};

struct AuthorityGroupConfig {
  std::string name;
  std::vector<std::string> members;  // kennungen
};

struct PermissionConfig {
  std::string id;
  std::vector<std::string> authorities;  // kennung or "group:<name>"
  std::vector<std::string> evidence_types;
  std::vector<std::string> purposes;
  std::vector<std::string> legal_bases;
  bool consent_required = false;   // national: einwilligung = true; OOTS: ExplicitRequestGiven
  bool preview_required = false;   // OOTS: the evidence may go out only after a preview (not offered)
  // Transfers under this rule are shown to the citizen (Datencockpit, DSC, Auskunft) only after
  // this many days, or never (citizen_visible = false), for the reason in withholding_basis (the
  // legal basis, e.g. an investigation). The log records and proves them all the same.
  unsigned citizen_visible_after_days = 0;
  bool citizen_visible = true;
  std::string withholding_basis;   // required when either of the two above withholds
};

// OOTS evidence type -> national evidence type ([[oots.evidence_types]]).
struct OotsEvidenceTypeConfig {
  std::string id;  // 1..64 of [A-Za-z0-9._-], unique; the key in the admin API. Required.
  // An EvidenceTypeClassification, compared on its part after "evidencetypeclassifications/"
  // (e.g. "DE/ca8afed6-..."), so that the Semantic Repository's host may differ between
  // versions; or a requirement URI, compared whole. At least one of the two.
  std::string classification;
  std::string requirement;
  std::string subject = "natural";  // "natural" (NaturalPerson) or "legal" (LegalPerson)
  std::string evidence_type;        // national type, e.g. geburtsurkunde. Required.
  std::string title;                // of the evidence in answers; default: the evidence type
};

// An EU evidence requester and the parties that may speak for it ([[oots.requesters]]).
struct OotsRequesterConfig {
  std::string agent;    // "<EAS scheme>:<identifier>". Required.
  std::string name;     // Required.
  std::string country;  // ISO 3166-1 alpha-2. Required.
  std::vector<std::string> parties;  // kennungen of [[authorities]]. Required.
};

// The national Datenschutzcockpit's interface: POST /v1/dsc/protokolldaten on the evidence listener
// ([dsc], docs/DSC.md). The DSC is a registered party ([[authorities]]) named here; no other party
// may use the endpoint, and the DSC needs no permission rule (nor gets evidence through one).
struct DscConfig {
  bool enabled = false;
  std::vector<std::string> parties;         // kennung of the DSC (required when enabled)
  std::string legal_basis = "IDNrG § 10";   // recorded with every DSC query
  std::string purpose = "datenschutzcockpit";
};

// The EU once-only exchange: POST /v1/oots/query on the evidence listener.
struct OotsConfig {
  bool enabled = false;  // default off
  std::string legal_basis = "VO (EU) 2018/1724 Art. 14";  // what permission rules name for OOTS requests
  // The gateway as evidence provider (and error provider) in answers.
  std::string provider_scheme = "urn:cef.eu:names:identifier:EAS:9930";
  std::string provider_id;       // required when enabled
  std::string provider_name;     // default: gateway.name
  std::string provider_country = "DE";
  std::vector<OotsEvidenceTypeConfig> evidence_types;
  std::vector<OotsRequesterConfig> requesters;
};

// The national services that find a person without being told where.
struct LocatingConfig {
  // The sample identity-data retrieval and register-location service read this population file
  // (the embedded registers' data; key "data"). Default empty: none; OOTS requests for natural persons are
  // then not found, and regional evidence needs a region.
  std::filesystem::path population;
  std::chrono::milliseconds location_cache{60'000};  // per person (pseudonym); 0: no cache
};

// A witness the log submits its checkpoints to ([[log.witnesses]]).
struct LogWitnessConfig {
  std::string vkey;                 // its cosignature key (vkey text, type 0x04) ...
  std::filesystem::path vkey_file;  // ... or a file holding it
  std::string url;                  // https://host:port/prefix/ (add-checkpoint appended) ...
  std::filesystem::path ca;         // ... and the CA its TLS certificate chains to
  bool local = false;               // or: the demo witness in this process ([demo_witness])
};

struct LogConfig {
  std::filesystem::path directory = "log";     // RocksDB directory. Default <data_dir>/log.
  bool sync = true;                            // fsync before an answer leaves. Default true.
  // File with the secret for the IDNr pseudonyms (HMAC-SHA-256), at least 32 bytes. Generated
  // with the demo material; must exist otherwise. Default <data_dir>/pseudonym.secret.
  std::filesystem::path pseudonym_secret = "pseudonym.secret";
  std::uint64_t head_every_records = 1000;     // a checkpoint after this many records
  std::chrono::milliseconds head_every{1000};  // ... or after this long while records arrive. Default 1 s.
  // How long an answer waits for its record to be durable before it is LOG_UNAVAILABLE. Default 5 s.
  std::chrono::milliseconds deadline{5000};
  // How long a small batch waits for more records under concurrent load. Default 1000 us.
  std::chrono::microseconds commit_window{1000};
  unsigned retention_days = 730;               // IDNrG § 9: two years, then deleted
  // The published log (docs/TRANSPARENCY.md): its checkpoint origin and its Ed25519 key (PKCS#8
  // PEM, e.g. `openssl genpkey -algorithm ed25519`), generated with the demo material. A new key
  // must come with a new origin: witnesses pin a key per origin.
  std::string origin;                          // required
  std::filesystem::path key = "log-key.pem";
  std::vector<LogWitnessConfig> witnesses;     // [[log.witnesses]]
  std::size_t witness_quorum = 0;              // cosignatures a checkpoint needs before it is served
};

struct DatacockpitConfig {
  bool enabled = false;                 // serve /cockpit/ on [listeners.cockpit]. Default off.
  // The OpenID provider (BundID, an eID service): discovery at <issuer>/.well-known/openid-configuration.
  // Required when enabled, unless demo_idp (then the demo provider on the cockpit listener is it).
  std::string issuer;
  std::string client_id = "oncegate-datencockpit";
  std::filesystem::path client_secret_file;  // client_secret_basic; empty: a public client (PKCE)
  // Where citizens reach the cockpit ("https://host[:port]", no path): a load balancer's address
  // in a cluster. The default redirect URIs and the demo provider's issuer derive from it.
  // Default https://127.0.0.1:<cockpit port>.
  std::string public_url;
  std::string redirect_uri;             // default <public_url>/cockpit/callback
  std::string post_logout_redirect_uri; // default <public_url>/cockpit/
  std::vector<std::string> scopes{"openid"};
  std::vector<std::string> acr_values{"hoch"};  // requested, and the only ones accepted
  std::string idnr_claim = "idnr";      // "" with idnr_mapping
  std::filesystem::path idnr_mapping;   // JSON {"<sub>": "<IDNr>"} for providers that give only a subject
  std::filesystem::path ca;             // the provider's TLS CA bundle. Default the system's
  std::chrono::milliseconds clock_skew{60'000};
  std::chrono::milliseconds jwks_min_refresh{60'000};
  std::chrono::milliseconds session_ttl{900'000};  // 15 minutes, never beyond the ID token
  std::size_t max_sessions = 10'000;
  bool demo_idp = false;                // the demo identity provider; never in production
  std::filesystem::path demo_idp_key;   // its signing key (generated with the demo material)
};

// The words citizens read for the codes of the log ([catalogue]): evidence types, purposes, legal
// bases and data fields, each in German and English, and whom to ask or complain to. A code
// without an entry is shown as it is.
struct CatalogueEntry {
  std::string code;
  std::string de;
  std::string en;
  // Evidence types: the object in a sentence ("Ihre Geburtsurkunde", "your birth certificate").
  // Purposes: the aim ("Ihren Anspruch auf eine Sozialleistung zu prüfen", "check ...").
  std::string phrase_de;
  std::string phrase_en;
};

struct CatalogueContact {
  std::string kennung;  // the authority (or EU requester) it is for
  std::string de;       // its data-protection officer, how to reach them
  std::string en;
};

struct CatalogueConfig {
  std::vector<CatalogueEntry> evidence_types;
  std::vector<CatalogueEntry> purposes;
  std::vector<CatalogueEntry> legal_bases;
  std::vector<CatalogueEntry> fields;
  std::vector<CatalogueContact> contacts;
  std::string supervisory_authority_de;  // where to complain (the data-protection authority)
  std::string supervisory_authority_en;
};

// An operator who authenticates to the admin listener with a TLS client certificate
// ([[admin.operators]]; the admin listener needs client_ca).
struct OperatorConfig {
  std::string name;                    // for the audit trail. Required.
  std::string role;                    // "admin" or "observer". Required.
  std::filesystem::path certificate;   // PEM. Required.
};

struct AdminConfig {
  // JSON array of {"name","role","sha256"}: API keys as SHA-256 hashes. Default
  // <data_dir>/admin-keys.json (generated with the demo material).
  std::filesystem::path keys_file = "admin-keys.json";
  std::filesystem::path audit_file = "admin-audit.jsonl";  // the admin audit trail
  // Where POST /admin/v1/log/backup writes (<backup_dir>/<time ms>/). Default <data_dir>/backups;
  // in production another disk (the systemd unit allows /var/backups/oncegate).
  std::filesystem::path backup_dir = "backups";
  std::vector<OperatorConfig> operators;
};

struct DemoConfig {
  bool generate = false;           // default false; the embedded default sets it
  std::size_t population = 100'000;
  std::uint64_t seed = 20261126;
  // The sample register server inside the gateway (demo of a remote register). Default off.
  bool sample_register = false;
  std::string sample_register_kind = "meldebescheinigung";  // or "geburtsurkunde"
  std::string sample_register_region;                       // Regionalschlüssel prefix; empty: all
  std::uint16_t sample_register_port = 8444;                // 0: any free port
};

// A witness inside the gateway process, for the embedded default only: its own key and state
// under `directory`, on [listeners.witness], witnessing this gateway's log. A real witness is
// oncegate-witness, run by someone else.
struct DemoWitnessConfig {
  bool enabled = false;
  std::string name = "oncegate.localhost/witness/demo-1";
  std::filesystem::path directory = "demo-witness";
};

// Several nodes behind a load balancer (docs/SCALE-OUT.md): the shared store (Redis) and this
// node's name. Without [cluster] the gateway is one node with everything in process.
struct ClusterConfig {
  bool enabled = false;  // [cluster] is present
  std::string node;      // this node's name (operation log, admin API). Required.
  // The store's host:port: Redis itself on a private network, else stunnel's local end of a TLS
  // tunnel to it. Default 127.0.0.1:6379.
  std::string store = "127.0.0.1:6379";
  std::string store_user;                      // ACL user; empty: requirepass
  std::filesystem::path store_password_file;   // the password, 0600. Required.
  std::string key_prefix = "oncegate:";        // of every key (several clusters may share a store)
  std::chrono::milliseconds store_timeout{250};  // a command unanswered this long fails
  // "refuse": requests are refused with REPLAY_WINDOW_UNAVAILABLE and /readyz is 503 while the
  // store is unreachable (fail closed, the default); "local": the node goes on with its own
  // replay guard alone (a request could then be accepted once per node).
  std::string when_store_unavailable = "refuse";
  // The Datencockpit across the nodes' logs (docs/SCALE-OUT.md), on when [listeners.peer] exists:
  // each node asks the others on their peer listeners over mutual TLS. Which nodes there are,
  // and where, every node announces in the store.
  std::filesystem::path peer_certificate;  // the client certificate this node presents (PEM). Required then.
  std::filesystem::path peer_key;          // its key. Required then.
  std::filesystem::path peer_ca;           // what the others' peer listeners chain to; default listeners.peer.client_ca
  // The certificates whose holders may ask this node (the nodes' peer certificates); default
  // this node's own peer_certificate (every node presenting the same one).
  std::vector<std::filesystem::path> peer_clients;
  std::string peer_address;                // where the others reach this node's peer listener; default its address
  std::chrono::milliseconds peer_timeout{400};  // a node that has not answered by then is named as not answering
};

struct GatewayConfig {
  std::filesystem::path data_dir = "./var";
  std::string verzeichnisdienst = "dvdv";
  std::string kennung;             // required
  std::string name;
  unsigned io_threads = 0;         // 0: one per core
  std::chrono::milliseconds adapter_deadline{3000};
  std::chrono::milliseconds shutdown_grace{10'000};
  // On SIGTERM: serve on this long with readiness 503 (a load balancer stops sending), then stop.
  // 0: stop at once. Default 0.
  std::chrono::milliseconds drain{0};
  std::vector<ListenerConfig> listeners;  // "evidence" (required), "admin", "cockpit", "log", "witness", "health", "peer"
  std::vector<AdapterConfig> adapters;
  std::vector<RouteConfig> routes;
  TrustConfig trust;
  std::vector<AuthorityConfig> authorities;
  std::vector<AuthorityGroupConfig> authority_groups;
  std::vector<PermissionConfig> permissions;  // empty: every request is refused (NOT_PERMITTED)
  LogConfig log;
  OotsConfig oots;
  LocatingConfig locating;
  DatacockpitConfig datacockpit;
  CatalogueConfig catalogue;
  DscConfig dsc;
  AdminConfig admin;  // used when [listeners.admin] exists
  DemoConfig demo;
  DemoWitnessConfig demo_witness;
  ClusterConfig cluster;

  [[nodiscard]] const ListenerConfig* listener(std::string_view name) const noexcept;
};

// Throws ConfigError (naming `where`) unless the mapping is complete: an id, a classification or
// a requirement, subject "natural" or "legal", an evidence type. The one check, for the file and
// the admin API.
void check_oots_evidence_type(const OotsEvidenceTypeConfig& mapping, const std::string& where);
// Throws ConfigError when two mappings share an id. (Two mappings of the same classification or
// requirement are refused when the EU pipeline is built: exchange::OotsEvidenceTypes.)
void check_oots_evidence_types(const std::vector<OotsEvidenceTypeConfig>& mappings);

// Throws ConfigError when a permission withholds transfers from the citizen without naming the
// legal basis for it, or names one without withholding anything.
void check_withholding(const PermissionConfig& permission, const std::string& where);

// Adapter settings that name files (relative paths are resolved against the data directory):
// data, ca, client_certificate, client_key. The one list of them.
[[nodiscard]] bool is_file_setting(std::string_view key) noexcept;

// Parses TOML text. `origin` names the source in error messages. Throws ConfigError with the
// offending key on anything missing, mistyped or out of range.
[[nodiscard]] GatewayConfig parse_config(std::string_view text, std::string_view origin);
[[nodiscard]] GatewayConfig load_config_file(const std::filesystem::path& file);

// The embedded default (config/oncegate.default.toml, compiled in).
[[nodiscard]] std::string_view embedded_default_config() noexcept;

}  // namespace oncegate::config
