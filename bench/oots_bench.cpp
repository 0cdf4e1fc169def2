// The EU half: EDM request decode + validate (v1 and v2) beside the national decode, identity
// matching at 100,000 and 10,000,000 people, location lookup. Percentiles of single calls.
//
//   build/bin/oots_bench [reference dir]     (default: the ../shared/reference next to the sources)

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "adapters/population/identity_index.hpp"
#include "gateway/message/codec.hpp"
#include "gateway/message/edm/edm.hpp"

namespace population = oncegate::adapters::population;
using Clock = std::chrono::steady_clock;

namespace {

std::string read(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

struct Percentiles {
  double p50 = 0, p99 = 0, mean = 0;
};

Percentiles percentiles(std::vector<double> micros) {
  std::sort(micros.begin(), micros.end());
  Percentiles p;
  p.p50 = micros[micros.size() / 2];
  p.p99 = micros[micros.size() * 99 / 100];
  for (double m : micros) p.mean += m;
  p.mean /= static_cast<double>(micros.size());
  return p;
}

template <typename Fn>
Percentiles time_calls(std::size_t count, Fn&& fn) {
  std::vector<double> micros;
  micros.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const auto start = Clock::now();
    fn(i);
    micros.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
  }
  return percentiles(std::move(micros));
}

void report(const char* what, const Percentiles& p) {
  std::printf("%-44s p50 %9.2f us   p99 %9.2f us   mean %9.2f us\n", what, p.p50, p.p99, p.mean);
}

void identity_at(std::size_t people_count) {
  population::IdentityIndex index;
  std::vector<population::Person> sample;
  const std::size_t chunk = std::min<std::size_t>(people_count, 1'000'000);
  const auto build_start = Clock::now();
  for (std::size_t done = 0, seed = 1; done < people_count; done += chunk, ++seed) {
    const auto people = population::generate(seed, std::min(chunk, people_count - done));
    for (const auto& person : people) index.add(person);
    for (std::size_t i = 0; i < people.size() && sample.size() < 20'000; i += 97) sample.push_back(people[i]);
  }
  index.finish();
  const double build_s = std::chrono::duration<double>(Clock::now() - build_start).count();
  std::size_t matched = 0;
  const auto p = time_calls(sample.size(), [&](std::size_t i) {
    const auto& person = sample[i];
    const auto match = index.resolve({person.familienname, person.vornamen, person.geburtsdatum, person.geburtsort});
    matched += match.outcome == oncegate::adapters::IdentityOutcome::matched;
  });
  char label[96];
  std::snprintf(label, sizeof label, "identity match, %zu people", people_count);
  report(label, p);
  std::printf("    (%zu of %zu sampled people matched uniquely; index %zu entries, %.0f MB, built in %.1f s with generation)\n",
              matched, sample.size(), index.size(), static_cast<double>(index.size()) * 16 / 1e6, build_s);
}

}  // namespace

int main(int argc, char** argv) {
  const std::filesystem::path reference = argc > 1 ? std::filesystem::path(argv[1]) : std::filesystem::path(ONCEGATE_REFERENCE_DIR);
  const auto edm_codec = oncegate::message::edm::EdmCodec::open();
  const auto national = oncegate::message::MessageCodec::open({});
  const std::string v1 = read(reference / "oots-edm/ec-v1.0/birth-request.xml");
  const std::string v2 = read(reference / "oots-edm/fr-v2.0/requete.xml");
  oncegate::message::EvidenceRequest request;
  request.kopf.autor = {"dvdv", "psw:01003110", "Bürgeramt"};
  request.kopf.leser = {"dvdv", "psw:99000001", "oncegate"};
  request.idnr = "18062734392";
  request.nachweistyp = "geburtsurkunde";
  request.zweck = "leistungsgewaehrung";
  request.rechtsgrundlage = "IDNrG § 6 Abs. 2";
  const std::string national_body = national->write_request(request);
  if (!edm_codec->decode(v1, false).ok() || !edm_codec->decode(v2, false).ok() || !national->decode_request(national_body).ok()) {
    std::fprintf(stderr, "a benchmark message does not decode (reference dir %s)\n", reference.c_str());
    return 1;
  }
  for (int warm = 0; warm < 200; ++warm) (void)edm_codec->decode(v1, false);
  const auto national_p = time_calls(5000, [&](std::size_t) { (void)national->decode_request(national_body); });
  const auto v1_p = time_calls(5000, [&](std::size_t) { (void)edm_codec->decode(v1, false); });
  const auto v2_p = time_calls(5000, [&](std::size_t) { (void)edm_codec->decode(v2, false); });
  std::printf("message sizes: national %zu bytes (unsigned), EDM v1 %zu bytes, EDM v2 %zu bytes\n", national_body.size(),
              v1.size(), v2.size());
  report("national decode + validate (nachweisAnfrage)", national_p);
  report("EDM v1 decode + validate (EC birth request)", v1_p);
  report("EDM v2 decode + validate (FR requete)", v2_p);
  std::printf("    EDM / national (p50): v1 %.2fx, v2 %.2fx\n", v1_p.p50 / national_p.p50, v2_p.p50 / national_p.p50);

  identity_at(100'000);
  identity_at(10'000'000);

  const auto people = population::generate(20261126, 100'000);
  const population::ResidenceLocator locator(people);
  report("location lookup, 100000 people", time_calls(20'000, [&](std::size_t i) {
           (void)locator.region_of(people[(i * 7919) % people.size()].idnr);
         }));
  return 0;
}
