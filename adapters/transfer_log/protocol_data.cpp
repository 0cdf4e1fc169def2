#include "adapters/transfer_log/protocol_data.hpp"

#include <algorithm>
#include <mutex>

#include "gateway/common/time.hpp"

namespace oncegate::adapters::transfer_log {

namespace {

log::ProtocolPageQuery page_query(const ProtocolQuery& query, const log::NodePlace& place) {
  log::ProtocolPageQuery page{query.from_ms, query.to_ms, query.limit, place.before()};
  // A node whose entries were all read still counts what it withholds over the whole period.
  if (place.kind == log::NodePlace::Kind::end) page.before = 0;
  return page;
}

std::string peer_target(const log::ProtocolPageQuery& page) {
  std::string target = "/peer/v1/protocol?limit=" + std::to_string(page.limit);
  if (page.from_ms != 0) target += "&from_ms=" + std::to_string(page.from_ms);
  if (page.to_ms != INT64_MAX) target += "&to_ms=" + std::to_string(page.to_ms);
  if (page.before) target += "&before=" + std::to_string(*page.before);
  return target;
}

// Another node's page, checked before it is used: well formed, and only the person's entries.
std::optional<log::ProtocolPage> usable_page(const NodeAnswer& answer, const std::string& pseudonym, std::size_t limit,
                                             std::string& problem) {
  if (!answer.answered) {
    problem = answer.problem;
    return std::nullopt;
  }
  if (answer.status != 200) {
    problem = "answered with status " + std::to_string(answer.status);
    return std::nullopt;
  }
  auto page = log::parse_protocol_page(answer.body, limit);
  for (const auto& entry : page ? page->entries : std::vector<log::ProtocolEntry>{}) {
    const auto record = log::TransferRecord::parse(entry.record);
    if (!record || record->pseudonym != pseudonym) page.reset();
    if (!page) break;
  }
  if (!page) problem = "gave an answer that cannot be used";
  return page;
}

// What merging the nodes' pages needs until the last part has come in.
struct Gathering {
  std::mutex mutex;
  ProtocolQuery query;
  log::NodeCursor cursor;
  std::string self;
  std::optional<log::ProtocolPage> local;
  std::string local_problem;
  bool local_done = false;
  bool others_done = false;
  std::optional<std::vector<NodeAnswer>> others;
  FetchHandler done;
  CallCounter* counter = nullptr;
};

FetchResult merged(Gathering& g, const std::string& pseudonym) {
  if (!g.others) return FetchResult{FetchStatus::unavailable, {}, "the cluster's node directory cannot be read"};
  if (!g.local) return FetchResult{FetchStatus::unavailable, {}, "the transfer log could not be read: " + g.local_problem};
  struct Part {
    log::NodePlace old;
    log::ProtocolPage page;
  };
  std::vector<Part> parts;
  std::vector<std::pair<std::string, std::string>> missing;
  const auto place_of = [&](const std::string& node) {
    const auto found = g.cursor.find(node);
    return found == g.cursor.end() ? log::NodePlace{} : found->second;
  };
  g.local->node = g.self;
  parts.push_back({place_of(g.self), std::move(*g.local)});
  for (const auto& answer : *g.others) {
    std::string problem;
    if (auto page = usable_page(answer, pseudonym, g.query.limit, problem)) {
      page->node = answer.node;
      parts.push_back({place_of(answer.node), std::move(*page)});
    } else {
      missing.emplace_back(answer.node, problem.substr(0, 200));
    }
  }
  std::sort(parts.begin(), parts.end(), [](const Part& a, const Part& b) { return a.page.node < b.page.node; });
  std::vector<log::ProtocolPage> pages;
  for (auto& part : parts) pages.push_back(std::move(part.page));
  std::vector<std::size_t> taken(pages.size(), 0);
  for (const auto& [page, entry] : log::merge_newest_first(pages, g.query.limit)) taken[page] = entry + 1;

  // Each node's place after this page; a node that did not answer keeps its place.
  log::NodeCursor next = g.cursor;
  FetchResult result;
  result.status = FetchStatus::found;
  result.evidence.document = "protokolldaten";
  for (std::size_t i = 0; i < pages.size(); ++i) {
    auto& page = pages[i];
    log::NodePlace place = parts[i].old;
    if (taken[i] == page.entries.size() && place.kind != log::NodePlace::Kind::end) {
      place = page.next_before ? log::NodePlace{log::NodePlace::Kind::before, *page.next_before}
                               : log::NodePlace{log::NodePlace::Kind::end, 0};
    } else if (taken[i] > 0) {
      place = {log::NodePlace::Kind::before, page.entries[taken[i] - 1].number};
    }
    next[page.node] = place;
    // Only what this page shows, and the checkpoints its proofs are against.
    page.entries.resize(taken[i]);
    std::map<std::uint64_t, std::string> checkpoints;
    for (const auto& e : page.entries) {
      if (e.proof) checkpoints.emplace(e.proof->tree_size, page.checkpoints[e.proof->tree_size]);
    }
    page.checkpoints = std::move(checkpoints);
    page.next_before.reset();
    result.evidence.fields.emplace_back("protokoll", log::protocol_page_json(page));
  }
  for (const auto& [node, problem] : missing) next[node] = place_of(node);  // asked again from there
  if (log::node_cursor_continues(next)) result.evidence.fields.emplace_back("fortsetzung", log::node_cursor_text(next));
  for (const auto& [node, problem] : missing) result.evidence.fields.emplace_back("ohne_antwort", node + "\t" + problem);
  return result;
}

// Called when one more part has come in: the last one merges and answers.
void part_done(const std::shared_ptr<Gathering>& g, const std::string& pseudonym) {
  FetchHandler done;
  FetchResult result;
  {
    std::lock_guard lock(g->mutex);
    if (!g->local_done || !g->others_done || !g->done) return;
    try {
      result = merged(*g, pseudonym);
    } catch (const std::exception& failure) {
      result = FetchResult{FetchStatus::unavailable, {}, std::string("the nodes' pages could not be merged: ") + failure.what()};
    }
    done = std::move(g->done);
    g->done = nullptr;
  }
  if (result.status != FetchStatus::found) g->counter->failed();
  done(std::move(result));
}

}  // namespace

ProtocolDataAdapter::ProtocolDataAdapter(std::function<log::TransferLog&()> log, std::string pseudonym_secret,
                                         std::optional<ClusterProtocol> cluster)
    : log_(std::move(log)), secret_(std::move(pseudonym_secret)), cluster_(std::move(cluster)) {}

void ProtocolDataAdapter::fetch(EvidenceQuery query, std::chrono::steady_clock::time_point, FetchHandler done) {
  counter_.started();
  const ProtocolQuery page = query.protocol.value_or(ProtocolQuery{});
  if (cluster_) {
    std::string pseudonym;
    try {
      pseudonym = log::pseudonym(secret_, query.idnr);
    } catch (const std::exception& failure) {
      counter_.failed();
      return done(FetchResult{FetchStatus::unavailable, {}, failure.what()});
    }
    return fetch_across_nodes(page, pseudonym, std::move(done));
  }
  FetchResult result;
  try {
    const auto found = log::protocol_page(log_(), log::pseudonym(secret_, query.idnr),
                                          {page.from_ms, page.to_ms, page.limit, page.before}, common::now_ms());
    result.status = FetchStatus::found;
    result.evidence.document = "protokolldaten";
    result.evidence.fields.emplace_back("protokoll", log::protocol_page_json(found));
    if (found.next_before) result.evidence.fields.emplace_back("naechste", std::to_string(*found.next_before));
  } catch (const std::exception& failure) {
    counter_.failed();
    result = FetchResult{FetchStatus::unavailable, {}, std::string("the transfer log could not be read: ") + failure.what()};
  }
  done(std::move(result));
}

void ProtocolDataAdapter::fetch_across_nodes(const ProtocolQuery& page, const std::string& pseudonym, FetchHandler done) {
  auto g = std::make_shared<Gathering>();
  g->query = page;
  g->cursor = log::parse_node_cursor(page.continuation).value_or(log::NodeCursor{});
  g->self = cluster_->self;
  g->done = std::move(done);
  g->counter = &counter_;
  const auto place_of = [cursor = g->cursor](const std::string& node) {
    const auto found = cursor.find(node);
    return found == cursor.end() ? log::NodePlace{} : found->second;
  };
  // The others are asked first, so that their answers travel while this node reads its own.
  cluster_->ask(
      [page, place_of](const std::string& node) { return peer_target(page_query(page, place_of(node))); }, pseudonym,
      [g, pseudonym](std::optional<std::vector<NodeAnswer>> answers) {
        {
          std::lock_guard lock(g->mutex);
          g->others = std::move(answers);
          g->others_done = true;
        }
        part_done(g, pseudonym);
      });
  std::optional<log::ProtocolPage> local;
  std::string problem;
  try {
    local = log::protocol_page(log_(), pseudonym, page_query(page, place_of(cluster_->self)), common::now_ms());
  } catch (const std::exception& failure) {
    problem = failure.what();
  }
  {
    std::lock_guard lock(g->mutex);
    g->local = std::move(local);
    g->local_problem = std::move(problem);
    g->local_done = true;
  }
  part_done(g, pseudonym);
}

}  // namespace oncegate::adapters::transfer_log
