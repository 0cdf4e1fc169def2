#pragma once
// Plain signatures over bytes (not XML) with the gateway's signing key: signed tree heads of the
// transfer log. ECDSA or RSA with SHA-256; signatures are base64 of the DER/PKCS#1 value.
//
// Thread safety: immutable after construction; sign() and verify() may run concurrently.

#include <memory>
#include <string>
#include <string_view>

namespace oncegate::crypto {

class DataSigner {
 public:
  // Throws std::runtime_error for unreadable keys or a key that does not match the certificate.
  DataSigner(std::string_view private_key_pem, std::string_view certificate_pem);
  ~DataSigner();
  DataSigner(const DataSigner&) = delete;
  DataSigner& operator=(const DataSigner&) = delete;

  [[nodiscard]] std::string sign(std::string_view data) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Verifies with the public key of a certificate.
class DataVerifier {
 public:
  explicit DataVerifier(std::string_view certificate_pem);
  ~DataVerifier();
  DataVerifier(const DataVerifier&) = delete;
  DataVerifier& operator=(const DataVerifier&) = delete;

  [[nodiscard]] bool verify(std::string_view data, std::string_view signature_base64) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace oncegate::crypto
