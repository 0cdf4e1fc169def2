#include "gateway/crypto/rs256.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

namespace oncegate::crypto {

namespace {

constexpr int kMinimumBits = 2048;

struct OwnedKey {
  EVP_PKEY* key = nullptr;
  ~OwnedKey() { EVP_PKEY_free(key); }
};

std::string big_endian(EVP_PKEY* key, const char* name) {
  BIGNUM* value = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &value) != 1) throw CryptoError("cannot read the RSA key");
  std::string out(static_cast<std::size_t>(BN_num_bytes(value)), '\0');
  BN_bn2bin(value, reinterpret_cast<unsigned char*>(out.data()));
  BN_free(value);
  return out;
}

}  // namespace

struct Rs256PublicKey::Key : OwnedKey {};
struct Rs256PrivateKey::Key : OwnedKey {};

Rs256PublicKey Rs256PublicKey::from_modulus_exponent(std::string_view n, std::string_view e) {
  if (n.empty() || e.empty() || e.size() > 8) throw CryptoError("not an RSA public key");
  BIGNUM* modulus = BN_bin2bn(reinterpret_cast<const unsigned char*>(n.data()), static_cast<int>(n.size()), nullptr);
  BIGNUM* exponent = BN_bin2bn(reinterpret_cast<const unsigned char*>(e.data()), static_cast<int>(e.size()), nullptr);
  OSSL_PARAM_BLD* build = OSSL_PARAM_BLD_new();
  OSSL_PARAM* params = nullptr;
  if (modulus != nullptr && exponent != nullptr && build != nullptr &&
      OSSL_PARAM_BLD_push_BN(build, OSSL_PKEY_PARAM_RSA_N, modulus) == 1 &&
      OSSL_PARAM_BLD_push_BN(build, OSSL_PKEY_PARAM_RSA_E, exponent) == 1) {
    params = OSSL_PARAM_BLD_to_param(build);
  }
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr);
  auto holder = std::make_shared<Key>();
  const bool ok = ctx != nullptr && params != nullptr && EVP_PKEY_fromdata_init(ctx) == 1 &&
                  EVP_PKEY_fromdata(ctx, &holder->key, EVP_PKEY_PUBLIC_KEY, params) == 1;
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(build);
  BN_free(modulus);
  BN_free(exponent);
  if (!ok) throw CryptoError("not a valid RSA public key");
  if (EVP_PKEY_get_bits(holder->key) < kMinimumBits) throw CryptoError("the RSA key is shorter than 2048 bits");
  Rs256PublicKey out;
  out.key_ = std::move(holder);
  return out;
}

bool Rs256PublicKey::verify(std::string_view signing_input, std::string_view signature) const {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  const bool ok = ctx != nullptr && EVP_DigestVerifyInit(ctx, &pctx, EVP_sha256(), nullptr, key_->key) == 1 &&
                  EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1 &&
                  EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                                   reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

Rs256PrivateKey::Generated Rs256PrivateKey::generate(int bits) {
  if (bits < kMinimumBits) throw CryptoError("RSA keys need at least 2048 bits");
  OwnedKey key;
  key.key = EVP_RSA_gen(static_cast<unsigned>(bits));
  if (key.key == nullptr) throw CryptoError("RSA key generation failed");
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio == nullptr || PEM_write_bio_PrivateKey(bio, key.key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    BIO_free(bio);
    throw CryptoError("cannot export the RSA key");
  }
  char* pem = nullptr;
  const long pem_length = BIO_get_mem_data(bio, &pem);
  Generated out{std::string(pem, static_cast<std::size_t>(pem_length)), big_endian(key.key, OSSL_PKEY_PARAM_RSA_N),
                big_endian(key.key, OSSL_PKEY_PARAM_RSA_E)};
  BIO_free(bio);
  return out;
}

Rs256PrivateKey Rs256PrivateKey::from_pem(std::string_view private_key_pem) {
  auto holder = std::make_shared<Key>();
  BIO* bio = BIO_new_mem_buf(private_key_pem.data(), static_cast<int>(private_key_pem.size()));
  holder->key = bio != nullptr ? PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(bio);
  if (holder->key == nullptr || EVP_PKEY_get_base_id(holder->key) != EVP_PKEY_RSA ||
      EVP_PKEY_get_bits(holder->key) < kMinimumBits) {
    throw CryptoError("not an RSA private key of at least 2048 bits");
  }
  Rs256PrivateKey out;
  out.key_ = std::move(holder);
  return out;
}

std::string Rs256PrivateKey::sign(std::string_view signing_input) const {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  std::size_t length = 0;
  bool ok = ctx != nullptr && EVP_DigestSignInit(ctx, &pctx, EVP_sha256(), nullptr, key_->key) == 1 &&
            EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1 &&
            EVP_DigestSign(ctx, nullptr, &length, reinterpret_cast<const unsigned char*>(signing_input.data()),
                           signing_input.size()) == 1;
  std::string out(length, '\0');
  ok = ok && EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(out.data()), &length,
                            reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) throw CryptoError("RS256 signing failed");
  out.resize(length);
  return out;
}

}  // namespace oncegate::crypto
