#pragma once
// An adapter switched off by an operator.

#include <boost/asio/post.hpp>

#include "gateway/adapter/adapter.hpp"

namespace oncegate::runtime {

// Routes to a disabled adapter answer REGISTER_UNAVAILABLE without calling it; the real adapter
// is kept so that enabling it again keeps its pool and breaker.
class DisabledAdapter final : public adapters::RegisterAdapter {
 public:
  DisabledAdapter(std::shared_ptr<adapters::RegisterAdapter> inner, boost::asio::any_io_executor executor)
      : inner_(std::move(inner)), executor_(std::move(executor)) {}
  const std::string& name() const noexcept override { return inner_->name(); }
  const std::string& register_name() const noexcept override { return inner_->register_name(); }
  void fetch(adapters::EvidenceQuery, std::chrono::steady_clock::time_point, adapters::FetchHandler done) override {
    boost::asio::post(executor_, [done = std::move(done)] {
      done(adapters::FetchResult{adapters::FetchStatus::unavailable, {}, "disabled by an operator"});
    });
  }
  adapters::AdapterStatus status() const override {
    auto status = inner_->status();
    status.breaker = "disabled";
    status.reachable = false;
    return status;
  }
  void stop() override { inner_->stop(); }

 private:
  std::shared_ptr<adapters::RegisterAdapter> inner_;
  boost::asio::any_io_executor executor_;
};

}  // namespace oncegate::runtime
