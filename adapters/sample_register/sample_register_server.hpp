#pragma once
// A sample register served over HTTPS: one embedded register (adapters/embedded) behind the
// register wire protocol (gateway/message/register_protocol.hpp), on oncegate's own HTTPS server.
// It stands in for a real register elsewhere, for demos (oncegate-register) and for the remote
// adapter's tests, which is why it can count what it sees and answer slowly on purpose.
//
//   POST /register/v1/abfrage  registerAnfrage -> 200 registerAntwort (found / not_found),
//                              400 with a short text for a malformed query
//   GET  /register/v1/health   200 {"status":"ok"}
//
// Thread safety: start()/run_until_signal()/shutdown() from one controlling thread; the counters
// may be read from any thread.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include "adapters/embedded/embedded_register.hpp"

namespace oncegate::adapters::sample_register {

class SampleRegisterError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class SampleRegisterServer {
 public:
  struct Options {
    embedded::DocumentKind kind = embedded::DocumentKind::geburtsurkunde;
    std::filesystem::path population;  // population TSV (adapters/population). Required.
    std::string region;                // prefix of wohnort_ags (1..8 digits); empty: everybody
    std::string address = "127.0.0.1";
    std::uint16_t port = 0;            // 0: a free port, see port()
    std::string certificate;           // PEM chain, server certificate first. Required.
    std::string private_key;           // PEM. Required.
    std::string client_ca;             // when set, a client certificate from it is required
    std::chrono::milliseconds latency{0};  // simulated time to answer a query
    unsigned io_threads = 2;
  };

  // Loads the population and binds the port (so port() is known before start()). Throws
  // SampleRegisterError (missing or malformed population, bad region) or std::runtime_error
  // (address in use, unusable TLS files).
  explicit SampleRegisterServer(Options options);
  ~SampleRegisterServer();  // shuts down if still running
  SampleRegisterServer(const SampleRegisterServer&) = delete;
  SampleRegisterServer& operator=(const SampleRegisterServer&) = delete;

  // Serves in the background.
  void start();
  // Serves until SIGINT or SIGTERM, then shuts down.
  void run_until_signal();
  // Stops accepting, finishes requests in flight, closes connections. Idempotent.
  void shutdown();

  [[nodiscard]] std::uint16_t port() const;
  // Persons the register holds (after the region filter).
  [[nodiscard]] std::size_t persons() const noexcept;

  // POSTs to the query path received, malformed ones included.
  [[nodiscard]] std::uint64_t queries_handled() const noexcept;
  // Distinct client connections that sent at least one request (keep-alive shows as few).
  [[nodiscard]] std::size_t connections_seen() const;
  // Connections open right now.
  [[nodiscard]] std::size_t open_connections() const noexcept;
  // The X-Correlation-ID of the latest query, empty if it had none.
  [[nodiscard]] std::string last_correlation_id() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Parses "geburtsurkunde" / "meldebescheinigung"; throws SampleRegisterError otherwise.
[[nodiscard]] embedded::DocumentKind parse_document_kind(const std::string& text);

}  // namespace oncegate::adapters::sample_register
