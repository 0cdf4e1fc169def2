#pragma once
// A witness (C2SP tlog-witness): cosigns a log's checkpoint once it has checked that the
// checkpoint is signed by the log's pinned key and consistent with the last one it cosigned for
// that origin, and remembers the new size before it answers. Used by oncegate-witness (a data
// protection authority's own process) and by the embedded default's demo witness.
//
//   POST <prefix>add-checkpoint   body: "old <size>\n", proof lines, "\n", the checkpoint
//     200  cosignature line(s)          404  unknown origin      403  no trusted log signature
//     409  old size is not the witness's (body "<size>\n", text/x.tlog.size), or the same size
//          with another root            422  the consistency proof does not hold
//     400  anything malformed, or an old size beyond the checkpoint's
//
// Thread safety: add_checkpoint may run concurrently; checking the old size and persisting the
// new one happen under one lock, so a smaller checkpoint can never roll a larger one back.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/crypto/ed25519.hpp"
#include "gateway/net/http.hpp"
#include "gateway/tlog/merkle.hpp"
#include "gateway/tlog/note.hpp"

namespace oncegate::transparency {

struct WitnessOptions {
  std::filesystem::path data_dir;  // the witness's state: one file per log under logs/
  std::string name;                // its key name, e.g. bfdi.example/witness-1
  std::shared_ptr<const crypto::Ed25519Key> key;
  std::vector<tlog::VerifierKey> logs;  // the logs it witnesses: origin = key name, pinned key
  // Seconds since the epoch for the cosignatures' timestamps (tests may fix it).
  std::function<std::uint64_t()> clock;
};

struct WitnessAnswer {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

class Witness {
 public:
  // Reads the state it keeps. Throws std::runtime_error (unreadable state, no key, bad name).
  explicit Witness(WitnessOptions options);

  [[nodiscard]] WitnessAnswer add_checkpoint(std::string_view body);
  // The key clients verify its cosignatures with (timestamped Ed25519, 0x04).
  [[nodiscard]] tlog::VerifierKey verifier() const;
  // The size it last cosigned for an origin (0 when never).
  [[nodiscard]] std::uint64_t cosigned_size(const std::string& origin) const;

  void register_routes(net::Router& router, const std::string& prefix = "/") ;

 private:
  struct LogState {
    std::uint64_t size = 0;
    tlog::Hash root;
  };
  [[nodiscard]] std::filesystem::path state_file(const std::string& origin) const;

  WitnessOptions options_;
  mutable std::mutex mutex_;
  std::map<std::string, LogState, std::less<>> state_;  // by origin
};

// Generates the key on first use (<data_dir>/witness-key.pem, mode 0600) and writes its vkey to
// <data_dir>/witness.vkey; returns the key.
[[nodiscard]] std::shared_ptr<const crypto::Ed25519Key> load_or_create_key(const std::filesystem::path& file);

}  // namespace oncegate::transparency
