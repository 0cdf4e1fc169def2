#pragma once
// The configuration a cluster's nodes share: one document (the operators' changes, as JSON text)
// with a version, stored in the shared store; a change is stored only when the version it was
// built on is still the stored one (compare-and-set in one Lua script, atomic in Redis). Each node
// reports the version it runs in a hash, so the admin API can show every node's.
//
// Thread safety: as RedisClient; callbacks run on the client's strand.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "gateway/store/redis_client.hpp"

namespace oncegate::store {

struct StoredDocument {
  std::uint64_t version = 0;  // 0: nothing stored yet
  std::string document;
};

class SharedConfigStore {
 public:
  SharedConfigStore(std::shared_ptr<RedisClient> client, std::string key_prefix);

  // Stores `document` as version expected + 1 when version `expected` is the stored one. Calls
  // then(new version), then(0) when another change came first, then(nullopt) when unreachable.
  void publish(std::uint64_t expected, std::string document, std::function<void(std::optional<std::uint64_t>)> then);
  // The stored version alone (cheap: what every node polls).
  void version(std::function<void(std::optional<std::uint64_t>)> then);
  // The version and the document, read together.
  void fetch(std::function<void(std::optional<StoredDocument>)> then);
  // This node's report (JSON text), and every node's.
  void report(const std::string& node, std::string report);
  void reports(std::function<void(std::optional<std::map<std::string, std::string>>)> then);

 private:
  std::shared_ptr<RedisClient> client_;
  std::string version_key_, document_key_, nodes_key_;
};

}  // namespace oncegate::store
