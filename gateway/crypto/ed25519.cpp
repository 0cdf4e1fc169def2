#include "gateway/crypto/ed25519.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <stdexcept>

namespace oncegate::crypto {

struct Ed25519Key::Impl {
  EVP_PKEY* key = nullptr;
  ~Impl() { EVP_PKEY_free(key); }
};

namespace {

std::string raw_public_key(EVP_PKEY* key) {
  std::string out(32, '\0');
  std::size_t length = out.size();
  if (EVP_PKEY_get_raw_public_key(key, reinterpret_cast<unsigned char*>(out.data()), &length) != 1 || length != 32) {
    throw std::runtime_error("cannot read the Ed25519 public key");
  }
  return out;
}

}  // namespace

Ed25519Key::Ed25519Key(std::unique_ptr<Impl> impl) : impl_(std::move(impl)), public_key_(raw_public_key(impl_->key)) {}
Ed25519Key::~Ed25519Key() = default;
Ed25519Key::Ed25519Key(Ed25519Key&&) noexcept = default;
Ed25519Key& Ed25519Key::operator=(Ed25519Key&&) noexcept = default;

Ed25519Key Ed25519Key::generate() {
  auto impl = std::make_unique<Impl>();
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr);
  const bool ok = ctx != nullptr && EVP_PKEY_keygen_init(ctx) == 1 && EVP_PKEY_keygen(ctx, &impl->key) == 1;
  EVP_PKEY_CTX_free(ctx);
  if (!ok) throw std::runtime_error("cannot generate an Ed25519 key");
  return Ed25519Key(std::move(impl));
}

Ed25519Key Ed25519Key::from_pem(std::string_view private_key_pem) {
  auto impl = std::make_unique<Impl>();
  BIO* bio = BIO_new_mem_buf(private_key_pem.data(), static_cast<int>(private_key_pem.size()));
  impl->key = bio != nullptr ? PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(bio);
  if (impl->key == nullptr) throw std::runtime_error("cannot read the private key");
  if (EVP_PKEY_get_id(impl->key) != EVP_PKEY_ED25519) throw std::runtime_error("the key is not an Ed25519 key");
  return Ed25519Key(std::move(impl));
}

std::string Ed25519Key::private_pem() const {
  BIO* bio = BIO_new(BIO_s_mem());
  std::string out;
  if (bio != nullptr && PEM_write_bio_PrivateKey(bio, impl_->key, nullptr, nullptr, 0, nullptr, nullptr) == 1) {
    char* data = nullptr;
    const long length = BIO_get_mem_data(bio, &data);
    out.assign(data, static_cast<std::size_t>(length));
  }
  BIO_free(bio);
  if (out.empty()) throw std::runtime_error("cannot write the Ed25519 key");
  return out;
}

std::string Ed25519Key::sign(std::string_view message) const {
  std::string signature(64, '\0');
  std::size_t length = signature.size();
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok = ctx != nullptr && EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, impl_->key) == 1 &&
                  EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(signature.data()), &length,
                                 reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1 &&
                  length == 64;
  EVP_MD_CTX_free(ctx);
  if (!ok) throw std::runtime_error("Ed25519 signing failed");
  return signature;
}

bool ed25519_verify(std::string_view public_key, std::string_view message, std::string_view signature) noexcept {
  if (public_key.size() != 32 || signature.size() != 64) return false;
  EVP_PKEY* key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                              reinterpret_cast<const unsigned char*>(public_key.data()), 32);
  if (key == nullptr) return false;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok = ctx != nullptr && EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, key) == 1 &&
                  EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()), 64,
                                   reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(key);
  return ok;
}

}  // namespace oncegate::crypto
