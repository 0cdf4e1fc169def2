#include "gateway/log/wire.hpp"

#include <set>

#include <boost/json.hpp>

#include "gateway/crypto/crypto.hpp"

namespace oncegate::log {

namespace json = boost::json;

std::string head_json(const TreeHead& head) {
  json::object o;
  o["size"] = head.size;
  o["root"] = head.root_hex;
  o["time_ms"] = head.time_ms;
  if (head.is_checkpoint()) o["checkpoint"] = head.checkpoint;
  else o["signature"] = head.signature;
  return json::serialize(o);
}

std::optional<TreeHead> parse_head(std::string_view bytes) {
  boost::system::error_code ec;
  const json::value v = json::parse(bytes, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const auto& o = v.as_object();
  try {
    TreeHead head{json::value_to<std::uint64_t>(o.at("size")), json::value_to<std::string>(o.at("root")),
                  json::value_to<std::int64_t>(o.at("time_ms")), {}, {}};
    if (o.contains("checkpoint")) head.checkpoint = json::value_to<std::string>(o.at("checkpoint"));
    else head.signature = json::value_to<std::string>(o.at("signature"));
    if (head.checkpoint.empty() && head.signature.empty()) return std::nullopt;
    return head;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::string purge_json(const PurgeNote& note) {
  json::object o;
  o["time_ms"] = note.time_ms;
  o["cutoff_ms"] = note.cutoff_ms;
  o["count"] = note.count;
  o["first_sequence"] = note.first_sequence;
  o["end_sequence"] = note.end_sequence;
  o["retention_ms"] = note.retention_ms;
  if (!note.note.empty()) o["note"] = note.note;
  else o["signature"] = note.signature;
  return json::serialize(o);
}

std::optional<PurgeNote> parse_purge(std::string_view bytes) {
  boost::system::error_code ec;
  const json::value v = json::parse(bytes, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const auto& o = v.as_object();
  try {
    PurgeNote note{json::value_to<std::int64_t>(o.at("time_ms")), json::value_to<std::int64_t>(o.at("cutoff_ms")),
                   json::value_to<std::uint64_t>(o.at("count")), json::value_to<std::uint64_t>(o.at("first_sequence")),
                   json::value_to<std::uint64_t>(o.at("end_sequence")), json::value_to<std::int64_t>(o.at("retention_ms")),
                   {}, {}};
    if (o.contains("note")) note.note = json::value_to<std::string>(o.at("note"));
    else note.signature = json::value_to<std::string>(o.at("signature"));
    if (note.note.empty() && note.signature.empty()) return std::nullopt;
    return note;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::string TransferRecord::serialise() const {
  json::object o;
  o["v"] = 2;
  o["seq"] = sequence;
  o["time_ms"] = time_ms;
  o["transfer_id"] = transfer_id;
  o["request_uuid"] = request_uuid;
  o["requester"] = requester;
  o["register_adapter"] = register_adapter;
  o["register_name"] = register_name;
  o["evidence_type"] = evidence_type;
  o["purpose"] = purpose;
  o["legal_basis"] = legal_basis;
  o["permission_rule"] = permission_rule;
  o["outcome"] = outcome;
  o["code"] = code;
  o["answer_digest"] = answer_digest;
  o["latency_us"] = latency_us;
  o["pseudonym"] = pseudonym;
  json::array fields;
  for (const auto& field : data_fields) fields.emplace_back(field);
  o["data_fields"] = std::move(fields);
  o["visible_from_ms"] = visible_from_ms;
  if (!withholding_basis.empty()) o["withholding_basis"] = withholding_basis;
  return json::serialize(o);
}

std::optional<TransferRecord> TransferRecord::parse(std::string_view bytes) {
  boost::system::error_code ec;
  const json::value v = json::parse(bytes, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const auto& o = v.as_object();
  try {
    TransferRecord r;
    r.sequence = json::value_to<std::uint64_t>(o.at("seq"));
    r.time_ms = json::value_to<std::int64_t>(o.at("time_ms"));
    r.transfer_id = json::value_to<std::string>(o.at("transfer_id"));
    r.request_uuid = json::value_to<std::string>(o.at("request_uuid"));
    r.requester = json::value_to<std::string>(o.at("requester"));
    r.register_adapter = json::value_to<std::string>(o.at("register_adapter"));
    r.register_name = json::value_to<std::string>(o.at("register_name"));
    r.evidence_type = json::value_to<std::string>(o.at("evidence_type"));
    r.purpose = json::value_to<std::string>(o.at("purpose"));
    r.legal_basis = json::value_to<std::string>(o.at("legal_basis"));
    r.permission_rule = json::value_to<std::string>(o.at("permission_rule"));
    r.outcome = json::value_to<std::string>(o.at("outcome"));
    r.code = json::value_to<std::string>(o.at("code"));
    r.answer_digest = json::value_to<std::string>(o.at("answer_digest"));
    r.latency_us = json::value_to<std::uint32_t>(o.at("latency_us"));
    r.pseudonym = json::value_to<std::string>(o.at("pseudonym"));
    r.format = o.contains("v") ? json::value_to<int>(o.at("v")) : 1;
    if (r.format != 1 && r.format != 2) return std::nullopt;
    // Fields added after format 1 are optional: a record written before them still reads.
    if (const auto* fields = o.if_contains("data_fields")) r.data_fields = json::value_to<std::vector<std::string>>(*fields);
    if (const auto* visible = o.if_contains("visible_from_ms")) r.visible_from_ms = json::value_to<std::int64_t>(*visible);
    if (const auto* basis = o.if_contains("withholding_basis")) r.withholding_basis = json::value_to<std::string>(*basis);
    return r;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::string PurgeNote::signed_text() const {
  return "oncegate-purge-v1\n" + std::to_string(first_sequence) + "\n" + std::to_string(end_sequence) + "\n" +
         std::to_string(cutoff_ms) + "\n" + std::to_string(time_ms) + "\n" + std::to_string(retention_ms) + "\n";
}

std::string PurgeNote::statement_text(const std::string& origin) const {
  return "oncegate-purge/v2\n" + origin + "\n" + std::to_string(first_sequence) + "\n" + std::to_string(end_sequence) +
         "\n" + std::to_string(cutoff_ms) + "\n" + std::to_string(time_ms) + "\n" + std::to_string(retention_ms) + "\n";
}

std::string commitment_entry(std::string_view salt, std::string_view record_bytes) {
  std::string entry(1, '\x01');
  entry.append(crypto::hmac_sha256(salt, record_bytes));
  return entry;
}

tlog::VerifierKey LogIdentity::verifier() const { return {origin, tlog::kEd25519, key ? key->public_key() : std::string()}; }

tlog::VerifierKey LogIdentity::time_verifier() const {
  return {origin, tlog::kTimestampedEd25519, key ? key->public_key() : std::string()};
}

std::size_t WitnessPolicy::cosigners(const TreeHead& head) const {
  if (!head.is_checkpoint() || witnesses.empty()) return 0;
  const auto note = tlog::parse_note(head.checkpoint);
  if (!note) return 0;
  std::set<std::string> seen;  // distinct witnesses (name + id), each counted once
  for (const auto& witness : witnesses) {
    if (tlog::verified_signature(*note, witness) != nullptr) seen.insert(witness.name + "/" + std::to_string(witness.id()));
  }
  return seen.size();
}

std::string TreeHead::signed_text() const {
  return "oncegate-tree-head-v1\n" + std::to_string(size) + "\n" + root_hex + "\n" + std::to_string(time_ms) + "\n";
}

}  // namespace oncegate::log
