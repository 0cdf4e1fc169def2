#include "datacockpit/id_token.hpp"
#include "gateway/common/bytes.hpp"
#include "gateway/crypto/crypto.hpp"
#include "gateway/crypto/es256.hpp"
#include "gateway/crypto/rs256.hpp"
#include "gateway/routing/idnr.hpp"

#include <variant>

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
  if (v->is_double() && v->as_double() > 0 && v->as_double() < 1e15) return static_cast<std::int64_t>(v->as_double());
  return std::nullopt;
}

using PublicKey = std::variant<crypto::Es256PublicKey, crypto::Rs256PublicKey>;

std::optional<PublicKey> key_from_jwk(const json::object& k) {
  const auto* kty = string_claim(k, "kty");
  const auto* use = string_claim(k, "use");
  const auto* alg = string_claim(k, "alg");
  if (kty == nullptr || (use != nullptr && *use != "sig")) return std::nullopt;
  const auto member = [&](const char* name) -> std::optional<std::string> {
    const auto* v = string_claim(k, name);
    if (v == nullptr) return std::nullopt;
    return base64url_decode(*v);
  };
  try {
    if (*kty == "EC") {
      const auto* crv = string_claim(k, "crv");
      if (crv == nullptr || *crv != "P-256" || (alg != nullptr && *alg != "ES256")) return std::nullopt;
      const auto x = member("x");
      const auto y = member("y");
      if (!x || !y) return std::nullopt;
      return crypto::Es256PublicKey::from_coordinates(*x, *y);
    }
    if (*kty == "RSA") {
      if (alg != nullptr && *alg != "RS256") return std::nullopt;
      const auto n = member("n");
      const auto e = member("e");
      if (!n || !e) return std::nullopt;
      return crypto::Rs256PublicKey::from_modulus_exponent(*n, *e);
    }
  } catch (const crypto::CryptoError&) {
    return std::nullopt;  // a key this verifier cannot use (e.g. RSA below 2048 bits)
  }
  return std::nullopt;
}

}  // namespace

struct IdTokenVerifier::Impl {
  IdTokenPolicy policy;
  std::map<std::string, PublicKey, std::less<>> keys;  // by kid
};

IdTokenVerifier::IdTokenVerifier(IdTokenPolicy policy, std::string_view jwks_json) : impl_(std::make_unique<Impl>()) {
  impl_->policy = std::move(policy);
  auto jwks = parse_object(jwks_json);
  const auto* keys = jwks ? jwks->if_contains("keys") : nullptr;
  if (keys == nullptr || !keys->is_array()) throw std::runtime_error("JWKS: no \"keys\" array");
  for (const auto& entry : keys->as_array()) {
    if (!entry.is_object()) continue;
    const auto* kid = string_claim(entry.as_object(), "kid");
    if (kid == nullptr || kid->empty()) continue;
    if (auto key = key_from_jwk(entry.as_object())) impl_->keys.emplace(std::string(*kid), std::move(*key));
  }
  if (impl_->keys.empty()) throw std::runtime_error("JWKS: no usable signing key (EC P-256 or RSA >= 2048 bits with a kid)");
}

IdTokenVerifier::~IdTokenVerifier() = default;

const IdTokenPolicy& IdTokenVerifier::policy() const noexcept { return impl_->policy; }
std::size_t IdTokenVerifier::key_count() const noexcept { return impl_->keys.size(); }

TokenVerdict IdTokenVerifier::verify(std::string_view token, std::chrono::system_clock::time_point now,
                                     std::string_view expected_nonce) const {
  const auto& policy = impl_->policy;
  const auto refuse = [](std::string reason) { return TokenVerdict{std::nullopt, std::move(reason), false, false}; };
  if (token.size() > 16384) return refuse("the token is too long");
  const auto first = token.find('.');
  const auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (first == std::string_view::npos || second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return refuse("the token is not a JWS compact serialisation");
  }
  const auto header_json = base64url_decode(token.substr(0, first));
  const auto payload_json = base64url_decode(token.substr(first + 1, second - first - 1));
  const auto signature = base64url_decode(token.substr(second + 1));
  if (!header_json || !payload_json || !signature) return refuse("the token is not base64url");
  const auto header = parse_object(*header_json);
  const auto claims = parse_object(*payload_json);
  if (!header || !claims) return refuse("the token's header or claims are not JSON objects");
  if (header->contains("crit")) return refuse("the token names critical extensions");
  const auto* alg = string_claim(*header, "alg");
  if (alg == nullptr || (*alg != "ES256" && *alg != "RS256")) return refuse("only ES256 and RS256 tokens are accepted");
  const auto* kid = string_claim(*header, "kid");
  const auto key = kid != nullptr ? impl_->keys.find(std::string_view(*kid)) : impl_->keys.end();
  if (key == impl_->keys.end()) return TokenVerdict{std::nullopt, "the token is signed with an unknown key", true, false};
  const std::string_view signing_input = token.substr(0, second);
  // The algorithm comes from the key, not from the token: a header cannot switch it.
  const bool signature_ok = std::visit(
      [&](const auto& k) {
        using Key = std::decay_t<decltype(k)>;
        const bool matches = std::is_same_v<Key, crypto::Es256PublicKey> ? *alg == "ES256" : *alg == "RS256";
        return matches && k.verify(signing_input, *signature);
      },
      key->second);
  if (!signature_ok) return refuse("the token's signature does not verify");
  const auto* iss = string_claim(*claims, "iss");
  if (iss == nullptr || *iss != policy.issuer) return refuse("the token comes from another issuer");
  bool audience_ok = false;
  std::size_t audiences = 0;
  if (const auto* aud = claims->if_contains("aud")) {
    if (aud->is_string()) {
      audiences = 1;
      audience_ok = aud->as_string() == policy.client_id;
    }
    if (aud->is_array()) {
      for (const auto& a : aud->as_array()) {
        ++audiences;
        audience_ok = audience_ok || (a.is_string() && a.as_string() == policy.client_id);
      }
    }
  }
  if (!audience_ok) return refuse("the token is meant for another audience");
  const auto* azp = string_claim(*claims, "azp");
  if ((audiences > 1 || azp != nullptr) && (azp == nullptr || *azp != policy.client_id)) {
    return refuse("the token's authorised party is another client");
  }
  const std::int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  const std::int64_t skew = policy.clock_skew.count();
  const auto exp = time_claim(*claims, "exp");
  if (!exp) return refuse("the token has no expiry");
  if (now_s > *exp + skew) return refuse("the token has expired");
  if (const auto nbf = time_claim(*claims, "nbf"); nbf && now_s + skew < *nbf) return refuse("the token is not valid yet");
  const auto iat = time_claim(*claims, "iat");
  if (!iat) return refuse("the token has no issue time");
  if (now_s + skew < *iat) return refuse("the token was issued in the future");
  const auto* nonce = string_claim(*claims, "nonce");
  if (!expected_nonce.empty() &&
      (nonce == nullptr || !crypto::constant_time_equal(std::string_view(*nonce), expected_nonce))) {
    return refuse("the token's nonce is not the one of this sign-in");
  }
  const auto* acr = string_claim(*claims, "acr");
  bool acr_ok = false;
  for (const auto& accepted : policy.accepted_acr) acr_ok = acr_ok || (acr != nullptr && *acr == accepted);
  if (!acr_ok) {
    std::string names;
    for (const auto& accepted : policy.accepted_acr) names += (names.empty() ? "\"" : ", \"") + accepted + "\"";
    return TokenVerdict{std::nullopt, "the identification's assurance level is not " + names, false, true};
  }
  const auto* sub = string_claim(*claims, "sub");
  if (sub == nullptr || sub->empty()) return refuse("the token has no subject");
  std::string idnr;
  if (!policy.idnr_claim.empty()) {
    if (const auto* claim = string_claim(*claims, policy.idnr_claim)) idnr = std::string(*claim);
  } else if (const auto mapped = policy.subject_to_idnr.find(std::string(*sub)); mapped != policy.subject_to_idnr.end()) {
    idnr = mapped->second;
  }
  if (idnr.empty()) return refuse("the token carries no IDNr");
  if (!routing::is_valid_idnr(idnr)) return refuse("the token's IDNr is not a valid identification number");
  return {VerifiedCitizen{std::move(idnr), std::string(*sub), *exp}, {}, false, false};
}

std::map<std::string, std::string> parse_idnr_mapping(std::string_view json_text) {
  const auto document = parse_object(json_text);
  if (!document) throw std::runtime_error("idnr_mapping: not a JSON object");
  std::map<std::string, std::string> out;
  for (const auto& [subject, value] : *document) {
    if (!value.is_string() || !routing::is_valid_idnr(value.as_string())) {
      throw std::runtime_error("idnr_mapping: the value for subject '" + std::string(subject).substr(0, 64) +
                               "' is not a valid IDNr");
    }
    out.emplace(std::string(subject), std::string(value.as_string()));
  }
  return out;
}

}  // namespace oncegate::datacockpit
