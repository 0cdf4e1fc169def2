// The routing core on one core: IDNr check, route lookup, the route decision (both), and
// parse + schema validation of a request. Targets (issue 2): route decision >= 5 million/s,
// parse + validate of a 2 KB request >= 30,000/s.

#include <benchmark/benchmark.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "gateway/adapter/adapter.hpp"
#include "gateway/adapter/factory_registry.hpp"
#include "gateway/message/codec.hpp"
#include "gateway/routing/idnr.hpp"
#include "gateway/routing/routing_table.hpp"

namespace {

using namespace oncegate;

class NamedAdapter final : public adapters::RegisterAdapter {
 public:
  explicit NamedAdapter(std::string name) : name_(std::move(name)) {}
  const std::string& name() const noexcept override { return name_; }
  const std::string& register_name() const noexcept override { return name_; }
  void fetch(adapters::EvidenceQuery, std::chrono::steady_clock::time_point, adapters::FetchHandler) override {}

 private:
  std::string name_;
};

std::vector<std::string> sample_idnrs(std::size_t count) {
  std::vector<std::string> out;
  std::uint64_t state = 1;
  for (std::size_t i = 0; i < count; ++i) out.push_back(routing::generate_idnr(state));
  return out;
}

// A routing table shaped like a Land's: a dozen evidence types, the Melderegister split into
// the Länder prefixes.
std::shared_ptr<const routing::RoutingTable> realistic_table(adapters::AdapterRegistry& registry) {
  std::vector<routing::RouteRule> rules;
  for (const char* type : {"geburtsurkunde", "eheurkunde", "sterbeurkunde", "fuehrungszeugnis", "schulabschluss",
                           "hochschulabschluss", "fahrerlaubnis", "gewerbeanmeldung", "rentenbescheid",
                           "kindergeldbescheid", "einkommensnachweis"}) {
    registry.add(std::make_shared<NamedAdapter>(type));
    rules.push_back({type, "", type});
  }
  for (int land = 1; land <= 16; ++land) {
    char prefix[3];
    std::snprintf(prefix, sizeof prefix, "%02d", land);
    std::string adapter = "melderegister-";
    adapter.append(prefix);
    registry.add(std::make_shared<NamedAdapter>(adapter));
    rules.push_back({"meldebescheinigung", prefix, adapter});
  }
  return routing::RoutingTable::build(rules, registry);
}

void BM_IdnrCheck(benchmark::State& state) {
  const auto idnrs = sample_idnrs(1024);
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(routing::check_idnr(idnrs[i++ & 1023]));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_IdnrCheck);

void BM_RouteLookup(benchmark::State& state) {
  adapters::AdapterRegistry registry;
  const auto table = realistic_table(registry);
  const std::string types[] = {"geburtsurkunde", "meldebescheinigung", "schulabschluss", "rentenbescheid"};
  const std::string regions[] = {"", "03241001", "", ""};
  std::size_t i = 0;
  for (auto _ : state) {
    const std::size_t k = i++ & 3;
    benchmark::DoNotOptimize(table->lookup(types[k], regions[k]));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_RouteLookup);

// The route decision as the pipeline makes it: IDNr rules, then the lookup.
void BM_RouteDecision(benchmark::State& state) {
  adapters::AdapterRegistry registry;
  const auto table = realistic_table(registry);
  const auto idnrs = sample_idnrs(1024);
  const std::string types[] = {"geburtsurkunde", "meldebescheinigung", "schulabschluss", "rentenbescheid"};
  const std::string regions[] = {"", "04011000", "", ""};
  std::size_t i = 0;
  for (auto _ : state) {
    const std::size_t k = i & 3;
    if (routing::check_idnr(idnrs[i & 1023]) == routing::IdnrError::ok) {
      benchmark::DoNotOptimize(table->lookup(types[k], regions[k]));
    }
    ++i;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_RouteDecision);

// A typical request; with target_size, grown to that size by an enveloped ds:Signature of the
// usual shape (SignedInfo, SignatureValue, X509Certificate), which is what makes a real signed
// request about 2 KB. The schema admits the signature without validating its content.
std::string request_of_size(const message::MessageCodec& codec, std::size_t target_size) {
  message::EvidenceRequest request;
  request.kopf.nachrichten_uuid = "6f1c2e0a-5b8d-4c1e-9a3f-2d7b8c9e0f11";
  request.kopf.erstellungszeitpunkt = "2026-11-26T10:15:30.123Z";
  request.kopf.autor = {"dvdv", "psw:01003110", "Landeshauptstadt Hannover, Fachbereich Bürgerangelegenheiten"};
  request.kopf.leser = {"dvdv", "psw:99000001", "oncegate Vermittlungsstelle"};
  request.idnr = "36574261809";
  request.nachweistyp = "geburtsurkunde";
  request.zweck = "leistungsgewaehrung";
  request.rechtsgrundlage = "IDNrG § 6 Abs. 2";
  request.regionalschluessel = "032410001001";
  request.einwilligung = true;
  std::string body = codec.write_request(request);
  if (body.size() >= target_size) return body;
  std::string signature =
      "  <ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\">\n"
      "    <ds:SignedInfo>\n"
      "      <ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>\n"
      "      <ds:SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256\"/>\n"
      "      <ds:Reference URI=\"\">\n"
      "        <ds:Transforms><ds:Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/>"
      "<ds:Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/></ds:Transforms>\n"
      "        <ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/>\n"
      "        <ds:DigestValue>EiSQSdrN67IoBzu89InH+IsRJch3vlbrQJNALuv1EGI=</ds:DigestValue>\n"
      "      </ds:Reference>\n"
      "    </ds:SignedInfo>\n"
      "    <ds:SignatureValue>MEUCIQDx0c4cS8p1Y2d3Yk1x0mJc8b3tq1y7n3m4Zr3n0xw1AiB0c2VxZ3R5dWlvcGFzZGZnaGprbHp4Y3Zibm0=</ds:SignatureValue>\n"
      "    <ds:KeyInfo><ds:X509Data><ds:X509Certificate>";
  const std::string tail = "</ds:X509Certificate></ds:X509Data></ds:KeyInfo>\n  </ds:Signature>\n";
  const std::size_t room = target_size - body.size();
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (std::size_t i = 0; signature.size() + tail.size() < room; ++i) signature += alphabet[(i * 7) % 64];
  signature += tail;
  body.insert(body.rfind("</nw:nachweisAnfrage>"), signature);
  return body;
}

void BM_ParseValidateRequest(benchmark::State& state) {
  const auto codec = message::MessageCodec::open({});
  const std::string body = request_of_size(*codec, static_cast<std::size_t>(state.range(0)));
  if (!codec->decode_request(body).ok()) {
    state.SkipWithError("request does not decode");
    return;
  }
  for (auto _ : state) {
    auto decoded = codec->decode_request(body);
    benchmark::DoNotOptimize(decoded);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
  state.counters["request_bytes"] = static_cast<double>(body.size());
}
BENCHMARK(BM_ParseValidateRequest)->Arg(0)->Arg(2048);

void BM_WriteAnswer(benchmark::State& state) {
  const auto codec = message::MessageCodec::open({});
  const adapters::Evidence evidence{"geburtsurkunde",
                                    {{"familienname", "Müller"}, {"geburtsname", "Schmidt"}, {"vornamen", "Anna Lena"},
                                     {"geschlecht", "weiblich"}, {"geburtsdatum", "1987-04-12"},
                                     {"geburtsort", "Hannover"}, {"geburtsortSchluessel", "03241001"}}};
  const message::OutgoingHeader header{{"dvdv", "psw:99000001", "oncegate"}, {"dvdv", "psw:01003110", ""}};
  const message::Bezug bezug{"6f1c2e0a-5b8d-4c1e-9a3f-2d7b8c9e0f11", "EiSQSdrN67IoBzu89InH+IsRJch3vlbrQJNALuv1EGI="};
  for (auto _ : state) {
    benchmark::DoNotOptimize(codec->write_answer(header, bezug, "geburtsurkunde", "Personenstandsregister", evidence));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_WriteAnswer);

}  // namespace
