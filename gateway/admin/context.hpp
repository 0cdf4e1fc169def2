#pragma once
// Internal to the admin module: what every topic's routes share. Who the operator is (API key or
// client certificate), whether their role allows the action, the audit trail, the job thread for
// long operations and changes.

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/thread_pool.hpp>
#include <boost/json.hpp>

#include "gateway/admin/admin_api.hpp"

namespace oncegate::admin {

[[nodiscard]] net::HttpResponse json_response(unsigned status, const boost::json::value& body);
// Item names in paths: adapter names, evidence types, kennungen ("psw:01003110"), rule ids. A
// small alphabet keeps them out of trouble in the audit trail, the overlay file and logs.
[[nodiscard]] bool is_item_name(std::string_view name);
inline constexpr const char* kBadName =
    "name the item in the path: 1-128 characters of A-Z a-z 0-9 - _ . : @ (percent-encoding allowed)";
// An empty body is {}; false when the body is not JSON.
[[nodiscard]] bool parse_body(const net::HttpRequest& request, boost::json::value& out);
[[nodiscard]] boost::json::object head_json(const log::TreeHead& head);

struct AdminContext {
  AdminOptions options;
  log::TransferLog& log;
  std::mutex audit_mutex;
  boost::asio::thread_pool jobs{1};  // long operations and changes never run on I/O threads

  AdminContext(AdminOptions o, log::TransferLog& l) : options(std::move(o)), log(l) {}
  ~AdminContext() { jobs.join(); }

  // The operator behind the request: a registered client certificate, else an API key; the key's
  // entry is found without timing differences between keys or between hash prefixes.
  [[nodiscard]] std::optional<ApiKey> authenticate(const net::HttpRequest& request,
                                                   const net::ConnectionInfo& connection) const;
  // The operator when they may do `action` with `role_needed`; otherwise the refusal is audited
  // and answered (401 unknown, 403 role too weak) and nullopt returned.
  [[nodiscard]] std::optional<ApiKey> authorise(const std::string& role_needed, const std::string& action,
                                                const net::HttpRequest& request, const net::ConnectionInfo& connection,
                                                const net::Responder& respond);
  // Appends one line and fsyncs it. `peer` is the connection's own address (never a header the
  // client chose). False when the line could not be written durably: callers that change
  // something must then refuse the change.
  [[nodiscard]] bool audit(const std::string& who, const std::string& action, const std::string& result,
                           const std::string& peer);
  // A refusal or a read: audited when possible; a line that cannot be written is reported in the
  // operation log (by audit()) and does not change the answer.
  void audit_best_effort(const std::string& who, const std::string& action, const std::string& result,
                         const std::string& peer);
  [[nodiscard]] static net::HttpResponse audit_unavailable();
  // "applied", or "refused (400): <reason>", for the audit trail.
  [[nodiscard]] static std::string outcome_of(const ManagementResult& result);
};

using Action = std::function<void(const ApiKey&, const net::HttpRequest&, const net::ConnectionInfo&, net::Responder)>;

// A route for an authenticated operator: 401 for an unknown key, 403 for a role too weak;
// refusals and (with `changes`) the accepted action go to the audit trail first.
[[nodiscard]] net::Handler guarded(std::shared_ptr<AdminContext> context, std::string role_needed, std::string action,
                                   bool changes, Action act);

// A change on the job thread: "requested" audited first (503 when that cannot be written, and
// nothing changes), then the change, then its outcome.
void run_change(const std::shared_ptr<AdminContext>& context, const ApiKey& key, const net::ConnectionInfo& connection,
                std::string action, std::string target, std::function<ManagementResult(Management&)> change,
                net::Responder respond);

// One file per topic (topics/).
void register_health_routes(const std::shared_ptr<AdminContext>& context, net::Router& router);
void register_probe_routes(const std::shared_ptr<AdminContext>& context, net::Router& router);
void register_log_routes(const std::shared_ptr<AdminContext>& context, net::Router& router);
void register_management_routes(const std::shared_ptr<AdminContext>& context, net::Router& router);

}  // namespace oncegate::admin
