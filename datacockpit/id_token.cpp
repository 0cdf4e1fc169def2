#include "datacockpit/id_token.hpp"
#include "gateway/common/bytes.hpp"
#include "gateway/crypto/es256.hpp"


#include <boost/json.hpp>

namespace oncegate::datacockpit {

namespace json = boost::json;

using common::base64url_decode;

namespace {

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
  std::map<std::string, crypto::Es256PublicKey, std::less<>> keys;  // by kid
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
    try {
      impl_->keys.emplace(std::string(*kid), crypto::Es256PublicKey::from_coordinates(*xb, *yb));
    } catch (const crypto::CryptoError& error) {
      throw std::runtime_error(std::string("JWKS: ") + error.what());
    }
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
  if (!key->second.verify(token.substr(0, second), *signature)) {
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
