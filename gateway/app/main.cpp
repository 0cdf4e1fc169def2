// oncegate: the once-only register exchange gateway. main() only wires: command line ->
// configuration -> Gateway.

#include <cstdio>
#include <exception>
#include <fstream>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "gateway/app/gateway.hpp"
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

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"oncegate: once-only register exchange gateway (Registermodernisierung, OOTS)"};
  std::string config_file;
  bool print_default = false;
  cli.add_option("--config", config_file,
                 "Configuration file (TOML). Without it the embedded default runs: data in ./var/, "
                 "evidence listener on https://127.0.0.1:8443, Datencockpit on https://127.0.0.1:8446, admin on https://127.0.0.1:9443");
  cli.add_flag("--print-default-config", print_default, "Print the embedded default configuration and exit");
  CLI11_PARSE(cli, argc, argv);

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
    std::printf("oncegate: serving evidence requests on %s/v1/nachweis (data: %s)\n",
                 gateway.url("evidence").c_str(), gateway.data_dir().c_str());
    if (options.config.oots.enabled) {
      std::printf("oncegate: EU (OOTS) evidence requests on %s/v1/oots/query\n", gateway.url("evidence").c_str());
    }
    if (const auto cockpit = gateway.url("cockpit"); !cockpit.empty()) {
      std::printf("oncegate: Datencockpit for citizens on %s/cockpit/\n", cockpit.c_str());
    }
    if (const auto log = gateway.url("log"); !log.empty()) {
      std::printf("oncegate: transparency log (C2SP checkpoint and tiles) on %s/log/v1/ (vkey in %s/log.vkey)\n",
                  log.c_str(), gateway.data_dir().c_str());
    }
    if (const auto admin = gateway.url("admin"); !admin.empty()) {
      std::printf("oncegate: admin endpoint on %s/admin/v1/\n", admin.c_str());
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
