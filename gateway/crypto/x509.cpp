#include "gateway/crypto/x509.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>

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

CertificateFacts describe(X509* certificate) {
  char subject[512];
  X509_NAME_oneline(X509_get_subject_name(certificate), subject, sizeof subject);
  return CertificateFacts{certificate_fingerprint(certificate), subject, to_unix_time(X509_get0_notBefore(certificate)),
                          to_unix_time(X509_get0_notAfter(certificate))};
}

CaBundle CaBundle::from_pem(std::string_view bundle_pem) {
  CaBundle bundle;
  bundle.store_.reset(X509_STORE_new(), X509_STORE_free);
  if (!bundle.store_) throw CryptoError("out of memory");
  BIO* bio = BIO_new_mem_buf(bundle_pem.data(), static_cast<int>(bundle_pem.size()));
  int count = 0;
  while (X509* ca = bio != nullptr ? PEM_read_bio_X509(bio, nullptr, nullptr, nullptr) : nullptr) {
    X509_STORE_add_cert(bundle.store_.get(), ca);
    X509_free(ca);
    ++count;
  }
  BIO_free(bio);
  if (count == 0) throw CryptoError("the CA bundle holds no certificate");
  return bundle;
}

std::string CaBundle::chain_problem(X509* certificate) const {
  std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> ctx(X509_STORE_CTX_new(), X509_STORE_CTX_free);
  if (!ctx || X509_STORE_CTX_init(ctx.get(), store_.get(), certificate, nullptr) != 1) return "out of memory";
  X509_STORE_CTX_set_flags(ctx.get(), X509_V_FLAG_NO_CHECK_TIME);
  if (X509_verify_cert(ctx.get()) == 1) return {};
  return X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()));
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

std::string key_pair_problem(std::string_view private_key_pem, X509* certificate) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(private_key_pem.data(), static_cast<int>(private_key_pem.size())),
                                                BIO_free);
  if (!bio) return "out of memory";
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr),
                                                          EVP_PKEY_free);
  ERR_clear_error();
  if (!key) return "not a PEM private key (or one protected by a passphrase)";
  if (X509_check_private_key(certificate, key.get()) != 1) {
    ERR_clear_error();
    return "the private key does not belong to the certificate";
  }
  return {};
}

}  // namespace oncegate::crypto
