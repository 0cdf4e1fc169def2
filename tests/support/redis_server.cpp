#include "tests/support/redis_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <stdexcept>
#include <thread>

namespace oncegate::testing {

namespace {

// A port the kernel just gave out and took back: free unless another process takes it at once.
std::uint16_t free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    if (fd >= 0) ::close(fd);
    throw std::runtime_error("no free loopback port");
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

bool accepts_connections(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return ok;
}

std::string redis_server_binary() {
  for (const char* candidate : {"/usr/bin/redis-server", "/usr/local/bin/redis-server"}) {
    if (::access(candidate, X_OK) == 0) return candidate;
  }
  throw std::runtime_error("redis-server is not installed (apt-get install redis-server; scripts/test.sh does)");
}

}  // namespace

RedisServer::RedisServer(std::filesystem::path directory, std::string password)
    : directory_(std::move(directory)), password_(std::move(password)), port_(free_loopback_port()) {
  std::filesystem::create_directories(directory_);
  std::ofstream(directory_ / "redis.conf") << "bind 127.0.0.1\nport " << port_ << "\nrequirepass " << password_
                                           << "\nenable-debug-command local\nsave \"\"\nappendonly no\ndaemonize no\nlogfile \"\"\n"
                                           << "dir " << directory_.string() << "\n";
  start();
}

RedisServer::~RedisServer() { stop(); }

void RedisServer::start() {
  if (pid_ > 0) return;
  const std::string binary = redis_server_binary();
  const std::string config = (directory_ / "redis.conf").string();
  const std::string log = (directory_ / "redis.log").string();
  pid_ = ::fork();
  if (pid_ == 0) {
    std::freopen(log.c_str(), "a", stdout);
    execl(binary.c_str(), binary.c_str(), config.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!accepts_connections(port_)) {
    if (std::chrono::steady_clock::now() > until) throw std::runtime_error("redis-server did not start (" + log + ")");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void RedisServer::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

}  // namespace oncegate::testing
