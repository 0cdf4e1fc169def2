#pragma once
// A Redis client on Asio: one TCP connection, pipelined (commands are written as they come and
// replies matched in order, so many requests share one round trip), reconnecting with backoff,
// authenticated (AUTH [user] password), with a deadline on every command. TLS to a store beyond
// a private network goes through stunnel on the node (docs/SCALE-OUT.md); this client speaks
// plain RESP2 to it.
//
// The module's job is the shared store of a cluster: the replay window (replay_window.hpp) and
// what later parts of the cluster keep there. It owns the Redis protocol; nothing else speaks it.
//
// Thread safety: command(), up() and stop() may be called from any thread. Callbacks run on the
// client's strand and must be short (post to your own executor).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "gateway/store/resp.hpp"

namespace oncegate::store {

struct RedisOptions {
  std::string host = "127.0.0.1";  // a name or an address
  std::uint16_t port = 6379;
  std::string user;      // ACL user; empty: AUTH with the password alone (requirepass)
  std::string password;  // empty: no AUTH
  // A command unanswered this long fails, and with it the connection (it is dropped and made
  // again): a store that stops answering must not hold requests. Default 250 ms.
  std::chrono::milliseconds timeout{250};
  std::chrono::milliseconds reconnect_min{50};    // first wait after a failure; doubles
  std::chrono::milliseconds reconnect_max{1000};  // up to this
  // PING this often while connected, so that up() turns false within about this much of the
  // store going away even without traffic. Default 500 ms.
  std::chrono::milliseconds ping_interval{500};
  // Commands waiting for a reply at most; further ones fail at once. Default 65,536.
  std::size_t max_pending = 65'536;
};

struct RedisCounts {
  std::uint64_t commands = 0;   // sent
  std::uint64_t failed = 0;     // answered without a reply (unreachable, timeout, dropped)
  std::uint64_t connects = 0;   // connections made and authenticated
};

class RedisClient {
 public:
  // nullopt: no reply (the store is unreachable, did not answer in time, or the client stopped).
  using Callback = std::function<void(std::optional<Reply>)>;

  // Connects in the background at once.
  static std::shared_ptr<RedisClient> start(boost::asio::any_io_executor executor, RedisOptions options);
  virtual ~RedisClient() = default;

  // Sends one command. While the store is not connected and authenticated, fails at once
  // (`then(nullopt)`, never on the caller's stack).
  virtual void command(std::vector<std::string> arguments, Callback then) = 0;
  // Connected, authenticated, and answering.
  [[nodiscard]] virtual bool up() const noexcept = 0;
  [[nodiscard]] virtual RedisCounts counts() const noexcept = 0;
  // Closes the connection and fails what waits; nothing is sent after it. Idempotent.
  virtual void stop() = 0;
};

}  // namespace oncegate::store
