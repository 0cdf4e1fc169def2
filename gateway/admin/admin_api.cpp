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
