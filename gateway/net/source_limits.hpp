#pragma once
// Abuse limits of one listener, per source and per authenticated party, so that one host cannot
// lock everybody else out: concurrent connections and TLS handshakes in flight per source, TLS
// handshakes in flight on the whole listener, and a request rate (token bucket) per source and
// per client certificate.
//
// A source is an IPv4 address or the /64 of an IPv6 address (a subscriber gets a whole /64, so a
// single address would be no limit at all). Sources are only those that completed a TCP
// handshake: they cannot be spoofed.
//
// Memory is bounded: at most kMaxSources sources and kMaxParties parties are tracked; entries
// without connections whose bucket has refilled are dropped first. When the table is full of
// live sources a new source is refused ("sources"), failing closed.
//
// Thread safety: all members may be called from any thread.

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include <boost/asio/ip/address.hpp>

namespace oncegate::net {

struct SourceLimitOptions {
  std::size_t connections_per_source = 0;  // concurrent connections of one source; 0: no limit
  std::size_t handshakes_per_source = 0;   // TLS handshakes in flight of one source; 0: no limit
  std::size_t handshakes_in_flight = 0;    // TLS handshakes in flight on the listener; 0: no limit
  double requests_per_second = 0;          // per source, sustained; 0: no limit
  double request_burst = 0;                // per source, bucket size; default: 2 s of the rate
  double party_requests_per_second = 0;    // per client certificate; 0: no limit
  double party_request_burst = 0;          // default: 2 s of the rate
};

// "192.0.2.7", or "2001:db8:1:2::/64" for any address of that /64.
[[nodiscard]] std::string source_key(const boost::asio::ip::address& address);

// Why a connection or a request was refused. Also the `reason` of metrics and the tallied log.
enum class LimitReason : std::size_t {
  source_connections,   // "source_connections"
  source_handshakes,    // "source_handshakes"
  listener_handshakes,  // "listener_handshakes"
  sources,              // "sources": the table is full
  source_rate,          // "source_rate"
  party_rate,           // "party_rate"
  count
};
[[nodiscard]] std::string_view reason_name(LimitReason reason) noexcept;

struct LimitCounts {
  std::array<std::uint64_t, static_cast<std::size_t>(LimitReason::count)> refused{};
  std::size_t sources = 0;              // tracked now
  std::size_t handshakes_in_flight = 0;
};

class SourceLimiter {
 public:
  static constexpr std::size_t kMaxSources = 65'536;
  static constexpr std::size_t kMaxParties = 16'384;

  explicit SourceLimiter(SourceLimitOptions options);

  // What one admitted connection holds: its source's connection slot and, until
  // handshake_finished(), a handshake slot. Released on destruction.
  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    ~Lease();
    void handshake_finished();
    [[nodiscard]] const std::string& source() const noexcept { return source_; }

   private:
    friend class SourceLimiter;
    Lease(SourceLimiter* limiter, std::string source) : limiter_(limiter), source_(std::move(source)) {}
    SourceLimiter* limiter_;
    std::string source_;
    bool handshaking_ = true;
  };

  // A new connection from `source`, before its TLS handshake; nullopt refuses it (`why` says why).
  [[nodiscard]] std::optional<Lease> admit(const std::string& source, LimitReason& why);

  // One request (read from its header). False: over the rate of the source or of the party
  // (`party` = the verified client certificate's fingerprint, may be empty); `why` says which.
  [[nodiscard]] bool take_request(const std::string& source, std::string_view party, LimitReason& why);

  [[nodiscard]] LimitCounts counts() const;
  [[nodiscard]] const SourceLimitOptions& options() const noexcept { return options_; }

 private:
  using Clock = std::chrono::steady_clock;
  struct Bucket {
    double tokens = 0;
    Clock::time_point refilled{};
  };
  struct Source {
    std::size_t connections = 0;
    std::size_t handshakes = 0;
    Bucket bucket;
  };

  void release(const std::string& source, bool handshaking);
  void finish_handshake(const std::string& source);
  // Takes a token; the bucket starts full.
  static bool take(Bucket& bucket, bool fresh, double rate, double burst, Clock::time_point now);
  // Drops sources without connections whose buckets are full again; call with mutex_ held.
  void prune(Clock::time_point now);
  void refuse(LimitReason reason) { refused_[static_cast<std::size_t>(reason)].fetch_add(1, std::memory_order_relaxed); }

  SourceLimitOptions options_;
  double burst_;
  double party_burst_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Source> sources_;
  std::unordered_map<std::string, Bucket> parties_;
  std::size_t handshakes_ = 0;
  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(LimitReason::count)> refused_{};
};

}  // namespace oncegate::net
