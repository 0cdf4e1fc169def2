#include "gateway/trust/demo_pki.hpp"
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

namespace oncegate::trust {

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


const std::vector<DemoAuthority>& demo_authorities() {
  static const std::vector<DemoAuthority> authorities{
      {"psw:01003110", "Bürgeramt Hannover (Demo)"},
      {"psw:02004220", "Elterngeldstelle Bremen (Demo)"},
      {"psw:03005330", "Studierendenwerk Göttingen (Demo)"},
  };
  return authorities;
}

namespace {
std::string file_stem(std::string kennung) {
  for (char& c : kennung) {
    if (c == ':' || c == '/') c = '-';
  }
  return kennung;
}
}  // namespace

std::filesystem::path authority_certificate_file(const std::filesystem::path& demo_directory, const std::string& kennung) {
  return demo_directory / "authorities" / (file_stem(kennung) + ".pem");
}

std::filesystem::path authority_key_file(const std::filesystem::path& demo_directory, const std::string& kennung) {
  return demo_directory / "authorities" / (file_stem(kennung) + ".key");
}

DemoPkiFiles ensure_demo_pki(const std::filesystem::path& directory) {
  DemoPkiFiles files{directory / "ca.pem", directory / "server.pem", directory / "server.key",
                     directory / "gateway-signing.pem", directory / "gateway-signing.key"};
  const auto ca_key_file = directory / "ca.key";
  KeyAndCertificate ca;
  if (std::filesystem::exists(ca_key_file) && std::filesystem::exists(files.ca_certificate)) {
    ca = {common::read_file(ca_key_file, "demo CA key"), common::read_file(files.ca_certificate, "demo CA certificate")};
  } else {
    CertificateRequest ca_request;
    ca_request.common_name = "oncegate Demo CA";
    ca_request.role = CertificateRole::ca;
    ca_request.lifetime = std::chrono::hours(24 * 365 * 5);
    ca = issue_certificate(ca_request, nullptr);
    common::write_file_atomically(ca_key_file, ca.private_key_pem, true);
    common::write_file_atomically(files.ca_certificate, ca.certificate_pem, false);
  }
  const auto issue_if_missing = [&](const std::filesystem::path& cert_file, const std::filesystem::path& key_file,
                                    const CertificateRequest& request, bool append_ca) {
    if (std::filesystem::exists(cert_file) && std::filesystem::exists(key_file)) return;
    const auto issued = issue_certificate(request, &ca);
    common::write_file_atomically(key_file, issued.private_key_pem, true);
    common::write_file_atomically(cert_file, issued.certificate_pem + (append_ca ? ca.certificate_pem : ""), false);
  };

  CertificateRequest server;
  server.common_name = "localhost";
  server.role = CertificateRole::tls_server;
  server.dns_names = {"localhost"};
  server.ip_addresses = {"127.0.0.1", "::1"};
  issue_if_missing(files.server_certificate, files.server_key, server, true);

  CertificateRequest signing;
  signing.common_name = "oncegate Vermittlungsstelle (Demo) answer signing";
  signing.role = CertificateRole::signing;
  issue_if_missing(files.signing_certificate, files.signing_key, signing, false);

  for (const auto& authority : demo_authorities()) {
    CertificateRequest client;
    client.common_name = authority.kennung;
    client.organization = authority.name;
    client.role = CertificateRole::tls_client;
    issue_if_missing(authority_certificate_file(directory, authority.kennung),
                     authority_key_file(directory, authority.kennung), client, false);
  }
  return files;
}

}  // namespace oncegate::trust
