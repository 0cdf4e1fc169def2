#include "adapters/embedded/embedded_register.hpp"

#include <exception>
#include <map>
#include <mutex>
#include <stdexcept>
#include <system_error>
#include <utility>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

namespace oncegate::adapters::embedded {

std::string_view document_name(DocumentKind kind) noexcept {
  switch (kind) {
    case DocumentKind::geburtsurkunde: return "geburtsurkunde";
    case DocumentKind::meldebescheinigung: return "meldebescheinigung";
  }
  return "geburtsurkunde";
}

namespace {

// Weak entries: the cache only deduplicates while adapters hold a population; it never keeps
// tens of megabytes alive on its own after a reconfiguration dropped them.
struct CacheEntry {
  std::weak_ptr<const std::vector<population::Person>> population;
  std::filesystem::file_time_type modified;
  std::uintmax_t size = 0;
};

struct PopulationCache {
  std::mutex mutex;
  std::map<std::string, CacheEntry> entries;
};

PopulationCache& population_cache() {
  static PopulationCache cache;
  return cache;
}

Evidence make_evidence(DocumentKind kind, const population::Person& p) {
  Evidence evidence;
  evidence.document = std::string(document_name(kind));
  auto& f = evidence.fields;
  switch (kind) {
    case DocumentKind::geburtsurkunde:
      f.reserve(7);
      f.emplace_back("familienname", p.familienname);
      f.emplace_back("geburtsname", p.geburtsname);
      f.emplace_back("vornamen", p.vornamen);
      f.emplace_back("geschlecht", p.geschlecht);
      f.emplace_back("geburtsdatum", p.geburtsdatum);
      f.emplace_back("geburtsort", p.geburtsort);
      f.emplace_back("geburtsortSchluessel", p.geburtsort_ags);
      break;
    case DocumentKind::meldebescheinigung:
      f.reserve(9);
      f.emplace_back("familienname", p.familienname);
      f.emplace_back("vornamen", p.vornamen);
      f.emplace_back("geburtsdatum", p.geburtsdatum);
      f.emplace_back("strasse", p.strasse);
      f.emplace_back("hausnummer", p.hausnummer);
      f.emplace_back("postleitzahl", p.postleitzahl);
      f.emplace_back("wohnort", p.wohnort);
      f.emplace_back("gemeindeschluessel", p.wohnort_ags);
      f.emplace_back("einzugsdatum", p.einzugsdatum);
      break;
  }
  return evidence;
}

bool all_digits(std::string_view text) noexcept {
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

[[noreturn]] void reject(const AdapterConfig& config, const std::string& problem) { reject_setting(config, problem); }

EmbeddedRegister::Options parse_options(const AdapterConfig& config, DocumentKind kind) {
  reject_unknown_settings(config, {"data", "region", "latency_ms"});

  EmbeddedRegister::Options options;
  options.name = config.name;
  options.register_name = config.register_name;
  options.kind = kind;

  if (const auto it = config.settings.find("region"); it != config.settings.end()) {
    const std::string& region = it->second;
    // AGS have 8 digits, so a longer prefix could never match anybody.
    if (!region.empty() && (region.size() > 8 || !all_digits(region))) {
      reject(config, "setting 'region' must be 1 to 8 digits (a prefix of the "
                     "Amtlicher Gemeindeschlüssel), got '" + region + "'");
    }
    options.region = region;
  }

  options.latency = std::chrono::milliseconds{integer_setting(config, "latency_ms", 0, 60'000, 0)};
  return options;
}

SharedPopulation load_for(const AdapterConfig& config) {
  const auto it = config.settings.find("data");
  if (it == config.settings.end() || it->second.empty()) {
    reject(config, "setting 'data' (absolute path of the population file) is missing");
  }
  const std::filesystem::path file = it->second;
  if (!file.is_absolute()) {
    reject(config, "setting 'data' must be an absolute path, got '" + it->second + "'");
  }
  std::error_code error;
  if (!std::filesystem::is_regular_file(file, error)) {
    reject(config, "population file '" + file.string() + "' does not exist or is not a file");
  }
  try {
    return load_shared_population(file);
  } catch (const std::exception& e) {
    reject(config, "cannot load population file '" + file.string() + "': " + e.what());
  }
}

void register_type(AdapterFactoryRegistry& registry, std::string type, DocumentKind kind) {
  registry.add(std::move(type), [kind](const AdapterConfig& config,
                                       const AdapterContext& context)
                   -> std::shared_ptr<RegisterAdapter> {
    if (!context.executor) reject(config, "no executor to deliver completions on");
    EmbeddedRegister::Options options = parse_options(config, kind);
    SharedPopulation population = load_for(config);
    return std::make_shared<EmbeddedRegister>(std::move(options), std::move(population),
                                              context.executor);
  });
}

}  // namespace

SharedPopulation load_shared_population(const std::filesystem::path& file) {
  const std::filesystem::path canonical = std::filesystem::canonical(file);
  const std::filesystem::file_time_type modified = std::filesystem::last_write_time(canonical);
  const std::uintmax_t size = std::filesystem::file_size(canonical);

  PopulationCache& cache = population_cache();
  // Parsing under the lock makes a second adapter on the same file wait for the first parse
  // instead of parsing the file again; loading happens only at (re)configuration.
  std::lock_guard lock(cache.mutex);
  std::erase_if(cache.entries, [](const auto& entry) { return entry.second.population.expired(); });
  CacheEntry& entry = cache.entries[canonical.string()];
  if (auto shared = entry.population.lock(); shared && entry.modified == modified &&
                                             entry.size == size) {
    return shared;
  }
  auto loaded = std::make_shared<const std::vector<population::Person>>(
      population::read_tsv(canonical));
  entry.population = loaded;
  entry.modified = modified;
  entry.size = size;
  return loaded;
}

EmbeddedRegister::EmbeddedRegister(Options options, SharedPopulation population,
                                   boost::asio::any_io_executor executor)
    : options_(std::move(options)),
      population_(std::move(population)),
      executor_(std::move(executor)) {
  if (!population_) throw AdapterError("adapter '" + options_.name + "': no population");
  index_.reserve(population_->size());
  for (const population::Person& person : *population_) {
    if (person.wohnort_ags.starts_with(options_.region)) index_.emplace(person.idnr, &person);
  }
}

FetchResult EmbeddedRegister::lookup(const EvidenceQuery& query) const {
  FetchResult result;
  // The query's own region is not consulted: routing picked this adapter for it, and which
  // persons a regional register holds is decided by its own region filter alone.
  if (query.evidence_type != document_name(options_.kind)) {
    result.status = FetchStatus::not_found;
    result.detail = "register holds no '" + query.evidence_type + "' evidence";
    return result;
  }
  const auto it = index_.find(query.idnr);
  if (it == index_.end()) {
    result.status = FetchStatus::not_found;
    result.detail = "person not held by this register";
    return result;
  }
  result.status = FetchStatus::found;
  result.evidence = make_evidence(options_.kind, *it->second);
  return result;
}

void EmbeddedRegister::fetch(EvidenceQuery query, std::chrono::steady_clock::time_point /*deadline*/,
                             FetchHandler done) {
  counter_.started();
  FetchResult result = lookup(query);
  if (options_.latency.count() == 0) {
    boost::asio::post(executor_, [done = std::move(done), result = std::move(result)]() mutable {
      done(std::move(result));
    });
    return;
  }
  // The timer owns itself through the handler, so neither the adapter nor the caller has to
  // keep it alive until it fires.
  auto timer = std::make_shared<boost::asio::steady_timer>(executor_, options_.latency);
  timer->async_wait([timer, done = std::move(done), result = std::move(result)](
                        const boost::system::error_code&) mutable {
    // Also on cancellation: `done` must be called exactly once, and the answer is ready.
    done(std::move(result));
  });
}

void register_embedded_adapter_types(AdapterFactoryRegistry& registry) {
  register_type(registry, "embedded-personenstand", DocumentKind::geburtsurkunde);
  register_type(registry, "embedded-melderegister", DocumentKind::meldebescheinigung);
}

}  // namespace oncegate::adapters::embedded
