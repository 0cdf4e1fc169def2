// The remote-https adapter's settings: URL, files, numbers; and its registration by type name.

#include <charconv>
#include <filesystem>

#include "adapters/remote/internal.hpp"

namespace oncegate::adapters::remote {

using namespace detail;

std::optional<RegisterUrl> parse_register_url(std::string_view url, std::string& problem) {
  constexpr std::string_view scheme = "https://";
  const auto lower_prefix = [&] {
    if (url.size() < scheme.size()) return false;
    for (std::size_t i = 0; i < scheme.size(); ++i) {
      const char c = url[i];
      if ((c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c) != scheme[i]) return false;
    }
    return true;
  };
  if (!lower_prefix()) {
    problem = "must start with https:// (plain HTTP is not allowed for registers)";
    return std::nullopt;
  }
  std::string_view rest = url.substr(scheme.size());
  for (char c : rest) {
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7F ||
        c == '?' || c == '#' || c == '@' || c == '\\') {
      problem = "must be https://host[:port][/base-path] without user, query or fragment";
      return std::nullopt;
    }
  }
  const std::size_t slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);

  RegisterUrl out;
  std::string_view host;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      problem = "unterminated IPv6 address";
      return std::nullopt;
    }
    host = authority.substr(1, close - 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        problem = "unexpected text after the IPv6 address";
        return std::nullopt;
      }
      port = after.substr(1);
      if (port.empty()) {
        problem = "empty port";
        return std::nullopt;
      }
    }
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(std::string(host), ec);
    if (ec || !address.is_v6()) {
      problem = "invalid IPv6 address";
      return std::nullopt;
    }
  } else {
    const std::size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      if (port.empty()) {
        problem = "empty port";
        return std::nullopt;
      }
    }
    const bool host_ok =
        !host.empty() && host.size() <= 253 &&
        std::all_of(host.begin(), host.end(), [](char c) {
          return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '-';
        });
    if (!host_ok) {
      problem = "missing or invalid host";
      return std::nullopt;
    }
  }
  out.host = std::string(host);
  if (!port.empty()) {
    unsigned value = 0;
    const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (error != std::errc{} || end != port.data() + port.size() || value == 0 || value > 65535) {
      problem = "port must be 1 to 65535";
      return std::nullopt;
    }
    out.port = static_cast<std::uint16_t>(value);
  }
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  const bool path_ok = std::all_of(path.begin(), path.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '/' || c == '-' || c == '.' || c == '_' || c == '~' || c == '%';
  });
  if (!path_ok) {
    problem = "the base path may hold letters, digits and / - . _ ~ % only";
    return std::nullopt;
  }
  out.base_path = std::string(path);
  return out;
}

namespace {

[[noreturn]] void reject(const AdapterConfig& config, const std::string& problem) { reject_setting(config, problem); }

// A file setting: relative paths are taken relative to the data directory; the file must exist.
std::string file_setting(const AdapterConfig& config, const AdapterContext& context,
                         const std::string& key, bool required) {
  const auto it = config.settings.find(key);
  if (it == config.settings.end() || it->second.empty()) {
    if (required) reject(config, "setting '" + key + "' is missing");
    return {};
  }
  std::filesystem::path file = it->second;
  if (file.is_relative() && !context.data_dir.empty()) file = context.data_dir / file;
  std::error_code error;
  if (!std::filesystem::is_regular_file(file, error)) {
    reject(config, "setting '" + key + "': file '" + file.string() +
                       "' does not exist or is not a file");
  }
  return file.string();
}

RemoteRegisterOptions parse_options(const AdapterConfig& config, const AdapterContext& context) {
  reject_unknown_settings(config, {"url", "ca", "client_certificate", "client_key", "server_name", "pool_size",
                                   "connect_timeout_ms", "breaker_failures", "breaker_open_ms", "health_interval_ms", "retries"});

  RemoteRegisterOptions options;
  options.name = config.name;
  options.register_name = config.register_name;

  const auto url = config.settings.find("url");
  if (url == config.settings.end() || url->second.empty()) reject(config, "setting 'url' is missing");
  std::string problem;
  std::optional<RegisterUrl> parsed = parse_register_url(url->second, problem);
  if (!parsed) reject(config, "setting 'url' ('" + url->second + "') " + problem);
  options.url = std::move(*parsed);

  options.ca_file = file_setting(config, context, "ca", true);
  options.client_certificate_file = file_setting(config, context, "client_certificate", false);
  options.client_key_file = file_setting(config, context, "client_key", false);
  if (options.client_certificate_file.empty() != options.client_key_file.empty()) {
    reject(config, "settings 'client_certificate' and 'client_key' go together");
  }

  if (const auto it = config.settings.find("server_name"); it != config.settings.end()) {
    std::string ignored;
    const std::string& name = it->second;
    // Accept what a URL would accept as host, no more.
    if (name.empty() || !parse_register_url("https://" + (name.find(':') != std::string::npos
                                                              ? "[" + name + "]"
                                                              : name),
                                            ignored)) {
      reject(config, "setting 'server_name' must be a host name or IP address, got '" + name + "'");
    }
    options.server_name = name;
  }

  options.pool_size = integer_setting(config, "pool_size", 1, 256, 16);
  options.connect_timeout =
      std::chrono::milliseconds(integer_setting(config, "connect_timeout_ms", 1, 60'000, 1000));
  options.breaker_failures =
      static_cast<unsigned>(integer_setting(config, "breaker_failures", 1, 1000, 5));
  options.breaker_open =
      std::chrono::milliseconds(integer_setting(config, "breaker_open_ms", 10, 600'000, 2000));
  options.health_interval =
      std::chrono::milliseconds(integer_setting(config, "health_interval_ms", 0, 3'600'000, 10'000));
  options.retries = static_cast<unsigned>(integer_setting(config, "retries", 0, 1, 1));
  return options;
}

}  // namespace

void register_remote_adapter_type(AdapterFactoryRegistry& registry) {
  registry.add("remote-https", [](const AdapterConfig& config, const AdapterContext& context)
                                   -> std::shared_ptr<RegisterAdapter> {
    if (!context.executor) reject(config, "no executor to deliver completions on");
    return std::make_shared<RemoteRegister>(parse_options(config, context), context.executor);
  });
}

}  // namespace oncegate::adapters::remote
