#include "gateway/app/setup.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <functional>

#include <boost/json.hpp>

#include "gateway/admin/admin_api.hpp"
#include "gateway/app/recording.hpp"
#include "gateway/common/files.hpp"
#include "gateway/crypto/crypto.hpp"
#include "gateway/crypto/ed25519.hpp"
#include "gateway/crypto/x509.hpp"

namespace oncegate::app {

namespace fs = std::filesystem;

namespace {

constexpr std::time_t kExpiryWarning = 30 * 24 * 3600;

class Checker {
 public:
  explicit Checker(const config::GatewayConfig& config) : config_(config) {}

  ConfigReport run() {
    check_data_dir();
    check_signing();
    for (const auto& listener : config_.listeners) check_listener(listener);
    for (const auto& authority : config_.authorities) {
      for (const auto& file : authority.certificates) certificate("authorities " + authority.kennung, file);
    }
    secret("log.key", config_.log.key, made_by_init());
    check_pseudonym_secret();
    for (const auto& witness : config_.log.witnesses) {
      if (!witness.vkey_file.empty()) readable("log.witnesses vkey_file", witness.vkey_file);
      if (!witness.ca.empty()) bundle("log.witnesses ca", witness.ca);
    }
    check_admin();
    check_cluster();
    check_datacockpit();
    for (const auto& adapter : config_.adapters) check_adapter(adapter);
    return std::move(report_);
  }

 private:
  void problem(std::string where, std::string text) { report_.problems.push_back({std::move(where), std::move(text)}); }
  void note(std::string where, std::string text) { report_.notes.push_back({std::move(where), std::move(text)}); }

  // Where the demo material (first start) or `oncegate init` makes a missing file.
  enum class Maker { none, demo, init };
  [[nodiscard]] Maker made_by_init() const { return config_.demo.generate ? Maker::demo : Maker::init; }
  [[nodiscard]] Maker made_by_demo() const { return config_.demo.generate ? Maker::demo : Maker::none; }

  // False (with a finding) when the file is missing or unreadable.
  bool present(const std::string& where, const fs::path& file, Maker maker = Maker::none) {
    std::error_code ec;
    if (!fs::exists(file, ec)) {
      if (maker == Maker::demo) {
        note(where, "'" + file.string() + "' does not exist yet; the demo material makes it on first start");
      } else if (maker == Maker::init) {
        problem(where, "'" + file.string() + "' does not exist: `oncegate init --config FILE` creates it");
      } else {
        problem(where, "'" + file.string() + "' does not exist");
      }
      return false;
    }
    if (::access(file.c_str(), R_OK) != 0) {
      problem(where, "'" + file.string() + "' cannot be read by this user (run the check as the service user)");
      return false;
    }
    return true;
  }

  std::optional<std::string> readable(const std::string& where, const fs::path& file, Maker maker = Maker::none) {
    if (!present(where, file, maker)) return std::nullopt;
    return read(where, file);
  }

  std::optional<std::string> read(const std::string& where, const fs::path& file) {
    try {
      return common::read_file(file, where.c_str());
    } catch (const std::exception& error) {
      problem(where, error.what());
      return std::nullopt;
    }
  }

  // A private key or another secret: owner-only. Returns its text when readable.
  std::optional<std::string> secret(const std::string& where, const fs::path& file, Maker maker = Maker::none) {
    if (!present(where, file, maker)) return std::nullopt;
    struct stat st {};
    if (::stat(file.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
      problem(where, "'" + file.string() + "' is readable by its group or others (mode " + octal(st.st_mode & 0777) +
                         "): chmod 600 it and chown it to the service user");
    }
    return read(where, file);
  }

  static std::string octal(unsigned mode) {
    char text[8];
    std::snprintf(text, sizeof text, "%04o", mode);
    return text;
  }

  crypto::X509Ptr certificate(const std::string& where, const fs::path& file, Maker maker = Maker::none) {
    const auto text = readable(where, file, maker);
    if (!text) return nullptr;
    crypto::X509Ptr cert;
    try {
      cert = crypto::read_pem_certificate(*text);
    } catch (const std::exception&) {
      problem(where, "'" + file.string() + "' holds no PEM certificate");
      return nullptr;
    }
    const auto facts = crypto::describe(cert.get());
    const std::time_t now = std::time(nullptr);
    if (facts.not_after < now) {
      problem(where, "the certificate in '" + file.string() + "' (" + facts.subject + ") has expired");
    } else if (facts.not_before > now) {
      problem(where, "the certificate in '" + file.string() + "' (" + facts.subject + ") is not valid yet");
    } else if (facts.not_after - now < kExpiryWarning) {
      note(where, "the certificate in '" + file.string() + "' (" + facts.subject + ") expires in " +
                      std::to_string((facts.not_after - now) / 86400) + " days");
    }
    return cert;
  }

  void bundle(const std::string& where, const fs::path& file, Maker maker = Maker::none) {
    const auto text = readable(where, file, maker);
    if (!text) return;
    try {
      (void)crypto::CaBundle::from_pem(*text);
    } catch (const std::exception&) {
      problem(where, "'" + file.string() + "' holds no PEM certificate");
    }
  }

  void key_pair(const std::string& where, const fs::path& key_file, const fs::path& certificate_file, Maker maker) {
    const auto cert = certificate(where + " certificate", certificate_file, maker);
    const auto key = secret(where + " key", key_file, maker);
    if (!cert || !key) return;
    if (auto mismatch = crypto::key_pair_problem(*key, cert.get()); !mismatch.empty()) {
      problem(where, "'" + key_file.string() + "' and '" + certificate_file.string() + "': " + mismatch);
    }
  }

  void check_data_dir() {
    std::error_code ec;
    if (!fs::is_directory(config_.data_dir, ec)) {
      if (config_.demo.generate) return note("gateway.data_dir", "'" + config_.data_dir.string() + "' is made on first start");
      return problem("gateway.data_dir", "'" + config_.data_dir.string() +
                                             "' is not a directory: `oncegate init --config FILE` creates it");
    }
    if (::access(config_.data_dir.c_str(), W_OK | X_OK) != 0) {
      problem("gateway.data_dir", "'" + config_.data_dir.string() + "' is not writable by this user");
    }
  }

  void check_signing() {
    bundle("trust.ca", config_.trust.ca, made_by_demo());
    key_pair("trust.signing", config_.trust.signing_key, config_.trust.signing_certificate, made_by_demo());
  }

  void check_listener(const config::ListenerConfig& listener) {
    const std::string where = "listeners." + listener.name;
    key_pair(where, listener.private_key, listener.certificate, made_by_demo());
    if (!listener.client_ca.empty()) bundle(where + ".client_ca", listener.client_ca, made_by_demo());
  }

  void check_pseudonym_secret() {
    const auto text = secret("log.pseudonym_secret", config_.log.pseudonym_secret, made_by_init());
    if (!text) return;
    try {
      (void)pseudonym_secret_from(*text, config_.log.pseudonym_secret);
    } catch (const std::exception& error) {
      problem("log.pseudonym_secret", error.what());
    }
  }

  void check_cluster() {
    if (!config_.cluster.enabled) {
      if (config_.listener("health") != nullptr && config_.listener("admin") == nullptr) {
        problem("listeners.health", "answers from the admin module's readiness: it needs [listeners.admin]");
      }
      return;
    }
    const auto text = secret("cluster.store_password_file", config_.cluster.store_password_file);
    if (text && common::without_line_end(*text).empty()) problem("cluster.store_password_file", "is empty");
    if (config_.listener("health") == nullptr) {
      note("listeners.health", "none: a load balancer has no credential-free readiness probe (docs/SCALE-OUT.md)");
    }
    const auto* evidence = config_.listener("evidence");
    if (evidence != nullptr && evidence->proxy_protocol_from.empty()) {
      note("listeners.evidence.proxy_protocol_from", "empty: behind a load balancer the nodes see its address, not the "
                                                     "authorities' (docs/SCALE-OUT.md)");
    }
  }

  void check_admin() {
    if (config_.listener("admin") == nullptr) return;
    for (const auto& op : config_.admin.operators) certificate("admin.operators " + op.name, op.certificate);
    std::error_code ec;
    if (!fs::exists(config_.admin.keys_file, ec)) {
      if (config_.demo.generate) return note("admin.keys_file", "made with the demo material on first start");
      if (config_.admin.operators.empty()) {
        problem("admin.keys_file", "'" + config_.admin.keys_file.string() +
                                       "' does not exist and no [[admin.operators]] are registered, so nobody could "
                                       "use the admin listener: `oncegate init --config FILE` creates the file with a "
                                       "first admin key");
      } else {
        note("admin.keys_file", "'" + config_.admin.keys_file.string() +
                                    "' does not exist: operators sign in with their certificates only");
      }
      return;
    }
    const auto text = secret("admin.keys_file", config_.admin.keys_file);
    if (!text) return;
    try {
      (void)admin::parse_api_keys(*text, config_.admin.keys_file);
    } catch (const std::exception& error) {
      problem("admin.keys_file", error.what());
    }
  }

  void check_datacockpit() {
    const auto& c = config_.datacockpit;
    if (!c.enabled) return;
    if (!c.client_secret_file.empty()) secret("datacockpit.client_secret_file", c.client_secret_file);
    if (!c.idnr_mapping.empty()) readable("datacockpit.idnr_mapping", c.idnr_mapping);
    if (!c.ca.empty()) bundle("datacockpit.ca", c.ca, made_by_demo());
    if (c.demo_idp && !c.demo_idp_key.empty()) secret("datacockpit.demo_idp_key", c.demo_idp_key, made_by_demo());
  }

  void check_adapter(const config::AdapterConfig& adapter) {
    const std::string where = "adapters " + adapter.name;
    const auto setting = [&](const char* name) -> const std::string* {
      const auto it = adapter.settings.find(name);
      return it == adapter.settings.end() || it->second.empty() ? nullptr : &it->second;
    };
    if (const auto* ca = setting("ca")) bundle(where + " ca", *ca, made_by_demo());
    if (const auto* data = setting("data")) present(where + " data", *data, made_by_demo());
    const auto* cert = setting("client_certificate");
    const auto* key = setting("client_key");
    if (cert != nullptr && key != nullptr) key_pair(where + " client", *key, *cert, made_by_demo());
  }

  const config::GatewayConfig& config_;
  ConfigReport report_;
};

}  // namespace

ConfigReport check_configuration(const config::GatewayConfig& config) { return Checker(config).run(); }

InitOutcome initialise(const config::GatewayConfig& config) {
  InitOutcome out;
  std::error_code ec;
  if (fs::is_directory(config.data_dir, ec)) {
    out.kept.push_back("data directory " + config.data_dir.string());
  } else {
    fs::create_directories(config.data_dir);
    out.created.push_back("data directory " + config.data_dir.string());
  }
  ::chmod(config.data_dir.c_str(), 0700);  // keys, secrets and the log live here

  const auto make = [&](const std::string& what, const fs::path& file, const std::function<std::string()>& content) {
    if (fs::exists(file, ec)) {
      out.kept.push_back(what + " " + file.string());
      return false;
    }
    common::write_file_atomically(file, content(), true);
    out.created.push_back(what + " " + file.string() + " (mode 0600)");
    return true;
  };
  // Hex of 32 random bytes: printable, so that a backup survives any copying tool unchanged.
  make("pseudonym secret", config.log.pseudonym_secret, [] { return crypto::random_hex(32) + "\n"; });
  make("transfer-log key", config.log.key, [] { return crypto::Ed25519Key::generate().private_pem(); });
  if (config.listener("admin") != nullptr) {
    std::string key;
    const bool made = make("admin key file", config.admin.keys_file, [&] {
      key = "og_admin_" + crypto::random_hex(24);
      return "[{\"name\":\"first-admin\",\"role\":\"admin\",\"sha256\":\"" + crypto::sha256_hex(key) + "\"}]\n";
    });
    if (made) out.first_admin_key = key;
  }
  return out;
}

std::vector<std::string> restore_backup(const config::GatewayConfig& config, const fs::path& backup) {
  namespace json = boost::json;
  const json::value manifest = json::parse(common::read_file(backup / "manifest.json", "backup manifest"));
  if (!manifest.is_object() || manifest.as_object().if_contains("format") == nullptr ||
      manifest.at("format") != "oncegate-backup/1") {
    throw std::runtime_error("'" + (backup / "manifest.json").string() + "' is not an oncegate-backup/1 manifest");
  }
  std::error_code ec;
  if (fs::exists(config.log.directory, ec)) {
    throw std::runtime_error("log.directory '" + config.log.directory.string() +
                             "' exists: move it aside first (a restore never overwrites a log)");
  }
  // Every file is checked before anything is written.
  struct Pending {
    fs::path from, to;
    std::string content;
  };
  std::vector<Pending> files;
  for (const auto& entry : manifest.at("files").as_array()) {
    const auto& f = entry.as_object();
    if (f.if_contains("missing") != nullptr) continue;
    Pending p{backup / "files" / std::string(f.at("name").as_string()), std::string(f.at("path").as_string()), {}};
    p.content = common::read_file(p.from, "backed-up file");
    if (crypto::sha256_hex(p.content) != f.at("sha256").as_string()) {
      throw std::runtime_error("'" + p.from.string() + "' does not match its SHA-256 in the manifest");
    }
    if (fs::exists(p.to, ec) && common::read_file(p.to, "existing file") != p.content) {
      throw std::runtime_error("'" + p.to.string() + "' exists with other content: move it aside first");
    }
    files.push_back(std::move(p));
  }
  std::vector<std::string> restored;
  fs::create_directories(config.data_dir);
  ::chmod(config.data_dir.c_str(), 0700);
  fs::copy(backup / "log", config.log.directory, fs::copy_options::recursive);
  restored.push_back("transfer log " + config.log.directory.string() + " (" +
                     std::to_string(manifest.at("log_size").to_number<std::uint64_t>()) + " records)");
  for (const auto& p : files) {
    common::write_file_atomically(p.to, p.content, true);
    restored.push_back(p.to.string());
  }
  return restored;
}

}  // namespace oncegate::app
