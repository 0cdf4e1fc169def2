#include "gateway/crypto/certificates.hpp"
#include "gateway/common/files.hpp"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <memory>

namespace oncegate::crypto {

namespace {

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const noexcept { Free(p); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using CertPtr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;

void check(bool ok, const char* what) {
  if (!ok) throw PkiError(std::string("certificate generation failed: ") + what);
}

std::string bio_string(BIO* bio) {
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio, &data);
  return length > 0 ? std::string(data, static_cast<std::size_t>(length)) : std::string{};
}

KeyPtr read_key(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  check(bio != nullptr, "BIO");
  KeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  check(key != nullptr, "read issuer key");
  return key;
}

CertPtr read_certificate(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  check(bio != nullptr, "BIO");
  CertPtr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  check(cert != nullptr, "read issuer certificate");
  return cert;
}

void add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  check(extension != nullptr, "extension");
  X509_add_ext(cert, extension, -1);
  X509_EXTENSION_free(extension);
}

}  // namespace

KeyAndCertificate issue_certificate(const CertificateRequest& request, const KeyAndCertificate* issuer) {
  KeyPtr key(EVP_EC_gen("P-256"));
  check(key != nullptr, "key");

  CertPtr cert(X509_new());
  check(cert != nullptr, "X509_new");
  X509_set_version(cert.get(), 2);
  unsigned char serial_bytes[16];
  check(RAND_bytes(serial_bytes, sizeof serial_bytes) == 1, "serial");
  serial_bytes[0] &= 0x7F;  // positive
  BIGNUM* serial = BN_bin2bn(serial_bytes, sizeof serial_bytes, nullptr);
  check(serial != nullptr, "serial");
  BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(cert.get()));
  BN_free(serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), static_cast<long>(request.not_before_offset.count()));
  X509_gmtime_adj(X509_getm_notAfter(cert.get()),
                  static_cast<long>((request.not_before_offset + request.lifetime).count()));
  X509_set_pubkey(cert.get(), key.get());

  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(request.organization.c_str()), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(request.common_name.c_str()), -1, -1, 0);

  KeyPtr issuer_key;
  CertPtr issuer_cert;
  X509* signer_cert = cert.get();
  EVP_PKEY* signer_key = key.get();
  if (issuer != nullptr) {
    issuer_key = read_key(issuer->private_key_pem);
    issuer_cert = read_certificate(issuer->certificate_pem);
    signer_cert = issuer_cert.get();
    signer_key = issuer_key.get();
  }
  X509_set_issuer_name(cert.get(), X509_get_subject_name(signer_cert));

  add_extension(cert.get(), signer_cert, NID_subject_key_identifier, "hash");
  if (issuer != nullptr) add_extension(cert.get(), signer_cert, NID_authority_key_identifier, "keyid:always");
  switch (request.role) {
    case CertificateRole::ca:
      add_extension(cert.get(), signer_cert, NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
      add_extension(cert.get(), signer_cert, NID_key_usage, "critical,keyCertSign,cRLSign");
      break;
    case CertificateRole::tls_server:
      add_extension(cert.get(), signer_cert, NID_basic_constraints, "critical,CA:FALSE");
      add_extension(cert.get(), signer_cert, NID_key_usage, "critical,digitalSignature");
      add_extension(cert.get(), signer_cert, NID_ext_key_usage, "serverAuth");
      break;
    case CertificateRole::tls_client:
      // An authority's certificate serves both its TLS client authentication and its XML
      // signatures (nonRepudiation / contentCommitment).
      add_extension(cert.get(), signer_cert, NID_basic_constraints, "critical,CA:FALSE");
      add_extension(cert.get(), signer_cert, NID_key_usage, "critical,digitalSignature,nonRepudiation");
      add_extension(cert.get(), signer_cert, NID_ext_key_usage, "clientAuth");
      break;
    case CertificateRole::signing:
      add_extension(cert.get(), signer_cert, NID_basic_constraints, "critical,CA:FALSE");
      add_extension(cert.get(), signer_cert, NID_key_usage, "critical,digitalSignature,nonRepudiation");
      break;
  }
  std::string alt_names;
  for (const auto& dns : request.dns_names) alt_names += (alt_names.empty() ? "DNS:" : ",DNS:") + dns;
  for (const auto& ip : request.ip_addresses) alt_names += (alt_names.empty() ? "IP:" : ",IP:") + ip;
  if (!alt_names.empty()) add_extension(cert.get(), signer_cert, NID_subject_alt_name, alt_names);

  check(X509_sign(cert.get(), signer_key, EVP_sha256()) > 0, "sign");

  KeyAndCertificate out;
  BioPtr key_bio(BIO_new(BIO_s_mem()));
  check(PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1, "write key");
  out.private_key_pem = bio_string(key_bio.get());
  BioPtr cert_bio(BIO_new(BIO_s_mem()));
  check(PEM_write_bio_X509(cert_bio.get(), cert.get()) == 1, "write certificate");
  out.certificate_pem = bio_string(cert_bio.get());
  return out;
}


}  // namespace oncegate::crypto
