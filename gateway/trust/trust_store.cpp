#include "gateway/trust/trust_store.hpp"
#include "gateway/crypto/x509.hpp"
#include "gateway/common/bytes.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

namespace oncegate::trust {

namespace {

using crypto::X509Ptr;

// The crypto module's readers, with this module's error type.
X509Ptr read_certificate(std::string_view pem) {
  try {
    return crypto::read_pem_certificate(pem);
  } catch (const crypto::CryptoError& error) {
    throw TrustError(error.what());
  }
}

std::string fingerprint(X509* cert) { return crypto::certificate_fingerprint(cert); }

std::time_t to_time(const ASN1_TIME* time) {
  try {
    return crypto::to_unix_time(time);
  } catch (const crypto::CryptoError&) {
    throw TrustError("unreadable certificate validity");
  }
}

std::string subject_of(X509* cert) {
  char buffer[512];
  X509_NAME_oneline(X509_get_subject_name(cert), buffer, sizeof buffer);
  return buffer;
}

}  // namespace

RegisteredCertificate describe_certificate(std::string_view pem) {
  const X509Ptr cert = read_certificate(pem);
  return RegisteredCertificate{fingerprint(cert.get()), std::string(pem), subject_of(cert.get()),
                               to_time(X509_get0_notBefore(cert.get())), to_time(X509_get0_notAfter(cert.get()))};
}

std::shared_ptr<const TrustStore> TrustStore::build(const std::string& ca_bundle_pem,
                                                    const std::vector<AuthorityInput>& authorities) {
  std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(X509_STORE_new(), X509_STORE_free);
  if (!store) throw TrustError("out of memory");
  {
    BIO* bio = BIO_new_mem_buf(ca_bundle_pem.data(), static_cast<int>(ca_bundle_pem.size()));
    int count = 0;
    while (X509* ca = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
      X509_STORE_add_cert(store.get(), ca);
      X509_free(ca);
      ++count;
    }
    BIO_free(bio);
    if (count == 0) throw TrustError("the CA bundle holds no certificate");
  }
  auto trust = std::make_shared<TrustStore>();
  for (const auto& input : authorities) {
    if (input.kennung.empty()) throw TrustError("an authority without kennung");
    if (trust->by_kennung_.contains(input.kennung)) throw TrustError("authority " + input.kennung + " registered twice");
    if (input.certificate_pems.empty()) throw TrustError("authority " + input.kennung + " has no certificate");
    Authority authority{input.kennung, input.name.empty() ? input.kennung : input.name, {}};
    for (const auto& pem : input.certificate_pems) {
      X509Ptr cert = read_certificate(pem);
      std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> ctx(X509_STORE_CTX_new(), X509_STORE_CTX_free);
      X509_STORE_CTX_init(ctx.get(), store.get(), cert.get(), nullptr);
      X509_STORE_CTX_set_flags(ctx.get(), X509_V_FLAG_NO_CHECK_TIME);
      if (X509_verify_cert(ctx.get()) != 1) {
        throw TrustError("certificate of " + input.kennung + " (" + subject_of(cert.get()) +
                         ") does not chain to the CA: " +
                         X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get())));
      }
      RegisteredCertificate registered{fingerprint(cert.get()), pem, subject_of(cert.get()),
                                       to_time(X509_get0_notBefore(cert.get())), to_time(X509_get0_notAfter(cert.get()))};
      if (trust->by_fingerprint_.contains(registered.fingerprint)) {
        throw TrustError("certificate " + registered.subject + " is registered twice");
      }
      trust->by_fingerprint_[registered.fingerprint] = trust->authorities_.size();
      authority.certificates.push_back(std::move(registered));
    }
    trust->by_kennung_[authority.kennung] = trust->authorities_.size();
    trust->authorities_.push_back(std::move(authority));
  }
  return trust;
}

const Authority* TrustStore::by_certificate(std::string_view fingerprint) const noexcept {
  auto it = by_fingerprint_.find(std::string(fingerprint));
  return it == by_fingerprint_.end() ? nullptr : &authorities_[it->second];
}

const Authority* TrustStore::by_kennung(std::string_view kennung) const noexcept {
  auto it = by_kennung_.find(std::string(kennung));
  return it == by_kennung_.end() ? nullptr : &authorities_[it->second];
}

}  // namespace oncegate::trust
