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

}  // namespace oncegate::crypto
