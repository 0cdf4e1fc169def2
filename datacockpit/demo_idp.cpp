#include "datacockpit/demo_idp.hpp"
#include "gateway/common/bytes.hpp"
#include "gateway/common/files.hpp"
#include "gateway/crypto/es256.hpp"


#include <fstream>
#include <stdexcept>

#include <boost/json.hpp>

#include "datacockpit/id_token.hpp"

namespace oncegate::datacockpit {

namespace json = boost::json;

DemoIdpFiles ensure_demo_idp(const std::filesystem::path& demo_directory) {
  DemoIdpFiles files{demo_directory / "idp.key", demo_directory / "idp-jwks.json"};
  if (std::filesystem::exists(files.private_key) && std::filesystem::exists(files.jwks)) return files;
  const auto generated = crypto::Es256PrivateKey::generate();
  const std::string& private_pem = generated.private_key_pem;
  json::object jwk;
  jwk["kty"] = "EC";
  jwk["crv"] = "P-256";
  jwk["alg"] = "ES256";
  jwk["use"] = "sig";
  jwk["kid"] = kDemoIdpKeyId;
  jwk["x"] = common::base64url_encode(generated.x);
  jwk["y"] = common::base64url_encode(generated.y);
  json::object jwks;
  jwks["keys"] = json::array{jwk};
  common::write_file_atomically(files.private_key, private_pem, true);
  common::write_file_atomically(files.jwks, json::serialize(jwks) + "\n", false);
  return files;
}

struct DemoIdp::Impl {
  crypto::Es256PrivateKey key;
  std::string issuer;
  std::string audience;
};

DemoIdp::DemoIdp(const std::string& private_key_pem, std::string issuer, std::string audience)
    : impl_(std::make_unique<Impl>(Impl{[&] {
        try {
          return crypto::Es256PrivateKey::from_pem(private_key_pem);
        } catch (const crypto::CryptoError&) {
          throw std::runtime_error("demo IdP: cannot read the key");
        }
      }(), std::move(issuer), std::move(audience)})) {}

DemoIdp::~DemoIdp() = default;

std::string DemoIdp::issue(const std::string& idnr, const std::string& subject, const std::string& acr,
                           std::chrono::seconds lifetime, std::chrono::system_clock::time_point now) const {
  const std::int64_t t = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  json::object header{{"alg", "ES256"}, {"typ", "JWT"}, {"kid", kDemoIdpKeyId}};
  json::object claims{{"iss", impl_->issuer}, {"aud", impl_->audience}, {"sub", subject}, {"idnr", idnr},
                      {"acr", acr}, {"iat", t}, {"nbf", t}, {"exp", t + lifetime.count()}};
  const std::string input = common::base64url_encode(json::serialize(header)) + "." + common::base64url_encode(json::serialize(claims));
  return input + "." + common::base64url_encode(impl_->key.sign(input));
}

}  // namespace oncegate::datacockpit
