#include "gateway/log/auskunft.hpp"

#include <map>

#include <boost/json.hpp>

#include "gateway/common/bytes.hpp"
#include "gateway/tlog/checkpoint.hpp"
#include "gateway/tlog/merkle.hpp"
#include "gateway/tlog/note.hpp"

namespace oncegate::log {

namespace json = boost::json;

namespace {

struct Bad : std::runtime_error {
  using std::runtime_error::runtime_error;
};

const json::object& object_at(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || !v->is_object()) throw Bad("\"" + std::string(key) + "\" is missing or not an object");
  return v->as_object();
}

std::string string_at(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) throw Bad("\"" + std::string(key) + "\" is missing or not a string");
  return std::string(v->as_string());
}

std::uint64_t number_at(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || !(v->is_uint64() || (v->is_int64() && v->as_int64() >= 0))) {
    throw Bad("\"" + std::string(key) + "\" is missing or not a whole number");
  }
  return v->is_uint64() ? v->as_uint64() : static_cast<std::uint64_t>(v->as_int64());
}

std::string hex_at(const json::object& o, std::string_view key) {
  const auto bytes = common::from_hex(string_at(o, key));
  if (!bytes) throw Bad("\"" + std::string(key) + "\" is not hex");
  return *bytes;
}

tlog::VerifierKey vkey_of(const std::string& text, std::uint8_t type) {
  const auto key = tlog::parse_vkey(text);
  if (!key || key->type != type) throw Bad("not a usable vkey: " + text.substr(0, 80));
  return *key;
}

}  // namespace

AuskunftReport verify_auskunft(std::string_view json_text, const std::optional<tlog::VerifierKey>& log_key,
                               const std::optional<WitnessPolicy>& witnesses) {
  AuskunftReport report;
  try {
    boost::system::error_code ec;
    const auto value = json::parse(json_text, ec);
    if (ec || !value.is_object()) throw Bad("the file is not a JSON object");
    const auto& file = value.as_object();
    if (string_at(file, "format") != "oncegate-auskunft/1") throw Bad("the file is not an oncegate Auskunft (format)");
    const auto& log = object_at(file, "log");
    report.origin = string_at(log, "origin");
    report.keys_from_file = !log_key.has_value();
    const tlog::VerifierKey key = log_key ? *log_key : vkey_of(string_at(log, "log_vkey"), tlog::kEd25519);
    if (key.name != report.origin) throw Bad("the log key is for '" + key.name + "', the file for '" + report.origin + "'");
    WitnessPolicy policy;
    if (witnesses) {
      policy = *witnesses;
    } else {
      const auto* listed = log.if_contains("witnesses");
      if (listed != nullptr && listed->is_array()) {
        for (const auto& w : listed->as_array()) {
          if (!w.is_string()) throw Bad("a witness vkey is not a string");
          policy.witnesses.push_back(vkey_of(std::string(w.as_string()), tlog::kTimestampedEd25519));
        }
      }
      policy.quorum = static_cast<std::size_t>(number_at(log, "quorum"));
    }
    // Every checkpoint: the log's signature, enough witnesses, and its size and root.
    std::map<std::uint64_t, tlog::Hash> roots;
    for (const auto& [size_text, note_value] : object_at(file, "checkpoints")) {
      if (!note_value.is_string()) throw Bad("checkpoint " + std::string(size_text) + " is not text");
      const std::string note_text(note_value.as_string());
      const auto note = tlog::parse_note(note_text);
      if (!note || tlog::verified_signature(*note, key) == nullptr) {
        throw Bad("checkpoint " + std::string(size_text) + " is not signed by the log key");
      }
      const auto checkpoint = tlog::parse_checkpoint_text(note->text);
      if (!checkpoint || checkpoint->origin != report.origin || std::to_string(checkpoint->size) != size_text) {
        throw Bad("checkpoint " + std::string(size_text) + " names another log or size");
      }
      TreeHead head;
      head.size = checkpoint->size;
      head.checkpoint = note_text;
      if (policy.cosigners(head) < policy.quorum) {
        throw Bad("checkpoint " + std::string(size_text) + " has " + std::to_string(policy.cosigners(head)) + " of the " +
                  std::to_string(policy.quorum) + " witness cosignatures it needs");
      }
      roots.emplace(checkpoint->size, checkpoint->root);
      ++report.checkpoints;
    }
    const auto* entries = file.if_contains("entries");
    if (entries == nullptr || !entries->is_array()) throw Bad("\"entries\" is missing");
    for (const auto& item : entries->as_array()) {
      if (!item.is_object()) throw Bad("an entry is not an object");
      const auto& e = item.as_object();
      const std::uint64_t index = number_at(e, "leaf_index");
      const std::string where = "entry " + std::to_string(index);
      const std::string record_bytes = string_at(e, "record");
      const auto record = TransferRecord::parse(record_bytes);
      if (!record || record->sequence != index) throw Bad(where + ": the record does not read or has another number");
      // What the file shows of the transfer is what the committed record says.
      const auto& shown = object_at(e, "transfer");
      if (string_at(shown, "requester") != record->requester || string_at(shown, "evidence_type") != record->evidence_type ||
          string_at(shown, "outcome") != record->outcome || number_at(shown, "time_ms") != static_cast<std::uint64_t>(record->time_ms)) {
        throw Bad(where + ": the transfer shown differs from its record");
      }
      const std::string entry = hex_at(e, "entry");
      if (entry != commitment_entry(hex_at(e, "salt"), record_bytes)) throw Bad(where + ": the commitment does not match the record");
      const auto leaf = tlog::leaf_hash(entry);
      const std::uint64_t size = number_at(object_at(e, "tree_head"), "size");
      const auto root = roots.find(size);
      if (root == roots.end()) throw Bad(where + ": proven against a checkpoint the file does not hold");
      std::vector<tlog::Hash> path;
      const auto* steps = e.if_contains("path");
      if (steps == nullptr || !steps->is_array()) throw Bad(where + ": no path");
      for (const auto& step : steps->as_array()) {
        const auto bytes = step.is_string() ? common::from_hex(step.as_string()) : std::nullopt;
        if (!bytes || bytes->size() != 32) throw Bad(where + ": a path hash is not 32 bytes of hex");
        path.push_back(*bytes);
      }
      if (!tlog::verify_inclusion(index, size, leaf, path, root->second)) {
        throw Bad(where + ": the inclusion proof does not lead to the checkpoint's root");
      }
      ++report.entries;
    }
    if (const auto* withheld = file.if_contains("withheld"); withheld != nullptr && withheld->is_array()) {
      for (const auto& w : withheld->as_array()) {
        if (!w.is_object()) continue;
        report.withheld += number_at(w.as_object(), "count");
        report.withheld_bases.push_back(string_at(w.as_object(), "basis"));
      }
    }
    report.ok = true;
  } catch (const Bad& problem) {
    report.problem = problem.what();
  } catch (const std::exception& problem) {
    report.problem = std::string("unreadable: ") + problem.what();
  }
  return report;
}

std::optional<AuskunftSet> split_auskunft_set(std::string_view json_text) {
  boost::system::error_code ec;
  const auto parsed = json::parse(json_text, ec);
  if (ec || !parsed.is_object()) return std::nullopt;
  const auto& file = parsed.as_object();
  const auto* format = file.if_contains("format");
  const auto* parts = file.if_contains("parts");
  if (format == nullptr || !format->is_string() || format->as_string() != "oncegate-auskunft-set/1" || parts == nullptr ||
      !parts->is_array()) {
    return std::nullopt;
  }
  AuskunftSet set;
  for (const auto& part : parts->as_array()) {
    if (!part.is_object()) return std::nullopt;
    const auto& object = part.as_object();
    AuskunftPart out;
    if (const auto* node = object.if_contains("node"); node != nullptr && node->is_string()) out.node = node->as_string();
    if (const auto* log = object.if_contains("log"); log != nullptr && log->is_object()) {
      if (const auto* origin = log->as_object().if_contains("origin"); origin != nullptr && origin->is_string()) out.origin = origin->as_string();
    }
    out.text = json::serialize(part);
    set.parts.push_back(std::move(out));
  }
  if (const auto* nodes = file.if_contains("nodes"); nodes != nullptr && nodes->is_array()) {
    for (const auto& node : nodes->as_array()) {
      if (!node.is_object()) continue;
      const auto* answered = node.as_object().if_contains("answered");
      const auto* name = node.as_object().if_contains("node");
      if (answered != nullptr && answered->is_bool() && !answered->as_bool() && name != nullptr && name->is_string()) {
        set.missing_nodes.emplace_back(name->as_string());
      }
    }
  }
  return set;
}

}  // namespace oncegate::log
