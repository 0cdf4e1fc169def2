#include "gateway/crypto/data_signer.hpp"
#include "gateway/common/bytes.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <stdexcept>
#include <vector>

namespace oncegate::crypto {

namespace {

EVP_PKEY* read_private_key(std::string_view pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = bio != nullptr ? PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(bio);
  if (key == nullptr) throw std::runtime_error("cannot read the private key");
  return key;
}

EVP_PKEY* read_certificate_key(std::string_view pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = bio != nullptr ? PEM_read_bio_X509(bio, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(bio);
  if (cert == nullptr) throw std::runtime_error("cannot read the certificate");
  EVP_PKEY* key = X509_get_pubkey(cert);
  X509_free(cert);
  if (key == nullptr) throw std::runtime_error("certificate without a public key");
  return key;
}

}  // namespace

struct DataSigner::Impl {
  EVP_PKEY* key = nullptr;
  ~Impl() { EVP_PKEY_free(key); }
};

DataSigner::DataSigner(std::string_view private_key_pem, std::string_view certificate_pem)
    : impl_(std::make_unique<Impl>()) {
  impl_->key = read_private_key(private_key_pem);
  EVP_PKEY* public_key = read_certificate_key(certificate_pem);
  const bool match = EVP_PKEY_eq(impl_->key, public_key) == 1;
  EVP_PKEY_free(public_key);
  if (!match) throw std::runtime_error("the signing key does not match its certificate");
}

DataSigner::~DataSigner() = default;

std::string DataSigner::sign(std::string_view data) const {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::size_t length = 0;
  std::vector<unsigned char> signature;
  bool ok = ctx != nullptr && EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, impl_->key) == 1 &&
            EVP_DigestSign(ctx, nullptr, &length, reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  if (ok) {
    signature.resize(length);
    ok = EVP_DigestSign(ctx, signature.data(), &length, reinterpret_cast<const unsigned char*>(data.data()),
                        data.size()) == 1;
  }
  EVP_MD_CTX_free(ctx);
  if (!ok) throw std::runtime_error("signing failed");
  return common::base64_encode(std::string_view(reinterpret_cast<const char*>(signature.data()), length));
}

struct DataVerifier::Impl {
  EVP_PKEY* key = nullptr;
  ~Impl() { EVP_PKEY_free(key); }
};

DataVerifier::DataVerifier(std::string_view certificate_pem) : impl_(std::make_unique<Impl>()) {
  impl_->key = read_certificate_key(certificate_pem);
}

DataVerifier::~DataVerifier() = default;

bool DataVerifier::verify(std::string_view data, std::string_view signature_base64) const {
  const auto decoded = common::base64_decode(signature_base64);
  if (!decoded || decoded->empty()) return false;
  const auto* signature = reinterpret_cast<const unsigned char*>(decoded->data());
  const auto length = decoded->size();
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok = ctx != nullptr && EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, impl_->key) == 1 &&
                  EVP_DigestVerify(ctx, signature, length,
                                   reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

}  // namespace oncegate::crypto
