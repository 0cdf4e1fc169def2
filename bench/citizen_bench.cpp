// The citizen's side at scale (issue 16), end to end over HTTPS against the real gateway (in this
// process, the embedded default moved to a data directory of its own): a transfer log of N records
// (default 10 million) in which one person has 1,000 transfers spread evenly, then
//   1. the Datencockpit: sign in through the demo OpenID provider (code flow with PKCE), then
//      GET /cockpit/api/transfers?limit=50 (the newest 50) on one keep-alive connection: latency;
//      GET /cockpit/api/overview (all 1,000 counted) and GET /cockpit/api/auskunft (all 1,000
//      with proofs) as well;
//   2. the national Datenschutzcockpit: POST /v1/dsc/protokolldaten (signed request, default page
//      of 50, every entry with its proof, the signed answer), a new request id and signature
//      each time (signing not timed): latency.
// Targets: cockpit API p99 < 50 ms, DSC p99 < 100 ms (the legal ceiling is 500 ms).
// Usage: citizen_bench [--records N] [--dir D] [--queries Q] [--json F]. D is kept: a second run
// reuses the log when it is big enough.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <vector>

#include "bench/sample_record.hpp"
#include "gateway/app/gateway.hpp"
#include "gateway/client/https_client.hpp"
#include "gateway/common/files.hpp"
#include "gateway/common/time.hpp"
#include "gateway/config/config.hpp"
#include "gateway/crypto/crypto.hpp"
#include "gateway/demo/pki.hpp"
#include "gateway/log/transfer_log.hpp"
#include "gateway/message/dsc/dsc.hpp"
#include "gateway/message/signature.hpp"
#include "tests/support/cockpit_signin.hpp"

using namespace oncegate;
using Clock = std::chrono::steady_clock;

namespace {

struct Stats {
  double p50 = 0, p99 = 0, max = 0;
};

Stats stats_of(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  const auto at = [&](double q) { return ms[std::min(ms.size() - 1, static_cast<std::size_t>(q * static_cast<double>(ms.size())))]; };
  return {at(0.50), at(0.99), ms.back()};
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) text.replace(at, from.size(), to);
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t records = 10'000'000;
  std::string dir = (std::filesystem::temp_directory_path() / "oncegate-bench-citizen").string();
  int queries = 1000;
  std::string json_file;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i];
    if (key == "--records") records = std::strtoull(argv[i + 1], nullptr, 10);
    if (key == "--dir") dir = argv[i + 1];
    if (key == "--queries") queries = std::atoi(argv[i + 1]);
    if (key == "--json") json_file = argv[i + 1];
  }
  // The embedded default, on port 0, fsync off while filling (the reads do not depend on it).
  std::string text(config::embedded_default_config());
  text = replace_all(text, "data_dir = \"./var\"", "data_dir = \"" + dir + "\"");
  for (const char* port : {"port = 8443", "port = 9443", "port = 8446", "port = 8447", "port = 8448"}) text = replace_all(text, port, "port = 0");
  text = replace_all(text, "8444", "0");
  text = replace_all(text, "population = 100000", "population = 2000");
  text = replace_all(text, "sync = true", "sync = false");
  // One citizen asking as fast as it can: the per-source limit of the cockpit listener (meant
  // for people, docs/SECURITY.md) would answer 429.
  // The same for the DSC, one party on the evidence listener.
  const std::string unlimited = "per_source_requests_per_second = 1000000\nper_source_burst = 1000000\n"
                                "per_party_requests_per_second = 1000000\nper_party_burst = 1000000\n";
  text = replace_all(text, "body_limit = 65536\n", "body_limit = 65536\n" + unlimited);
  text = replace_all(text, "max_connections = 1024\n", "max_connections = 1024\n" + unlimited);
  text = replace_all(text, "head_every_records = 1000\n", "head_every_records = 1000000\n");
  app::GatewayOptions options;
  options.config = config::parse_config(text, "(bench)");
  app::Gateway gateway(options);
  gateway.start();
  auto& log = gateway.transfer_log();

  const std::string idnr = "18062734392";  // a person of the sample population with this seed
  std::string secret = common::read_file(std::filesystem::path(dir) / "pseudonym.secret", "pseudonym secret");
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r' || secret.back() == ' ')) secret.pop_back();
  const std::string citizen = log::pseudonym(secret, idnr);
  const auto fill_start = Clock::now();
  const std::uint64_t step = std::max<std::uint64_t>(1, records / 1000);
  std::uint64_t have = log.size();
  while (have < records) {
    const std::uint64_t chunk = std::min<std::uint64_t>(50'000, records - have);
    std::vector<std::promise<void>> done(chunk);
    for (std::uint64_t i = 0; i < chunk; ++i) {
      const std::uint64_t n = have + i;
      auto r = bench::sample_transfer_record(n);
      r.requester = "psw:01003110";
      r.data_fields = {"familienname", "geburtsname", "vornamen", "geschlecht", "geburtsdatum", "geburtsort", "geburtsortSchluessel"};
      if (n % step == 0) r.pseudonym = citizen;
      log.append(std::move(r), [&done, i](bool, std::uint64_t) { done[i].set_value(); });
    }
    for (auto& d : done) d.get_future().get();
    have += chunk;
    if (have % 1'000'000 == 0) std::fprintf(stderr, "filled %llu records\n", static_cast<unsigned long long>(have));
  }
  const double fill_s = std::chrono::duration<double>(Clock::now() - fill_start).count();
  // Everything under a cosigned checkpoint before measuring (the proofs are then all there).
  for (int i = 0; i < 600; ++i) {
    const auto head = log.latest_cosigned_head();
    if (head && head->size >= log.size()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::fprintf(stderr, "log: %llu records (filled in %.0f s)\n", static_cast<unsigned long long>(log.size()), fill_s);

  const auto demo = std::filesystem::path(dir) / "demo";
  const client::ClientTls citizen_tls{(demo / "ca.pem").string(), "", ""};
  const auto signin = testing::cockpit_sign_in(gateway.port("cockpit"), citizen_tls, idnr);
  if (signin.session_cookie.empty()) {
    std::fprintf(stderr, "sign-in failed: %s\n", signin.failure.c_str());
    return 1;
  }
  client::HttpsClient cockpit("127.0.0.1", gateway.port("cockpit"), citizen_tls);
  const std::vector<std::pair<std::string, std::string>> cookie{{"Cookie", signin.session_cookie}};
  const auto timed = [&](const std::string& path, int n) {
    std::vector<double> ms;
    std::size_t bytes = 0;
    for (int i = 0; i < n; ++i) {
      const auto start = Clock::now();
      const auto reply = cockpit.request("GET", path, "", "", cookie);
      ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
      if (reply.status != 200) {
        std::fprintf(stderr, "%s: HTTP %u %s\n", path.c_str(), reply.status, reply.body.c_str());
        std::exit(1);
      }
      bytes = reply.body.size();
    }
    return std::make_pair(stats_of(ms), bytes);
  };
  for (int i = 0; i < 50; ++i) (void)cockpit.request("GET", "/cockpit/api/transfers?limit=50", "", "", cookie);  // warm
  const auto [list, list_bytes] = timed("/cockpit/api/transfers?limit=50", queries);
  const auto [overview, overview_bytes] = timed("/cockpit/api/overview", std::max(20, queries / 10));
  const auto [auskunft, auskunft_bytes] = timed("/cockpit/api/auskunft", 5);

  // The DSC: its demo certificate and key, the gateway's signing certificate for the answers.
  const auto dsc_codec = message::dsc::DscCodec::open();
  const auto key = message::XmlSigningKey::load(common::read_file(demo::authority_key_file(demo, "psw:00001000"), "key"),
                                                common::read_file(demo::authority_certificate_file(demo, "psw:00001000"), "cert"));
  message::XmlVerificationKeys gateway_keys;
  gateway_keys.add(common::read_file(demo / "gateway-signing.pem", "gateway certificate"));
  const client::ClientTls dsc_tls{(demo / "ca.pem").string(), demo::authority_certificate_file(demo, "psw:00001000").string(),
                                  demo::authority_key_file(demo, "psw:00001000").string()};
  client::HttpsClient dsc("127.0.0.1", gateway.port("evidence"), dsc_tls);
  std::vector<double> dsc_ms;
  std::size_t dsc_bytes = 0, dsc_entries = 0;
  for (int i = 0; i < queries + 20; ++i) {
    message::dsc::DscRequest request;
    request.request_uuid = crypto::new_uuid();
    request.created = common::utc_text(std::chrono::system_clock::now());
    request.sender = "psw:00001000";
    request.idnr = idnr;
    const std::string body = key->sign(dsc_codec->write_request(request));
    const auto start = Clock::now();
    const auto reply = dsc.request("POST", "/v1/dsc/protokolldaten", body, "application/xml");
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    if (reply.status != 200) {
      std::fprintf(stderr, "DSC: HTTP %u %s\n", reply.status, reply.body.substr(0, 400).c_str());
      return 1;
    }
    if (i < 20) continue;  // warm
    dsc_ms.push_back(ms);
    if (i == 20) {
      // Once: the answer is what it says (signature, schema), outside the timing.
      const auto reading = dsc_codec->read_answer(reply.body);
      const auto signature = message::verify_enveloped_signature(reply.body, gateway_keys, std::time(nullptr));
      if (!reading.valid || !signature.valid) {
        std::fprintf(stderr, "DSC answer does not verify: %s %s\n", reading.problem.c_str(), signature.problem.c_str());
        return 1;
      }
      dsc_entries = reading.entries.size();
    }
    dsc_bytes = reply.body.size();
  }
  const auto dsc_stats = stats_of(dsc_ms);

  std::printf("log: %llu records, the person has 1000 transfers (+ the DSC's own queries)\n",
              static_cast<unsigned long long>(log.size()));
  std::printf("cockpit newest 50   : p50 %.2f ms  p99 %.2f ms  max %.2f ms  (%zu bytes, %d queries; target p99 < 50 ms)\n",
              list.p50, list.p99, list.max, list_bytes, queries);
  std::printf("cockpit overview    : p50 %.2f ms  p99 %.2f ms  max %.2f ms  (%zu bytes)\n", overview.p50, overview.p99,
              overview.max, overview_bytes);
  std::printf("cockpit Auskunft    : p50 %.0f ms  max %.0f ms  (%zu bytes, every entry with its proof)\n", auskunft.p50,
              auskunft.max, auskunft_bytes);
  std::printf("DSC page of %zu     : p50 %.2f ms  p99 %.2f ms  max %.2f ms  (%zu bytes, %zu queries; target p99 < 100 ms)\n",
              dsc_entries, dsc_stats.p50, dsc_stats.p99, dsc_stats.max, dsc_bytes, dsc_ms.size());
  if (!json_file.empty()) {
    std::ofstream out(json_file);
    out << "{\"records\": " << log.size() << ", \"cockpit_p50_ms\": " << list.p50 << ", \"cockpit_p99_ms\": " << list.p99
        << ", \"overview_p99_ms\": " << overview.p99 << ", \"auskunft_ms\": " << auskunft.p50 << ", \"dsc_p50_ms\": " << dsc_stats.p50
        << ", \"dsc_p99_ms\": " << dsc_stats.p99 << "}\n";
  }
  gateway.shutdown();
  return 0;
}
