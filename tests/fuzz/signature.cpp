// libFuzzer: XML signature verification of a whole document (parse, references, transforms,
// KeyInfo, algorithms), against a key set with one generated signing certificate.
#include <cstdint>
#include <ctime>
#include <string_view>

#include "gateway/crypto/certificates.hpp"
#include "gateway/message/signature.hpp"

namespace {
const oncegate::message::XmlVerificationKeys& keys() {
  static const auto* made = [] {
    auto* k = new oncegate::message::XmlVerificationKeys();
    oncegate::crypto::CertificateRequest request;
    request.common_name = "fuzz signer";
    request.role = oncegate::crypto::CertificateRole::signing;
    (void)k->add(oncegate::crypto::issue_certificate(request, nullptr).certificate_pem);
    return k;
  }();
  return *made;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto verdict = oncegate::message::verify_enveloped_signature(
      std::string_view(reinterpret_cast<const char*>(data), size), keys(), std::time(nullptr));
  (void)verdict;
  return 0;
}
