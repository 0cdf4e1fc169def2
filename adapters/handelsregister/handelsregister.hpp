#pragma once
// The sample Handelsregister: a register of companies, served in-process, for the EU exchange's
// LegalPerson requests (an extract of the commercial register, evidence type
// "handelsregisterauszug").
//
// Like the real register's search, it finds the company itself, by name and register number,
// from what the request names (EvidenceQuery::legal_entity); see CompanyIndex::find. A query
// without a legal entity (a person's IDNr) is not_found: the register holds no people.
//
// Completions are posted to the executor given at construction, never delivered inline.
//
// Thread safety: fetch() may be called concurrently; the index is immutable after construction.

#include <boost/asio/any_io_executor.hpp>

#include "adapters/handelsregister/companies.hpp"
#include "gateway/adapter/adapter.hpp"
#include "gateway/adapter/factory_registry.hpp"

namespace oncegate::adapters::handelsregister {

// The evidence type and the Evidence::document name.
inline constexpr std::string_view kDocument = "handelsregisterauszug";

class HandelsregisterAdapter final : public RegisterAdapter {
 public:
  HandelsregisterAdapter(std::string name, std::string register_name, std::vector<Company> companies,
                         boost::asio::any_io_executor executor);

  [[nodiscard]] const std::string& name() const noexcept override { return name_; }
  [[nodiscard]] const std::string& register_name() const noexcept override { return register_name_; }
  void fetch(EvidenceQuery query, std::chrono::steady_clock::time_point deadline, FetchHandler done) override;

  // Answers a query synchronously, as fetch() will deliver it.
  [[nodiscard]] FetchResult lookup(const EvidenceQuery& query) const;
  [[nodiscard]] std::size_t size() const noexcept { return index_.companies().size(); }
  [[nodiscard]] AdapterStatus status() const override { return counter_.status(); }

 private:
  CallCounter counter_;
  std::string name_;
  std::string register_name_;
  CompanyIndex index_;
  boost::asio::any_io_executor executor_;
};

// Registers the adapter type "embedded-handelsregister". Settings:
//   companies  number of generated companies, 0..1000000 (default 1000); the reference company
//              ("Sweden ltd") is always added
//   seed       seed of the generation, integer (default 20261201)
// Unknown settings are rejected.
void register_handelsregister_adapter_type(AdapterFactoryRegistry& registry);

}  // namespace oncegate::adapters::handelsregister
