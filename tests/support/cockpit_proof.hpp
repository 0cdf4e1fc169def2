#pragma once
// Checking a Datencockpit transfer's detail (GET /cockpit/api/transfers/N) the way the page
// does, in C++: the salted commitment over the stored record, the leaf, the inclusion path up to
// the tree head, and the checkpoint: signed by the log key it names, which must be the expected
// one, for the same size and root. Header-only: the tests that use it parse JSON already.

#include <string>
#include <vector>

#include <boost/json.hpp>

#include "gateway/common/bytes.hpp"
#include "gateway/log/transfer_log.hpp"
#include "gateway/tlog/checkpoint.hpp"
#include "gateway/tlog/merkle.hpp"
#include "gateway/tlog/note.hpp"

namespace oncegate::testing {

// Empty when the detail proves itself with the log key `log_public_key` (raw Ed25519); else
// the first thing that does not hold.
inline std::string cockpit_proof_problem(const boost::json::object& detail, const std::string& log_public_key) {
  try {
    const std::string record(detail.at("record").as_string());
    const auto salt = common::from_hex(detail.at("salt").as_string());
    if (!salt) return "the salt is not hex";
    // The leaf is over the commitment entry: 0x01 || HMAC-SHA-256(salt, record).
    const auto entry = log::commitment_entry(*salt, record);
    if (common::to_hex(entry) != detail.at("entry").as_string()) return "the entry is not the commitment over the record";
    const auto leaf = tlog::leaf_hash(entry);
    if (common::to_hex(leaf) != detail.at("leaf_hash").as_string()) return "the leaf hash is not the entry's";
    std::vector<tlog::Hash> path;
    for (const auto& h : detail.at("path").as_array()) path.push_back(*common::from_hex(h.as_string()));
    const auto& head = detail.at("tree_head").as_object();
    const auto size = head.at("size").to_number<std::uint64_t>();
    const auto root = common::from_hex(head.at("root").as_string());
    if (!root || !tlog::verify_inclusion(detail.at("leaf_index").to_number<std::uint64_t>(), size, leaf, path, *root)) {
      return "the inclusion path does not lead to the tree head's root";
    }
    const auto vkey = tlog::parse_vkey(std::string(detail.at("log").at("log_vkey").as_string()));
    if (!vkey) return "the log's vkey does not parse";
    if (vkey->public_key != log_public_key) return "the log's vkey is not the expected log key";
    const auto note = tlog::parse_note(std::string(detail.at("checkpoint").as_string()));
    if (!note) return "the checkpoint is not a signed note";
    if (tlog::verified_signature(*note, *vkey) == nullptr) return "the checkpoint is not signed by the log key";
    const auto checkpoint = tlog::parse_checkpoint_text(note->text);
    if (!checkpoint) return "the checkpoint's text does not parse";
    if (checkpoint->size != size || common::to_hex(checkpoint->root) != head.at("root").as_string()) {
      return "the checkpoint is not the tree head's";
    }
    return {};
  } catch (const std::exception& failure) {
    return std::string("the detail lacks a field: ") + failure.what();
  }
}

}  // namespace oncegate::testing
