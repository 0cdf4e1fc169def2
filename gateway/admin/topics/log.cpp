#include "gateway/admin/context.hpp"
#include "gateway/common/time.hpp"
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

// Topic: the transfer log: tree heads, verification, backup.

namespace oncegate::admin {

namespace json = boost::json;

void register_log_routes(const std::shared_ptr<AdminContext>& context, net::Router& router) {
  router.add("GET", "/admin/v1/log/head", guarded(context, "observer", "log.head", false, [context](const ApiKey&, const net::HttpRequest&, const net::ConnectionInfo&, net::Responder respond) {
    const auto head = context->log.latest_head();
    if (!head) return respond(json_response(404, json::object{{"error", "no tree head yet"}}));
    respond(json_response(200, head_json(*head)));
  }));
  router.add("POST", "/admin/v1/log/head", guarded(context, "admin", "log.issue_head", true, [context](const ApiKey&, const net::HttpRequest&, const net::ConnectionInfo&, net::Responder respond) {
    context->log.request_head([respond](const log::TreeHead& head) { respond(json_response(200, head_json(head))); });
  }));
  // Backups go to <backup_dir>/<timestamp>; the operator copies them off the machine.
  router.add("POST", "/admin/v1/log/backup", guarded(context, "admin", "log.backup", true, [context](const ApiKey& key, const net::HttpRequest&, const net::ConnectionInfo& connection, net::Responder respond) {
    const std::string who = key.name;
    boost::asio::post(context->jobs, [context, who, peer = connection.peer_address, respond] {
      const auto target = context->options.backup_dir / std::to_string(common::now_ms());
      try {
        std::filesystem::create_directories(context->options.backup_dir);
        context->log.backup(target.string());
        context->audit_best_effort(who, "log.backup", "written to " + target.string(), peer);
        respond(json_response(200, json::object{{"directory", target.string()}, {"log_size", context->log.size()}}));
      } catch (const std::exception& error) {
        context->audit_best_effort(who, "log.backup", std::string("failed: ") + error.what(), peer);
        respond(json_response(500, json::object{{"error", "backup failed; see the audit trail"}}));
      }
    });
  }));
  router.add("POST", "/admin/v1/log/verify", guarded(context, "admin", "log.verify", true, [context](const ApiKey& key, const net::HttpRequest&, const net::ConnectionInfo& connection, net::Responder respond) {
    const std::string who = key.name;
    boost::asio::post(context->jobs, [context, who, peer = connection.peer_address, respond] {
      const auto report = context->log.verify(context->options.verify_head);
      context->audit_best_effort(who, "log.verify", report.ok ? "consistent" : "INCONSISTENT: " + report.first_problem, peer);
      respond(json_response(200, json::object{{"ok", report.ok}, {"records", report.records}, {"purged", report.purged},
                                              {"heads", report.heads}, {"first_problem", report.first_problem}}));
    });
  }));

}

}  // namespace oncegate::admin
