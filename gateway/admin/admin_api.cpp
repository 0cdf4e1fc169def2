#include "gateway/admin/admin_api.hpp"
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

namespace oncegate::admin {

namespace json = boost::json;

namespace {

net::HttpResponse json_response(unsigned status, const json::value& body) {
  return net::json_text_response(status, json::serialize(body));
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Item names in paths: adapter names, evidence types, kennungen ("psw:01003110"), rule ids. A
// small alphabet keeps them out of trouble in the audit trail, the overlay file and logs.
bool is_item_name(std::string_view name) {
  return !name.empty() && name.size() <= 128 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.' || c == ':' || c == '@';
  });
}

// Path segments name items such as "psw:01003110"; clients may percent-encode them.
using common::query_parameter;

json::object head_json(const log::TreeHead& head) {
  return json::object{{"size", head.size}, {"root", head.root_hex}, {"time_ms", head.time_ms}, {"signature", head.signature}};
}

}  // namespace

std::vector<ApiKey> load_api_keys(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read admin keys file '" + file.string() + "'");
  const std::string text((std::istreambuf_iterator<char>(in)), {});
  boost::system::error_code ec;
  const json::value v = json::parse(text, ec);
  if (ec || !v.is_array()) throw std::runtime_error("admin keys file '" + file.string() + "' is not a JSON array");
  std::vector<ApiKey> keys;
  for (const auto& entry : v.as_array()) {
    const auto* o = entry.if_object();
    const auto* name = o ? o->if_contains("name") : nullptr;
    const auto* role = o ? o->if_contains("role") : nullptr;
    const auto* hash = o ? o->if_contains("sha256") : nullptr;
    if (!name || !role || !hash || !name->is_string() || !role->is_string() || !hash->is_string() ||
        (role->as_string() != "admin" && role->as_string() != "observer") || hash->as_string().size() != 64) {
      throw std::runtime_error("admin keys file: every entry needs name, role (admin|observer) and a SHA-256 hex hash");
    }
    keys.push_back({std::string(name->as_string()), std::string(role->as_string()), std::string(hash->as_string())});
  }
  return keys;
}

void ensure_demo_api_keys(const std::filesystem::path& demo_directory, const std::filesystem::path& keys_file) {
  if (std::filesystem::exists(keys_file)) return;
  json::array entries;
  for (const char* role : {"admin", "observer"}) {
    const std::string key = "og_" + std::string(role) + "_" + crypto::random_hex(24);
    common::write_file_atomically(demo_directory / (std::string(role) + "-api-key"), key + "\n", true);
    entries.push_back(json::object{{"name", std::string("demo-") + role}, {"role", role}, {"sha256", crypto::sha256_hex(key)}});
  }
  common::write_file_atomically(keys_file, json::serialize(entries) + "\n", true);
}

struct AdminApi::Impl {
  AdminOptions options;
  log::TransferLog& log;
  std::mutex audit_mutex;
  boost::asio::thread_pool jobs{1};  // long operations (log verification) never run on I/O threads

  Impl(AdminOptions o, log::TransferLog& l) : options(std::move(o)), log(l) {}
  ~Impl() { jobs.join(); }

  // The operator behind the request: a registered client certificate, else an API key; the key's
  // entry is found without timing differences between keys or between hash prefixes.
  std::optional<ApiKey> authenticate(const net::HttpRequest& request, const net::ConnectionInfo& connection) const {
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
  std::optional<ApiKey> authorise(const std::string& role_needed, const std::string& action,
                                  const net::HttpRequest& request, const net::ConnectionInfo& connection,
                                  const net::Responder& respond) {
    const auto key = authenticate(request, connection);
    if (!key) {
      audit_best_effort("unknown", action, "refused: unknown API key", connection.peer_address);
      respond(json_response(401, json::object{{"error", "a valid API key is required (Authorization: Bearer ...)"}}));
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
  static std::string outcome_of(const ManagementResult& result) {
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
  [[nodiscard]] bool audit(const std::string& who, const std::string& action, const std::string& result,
                           const std::string& peer) {
    const std::string line = json::serialize(json::object{{"time_ms", now_ms()}, {"who", who}, {"action", action},
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
  void audit_best_effort(const std::string& who, const std::string& action, const std::string& result,
                         const std::string& peer) {
    (void)audit(who, action, result, peer);
  }

  static net::HttpResponse audit_unavailable() {
    return json_response(503, json::object{{"error", "the audit trail cannot be written; nothing was changed"}});
  }
};

AdminApi::AdminApi(AdminOptions options, log::TransferLog& log) : impl_(std::make_unique<Impl>(std::move(options), log)) {}
AdminApi::~AdminApi() = default;

void AdminApi::register_routes(net::Router& router) const {
  auto self = shared_from_this();
  using Action = std::function<void(const ApiKey&, const net::HttpRequest&, const net::ConnectionInfo&, net::Responder)>;
  // Every authenticated route: 401 for an unknown key, 403 for a role too weak; refusals and all
  // changes go to the audit trail.
  const auto guarded = [self](std::string role_needed, std::string action, bool changes, Action act) {
    return [self, role_needed, action, changes, act](net::HttpRequest request, const net::ConnectionInfo& connection,
                                                     boost::asio::any_io_executor, net::Responder respond) {
      const auto key = self->impl_->authorise(role_needed, action, request, connection, respond);
      if (!key) return;
      // Nothing that changes state happens without its audit line on disk.
      if (changes && !self->impl_->audit(key->name, action, "accepted", connection.peer_address)) {
        return respond(Impl::audit_unavailable());
      }
      act(*key, request, connection, std::move(respond));
    };
  };

  router.add("GET", "/admin/v1/healthz", [](net::HttpRequest, const net::ConnectionInfo&, boost::asio::any_io_executor,
                                            net::Responder respond) {
    respond(json_response(200, json::object{{"status", "alive"}}));
  });
  router.add("GET", "/admin/v1/readyz", guarded("observer", "readyz", false, [self](const ApiKey&, const net::HttpRequest&, const net::ConnectionInfo&, net::Responder respond) {
    const bool log_writable = self->impl_->log.writable();
    bool ready = log_writable && (!self->impl_->options.ready || self->impl_->options.ready());
    json::object body{{"log_size", self->impl_->log.size()}, {"log_writable", log_writable},
                      {"log_queue_depth", self->impl_->log.queue_depth()}};
    if (self->impl_->options.management) {
      auto details = self->impl_->options.management->readiness();
      if (const auto* loaded = details.if_contains("signing_key_loaded"); loaded && loaded->is_bool() && !loaded->as_bool()) ready = false;
      for (auto& [k, v] : details) body[k] = v;
    }
    body["ready"] = ready;
    if (const auto head = self->impl_->log.latest_head()) body["latest_head"] = head_json(*head);
    respond(json_response(ready ? 200 : 503, body));
  }));
  router.add("GET", "/admin/v1/metrics", guarded("observer", "metrics", false, [self](const ApiKey&, const net::HttpRequest&, const net::ConnectionInfo&, net::Responder respond) {
    const std::string text = self->impl_->options.metrics ? self->impl_->options.metrics() : std::string();
    respond(net::HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8", text, {}});
  }));
  router.add("GET", "/admin/v1/log/head", guarded("observer", "log.head", false, [self](const ApiKey&, const net::HttpRequest&, const net::ConnectionInfo&, net::Responder respond) {
    const auto head = self->impl_->log.latest_head();
    if (!head) return respond(json_response(404, json::object{{"error", "no tree head yet"}}));
    respond(json_response(200, head_json(*head)));
  }));
  router.add("POST", "/admin/v1/log/head", guarded("admin", "log.issue_head", true, [self](const ApiKey&, const net::HttpRequest&, const net::ConnectionInfo&, net::Responder respond) {
    self->impl_->log.request_head([respond](const log::TreeHead& head) { respond(json_response(200, head_json(head))); });
  }));
  // Backups go to <backup_dir>/<timestamp>; the operator copies them off the machine.
  router.add("POST", "/admin/v1/log/backup", guarded("admin", "log.backup", true, [self](const ApiKey& key, const net::HttpRequest&, const net::ConnectionInfo& connection, net::Responder respond) {
    const std::string who = key.name;
    boost::asio::post(self->impl_->jobs, [self, who, peer = connection.peer_address, respond] {
      const auto target = self->impl_->options.backup_dir / std::to_string(now_ms());
      try {
        std::filesystem::create_directories(self->impl_->options.backup_dir);
        self->impl_->log.backup(target.string());
        self->impl_->audit_best_effort(who, "log.backup", "written to " + target.string(), peer);
        respond(json_response(200, json::object{{"directory", target.string()}, {"log_size", self->impl_->log.size()}}));
      } catch (const std::exception& error) {
        self->impl_->audit_best_effort(who, "log.backup", std::string("failed: ") + error.what(), peer);
        respond(json_response(500, json::object{{"error", "backup failed; see the audit trail"}}));
      }
    });
  }));
  router.add("POST", "/admin/v1/log/verify", guarded("admin", "log.verify", true, [self](const ApiKey& key, const net::HttpRequest&, const net::ConnectionInfo& connection, net::Responder respond) {
    const std::string who = key.name;
    boost::asio::post(self->impl_->jobs, [self, who, peer = connection.peer_address, respond] {
      const auto report = self->impl_->log.verify(self->impl_->options.verify_head);
      self->impl_->audit_best_effort(who, "log.verify", report.ok ? "consistent" : "INCONSISTENT: " + report.first_problem, peer);
      respond(json_response(200, json::object{{"ok", report.ok}, {"records", report.records}, {"purged", report.purged},
                                              {"heads", report.heads}, {"first_problem", report.first_problem}}));
    });
  }));

  if (!impl_->options.management) return;
  static constexpr const char* kBadName =
      "name the item in the path: 1-128 characters of A-Z a-z 0-9 - _ . : @ (percent-encoding allowed)";
  // Runtime management. Changes run on the job thread (building an adapter may read a register
  // file or open connections) and are audited with their result.
  const auto run_change = [self](const ApiKey& key, const net::ConnectionInfo& connection, std::string action,
                                 std::string target, std::function<ManagementResult(Management&)> change,
                                 net::Responder respond) {
    boost::asio::post(self->impl_->jobs, [self, who = key.name, peer = connection.peer_address, action = std::move(action),
                                          target = std::move(target), change = std::move(change), respond] {
      const std::string what = action + (target.empty() ? "" : " " + target);
      // The attempt is on disk before anything changes; an audit trail that cannot be written
      // refuses the change.
      if (!self->impl_->audit(who, what, "requested", peer)) return respond(Impl::audit_unavailable());
      const ManagementResult result = change(*self->impl_->options.management);
      self->impl_->audit_best_effort(who, what, Impl::outcome_of(result), peer);
      respond(json_response(result.status, result.body));
    });
  };
  const auto authorised = [self](const std::string& role_needed, const std::string& action, net::HttpRequest& request,
                                 const net::ConnectionInfo& connection, net::Responder& respond) {
    return self->impl_->authorise(role_needed, action, request, connection, respond);
  };
  const auto parse_body = [](const net::HttpRequest& request, json::value& out) {
    if (request.body.empty()) {
      out = json::object{};
      return true;
    }
    boost::system::error_code ec;
    out = json::parse(request.body, ec);
    return !ec;
  };
  // One set of routes per managed section, as the runtime describes them: a new section needs
  // nothing here.
  for (const auto& info : impl_->options.management->sections()) {
    const std::string section = info.name;
    router.add("GET", "/admin/v1/" + section, guarded("observer", section + ".list", false,
        [self, section](const ApiKey&, const net::HttpRequest&, const net::ConnectionInfo&, net::Responder respond) {
          const auto result = self->impl_->options.management->list(section);
          respond(json_response(result.status, result.body));
        }));
    const std::string prefix = "/admin/v1/" + section + "/";
    if (info.items) {
      router.add_prefix("PUT", prefix, [=](net::HttpRequest request, const net::ConnectionInfo& connection,
                                           boost::asio::any_io_executor, net::Responder respond) {
        const std::string item = common::percent_decode(std::string_view(request.path).substr(prefix.size()), false);
        if (!is_item_name(item)) return respond(json_response(400, json::object{{"error", kBadName}}));
        const auto key = authorised("admin", section + ".put " + item, request, connection, respond);
        if (!key) return;
        json::value body;
        if (!parse_body(request, body)) return respond(json_response(400, json::object{{"error", "the body is not JSON"}}));
        run_change(*key, connection, section + ".put", item, [section, item, body](Management& m) {
          return m.put(section, item, body);
        }, std::move(respond));
      });
      router.add_prefix("DELETE", prefix, [=](net::HttpRequest request, const net::ConnectionInfo& connection,
                                              boost::asio::any_io_executor, net::Responder respond) {
        const std::string item = common::percent_decode(std::string_view(request.path).substr(prefix.size()), false);
        if (!is_item_name(item)) return respond(json_response(400, json::object{{"error", kBadName}}));
        const auto key = authorised("admin", section + ".delete " + item, request, connection, respond);
        if (!key) return;
        const RemoveOptions options{query_parameter(request.query, "region"),
                                    query_parameter(request.query, "with_routes") == "true"};
        run_change(*key, connection, section + ".delete", item, [section, item, options](Management& m) {
          return m.remove(section, item, options);
        }, std::move(respond));
      });
    }
    if (!info.item_actions.empty()) {
      const auto verbs = info.item_actions;
      router.add_prefix("POST", prefix, [=](net::HttpRequest request, const net::ConnectionInfo& connection,
                                            boost::asio::any_io_executor, net::Responder respond) {
        const std::string_view rest = std::string_view(request.path).substr(prefix.size());
        const auto slash = rest.rfind('/');
        const std::string item = common::percent_decode(rest.substr(0, slash), false);
        const std::string verb = slash == std::string_view::npos ? std::string() : std::string(rest.substr(slash + 1));
        if (!is_item_name(item) || std::find(verbs.begin(), verbs.end(), verb) == verbs.end()) {
          std::string usage;
          for (const auto& v : verbs) usage += (usage.empty() ? "" : " or ") + std::string("POST ") + prefix + "<name>/" + v;
          return respond(json_response(404, json::object{{"error", usage}}));
        }
        const auto key = authorised("admin", section + "." + verb + " " + item, request, connection, respond);
        if (!key) return;
        run_change(*key, connection, section + "." + verb, item, [section, item, verb](Management& m) {
          return m.action(section, item, verb, json::object{});
        }, std::move(respond));
      });
    }
    for (const auto& verb : info.section_actions) {
      router.add("POST", prefix + verb, [=](net::HttpRequest request, const net::ConnectionInfo& connection,
                                            boost::asio::any_io_executor, net::Responder respond) {
        const auto key = authorised("admin", section + "." + verb, request, connection, respond);
        if (!key) return;
        json::value body;
        if (!parse_body(request, body)) return respond(json_response(400, json::object{{"error", "the body is not JSON"}}));
        run_change(*key, connection, section + "." + verb, "", [section, verb, body](Management& m) {
          return m.action(section, "", verb, body);
        }, std::move(respond));
      });
    }
  }
  router.add("POST", "/admin/v1/reload", [=](net::HttpRequest request, const net::ConnectionInfo& connection,
                                             boost::asio::any_io_executor, net::Responder respond) {
    const auto key = authorised("admin", "reload", request, connection, respond);
    if (!key) return;
    run_change(*key, connection, "reload", "", [](Management& m) { return m.reload(); }, std::move(respond));
  });
}

void AdminApi::stop() const {
  impl_->jobs.stop();
  impl_->jobs.join();
}

void AdminApi::reload_from_signal() const {
  auto self = shared_from_this();
  if (!impl_->options.management) return;
  boost::asio::post(impl_->jobs, [self] {
    if (!self->impl_->audit("SIGHUP", "reload", "requested", "signal")) return;  // reported by audit()
    const ManagementResult result = self->impl_->options.management->reload();
    self->impl_->audit_best_effort("SIGHUP", "reload", Impl::outcome_of(result), "signal");
  });
}

}  // namespace oncegate::admin
