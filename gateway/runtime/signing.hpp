#pragma once
// The gateway's signing key in force (answers and tree heads), loaded once per change of key,
// and a fresh demo key certified by the demo CA.

#include <ctime>
#include <filesystem>
#include <memory>
#include <string>

#include "gateway/message/signature.hpp"
#include "gateway/crypto/data_signer.hpp"
#include "gateway/crypto/es256.hpp"

namespace oncegate::runtime {

struct SigningMaterial {
  std::string certificate_pem;
  std::string fingerprint;      // SHA-256 of the certificate's DER form, hex
  std::time_t not_after = 0;
  std::filesystem::path key_file;
  std::filesystem::path certificate_file;
  std::shared_ptr<const message::XmlSigningKey> xml_key;
  std::shared_ptr<const crypto::DataSigner> head_signer;
  // The same key for detached JWS (OOTS answers): P-256 keys only, else null.
  std::shared_ptr<const crypto::Es256PrivateKey> jws_key;
  std::string x5t_s256;  // base64url SHA-256 of the certificate's DER form
};

// Reads and checks the pair (the key matches the certificate, the certificate is valid now).
// Throws ChangeError (400) or std::exception with the reason.
[[nodiscard]] std::shared_ptr<const SigningMaterial> load_signing(const std::filesystem::path& key_file,
                                                                  const std::filesystem::path& certificate_file);

// Demo and test installations: a new signing key certified by <data_dir>/demo/ca.key, written to
// <data_dir>/managed/signing/. Returns {key file, certificate file}. Throws ChangeError (400)
// without the demo CA.
[[nodiscard]] std::pair<std::filesystem::path, std::filesystem::path> issue_demo_signing_key(
    const std::filesystem::path& data_dir, const std::string& gateway_kennung);

[[nodiscard]] std::string iso_date(std::time_t seconds);

}  // namespace oncegate::runtime
