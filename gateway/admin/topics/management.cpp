#include "gateway/admin/context.hpp"
#include "gateway/common/url.hpp"
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

// Topic: runtime management: one set of routes per managed section, and reload.

namespace oncegate::admin {

namespace json = boost::json;

namespace {
// The item a path names after `prefix`, percent-decoded ("psw%3A01003110"); '+' is kept.
std::string item_in_path(const net::HttpRequest& request, const std::string& prefix) {
  return common::percent_decode(std::string_view(request.path).substr(prefix.size()), false);
}
}  // namespace

void register_management_routes(const std::shared_ptr<AdminContext>& context, net::Router& router) {
  if (!context->options.management) return;
  const auto authorised = [context](const std::string& role_needed, const std::string& action, net::HttpRequest& request,
                                    const net::ConnectionInfo& connection, net::Responder& respond) {
    return context->authorise(role_needed, action, request, connection, respond);
  };
  // One set of routes per managed section, as the runtime describes them: a new section needs
  // nothing here.
  for (const auto& info : context->options.management->sections()) {
    const std::string section = info.name;
    router.add("GET", "/admin/v1/" + section, guarded(context, "observer", section + ".list", false,
        [context, section](const ApiKey&, const net::HttpRequest&, const net::ConnectionInfo&, net::Responder respond) {
          const auto result = context->options.management->list(section);
          respond(json_response(result.status, result.body));
        }));
    const std::string prefix = "/admin/v1/" + section + "/";
    if (info.items) {
      router.add_prefix("PUT", prefix, [=](net::HttpRequest request, const net::ConnectionInfo& connection,
                                           boost::asio::any_io_executor, net::Responder respond) {
        const std::string item = item_in_path(request, prefix);
        if (!is_item_name(item)) return respond(json_response(400, json::object{{"error", kBadName}}));
        const auto key = authorised("admin", section + ".put " + item, request, connection, respond);
        if (!key) return;
        json::value body;
        if (!parse_body(request, body)) return respond(json_response(400, json::object{{"error", "the body is not JSON"}}));
        run_change(context, *key, connection, section + ".put", item, [section, item, body](Management& m) {
          return m.put(section, item, body);
        }, std::move(respond));
      });
      router.add_prefix("DELETE", prefix, [=](net::HttpRequest request, const net::ConnectionInfo& connection,
                                              boost::asio::any_io_executor, net::Responder respond) {
        const std::string item = item_in_path(request, prefix);
        if (!is_item_name(item)) return respond(json_response(400, json::object{{"error", kBadName}}));
        const auto key = authorised("admin", section + ".delete " + item, request, connection, respond);
        if (!key) return;
        // First of a repeated name, '+' kept: as the admin API always read its queries.
        const RemoveOptions options{common::query_parameter(request.query, "region", false),
                                    common::query_parameter(request.query, "with_routes", false) == "true"};
        run_change(context, *key, connection, section + ".delete", item, [section, item, options](Management& m) {
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
        run_change(context, *key, connection, section + "." + verb, item, [section, item, verb](Management& m) {
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
        run_change(context, *key, connection, section + "." + verb, "", [section, verb, body](Management& m) {
          return m.action(section, "", verb, body);
        }, std::move(respond));
      });
    }
  }
  // The cluster's configuration as this node sees it (asks the shared store: on the job thread,
  // never an I/O thread).
  router.add("GET", "/admin/v1/cluster", guarded(context, "observer", "cluster", false,
      [context](const ApiKey&, const net::HttpRequest&, const net::ConnectionInfo&, net::Responder respond) {
        boost::asio::post(context->jobs, [context, respond = std::move(respond)]() mutable {
          const auto result = context->options.management->cluster();
          respond(json_response(result.status, result.body));
        });
      }));
  router.add("POST", "/admin/v1/reload", [=](net::HttpRequest request, const net::ConnectionInfo& connection,
                                             boost::asio::any_io_executor, net::Responder respond) {
    const auto key = authorised("admin", "reload", request, connection, respond);
    if (!key) return;
    run_change(context, *key, connection, "reload", "", [](Management& m) { return m.reload(); }, std::move(respond));
  });
}

}  // namespace oncegate::admin
