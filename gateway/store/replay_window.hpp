#pragma once
// The replay window of a cluster: request ids remembered in the shared store for the freshness
// window, so that a signed request accepted by one node is a replay on every other. One
// `SET <prefix><id> 1 NX PX <retention>` per request, atomic in the store, pipelined on the
// client's one connection.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "gateway/store/redis_client.hpp"

namespace oncegate::store {

class SharedReplayWindow {
 public:
  enum class Verdict { first, seen, unavailable };
  struct Counts {
    std::uint64_t first = 0, seen = 0, unavailable = 0;
  };
  virtual ~SharedReplayWindow() = default;
  // Remembers `id` for the retention period unless it is remembered already; `then` is called
  // once, on any thread.
  virtual void remember(std::string_view id, std::function<void(Verdict)> then) = 0;
  // The store is reachable (for readiness).
  [[nodiscard]] virtual bool available() const noexcept = 0;
  [[nodiscard]] virtual Counts counts() const noexcept = 0;
};

// `id`s are written under `key_prefix` (one prefix per cluster, so that several clusters may
// share one store).
[[nodiscard]] std::shared_ptr<SharedReplayWindow> redis_replay_window(std::shared_ptr<RedisClient> client,
                                                                      std::chrono::milliseconds retention,
                                                                      std::string key_prefix = "oncegate:replay:");

}  // namespace oncegate::store
