#include "gateway/admin/context.hpp"
#include "gateway/common/time.hpp"
#include "gateway/common/files.hpp"
#include "gateway/common/url.hpp"
#include "gateway/crypto/crypto.hpp"

#include <fcntl.h>
#include <sys/stat.h>
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

namespace {

// Copies each file (or directory, file by file) into <target>/files/ under its own name, mode
// 0600, and says where it belongs and its SHA-256 (so that a restore can be checked). A missing
// one is listed as such: a configuration without certificate operators has no key file.
json::array back_up_files(const std::vector<std::filesystem::path>& sources, const std::filesystem::path& target) {
  json::array out;
  const auto copy_one = [&](const std::filesystem::path& source, const std::filesystem::path& name) {
    const std::string content = common::read_file(source, "file to back up");
    common::write_file_atomically(target / "files" / name, content, true);
    out.push_back(json::object{{"name", name.string()}, {"path", source.string()}, {"sha256", crypto::sha256_hex(content)}});
  };
  for (const auto& source : sources) {
    std::error_code ec;
    if (std::filesystem::is_directory(source, ec)) {
      for (const auto& entry : std::filesystem::recursive_directory_iterator(source)) {
        if (entry.is_regular_file()) copy_one(entry.path(), source.filename() / std::filesystem::relative(entry.path(), source));
      }
    } else if (std::filesystem::exists(source, ec)) {
      copy_one(source, source.filename());
    } else {
      out.push_back(json::object{{"name", source.filename().string()}, {"path", source.string()}, {"missing", true}});
    }
  }
  return out;
}

}  // namespace

void register_log_routes(const std::shared_ptr<AdminContext>& context, net::Router& router) {
  router.add("GET", "/admin/v1/log/head", guarded(context, "observer", "log.head", false, [context](const ApiKey&, const net::HttpRequest&, const net::ConnectionInfo&, net::Responder respond) {
    const auto head = context->log.latest_head();
    if (!head) return respond(json_response(404, json::object{{"error", "no tree head yet"}}));
    respond(json_response(200, head_json(*head)));
  }));
  router.add("POST", "/admin/v1/log/head", guarded(context, "admin", "log.issue_head", true, [context](const ApiKey&, const net::HttpRequest&, const net::ConnectionInfo&, net::Responder respond) {
    context->log.request_head([respond](const log::TreeHead& head) { respond(json_response(200, head_json(head))); });
  }));
  // Backups go to <backup_dir>/<timestamp>/: log/ (a consistent RocksDB checkpoint), files/ (the
  // secrets, keys, audit trail and admin changes, mode 0600) and manifest.json (where each file
  // belongs, its SHA-256). The operator copies them off the machine.
  router.add("POST", "/admin/v1/log/backup", guarded(context, "admin", "log.backup", true, [context](const ApiKey& key, const net::HttpRequest&, const net::ConnectionInfo& connection, net::Responder respond) {
    const std::string who = key.name;
    boost::asio::post(context->jobs, [context, who, peer = connection.peer_address, respond] {
      const auto target = context->options.backup_dir / std::to_string(common::now_ms());
      try {
        std::filesystem::create_directories(target);
        ::chmod(target.c_str(), 0700);
        context->log.backup((target / "log").string());
        const json::array files = back_up_files(context->options.backup_files, target);
        common::write_file_atomically(target / "manifest.json",
                                      json::serialize(json::object{{"format", "oncegate-backup/1"},
                                                                   {"log_size", context->log.size()},
                                                                   {"files", files}}) + "\n",
                                      true);
        context->audit_best_effort(who, "log.backup", "written to " + target.string(), peer);
        respond(json_response(200, json::object{{"directory", target.string()}, {"log_size", context->log.size()},
                                                {"files", files}}));
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
