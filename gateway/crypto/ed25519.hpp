#pragma once
// Ed25519 (RFC 8032): the transparency log's checkpoint key and the witnesses' cosigning keys.
// Raw 32-byte public keys and 64-byte signatures, as signed notes carry them.
//
// Thread safety: Ed25519Key is immutable after construction; sign() may run concurrently.

#include <memory>
#include <string>
#include <string_view>

namespace oncegate::crypto {

class Ed25519Key {
 public:
  // A new random key.
  [[nodiscard]] static Ed25519Key generate();
  // From a PKCS#8 PEM private key. Throws std::runtime_error (not Ed25519, unreadable).
  [[nodiscard]] static Ed25519Key from_pem(std::string_view private_key_pem);
  ~Ed25519Key();
  Ed25519Key(Ed25519Key&&) noexcept;
  Ed25519Key& operator=(Ed25519Key&&) noexcept;

  [[nodiscard]] std::string private_pem() const;  // PKCS#8, unencrypted
  [[nodiscard]] const std::string& public_key() const noexcept { return public_key_; }  // 32 bytes
  [[nodiscard]] std::string sign(std::string_view message) const;                          // 64 bytes

 private:
  struct Impl;
  explicit Ed25519Key(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  std::string public_key_;
};

// False for a wrong length, a bad signature or a malformed key; never throws.
[[nodiscard]] bool ed25519_verify(std::string_view public_key, std::string_view message,
                                  std::string_view signature) noexcept;

}  // namespace oncegate::crypto
