#include "gateway/admin/admin_api.hpp"

#include <boost/asio/post.hpp>

#include "gateway/admin/context.hpp"

namespace oncegate::admin {

struct AdminApi::Impl {
  std::shared_ptr<AdminContext> context;
};

AdminApi::AdminApi(AdminOptions options, log::TransferLog& log)
    : impl_(std::make_unique<Impl>(Impl{std::make_shared<AdminContext>(std::move(options), log)})) {}
AdminApi::~AdminApi() = default;

void AdminApi::register_routes(net::Router& router) const {
  register_health_routes(impl_->context, router);
  register_log_routes(impl_->context, router);
  register_management_routes(impl_->context, router);
  // The index is a snapshot of the routes registered above; the 404 answer points to it.
  auto endpoints = router.endpoints();
  endpoints.push_back("GET /admin/v1/");
  router.add("GET", "/admin/v1/", guarded(impl_->context, "observer", "index", false,
                                          [endpoints](const ApiKey&, const net::HttpRequest&, const net::ConnectionInfo&,
                                                      net::Responder respond) {
    boost::json::array list;
    for (const auto& endpoint : endpoints) list.push_back(boost::json::string(endpoint));
    respond(json_response(200, boost::json::object{{"endpoints", list}, {"documentation", "docs/OPERATIONS.md"}}));
  }));
}

void AdminApi::register_probe_routes(net::Router& router) const { admin::register_probe_routes(impl_->context, router); }

net::HttpResponse AdminApi::render_failure(net::HttpFailure failure) {
  const unsigned status = net::http_status(failure);
  std::string text(net::describe(failure));
  switch (failure) {
    case net::HttpFailure::not_found:
      text = "no such admin endpoint: every path is under /admin/v1/, and GET /admin/v1/ lists them with their "
             "methods (docs/OPERATIONS.md, \"The admin API\")";
      break;
    case net::HttpFailure::method_not_allowed:
      text = "this admin endpoint does not take this method: GET reads, PUT sets (JSON body), DELETE removes, "
             "POST runs an action; GET /admin/v1/ lists each path with its methods";
      break;
    default: break;
  }
  return net::HttpResponse{status, "application/json",
                           boost::json::serialize(boost::json::object{{"error", text}, {"status", status}}) + "\n", {}};
}

void AdminApi::stop() const {
  impl_->context->jobs.stop();
  impl_->context->jobs.join();
}

void AdminApi::reload_from_signal() const {
  auto context = impl_->context;
  if (!context->options.management) return;
  boost::asio::post(context->jobs, [context] {
    if (!context->audit("SIGHUP", "reload", "requested", "signal")) return;  // reported by audit()
    const ManagementResult result = context->options.management->reload();
    context->audit_best_effort("SIGHUP", "reload", AdminContext::outcome_of(result), "signal");
  });
}

}  // namespace oncegate::admin
