#include "gateway/transparency/witness_client.hpp"

#include <pthread.h>

#include <charconv>

#include "gateway/client/https_client.hpp"
#include "gateway/common/bytes.hpp"
#include "gateway/common/url.hpp"
#include "gateway/oplog/oplog.hpp"

namespace oncegate::transparency {

namespace {

// The witness's URL prefix, ending in '/', so that "add-checkpoint" goes after it.
std::optional<common::HttpsUrl> parse_url(const std::string& url) {
  auto out = common::parse_https_url(url);
  if (out && out->target.find('?') != std::string::npos) return std::nullopt;
  if (out && !out->target.ends_with('/')) out->target += '/';
  return out;
}

}  // namespace

struct WitnessSubmitter::Witness {
  WitnessEndpoint endpoint;
  std::optional<common::HttpsUrl> url;
  std::unique_ptr<client::HttpsClient> connection;
  std::uint64_t known_size = 0;       // what we believe it cosigned last (0: unknown or none)
  std::uint64_t submitted_size = 0;   // the newest checkpoint it has cosigned (ours)
  bool cosigned_once = false;
  std::uint64_t failures = 0;
  std::string last_problem;
  std::chrono::steady_clock::time_point retry_at{};
  bool reported_split = false;
};

WitnessSubmitter::WitnessSubmitter(log::TransferLog& log, std::vector<WitnessEndpoint> witnesses,
                                   std::chrono::milliseconds poll, std::chrono::milliseconds timeout)
    : log_(log), poll_(poll), timeout_(timeout) {
  for (auto& endpoint : witnesses) {
    auto witness = std::make_unique<Witness>();
    witness->url = parse_url(endpoint.url);
    if (!witness->url) throw std::runtime_error("witness " + endpoint.key.name + ": '" + endpoint.url + "' is not an https:// URL");
    witness->endpoint = std::move(endpoint);
    witnesses_.push_back(std::move(witness));
  }
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "oncegate-witc");
    run();
  });
}

WitnessSubmitter::~WitnessSubmitter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

std::vector<WitnessStatus> WitnessSubmitter::status() const {
  std::lock_guard lock(mutex_);
  std::vector<WitnessStatus> out;
  for (const auto& w : witnesses_) out.push_back({w->endpoint.key.name, w->submitted_size, w->failures, w->last_problem});
  return out;
}

void WitnessSubmitter::run() {
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, poll_, [this] { return stopping_; });
      if (stopping_) return;
    }
    const auto head = log_.latest_head();
    if (!head || !head->is_checkpoint()) continue;
    for (auto& witness : witnesses_) {
      if (witness->cosigned_once && head->size <= witness->submitted_size) continue;
      if (std::chrono::steady_clock::now() < witness->retry_at) continue;
      submit(*witness, *head);
    }
  }
}

void WitnessSubmitter::submit(Witness& witness, const log::TreeHead& head) {
  const auto fail = [&](std::string problem) {
    std::lock_guard lock(mutex_);
    ++witness.failures;
    if (problem != witness.last_problem) {
      oplog::write(oplog::Level::warn, "witness_submission_failed", {{"witness", witness.endpoint.key.name}, {"reason", problem}});
    }
    witness.last_problem = std::move(problem);
    witness.connection.reset();
    witness.retry_at = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  };
  // Two rounds at most: a 409 tells the size to prove from, and the second try uses it.
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::string body = "old " + std::to_string(witness.known_size) + "\n";
    if (witness.known_size > 0 && witness.known_size < head.size) {
      for (const auto& hash : log_.consistency(witness.known_size, head.size)) body += common::base64_encode(hash) + "\n";
    }
    body += "\n" + head.checkpoint;
    client::HttpReply reply;
    try {
      if (!witness.connection) {
        witness.connection = std::make_unique<client::HttpsClient>(witness.url->host, witness.url->port,
                                                                   client::ClientTls{witness.endpoint.ca_file, {}, {}}, timeout_);
      }
      reply = witness.connection->request("POST", witness.url->target + "add-checkpoint", body, "text/plain; charset=utf-8");
      if (!reply.keep_alive) witness.connection.reset();
    } catch (const std::exception& error) {
      return fail(std::string("cannot reach it: ") + error.what());
    }
    if (reply.status == 200) {
      const auto lines = tlog::parse_signature_lines(reply.body);
      if (!lines || log_.add_cosignatures(head.size, *lines) == 0) {
        // Nothing of its answer verified with its pinned key (or it was there already).
        bool had = false;
        if (const auto stored = log_.latest_head(); stored && stored->size == head.size) {
          const auto note = tlog::parse_note(stored->checkpoint);
          had = note && tlog::verified_signature(*note, witness.endpoint.key) != nullptr;
        }
        if (!had) return fail("its answer holds no cosignature that verifies with its key");
      }
      std::lock_guard lock(mutex_);
      witness.known_size = head.size;
      witness.submitted_size = head.size;
      witness.cosigned_once = true;
      witness.last_problem.clear();
      return;
    }
    if (reply.status == 409 && reply.content_type.starts_with("text/x.tlog.size")) {
      std::uint64_t size = 0;
      const std::string_view digits = std::string_view(reply.body).substr(0, reply.body.find('\n'));
      const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), size);
      if (ec != std::errc() || end != digits.data() + digits.size()) return fail("a 409 without a readable size");
      if (size > head.size) {
        // It cosigned a larger tree of this origin than this log has: someone else signs with our
        // key, or our log was rolled back. Either way the operator must know.
        if (!witness.reported_split) {
          oplog::write(oplog::Level::error, "witness_reports_larger_tree",
                       {{"witness", witness.endpoint.key.name}, {"witness_size", static_cast<std::int64_t>(size)},
                        {"log_size", static_cast<std::int64_t>(head.size)}});
          witness.reported_split = true;
        }
        return fail("it cosigned a larger tree (" + std::to_string(size) + ") than this log has");
      }
      witness.known_size = size;
      continue;
    }
    return fail("it refused with HTTP " + std::to_string(reply.status) + ": " + reply.body.substr(0, 200));
  }
  fail("it keeps naming another size");
}

}  // namespace oncegate::transparency
