#pragma once
// RS256 as JWS uses it (RFC 7518 3.3): RSASSA-PKCS1-v1_5 with SHA-256. For ID tokens from identity
// providers that sign with RSA (verify), and for the tests that play such a provider (sign).
// Keys below 2048 bits are refused. Immutable once made; thread-safe.

#include <memory>
#include <string>
#include <string_view>

#include "gateway/crypto/crypto.hpp"  // CryptoError

namespace oncegate::crypto {

class Rs256PublicKey {
 public:
  // From the JWK members n (modulus) and e (exponent), big-endian bytes. Throws CryptoError.
  [[nodiscard]] static Rs256PublicKey from_modulus_exponent(std::string_view n, std::string_view e);
  [[nodiscard]] bool verify(std::string_view signing_input, std::string_view signature) const;

 private:
  struct Key;
  std::shared_ptr<const Key> key_;
};

class Rs256PrivateKey {
 public:
  struct Generated {
    std::string private_key_pem;  // PKCS#8
    std::string n;                // modulus, big-endian
    std::string e;                // public exponent, big-endian
  };
  // A new RSA key of `bits` (at least 2048).
  [[nodiscard]] static Generated generate(int bits = 2048);
  // Throws CryptoError for anything but a readable RSA private key of at least 2048 bits.
  [[nodiscard]] static Rs256PrivateKey from_pem(std::string_view private_key_pem);
  [[nodiscard]] std::string sign(std::string_view signing_input) const;

 private:
  struct Key;
  std::shared_ptr<const Key> key_;
};

}  // namespace oncegate::crypto
