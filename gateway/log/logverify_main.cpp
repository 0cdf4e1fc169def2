// oncegate-logverify: checks a transfer log, the way an auditor would.
//
// A log directory (--log, offline): recomputes every leaf from the stored records (format 2:
// through their salted commitment entries) and the Merkle tree from the leaves, and checks every
// stored checkpoint against that one tree (the log key's signature, its signed time; and so their
// consistency with each other), every format-1 tree head with the gateway certificate (--cert,
// repeatable after key rotations), the purge statements, and, with --witness and --quorum, that
// every record is under a checkpoint that many witnesses cosigned. It fails closed.
//
// A published log (--url, online, nothing but its tiles): fetches the checkpoint, verifies the log
// key's signature and the witnesses' cosignatures, fetches every level-0 tile and checks that the
// leaves give the checkpoint's root, checks each higher tile against the tiles below, every entry
// bundle against its tile, and (with --state FILE) that the log only grew since the last run,
// whose checkpoint it remembers there.
//
// A citizen's Auskunft (--proof FILE, offline): the file the Datencockpit's "Alles herunterladen"
// gives, every entry's commitment and inclusion proof against the checkpoint it names, every
// checkpoint's signature and cosignatures, with the log's vkey (--vkey / --vkey-file) and the
// witnesses (--witness, --quorum) when given, else the file's own (said so in the output). A
// cluster's file (oncegate-auskunft-set/1) has one part per node's log, each verified so.
//
// Exit 0 when consistent, 1 at the first inconsistency (printed), 2 when it cannot read the log,
// 3 when a cluster's Auskunft verified but names nodes that did not answer (it is incomplete).

#include <cstdio>
#include <filesystem>
#include <map>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "gateway/client/https_client.hpp"
#include "gateway/common/bytes.hpp"
#include "gateway/common/files.hpp"
#include "gateway/crypto/data_signer.hpp"
#include "gateway/log/auskunft.hpp"
#include "gateway/log/transfer_log.hpp"
#include "gateway/tlog/checkpoint.hpp"
#include "gateway/tlog/merkle.hpp"
#include "gateway/tlog/note.hpp"

namespace {

using namespace oncegate;

struct Inconsistent : std::runtime_error {
  using std::runtime_error::runtime_error;
};

tlog::VerifierKey read_vkey(const std::string& text, std::uint8_t type, const char* what) {
  const auto key = tlog::parse_vkey(text);
  if (!key || key->type != type) throw std::runtime_error(std::string("not a ") + what + " vkey: " + text.substr(0, 120));
  return *key;
}

// The published log, from its tiles alone.
int verify_remote(const std::string& url, const std::string& ca, const tlog::VerifierKey& log_key,
                  const log::WitnessPolicy& policy, const std::string& state_file) {
  if (!url.starts_with("https://")) throw std::runtime_error("--url must be an https:// URL");
  std::string rest = url.substr(8);
  const auto slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  std::string prefix = slash == std::string::npos ? "/" : rest.substr(slash);
  if (!prefix.ends_with('/')) prefix += '/';
  std::uint16_t port = 443;
  if (const auto colon = authority.rfind(':'); colon != std::string::npos) {
    port = static_cast<std::uint16_t>(std::stoul(authority.substr(colon + 1)));
    authority = authority.substr(0, colon);
  }
  client::HttpsClient connection(authority, port, client::ClientTls{ca, {}, {}});
  std::uint64_t fetched = 0;
  const auto get = [&](const std::string& path) {
    auto reply = connection.request("GET", prefix + path);
    ++fetched;
    return reply;
  };
  const auto reply = get("checkpoint");
  if (reply.status != 200) throw std::runtime_error("GET checkpoint: HTTP " + std::to_string(reply.status));
  const auto note = tlog::parse_note(reply.body);
  const auto checkpoint = note ? tlog::parse_checkpoint_text(note->text) : std::nullopt;
  if (!checkpoint) throw Inconsistent("the checkpoint is not a signed note with origin, size and root");
  if (checkpoint->origin != log_key.name) throw Inconsistent("the checkpoint names another log: " + checkpoint->origin);
  if (tlog::verified_signature(*note, log_key) == nullptr) throw Inconsistent("the checkpoint is not signed by the log key");
  log::TreeHead head{checkpoint->size, common::to_hex(checkpoint->root), 0, {}, reply.body};
  const std::size_t cosigners = policy.cosigners(head);
  if (cosigners < policy.quorum) {
    throw Inconsistent("the checkpoint has " + std::to_string(cosigners) + " witness cosignatures, " +
                       std::to_string(policy.quorum) + " are required");
  }
  // Level 0: every leaf hash, and the entries that hash to them.
  const std::uint64_t size = checkpoint->size;
  std::vector<tlog::Hash> leaves;
  leaves.reserve(size);
  std::uint64_t entries = 0, unpublished = 0;
  for (std::uint64_t index = 0; index * tlog::kTileWidth < size; ++index) {
    const auto width = static_cast<unsigned>(std::min<std::uint64_t>(tlog::kTileWidth, size - index * tlog::kTileWidth));
    const tlog::TileRef ref{false, 0, index, width};
    const auto tile = get(ref.path());
    if (tile.status != 200 || tile.body.size() != 32u * width) throw Inconsistent(ref.path() + " is missing or has the wrong size");
    for (unsigned i = 0; i < width; ++i) leaves.push_back(tile.body.substr(32 * i, 32));
    const tlog::TileRef bundle_ref{true, 0, index, width};
    const auto bundle = get(bundle_ref.path());
    if (bundle.status == 404) {
      unpublished += width;  // entries written before commitments (format 1) are not published
      continue;
    }
    if (bundle.status != 200) throw Inconsistent(bundle_ref.path() + ": HTTP " + std::to_string(bundle.status));
    std::size_t at = 0;
    for (unsigned i = 0; i < width; ++i) {
      if (at + 2 > bundle.body.size()) throw Inconsistent(bundle_ref.path() + " is truncated");
      const std::size_t length = (static_cast<unsigned char>(bundle.body[at]) << 8) | static_cast<unsigned char>(bundle.body[at + 1]);
      if (at + 2 + length > bundle.body.size()) throw Inconsistent(bundle_ref.path() + " is truncated");
      const std::string entry = bundle.body.substr(at + 2, length);
      if (tlog::leaf_hash(entry) != leaves[index * tlog::kTileWidth + i]) {
        throw Inconsistent("entry " + std::to_string(index * tlog::kTileWidth + i) + " does not hash to its leaf");
      }
      if (length != 33 || entry[0] != '\x01') throw Inconsistent("entry " + std::to_string(index * tlog::kTileWidth + i) + " is not a commitment");
      at += 2 + length;
      ++entries;
    }
    if (at != bundle.body.size()) throw Inconsistent(bundle_ref.path() + " holds more than its entries");
  }
  tlog::Frontier frontier;
  for (const auto& leaf : leaves) (void)frontier.append(leaf);
  if (frontier.root() != checkpoint->root) throw Inconsistent("the tiles' leaves do not give the checkpoint's root");
  // Higher levels: each hash the root of 256 hashes of the level below.
  std::vector<tlog::Hash> below = leaves;
  for (unsigned level = 1; below.size() >= tlog::kTileWidth; ++level) {
    std::vector<tlog::Hash> hashes;
    for (std::size_t i = 0; i + tlog::kTileWidth <= below.size(); i += tlog::kTileWidth) {
      tlog::Frontier subtree;
      for (std::size_t j = i; j < i + tlog::kTileWidth; ++j) (void)subtree.append(below[j]);
      hashes.push_back(subtree.root());
    }
    for (std::uint64_t index = 0; index * tlog::kTileWidth < hashes.size(); ++index) {
      const auto width = static_cast<unsigned>(std::min<std::uint64_t>(tlog::kTileWidth, hashes.size() - index * tlog::kTileWidth));
      const tlog::TileRef ref{false, level, index, width};
      const auto tile = get(ref.path());
      if (tile.status != 200 || tile.body.size() != 32u * width) throw Inconsistent(ref.path() + " is missing or has the wrong size");
      for (unsigned i = 0; i < width; ++i) {
        if (tile.body.substr(32 * i, 32) != hashes[index * tlog::kTileWidth + i]) throw Inconsistent(ref.path() + " does not match the tiles below it");
      }
    }
    below = std::move(hashes);
  }
  // What the last run saw must be a prefix of what is there now.
  if (!state_file.empty() && std::filesystem::exists(state_file)) {
    const auto previous = tlog::parse_checkpoint_text(common::read_file(state_file, "state"));
    if (!previous || previous->origin != checkpoint->origin) throw std::runtime_error("the state file is unreadable or of another log");
    if (previous->size > size) throw Inconsistent("the log shrank from " + std::to_string(previous->size) + " to " + std::to_string(size));
    tlog::Frontier prefix_tree;
    for (std::uint64_t i = 0; i < previous->size; ++i) (void)prefix_tree.append(leaves[i]);
    if (prefix_tree.root() != previous->root) {
      throw Inconsistent("the log is not an extension of the checkpoint of size " + std::to_string(previous->size) +
                         " seen last time: it was rewritten or forked");
    }
  }
  if (!state_file.empty()) common::write_file_atomically(state_file, checkpoint->text(), false);
  std::printf("OK: %s at size %llu, root %s; signed by the log key, cosigned by %zu witness(es); %llu commitment "
              "entries checked, %llu older entries not published; %llu resources fetched\n",
              checkpoint->origin.c_str(), static_cast<unsigned long long>(size), common::base64_encode(checkpoint->root).c_str(),
              cosigners, static_cast<unsigned long long>(entries), static_cast<unsigned long long>(unpublished),
              static_cast<unsigned long long>(fetched));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"oncegate-logverify: verify a transfer log (records, commitments, Merkle tree, checkpoints, witnesses)"};
  std::string directory = "./var/log";
  std::string url;
  std::string ca;
  std::vector<std::string> certificates;
  std::string vkey;
  std::string vkey_file = "./var/log.vkey";
  std::vector<std::string> more_vkeys;
  std::vector<std::string> witnesses;
  std::size_t quorum = 0;
  std::string state_file;
  std::string proof_file;
  cli.add_option("--proof", proof_file, "Verify a citizen's Auskunft file (Datencockpit: \"Alles herunterladen\") offline")
      ->check(CLI::ExistingFile);
  cli.add_option("--log", directory, "Transfer log directory")->capture_default_str();
  cli.add_option("--url", url, "Verify the published log at this prefix instead, e.g. https://127.0.0.1:8447/log/v1/");
  cli.add_option("--ca", ca, "CA bundle the published log's TLS certificate chains to (with --url)");
  cli.add_option("--vkey", vkey, "The log's vkey (GET <prefix>/vkey; the gateway writes it to <data_dir>/log.vkey)");
  cli.add_option("--vkey-file", vkey_file, "A file holding the log's vkey")->capture_default_str();
  cli.add_option("--also-vkey", more_vkeys,
                 "With --proof: the vkey of a further log (a cluster's Auskunft has one part per node's log; repeatable)");
  cli.add_option("--witness", witnesses, "A witness's vkey whose cosignatures count (repeatable)");
  cli.add_option("--quorum", quorum, "Cosignatures of those witnesses every checkpoint relied on needs")->capture_default_str();
  cli.add_option("--state", state_file, "With --url: the checkpoint of the last run; the log must extend it (updated)");
  cli.add_option("--cert", certificates,
                 "Gateway signing certificate (PEM) for tree heads written before checkpoints (format 1); repeat it "
                 "for every key the gateway used. Default: ./var/demo/gateway-signing.pem when it exists");
  std::int64_t grace_ms = 10'000;
  unsigned retention_days = 730;
  cli.add_option("--grace-ms", grace_ms,
                 "How long after the newest checkpoint records may stand without one (at least the gateway's "
                 "log.head_every_ms plus one second; a crash can leave at most that)")
      ->capture_default_str()
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{86'400'000}));
  cli.add_option("--retention-days", retention_days,
                 "The gateway's log.retention_days: a signed purge statement may not purge younger records")
      ->capture_default_str()
      ->check(CLI::Range(1u, 36500u));
  std::string expected_requests;
  cli.add_option("--expect-requests", expected_requests,
                 "File of request ids (nachrichtenUUID or OOTS request id), one per line, that must each have a "
                 "record, e.g. every request a client saw answered; the missing ones are printed")
      ->check(CLI::ExistingFile);
  CLI11_PARSE(cli, argc, argv);
  try {
    if (!proof_file.empty()) {
      std::optional<tlog::VerifierKey> key;
      if (!vkey.empty()) key = read_vkey(vkey, tlog::kEd25519, "log's (Ed25519)");
      else if (std::filesystem::exists(vkey_file)) key = read_vkey(common::read_file(vkey_file, "log vkey file"), tlog::kEd25519, "log's (Ed25519)");
      std::optional<log::WitnessPolicy> given;
      if (!witnesses.empty()) {
        given.emplace();
        for (const auto& text : witnesses) given->witnesses.push_back(read_vkey(text, tlog::kTimestampedEd25519, "witness's (timestamped Ed25519)"));
        given->quorum = quorum;
      }
      const std::string text = common::read_file(proof_file, "Auskunft file");
      // A cluster's file holds one part per node's log, each verified on its own with the key
      // given for its log (a key's name is its log's origin). Once any key is given, every part
      // needs its own: a part of a log nobody vouched for is not taken on the file's word.
      std::map<std::string, tlog::VerifierKey> keys;
      if (key) keys.emplace(key->name, *key);
      for (const auto& text : more_vkeys) {
        const auto more = read_vkey(text, tlog::kEd25519, "log's (Ed25519)");
        keys.emplace(more.name, more);
      }
      const auto set = log::split_auskunft_set(text);
      std::vector<log::AuskunftPart> parts;
      if (set) parts = set->parts;
      else parts.push_back({std::string(), std::string(), text});
      if (parts.empty()) {
        std::printf("INCONSISTENT: the file holds no part of any log\n");
        return 1;
      }
      for (const auto& [node, origin, part] : parts) {
        std::optional<tlog::VerifierKey> part_key;
        if (!set) {
          part_key = key;
        } else if (const auto found = keys.find(origin); found != keys.end()) {
          part_key = found->second;
        } else if (!keys.empty()) {
          std::printf("INCONSISTENT (node %s): no key was given for its log %s (give it with --also-vkey)\n", node.c_str(),
                      origin.c_str());
          return 1;
        }
        const auto report = log::verify_auskunft(part, part_key, given);
        const std::string where = node.empty() ? std::string() : " (node " + node + ")";
        if (!report.ok) {
          std::printf("INCONSISTENT%s: %s\n", where.c_str(), report.problem.c_str());
          return 1;
        }
        std::printf("OK: %llu entries of the log %s%s verified against %llu checkpoints (signed by the log key, cosigned as "
                    "required)%s\n",
                    static_cast<unsigned long long>(report.entries), report.origin.c_str(), where.c_str(),
                    static_cast<unsigned long long>(report.checkpoints),
                    report.keys_from_file ? "; NOTE: with the keys the file itself names: compare them with the published vkey" : "");
        if (report.withheld > 0) {
          std::printf("%llu further entries are withheld from you (not in the file):", static_cast<unsigned long long>(report.withheld));
          for (const auto& basis : report.withheld_bases) std::printf(" %s;", basis.c_str());
          std::printf("\n");
        }
      }
      if (set && !set->missing_nodes.empty()) {
        std::printf("NOTE: these nodes did not answer when the file was made; their entries are not in it:");
        for (const auto& node : set->missing_nodes) std::printf(" %s", node.c_str());
        std::printf("\n");
        return 3;
      }
      return 0;
    }
    const std::string vkey_text = !vkey.empty() ? vkey : common::read_file(vkey_file, "log vkey file");
    const auto log_key = read_vkey(vkey_text, tlog::kEd25519, "log's (Ed25519)");
    log::WitnessPolicy policy;
    for (const auto& text : witnesses) policy.witnesses.push_back(read_vkey(text, tlog::kTimestampedEd25519, "witness's (timestamped Ed25519)"));
    policy.quorum = quorum;
    if (quorum > policy.witnesses.size()) throw std::runtime_error("--quorum is more than the witnesses given");
    if (!url.empty()) return verify_remote(url, ca, log_key, policy, state_file);

    if (certificates.empty() && std::filesystem::exists("./var/demo/gateway-signing.pem")) {
      certificates.emplace_back("./var/demo/gateway-signing.pem");
    }
    std::vector<std::unique_ptr<crypto::DataVerifier>> verifiers;
    for (const auto& certificate : certificates) {
      verifiers.push_back(std::make_unique<crypto::DataVerifier>(common::read_file(certificate, "certificate")));
    }
    log::VerifyOptions options;
    if (!verifiers.empty()) {
      options.verify_signature = [&](const std::string& text, const std::string& signature) {
        for (const auto& verifier : verifiers) {
          if (verifier->verify(text, signature)) return true;
        }
        return false;
      };
    }
    options.log_key = log_key;
    options.witnesses = policy;
    options.grace_ms = grace_ms;
    options.retention_ms = static_cast<std::int64_t>(retention_days) * 24 * 3600 * 1000;
    const auto report = log::verify_log_directory(directory, options);
    if (!report.ok) {
      std::printf("INCONSISTENT after %llu records and %llu tree heads: %s\n",
                  static_cast<unsigned long long>(report.records), static_cast<unsigned long long>(report.heads),
                  report.first_problem.c_str());
      return 1;
    }
    std::printf("OK: %llu records, %llu purged by retention (entries kept), %llu commitment entries, %llu signed tree "
                "heads verified (%llu checkpoints, %llu cosigned by %zu of the witnesses given)\n",
                static_cast<unsigned long long>(report.records), static_cast<unsigned long long>(report.purged),
                static_cast<unsigned long long>(report.entries), static_cast<unsigned long long>(report.heads),
                static_cast<unsigned long long>(report.checkpoints), static_cast<unsigned long long>(report.cosigned),
                policy.quorum);
    if (!expected_requests.empty()) {
      std::ifstream in(expected_requests);
      std::vector<std::string> ids;
      for (std::string line; std::getline(in, line);) {
        if (!line.empty()) ids.push_back(line);
      }
      const auto missing = log::requests_missing_from_log(directory, ids);
      for (const auto& id : missing) std::printf("MISSING: no record of request %s\n", id.c_str());
      if (!missing.empty()) {
        std::printf("INCONSISTENT: %zu of %zu expected requests have no record\n", missing.size(), ids.size());
        return 1;
      }
      std::printf("OK: all %zu expected requests have their records\n", ids.size());
    }
    return 0;
  } catch (const Inconsistent& problem) {
    std::printf("INCONSISTENT: %s\n", problem.what());
    return 1;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "oncegate-logverify: %s\n", error.what());
    return 2;
  }
}
