#pragma once
// Checking every entry of a DSC answer (protokolldatenAntwort) the way a DSC or the citizen
// does: each protokoll's checkpoints signed by the log key expected for it (per node in a
// cluster), each entry's salted commitment over its record, and its inclusion path up to the
// checkpoint of its own protokoll (the one its knoten names). Header-only, on the answer's text.

#include <map>
#include <regex>
#include <string>
#include <vector>

#include "gateway/common/bytes.hpp"
#include "gateway/log/transfer_log.hpp"
#include "gateway/tlog/checkpoint.hpp"
#include "gateway/tlog/merkle.hpp"
#include "gateway/tlog/note.hpp"

namespace oncegate::testing {

struct DscProofReport {
  std::string problem;      // empty when every proof held
  std::size_t verified = 0; // entries whose proof verified
};

inline std::string xml_unescaped(std::string text) {
  for (const auto& [from, to] : {std::pair<const char*, const char*>{"&quot;", "\""}, {"&apos;", "'"}, {"&lt;", "<"}, {"&gt;", ">"},
                                 {"&#10;", "\n"}, {"&amp;", "&"}}) {
    text = std::regex_replace(text, std::regex(from), to);
  }
  return text;
}

// `vkeys`: the log key expected per node ("" for a single gateway's protokoll without knoten).
inline DscProofReport verify_dsc_proofs(const std::string& body, const std::map<std::string, tlog::VerifierKey>& vkeys) {
  DscProofReport report;
  // Node -> tree size -> root, from checkpoints that verify with that node's key.
  std::map<std::string, std::map<std::uint64_t, tlog::Hash>> roots;
  // ([\s\S]: the checkpoints' notes span lines.)
  static const std::regex protokoll_re("<dsc:protokoll(?: knoten=\"([^\"]*)\")?>([\\s\\S]*?)</dsc:protokoll>");
  static const std::regex checkpoint_re("<dsc:checkpoint groesse=\"(\\d+)\">([^<]*)</dsc:checkpoint>");
  for (auto p = std::sregex_iterator(body.begin(), body.end(), protokoll_re); p != std::sregex_iterator(); ++p) {
    const std::string node = (*p)[1].str();
    const auto key = vkeys.find(node);
    if (key == vkeys.end()) return {"no key expected for the protokoll of node '" + node + "'", 0};
    const std::string inner = (*p)[2].str();
    for (auto c = std::sregex_iterator(inner.begin(), inner.end(), checkpoint_re); c != std::sregex_iterator(); ++c) {
      const auto note = tlog::parse_note(xml_unescaped((*c)[2].str()));
      if (!note || tlog::verified_signature(*note, key->second) == nullptr) {
        return {"a checkpoint of node '" + node + "' is not signed by its log key", 0};
      }
      const auto checkpoint = tlog::parse_checkpoint_text(note->text);
      if (!checkpoint || std::to_string(checkpoint->size) != (*c)[1].str()) return {"a checkpoint's size is not its groesse", 0};
      roots[node][checkpoint->size] = checkpoint->root;
    }
  }
  static const std::regex entry_re(
      "<dsc:eintrag nummer=\"(\\d+)\"(?: knoten=\"([^\"]*)\")?>(?:(?!</dsc:eintrag>)[\\s\\S])*?<dsc:datensatz>(.*?)</dsc:datensatz><dsc:salz>([0-9a-f]+)</dsc:salz>"
      "<dsc:eintrag>([0-9a-f]+)</dsc:eintrag><dsc:baumgroesse>(\\d+)</dsc:baumgroesse><dsc:pfad>(.*?)</dsc:pfad>");
  static const std::regex hash_re("<dsc:hash>([0-9a-f]{64})</dsc:hash>");
  for (auto it = std::sregex_iterator(body.begin(), body.end(), entry_re); it != std::sregex_iterator(); ++it) {
    const auto& m = *it;
    const std::string node = m[2].str();
    const std::string where = "entry " + m[1].str() + (node.empty() ? "" : " of node '" + node + "'");
    const auto entry = log::commitment_entry(*common::from_hex(m[4].str()), xml_unescaped(m[3].str()));
    if (common::to_hex(entry) != m[5].str()) return {where + ": the entry is not the commitment over the record", report.verified};
    std::vector<tlog::Hash> path;
    const std::string hashes = m[7].str();
    for (auto h = std::sregex_iterator(hashes.begin(), hashes.end(), hash_re); h != std::sregex_iterator(); ++h) {
      path.push_back(*common::from_hex((*h)[1].str()));
    }
    const auto size = std::stoull(m[6].str());
    const auto root = roots[node].find(size);
    if (root == roots[node].end()) return {where + ": no checkpoint of its own log at its tree size", report.verified};
    if (!tlog::verify_inclusion(std::stoull(m[1].str()), size, tlog::leaf_hash(entry), path, root->second)) {
      return {where + ": the inclusion path does not lead to its checkpoint", report.verified};
    }
    ++report.verified;
  }
  return report;
}

}  // namespace oncegate::testing
