#pragma once
// Checking a citizen's verifiable Auskunft ("oncegate-auskunft/1", written by the Datencockpit:
// docs/TRANSPARENCY.md) offline: each entry's salted commitment over its record, its inclusion
// proof up to the checkpoint it names, each checkpoint's signature by the log key and its
// witnesses' cosignatures against the quorum. Used by `oncegate-logverify --proof`.
// Thread-safe (a pure function).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/log/transfer_log.hpp"

namespace oncegate::log {

struct AuskunftReport {
  bool ok = false;
  std::string problem;             // the first one, when not ok
  std::string origin;              // the log the file is from
  std::uint64_t entries = 0;       // entries verified
  std::uint64_t checkpoints = 0;   // checkpoints verified
  std::uint64_t withheld = 0;      // entries the file says are withheld (not in it)
  std::vector<std::string> withheld_bases;
  bool keys_from_file = false;     // no key was given: the file's own were used (compare them!)
};

// `log_key` and `witnesses`: the keys the citizen trusts (the published vkeys); when `log_key` is
// empty the file's own keys are used and keys_from_file says so.
[[nodiscard]] AuskunftReport verify_auskunft(std::string_view json_text, const std::optional<tlog::VerifierKey>& log_key,
                                             const std::optional<WitnessPolicy>& witnesses);

// A cluster's Auskunft ("oncegate-auskunft-set/1"): one "oncegate-auskunft/1" part per node's
// log, each verified on its own with verify_auskunft, and the nodes that did not answer when it
// was put together (their entries are not in it). nullopt when the text is not such a set.
struct AuskunftPart {
  std::string node;
  std::string origin;  // of its log (the part's "log"."origin")
  std::string text;    // the part as JSON text
};
struct AuskunftSet {
  std::vector<AuskunftPart> parts;
  std::vector<std::string> missing_nodes;
};
[[nodiscard]] std::optional<AuskunftSet> split_auskunft_set(std::string_view json_text);

}  // namespace oncegate::log
