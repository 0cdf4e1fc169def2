// oncegate: the once-only register exchange gateway. main() only wires: command line ->
// configuration -> Gateway.

#include <cstdio>
#include <exception>
#include <fstream>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "gateway/app/gateway.hpp"
#include "gateway/app/setup.hpp"
#include "gateway/oplog/oplog.hpp"
#include "gateway/config/config.hpp"

namespace {

// One sample IDNr from the generated population, so the banner can show a working request.
std::string sample_idnr(const std::filesystem::path& data_dir) {
  std::ifstream in(data_dir / "registers" / "population.tsv");
  std::string line;
  std::getline(in, line);  // header
  std::getline(in, line);
  return line.substr(0, line.find('\t'));
}

// "https://0.0.0.0:8443" says little to someone looking for the gateway: name what it means.
std::string bound(const std::string& url, const char* path) {
  if (url.find("://0.0.0.0:") != std::string::npos) return url + path + " (every IPv4 address of this host)";
  if (url.find("://[::]:") != std::string::npos) return url + path + " (every address of this host)";
  return url + path;
}

int check_config(const std::string& file) {
  oncegate::config::GatewayConfig config;
  try {
    config = oncegate::config::load_config_file(file);
  } catch (const std::exception& error) {
    std::printf("oncegate: %s: %s\n1 problem; the configuration cannot be read, so its files were not checked\n",
                file.c_str(), error.what());
    return 1;
  }
  const auto report = oncegate::app::check_configuration(config);
  for (const auto& p : report.problems) std::printf("problem  %s: %s\n", p.where.c_str(), p.text.c_str());
  for (const auto& n : report.notes) std::printf("note     %s: %s\n", n.where.c_str(), n.text.c_str());
  if (report.ok()) {
    std::printf("oncegate: %s is ready to start (%zu note(s))\n", file.c_str(), report.notes.size());
    return 0;
  }
  std::printf("oncegate: %s: %zu problem(s), the gateway would not start\n", file.c_str(), report.problems.size());
  return 1;
}

int init(const std::string& file) {
  try {
    const auto config = oncegate::config::load_config_file(file);
    const auto outcome = oncegate::app::initialise(config);
    for (const auto& c : outcome.created) std::printf("created  %s\n", c.c_str());
    for (const auto& k : outcome.kept) std::printf("kept     %s (exists)\n", k.c_str());
    if (!outcome.first_admin_key.empty()) {
      std::printf("first admin API key (shown once, only its hash is stored; keep it in a password safe):\n  %s\n",
                  outcome.first_admin_key.c_str());
    }
    std::printf("oncegate: next, `oncegate --check-config %s` names what is still missing\n", file.c_str());
    return 0;
  } catch (const std::exception& error) {
    std::printf("oncegate: init failed: %s\n", error.what());
    return 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"oncegate: once-only register exchange gateway (Registermodernisierung, OOTS)"};
  std::string config_file;
  bool print_default = false;
  cli.add_option("--config", config_file,
                 "Configuration file (TOML). Without it the embedded default runs: data in ./var/, "
                 "evidence listener on https://127.0.0.1:8443, Datencockpit on https://127.0.0.1:8446, admin on https://127.0.0.1:9443");
  cli.add_flag("--print-default-config", print_default, "Print the embedded default configuration and exit");
  std::string check_file;
  cli.add_option("--check-config", check_file,
                 "Check this configuration and every file it names (keys, certificates, secrets and their modes), "
                 "report every problem, and exit: 0 when it would start");
  auto* init_command = cli.add_subcommand(
      "init", "Create what the gateway makes itself for a configuration (data directory, pseudonym secret, log key, "
              "admin key file with a first admin key); never overwrites");
  std::string init_file;
  init_command->add_option("--config", init_file, "Configuration file (TOML)")->required();
  auto* restore_command = cli.add_subcommand(
      "restore", "Restore a backup (POST /admin/v1/log/backup) for a configuration, with the gateway stopped: the "
                 "log and every backed-up file back in place, checked against the manifest; never overwrites");
  std::string restore_file;
  std::string restore_from;
  restore_command->add_option("--config", restore_file, "Configuration file (TOML)")->required();
  restore_command->add_option("--backup", restore_from, "The backup directory (<backup_dir>/<time>)")->required();
  CLI11_PARSE(cli, argc, argv);
  if (*init_command) return init(init_file);
  if (*restore_command) {
    try {
      const auto config = oncegate::config::load_config_file(restore_file);
      for (const auto& r : oncegate::app::restore_backup(config, restore_from)) std::printf("restored %s\n", r.c_str());
      std::printf("oncegate: restored; check it with `oncegate-logverify --log %s --vkey-file ...` and start the gateway\n",
                  config.log.directory.c_str());
      return 0;
    } catch (const std::exception& error) {
      std::printf("oncegate: restore failed: %s\n", error.what());
      return 1;
    }
  }
  if (!check_file.empty()) return check_config(check_file);

  if (print_default) {
    std::cout << oncegate::config::embedded_default_config();
    return 0;
  }
  try {
    oncegate::app::GatewayOptions options;
    options.config = config_file.empty()
                         ? oncegate::config::parse_config(oncegate::config::embedded_default_config(), "(embedded default)")
                         : oncegate::config::load_config_file(config_file);
    // SIGHUP and POST /admin/v1/reload read the configuration again (the embedded default
    // re-reads itself, which changes nothing but keeps the operation uniform).
    if (config_file.empty()) {
      options.reload_config = [] {
        return oncegate::config::parse_config(oncegate::config::embedded_default_config(), "(embedded default)");
      };
    } else {
      options.reload_config = [config_file] { return oncegate::config::load_config_file(config_file); };
    }
    oncegate::app::Gateway gateway(std::move(options));
    gateway.start();
    std::printf("oncegate: serving evidence requests on %s, data in %s\n",
                 bound(gateway.url("evidence"), "/v1/nachweis").c_str(), gateway.data_dir().c_str());
    if (options.config.oots.enabled) {
      std::printf("oncegate: EU (OOTS) evidence requests on %s\n", bound(gateway.url("evidence"), "/v1/oots/query").c_str());
    }
    if (const auto cockpit = gateway.url("cockpit"); !cockpit.empty()) {
      std::printf("oncegate: Datencockpit for citizens on %s\n", bound(cockpit, "/cockpit/").c_str());
    }
    if (const auto log = gateway.url("log"); !log.empty()) {
      std::printf("oncegate: transparency log (C2SP checkpoint and tiles) on %s/log/v1/ (vkey in %s/log.vkey)\n",
                  log.c_str(), gateway.data_dir().c_str());
    }
    if (const auto admin = gateway.url("admin"); !admin.empty()) {
      std::printf("oncegate: admin endpoint on %s\n", bound(admin, "/admin/v1/").c_str());
    }
    if (config_file.empty()) {
      std::printf("oncegate: embedded default. Try in another shell:\n"
                   "  build/bin/oncegate-client --idnr %s --type geburtsurkunde\n"
                   "then open the Datencockpit (demo sign-in) at %s/cockpit/ (trust var/demo/ca.pem in the browser)\n"
                   "oncegate: stop with Ctrl-C\n",
                   sample_idnr(gateway.data_dir()).c_str(), gateway.url("cockpit").c_str());
    }
    std::fflush(stdout);
    gateway.run_until_signal();
    std::printf("oncegate: stopped\n");
    return 0;
  } catch (const std::exception& error) {
    // For the person at the terminal, and for the operation log.
    std::printf("oncegate: cannot start: %s\n", error.what());
    oncegate::oplog::write(oncegate::oplog::Level::error, "start_failed", {{"reason", error.what()}});
    return 1;
  }
}
