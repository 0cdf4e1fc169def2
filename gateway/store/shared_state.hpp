#pragma once
// Short-lived state that every node of a cluster must see: the Datencockpit's sessions, its
// pending sign-ins (state, nonce, PKCE verifier) and the demo provider's authorization codes. A
// citizen's next request may land on any node, so what one node wrote the next must read.
//
// Two implementations behind one interface: in this process's memory (one node, the embedded
// default: no store needed) and in the cluster's Redis (`SET NX PX`, `GET`, `GETDEL`, `DEL` under
// a prefix). Every entry has a lifetime; nothing lives on without one.
//
// Thread safety: all methods may be called from any thread. `then` is called once, on any thread
// (for the memory implementation before the call returns; for Redis on its client's strand), and
// must be short: post to your own executor.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "gateway/store/redis_client.hpp"

namespace oncegate::store {

class SharedState {
 public:
  enum class Put { stored, exists, full, unavailable };
  // `reachable` false: the store gave no answer, which is not the same as "no such entry".
  using Value = std::function<void(std::optional<std::string> value, bool reachable)>;

  virtual ~SharedState() = default;
  // Stores `value` under `key` for `lifetime` unless the key exists (ids are random; a clash must
  // never replace another citizen's entry).
  virtual void put(const std::string& key, std::string value, std::chrono::milliseconds lifetime,
                   std::function<void(Put)> then) = 0;
  virtual void get(const std::string& key, Value then) = 0;
  // Reads and removes in one step: a value taken is gone for every node (one-use codes and states).
  virtual void take(const std::string& key, Value then) = 0;
  virtual void erase(const std::string& key) = 0;
};

// In memory, at most `max_entries` at once (`Put::full` beyond; expired entries are dropped first).
[[nodiscard]] std::shared_ptr<SharedState> memory_shared_state(std::size_t max_entries);

// In the cluster's Redis, keys under `key_prefix`. Redis bounds the number by its memory limit
// (deploy/cluster/redis.conf: noeviction, so a full store refuses rather than forgets).
[[nodiscard]] std::shared_ptr<SharedState> redis_shared_state(std::shared_ptr<RedisClient> client,
                                                              std::string key_prefix = "oncegate:state:");

}  // namespace oncegate::store
