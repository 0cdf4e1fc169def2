#pragma once
// The remote register adapter: asks a register that runs elsewhere, over HTTPS with the register
// wire protocol (gateway/message/register_protocol.hpp).
//
// Per adapter: one TLS client context that trusts only the CAs configured for this register
// (verification always on: chain, host name or IP of the certificate, SNI), optionally a client
// certificate (mutual TLS); a pool of keep-alive connections (at most pool_size open; further
// calls wait in a queue for one, until their deadline); a circuit breaker (circuit_breaker.hpp)
// that fails calls at once while the register is down and probes its health endpoint on its own
// to find out when it is back.
//
// One call: POST <base>/register/v1/abfrage within the deadline given to fetch() (connecting,
// TLS included, additionally within connect_timeout). Deadline passed -> timeout. Connection
// refused, TLS failure, HTTP status other than 200, malformed answer -> unavailable, with an
// operator-facing detail that never contains personal data. A call is retried (on a fresh
// connection, while the deadline allows) only when a reused keep-alive connection failed before
// any byte of an answer arrived: the register cannot have acted on it, and the lookup is
// read-only anyway. Never after a timeout or an answer.
//
// Completions: never inline in fetch(); from an I/O thread of the executor given at construction.
// Breaker transitions are logged to stderr as one JSON line each.
//
// Thread safety: fetch() and status() may be called concurrently from any thread. The adapter may
// be destroyed while calls and probes are pending: the state they need is shared and outlives the
// adapter; queued calls complete with unavailable, calls on the wire finish (bounded by their
// deadline), idle connections are closed and the probe timer is cancelled.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>

#include "gateway/adapter/adapter.hpp"
#include "gateway/adapter/factory_registry.hpp"

namespace oncegate::adapters::remote {

namespace detail {
struct RemoteRegisterState;  // shared by the adapter and its pending work
}  // namespace detail

// https://host[:port][/base-path], parsed.
struct RegisterUrl {
  std::string host;       // name or IP address (IPv6 without brackets)
  std::uint16_t port = 443;
  std::string base_path;  // "" or "/..." without trailing slash
};

// Parses a register URL. On failure returns nullopt and sets `problem`.
[[nodiscard]] std::optional<RegisterUrl> parse_register_url(std::string_view url,
                                                            std::string& problem);

struct RemoteRegisterOptions {
  std::string name;           // registry name of the adapter
  std::string register_name;  // human-readable register name
  RegisterUrl url;
  std::string ca_file;                  // PEM: the CAs trusted for this register only. Required.
  std::string client_certificate_file;  // PEM chain for mutual TLS, optional (with the key)
  std::string client_key_file;
  std::string server_name;  // name for SNI and certificate verification; empty: url.host
  std::size_t pool_size = 16;
  std::chrono::milliseconds connect_timeout{1000};
  unsigned breaker_failures = 5;
  std::chrono::milliseconds breaker_open{2000};
  // How often the health endpoint is asked while the breaker is closed (0: never), so that
  // readiness knows a dead register before the first request finds it. The first check runs at
  // once.
  std::chrono::milliseconds health_interval{10'000};
  unsigned retries = 1;
};

class RemoteRegister final : public RegisterAdapter {
 public:
  // Loads the TLS material. Throws AdapterError (naming the adapter) when it cannot.
  RemoteRegister(RemoteRegisterOptions options, boost::asio::any_io_executor executor);
  ~RemoteRegister() override;
  RemoteRegister(const RemoteRegister&) = delete;
  RemoteRegister& operator=(const RemoteRegister&) = delete;

  [[nodiscard]] const std::string& name() const noexcept override;
  [[nodiscard]] const std::string& register_name() const noexcept override;

  void fetch(EvidenceQuery query, std::chrono::steady_clock::time_point deadline,
             FetchHandler done) override;

  // breaker "closed" / "open" / "half_open", reachability, counters, last error.
  [[nodiscard]] AdapterStatus status() const override;
  void stop() override;

 private:
  std::shared_ptr<detail::RemoteRegisterState> state_;
};

// Registers the adapter type "remote-https". Settings (strings):
//   url                 https://host[:port][/base-path] (required; port default 443)
//   ca                  PEM file of the CAs trusted for this register (required; a relative path
//                       is resolved against AdapterContext::data_dir)
//   client_certificate  PEM chain for mutual TLS (optional; only together with client_key)
//   client_key          its private key (PEM)
//   server_name         host name for SNI and certificate verification (default: the url's host)
//   pool_size           open connections at most, 1..256 (default 16)
//   connect_timeout_ms  TCP connect + TLS handshake, 1..60000 (default 1000)
//   breaker_failures    consecutive failures that open the breaker, 1..1000 (default 5)
//   breaker_open_ms     open time before a health probe, 10..600000 (default 2000)
//   health_interval_ms  health check while the breaker is closed, 0 (off) or up to 3600000
//                       (default 10000; the first at once): readiness names a dead register early
//   retries             1: a call whose reused connection went stale is sent once more on a
//                       fresh connection (which cannot be stale); 0: never. Default 1.
// Unknown settings are rejected; every problem is an AdapterError naming the adapter.
// Throws AdapterError if the type is already registered.
void register_remote_adapter_type(AdapterFactoryRegistry& registry);

}  // namespace oncegate::adapters::remote
