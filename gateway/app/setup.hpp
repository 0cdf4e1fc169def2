#pragma once
// What an operator runs before the first start (docs/OPERATIONS.md): `oncegate --check-config`
// reports every problem of a configuration at once, without starting anything, and
// `oncegate init` creates what the gateway itself can make (the data directory, the pseudonym
// secret, the log key, the admin key file with a first admin key). Keys and certificates from the
// authority's PKI are never made here: they are named as missing.

#include <string>
#include <vector>

#include "gateway/config/config.hpp"

namespace oncegate::app {

struct ConfigFinding {
  std::string where;  // the setting, e.g. "trust.signing_key"
  std::string text;   // what is wrong (problem) or worth knowing (note), and what to do
};

struct ConfigReport {
  std::vector<ConfigFinding> problems;  // the gateway would not start, or would start unsafely
  std::vector<ConfigFinding> notes;     // e.g. a certificate that expires within 30 days
  [[nodiscard]] bool ok() const noexcept { return problems.empty(); }
};

// Every file the configuration names: present, readable, parseable; keys matching their
// certificates; certificates valid now; secrets (private keys, the pseudonym secret, the log key,
// client secrets) readable by their owner only. With [demo] generate, files the demo makes on
// first start may be missing (a note). Reads files; changes nothing.
[[nodiscard]] ConfigReport check_configuration(const config::GatewayConfig& config);

struct InitOutcome {
  std::vector<std::string> created;  // what was made, with its path
  std::vector<std::string> kept;     // what existed already and was left alone
  std::string first_admin_key;       // the new admin key, shown once; empty when the file existed
};

// Creates the data directory (mode 0700), the pseudonym secret (32 random bytes, hex, mode
// 0600), the log's Ed25519 key (mode 0600) and, when the admin listener is configured and its
// key file is missing, the key file with one admin key. Never overwrites. Throws std::exception.
[[nodiscard]] InitOutcome initialise(const config::GatewayConfig& config);

// Restores a backup made by POST /admin/v1/log/backup (<dir>/manifest.json, log/, files/) for
// `config`, on a stopped gateway: the log into log.directory, which must not exist yet, and every
// file back to the path the manifest names, checked against its SHA-256, mode 0600. Returns what
// was restored. Throws std::exception naming the problem (nothing is overwritten).
[[nodiscard]] std::vector<std::string> restore_backup(const config::GatewayConfig& config,
                                                      const std::filesystem::path& backup);

}  // namespace oncegate::app
