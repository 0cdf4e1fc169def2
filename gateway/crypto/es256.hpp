#pragma once
// ES256 as JWS uses it (RFC 7518 3.4): ECDSA P-256 with SHA-256, signatures as r || s, 64 bytes.
// For ID tokens (verify) and the demo identity provider (sign). Immutable once made; thread-safe.

#include <memory>
#include <string>
#include <string_view>

#include "gateway/crypto/crypto.hpp"  // CryptoError

namespace oncegate::crypto {

class Es256PublicKey {
 public:
  // From the JWK coordinates x and y (32 bytes each). Throws CryptoError.
  [[nodiscard]] static Es256PublicKey from_coordinates(std::string_view x, std::string_view y);
  // The P-256 key of a certificate. Throws CryptoError for anything else.
  [[nodiscard]] static Es256PublicKey from_certificate_pem(std::string_view certificate_pem);
  [[nodiscard]] bool verify(std::string_view signing_input, std::string_view raw_signature) const;

 private:
  struct Key;
  std::shared_ptr<const Key> key_;
};

class Es256PrivateKey {
 public:
  // A new P-256 key: its PKCS#8 PEM and its public coordinates x, y (32 bytes each).
  struct Generated {
    std::string private_key_pem;
    std::string x;
    std::string y;
  };
  [[nodiscard]] static Generated generate();
  // Throws CryptoError for anything but a readable EC private key.
  [[nodiscard]] static Es256PrivateKey from_pem(std::string_view private_key_pem);
  // r || s over `signing_input`.
  [[nodiscard]] std::string sign(std::string_view signing_input) const;

 private:
  struct Key;
  std::shared_ptr<const Key> key_;
};

// A detached JWS with unencoded payload (RFC 7515 appendix F, RFC 7797 "b64": false):
// BASE64URL(header) ".." BASE64URL(signature over BASE64URL(header) "." payload). The header is
// {"alg":"ES256","b64":false,"crit":["b64"],"x5t#S256":<certificate_sha256>} with the SHA-256 of
// the signing certificate's DER form (base64url), so a verifier can pick the published
// certificate.
[[nodiscard]] std::string detached_jws(const Es256PrivateKey& key, std::string_view certificate_sha256,
                                       std::string_view payload);
// True when `jws` is such a signature over `payload` by `key`.
[[nodiscard]] bool verify_detached_jws(const Es256PublicKey& key, std::string_view jws, std::string_view payload);

}  // namespace oncegate::crypto
