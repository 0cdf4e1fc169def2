#pragma once
// The configured adapter *instances* by name (what routing resolves route targets against).
// Rejects duplicate names. No I/O of its own.
//
// Thread safety: filled at start-up (or when a new runtime is built) and read-only afterwards;
// concurrent reads are safe.

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/adapter/adapter.hpp"

namespace oncegate::adapters {

class AdapterError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class AdapterRegistry {
 public:
  // Throws AdapterError if an adapter of the same name is already registered.
  void add(std::shared_ptr<RegisterAdapter> adapter);
  // nullptr when unknown.
  [[nodiscard]] std::shared_ptr<RegisterAdapter> find(std::string_view name) const;
  [[nodiscard]] std::size_t size() const noexcept { return adapters_.size(); }
  [[nodiscard]] std::vector<std::shared_ptr<RegisterAdapter>> all() const;

 private:
  std::map<std::string, std::shared_ptr<RegisterAdapter>, std::less<>> adapters_;
};

}  // namespace oncegate::adapters
