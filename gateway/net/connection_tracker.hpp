#pragma once
// Keeps track of open connections so that shutdown can reach them, and counts them for the
// connection limit. Thread safety: all members may be called from any thread.

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace oncegate::net {

class Closable {
 public:
  virtual ~Closable() = default;
  // Finish the request in flight (if any), then close. Must be safe to call from any thread.
  virtual void close_gracefully() = 0;
};

class ConnectionTracker {
 public:
  void add(const std::shared_ptr<Closable>& connection) {
    std::lock_guard lock(mutex_);
    connections_[connection.get()] = connection;
  }
  void remove(const Closable* connection) {
    std::lock_guard lock(mutex_);
    connections_.erase(connection);
  }
  void close_all() {
    std::unordered_map<const Closable*, std::weak_ptr<Closable>> copy;
    {
      std::lock_guard lock(mutex_);
      copy = connections_;
    }
    for (auto& [raw, weak] : copy) {
      if (auto connection = weak.lock()) connection->close_gracefully();
    }
  }
  // All open connections of the server (for metrics and tests).
  std::atomic<std::size_t> open{0};
  std::atomic<bool> stopping{false};

 private:
  mutable std::mutex mutex_;
  std::unordered_map<const Closable*, std::weak_ptr<Closable>> connections_;
};

}  // namespace oncegate::net
