// libFuzzer: the Datencockpit's ID-token verification (JWS compact form, header, claims, ES256 and RS256 selection, nonce).
#include <chrono>
#include <cstdint>
#include <string_view>

#include "datacockpit/id_token.hpp"

namespace {
// A fixed P-256 key (the public half only); no input can forge its signatures, so what is
// fuzzed is everything before and around the signature check.
constexpr std::string_view kJwks =
    R"({"keys":[{"kty":"EC","crv":"P-256","kid":"fuzz","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]})";
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const oncegate::datacockpit::IdTokenVerifier verifier(
      [] {
        oncegate::datacockpit::IdTokenPolicy policy;
        policy.issuer = "https://idp";
        policy.client_id = "oncegate-datencockpit";
        return policy;
      }(),
      kJwks);
  const auto verdict = verifier.verify(std::string_view(reinterpret_cast<const char*>(data), size),
                                       std::chrono::system_clock::now(), "fuzz-nonce");
  if (verdict.citizen) __builtin_trap();  // nothing but the key's owner can sign
  return 0;
}
