#pragma once
// One page of a person's protocol data (the national Datenschutzcockpit's view of the transfer
// log, docs/DSC.md): the person's entries newest first in a period, each with its inclusion
// proof, what a permission rule withholds from the citizen counted instead of listed, and the
// log's keys. In a cluster every node answers such a page for its own log (`/peer/v1/protocol`,
// as JSON) and the asking node merges them newest first; `NodeCursor` says where each node's part
// stands after the pages already read.
//
// Thread safety: protocol_page() reads the log concurrently with its writers (the log's reads
// are safe); the JSON functions are pure.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/log/transfer_log.hpp"

namespace oncegate::log {

struct ProtocolPageQuery {
  std::int64_t from_ms = 0;
  std::int64_t to_ms = INT64_MAX;
  std::size_t limit = 50;
  std::optional<std::uint64_t> before;  // entries older than this entry number
};

struct ProtocolProof {
  std::string salt_hex;
  std::string entry_hex;
  std::uint64_t tree_size = 0;
  std::vector<std::string> path_hex;
};

struct ProtocolEntry {
  std::uint64_t number = 0;
  std::int64_t time_ms = 0;
  std::string record;                  // the stored record's bytes (the commitment is over them)
  std::optional<ProtocolProof> proof;  // absent while no cosigned checkpoint includes the entry
};

struct ProtocolPage {
  std::string node;                    // in a cluster: whose log (set by the node that merges)
  std::string origin;                  // the log's checkpoint origin
  std::string vkey;                    // its note verifier key
  std::vector<std::string> witness_vkeys;
  std::uint64_t witness_quorum = 0;
  std::map<std::uint64_t, std::string> checkpoints;  // tree size -> signed note, those proved against
  std::vector<ProtocolEntry> entries;  // newest first
  std::optional<std::uint64_t> next_before;          // older entries follow
  std::map<std::string, std::uint64_t> withheld;     // legal basis -> entries withheld, whole period
};

// The person's page of `log` (by the keyed pseudonym), as of `now_ms` (an entry withheld until a
// later time is counted, not listed). Throws what the log's reads throw.
[[nodiscard]] ProtocolPage protocol_page(const TransferLog& log, const std::string& pseudonym,
                                         const ProtocolPageQuery& query, std::int64_t now_ms);

// The page as JSON, and read back: nullopt when the text is not such a page (a peer's answer is
// checked whole before anything of it is used; at most `max_entries` entries).
[[nodiscard]] std::string protocol_page_json(const ProtocolPage& page);
[[nodiscard]] std::optional<ProtocolPage> parse_protocol_page(std::string_view text, std::size_t max_entries);

// Newest first over several logs' pages, each page taken in its own order (a k-way merge; equal
// times: the earlier page first): at most `limit` (page index, entry index) pairs.
[[nodiscard]] std::vector<std::pair<std::size_t, std::size_t>> merge_newest_first(const std::vector<ProtocolPage>& pages,
                                                                                  std::size_t limit);

// Where each node's part of a merged list stands: "a:top,b:123,c:end" (top: nothing read yet;
// 123: entries older than 123 follow; end: nothing more). A node it does not name starts at the
// top (it joined since).
struct NodePlace {
  enum class Kind { top, before, end } kind = Kind::top;
  std::uint64_t number = 0;  // for `before`
  [[nodiscard]] std::optional<std::uint64_t> before() const {
    return kind == Kind::before ? std::optional<std::uint64_t>(number) : std::nullopt;
  }
};
using NodeCursor = std::map<std::string, NodePlace>;
[[nodiscard]] std::optional<NodeCursor> parse_node_cursor(std::string_view text);
[[nodiscard]] std::string node_cursor_text(const NodeCursor& cursor);
// More follows at some node.
[[nodiscard]] bool node_cursor_continues(const NodeCursor& cursor);

}  // namespace oncegate::log
