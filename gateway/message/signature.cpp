#include "gateway/message/signature.hpp"
#include "gateway/crypto/x509.hpp"
#include "gateway/common/bytes.hpp"
#include "gateway/crypto/crypto.hpp"

#include <libxml/tree.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <xmlsec/crypto.h>
#include <xmlsec/errors.h>
#include <xmlsec/templates.h>
#include <xmlsec/transforms.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/xmltree.h>

#include <algorithm>
#include <array>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "gateway/message/safe_xml.hpp"

namespace oncegate::message {

namespace {

constexpr std::string_view kDsigNamespace = "http://www.w3.org/2000/09/xmldsig#";

// xmlsec reports errors through a global callback; the last one per thread is kept so a failed
// verification can say why, and nothing is printed.
thread_local std::string last_xmlsec_error;

void remember_xmlsec_error(const char* /*file*/, int /*line*/, const char* /*func*/, const char* /*object*/,
                           const char* subject, int reason, const char* message) {
  const char* reason_text = xmlSecErrorsGetMsg(static_cast<xmlSecSize>(reason));
  last_xmlsec_error = std::string(reason_text != nullptr ? reason_text : "error");
  if (subject != nullptr) last_xmlsec_error += std::string(" (") + subject + ")";
  if (message != nullptr && *message != '\0') last_xmlsec_error += std::string(": ") + message;
}

void init_xmlsec_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    init_libxml_once();
    if (xmlSecInit() < 0) throw MessageError("xmlsec initialisation failed");
    if (xmlSecCheckVersion() != 1) throw MessageError("xmlsec library version mismatch");
    if (xmlSecCryptoAppInit(nullptr) < 0 || xmlSecCryptoInit() < 0) {
      throw MessageError("xmlsec crypto initialisation failed");
    }
    xmlSecErrorsSetCallback(remember_xmlsec_error);
  });
}

struct KeyFree {
  void operator()(xmlSecKey* key) const noexcept { xmlSecKeyDestroy(key); }
};
using KeyPtr = std::unique_ptr<xmlSecKey, KeyFree>;

using crypto::X509Ptr;

// The crypto module's readers, with this module's error type.
X509Ptr read_certificate(std::string_view pem) {
  try {
    return crypto::read_pem_certificate(pem);
  } catch (const crypto::CryptoError& error) {
    throw MessageError(error.what());
  }
}

std::string fingerprint_of(X509* cert) { return crypto::certificate_fingerprint(cert); }

// Refuses keys below the brief's floor: RSA under 2048 bits, EC other than P-256 / P-384.
void require_strong_key(EVP_PKEY* key) {
  if (key == nullptr) throw MessageError("certificate without a public key");
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
      if (EVP_PKEY_get_bits(key) < 2048) throw MessageError("RSA keys need at least 2048 bits");
      return;
    case EVP_PKEY_EC: {
      char group[64] = {};
      std::size_t length = 0;
      if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &length) != 1) {
        throw MessageError("EC key without a named curve");
      }
      const std::string_view name(group, length);
      if (name != "prime256v1" && name != "secp384r1") throw MessageError("EC keys must use P-256 or P-384");
      return;
    }
    default: throw MessageError("only ECDSA and RSA keys are accepted");
  }
}

std::time_t to_time(const ASN1_TIME* time) {
  try {
    return crypto::to_unix_time(time);
  } catch (const crypto::CryptoError&) {
    throw MessageError("certificate with an unreadable validity time");
  }
}

bool is_dsig(const xmlNode* node, std::string_view name) {
  return node != nullptr && node->type == XML_ELEMENT_NODE && node->ns != nullptr &&
         kDsigNamespace == reinterpret_cast<const char*>(node->ns->href) &&
         name == reinterpret_cast<const char*>(node->name);
}

const xmlNode* dsig_child(const xmlNode* parent, std::string_view name) {
  for (const xmlNode* c = parent != nullptr ? parent->children : nullptr; c != nullptr; c = c->next) {
    if (is_dsig(c, name)) return c;
  }
  return nullptr;
}

std::vector<xmlNode*> all_signatures(xmlNode* root) {
  std::vector<xmlNode*> out;
  std::vector<xmlNode*> stack{root};
  while (!stack.empty()) {
    xmlNode* node = stack.back();
    stack.pop_back();
    for (xmlNode* c = node->children; c != nullptr; c = c->next) {
      if (c->type != XML_ELEMENT_NODE) continue;
      if (is_dsig(c, "Signature")) out.push_back(c);
      stack.push_back(c);
    }
  }
  return out;
}

// XML base64 content may be wrapped: white space is dropped first. Empty when not base64.
std::string base64_decode(std::string_view text) {
  std::string clean;
  clean.reserve(text.size());
  for (char c : text) {
    if (c != ' ' && c != '\n' && c != '\r' && c != '\t') clean += c;
  }
  return common::base64_decode(clean).value_or(std::string());
}

std::string attribute(const xmlNode* node, const char* name) {
  xmlChar* value = node != nullptr ? xmlGetProp(node, BAD_CAST name) : nullptr;
  if (value == nullptr) return {};
  std::string out(reinterpret_cast<const char*>(value));
  xmlFree(value);
  return out;
}

std::vector<const xmlNode*> element_children(const xmlNode* parent) {
  std::vector<const xmlNode*> out;
  for (const xmlNode* c = parent != nullptr ? parent->children : nullptr; c != nullptr; c = c->next) {
    if (c->type == XML_ELEMENT_NODE) out.push_back(c);
  }
  return out;
}

std::string local_name(const xmlNode* node) { return reinterpret_cast<const char*>(node->name); }

constexpr std::string_view kExclusiveC14n = "http://www.w3.org/2001/10/xml-exc-c14n#";
constexpr std::string_view kEnveloped = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";

// What a requester who sent another algorithm should be told, in the specification's words.
std::string c14n_advice(std::string_view algorithm) {
  if (algorithm == "http://www.w3.org/TR/2001/REC-xml-c14n-20010315" ||
      algorithm == "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments" ||
      algorithm == "http://www.w3.org/2006/12/xml-c14n11" ||
      algorithm == "http://www.w3.org/2006/12/xml-c14n11#WithComments") {
    return "inclusive C14N (" + std::string(algorithm) +
           ") is not accepted, use exclusive C14N (http://www.w3.org/2001/10/xml-exc-c14n#); in .NET set "
           "SignedInfo.CanonicalizationMethod to SignedXml.XmlDsigExcC14NTransformUrl";
  }
  if (algorithm == "http://www.w3.org/2001/10/xml-exc-c14n#WithComments") {
    return "exclusive C14N with comments is not accepted, use http://www.w3.org/2001/10/xml-exc-c14n#";
  }
  return "'" + std::string(algorithm) + "' is not accepted, use exclusive C14N (http://www.w3.org/2001/10/xml-exc-c14n#)";
}

bool accepted_signature_method(std::string_view algorithm) {
  static constexpr std::array<std::string_view, 6> accepted{
      "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256", "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384",
      "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512", "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
      "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",   "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"};
  return std::find(accepted.begin(), accepted.end(), algorithm) != accepted.end();
}

bool accepted_digest_method(std::string_view algorithm) {
  return algorithm == "http://www.w3.org/2001/04/xmlenc#sha256" ||
         algorithm == "http://www.w3.org/2001/04/xmldsig-more#sha384" ||
         algorithm == "http://www.w3.org/2001/04/xmlenc#sha512";
}

// The signing profile (docs/INTEGRATION.md "The signing profile"), checked element by element
// before xmlsec sees the signature, so that every departure is named in the profile's words and
// never in a library's. Empty when the signature keeps to it.
std::string profile_violation(const xmlNode* signature) {
  const auto parts = element_children(signature);
  if (parts.size() < 2 || !is_dsig(parts[0], "SignedInfo") || !is_dsig(parts[1], "SignatureValue") ||
      (parts.size() == 3 && !is_dsig(parts[2], "KeyInfo")) || parts.size() > 3) {
    return "the signature must hold SignedInfo, SignatureValue and KeyInfo, in this order, and nothing else "
           "(no ds:Object)";
  }
  const auto info = element_children(parts[0]);
  if (info.empty() || !is_dsig(info[0], "CanonicalizationMethod")) {
    return "SignedInfo must begin with CanonicalizationMethod";
  }
  if (const auto c14n = attribute(info[0], "Algorithm"); c14n != kExclusiveC14n) {
    return "SignedInfo's CanonicalizationMethod: " + c14n_advice(c14n);
  }
  if (info.size() < 2 || !is_dsig(info[1], "SignatureMethod")) return "SignedInfo must name its SignatureMethod";
  if (const auto method = attribute(info[1], "Algorithm"); !accepted_signature_method(method)) {
    return "SignatureMethod '" + method +
           "' is not accepted: use ecdsa-sha256/384/512 or rsa-sha256/384/512 "
           "(http://www.w3.org/2001/04/xmldsig-more#...)";
  }
  if (info.size() != 3 || !is_dsig(info[2], "Reference")) {
    return "SignedInfo must hold exactly one Reference (URI=\"\", the whole message)";
  }
  const xmlNode* reference = info[2];
  xmlChar* uri = xmlGetProp(reference, BAD_CAST "URI");
  const bool whole_document = uri != nullptr && uri[0] == '\0';
  xmlFree(uri);
  if (!whole_document) return "the Reference must have URI=\"\" (the whole message), not an id or another document";
  const auto reference_parts = element_children(reference);
  std::size_t next = 0;
  bool enveloped = false;
  if (next < reference_parts.size() && is_dsig(reference_parts[next], "Transforms")) {
    const auto transforms = element_children(reference_parts[next]);
    for (std::size_t i = 0; i < transforms.size(); ++i) {
      const auto algorithm = attribute(transforms[i], "Algorithm");
      if (!is_dsig(transforms[i], "Transform")) return "Transforms may hold only Transform elements";
      if (!element_children(transforms[i]).empty()) {
        return "a Transform must not carry parameters (no XPath, no InclusiveNamespaces)";
      }
      if (algorithm == kEnveloped && i == 0) {
        enveloped = true;
      } else if (algorithm == kExclusiveC14n && i == transforms.size() - 1 && enveloped) {
        // the optional second transform
      } else if (algorithm == kEnveloped || (algorithm == kExclusiveC14n && !enveloped)) {
        return "the enveloped-signature transform (http://www.w3.org/2000/09/xmldsig#enveloped-signature) must "
               "come first";
      } else if (algorithm.find("c14n") != std::string::npos) {
        return "the Reference's transforms: " + c14n_advice(algorithm);
      } else {
        return "the Reference's transform '" + algorithm +
               "' is not accepted: only enveloped-signature, then optionally exclusive C14N";
      }
    }
    ++next;
  }
  if (!enveloped) {
    return "the Reference must name the enveloped-signature transform "
           "(http://www.w3.org/2000/09/xmldsig#enveloped-signature)";
  }
  if (next >= reference_parts.size() || !is_dsig(reference_parts[next], "DigestMethod")) {
    return "the Reference must name its DigestMethod";
  }
  if (const auto digest = attribute(reference_parts[next], "Algorithm"); !accepted_digest_method(digest)) {
    return "DigestMethod '" + digest + "' is not accepted: use SHA-256 (http://www.w3.org/2001/04/xmlenc#sha256), "
           "SHA-384 or SHA-512";
  }
  if (next + 2 != reference_parts.size() || !is_dsig(reference_parts[next + 1], "DigestValue")) {
    return "the Reference must end with one DigestValue";
  }
  if (parts.size() < 3) {
    return "the signature does not name its certificate (KeyInfo/X509Data/X509Certificate)";
  }
  int x509_data = 0;
  for (const xmlNode* item : element_children(parts[2])) {
    if (is_dsig(item, "X509Data")) {
      ++x509_data;
    } else if (!is_dsig(item, "KeyName") && !is_dsig(item, "KeyValue")) {
      return "KeyInfo may hold one X509Data (and KeyName or KeyValue, which are ignored), not " + local_name(item);
    }
  }
  if (x509_data != 1) return "KeyInfo must hold exactly one X509Data";
  int certificates = 0;
  for (const xmlNode* item : element_children(dsig_child(parts[2], "X509Data"))) {
    if (is_dsig(item, "X509Certificate")) {
      ++certificates;
    } else if (!is_dsig(item, "X509IssuerSerial") && !is_dsig(item, "X509SubjectName") && !is_dsig(item, "X509SKI") &&
               !is_dsig(item, "X509Digest")) {
      return "X509Data may hold the signing certificate (and X509IssuerSerial, X509SubjectName, X509SKI, "
             "which are ignored), not " + local_name(item);
    }
  }
  if (certificates == 0) {
    return "the signature does not name its certificate (KeyInfo/X509Data/X509Certificate)";
  }
  if (certificates > 1) {
    return "KeyInfo names " + std::to_string(certificates) +
           " certificates: send exactly one X509Certificate, the signing certificate, without its CA or chain";
  }
  return {};
}

std::string node_text(const xmlNode* node) {
  xmlChar* content = xmlNodeGetContent(node);
  if (content == nullptr) return {};
  std::string out(reinterpret_cast<const char*>(content));
  xmlFree(content);
  return out;
}

// Which algorithms a signature may use; everything else (SHA-1, MD5, HMAC, XPath, XSLT, ...) is
// refused by xmlsec before any computation.
void restrict_algorithms(xmlSecDSigCtx* ctx) {
  ctx->enabledReferenceUris = xmlSecTransformUriTypeEmpty;
  for (xmlSecTransformId id : {xmlSecTransformEnvelopedId, xmlSecTransformExclC14NId, xmlSecTransformSha256Id,
                               xmlSecTransformSha384Id, xmlSecTransformSha512Id}) {
    xmlSecDSigCtxEnableReferenceTransform(ctx, id);
  }
  for (xmlSecTransformId id : {xmlSecTransformExclC14NId, xmlSecTransformEcdsaSha256Id, xmlSecTransformEcdsaSha384Id,
                               xmlSecTransformEcdsaSha512Id, xmlSecTransformRsaSha256Id, xmlSecTransformRsaSha384Id,
                               xmlSecTransformRsaSha512Id}) {
    xmlSecDSigCtxEnableSignatureTransform(ctx, id);
  }
}

struct DsigCtxFree {
  void operator()(xmlSecDSigCtx* ctx) const noexcept {
    ctx->signKey = nullptr;  // shared key, owned elsewhere: never destroyed with the context
    xmlSecDSigCtxDestroy(ctx);
  }
};
using DsigCtxPtr = std::unique_ptr<xmlSecDSigCtx, DsigCtxFree>;

}  // namespace


// ---------------------------------------------------------------------------------------------
// Signing

struct XmlSigningKey::Impl {
  KeyPtr key;
  std::string fingerprint;
  xmlSecTransformId default_signature_method = nullptr;
  // For sign_own_document: the key as OpenSSL holds it, the digest fetched once, and the
  // certificate's base64 DER as it goes into KeyInfo.
  EVP_PKEY* pkey = nullptr;
  EVP_MD* sha256 = nullptr;
  bool ecdsa = false;
  std::size_t ecdsa_half = 0;  // bytes of r and of s in the XMLDSig encoding
  std::string signature_method_uri;
  std::string certificate_base64;

  ~Impl() {
    EVP_PKEY_free(pkey);
    EVP_MD_free(sha256);
  }
};

XmlSigningKey::XmlSigningKey(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
XmlSigningKey::~XmlSigningKey() = default;

const std::string& XmlSigningKey::certificate_fingerprint() const noexcept { return impl_->fingerprint; }

std::shared_ptr<const XmlSigningKey> XmlSigningKey::load(std::string_view private_key_pem,
                                                         std::string_view certificate_pem) {
  init_xmlsec_once();
  auto impl = std::make_unique<Impl>();
  X509Ptr cert = read_certificate(certificate_pem);
  EVP_PKEY* public_key = X509_get0_pubkey(cert.get());
  require_strong_key(public_key);
  impl->fingerprint = fingerprint_of(cert.get());
  impl->default_signature_method =
      EVP_PKEY_get_base_id(public_key) == EVP_PKEY_EC ? xmlSecTransformEcdsaSha256Id : xmlSecTransformRsaSha256Id;
  impl->ecdsa = EVP_PKEY_get_base_id(public_key) == EVP_PKEY_EC;
  impl->ecdsa_half = impl->ecdsa ? static_cast<std::size_t>((EVP_PKEY_get_bits(public_key) + 7) / 8) : 0;
  impl->signature_method_uri = impl->ecdsa ? (impl->ecdsa_half == 32 ? "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
                                                                     : "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384")
                                           : "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
  if (impl->ecdsa && impl->ecdsa_half != 32) impl->default_signature_method = xmlSecTransformEcdsaSha384Id;
  {
    BIO* bio = BIO_new_mem_buf(private_key_pem.data(), static_cast<int>(private_key_pem.size()));
    impl->pkey = bio != nullptr ? PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr) : nullptr;
    BIO_free(bio);
    if (impl->pkey == nullptr) throw MessageError("cannot read the signing key");
    if (EVP_PKEY_eq(impl->pkey, public_key) != 1) throw MessageError("the signing key does not match its certificate");
    impl->sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (impl->sha256 == nullptr) throw MessageError("SHA-256 unavailable");
    unsigned char* der = nullptr;
    const int der_length = i2d_X509(cert.get(), &der);
    if (der_length <= 0) throw MessageError("cannot encode the certificate");
    impl->certificate_base64 = common::base64_encode(std::string_view(reinterpret_cast<const char*>(der), static_cast<std::size_t>(der_length)));
    OPENSSL_free(der);
  }
  impl->key.reset(xmlSecCryptoAppKeyLoadMemory(reinterpret_cast<const xmlSecByte*>(private_key_pem.data()),
                                               static_cast<xmlSecSize>(private_key_pem.size()), xmlSecKeyDataFormatPem,
                                               nullptr, nullptr, nullptr));
  if (!impl->key) throw MessageError("cannot load the signing key: " + last_xmlsec_error);
  if (xmlSecCryptoAppKeyCertLoadMemory(impl->key.get(), reinterpret_cast<const xmlSecByte*>(certificate_pem.data()),
                                       static_cast<xmlSecSize>(certificate_pem.size()), xmlSecKeyDataFormatPem) < 0) {
    throw MessageError("cannot attach the certificate to the signing key: " + last_xmlsec_error);
  }
  return std::shared_ptr<const XmlSigningKey>(new XmlSigningKey(std::move(impl)));
}

std::string XmlSigningKey::sign(std::string_view xml, const SigningOptions& options) const {
  DocPtr doc(xmlReadMemory(xml.data(), static_cast<int>(xml.size()), nullptr, "UTF-8",
                           XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING));
  if (!doc) throw MessageError("cannot sign: the document is not well-formed");
  xmlNode* root = xmlDocGetRootElement(doc.get());
  if (root == nullptr) throw MessageError("cannot sign an empty document");

  xmlSecTransformId method = impl_->default_signature_method;
  if (!options.signature_method.empty()) {
    method = xmlSecTransformIdListFindByHref(xmlSecTransformIdsGet(), BAD_CAST options.signature_method.c_str(),
                                             xmlSecTransformUsageSignatureMethod);
  }
  xmlSecTransformId digest = xmlSecTransformIdListFindByHref(
      xmlSecTransformIdsGet(), BAD_CAST options.digest_method.c_str(), xmlSecTransformUsageDigestMethod);
  if (method == nullptr || digest == nullptr) throw MessageError("cannot sign: unknown algorithm");

  xmlNode* signature = xmlSecTmplSignatureCreate(doc.get(), xmlSecTransformExclC14NId, method, nullptr);
  if (signature == nullptr) throw MessageError("cannot create the signature template");
  xmlAddChild(root, signature);
  xmlNode* reference = xmlSecTmplSignatureAddReference(signature, digest, nullptr, BAD_CAST "", nullptr);
  if (reference == nullptr || xmlSecTmplReferenceAddTransform(reference, xmlSecTransformEnvelopedId) == nullptr ||
      xmlSecTmplReferenceAddTransform(reference, xmlSecTransformExclC14NId) == nullptr) {
    throw MessageError("cannot create the signature reference");
  }
  if (options.include_certificate) {
    xmlNode* key_info = xmlSecTmplSignatureEnsureKeyInfo(signature, nullptr);
    xmlNode* x509 = key_info != nullptr ? xmlSecTmplKeyInfoAddX509Data(key_info) : nullptr;
    if (x509 == nullptr || xmlSecTmplX509DataAddCertificate(x509) == nullptr) {
      throw MessageError("cannot create the key info");
    }
  }
  DsigCtxPtr ctx(xmlSecDSigCtxCreate(nullptr));
  if (!ctx) throw MessageError("cannot create a signature context");
  ctx->signKey = impl_->key.get();
  if (xmlSecDSigCtxSign(ctx.get(), signature) < 0) throw MessageError("signing failed: " + last_xmlsec_error);

  xmlChar* buffer = nullptr;
  int size = 0;
  xmlDocDumpMemoryEnc(doc.get(), &buffer, &size, "UTF-8");
  if (buffer == nullptr) throw MessageError("cannot serialise the signed document");
  std::string out(reinterpret_cast<const char*>(buffer), static_cast<std::size_t>(size));
  xmlFree(buffer);
  return out;
}

namespace {

std::string base64(const unsigned char* data, std::size_t size) {
  return common::base64_encode(std::string_view(reinterpret_cast<const char*>(data), size));
}

}  // namespace

std::string XmlSigningKey::sign_own_document(std::string_view xml) const {
  static constexpr std::string_view declaration = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  if (!xml.starts_with(declaration)) throw MessageError("sign_own_document: not a document of the writers");
  std::string_view canonical = xml.substr(declaration.size());
  while (!canonical.empty() && canonical.back() == '\n') canonical.remove_suffix(1);
  const auto last_end_tag = canonical.rfind("</");
  if (canonical.empty() || canonical.front() != '<' || last_end_tag == std::string_view::npos) {
    throw MessageError("sign_own_document: not a document of the writers");
  }
  const Impl& k = *impl_;
  const auto digest_of = [&](std::string_view data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_Digest(data.data(), data.size(), digest, &length, k.sha256, nullptr) != 1) {
      throw MessageError("SHA-256 failed");
    }
    return base64(digest, length);
  };

  std::string signed_info;
  signed_info.reserve(700);
  signed_info += "<SignedInfo xmlns=\"http://www.w3.org/2000/09/xmldsig#\"><CanonicalizationMethod Algorithm=\""
                 "http://www.w3.org/2001/10/xml-exc-c14n#\"></CanonicalizationMethod><SignatureMethod Algorithm=\"";
  signed_info += k.signature_method_uri;
  signed_info += "\"></SignatureMethod><Reference URI=\"\"><Transforms><Transform Algorithm=\""
                 "http://www.w3.org/2000/09/xmldsig#enveloped-signature\"></Transform><Transform Algorithm=\""
                 "http://www.w3.org/2001/10/xml-exc-c14n#\"></Transform></Transforms><DigestMethod Algorithm=\""
                 "http://www.w3.org/2001/04/xmlenc#sha256\"></DigestMethod><DigestValue>";
  signed_info += digest_of(canonical);
  signed_info += "</DigestValue></Reference></SignedInfo>";

  // Sign the canonical SignedInfo. ECDSA: OpenSSL's DER (r, s) becomes XMLDSig's fixed-width r || s.
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  const EVP_MD* md = k.ecdsa && k.ecdsa_half != 32 ? EVP_sha384() : k.sha256;
  std::size_t length = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, md, nullptr, k.pkey) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &length, reinterpret_cast<const unsigned char*>(signed_info.data()),
                     signed_info.size()) != 1) {
    throw MessageError("signing failed");
  }
  std::vector<unsigned char> raw(length);
  if (EVP_DigestSign(ctx.get(), raw.data(), &length, reinterpret_cast<const unsigned char*>(signed_info.data()),
                     signed_info.size()) != 1) {
    throw MessageError("signing failed");
  }
  raw.resize(length);
  std::string signature_value;
  if (k.ecdsa) {
    const unsigned char* p = raw.data();
    ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(raw.size()));
    if (sig == nullptr) throw MessageError("signing failed");
    std::vector<unsigned char> rs(2 * k.ecdsa_half);
    const bool ok = BN_bn2binpad(ECDSA_SIG_get0_r(sig), rs.data(), static_cast<int>(k.ecdsa_half)) > 0 &&
                    BN_bn2binpad(ECDSA_SIG_get0_s(sig), rs.data() + k.ecdsa_half, static_cast<int>(k.ecdsa_half)) > 0;
    ECDSA_SIG_free(sig);
    if (!ok) throw MessageError("signing failed");
    signature_value = base64(rs.data(), rs.size());
  } else {
    signature_value = base64(raw.data(), raw.size());
  }

  std::string out;
  out.reserve(xml.size() + signed_info.size() + k.certificate_base64.size() + 300);
  out.append(declaration);
  out.append(canonical.substr(0, last_end_tag));
  out += "<Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\">";
  out += signed_info;
  out += "<SignatureValue>";
  out += signature_value;
  out += "</SignatureValue><KeyInfo><X509Data><X509Certificate>";
  out += k.certificate_base64;
  out += "</X509Certificate></X509Data></KeyInfo></Signature>";
  out.append(canonical.substr(last_end_tag));
  out += '\n';
  return out;
}

// ---------------------------------------------------------------------------------------------
// Verification

struct XmlVerificationKeys::Impl {
  struct Entry {
    KeyPtr key;
    std::time_t not_before = 0;
    std::time_t not_after = 0;
  };
  std::unordered_map<std::string, Entry> by_fingerprint;
};

XmlVerificationKeys::XmlVerificationKeys() : impl_(std::make_unique<Impl>()) { init_xmlsec_once(); }
XmlVerificationKeys::~XmlVerificationKeys() = default;
XmlVerificationKeys::XmlVerificationKeys(XmlVerificationKeys&&) noexcept = default;
XmlVerificationKeys& XmlVerificationKeys::operator=(XmlVerificationKeys&&) noexcept = default;

std::string XmlVerificationKeys::add(std::string_view certificate_pem) {
  X509Ptr cert = read_certificate(certificate_pem);
  require_strong_key(X509_get0_pubkey(cert.get()));
  Impl::Entry entry;
  entry.not_before = to_time(X509_get0_notBefore(cert.get()));
  entry.not_after = to_time(X509_get0_notAfter(cert.get()));
  entry.key.reset(xmlSecCryptoAppKeyLoadMemory(reinterpret_cast<const xmlSecByte*>(certificate_pem.data()),
                                               static_cast<xmlSecSize>(certificate_pem.size()),
                                               xmlSecKeyDataFormatCertPem, nullptr, nullptr, nullptr));
  if (!entry.key) throw MessageError("cannot load the public key of a certificate: " + last_xmlsec_error);
  std::string fingerprint = fingerprint_of(cert.get());
  impl_->by_fingerprint[fingerprint] = std::move(entry);
  return fingerprint;
}

bool XmlVerificationKeys::contains(std::string_view fingerprint) const {
  return impl_->by_fingerprint.contains(std::string(fingerprint));
}

std::size_t XmlVerificationKeys::size() const noexcept { return impl_->by_fingerprint.size(); }

struct SignatureVerifier {
  static SignatureVerdict verify(xmlDoc* doc, const XmlVerificationKeys& keys, std::time_t now) {
    SignatureVerdict verdict;
    xmlNode* root = xmlDocGetRootElement(doc);
    if (root == nullptr) {
      verdict.problem = "empty document";
      return verdict;
    }
    const auto signatures = all_signatures(root);
    if (signatures.empty()) {
      verdict.problem = "the message is not signed";
      return verdict;
    }
    if (signatures.size() > 1) {
      verdict.problem = "the message carries more than one signature";
      return verdict;
    }
    xmlNode* signature = signatures.front();
    const xmlNode* last_element = nullptr;
    for (const xmlNode* c = root->children; c != nullptr; c = c->next) {
      if (c->type == XML_ELEMENT_NODE) last_element = c;
    }
    if (signature->parent != root || last_element != signature) {
      verdict.problem = "the signature must be the last child of the message element";
      return verdict;
    }
    if (auto violation = profile_violation(signature); !violation.empty()) {
      verdict.problem = std::move(violation);
      return verdict;
    }
    const xmlNode* certificate = dsig_child(dsig_child(dsig_child(signature, "KeyInfo"), "X509Data"), "X509Certificate");
    const std::string der = base64_decode(node_text(certificate));
    if (der.empty()) {
      verdict.problem = "the signing certificate is not valid base64";
      return verdict;
    }
    verdict.certificate_fingerprint = crypto::sha256_hex(der);
    const auto entry = keys.impl_->by_fingerprint.find(verdict.certificate_fingerprint);
    if (entry == keys.impl_->by_fingerprint.end()) {
      verdict.problem = "the signing certificate is not registered with the gateway";
      return verdict;
    }
    if (now < entry->second.not_before) {
      verdict.problem = "the signing certificate is not valid yet";
      return verdict;
    }
    if (now > entry->second.not_after) {
      verdict.problem = "the signing certificate has expired";
      return verdict;
    }

    DsigCtxPtr ctx(xmlSecDSigCtxCreate(nullptr));
    if (!ctx) {
      verdict.problem = "no signature context";
      return verdict;
    }
    restrict_algorithms(ctx.get());
    ctx->signKey = entry->second.key.get();
    last_xmlsec_error.clear();
    if (xmlSecDSigCtxVerify(ctx.get(), signature) < 0) {
      // The profile was kept, so what is left is a value that does not decode (a SignatureValue or
      // DigestValue that is not base64, an ECDSA value of the wrong length). The library's own
      // text is not for the requester.
      verdict.problem = "the signature's values cannot be read (DigestValue and SignatureValue must be base64; an "
                        "ECDSA SignatureValue is r||s as in RFC 4050, not DER)";
      return verdict;
    }
    if (xmlSecPtrListGetSize(&ctx->signedInfoReferences) != 1) {
      verdict.problem = "the signature must have exactly one reference";
      return verdict;
    }
    if (ctx->status != xmlSecDSigStatusSucceeded) {
      verdict.problem = "the signature does not match the message";
      return verdict;
    }
    verdict.valid = true;
    return verdict;
  }
};

SignatureVerdict verify_enveloped_signature(const ParsedDocument& document, const XmlVerificationKeys& keys,
                                            std::time_t now) {
  return SignatureVerifier::verify(document.get(), keys, now);
}

SignatureVerdict verify_enveloped_signature(std::string_view xml, const XmlVerificationKeys& keys, std::time_t now) {
  // Answers a client verifies may be large (a DSC page of 100 entries with their proofs has some
  // 5,000 elements); the limits still bound what a hostile server can make a client build.
  auto parsed = parse_safely(xml, 64, 200'000);
  if (!parsed.doc) return SignatureVerdict{false, parsed.error, {}};
  return SignatureVerifier::verify(parsed.doc.get(), keys, now);
}

}  // namespace oncegate::message
