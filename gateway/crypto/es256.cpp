#include "gateway/crypto/es256.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "gateway/common/bytes.hpp"
#include "gateway/crypto/crypto.hpp"
#include <openssl/x509.h>

namespace oncegate::crypto {

namespace {

// An EC P-256 public key from the JWK coordinates x and y.
EVP_PKEY* p256_key(std::string_view x, std::string_view y) {
  if (x.size() != 32 || y.size() != 32) throw CryptoError("P-256 coordinates must be 32 bytes");
  std::string point = std::string(1, '\x04') + std::string(x) + std::string(y);
  OSSL_PARAM_BLD* build = OSSL_PARAM_BLD_new();
  OSSL_PARAM_BLD_push_utf8_string(build, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
  OSSL_PARAM_BLD_push_octet_string(build, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(build);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr);
  EVP_PKEY* key = nullptr;
  const bool ok = ctx != nullptr && params != nullptr && EVP_PKEY_fromdata_init(ctx) == 1 &&
                  EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) == 1;
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(build);
  if (!ok) throw CryptoError("not a valid P-256 public key");
  return key;
}

bool verify_es256(EVP_PKEY* key, std::string_view signing_input, std::string_view raw_signature) {
  if (raw_signature.size() != 64) return false;
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw_signature.data()), 32, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw_signature.data()) + 32, 32, nullptr);
  if (sig == nullptr || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig, r, s) != 1) {
    ECDSA_SIG_free(sig);
    BN_free(r);
    BN_free(s);
    return false;
  }
  unsigned char* der = nullptr;
  const int der_length = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  if (der_length <= 0) return false;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok = ctx != nullptr && EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
                  EVP_DigestVerify(ctx, der, static_cast<std::size_t>(der_length),
                                   reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  OPENSSL_free(der);
  return ok;
}


}  // namespace

struct Es256PublicKey::Key {
  EVP_PKEY* key = nullptr;
  ~Key() { EVP_PKEY_free(key); }
};

Es256PublicKey Es256PublicKey::from_coordinates(std::string_view x, std::string_view y) {
  auto key = std::make_shared<Key>();
  key->key = p256_key(x, y);
  Es256PublicKey out;
  out.key_ = std::move(key);
  return out;
}

Es256PublicKey Es256PublicKey::from_certificate_pem(std::string_view certificate_pem) {
  BIO* bio = BIO_new_mem_buf(certificate_pem.data(), static_cast<int>(certificate_pem.size()));
  X509* certificate = bio != nullptr ? PEM_read_bio_X509(bio, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(bio);
  if (certificate == nullptr) throw CryptoError("unreadable certificate");
  EVP_PKEY* key = X509_get_pubkey(certificate);
  X509_free(certificate);
  char group[64] = {0};
  std::size_t group_length = 0;
  if (key == nullptr || EVP_PKEY_get_group_name(key, group, sizeof group, &group_length) != 1 ||
      std::string_view(group) != "prime256v1") {
    EVP_PKEY_free(key);
    throw CryptoError("the certificate's key is not an EC P-256 key");
  }
  auto holder = std::make_shared<Key>();
  holder->key = key;
  Es256PublicKey out;
  out.key_ = std::move(holder);
  return out;
}

bool Es256PublicKey::verify(std::string_view signing_input, std::string_view raw_signature) const {
  return verify_es256(key_->key, signing_input, raw_signature);
}

struct Es256PrivateKey::Key {
  EVP_PKEY* key = nullptr;
  ~Key() { EVP_PKEY_free(key); }
};

Es256PrivateKey::Generated Es256PrivateKey::generate() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  if (key == nullptr) throw CryptoError("P-256 key generation failed");
  unsigned char point[65];
  std::size_t length = 0;
  BIO* bio = BIO_new(BIO_s_mem());
  const bool ok = EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point, &length) == 1 &&
                  length == 65 && bio != nullptr &&
                  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  EVP_PKEY_free(key);
  if (!ok) {
    BIO_free(bio);
    throw CryptoError("cannot export the P-256 key");
  }
  char* pem = nullptr;
  const long pem_length = BIO_get_mem_data(bio, &pem);
  const std::string private_pem(pem, static_cast<std::size_t>(pem_length));
  BIO_free(bio);
  return Generated{private_pem, std::string(reinterpret_cast<const char*>(point + 1), 32),
                   std::string(reinterpret_cast<const char*>(point + 33), 32)};
}

Es256PrivateKey Es256PrivateKey::from_pem(std::string_view private_key_pem) {
  auto key = std::make_shared<Key>();
  BIO* bio = BIO_new_mem_buf(private_key_pem.data(), static_cast<int>(private_key_pem.size()));
  key->key = bio != nullptr ? PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(bio);
  if (key->key == nullptr || EVP_PKEY_get_base_id(key->key) != EVP_PKEY_EC) throw CryptoError("not an EC private key");
  Es256PrivateKey out;
  out.key_ = std::move(key);
  return out;
}

std::string Es256PrivateKey::sign(std::string_view input) const {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::size_t der_length = 0;
  unsigned char der[80];
  bool ok = ctx != nullptr && EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key_->key) == 1;
  der_length = sizeof der;
  ok = ok && EVP_DigestSign(ctx, der, &der_length, reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) throw CryptoError("ES256 signing failed");
  const unsigned char* p = der;
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der_length));
  if (sig == nullptr) throw CryptoError("ES256 signing failed");
  unsigned char raw[64];
  BN_bn2binpad(ECDSA_SIG_get0_r(sig), raw, 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig), raw + 32, 32);
  ECDSA_SIG_free(sig);
  return std::string(reinterpret_cast<const char*>(raw), sizeof raw);
}

namespace {
std::string jws_header(std::string_view certificate_sha256) {
  return "{\"alg\":\"ES256\",\"b64\":false,\"crit\":[\"b64\"],\"x5t#S256\":\"" + std::string(certificate_sha256) + "\"}";
}
}  // namespace

std::string detached_jws(const Es256PrivateKey& key, std::string_view certificate_sha256, std::string_view payload) {
  const std::string header = common::base64url_encode(jws_header(certificate_sha256));
  std::string signing_input = header;
  signing_input += '.';
  signing_input += payload;
  return header + ".." + common::base64url_encode(key.sign(signing_input));
}

bool verify_detached_jws(const Es256PublicKey& key, std::string_view jws, std::string_view payload) {
  const auto first = jws.find('.');
  if (first == std::string_view::npos || jws.substr(first, 2) != "..") return false;
  const std::string_view header = jws.substr(0, first);
  const auto header_json = common::base64url_decode(header);
  if (!header_json || header_json->find("\"b64\":false") == std::string::npos ||
      header_json->find("\"alg\":\"ES256\"") == std::string::npos) {
    return false;
  }
  const auto signature = common::base64url_decode(jws.substr(first + 2));
  if (!signature) return false;
  std::string signing_input(header);
  signing_input += '.';
  signing_input += payload;
  return key.verify(signing_input, *signature);
}

}  // namespace oncegate::crypto
