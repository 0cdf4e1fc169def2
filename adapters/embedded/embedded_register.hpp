#pragma once
// Embedded registers: evidence providers served from the sample population in memory.
//
// One EmbeddedRegister serves one kind of document, from a hash index IDNr -> person built once
// from the population TSV (see adapters/population). Two kinds exist:
//   geburtsurkunde      (Personenstandsregister): familienname, geburtsname, vornamen,
//                        geschlecht, geburtsdatum, geburtsort, geburtsortSchluessel
//   meldebescheinigung  (Melderegister): familienname, vornamen, geburtsdatum, strasse,
//                        hausnummer, postleitzahl, wohnort, gemeindeschluessel, einzugsdatum
// An optional region restricts the register to persons whose wohnort_ags starts with it, the way
// a Melderegister is split by Land ("03" Niedersachsen, "04" Bremen).
//
// Completions are never delivered inline: they are posted to the executor given at construction,
// after the configured simulated latency if any. Deadlines are not applied here; the exchange
// pipeline enforces them, so a slow embedded register behaves like a slow real one.
//
// Thread safety: fetch() may be called concurrently; the index is immutable after construction.
// A pending completion keeps no reference to the adapter, which may be destroyed meanwhile.

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "gateway/adapter/adapter.hpp"
#include "adapters/population/population.hpp"
#include "gateway/adapter/factory_registry.hpp"

namespace oncegate::adapters::embedded {

enum class DocumentKind { geburtsurkunde, meldebescheinigung };

// "geburtsurkunde" or "meldebescheinigung": the evidence type and the Evidence::document name.
[[nodiscard]] std::string_view document_name(DocumentKind kind) noexcept;

using SharedPopulation = std::shared_ptr<const std::vector<population::Person>>;

// Loads the population TSV, sharing one parsed copy among all callers for the same file as long
// as any of them holds it (process-wide cache keyed by canonical path; a file changed on disk
// since it was loaded is read again). Throws population::PopulationError or
// std::filesystem::filesystem_error.
[[nodiscard]] SharedPopulation load_shared_population(const std::filesystem::path& file);

class EmbeddedRegister final : public RegisterAdapter {
 public:
  struct Options {
    std::string name;           // registry name of the adapter
    std::string register_name;  // human-readable register name
    DocumentKind kind = DocumentKind::geburtsurkunde;
    std::string region;         // prefix of wohnort_ags; empty holds everybody
    std::chrono::milliseconds latency{0};
  };

  // `population` must not be null; `executor` receives every completion.
  EmbeddedRegister(Options options, SharedPopulation population,
                   boost::asio::any_io_executor executor);

  [[nodiscard]] const std::string& name() const noexcept override { return options_.name; }
  [[nodiscard]] const std::string& register_name() const noexcept override {
    return options_.register_name;
  }

  // Never calls `done` inline; see the file comment.
  void fetch(EvidenceQuery query, std::chrono::steady_clock::time_point deadline,
             FetchHandler done) override;

  // Answers a query synchronously, as fetch() will deliver it.
  [[nodiscard]] FetchResult lookup(const EvidenceQuery& query) const;
  [[nodiscard]] AdapterStatus status() const override { return counter_.status(); }

  [[nodiscard]] DocumentKind kind() const noexcept { return options_.kind; }
  // Number of persons this register holds (after the region filter).
  [[nodiscard]] std::size_t size() const noexcept { return index_.size(); }

 private:
  CallCounter counter_;
  Options options_;
  SharedPopulation population_;  // owns the strings the index keys and values point into
  std::unordered_map<std::string_view, const population::Person*> index_;
  boost::asio::any_io_executor executor_;
};

// Registers the adapter types "embedded-personenstand" (geburtsurkunde) and
// "embedded-melderegister" (meldebescheinigung). Settings:
//   data        absolute path of the population TSV (required)
//   region      prefix of wohnort_ags, 1..8 digits (optional)
//   latency_ms  simulated answer latency, integer 0..60000 (optional, default 0)
// Unknown settings are rejected so that a misspelt key does not go unnoticed. Every
// configuration problem is reported as AdapterError naming the adapter. Throws AdapterError if
// either type is already registered.
void register_embedded_adapter_types(AdapterFactoryRegistry& registry);

}  // namespace oncegate::adapters::embedded
