#pragma once
// The trust stages of the exchange, run in this order before anything reaches a register:
//
//   AuthorityCheck   TLS client certificate -> registered authority; it must be the message author
//   SignatureCheck   one enveloped XML signature over the whole message, by that authority's key
//   FreshnessCheck   erstellungszeitpunkt within the window; nachrichtenUUID not seen before
//   IdnrCheck        (pipeline.hpp)
//   PermissionCheck  authority x evidence type x purpose x legal basis allowed (denied by default)
//
// Each is immutable after construction and safe to call from all I/O threads.

#include <chrono>
#include <ctime>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <array>

#include "gateway/exchange/pipeline.hpp"
#include "gateway/message/signature.hpp"
#include "gateway/trust/permission_matrix.hpp"
#include "gateway/trust/trust_store.hpp"

namespace oncegate::exchange {

class AuthorityCheck final : public RequestCheck {
 public:
  explicit AuthorityCheck(std::shared_ptr<const trust::TrustStore> trust) : trust_(std::move(trust)) {}
  [[nodiscard]] std::string_view name() const noexcept override { return "authority"; }
  [[nodiscard]] std::optional<Rejection> check(ExchangeContext& context) const override;

 private:
  std::shared_ptr<const trust::TrustStore> trust_;
};

class SignatureCheck final : public RequestCheck {
 public:
  // Loads the public key of every registered authority certificate once.
  explicit SignatureCheck(std::shared_ptr<const trust::TrustStore> trust);
  [[nodiscard]] std::string_view name() const noexcept override { return "signature"; }
  [[nodiscard]] std::optional<Rejection> check(ExchangeContext& context) const override;

 private:
  std::shared_ptr<const trust::TrustStore> trust_;
  message::XmlVerificationKeys keys_;
};

// The request is addressed to this gateway (nachrichtenkopf/leser): a request signed for another
// Vermittlungsstelle is refused here, so that it cannot be replayed from one gateway to the
// next (each keeps its own replay window). National family; after the signature, so that the
// refusal is the authority's own recorded attempt.
class RecipientCheck final : public RequestCheck {
 public:
  explicit RecipientCheck(message::Authority gateway) : gateway_(std::move(gateway)) {}
  [[nodiscard]] std::string_view name() const noexcept override { return "recipient"; }
  [[nodiscard]] std::optional<Rejection> check(ExchangeContext& context) const override;

 private:
  message::Authority gateway_;
};

// Remembers request ids for the freshness window, sharded so that concurrent requests rarely share
// a lock. Request ids seen within a retention period. It grows with the rate (at 5,000/s and the default
// retention of ten minutes, three million ids), so each id is kept as 16 bytes (a UUID's own bytes,
// else the first 16 bytes of its SHA-256) in one of kGenerations sets per shard, each set covering
// retention / (kGenerations - 1) of time: the oldest set is dropped whole when its time is up, so
// forgetting costs no scan and happens outside the lock. An id is remembered for at least the
// retention period and at most kGenerations / (kGenerations - 1) times it. bench/README.md states
// the memory and cost per id.
class ReplayGuard {
 public:
  explicit ReplayGuard(std::chrono::seconds retention);
  // True when `uuid` was not seen within the retention period (and remembers it now).
  [[nodiscard]] bool first_sighting(std::string_view uuid, std::chrono::steady_clock::time_point now);
  // Ids remembered now (for metrics and the benchmark).
  [[nodiscard]] std::size_t size() const;

  static constexpr std::size_t kGenerations = 8;
  struct Key {
    std::array<unsigned char, 16> bytes;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& key) const noexcept;
  };
  // How an id is kept (also in a cluster's shared window, as hex).
  [[nodiscard]] static Key key_of(std::string_view id);
  [[nodiscard]] bool first_sighting(const Key& key, std::chrono::steady_clock::time_point now);

 private:
  struct Shard {
    mutable std::mutex mutex;
    std::array<std::unordered_set<Key, KeyHash>, kGenerations> generations;
    std::size_t current = 0;
    std::chrono::steady_clock::time_point current_started{};
  };
  static constexpr std::size_t kShards = 32;
  std::chrono::steady_clock::duration span_;  // of one generation
  Shard shards_[kShards];
};

class FreshnessCheck final : public RequestCheck {
 public:
  // `replay` outlives pipeline swaps so that a configuration change does not forget the UUIDs
  // seen; null: a guard of its own.
  explicit FreshnessCheck(std::chrono::milliseconds window, std::shared_ptr<ReplayGuard> replay = nullptr);
  // A guard that remembers UUIDs as long as a message carrying them could pass the time check.
  [[nodiscard]] static std::shared_ptr<ReplayGuard> make_replay_guard(std::chrono::milliseconds window);
  [[nodiscard]] std::string_view name() const noexcept override { return "freshness"; }
  [[nodiscard]] std::optional<Rejection> check(ExchangeContext& context) const override;

 private:
  std::chrono::milliseconds window_;
  std::shared_ptr<ReplayGuard> replay_;
};

class PermissionCheck final : public RequestCheck {
 public:
  explicit PermissionCheck(std::shared_ptr<const trust::PermissionMatrix> matrix) : matrix_(std::move(matrix)) {}
  [[nodiscard]] std::string_view name() const noexcept override { return "permission"; }
  [[nodiscard]] std::optional<Rejection> check(ExchangeContext& context) const override;

 private:
  std::shared_ptr<const trust::PermissionMatrix> matrix_;
};

// xs:dateTime with a time zone (Z or +hh:mm) -> seconds since the epoch; nullopt when malformed
// or without a time zone.
[[nodiscard]] std::optional<std::chrono::system_clock::time_point> parse_xs_datetime(std::string_view text);

}  // namespace oncegate::exchange
