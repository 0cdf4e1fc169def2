// oncegate-logverify: checks a transfer log directory offline. Recomputes every leaf from the
// stored records and the Merkle tree from the leaves, and checks every signed tree head (root
// and signature with the gateway's signing certificate; after key rotations, name every
// certificate the gateway has used: --cert may be repeated, and GET /v1/signing-certificates lists
// them). It fails closed: a log without a signed head, records more than --grace-ms newer than the
// newest head, or records missing where no signed purge note (within --retention-days) accounts
// for them are inconsistent. Exit 0 when consistent, 1 at the first inconsistency (printed), 2
// when the log cannot be read.

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "gateway/log/transfer_log.hpp"
#include "gateway/crypto/data_signer.hpp"

int main(int argc, char** argv) {
  CLI::App cli{"oncegate-logverify: verify a transfer log (records, Merkle tree, signed tree heads)"};
  std::string directory = "./var/log";
  std::vector<std::string> certificates{"./var/demo/gateway-signing.pem"};
  cli.add_option("--log", directory, "Transfer log directory")->capture_default_str();
  cli.add_option("--cert", certificates,
                 "Gateway signing certificate (PEM) the tree heads must verify with; repeat it for every key the "
                 "gateway has used (key rotation)")
      ->capture_default_str();
  std::int64_t grace_ms = 10'000;
  unsigned retention_days = 730;
  cli.add_option("--grace-ms", grace_ms,
                 "How long after the newest signed tree head records may stand without one (the gateway's "
                 "log.head_every_ms; a crash can leave at most that)")
      ->capture_default_str()
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{86'400'000}));
  cli.add_option("--retention-days", retention_days,
                 "The gateway's log.retention_days: a signed purge note may not purge younger records")
      ->capture_default_str()
      ->check(CLI::Range(1u, 36500u));
  std::string expected_requests;
  cli.add_option("--expect-requests", expected_requests,
                 "File of request ids (nachrichtenUUID or OOTS request id), one per line, that must each have a "
                 "record, e.g. every request a client saw answered; the missing ones are printed")
      ->check(CLI::ExistingFile);
  CLI11_PARSE(cli, argc, argv);
  try {
    std::vector<std::unique_ptr<oncegate::crypto::DataVerifier>> verifiers;
    for (const auto& certificate : certificates) {
      std::ifstream in(certificate, std::ios::binary);
      if (!in) throw std::runtime_error("cannot read certificate '" + certificate + "'");
      verifiers.push_back(std::make_unique<oncegate::crypto::DataVerifier>(std::string(std::istreambuf_iterator<char>(in), {})));
    }
    oncegate::log::VerifyOptions options;
    options.verify_signature = [&](const std::string& text, const std::string& signature) {
      for (const auto& verifier : verifiers) {
        if (verifier->verify(text, signature)) return true;
      }
      return false;
    };
    options.grace_ms = grace_ms;
    options.retention_ms = static_cast<std::int64_t>(retention_days) * 24 * 3600 * 1000;
    const auto report = oncegate::log::verify_log_directory(directory, options);
    if (!report.ok) {
      std::printf("INCONSISTENT after %llu records and %llu tree heads: %s\n",
                  static_cast<unsigned long long>(report.records), static_cast<unsigned long long>(report.heads),
                  report.first_problem.c_str());
      return 1;
    }
    std::printf("OK: %llu records, %llu purged by retention (leaves kept), %llu signed tree heads verified\n",
                static_cast<unsigned long long>(report.records), static_cast<unsigned long long>(report.purged),
                static_cast<unsigned long long>(report.heads));
    if (!expected_requests.empty()) {
      std::ifstream in(expected_requests);
      std::vector<std::string> ids;
      for (std::string line; std::getline(in, line);) {
        if (!line.empty()) ids.push_back(line);
      }
      const auto missing = oncegate::log::requests_missing_from_log(directory, ids);
      for (const auto& id : missing) std::printf("MISSING: no record of request %s\n", id.c_str());
      if (!missing.empty()) {
        std::printf("INCONSISTENT: %zu of %zu expected requests have no record\n", missing.size(), ids.size());
        return 1;
      }
      std::printf("OK: all %zu expected requests have their records\n", ids.size());
    }
    return 0;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "oncegate-logverify: %s\n", error.what());
    return 2;
  }
}
