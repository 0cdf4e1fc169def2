#pragma once
// The transfer log as the register of protocol data, for the national Datenschutzcockpit: one
// person's entries (by the keyed pseudonym of the IDNr), newest first, in the period and page the
// query names, each with its inclusion proof, leaving out what a permission rule withholds from
// the citizen and counting it instead (log::protocol_page). Not a configured adapter type: the
// gateway builds it when the DSC interface is on.
//
// In a cluster every node keeps its own log: the adapter asks the other nodes for their pages
// (over their peer listeners, through `AskNodes`) while it reads its own, and merges them newest
// first; a node that does not answer in time is named, and keeps its place in the cursor.
//
// Thread safety: fetch() may run concurrently (the log's reads are).

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "gateway/adapter/adapter.hpp"
#include "gateway/log/protocol_page.hpp"
#include "gateway/log/transfer_log.hpp"

namespace oncegate::adapters::transfer_log {

// One other node's answer to GET target (its `/peer/v1/protocol`).
struct NodeAnswer {
  std::string node;
  bool answered = false;  // an HTTP answer came in time
  unsigned status = 0;
  std::string body;
  std::string problem;    // why not answered, in words fit for the answer ("no answer within 400 ms")
};
// Asks every other node at once: then(answers) by the deadline, or then(nullopt) when which nodes
// there are cannot be known (the node directory is unreadable). Any thread.
using AskNodes = std::function<void(std::function<std::string(const std::string& node)> target_for, std::string pseudonym,
                                    std::function<void(std::optional<std::vector<NodeAnswer>>)> then)>;

struct ClusterProtocol {
  std::string self;  // this node's name
  AskNodes ask;
};

class ProtocolDataAdapter final : public RegisterAdapter {
 public:
  // `cluster`: set on a node of a cluster with peer listeners.
  ProtocolDataAdapter(std::function<log::TransferLog&()> log, std::string pseudonym_secret,
                      std::optional<ClusterProtocol> cluster = std::nullopt);

  [[nodiscard]] const std::string& name() const noexcept override { return name_; }
  [[nodiscard]] const std::string& register_name() const noexcept override { return register_name_; }
  // A single gateway answers at once (its reads on the calling thread; a person's entries are one
  // index range); a cluster node when the other nodes answered or their deadline passed.
  // Evidence fields: ("protokoll", log::protocol_page_json) per log, the page's entries of that
  // log only (a cluster's with "node"), newest first within it; then ("naechste", number) on a
  // single gateway or ("fortsetzung", cursor) in a cluster when older entries follow; then
  // ("ohne_antwort", "node\treason") for each node that did not answer.
  void fetch(EvidenceQuery query, std::chrono::steady_clock::time_point deadline, FetchHandler done) override;
  [[nodiscard]] AdapterStatus status() const override { return counter_.status(); }

 private:
  void fetch_across_nodes(const ProtocolQuery& page, const std::string& pseudonym, FetchHandler done);

  CallCounter counter_;
  std::function<log::TransferLog&()> log_;
  std::string secret_;
  std::optional<ClusterProtocol> cluster_;
  std::string name_ = "transfer-log";
  std::string register_name_ = "Transferprotokoll (oncegate)";
};

}  // namespace oncegate::adapters::transfer_log
