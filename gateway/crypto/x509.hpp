#pragma once
// X.509 certificates, read once here: PEM to an owned certificate, its SHA-256 fingerprint, its
// validity as Unix time, its public key (SPKI, base64). OpenSSL's X509 type is part of this
// interface for the modules that go on to use it (trust chains, xmlsec keys, TLS peers).
// Thread-safe: free functions; a certificate object is used by one thread at a time.

#include <ctime>
#include <memory>
#include <string>
#include <string_view>

#include "gateway/crypto/crypto.hpp"  // CryptoError

#include <openssl/asn1.h>
#include <openssl/x509.h>

namespace oncegate::crypto {

struct X509Free {
  void operator()(X509* certificate) const noexcept { X509_free(certificate); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

// The first certificate in `pem`. Throws CryptoError "not a PEM certificate".
[[nodiscard]] X509Ptr read_pem_certificate(std::string_view pem);
// SHA-256 of the DER form, lower-case hex (how certificates are registered and compared).
[[nodiscard]] std::string certificate_fingerprint(X509* certificate);
// Throws CryptoError for a time OpenSSL cannot read.
[[nodiscard]] std::time_t to_unix_time(const ASN1_TIME* time);
// What a certificate says of itself.
struct CertificateFacts {
  std::string fingerprint;  // certificate_fingerprint()
  std::string subject;      // one-line distinguished name
  std::time_t not_before = 0;
  std::time_t not_after = 0;
};
[[nodiscard]] CertificateFacts describe(X509* certificate);

// CA certificates that others must chain to. Validity times are not checked here (a registered
// certificate may expire and is then refused per use, with the reason). Immutable; thread-safe.
class CaBundle {
 public:
  // Every certificate in the PEM bundle. Throws CryptoError when it holds none.
  [[nodiscard]] static CaBundle from_pem(std::string_view bundle_pem);
  // Empty when `certificate` chains to the bundle, else OpenSSL's reason.
  [[nodiscard]] std::string chain_problem(X509* certificate) const;

 private:
  std::shared_ptr<X509_STORE> store_;
};

// Empty when `private_key_pem` is a readable private key whose public half is the certificate's;
// else what is wrong ("not a PEM private key", "the key does not belong to the certificate").
[[nodiscard]] std::string key_pair_problem(std::string_view private_key_pem, X509* certificate);

// The certificate's public key as DER SubjectPublicKeyInfo, base64 (what WebCrypto imports).
[[nodiscard]] std::string public_key_spki_base64(std::string_view certificate_pem);

}  // namespace oncegate::crypto
