#pragma once
// The other nodes of a cluster, as the Datencockpit asks them for a person's transfers: each node
// keeps its own transfer log, so a citizen's view is the merge of every node's answer. A node is
// asked over mutual TLS on its [listeners.peer] (this node presents its peer certificate; the
// other's server certificate must chain to the peer CA and name the address asked). Which nodes
// there are comes from the shared store's node directory (every node announces its peer
// address there), read at most once a second.
//
// Each node has worker threads of its own with a bounded queue, so a node that hangs delays only
// the questions to it; a question is answered by the deadline either way, the late node named.
//
// Thread safety: all members may be called from any thread; `then` runs on the given executor.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

namespace oncegate::datacockpit {

struct PeerSettings {
  std::string self;               // this node's name: left out of the directory's nodes
  std::string ca_file;            // what the nodes' peer listeners' certificates chain to
  std::string certificate_file;   // the client certificate this node presents
  std::string private_key_file;   // its key
  std::chrono::milliseconds timeout{400};  // per question, for all nodes together
  // For the few questions whose answer is large (a citizen's whole Auskunft with its proofs).
  std::chrono::milliseconds slow_timeout{10'000};
  std::size_t threads_per_node = 2;
  std::size_t queue_per_node = 32;         // questions waiting beyond this: that node is "busy"
  // The node directory: then(node -> "host:port" of its peer listener), or then(nullopt) when the
  // store cannot be reached. Called from any thread; `then` may run on any thread.
  std::function<void(std::function<void(std::optional<std::map<std::string, std::string>>)>)> directory;
};

struct PeerAnswer {
  std::string node;
  bool answered = false;    // an HTTP answer came in time
  unsigned status = 0;
  std::string body;
  std::string retry_after;  // its Retry-After header, if any
  // Why not answered, in words fit for a citizen: "no answer within 400 ms", "unreachable",
  // "busy", "unknown node" (the details go to the operation log).
  std::string problem;
};

class PeerClient {
 public:
  explicit PeerClient(PeerSettings settings);
  ~PeerClient();  // stops and joins the worker threads
  PeerClient(const PeerClient&) = delete;
  PeerClient& operator=(const PeerClient&) = delete;

  [[nodiscard]] const std::string& self() const noexcept;
  // No answer is handed to an asker's executor after this returns (call it once the executors'
  // threads have ended, before their io_context goes); questions still asked are dropped.
  void stop();

  // GET target_for(node) with the pseudonym (a header, never in the URL) at every other node at
  // once; then(answers, sorted by node) on `executor` when all answered or the deadline passed,
  // or then(nullopt) when the node directory cannot be read. A node whose target is empty is not
  // asked (its answer: answered, status 0).
  // `slow`: with slow_timeout instead of timeout.
  void ask_all(std::function<std::string(const std::string& node)> target_for, std::string pseudonym,
               boost::asio::any_io_executor executor, std::function<void(std::optional<std::vector<PeerAnswer>>)> then,
               bool slow = false);
  // The same at one node; an unknown node is answered as not answering, "unknown node".
  void ask(std::string node, std::string target, std::string pseudonym, boost::asio::any_io_executor executor,
           std::function<void(PeerAnswer)> then);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// The header that carries the person's pseudonym between nodes.
inline constexpr const char* kPeerPseudonymHeader = "x-oncegate-pseudonym";

}  // namespace oncegate::datacockpit
