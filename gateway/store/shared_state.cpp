#include "gateway/store/shared_state.hpp"

#include <map>
#include <mutex>
#include <vector>

namespace oncegate::store {

namespace {

using Clock = std::chrono::steady_clock;

class MemorySharedState final : public SharedState {
 public:
  explicit MemorySharedState(std::size_t max_entries) : max_entries_(max_entries) {}

  void put(const std::string& key, std::string value, std::chrono::milliseconds lifetime,
           std::function<void(Put)> then) override {
    Put outcome = Put::stored;
    {
      std::lock_guard lock(mutex_);
      const auto now = Clock::now();
      if (const auto it = entries_.find(key); it != entries_.end() && it->second.expires <= now) entries_.erase(it);
      if (entries_.size() >= max_entries_) std::erase_if(entries_, [now](const auto& e) { return e.second.expires <= now; });
      if (entries_.contains(key)) {
        outcome = Put::exists;
      } else if (entries_.size() >= max_entries_) {
        outcome = Put::full;
      } else {
        entries_.emplace(key, Entry{std::move(value), now + lifetime});
      }
    }
    then(outcome);
  }

  void get(const std::string& key, Value then) override { then(read(key, false), true); }
  void take(const std::string& key, Value then) override { then(read(key, true), true); }

  void erase(const std::string& key) override {
    std::lock_guard lock(mutex_);
    entries_.erase(key);
  }

 private:
  struct Entry {
    std::string value;
    Clock::time_point expires;
  };

  std::optional<std::string> read(const std::string& key, bool remove) {
    std::lock_guard lock(mutex_);
    const auto it = entries_.find(key);
    if (it == entries_.end()) return std::nullopt;
    if (it->second.expires <= Clock::now()) {
      entries_.erase(it);
      return std::nullopt;
    }
    if (!remove) return it->second.value;
    auto value = std::move(it->second.value);
    entries_.erase(it);
    return value;
  }

  std::size_t max_entries_;
  std::mutex mutex_;
  std::map<std::string, Entry> entries_;
};

class RedisSharedState final : public SharedState {
 public:
  RedisSharedState(std::shared_ptr<RedisClient> client, std::string prefix)
      : client_(std::move(client)), prefix_(std::move(prefix)) {}

  void put(const std::string& key, std::string value, std::chrono::milliseconds lifetime,
           std::function<void(Put)> then) override {
    const auto ms = std::max<std::chrono::milliseconds::rep>(1, lifetime.count());
    client_->command({"SET", prefix_ + key, std::move(value), "NX", "PX", std::to_string(ms)},
                     [then = std::move(then)](std::optional<Reply> reply) {
                       if (reply && reply->is_ok()) return then(Put::stored);
                       if (reply && reply->kind == Reply::Kind::nil) return then(Put::exists);
                       // An error reply ("OOM command not allowed" under noeviction) or none.
                       then(reply && reply->kind == Reply::Kind::error && reply->text.starts_with("OOM") ? Put::full
                                                                                                        : Put::unavailable);
                     });
  }

  void get(const std::string& key, Value then) override { read("GET", key, std::move(then)); }
  void take(const std::string& key, Value then) override { read("GETDEL", key, std::move(then)); }

  void erase(const std::string& key) override {
    client_->command({"DEL", prefix_ + key}, [](std::optional<Reply>) {});
  }

 private:
  void read(const char* verb, const std::string& key, Value then) {
    client_->command({verb, prefix_ + key}, [then = std::move(then)](std::optional<Reply> reply) {
      if (!reply || reply->kind == Reply::Kind::error) return then(std::nullopt, false);
      if (reply->kind == Reply::Kind::bulk) return then(std::move(reply->text), true);
      then(std::nullopt, true);
    });
  }

  std::shared_ptr<RedisClient> client_;
  std::string prefix_;
};

}  // namespace

std::shared_ptr<SharedState> memory_shared_state(std::size_t max_entries) {
  return std::make_shared<MemorySharedState>(max_entries);
}

std::shared_ptr<SharedState> redis_shared_state(std::shared_ptr<RedisClient> client, std::string key_prefix) {
  return std::make_shared<RedisSharedState>(std::move(client), std::move(key_prefix));
}

}  // namespace oncegate::store
