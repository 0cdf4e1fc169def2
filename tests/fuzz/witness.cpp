// libFuzzer: the witness's add-checkpoint body (old size, proof lines, a checkpoint) as anyone on
// the network may send it. It must answer every input with a status of the protocol and cosign
// nothing that its pinned log key did not sign.
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string_view>

#include <unistd.h>

#include "gateway/tlog/note.hpp"
#include "gateway/transparency/witness.hpp"

namespace {

oncegate::transparency::Witness& witness() {
  static const auto dir = std::filesystem::temp_directory_path() / ("oncegate-fuzz-witness-" + std::to_string(::getpid()));
  static oncegate::transparency::Witness instance([] {
    std::filesystem::remove_all(dir);
    // A fixed log key (the seed corpus signs with the same one), so that valid notes occur.
    const auto log_key = std::make_shared<const oncegate::crypto::Ed25519Key>(
        oncegate::crypto::Ed25519Key::from_pem("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIBF0ekAjC8uCXzVAExgvd9ZsqpxXt1SRWvDFDgHz2Qax\n-----END PRIVATE KEY-----\n"));
    return oncegate::transparency::WitnessOptions{
        dir, "fuzz.example/witness", std::make_shared<const oncegate::crypto::Ed25519Key>(oncegate::crypto::Ed25519Key::generate()),
        {oncegate::tlog::VerifierKey{"fuzz.example/log", oncegate::tlog::kEd25519, log_key->public_key()}},
        [] { return std::uint64_t{1'700'000'000}; }};
  }());
  return instance;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto answer = witness().add_checkpoint(std::string_view(reinterpret_cast<const char*>(data), size));
  switch (answer.status) {
    case 200: case 400: case 403: case 404: case 409: case 422: break;
    default: std::abort();
  }
  return 0;
}
