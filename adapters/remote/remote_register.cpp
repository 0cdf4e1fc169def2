#include "adapters/remote/remote_register.hpp"

#include "adapters/remote/internal.hpp"

namespace oncegate::adapters::remote {

using namespace detail;

RemoteRegister::RemoteRegister(RemoteRegisterOptions options, asio::any_io_executor executor) {
  if (!executor) reject_adapter(options.name, "no executor to run on");
  if (options.url.host.empty()) reject_adapter(options.name, "no register host");
  if (options.pool_size == 0) reject_adapter(options.name, "pool_size must be at least 1");
  if (options.client_certificate_file.empty() != options.client_key_file.empty()) {
    reject_adapter(options.name, "client certificate and client key go together");
  }
  auto tls = make_tls_context(options);
  state_ = std::make_shared<detail::RemoteRegisterState>(std::move(options), std::move(executor));
  detail::RemoteRegisterState& s = *state_;
  s.tls = std::move(tls);
  const RegisterUrl& url = s.options.url;
  s.connect_by_address = is_ip_address(url.host);
  const bool ipv6 = url.host.find(':') != std::string::npos;
  const std::string host_part = ipv6 ? "[" + url.host + "]" : url.host;
  s.address = host_part + ":" + std::to_string(url.port);
  s.host_header = url.port == 443 ? host_part : s.address;
  s.query_target = url.base_path + std::string(message::kRegisterQueryPath);
  s.health_target = url.base_path + std::string(message::kRegisterHealthPath);
  s.verify_name = s.options.server_name.empty() ? url.host : s.options.server_name;
  s.verify_name_is_ip = is_ip_address(s.verify_name);
  s.schedule_health_check(Clock::duration::zero());
}

RemoteRegister::~RemoteRegister() { state_->shutdown(); }

const std::string& RemoteRegister::name() const noexcept { return state_->options.name; }

const std::string& RemoteRegister::register_name() const noexcept {
  return state_->options.register_name;
}

void RemoteRegister::fetch(EvidenceQuery query, Clock::time_point deadline, FetchHandler done) {
  if (!done) return;  // nobody to tell; nothing to do
  auto request = state_->new_request(http::verb::post, state_->query_target);
  request.set(http::field::content_type, "application/xml");
  request.set(http::field::accept, "application/xml");
  if (forwardable_correlation_id(query.correlation_id)) {
    request.set("X-Correlation-ID", query.correlation_id);
  }
  request.body() = message::write_register_query(query);
  request.prepare_payload();
  state_->query(std::move(request), deadline, std::move(query.evidence_type), std::move(query.request_uuid),
                std::move(done));
}

AdapterStatus RemoteRegister::status() const { return state_->status(); }

void RemoteRegister::stop() { state_->shutdown(); }

}  // namespace oncegate::adapters::remote
