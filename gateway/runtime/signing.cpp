#include "gateway/runtime/signing.hpp"

#include "gateway/common/bytes.hpp"

#include "gateway/common/files.hpp"
#include "gateway/common/time.hpp"
#include "gateway/runtime/fields.hpp"
#include "gateway/demo/pki.hpp"
#include "gateway/trust/trust_store.hpp"

namespace oncegate::runtime {

using common::read_file;

std::string iso_date(std::time_t seconds) { return common::utc_text_seconds(seconds); }

std::shared_ptr<const SigningMaterial> load_signing(const std::filesystem::path& key_file,
                                                    const std::filesystem::path& certificate_file) {
  const std::string key_pem = common::read_secret_file(key_file, "gateway signing key");
  const std::string certificate_pem = read_file(certificate_file, "gateway signing certificate");
  const auto described = trust::describe_certificate(certificate_pem);
  const auto now = std::time(nullptr);
  if (described.not_before > now || described.not_after <= now) {
    throw ChangeError(400, "the signing certificate '" + certificate_file.string() + "' is not valid now (valid " +
                               iso_date(described.not_before) + " to " + iso_date(described.not_after) + ")");
  }
  auto material = std::make_shared<SigningMaterial>();
  material->certificate_pem = certificate_pem;
  material->fingerprint = described.fingerprint;
  material->not_after = described.not_after;
  material->key_file = key_file;
  material->certificate_file = certificate_file;
  // Both check that the key is usable and belongs to the certificate.
  material->xml_key = message::XmlSigningKey::load(key_pem, certificate_pem);
  material->head_signer = std::make_shared<crypto::DataSigner>(key_pem, certificate_pem);
  try {
    (void)crypto::Es256PublicKey::from_certificate_pem(certificate_pem);  // P-256 only
    material->jws_key = std::make_shared<const crypto::Es256PrivateKey>(crypto::Es256PrivateKey::from_pem(key_pem));
    material->x5t_s256 = common::base64url_encode(common::from_hex(material->fingerprint).value_or(""));
  } catch (const std::exception&) {
    material->jws_key.reset();  // RSA or another curve: no OOTS answers with this key
  }
  return material;
}


std::pair<std::filesystem::path, std::filesystem::path> issue_demo_signing_key(const std::filesystem::path& data_dir,
                                                                               const std::string& gateway_kennung) {
  const auto demo = data_dir / "demo";
  if (!std::filesystem::exists(demo / "ca.key")) {
    throw ChangeError(400, "generate needs the demo CA; in production name the key and certificate files");
  }
  const crypto::KeyAndCertificate ca{read_file(demo / "ca.key", "demo CA key"), read_file(demo / "ca.pem", "demo CA")};
  crypto::CertificateRequest request;
  request.common_name = gateway_kennung + " answer signing";
  request.role = crypto::CertificateRole::signing;
  const auto issued = crypto::issue_certificate(request, &ca);
  const auto directory = data_dir / "managed" / "signing";
  std::filesystem::create_directories(directory);
  const auto stamp = std::to_string(std::time(nullptr)) + "-" +
                     trust::describe_certificate(issued.certificate_pem).fingerprint.substr(0, 8);
  auto key_file = directory / ("gateway-signing-" + stamp + ".key");
  auto certificate_file = directory / ("gateway-signing-" + stamp + ".pem");
  common::write_file_atomically(key_file, issued.private_key_pem, true);
  common::write_file_atomically(certificate_file, issued.certificate_pem, false);
  return {key_file, certificate_file};
}

}  // namespace oncegate::runtime
