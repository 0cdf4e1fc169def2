#pragma once
// XML signatures of the message family (XMLDSig, enveloped, exclusive C14N, SHA-256 or better,
// ECDSA P-256/P-384 or RSA >= 2048). The only code besides codec.cpp that touches libxml2, and
// the only code in the project that includes xmlsec.
//
// Keys are loaded once (at start or reload) and shared read-only by all threads; per message only
// a signature context is created. Thread safety: XmlSigningKey and XmlVerificationKeys are
// immutable after construction and safe to use concurrently.

#include <ctime>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "gateway/message/codec.hpp"

namespace oncegate::message {

// Algorithm URIs as in the XMLDSig specifications; the defaults are what oncegate signs with.
struct SigningOptions {
  // Empty: ecdsa-sha256 for EC keys, rsa-sha256 for RSA keys.
  std::string signature_method;
  std::string digest_method = "http://www.w3.org/2001/04/xmlenc#sha256";
  // Put the signing certificate into ds:KeyInfo/ds:X509Data (it names the key). Default true.
  bool include_certificate = true;
};

class XmlSigningKey {
 public:
  // PEM private key and its PEM certificate. Throws MessageError for unreadable or weak keys.
  [[nodiscard]] static std::shared_ptr<const XmlSigningKey> load(std::string_view private_key_pem,
                                                                 std::string_view certificate_pem);
  ~XmlSigningKey();
  XmlSigningKey(const XmlSigningKey&) = delete;
  XmlSigningKey& operator=(const XmlSigningKey&) = delete;

  // Adds an enveloped signature as the last child of the root element of `xml` and returns the
  // signed document. Throws MessageError.
  [[nodiscard]] std::string sign(std::string_view xml, const SigningOptions& options = {}) const;

  // Signs a message produced by MessageCodec's writers (answers, error answers) without parsing
  // it: their bytes after the XML declaration are already in exclusive-C14N form, so the
  // reference digest is taken over them directly and SignedInfo is written canonically. Same
  // algorithms and layout as sign(); verifies with any XMLDSig implementation. Throws
  // MessageError for input that does not look like the writers' output.
  [[nodiscard]] std::string sign_own_document(std::string_view xml) const;

  // SHA-256 of the certificate (DER), lower-case hex.
  [[nodiscard]] const std::string& certificate_fingerprint() const noexcept;

 private:
  struct Impl;
  explicit XmlSigningKey(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Public keys of trusted signers, by certificate fingerprint.
class XmlVerificationKeys {
 public:
  XmlVerificationKeys();
  ~XmlVerificationKeys();
  XmlVerificationKeys(XmlVerificationKeys&&) noexcept;
  XmlVerificationKeys& operator=(XmlVerificationKeys&&) noexcept;

  // Adds a certificate (PEM); returns its fingerprint. Throws MessageError for unreadable
  // certificates and weak keys (RSA < 2048 bits, EC curves other than P-256/P-384).
  std::string add(std::string_view certificate_pem);
  [[nodiscard]] bool contains(std::string_view fingerprint) const;
  [[nodiscard]] std::size_t size() const noexcept;

 private:
  friend struct SignatureVerifier;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct SignatureVerdict {
  bool valid = false;
  std::string problem;                  // why not, for the requester
  std::string certificate_fingerprint;  // the signer's certificate, when it could be identified
};

// Verifies that `document` carries exactly one enveloped signature, as the last child of its root,
// over the whole document (Reference URI=""), with allowed algorithms only, made with the key of a
// certificate in `keys` (named by ds:KeyInfo/ds:X509Data/ds:X509Certificate) that is valid at `now`.
[[nodiscard]] SignatureVerdict verify_enveloped_signature(const ParsedDocument& document,
                                                          const XmlVerificationKeys& keys,
                                                          std::time_t now);
// The same for a serialised document (clients verifying answers).
[[nodiscard]] SignatureVerdict verify_enveloped_signature(std::string_view xml,
                                                          const XmlVerificationKeys& keys,
                                                          std::time_t now);

}  // namespace oncegate::message
