#include "datacockpit/demo_idp.hpp"
#include "gateway/common/bytes.hpp"
#include "gateway/common/files.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <fstream>
#include <stdexcept>

#include <boost/json.hpp>

#include "datacockpit/id_token.hpp"

namespace oncegate::datacockpit {

namespace json = boost::json;

DemoIdpFiles ensure_demo_idp(const std::filesystem::path& demo_directory) {
  DemoIdpFiles files{demo_directory / "idp.key", demo_directory / "idp-jwks.json"};
  if (std::filesystem::exists(files.private_key) && std::filesystem::exists(files.jwks)) return files;
  EVP_PKEY* key = EVP_EC_gen("P-256");
  if (key == nullptr) throw std::runtime_error("demo IdP: key generation failed");
  unsigned char point[65];
  std::size_t length = 0;
  BIO* bio = BIO_new(BIO_s_mem());
  const bool ok = EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point, &length) == 1 &&
                  length == 65 && bio != nullptr &&
                  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  EVP_PKEY_free(key);
  if (!ok) {
    BIO_free(bio);
    throw std::runtime_error("demo IdP: cannot export the key");
  }
  char* pem = nullptr;
  const long pem_length = BIO_get_mem_data(bio, &pem);
  const std::string private_pem(pem, static_cast<std::size_t>(pem_length));
  BIO_free(bio);
  json::object jwk;
  jwk["kty"] = "EC";
  jwk["crv"] = "P-256";
  jwk["alg"] = "ES256";
  jwk["use"] = "sig";
  jwk["kid"] = kDemoIdpKeyId;
  jwk["x"] = common::base64url_encode(std::string_view(reinterpret_cast<const char*>(point + 1), 32));
  jwk["y"] = common::base64url_encode(std::string_view(reinterpret_cast<const char*>(point + 33), 32));
  json::object jwks;
  jwks["keys"] = json::array{jwk};
  common::write_file_atomically(files.private_key, private_pem, true);
  common::write_file_atomically(files.jwks, json::serialize(jwks) + "\n", false);
  return files;
}

struct DemoIdp::Impl {
  EVP_PKEY* key = nullptr;
  std::string issuer;
  std::string audience;
  ~Impl() { EVP_PKEY_free(key); }
};

DemoIdp::DemoIdp(const std::string& private_key_pem, std::string issuer, std::string audience)
    : impl_(std::make_unique<Impl>()) {
  BIO* bio = BIO_new_mem_buf(private_key_pem.data(), static_cast<int>(private_key_pem.size()));
  impl_->key = bio != nullptr ? PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(bio);
  if (impl_->key == nullptr) throw std::runtime_error("demo IdP: cannot read the key");
  impl_->issuer = std::move(issuer);
  impl_->audience = std::move(audience);
}

DemoIdp::~DemoIdp() = default;

std::string DemoIdp::issue(const std::string& idnr, const std::string& subject, const std::string& acr,
                           std::chrono::seconds lifetime, std::chrono::system_clock::time_point now) const {
  const std::int64_t t = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  json::object header{{"alg", "ES256"}, {"typ", "JWT"}, {"kid", kDemoIdpKeyId}};
  json::object claims{{"iss", impl_->issuer}, {"aud", impl_->audience}, {"sub", subject}, {"idnr", idnr},
                      {"acr", acr}, {"iat", t}, {"nbf", t}, {"exp", t + lifetime.count()}};
  const std::string input = common::base64url_encode(json::serialize(header)) + "." + common::base64url_encode(json::serialize(claims));
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::size_t der_length = 0;
  unsigned char der[80];
  bool ok = ctx != nullptr && EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, impl_->key) == 1;
  der_length = sizeof der;
  ok = ok && EVP_DigestSign(ctx, der, &der_length, reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) throw std::runtime_error("demo IdP: signing failed");
  const unsigned char* p = der;
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der_length));
  if (sig == nullptr) throw std::runtime_error("demo IdP: signing failed");
  unsigned char raw[64];
  BN_bn2binpad(ECDSA_SIG_get0_r(sig), raw, 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig), raw + 32, 32);
  ECDSA_SIG_free(sig);
  return input + "." + common::base64url_encode(std::string_view(reinterpret_cast<const char*>(raw), sizeof raw));
}

}  // namespace oncegate::datacockpit
