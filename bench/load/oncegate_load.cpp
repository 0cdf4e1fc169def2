// oncegate-load: the whole exchange under load, from outside, as authorities and an OOTS access
// point would send it. Asynchronous (Beast over Asio, C++20 coroutines): a few threads drive
// thousands of keep-alive mutual-TLS connections, never a thread per connection.
//
// Requests are prepared and signed before the run (each may be sent once: the gateway refuses
// replays), for several authorities (the demo permission rules), many people and evidence types,
// and for OOTS from request templates given a fresh id and time. Closed loop (--connections N,
// each sends its next request when the answer arrived) or open loop (--rate R: request i is due at
// start + i/R and its latency is measured from then, so a stalled gateway cannot hide its delay:
// no coordinated omission). A sample of the answers (--verify, default 1 %) is checked: the
// gateway's signature (XMLDSig national, detached JWS for OOTS) and the binding to the request.
//
// Reports throughput, latency percentiles and outcomes by code; writes JSON with --json.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json.hpp>

#include "adapters/population/population.hpp"
#include "gateway/client/https_client.hpp"
#include "gateway/client/oots_request.hpp"
#include "gateway/common/files.hpp"
#include "gateway/common/time.hpp"
#include "gateway/crypto/crypto.hpp"
#include "gateway/crypto/es256.hpp"
#include "gateway/demo/pki.hpp"
#include "gateway/message/codec.hpp"
#include "gateway/message/edm/edm.hpp"
#include "gateway/message/signature.hpp"
#include "gateway/net/multipart.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using Clock = std::chrono::steady_clock;
using tcp = asio::ip::tcp;
using oncegate::common::read_file;

// A party as the demo configuration registers it, with what its permission rule allows.
struct Party {
  std::string kennung;
  std::vector<std::string> evidence_types;  // national parties
  std::string purpose;
  std::string legal_basis;
  bool consent = false;
  bool oots = false;
};

const std::vector<Party> kDemoParties{
    {"psw:01003110", {"geburtsurkunde", "meldebescheinigung"}, "leistungsgewaehrung", "IDNrG § 6 Abs. 2", false, false},
    {"psw:02004220", {"geburtsurkunde"}, "elterngeld", "BEEG § 12 Abs. 1", false, false},
    {"psw:03005330", {"meldebescheinigung"}, "bafoeg", "BAföG § 46 Abs. 3", true, false},
    {"oots:ap-de-demo", {}, "", "", false, true},
};

struct Prepared {
  std::string body;
  std::string id;      // nachrichtenUUID / request id
  std::string digest;  // base64 SHA-256 of the body (national binding)
};

// One party's requests, taken in order by its connections.
struct Pool {
  const Party* party = nullptr;
  std::vector<Prepared> requests;
  std::atomic<std::size_t> next{0};
  std::unique_ptr<asio::ssl::context> tls;
};

struct Sample {
  std::uint32_t latency_us;
  std::uint16_t outcome;  // index into the outcome names
};

struct Options {
  std::string host = "127.0.0.1";
  unsigned port = 0;
  std::string data_dir = "./var";
  std::string bind;
  unsigned connections = 32;
  double rate = 0;  // 0: closed loop
  double duration_s = 10;
  double warmup_s = 2;
  unsigned threads = 2;
  double oots_share = 0.1;
  double verify_share = 0.01;
  std::size_t requests = 0;  // prepared; default from rate or an estimate
  std::vector<std::string> oots_templates;
  std::string json_file;
  std::string delivered_file;  // ids of every request answered 200 (crash tests)
  bool idle = false;           // one exchange per connection, then hold it open until the end
  // A connection that closes before any byte of the answer arrived (a node stopping, a load
  // balancer moving on) is no failure: the next request, a fresh one, is the retry. Counted.
  bool retry_unanswered = false;
};

class Outcomes {
 public:
  std::uint16_t index(const std::string& name) {
    std::lock_guard lock(mutex_);
    const auto it = std::find(names_.begin(), names_.end(), name);
    if (it != names_.end()) return static_cast<std::uint16_t>(it - names_.begin());
    names_.push_back(name);
    return static_cast<std::uint16_t>(names_.size() - 1);
  }
  [[nodiscard]] std::vector<std::string> names() const {
    std::lock_guard lock(mutex_);
    return names_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> names_;
};

// The outcome of an answer without parsing it: "delivered" or its error code.
std::string outcome_of(unsigned status, const std::string& body, bool oots) {
  if (status == 200) return "delivered";
  if (oots) {
    const auto at = body.find("code=\"EDM:ERR:");
    return at == std::string::npos ? "HTTP " + std::to_string(status) : body.substr(at + 6, 12);
  }
  const auto open = body.find(":code>");
  const auto close = open == std::string::npos ? open : body.find('<', open + 6);
  return close == std::string::npos ? "HTTP " + std::to_string(status) : body.substr(open + 6, close - open - 6);
}

struct Verifier {
  std::shared_ptr<const oncegate::message::MessageCodec> codec;
  oncegate::message::XmlVerificationKeys keys;
  std::optional<oncegate::crypto::Es256PublicKey> jws_key;
  std::atomic<long> checked{0};
  std::atomic<long> failed{0};

  void check(const Prepared& sent, const http::response<http::string_body>& reply, bool oots) {
    ++checked;
    bool ok = false;
    if (oots) {
      const auto jws = reply.find("X-JWS-Signature");
      const std::string body = reply.body();
      ok = jws != reply.end() && jws_key &&
           oncegate::crypto::verify_detached_jws(*jws_key, std::string_view(jws->value()), body);
      if (ok) {
        const auto parts = oncegate::net::read_multipart(body, std::string(reply[http::field::content_type]));
        const auto reading = oncegate::message::edm::read_response(parts && !parts->empty() ? parts->front().body : body);
        ok = reading.valid && reading.request_id == sent.id;
      }
    } else {
      const auto signature = oncegate::message::verify_enveloped_signature(reply.body(), keys, std::time(nullptr));
      const auto reading = codec->read_answer(reply.body());
      ok = signature.valid && reading.valid && reading.request_digest == sent.digest &&
           (reading.request_uuid.empty() || reading.request_uuid == sent.id);
    }
    if (!ok) ++failed;
  }
};

struct Run {
  Options options;
  std::vector<std::unique_ptr<Pool>> pools;
  Outcomes outcomes;
  Verifier verifier;
  Clock::time_point start;
  Clock::time_point measure_from;
  Clock::time_point end;
  std::atomic<std::uint64_t> next_slot{0};
  std::atomic<long> connect_failures{0};
  std::atomic<long> exhausted{0};
  std::atomic<long> retried_unanswered{0};
  std::mutex samples_mutex;
  std::vector<Sample> samples;
  std::vector<const Prepared*> delivered;  // with --delivered
  std::atomic<std::uint64_t> answer_bytes{0};
  std::atomic<std::uint64_t> answers{0};
  std::atomic<unsigned> idle_held{0};  // with --idle: connections past their exchange
};

asio::awaitable<void> drive(Run& run, Pool& pool, std::size_t connection_number) {
  auto executor = co_await asio::this_coro::executor;
  const auto& o = run.options;
  std::vector<Sample> mine;
  std::vector<const Prepared*> delivered;
  const auto verify_every = o.verify_share > 0 ? static_cast<std::uint64_t>(1 / o.verify_share) : 0;
  std::uint64_t sent_count = connection_number;  // spreads the verified sample over connections
  const std::string target = pool.party->oots ? "/v1/oots/query" : "/v1/nachweis";
  const std::string content_type = pool.party->oots ? "application/x-ebrs+xml" : "application/xml";
  const double interval_s = o.rate > 0 ? 1.0 / o.rate : 0;
  bool done = false;
  while (!done && Clock::now() < run.end) {
    beast::ssl_stream<beast::tcp_stream> stream(executor, *pool.tls);
    bool connected = false;
    try {
      tcp::resolver resolver(executor);
      const auto endpoints = co_await resolver.async_resolve(o.host, std::to_string(o.port), asio::use_awaitable);
      auto& socket = beast::get_lowest_layer(stream).socket();
      const tcp::endpoint remote = *endpoints.begin();
      socket.open(remote.protocol());
      if (!o.bind.empty()) socket.bind(tcp::endpoint(asio::ip::make_address(o.bind), 0));
      beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(10));
      co_await beast::get_lowest_layer(stream).async_connect(remote, asio::use_awaitable);
      co_await stream.async_handshake(asio::ssl::stream_base::client, asio::use_awaitable);
      connected = true;
    } catch (const std::exception&) {
      ++run.connect_failures;
    }
    if (!connected) {
      asio::steady_timer pause(executor, std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::use_awaitable);
      continue;
    }
    beast::flat_buffer buffer;
    bool keep_alive = true;
    while (keep_alive) {
      // When is this request due? Closed loop: now. Open loop: its slot in the schedule.
      Clock::time_point due = Clock::now();
      if (o.rate > 0) {
        const auto slot = run.next_slot.fetch_add(1);
        due = run.start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(slot * interval_s));
        if (due >= run.end) {
          done = true;
          break;
        }
        if (due > Clock::now()) {
          asio::steady_timer wait(executor, due);
          co_await wait.async_wait(asio::use_awaitable);
        }
      } else if (due >= run.end) {
        done = true;
        break;
      }
      const auto index = pool.next.fetch_add(1);
      if (index >= pool.requests.size()) {
        ++run.exhausted;
        done = true;
        break;
      }
      const Prepared& request = pool.requests[index];
      http::request<http::string_body> message{http::verb::post, target, 11};
      message.set(http::field::host, o.host);
      message.set(http::field::content_type, content_type);
      message.body() = request.body;
      message.prepare_payload();
      http::response_parser<http::string_body> parser;
      parser.body_limit(8 * 1024 * 1024);
      beast::error_code ec;
      beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(30));
      co_await http::async_write(stream, message, asio::redirect_error(asio::use_awaitable, ec));
      if (!ec) co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (o.retry_unanswered && !parser.got_some()) {
          ++run.retried_unanswered;
        } else if (Clock::now() >= run.measure_from) {
          mine.push_back({0, run.outcomes.index("connection_lost")});
        }
        break;
      }
      const auto now = Clock::now();
      const auto& reply = parser.get();
      keep_alive = reply.keep_alive();
      run.answer_bytes += reply.body().size();
      ++run.answers;
      if (!o.delivered_file.empty() && reply.result_int() == 200) delivered.push_back(&request);
      // A request counts when it was due inside the measured window (open loop: its slot in the
      // schedule; closed loop: when it was sent), so a backlog from the warm-up stays out.
      if (due >= run.measure_from && due < run.end) {
        const auto latency = std::chrono::duration_cast<std::chrono::microseconds>(now - due).count();
        mine.push_back({static_cast<std::uint32_t>(std::min<std::int64_t>(latency, UINT32_MAX)),
                        run.outcomes.index(outcome_of(reply.result_int(), reply.body(), pool.party->oots))});
      }
      if (verify_every != 0 && ++sent_count % verify_every == 0) run.verifier.check(request, reply, pool.party->oots);
      if (o.idle && keep_alive) {
        // Held open, silent, until the run ends: what an idle keep-alive connection costs.
        if (++run.idle_held == o.connections) std::cerr << "oncegate-load: idle: holding " << o.connections << " connections\n";
        asio::steady_timer hold(executor, run.end);
        co_await hold.async_wait(asio::use_awaitable);
        done = true;
        break;
      }
    }
    beast::error_code ignored;
    beast::get_lowest_layer(stream).socket().close(ignored);
  }
  std::lock_guard lock(run.samples_mutex);
  run.samples.insert(run.samples.end(), mine.begin(), mine.end());
  run.delivered.insert(run.delivered.end(), delivered.begin(), delivered.end());
}

std::unique_ptr<asio::ssl::context> tls_for(const Options& o, const std::string& kennung) {
  auto tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
  tls->load_verify_file(o.data_dir + "/demo/ca.pem");
  tls->set_verify_mode(asio::ssl::verify_peer);
  tls->use_certificate_chain_file(oncegate::demo::authority_certificate_file(o.data_dir + "/demo", kennung).string());
  tls->use_private_key_file(oncegate::demo::authority_key_file(o.data_dir + "/demo", kennung).string(),
                            asio::ssl::context::pem);
  return tls;
}

// Prepares `count` requests for `party`, signed with its demo key, in `threads` threads.
// Request i of a party is dated `first_issued + i * issue_step`: in open loop its slot in the
// schedule, shifted back by the time preparing takes, so that a long run's late requests are still
// fresh when they are due (the gateway accepts a request from its time until one freshness
// window after).
void prepare(Pool& pool, const Options& o, const std::vector<oncegate::adapters::population::Person>& people,
             const std::shared_ptr<const oncegate::message::MessageCodec>& codec, std::size_t count,
             std::chrono::system_clock::time_point first_issued, std::chrono::system_clock::duration issue_step) {
  pool.requests.resize(count);
  const Party& party = *pool.party;
  std::vector<std::string> templates;
  for (const auto& file : o.oots_templates) templates.push_back(read_file(file, "OOTS template"));
  const std::filesystem::path demo = o.data_dir + "/demo";
  const auto signer = party.oots ? nullptr
                                 : oncegate::message::XmlSigningKey::load(
                                       read_file(oncegate::demo::authority_key_file(demo, party.kennung), "key"),
                                       read_file(oncegate::demo::authority_certificate_file(demo, party.kennung), "certificate"));
  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> workers;
  for (unsigned t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      std::mt19937_64 random(0x5eed + t * 7919 + std::hash<std::string>{}(party.kennung));
      for (std::size_t i = t; i < count; i += threads) {
        Prepared& p = pool.requests[i];
        const auto issued = first_issued + issue_step * static_cast<long>(i);
        if (party.oots) {
          p.body = oncegate::client::freshen_oots_request(templates[i % templates.size()], issued);
          const auto at = p.body.find("urn:uuid:", p.body.find("QueryRequest"));
          p.id = p.body.substr(at, 45);
        } else {
          oncegate::message::EvidenceRequest request;
          request.kopf.nachrichten_uuid = oncegate::crypto::new_uuid();
          request.kopf.nachrichtentyp = "nachweis.anfrage.0101";
          request.kopf.erstellungszeitpunkt = oncegate::common::utc_text(issued);
          request.kopf.autor = {"dvdv", party.kennung, ""};
          request.kopf.leser = {"dvdv", "psw:99000001", ""};
          request.idnr = people[random() % people.size()].idnr;
          request.nachweistyp = party.evidence_types[random() % party.evidence_types.size()];
          request.zweck = party.purpose;
          request.rechtsgrundlage = party.legal_basis;
          if (party.consent) request.einwilligung = true;
          p.body = signer->sign(codec->write_request(request));
          p.id = request.kopf.nachrichten_uuid;
        }
        p.digest = oncegate::crypto::sha256_base64(p.body);
      }
    });
  }
  for (auto& worker : workers) worker.join();
}

double percentile(const std::vector<std::uint32_t>& sorted, double q) {
  if (sorted.empty()) return 0;
  const auto index = static_cast<std::size_t>(q * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(index, sorted.size() - 1)] / 1000.0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"oncegate-load: the whole exchange under load, from outside"};
  Options o;
  cli.add_option("--host", o.host)->capture_default_str();
  cli.add_option("--port", o.port, "evidence port (default: from <data-dir>/ports.json)");
  cli.add_option("--data-dir", o.data_dir, "the gateway's data directory (demo CA, authority keys, population)")
      ->capture_default_str();
  cli.add_option("--bind", o.bind, "local source address (e.g. 127.0.0.3)");
  cli.add_option("--connections", o.connections, "keep-alive connections")->capture_default_str();
  cli.add_option("--rate", o.rate, "open loop: requests per second (0: closed loop)")->capture_default_str();
  cli.add_option("--duration", o.duration_s, "seconds measured")->capture_default_str();
  cli.add_option("--warmup", o.warmup_s, "seconds before measuring")->capture_default_str();
  cli.add_option("--threads", o.threads, "I/O threads")->capture_default_str();
  cli.add_option("--oots-share", o.oots_share, "share of OOTS requests (needs --oots-template)")->capture_default_str();
  cli.add_option("--oots-template", o.oots_templates, "OOTS QueryRequest files (given a fresh id and time each)");
  cli.add_option("--verify", o.verify_share, "share of answers whose signature and binding are checked")->capture_default_str();
  cli.add_option("--requests", o.requests, "requests to prepare (default: enough for the run)");
  cli.add_option("--json", o.json_file, "write the report as JSON here");
  cli.add_flag("--idle", o.idle,
               "memory test: each connection carries one exchange and is then held open, silent, until the end");
  cli.add_flag("--retry-unanswered", o.retry_unanswered,
               "a connection closed before any byte of its answer is no failure: the next (fresh) request is its "
               "retry, counted as retried_unanswered");
  cli.add_option("--delivered", o.delivered_file,
                 "write the id of every request answered with evidence (warm-up included) here, one per line");
  CLI11_PARSE(cli, argc, argv);
  if (o.oots_templates.empty()) o.oots_share = 0;
  if (o.port == 0) o.port = oncegate::client::listener_port_from_ports_file(o.data_dir, "evidence");
  if (o.port == 0) {
    std::cerr << "oncegate-load: no --port and no evidence port in " << o.data_dir
              << "/ports.json: is the gateway running with this --data-dir?\n";
    return 2;
  }
  try {
    Run run;
    run.options = o;
    const auto codec = oncegate::message::MessageCodec::open({});
    run.verifier.codec = codec;
    const std::string gateway_cert = read_file(o.data_dir + "/demo/gateway-signing.pem", "gateway certificate");
    (void)run.verifier.keys.add(gateway_cert);
    run.verifier.jws_key = oncegate::crypto::Es256PublicKey::from_certificate_pem(gateway_cert);
    const auto people = oncegate::adapters::population::read_tsv(o.data_dir + "/registers/population.tsv");
    // Enough for the run at the rate asked, or at 8,000/s in closed loop, with a margin.
    const double seconds = o.duration_s + o.warmup_s;
    const std::size_t total = o.requests != 0 ? o.requests
                                              : static_cast<std::size_t>((o.rate > 0 ? o.rate : 8000) * seconds * 1.2) + 1000;
    const auto prepare_start = Clock::now();
    const auto prepare_wall_start = std::chrono::system_clock::now();
    std::vector<std::pair<Pool*, unsigned>> connection_plan;
    const unsigned oots_connections = o.oots_share > 0 ? std::max(1u, static_cast<unsigned>(o.connections * o.oots_share)) : 0;
    const unsigned national_connections = o.connections - oots_connections;
    unsigned national_index = 0;
    for (const auto& party : kDemoParties) {
      if (party.oots && oots_connections == 0) continue;
      auto pool = std::make_unique<Pool>();
      pool->party = &party;
      pool->tls = tls_for(o, party.kennung);
      const unsigned n = party.oots ? oots_connections
                                    : national_connections / 3 + (national_index++ < national_connections % 3 ? 1 : 0);
      if (n == 0) continue;
      const double share = party.oots ? o.oots_share : (1 - o.oots_share) / 3;
      // In open loop this party sends every (1 / (rate * share)) s; its request i is dated at its
      // place in that schedule as seen from the start of preparing.
      const auto step = o.rate > 0 ? std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                         std::chrono::duration<double>(1.0 / (o.rate * share)))
                                   : std::chrono::system_clock::duration::zero();
      prepare(*pool, o, people, codec, static_cast<std::size_t>(static_cast<double>(total) * share) + 100,
              prepare_wall_start, step);
      connection_plan.emplace_back(pool.get(), n);
      run.pools.push_back(std::move(pool));
    }
    std::cerr << "oncegate-load: prepared " << total << " requests in "
              << std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - prepare_start).count() << " ms\n";

    asio::io_context io(static_cast<int>(o.threads));
    run.start = Clock::now();
    run.measure_from = run.start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.warmup_s));
    run.end = run.measure_from + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.duration_s));
    std::size_t number = 0;
    for (auto& [pool, n] : connection_plan) {
      for (unsigned i = 0; i < n; ++i) {
        asio::co_spawn(asio::make_strand(io), drive(run, *pool, number++), asio::detached);
      }
    }
    const auto cpu_before = std::clock();
    std::vector<std::thread> threads;
    for (unsigned t = 0; t < o.threads; ++t) threads.emplace_back([&] { io.run(); });
    for (auto& thread : threads) thread.join();
    const double client_cpu_s = static_cast<double>(std::clock() - cpu_before) / CLOCKS_PER_SEC;

    // The report.
    const auto names = run.outcomes.names();
    std::map<std::string, long> by_outcome;
    std::vector<std::uint32_t> latencies;
    latencies.reserve(run.samples.size());
    for (const auto& s : run.samples) {
      ++by_outcome[names[s.outcome]];
      if (names[s.outcome] != "connection_lost") latencies.push_back(s.latency_us);
    }
    std::sort(latencies.begin(), latencies.end());
    const double measured = o.duration_s;
    const long delivered = by_outcome.contains("delivered") ? by_outcome["delivered"] : 0;
    json::object outcomes;
    for (const auto& [name, count] : by_outcome) outcomes[name] = count;
    json::object report{
        {"mode", o.rate > 0 ? "open" : "closed"},
        {"connections", o.connections},
        {"offered_per_s", o.rate},
        {"duration_s", measured},
        {"answers", static_cast<std::int64_t>(latencies.size())},
        {"answers_per_s", static_cast<double>(latencies.size()) / measured},
        {"delivered_per_s", static_cast<double>(delivered) / measured},
        {"latency_ms",
         json::object{{"p50", percentile(latencies, 0.50)}, {"p90", percentile(latencies, 0.90)},
                      {"p99", percentile(latencies, 0.99)}, {"p99.9", percentile(latencies, 0.999)},
                      {"max", latencies.empty() ? 0.0 : latencies.back() / 1000.0}}},
        {"outcomes", outcomes},
        {"verified", run.verifier.checked.load()},
        {"verification_failures", run.verifier.failed.load()},
        {"connect_failures", run.connect_failures.load()},
        {"retried_unanswered", run.retried_unanswered.load()},
        {"prepared_exhausted", run.exhausted.load()},
        {"client_cpu_s", client_cpu_s},
        {"delivered_total", static_cast<std::int64_t>(run.delivered.size())},
        {"mean_answer_bytes", run.answers.load() ? static_cast<double>(run.answer_bytes.load()) / static_cast<double>(run.answers.load()) : 0.0},
        {"idle_held", run.idle_held.load()},
    };
    std::cout << json::serialize(report) << "\n";
    if (!o.json_file.empty()) oncegate::common::write_file_atomically(o.json_file, json::serialize(report) + "\n", false);
    if (!o.delivered_file.empty()) {
      std::string ids;
      for (const Prepared* request : run.delivered) ids += request->id + "\n";
      oncegate::common::write_file_atomically(o.delivered_file, ids, false);
    }
    return run.verifier.failed.load() == 0 ? 0 : 1;
  } catch (const std::exception& error) {
    std::cerr << "oncegate-load: " << error.what() << "\n";
    return 2;
  }
}
