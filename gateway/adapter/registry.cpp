#include "gateway/adapter/factory_registry.hpp"

#include <charconv>
#include <system_error>

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

void reject_setting(const AdapterConfig& config, const std::string& problem) {
  throw AdapterError("adapter '" + config.name + "' (" + config.type + "): " + problem);
}

void reject_unknown_settings(const AdapterConfig& config, std::initializer_list<std::string_view> known) {
  for (const auto& [key, value] : config.settings) {
    bool is_known = false;
    for (std::string_view k : known) is_known = is_known || k == key;
    if (is_known) continue;
    std::string list;
    for (std::string_view k : known) list += (list.empty() ? "" : ", ") + std::string(k);
    reject_setting(config, "unknown setting '" + key + "' (known: " + list + ")");
  }
}

unsigned long integer_setting(const AdapterConfig& config, const std::string& key, unsigned long minimum,
                              unsigned long maximum, unsigned long fallback) {
  const auto it = config.settings.find(key);
  if (it == config.settings.end()) return fallback;
  const std::string& text = it->second;
  unsigned long value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc{} || end != text.data() + text.size() || value < minimum || value > maximum) {
    reject_setting(config, "setting '" + key + "' must be an integer from " + std::to_string(minimum) + " to " +
                               std::to_string(maximum) + ", got '" + text + "'");
  }
  return value;
}

}  // namespace oncegate::adapters
