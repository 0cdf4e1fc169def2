// The operator's setup commands on real files: --check-config reports every problem of a
// configuration at once (a key that is not its certificate's, an expired certificate, an open
// secret, missing files) and changes nothing; init makes owner-only files and never overwrites;
// restore never overwrites a log.

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <string>

#include "gateway/app/setup.hpp"
#include "gateway/common/files.hpp"
#include "gateway/config/config.hpp"
#include "gateway/crypto/certificates.hpp"
#include "gateway/crypto/crypto.hpp"
#include "tests/support/temp_dir.hpp"

namespace oncegate::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

void write(const fs::path& file, const std::string& text, unsigned mode) {
  common::write_file_atomically(file, text, mode == 0600);
  ::chmod(file.c_str(), mode);
}

bool has_finding(const std::vector<app::ConfigFinding>& findings, const std::string& where, const std::string& part) {
  return std::any_of(findings.begin(), findings.end(), [&](const app::ConfigFinding& f) {
    return f.where == where && f.text.find(part) != std::string::npos;
  });
}

std::string describe(const app::ConfigReport& report) {
  std::string out;
  for (const auto& p : report.problems) out += "problem " + p.where + ": " + p.text + "\n";
  for (const auto& n : report.notes) out += "note " + n.where + ": " + n.text + "\n";
  return out;
}

class SetupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const fs::path pki = dir_.path() / "pki";
    ca_ = crypto::issue_certificate({"Test CA", "Land Test", crypto::CertificateRole::ca, {}, {}}, nullptr);
    const auto signing = issue("Antwortsignatur", crypto::CertificateRole::signing);
    const auto server = issue("server", crypto::CertificateRole::tls_server);
    const auto other = issue("other", crypto::CertificateRole::tls_server);
    crypto::CertificateRequest old{"old authority", "Land Test", crypto::CertificateRole::tls_client, {}, {}};
    old.not_before_offset = -48h;
    old.lifetime = 24h;
    const auto expired = crypto::issue_certificate(old, &ca_);
    write(pki / "ca.pem", ca_.certificate_pem, 0644);
    write(pki / "signing.key", signing.private_key_pem, 0600);
    write(pki / "signing.pem", signing.certificate_pem, 0644);
    write(pki / "server.pem", server.certificate_pem, 0644);
    write(pki / "server.key", other.private_key_pem, 0600);  // not the server certificate's key
    write(pki / "expired.pem", expired.certificate_pem, 0644);

    config_ = config::parse_config(config::embedded_default_config(), "(test)");
    config_.demo.generate = false;
    config_.data_dir = dir_.path() / "data";
    config_.trust.ca = pki / "ca.pem";
    config_.trust.signing_key = pki / "signing.key";
    config_.trust.signing_certificate = pki / "signing.pem";
    for (auto& listener : config_.listeners) {
      listener.certificate = pki / "server.pem";
      listener.private_key = pki / "server.key";
      listener.client_ca = listener.client_ca.empty() ? fs::path() : pki / "ca.pem";
    }
    config_.authorities.at(0).certificates = {pki / "expired.pem"};
    config_.log.pseudonym_secret = config_.data_dir / "pseudonym.secret";
    config_.log.key = config_.data_dir / "log-key.pem";
    config_.log.directory = config_.data_dir / "log";
    config_.admin.keys_file = config_.data_dir / "admin-keys.json";
  }

  crypto::KeyAndCertificate issue(const std::string& name, crypto::CertificateRole role) {
    return crypto::issue_certificate({name, "Land Test", role, {"localhost"}, {"127.0.0.1"}}, &ca_);
  }

  TempDir dir_;
  crypto::KeyAndCertificate ca_;
  config::GatewayConfig config_;
};

TEST_F(SetupTest, EveryProblemIsReportedAtOnceAndNothingIsMade) {
  const auto report = app::check_configuration(config_);
  EXPECT_FALSE(report.ok());
  const auto& p = report.problems;
  EXPECT_TRUE(has_finding(p, "gateway.data_dir", "oncegate init")) << describe(report);
  EXPECT_TRUE(has_finding(p, "listeners.evidence", "does not belong to the certificate")) << describe(report);
  EXPECT_TRUE(has_finding(p, "authorities " + config_.authorities.at(0).kennung, "has expired")) << describe(report);
  EXPECT_TRUE(has_finding(p, "log.pseudonym_secret", "does not exist")) << describe(report);
  EXPECT_TRUE(has_finding(p, "log.key", "does not exist")) << describe(report);
  // The signing pair is right: nothing said about it.
  EXPECT_FALSE(has_finding(p, "trust.signing", "")) << describe(report);
  EXPECT_FALSE(fs::exists(config_.data_dir)) << "the check created the data directory";
}

TEST_F(SetupTest, InitMakesOwnerOnlyFilesOnceAndAnOpenSecretIsNamed) {
  const auto first = app::initialise(config_);
  ASSERT_FALSE(first.first_admin_key.empty());
  for (const fs::path& file : {config_.log.pseudonym_secret, config_.log.key, config_.admin.keys_file}) {
    struct stat st {};
    ASSERT_EQ(::stat(file.c_str(), &st), 0) << file;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << file;
  }
  // Only the hash of the key is kept.
  const std::string keys = common::read_file(config_.admin.keys_file);
  EXPECT_EQ(keys.find(first.first_admin_key), std::string::npos);
  EXPECT_NE(keys.find(crypto::sha256_hex(first.first_admin_key)), std::string::npos);
  const std::string secret = common::read_file(config_.log.pseudonym_secret);
  EXPECT_GE(secret.size(), 64u);

  const auto second = app::initialise(config_);
  EXPECT_TRUE(second.first_admin_key.empty());
  EXPECT_EQ(second.created.size(), 0u);
  EXPECT_EQ(common::read_file(config_.log.pseudonym_secret), secret) << "init overwrote the secret";

  ::chmod(config_.log.pseudonym_secret.c_str(), 0644);
  const auto report = app::check_configuration(config_);
  EXPECT_TRUE(has_finding(report.problems, "log.pseudonym_secret", "chmod 600")) << describe(report);
  EXPECT_FALSE(has_finding(report.problems, "log.key", "")) << describe(report);
}

TEST_F(SetupTest, AClusterNodesStorePasswordMustBeTheOwnersAlone) {
  (void)app::initialise(config_);
  config_.cluster.enabled = true;
  config_.cluster.node = "a";
  config_.cluster.store_password_file = config_.data_dir / "redis-password";
  auto report = app::check_configuration(config_);
  EXPECT_TRUE(has_finding(report.problems, "cluster.store_password_file", "does not exist")) << describe(report);
  write(config_.cluster.store_password_file, "s3cret\n", 0644);
  report = app::check_configuration(config_);
  EXPECT_TRUE(has_finding(report.problems, "cluster.store_password_file", "chmod 600")) << describe(report);
  write(config_.cluster.store_password_file, "s3cret\n", 0600);
  report = app::check_configuration(config_);
  EXPECT_FALSE(has_finding(report.problems, "cluster.store_password_file", "")) << describe(report);
  // Without a probe listener or the balancer's address the node works, but the check says so.
  EXPECT_TRUE(has_finding(report.notes, "listeners.health", "load balancer")) << describe(report);
  EXPECT_TRUE(has_finding(report.notes, "listeners.evidence.proxy_protocol_from", "load balancer")) << describe(report);
}

TEST_F(SetupTest, RestoreNeverOverwritesALog) {
  const fs::path backup = dir_.path() / "backup";
  fs::create_directories(backup / "log");
  write(backup / "manifest.json", "{\"format\":\"oncegate-backup/1\",\"log_size\":0,\"files\":[]}\n", 0600);
  fs::create_directories(config_.log.directory);
  EXPECT_THROW((void)app::restore_backup(config_, backup), std::exception);
  fs::remove_all(config_.log.directory);
  // A file whose content is not what the manifest says is refused before anything is written.
  write(backup / "files" / "pseudonym.secret", "changed", 0600);
  write(backup / "manifest.json",
        "{\"format\":\"oncegate-backup/1\",\"log_size\":0,\"files\":[{\"name\":\"pseudonym.secret\",\"path\":\"" +
            config_.log.pseudonym_secret.string() + "\",\"sha256\":\"" + crypto::sha256_hex("original") + "\"}]}\n",
        0600);
  EXPECT_THROW((void)app::restore_backup(config_, backup), std::exception);
  EXPECT_FALSE(fs::exists(config_.log.directory)) << "a refused restore wrote the log";
}

}  // namespace
}  // namespace oncegate::testing
