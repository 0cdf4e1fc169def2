// oncegate-register: serves one sample register (Personenstandsregister or Melderegister from the
// sample population) over HTTPS with the register wire protocol, so that the gateway's remote-https
// adapter has a register to talk to. Runs until SIGINT or SIGTERM.

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iostream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>

#include <CLI/CLI.hpp>

#include "adapters/sample_register/sample_register_server.hpp"

namespace {

namespace fs = std::filesystem;
namespace sample = oncegate::adapters::sample_register;

constexpr int kExitMissingFile = 2;

// {"port":N}, written to a temporary file beside it and renamed: a parent process polling for the
// file never reads half of it.
void write_port_file(const fs::path& file, std::uint16_t port) {
  const fs::path temporary = file.string() + ".tmp-" + std::to_string(::getpid());
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << "{\"port\":" << port << "}\n";
    out.flush();
    if (!out) throw std::runtime_error("cannot write port file '" + temporary.string() + "'");
  }
  fs::rename(temporary, file);
}

// The first of the named files that does not exist, or empty.
std::string first_missing(std::initializer_list<std::pair<const char*, const std::string*>> files) {
  for (const auto& [what, path] : files) {
    if (path->empty()) continue;
    std::error_code error;
    if (!fs::is_regular_file(*path, error)) {
      return std::string(what) + " '" + *path + "' does not exist or is not a file";
    }
  }
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"oncegate-register: a sample register over HTTPS (register wire protocol)"};
  std::string population;
  std::string kind = "geburtsurkunde";
  std::string region;
  unsigned port = 0;
  std::string address = "127.0.0.1";
  std::string certificate;
  std::string private_key;
  std::string client_ca;
  unsigned latency_ms = 0;
  std::string port_file;

  cli.add_option("--population", population, "Population TSV (as the gateway writes it)")
      ->required();
  cli.add_option("--kind", kind, "Document kind: geburtsurkunde or meldebescheinigung")
      ->capture_default_str();
  cli.add_option("--region", region,
                 "Hold only persons whose municipality key starts with this (e.g. 03, 04)");
  cli.add_option("--port", port, "Port (0: a free one; see --port-file)")
      ->capture_default_str()
      ->check(CLI::Range(0u, 65535u));
  cli.add_option("--address", address, "Address to listen on")->capture_default_str();
  cli.add_option("--cert", certificate, "TLS server certificate chain (PEM)")->required();
  cli.add_option("--key", private_key, "TLS private key (PEM)")->required();
  cli.add_option("--client-ca", client_ca,
                 "Require client certificates issued by these CAs (PEM), i.e. mutual TLS");
  cli.add_option("--latency-ms", latency_ms, "Simulated time to answer a query")
      ->capture_default_str()
      ->check(CLI::Range(0u, 600000u));
  cli.add_option("--port-file", port_file,
                 "Write {\"port\":N} here (atomically) once listening");
  CLI11_PARSE(cli, argc, argv);

  const std::string missing = first_missing({{"population file", &population},
                                             {"certificate", &certificate},
                                             {"private key", &private_key},
                                             {"client CA file", &client_ca}});
  if (!missing.empty()) {
    std::cerr << "oncegate-register: " << missing << "\n";
    return kExitMissingFile;
  }

  try {
    sample::SampleRegisterServer::Options options;
    options.kind = sample::parse_document_kind(kind);
    options.population = population;
    options.region = region;
    options.address = address;
    options.port = static_cast<std::uint16_t>(port);
    options.certificate = certificate;
    options.private_key = private_key;
    options.client_ca = client_ca;
    options.latency = std::chrono::milliseconds(latency_ms);
    sample::SampleRegisterServer server(options);
    if (!port_file.empty()) write_port_file(port_file, server.port());
    std::cerr << "oncegate-register: " << server.persons() << " persons (" << kind
              << ") on https://" << address << ":" << server.port()
              << "/register/v1/abfrage; stop with Ctrl-C\n";
    server.run_until_signal();
    std::cerr << "oncegate-register: stopped after " << server.queries_handled()
              << " queries\n";
  } catch (const std::exception& e) {
    std::cerr << "oncegate-register: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
