#include "gateway/crypto/x509.hpp"

#include <openssl/pem.h>

#include "gateway/common/bytes.hpp"
#include "gateway/crypto/crypto.hpp"

namespace oncegate::crypto {

namespace {
std::string der_of(X509* certificate) {
  unsigned char* der = nullptr;
  const int length = i2d_X509(certificate, &der);
  if (length <= 0) throw CryptoError("cannot encode the certificate");
  std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(length));
  OPENSSL_free(der);
  return out;
}
}  // namespace

X509Ptr read_pem_certificate(std::string_view pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) throw CryptoError("out of memory");
  X509Ptr certificate(PEM_read_bio_X509(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  if (!certificate) throw CryptoError("not a PEM certificate");
  return certificate;
}

std::string certificate_fingerprint(X509* certificate) { return sha256_hex(der_of(certificate)); }

std::time_t to_unix_time(const ASN1_TIME* time) {
  std::tm tm{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1) throw CryptoError("certificate with an unreadable validity time");
  return timegm(&tm);
}

std::string public_key_spki_base64(std::string_view certificate_pem) {
  const auto certificate = read_pem_certificate(certificate_pem);
  unsigned char* der = nullptr;
  const int length = i2d_PUBKEY(X509_get0_pubkey(certificate.get()), &der);
  if (length <= 0) throw CryptoError("cannot encode the public key");
  std::string out = common::base64_encode(std::string_view(reinterpret_cast<const char*>(der), static_cast<std::size_t>(length)));
  OPENSSL_free(der);
  return out;
}

}  // namespace oncegate::crypto
