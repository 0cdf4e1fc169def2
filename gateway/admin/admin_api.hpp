#pragma once
// The operators' admin endpoint (separate listener, localhost by default): API keys with a role,
// an audit trail of every change and every refusal, health and the transfer log's operations.
// Registers its routes under /admin/v1/.
//
// API keys are stored only as SHA-256 hashes and compared in constant time; operators may use a
// registered TLS client certificate instead. Roles: "observer" (read-only) and "admin". Changes
// run on the admin module's own job thread, never on an I/O thread, one after the other.
// Thread safety: handlers may run concurrently.

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gateway/runtime/management.hpp"
#include "gateway/log/transfer_log.hpp"
#include "gateway/net/http.hpp"

namespace oncegate::admin {

using runtime::Management;
using runtime::ManagementResult;
using runtime::RemoveOptions;


struct ApiKey {
  std::string name;         // who, for the audit trail
  std::string role;         // "observer" or "admin"
  std::string sha256_hex;   // SHA-256 of the key, lower-case hex
};

// An operator who authenticates with a TLS client certificate instead of an API key (the admin
// listener must then ask for client certificates: client_ca in its listener configuration).
struct OperatorCertificate {
  std::string name;
  std::string role;         // "observer" or "admin"
  std::string fingerprint;  // SHA-256 of the certificate's DER form, lower-case hex
};

struct AdminOptions {
  std::vector<ApiKey> keys;
  std::vector<OperatorCertificate> operators;
  // Runtime changes (adapters, routes, authorities, permissions, signing key, reload); null: the
  // management routes answer 404.
  std::shared_ptr<Management> management;
  std::filesystem::path audit_file;  // JSON lines, appended and synced
  std::filesystem::path backup_dir;  // backups go to <backup_dir>/<time ms>/ (log/ and files/)
  // Files and directories copied into each backup beside the log (missing ones are skipped and
  // named in the manifest).
  std::vector<std::filesystem::path> backup_files;
  log::HeadVerifier verify_head;     // checks tree-head signatures (gateway certificate)
  std::function<bool()> ready;       // readiness beyond the log (keys loaded, ...)
  // A cluster node's part of readiness: adds what it knows to the body (the shared store) and
  // clears `ready` when the node must not take requests. Null: one node.
  std::function<void(boost::json::object& body, bool& ready)> cluster_readiness;
  // Drain: while on, readiness is 503 ("draining": true) and the node serves on, so that a load
  // balancer moves its traffic away before a stop. Null: no drain routes.
  std::function<bool()> draining;
  std::function<void(bool)> set_draining;
  std::function<std::string()> metrics;  // Prometheus text for /admin/v1/metrics
};

// Reads [{"name":..,"role":..,"sha256":..}, ...]. Throws std::runtime_error.
[[nodiscard]] std::vector<ApiKey> load_api_keys(const std::filesystem::path& file);
// The same on the file's text already read (`file` names it in errors).
[[nodiscard]] std::vector<ApiKey> parse_api_keys(const std::string& text, const std::filesystem::path& file);

// Demo material: an admin and an observer key (written as <dir>/admin-api-key and
// <dir>/observer-api-key, mode 0600) and the keys file with their hashes, unless present.
void ensure_demo_api_keys(const std::filesystem::path& demo_directory, const std::filesystem::path& keys_file);

class AdminApi : public std::enable_shared_from_this<AdminApi> {
 public:
  AdminApi(AdminOptions options, log::TransferLog& log);
  ~AdminApi();

  // Registers every admin route, then GET /admin/v1/ listing them (observer role).
  void register_routes(net::Router& router) const;
  // The load balancer's probes on [listeners.health], without credentials: GET /readyz (200 or
  // 503, {"ready", "draining"} and nothing else) and GET /healthz.
  void register_probe_routes(net::Router& router) const;
  // The admin listener's answers for requests no route takes (unknown path, wrong method, ...):
  // JSON with what was wrong and what to do.
  [[nodiscard]] static net::HttpResponse render_failure(net::HttpFailure failure);
  // SIGHUP: reloads the configuration like POST /admin/v1/reload, on the job thread; audited as
  // "SIGHUP".
  void reload_from_signal() const;
  // Waits for the job running now and drops queued ones; later jobs are not run. For shutdown.
  void stop() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace oncegate::admin
