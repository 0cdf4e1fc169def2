#include "adapters/handelsregister/handelsregister.hpp"

#include <boost/asio/post.hpp>

namespace oncegate::adapters::handelsregister {

namespace {

constexpr unsigned long kDefaultSeed = 20261201;

Evidence make_evidence(const Company& c) {
  Evidence evidence;
  evidence.document = std::string(kDocument);
  auto& f = evidence.fields;
  f.emplace_back("firma", c.firma);
  f.emplace_back("rechtsform", c.rechtsform);
  f.emplace_back("sitz", c.sitz);
  f.emplace_back("anschrift", c.anschrift);
  f.emplace_back("registergericht", c.registergericht);
  f.emplace_back("registerart", c.registerart);
  f.emplace_back("registernummer", c.registernummer);
  f.emplace_back("euid", c.euid);
  f.emplace_back("gegenstand", c.gegenstand);
  f.emplace_back("vertretung", c.vertretung);
  if (!c.kapital.empty()) f.emplace_back("kapital", c.kapital);
  if (!c.ust_id.empty()) f.emplace_back("umsatzsteuerIdNr", c.ust_id);
  f.emplace_back("ersteintragung", c.ersteintragung);
  return evidence;
}

std::vector<Company> all_companies(std::uint64_t seed, std::size_t count) {
  auto companies = generate_companies(seed, count);
  for (auto& company : reference_companies()) companies.push_back(std::move(company));
  return companies;
}

}  // namespace

HandelsregisterAdapter::HandelsregisterAdapter(std::string name, std::string register_name,
                                               std::vector<Company> companies, boost::asio::any_io_executor executor)
    : name_(std::move(name)),
      register_name_(std::move(register_name)),
      index_(std::move(companies)),
      executor_(std::move(executor)) {}

FetchResult HandelsregisterAdapter::lookup(const EvidenceQuery& query) const {
  FetchResult result;
  result.status = FetchStatus::not_found;
  if (query.evidence_type != kDocument) {
    result.detail = "register holds no '" + query.evidence_type + "' evidence";
    return result;
  }
  if (!query.legal_entity) {
    result.detail = "the Handelsregister holds companies, not persons";
    return result;
  }
  const auto match = index_.find(query.legal_entity->legal_name, query.legal_entity->identifiers);
  if (match.outcome != CompanyOutcome::found) {
    result.detail = match.outcome == CompanyOutcome::ambiguous ? "several companies match" : "no company matches";
    return result;
  }
  result.status = FetchStatus::found;
  result.evidence = make_evidence(*match.company);
  return result;
}

void HandelsregisterAdapter::fetch(EvidenceQuery query, std::chrono::steady_clock::time_point, FetchHandler done) {
  counter_.started();
  boost::asio::post(executor_, [done = std::move(done), result = lookup(query)]() mutable { done(std::move(result)); });
}

void register_handelsregister_adapter_type(AdapterFactoryRegistry& registry) {
  registry.add("embedded-handelsregister", [](const AdapterConfig& config,
                                              const AdapterContext& context) -> std::shared_ptr<RegisterAdapter> {
    reject_unknown_settings(config, {"companies", "seed"});
    if (!context.executor) reject_setting(config, "no executor to deliver completions on");
    const auto count = integer_setting(config, "companies", 0, 1'000'000, 1000);
    const auto seed = integer_setting(config, "seed", 0, 0xFFFF'FFFFUL, kDefaultSeed);
    return std::make_shared<HandelsregisterAdapter>(config.name, config.register_name, all_companies(seed, count),
                                                    context.executor);
  });
}

}  // namespace oncegate::adapters::handelsregister
