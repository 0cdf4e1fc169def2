#include "gateway/demo/pki.hpp"

#include <sys/stat.h>

#include "gateway/common/files.hpp"

namespace oncegate::demo {

using crypto::CertificateRequest;
using crypto::CertificateRole;
using crypto::issue_certificate;
using crypto::KeyAndCertificate;

const std::vector<DemoAuthority>& demo_authorities() {
  static const std::vector<DemoAuthority> authorities{
      {"psw:01003110", "Bürgeramt Hannover (Demo)"},
      {"psw:02004220", "Elterngeldstelle Bremen (Demo)"},
      {"psw:03005330", "Studierendenwerk Göttingen (Demo)"},
      // The national Datenschutzcockpit, which asks for people's protocol data (POST /v1/dsc/protokolldaten).
      {"psw:00001000", "Datenschutzcockpit des Bundes (Demo)"},
      // The OOTS access point (or intermediary platform) that hands EU requests to the gateway.
      {"oots:ap-de-demo", "OOTS-Zugangspunkt (Demo)"},
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
                     directory / "gateway-signing.pem", directory / "gateway-signing.key",
                     directory / "cluster-node.pem", directory / "cluster-node.key"};
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

  CertificateRequest node;
  node.common_name = "oncegate cluster node (demo)";
  node.role = CertificateRole::tls_client;
  issue_if_missing(files.node_certificate, files.node_key, node, false);

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

}  // namespace oncegate::demo
