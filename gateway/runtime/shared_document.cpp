#include "gateway/runtime/shared_document.hpp"

#include <stdexcept>

#include <boost/json.hpp>

#include "gateway/common/files.hpp"
#include "gateway/common/time.hpp"
#include "gateway/trust/trust_store.hpp"

namespace oncegate::runtime {

namespace json = boost::json;

namespace {

constexpr std::string_view kDataDir = "${data_dir}/";
constexpr std::string_view kFormat = "oncegate-shared-config/1";

// Every string in `value` that starts with `from` starts with `to` instead; `seen` collects the
// rewritten ones.
void rewrite_paths(json::value& value, const std::string& from, std::string_view to, std::vector<std::string>* seen) {
  if (value.is_string()) {
    const std::string text(value.as_string());
    if (text.starts_with(from)) {
      std::string rewritten = std::string(to) + text.substr(from.size());
      if (seen != nullptr) seen->push_back(rewritten);
      value = json::string(rewritten);
    }
  } else if (value.is_array()) {
    for (auto& element : value.as_array()) rewrite_paths(element, from, to, seen);
  } else if (value.is_object()) {
    for (auto& [key, element] : value.as_object()) rewrite_paths(element, from, to, seen);
  }
}

}  // namespace

std::string shared_document(const json::object& overlay, const std::filesystem::path& data_dir, const std::string& node) {
  json::value shared = overlay;
  std::vector<std::string> paths;
  rewrite_paths(shared, data_dir.lexically_normal().string() + "/", kDataDir, &paths);
  json::object certificates;
  const std::string certificate_prefix = std::string(kDataDir) + "managed/certificates/";
  for (const auto& path : paths) {
    if (!path.starts_with(certificate_prefix)) continue;
    const std::string name = path.substr(certificate_prefix.size());
    certificates[name] = common::read_file(data_dir / "managed" / "certificates" / name, "authority certificate");
  }
  return json::serialize(json::object{{"format", kFormat}, {"overlay", std::move(shared)},
                                      {"certificates", std::move(certificates)}, {"by", node},
                                      {"time", common::utc_text(std::chrono::system_clock::now())}});
}

json::object overlay_from_shared_document(const std::string& document, const std::filesystem::path& data_dir) {
  boost::system::error_code ec;
  auto parsed = json::parse(document, ec);
  if (ec || !parsed.is_object()) throw std::runtime_error("the stored configuration is not a JSON object");
  auto& object = parsed.as_object();
  const auto* format = object.if_contains("format");
  if (format == nullptr || !format->is_string() || format->as_string() != kFormat) {
    throw std::runtime_error("the stored configuration is not of the format " + std::string(kFormat) +
                             " (written by a newer oncegate?)");
  }
  auto* overlay = object.if_contains("overlay");
  if (overlay == nullptr || !overlay->is_object()) throw std::runtime_error("the stored configuration has no overlay");
  if (const auto* certificates = object.if_contains("certificates"); certificates != nullptr && certificates->is_object()) {
    const auto directory = data_dir / "managed" / "certificates";
    std::filesystem::create_directories(directory);
    for (const auto& [name, pem] : certificates->as_object()) {
      if (!pem.is_string()) throw std::runtime_error("a stored certificate is not PEM text");
      const std::string text(pem.as_string());
      const auto described = trust::describe_certificate(text);  // throws on anything but a certificate
      if (std::string(name) != described.fingerprint + ".pem") {
        throw std::runtime_error("the stored certificate " + std::string(name) + " is not named by its fingerprint");
      }
      const auto file = directory / std::string(name);
      if (!std::filesystem::exists(file)) common::write_file_atomically(file, text, false);
    }
  }
  json::value result = std::move(*overlay);
  rewrite_paths(result, std::string(kDataDir), data_dir.lexically_normal().string() + "/", nullptr);
  return std::move(result.as_object());
}

}  // namespace oncegate::runtime
