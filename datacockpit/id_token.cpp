#include "datacockpit/id_token.hpp"
#include "gateway/common/bytes.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <boost/json.hpp>

namespace oncegate::datacockpit {

namespace json = boost::json;

using common::base64url_decode;

namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* key) const noexcept { EVP_PKEY_free(key); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

// An EC P-256 public key from the JWK coordinates x and y.
PkeyPtr p256_key(const std::string& x, const std::string& y) {
  if (x.size() != 32 || y.size() != 32) throw std::runtime_error("JWKS: P-256 coordinates must be 32 bytes");
  std::string point = std::string(1, '\x04') + x + y;
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
  if (!ok) throw std::runtime_error("JWKS: not a valid P-256 public key");
  return PkeyPtr(key);
}

// JWS ES256 signature (r || s, 32 bytes each) over `signing_input`.
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

std::optional<json::object> parse_object(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.as_object());
}

const json::string* string_claim(const json::object& o, std::string_view name) {
  const auto* v = o.if_contains(name);
  return v != nullptr ? v->if_string() : nullptr;
}

std::optional<std::int64_t> time_claim(const json::object& o, std::string_view name) {
  const auto* v = o.if_contains(name);
  if (v == nullptr) return std::nullopt;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64() && v->as_uint64() < static_cast<std::uint64_t>(INT64_MAX)) return static_cast<std::int64_t>(v->as_uint64());
  return std::nullopt;
}

}  // namespace

struct IdTokenVerifier::Impl {
  IdTokenPolicy policy;
  std::map<std::string, PkeyPtr, std::less<>> keys;  // by kid
};

IdTokenVerifier::IdTokenVerifier(IdTokenPolicy policy, std::string_view jwks_json) : impl_(std::make_unique<Impl>()) {
  impl_->policy = std::move(policy);
  auto jwks = parse_object(jwks_json);
  const auto* keys = jwks ? jwks->if_contains("keys") : nullptr;
  if (keys == nullptr || !keys->is_array()) throw std::runtime_error("JWKS: no \"keys\" array");
  for (const auto& entry : keys->as_array()) {
    if (!entry.is_object()) continue;
    const auto& k = entry.as_object();
    const auto* kty = string_claim(k, "kty");
    const auto* crv = string_claim(k, "crv");
    const auto* kid = string_claim(k, "kid");
    const auto* x = string_claim(k, "x");
    const auto* y = string_claim(k, "y");
    if (kty == nullptr || *kty != "EC" || crv == nullptr || *crv != "P-256" || kid == nullptr || x == nullptr || y == nullptr) {
      continue;  // only ES256 keys are used; others are ignored
    }
    const auto xb = base64url_decode(*x);
    const auto yb = base64url_decode(*y);
    if (!xb || !yb) throw std::runtime_error("JWKS: key coordinates are not base64url");
    impl_->keys.emplace(std::string(*kid), p256_key(*xb, *yb));
  }
  if (impl_->keys.empty()) throw std::runtime_error("JWKS: no usable EC P-256 key");
}

IdTokenVerifier::~IdTokenVerifier() = default;

TokenVerdict IdTokenVerifier::verify(std::string_view token, std::chrono::system_clock::time_point now) const {
  const auto& policy = impl_->policy;
  const auto first = token.find('.');
  const auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (first == std::string_view::npos || second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return {std::nullopt, "the token is not a JWS compact serialisation"};
  }
  const auto header_json = base64url_decode(token.substr(0, first));
  const auto payload_json = base64url_decode(token.substr(first + 1, second - first - 1));
  const auto signature = base64url_decode(token.substr(second + 1));
  if (!header_json || !payload_json || !signature) return {std::nullopt, "the token is not base64url"};
  const auto header = parse_object(*header_json);
  const auto claims = parse_object(*payload_json);
  if (!header || !claims) return {std::nullopt, "the token's header or claims are not JSON objects"};
  const auto* alg = string_claim(*header, "alg");
  if (alg == nullptr || *alg != "ES256") return {std::nullopt, "only ES256 tokens are accepted"};
  const auto* kid = string_claim(*header, "kid");
  const auto key = kid != nullptr ? impl_->keys.find(std::string_view(*kid)) : impl_->keys.end();
  if (key == impl_->keys.end()) return {std::nullopt, "the token is signed with an unknown key"};
  if (!verify_es256(key->second.get(), token.substr(0, second), *signature)) {
    return {std::nullopt, "the token's signature does not verify"};
  }
  const auto* iss = string_claim(*claims, "iss");
  if (iss == nullptr || *iss != policy.issuer) return {std::nullopt, "the token comes from another issuer"};
  bool audience_ok = false;
  if (const auto* aud = claims->if_contains("aud")) {
    if (aud->is_string()) audience_ok = aud->as_string() == policy.audience;
    if (aud->is_array()) {
      for (const auto& a : aud->as_array()) audience_ok = audience_ok || (a.is_string() && a.as_string() == policy.audience);
    }
  }
  if (!audience_ok) return {std::nullopt, "the token is meant for another audience"};
  const std::int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  const std::int64_t skew = policy.clock_skew.count();
  const auto exp = time_claim(*claims, "exp");
  if (!exp) return {std::nullopt, "the token has no expiry"};
  if (now_s > *exp + skew) return {std::nullopt, "the token has expired"};
  if (const auto nbf = time_claim(*claims, "nbf"); nbf && now_s + skew < *nbf) {
    return {std::nullopt, "the token is not valid yet"};
  }
  if (const auto iat = time_claim(*claims, "iat"); iat && now_s + skew < *iat) {
    return {std::nullopt, "the token was issued in the future"};
  }
  const auto* acr = string_claim(*claims, "acr");
  if (acr == nullptr || *acr != policy.required_acr) {
    return {std::nullopt, "the identification's assurance level is not \"" + policy.required_acr + "\""};
  }
  const auto* idnr = string_claim(*claims, policy.idnr_claim);
  if (idnr == nullptr || idnr->empty()) return {std::nullopt, "the token carries no IDNr"};
  const auto* sub = string_claim(*claims, "sub");
  return {VerifiedCitizen{std::string(*idnr), sub != nullptr ? std::string(*sub) : std::string(), *exp}, {}};
}

}  // namespace oncegate::datacockpit
