// oncegate-witness: a transparency-log witness (C2SP tlog-witness), to be run by someone other
// than the log's operator (a data protection authority, an audit office). It cosigns a log's
// checkpoints only after checking their signature with the pinned log key and their consistency
// with the last checkpoint it cosigned, which it keeps in its own data directory.
//
//   oncegate-witness --data-dir /var/lib/oncegate-witness --name bfdi.example/witness-1
//       --log "<the log's vkey>" --cert tls.pem --key tls.key --address 0.0.0.0 --port 8448
//
// First start creates <data-dir>/witness-key.pem (0600) and writes <data-dir>/witness.vkey, the
// key the log's operator configures ([[log.witnesses]] vkey). Once listening it writes the port
// to <data-dir>/port. Exit 0 after SIGTERM/SIGINT, 2 when it cannot start.

#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "gateway/common/files.hpp"
#include "gateway/net/server.hpp"
#include "gateway/tlog/note.hpp"
#include "gateway/transparency/witness.hpp"

int main(int argc, char** argv) {
  using namespace oncegate;
  CLI::App cli{"oncegate-witness: cosign transparency-log checkpoints after checking their consistency (C2SP tlog-witness)"};
  std::string data_dir = "./witness";
  std::string name;
  std::vector<std::string> logs;
  std::string logs_file;
  std::string address = "127.0.0.1";
  std::uint16_t port = 8448;
  std::string certificate;
  std::string private_key;
  bool print_vkey = false;
  cli.add_option("--data-dir", data_dir, "The witness's own directory: its key and the last checkpoint of each log")
      ->capture_default_str();
  cli.add_option("--name", name, "Its key name, a schema-less URL, e.g. bfdi.example/witness-1")->required();
  cli.add_option("--log", logs, "The vkey of a log to witness (repeatable)");
  cli.add_option("--logs-file", logs_file, "A file of log vkeys, one a line")->check(CLI::ExistingFile);
  cli.add_option("--address", address, "Address to listen on")->capture_default_str();
  cli.add_option("--port", port, "Port to listen on (0: any free one, written to <data-dir>/port)")->capture_default_str();
  cli.add_option("--cert", certificate, "TLS certificate chain (PEM)");
  cli.add_option("--key", private_key, "TLS private key (PEM)");
  cli.add_flag("--print-vkey", print_vkey, "Create the key if needed, print the witness's vkey and exit");
  CLI11_PARSE(cli, argc, argv);
  try {
    const std::filesystem::path dir(data_dir);
    auto key = transparency::load_or_create_key(dir / "witness-key.pem");
    const tlog::VerifierKey verifier{name, tlog::kTimestampedEd25519, key->public_key()};
    if (!tlog::valid_key_name(name)) throw std::runtime_error("--name must be a key name without spaces or '+'");
    common::write_file_atomically(dir / "witness.vkey", verifier.vkey() + "\n", false);
    if (print_vkey) {
      std::printf("%s\n", verifier.vkey().c_str());
      return 0;
    }
    if (!logs_file.empty()) {
      std::istringstream lines(common::read_file(logs_file, "logs file"));
      for (std::string line; std::getline(lines, line);) {
        if (!line.empty() && line[0] != '#') logs.push_back(line);
      }
    }
    std::vector<tlog::VerifierKey> log_keys;
    for (const auto& text : logs) {
      const auto log_key = tlog::parse_vkey(text);
      if (!log_key || log_key->type != tlog::kEd25519) throw std::runtime_error("not a log's Ed25519 vkey: " + text);
      log_keys.push_back(*log_key);
    }
    if (log_keys.empty()) throw std::runtime_error("no log to witness: give --log <vkey> or --logs-file");
    if (certificate.empty() || private_key.empty()) throw std::runtime_error("--cert and --key are required");
    transparency::Witness witness(transparency::WitnessOptions{dir, name, std::move(key), log_keys, {}});
    auto router = std::make_shared<net::Router>();
    witness.register_routes(*router);
    net::Server server(net::ServerOptions{2, std::chrono::seconds(5), std::chrono::seconds(10)});
    net::ListenerOptions listener;
    listener.name = "witness";
    listener.address = address;
    listener.port = port;
    listener.tls.certificate_chain_file = certificate;
    listener.tls.private_key_file = private_key;
    listener.body_limit = 16 * 1024;  // 63 proof lines and a checkpoint with its signatures
    listener.max_connections = 256;
    listener.limits.connections_per_source = 16;
    listener.limits.handshakes_per_source = 8;
    listener.limits.handshakes_in_flight = 64;
    listener.limits.requests_per_second = 50;
    server.add_listener(listener, router, [](net::HttpFailure failure) {
      return net::HttpResponse{net::http_status(failure), "text/plain; charset=utf-8", std::string(net::describe(failure)) + "\n", {}};
    });
    server.start();
    common::write_file_atomically(dir / "port", std::to_string(server.port("witness")) + "\n", false);
    std::printf("oncegate-witness %s on https://%s:%u/add-checkpoint\nvkey %s\n", name.c_str(), address.c_str(),
                static_cast<unsigned>(server.port("witness")), verifier.vkey().c_str());
    std::fflush(stdout);
    server.run_until_signal();
    return 0;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "oncegate-witness: %s\n", error.what());
    return 2;
  }
}
