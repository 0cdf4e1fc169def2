#include "gateway/log/protocol_page.hpp"

#include <charconv>

#include <boost/json.hpp>

#include "gateway/common/bytes.hpp"

namespace oncegate::log {

namespace json = boost::json;

ProtocolPage protocol_page(const TransferLog& log, const std::string& pseudonym, const ProtocolPageQuery& query,
                           std::int64_t now_ms) {
  ProtocolPage page;
  page.origin = log.identity().origin;
  page.vkey = log.identity().verifier().vkey();
  for (const auto& w : log.witness_policy().witnesses) page.witness_vkeys.push_back(w.vkey());
  page.witness_quorum = log.witness_policy().quorum;
  // The whole period is read: the withheld entries are counted over all of it, and the page's
  // cursor is the last entry listed.
  std::optional<std::uint64_t> cursor;
  bool more = false;
  for (;;) {
    const auto records = log.by_person(pseudonym, query.from_ms, query.to_ms, 500, cursor);
    for (const auto& r : records.records) {
      if (r.visible_from_ms > now_ms) {
        ++page.withheld[r.withholding_basis];
        continue;
      }
      if (query.before && r.sequence >= *query.before) continue;
      if (page.entries.size() == query.limit) {
        more = true;
        continue;
      }
      ProtocolEntry entry{r.sequence, r.time_ms, r.serialise(), std::nullopt};
      if (const auto proof = log.prove(r.sequence); proof && proof->record.pseudonym == r.pseudonym) {
        ProtocolProof p{common::to_hex(proof->salt), common::to_hex(proof->entry), proof->head.size, {}};
        for (const auto& h : proof->path) p.path_hex.push_back(common::to_hex(h));
        page.checkpoints.emplace(proof->head.size, proof->head.checkpoint);
        entry.record = proof->record_bytes;
        entry.proof = std::move(p);
      }
      page.entries.push_back(std::move(entry));
    }
    if (!records.next_before) break;
    cursor = records.next_before;
  }
  if (more && !page.entries.empty()) page.next_before = page.entries.back().number;
  return page;
}

std::string protocol_page_json(const ProtocolPage& page) {
  json::array witnesses;
  for (const auto& w : page.witness_vkeys) witnesses.emplace_back(w);
  json::array checkpoints;
  for (const auto& [size, note] : page.checkpoints) checkpoints.push_back(json::object{{"size", size}, {"note", note}});
  json::array entries;
  for (const auto& e : page.entries) {
    json::object entry{{"number", e.number}, {"time_ms", e.time_ms}, {"record", e.record}};
    if (e.proof) {
      json::array path;
      for (const auto& h : e.proof->path_hex) path.emplace_back(h);
      entry["proof"] = json::object{{"salt", e.proof->salt_hex},
                                    {"entry", e.proof->entry_hex},
                                    {"tree_size", e.proof->tree_size},
                                    {"path", std::move(path)}};
    }
    entries.push_back(std::move(entry));
  }
  json::array withheld;
  for (const auto& [basis, count] : page.withheld) withheld.push_back(json::object{{"basis", basis}, {"count", count}});
  json::object body{{"format", "oncegate-protocol-page/1"},
                    {"node", page.node},
                    {"origin", page.origin},
                    {"vkey", page.vkey},
                    {"witnesses", std::move(witnesses)},
                    {"witness_quorum", page.witness_quorum},
                    {"checkpoints", std::move(checkpoints)},
                    {"entries", std::move(entries)},
                    {"withheld", std::move(withheld)}};
  body["next_before"] = page.next_before ? json::value(*page.next_before) : json::value(nullptr);
  return json::serialize(body);
}

namespace {

const json::string* text_at(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? &v->as_string() : nullptr;
}

std::optional<std::uint64_t> whole_at(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr) return std::nullopt;
  if (v->is_uint64()) return v->as_uint64();
  if (v->is_int64() && v->as_int64() >= 0) return static_cast<std::uint64_t>(v->as_int64());
  return std::nullopt;
}

const json::array* array_at(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_array() ? &v->as_array() : nullptr;
}

bool is_hex(std::string_view text, std::size_t bytes) {
  const auto decoded = common::from_hex(text);
  return decoded && (bytes == 0 || decoded->size() == bytes);
}

std::optional<ProtocolProof> read_proof(const json::object& o) {
  const auto* salt = text_at(o, "salt");
  const auto* entry = text_at(o, "entry");
  const auto size = whole_at(o, "tree_size");
  const auto* path = array_at(o, "path");
  if (salt == nullptr || entry == nullptr || !size || path == nullptr || path->size() > 64) return std::nullopt;
  if (!is_hex(*salt, 32) || !is_hex(*entry, 0)) return std::nullopt;
  ProtocolProof proof{std::string(*salt), std::string(*entry), *size, {}};
  for (const auto& h : *path) {
    if (!h.is_string() || !is_hex(h.as_string(), 32)) return std::nullopt;
    proof.path_hex.emplace_back(h.as_string());
  }
  return proof;
}

}  // namespace

std::optional<ProtocolPage> parse_protocol_page(std::string_view text, std::size_t max_entries) {
  boost::system::error_code ec;
  const auto parsed = json::parse(text, ec);
  if (ec || !parsed.is_object()) return std::nullopt;
  const auto& o = parsed.as_object();
  const auto* format = text_at(o, "format");
  const auto* origin = text_at(o, "origin");
  const auto* vkey = text_at(o, "vkey");
  const auto* witnesses = array_at(o, "witnesses");
  const auto quorum = whole_at(o, "witness_quorum");
  const auto* checkpoints = array_at(o, "checkpoints");
  const auto* entries = array_at(o, "entries");
  const auto* withheld = array_at(o, "withheld");
  const auto* next = o.if_contains("next_before");
  if (format == nullptr || *format != "oncegate-protocol-page/1" || origin == nullptr || vkey == nullptr ||
      witnesses == nullptr || !quorum || checkpoints == nullptr || entries == nullptr || withheld == nullptr ||
      next == nullptr || entries->size() > max_entries || witnesses->size() > 64 || checkpoints->size() > max_entries + 1) {
    return std::nullopt;
  }
  // What goes into the DSC's answer as text stays within the schema's bounds (dsc:Text).
  const auto fits = [](const json::string& text, std::size_t limit) { return text.size() <= limit; };
  if (!fits(*origin, 1024) || !fits(*vkey, 1024)) return std::nullopt;
  if (const auto* node = text_at(o, "node"); node != nullptr && !fits(*node, 64)) return std::nullopt;
  ProtocolPage page;
  if (const auto* node = text_at(o, "node")) page.node = *node;
  page.origin = *origin;
  page.vkey = *vkey;
  page.witness_quorum = *quorum;
  for (const auto& w : *witnesses) {
    if (!w.is_string() || w.as_string().size() > 1024) return std::nullopt;
    page.witness_vkeys.emplace_back(w.as_string());
  }
  for (const auto& c : *checkpoints) {
    const auto* item = c.if_object();
    if (item == nullptr) return std::nullopt;
    const auto size = whole_at(*item, "size");
    const auto* note = text_at(*item, "note");
    if (!size || note == nullptr || note->size() > 16384) return std::nullopt;
    page.checkpoints.emplace(*size, std::string(*note));
  }
  std::optional<std::uint64_t> previous;
  for (const auto& e : *entries) {
    const auto* item = e.if_object();
    if (item == nullptr) return std::nullopt;
    const auto number = whole_at(*item, "number");
    const auto time = whole_at(*item, "time_ms");
    const auto* record = text_at(*item, "record");
    if (!number || !time || *time > static_cast<std::uint64_t>(INT64_MAX) || record == nullptr) return std::nullopt;
    // Newest first, as the merge takes it: each entry older than the one before.
    if (previous && *number >= *previous) return std::nullopt;
    previous = number;
    ProtocolEntry entry{*number, static_cast<std::int64_t>(*time), std::string(*record), std::nullopt};
    if (const auto* proof = item->if_contains("proof")) {
      if (!proof->is_object()) return std::nullopt;
      entry.proof = read_proof(proof->as_object());
      if (!entry.proof || !page.checkpoints.contains(entry.proof->tree_size)) return std::nullopt;
    }
    page.entries.push_back(std::move(entry));
  }
  for (const auto& w : *withheld) {
    const auto* item = w.if_object();
    if (item == nullptr) return std::nullopt;
    const auto* basis = text_at(*item, "basis");
    const auto count = whole_at(*item, "count");
    if (basis == nullptr || !count) return std::nullopt;
    page.withheld[std::string(*basis)] += *count;
  }
  if (!next->is_null()) {
    const auto before = whole_at(o, "next_before");
    if (!before) return std::nullopt;
    page.next_before = before;
  }
  return page;
}

std::vector<std::pair<std::size_t, std::size_t>> merge_newest_first(const std::vector<ProtocolPage>& pages, std::size_t limit) {
  std::vector<std::size_t> taken(pages.size(), 0);
  std::vector<std::pair<std::size_t, std::size_t>> order;
  while (order.size() < limit) {
    std::optional<std::size_t> best;
    for (std::size_t i = 0; i < pages.size(); ++i) {
      if (taken[i] >= pages[i].entries.size()) continue;
      if (!best || pages[i].entries[taken[i]].time_ms > pages[*best].entries[taken[*best]].time_ms) best = i;
    }
    if (!best) break;
    order.emplace_back(*best, taken[*best]++);
  }
  return order;
}

std::optional<NodeCursor> parse_node_cursor(std::string_view text) {
  NodeCursor cursor;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const auto part = text.substr(0, comma);
    const auto colon = part.rfind(':');
    if (colon == std::string_view::npos || colon == 0) return std::nullopt;
    const auto value = part.substr(colon + 1);
    NodePlace place;
    if (value == "end") {
      place.kind = NodePlace::Kind::end;
    } else if (value != "top") {
      std::uint64_t number = 0;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
      if (ec != std::errc() || end != value.data() + value.size() || value.empty()) return std::nullopt;
      place = {NodePlace::Kind::before, number};
    }
    if (!cursor.emplace(std::string(part.substr(0, colon)), place).second) return std::nullopt;
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return cursor;
}

std::string node_cursor_text(const NodeCursor& cursor) {
  std::string text;
  for (const auto& [node, place] : cursor) {
    if (!text.empty()) text += ',';
    text += node + ':' +
            (place.kind == NodePlace::Kind::end   ? std::string("end")
             : place.kind == NodePlace::Kind::top ? std::string("top")
                                                  : std::to_string(place.number));
  }
  return text;
}

bool node_cursor_continues(const NodeCursor& cursor) {
  for (const auto& [node, place] : cursor) {
    if (place.kind != NodePlace::Kind::end) return true;
  }
  return false;
}

}  // namespace oncegate::log
