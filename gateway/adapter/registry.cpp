#include "gateway/adapter/factory_registry.hpp"

namespace oncegate::adapters {

void AdapterFactoryRegistry::add(std::string type, AdapterFactory factory) {
  if (!factory) throw AdapterError("adapter type '" + type + "' has no factory");
  auto [it, inserted] = factories_.emplace(type, std::move(factory));
  if (!inserted) throw AdapterError("adapter type '" + type + "' is registered twice");
}

std::shared_ptr<RegisterAdapter> AdapterFactoryRegistry::create(
    const AdapterConfig& config, const AdapterContext& context) const {
  auto it = factories_.find(config.type);
  if (it == factories_.end()) {
    std::string known;
    for (const auto& [type, factory] : factories_) known += (known.empty() ? "" : ", ") + type;
    throw AdapterError("adapter '" + config.name + "': unknown type '" + config.type +
                       "' (known: " + known + ")");
  }
  auto adapter = it->second(config, context);
  if (!adapter) throw AdapterError("adapter '" + config.name + "': factory returned nothing");
  return adapter;
}

std::vector<std::string> AdapterFactoryRegistry::types() const {
  std::vector<std::string> out;
  for (const auto& [type, factory] : factories_) out.push_back(type);
  return out;
}

void AdapterRegistry::add(std::shared_ptr<RegisterAdapter> adapter) {
  if (!adapter) throw AdapterError("cannot register an empty adapter");
  std::string name = adapter->name();
  auto [it, inserted] = adapters_.emplace(std::move(name), std::move(adapter));
  if (!inserted) throw AdapterError("adapter '" + it->first + "' is registered twice");
}

std::shared_ptr<RegisterAdapter> AdapterRegistry::find(std::string_view name) const {
  auto it = adapters_.find(name);
  return it == adapters_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<RegisterAdapter>> AdapterRegistry::all() const {
  std::vector<std::shared_ptr<RegisterAdapter>> out;
  for (const auto& [name, adapter] : adapters_) out.push_back(adapter);
  return out;
}

}  // namespace oncegate::adapters
