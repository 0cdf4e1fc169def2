#pragma once
// Submits the log's checkpoints to its witnesses (C2SP tlog-witness add-checkpoint, with the
// consistency proof from the size each last cosigned) on a thread of its own, and stores the
// cosignatures they answer with the checkpoint (TransferLog::add_cosignatures). A witness that
// answers 409 names the size it knows; the next submission proves from there. A witness that
// claims to have cosigned a larger tree than the log has is reported as a split view.
//
// Thread safety: the submitter owns its thread; status() may be called from any thread.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gateway/log/transfer_log.hpp"
#include "gateway/tlog/note.hpp"

namespace oncegate::transparency {

struct WitnessEndpoint {
  tlog::VerifierKey key;      // its cosigning key (0x04)
  std::string url;            // https://host:port/prefix/ ; add-checkpoint is appended
  std::string ca_file;        // PEM bundle its TLS certificate must chain to
};

struct WitnessStatus {
  std::string name;
  std::uint64_t cosigned_size = 0;  // the newest size it cosigned for us
  std::uint64_t failures = 0;       // submissions that failed (network, refusals)
  std::string last_problem;         // empty when the last submission succeeded
};

class WitnessSubmitter {
 public:
  WitnessSubmitter(log::TransferLog& log, std::vector<WitnessEndpoint> witnesses,
                   std::chrono::milliseconds poll = std::chrono::milliseconds(50),
                   std::chrono::milliseconds timeout = std::chrono::seconds(5));
  ~WitnessSubmitter();  // stops and joins the thread
  WitnessSubmitter(const WitnessSubmitter&) = delete;
  WitnessSubmitter& operator=(const WitnessSubmitter&) = delete;

  [[nodiscard]] std::vector<WitnessStatus> status() const;

 private:
  struct Witness;
  void run();
  void submit(Witness& witness, const log::TreeHead& head);

  log::TransferLog& log_;
  std::vector<std::unique_ptr<Witness>> witnesses_;
  std::chrono::milliseconds poll_;
  std::chrono::milliseconds timeout_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace oncegate::transparency
