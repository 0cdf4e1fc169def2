#pragma once
// Hashes, MACs and randomness, written once (OpenSSL's libcrypto underneath). Thread-safe.

#include <cstddef>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>

namespace oncegate::crypto {

class CryptoError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Raw 32-byte SHA-256.
[[nodiscard]] std::string sha256(std::string_view data);
// Raw SHA-256 of the parts one after the other (no copy into one buffer; Merkle tree nodes).
[[nodiscard]] std::string sha256(std::initializer_list<std::string_view> parts);
// Lower-case hex of SHA-256 (certificate fingerprints, API-key hashes).
[[nodiscard]] std::string sha256_hex(std::string_view data);
// Base64 of SHA-256 (message digests, bezug/anfrageDigest).
[[nodiscard]] std::string sha256_base64(std::string_view data);
// Raw HMAC-SHA-256.
[[nodiscard]] std::string hmac_sha256(std::string_view key, std::string_view data);

// Equal contents, compared in time that depends on the length only (secrets, API-key hashes).
[[nodiscard]] bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

// Bytes from the operating system's CSPRNG. Throws CryptoError when none can be had.
[[nodiscard]] std::string random_bytes(std::size_t count);
// Lower-case hex of `count` random bytes (session ids, secrets).
[[nodiscard]] std::string random_hex(std::size_t count);
// A fresh random (version 4) UUID, lower case.
[[nodiscard]] std::string new_uuid();

}  // namespace oncegate::crypto
