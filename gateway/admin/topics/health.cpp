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

// Topic: liveness, readiness and metrics.

namespace oncegate::admin {

namespace json = boost::json;

namespace {

// Ready to take requests, with the details an operator reads (the load balancer sees only the
// verdict).
std::pair<bool, json::object> readiness(const AdminContext& context) {
  const bool log_writable = context.log.writable();
  bool ready = log_writable && (!context.options.ready || context.options.ready());
  json::object body{{"log_size", context.log.size()}, {"log_writable", log_writable},
                    {"log_queue_depth", context.log.queue_depth()}};
  if (context.options.management) {
    auto details = context.options.management->readiness();
    if (const auto* loaded = details.if_contains("signing_key_loaded"); loaded && loaded->is_bool() && !loaded->as_bool()) ready = false;
    for (auto& [k, v] : details) body[k] = v;
  }
  if (context.options.cluster_readiness) context.options.cluster_readiness(body, ready);
  const bool draining = context.options.draining && context.options.draining();
  if (draining) {
    ready = false;
    body["draining"] = true;
  }
  body["ready"] = ready;
  return {ready, std::move(body)};
}

}  // namespace

void register_probe_routes(const std::shared_ptr<AdminContext>& context, net::Router& router) {
  router.add("GET", "/healthz", [](net::HttpRequest, const net::ConnectionInfo&, boost::asio::any_io_executor,
                                   net::Responder respond) {
    respond(json_response(200, json::object{{"status", "alive"}}));
  });
  router.add("GET", "/readyz", [context](net::HttpRequest, const net::ConnectionInfo&, boost::asio::any_io_executor,
                                         net::Responder respond) {
    const auto [ready, details] = readiness(*context);
    const bool draining = details.contains("draining");
    respond(json_response(ready ? 200 : 503, json::object{{"ready", ready}, {"draining", draining}}));
  });
}

void register_health_routes(const std::shared_ptr<AdminContext>& context, net::Router& router) {
  router.add("GET", "/admin/v1/healthz", [](net::HttpRequest, const net::ConnectionInfo&, boost::asio::any_io_executor,
                                            net::Responder respond) {
    respond(json_response(200, json::object{{"status", "alive"}}));
  });
  router.add("GET", "/admin/v1/readyz", guarded(context, "observer", "readyz", false, [context](const ApiKey&, const net::HttpRequest&, const net::ConnectionInfo&, net::Responder respond) {
    auto [ready, body] = readiness(*context);
    if (const auto head = context->log.latest_head()) body["latest_head"] = head_json(*head);
    respond(json_response(ready ? 200 : 503, body));
  }));
  if (context->options.set_draining) {
    // POST: drain (readiness 503, serving on); DELETE: serve as before. Audited like every change.
    for (const char* method : {"POST", "DELETE"}) {
      const bool on = std::string_view(method) == "POST";
      router.add(method, "/admin/v1/drain", guarded(context, "admin", on ? "drain" : "undrain", true,
                                                    [context, on](const ApiKey& key, const net::HttpRequest&,
                                                                  const net::ConnectionInfo& connection, net::Responder respond) {
        context->options.set_draining(on);
        context->audit_best_effort(key.name, on ? "drain" : "undrain", "applied", connection.peer_address);
        oplog::write(oplog::Level::info, on ? "draining" : "serving", {{"trigger", "admin"}, {"who", key.name}});
        respond(json_response(200, json::object{{"draining", on}}));
      }));
    }
  }
  router.add("GET", "/admin/v1/metrics", guarded(context, "observer", "metrics", false, [context](const ApiKey&, const net::HttpRequest&, const net::ConnectionInfo&, net::Responder respond) {
    const std::string text = context->options.metrics ? context->options.metrics() : std::string();
    respond(net::HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8", text, {}});
  }));
}

}  // namespace oncegate::admin
