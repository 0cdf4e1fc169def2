#pragma once
// Test support: a real redis-server (Debian's redis-server, installed by scripts/test.sh) on a
// loopback port of its own, with a password, no persistence, in a temporary directory; stopped
// and started again on command (outage tests).

#include <cstdint>
#include <filesystem>
#include <string>

#include <sys/types.h>

namespace oncegate::testing {

class RedisServer {
 public:
  // Starts it; throws std::runtime_error when redis-server is missing or does not come up.
  RedisServer(std::filesystem::path directory, std::string password);
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  [[nodiscard]] const std::string& password() const noexcept { return password_; }
  void stop();   // SIGKILL, as an outage looks to a client
  void start();  // again on the same port

 private:
  std::filesystem::path directory_;
  std::string password_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace oncegate::testing
