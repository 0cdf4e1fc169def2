#include "gateway/admin/context.hpp"
#include "gateway/common/files.hpp"
#include "gateway/common/url.hpp"
#include "gateway/crypto/crypto.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json.hpp>

#include "gateway/oplog/oplog.hpp"

#include "gateway/common/time.hpp"

namespace oncegate::admin {

namespace json = boost::json;

net::HttpResponse json_response(unsigned status, const json::value& body) {
  return net::json_text_response(status, json::serialize(body));
}

bool is_item_name(std::string_view name) {
  return !name.empty() && name.size() <= 128 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.' || c == ':' || c == '@';
  });
}

bool parse_body(const net::HttpRequest& request, json::value& out) {
  if (request.body.empty()) {
    out = json::object{};
    return true;
  }
  boost::system::error_code ec;
  out = json::parse(request.body, ec);
  return !ec;
}

json::object head_json(const log::TreeHead& head) {
  json::object out{{"size", head.size}, {"root", head.root_hex}, {"time_ms", head.time_ms}};
  if (head.is_checkpoint()) out["checkpoint"] = head.checkpoint;  // the signed note, as /log/v1/checkpoint serves it
  else out["signature"] = head.signature;
  return out;
}


// The operator behind the request: a registered client certificate, else an API key; the key's
// entry is found without timing differences between keys or between hash prefixes.
std::optional<ApiKey> AdminContext::authenticate(const net::HttpRequest& request, const net::ConnectionInfo& connection) const {
  if (!connection.peer_certificate_fingerprint.empty()) {
    for (const auto& op : options.operators) {
      if (op.fingerprint == connection.peer_certificate_fingerprint) return ApiKey{op.name, op.role, {}};
    }
  }
  const std::string_view header = request.header("authorization");
  if (!header.starts_with("Bearer ")) return std::nullopt;
  const std::string presented = crypto::sha256_hex(header.substr(7));
  const ApiKey* match = nullptr;
  for (const auto& key : options.keys) {
    if (crypto::constant_time_equal(key.sha256_hex, presented)) match = &key;
  }
  if (match == nullptr) return std::nullopt;
  return *match;
}

// The operator behind the request when they may do `action` with `role_needed`; otherwise the
// refusal is audited and answered (401 unknown, 403 role too weak) and nullopt returned.
std::optional<ApiKey> AdminContext::authorise(const std::string& role_needed, const std::string& action,
                                            const net::HttpRequest& request, const net::ConnectionInfo& connection,
                                            const net::Responder& respond) {
  const auto key = authenticate(request, connection);
  if (!key) {
    audit_best_effort("unknown", action, "refused: unknown API key", connection.peer_address);
    // Says which of the two ways failed, so the operator knows what to fix.
    std::string text;
    const bool bearer = request.header("authorization").starts_with("Bearer ");
    if (bearer) {
      text = "the API key is not known (revoked, or from another gateway): use a key from the admin key file "
             "(oncegate init prints the first one)";
    } else if (!connection.peer_certificate_fingerprint.empty()) {
      text = "this TLS client certificate (SHA-256 " + connection.peer_certificate_fingerprint.substr(0, 16) +
             "...) is not registered as an operator: add its fingerprint to [[admin.operators]], or send an API "
             "key (Authorization: Bearer ...)";
    } else {
      text = "authenticate with an operator certificate registered in [[admin.operators]] or with an API key "
             "(Authorization: Bearer ...)";
    }
    respond(json_response(401, json::object{{"error", text}}));
    return std::nullopt;
  }
  if (role_needed == "admin" && key->role != "admin") {
    audit_best_effort(key->name, action, "refused: role " + key->role, connection.peer_address);
    respond(json_response(403, json::object{{"error", "this needs the admin role"}}));
    return std::nullopt;
  }
  return key;
}

// "applied", or "refused (400): <reason>", for the audit trail.
std::string AdminContext::outcome_of(const ManagementResult& result) {
  if (result.status == 200) return "applied";
  std::string outcome = "refused (" + std::to_string(result.status) + ")";
  if (result.body.is_object()) {
    if (const auto* e = result.body.as_object().if_contains("error"); e && e->is_string()) {
      outcome += ": " + std::string(e->as_string());
    }
  }
  return outcome;
}

// Appends one line and fsyncs it. `peer` is the connection's own address (never a header the
// client chose). False when the line could not be written durably: callers that change
// something must then refuse the change.
bool AdminContext::audit(const std::string& who, const std::string& action, const std::string& result,
                       const std::string& peer) {
  const std::string line = json::serialize(json::object{{"time_ms", common::now_ms()}, {"who", who}, {"action", action},
                                                        {"result", result}, {"peer", peer}}) + "\n";
  std::lock_guard lock(audit_mutex);
  const int fd = ::open(options.audit_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  bool durable = fd >= 0 && ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                 ::fsync(fd) == 0;
  if (fd >= 0) durable = ::close(fd) == 0 && durable;
  if (!durable) {
    oplog::write(oplog::Level::error, "audit_unwritable",
                 {{"file", options.audit_file.string()}, {"who", who}, {"action", action}, {"result", result}});
  }
  return durable;
}

// A refusal or a read: audited when possible; a line that cannot be written is reported in the
// operation log (by audit()) and does not change the answer.
void AdminContext::audit_best_effort(const std::string& who, const std::string& action, const std::string& result,
                                   const std::string& peer) {
  (void)audit(who, action, result, peer);
}

net::HttpResponse AdminContext::audit_unavailable() {
  return json_response(503, json::object{{"error", "the audit trail cannot be written; nothing was changed"}});
}

net::Handler guarded(std::shared_ptr<AdminContext> context, std::string role_needed, std::string action, bool changes,
                     Action act) {
  return [context, role_needed, action, changes, act](net::HttpRequest request, const net::ConnectionInfo& connection,
                                                      boost::asio::any_io_executor, net::Responder respond) {
    const auto key = context->authorise(role_needed, action, request, connection, respond);
    if (!key) return;
    // Nothing that changes state happens without its audit line on disk.
    if (changes && !context->audit(key->name, action, "accepted", connection.peer_address)) {
      return respond(AdminContext::audit_unavailable());
    }
    act(*key, request, connection, std::move(respond));
  };
}

void run_change(const std::shared_ptr<AdminContext>& context, const ApiKey& key, const net::ConnectionInfo& connection,
                std::string action, std::string target, std::function<ManagementResult(Management&)> change,
                net::Responder respond) {
  boost::asio::post(context->jobs, [context, who = key.name, peer = connection.peer_address, action = std::move(action),
                                    target = std::move(target), change = std::move(change), respond] {
    const std::string what = action + (target.empty() ? "" : " " + target);
    // The attempt is on disk before anything changes; an audit trail that cannot be written
    // refuses the change.
    if (!context->audit(who, what, "requested", peer)) return respond(AdminContext::audit_unavailable());
    const ManagementResult result = change(*context->options.management);
    context->audit_best_effort(who, what, AdminContext::outcome_of(result), peer);
    respond(json_response(result.status, result.body));
  });
}

}  // namespace oncegate::admin
