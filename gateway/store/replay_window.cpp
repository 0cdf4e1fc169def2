#include "gateway/store/replay_window.hpp"

#include <vector>

namespace oncegate::store {

namespace {

class RedisReplayWindow final : public SharedReplayWindow, public std::enable_shared_from_this<RedisReplayWindow> {
 public:
  RedisReplayWindow(std::shared_ptr<RedisClient> client, std::chrono::milliseconds retention, std::string prefix)
      : client_(std::move(client)), retention_ms_(std::to_string(retention.count())), prefix_(std::move(prefix)) {}

  void remember(std::string_view id, std::function<void(Verdict)> then) override {
    std::vector<std::string> command{"SET", prefix_ + std::string(id), "1", "NX", "PX", retention_ms_};
    client_->command(std::move(command), [self = shared_from_this(), then = std::move(then)](std::optional<Reply> reply) {
      // +OK: set now, so first; nil: there already. Anything else (an error reply: the store is
      // read-only, out of memory, ...) is no answer.
      Verdict verdict = Verdict::unavailable;
      if (reply && reply->is_ok()) verdict = Verdict::first;
      if (reply && reply->kind == Reply::Kind::nil) verdict = Verdict::seen;
      auto& counter = verdict == Verdict::first ? self->first_ : verdict == Verdict::seen ? self->seen_ : self->unavailable_;
      counter.fetch_add(1, std::memory_order_relaxed);
      then(verdict);
    });
  }

  [[nodiscard]] bool available() const noexcept override { return client_->up(); }

  [[nodiscard]] Counts counts() const noexcept override {
    return Counts{first_.load(std::memory_order_relaxed), seen_.load(std::memory_order_relaxed),
                  unavailable_.load(std::memory_order_relaxed)};
  }

 private:
  std::shared_ptr<RedisClient> client_;
  std::string retention_ms_;
  std::string prefix_;
  std::atomic<std::uint64_t> first_{0}, seen_{0}, unavailable_{0};
};

}  // namespace

std::shared_ptr<SharedReplayWindow> redis_replay_window(std::shared_ptr<RedisClient> client,
                                                        std::chrono::milliseconds retention, std::string key_prefix) {
  return std::make_shared<RedisReplayWindow>(std::move(client), retention, std::move(key_prefix));
}

}  // namespace oncegate::store
