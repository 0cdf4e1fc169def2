#pragma once
// Test support: a real gateway in a temporary data directory, listening on loopback port 0 with
// TLS, and a verifying TLS client for it.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <memory>
#include <string>
#include <vector>

#include "adapters/population/population.hpp"
#include "tests/support/temp_dir.hpp"
#include "gateway/adapter/factory_registry.hpp"
#include "gateway/app/gateway.hpp"
#include "gateway/client/https_client.hpp"
#include "gateway/log/storage_faults.hpp"
#include "gateway/message/codec.hpp"
#include "gateway/message/signature.hpp"

namespace oncegate::testing {


// An adapter for failure tests. Modes: "unavailable", "silent" (never answers), "bad-evidence"
// (delivers a field name that is not an XML name), "throws". Counts its calls.
void register_scripted_adapter_type(adapters::AdapterFactoryRegistry& registry);
std::atomic<int>& scripted_adapter_calls();

// Makes an unrelated demo CA in `directory` and returns its certificate file.
[[nodiscard]] std::string trust_material_for_test(const std::filesystem::path& directory);

struct TestGatewayOptions {
  std::size_t population = 2000;
  std::string extra_toml;          // appended to the generated configuration
  std::string evidence_listener_toml;  // extra keys for [listeners.evidence]
  std::string gateway_toml;            // extra keys for [gateway]
  std::string trust_toml;              // extra keys for [trust]
  std::string authorities_toml;        // further [[authorities]]
  std::string log_toml;                // extra keys for [log]
  std::string log_origin = "oncegate.test/log/test-1";  // several nodes: one log each
  // The published log on [listeners.log] and the demo witness on [listeners.witness], with a
  // witness quorum of 1: proofs wait for its cosignature.
  bool transparency = false;
  bool datacockpit = false;  // serve /cockpit/ with the demo identity provider on [listeners.cockpit]
  std::string datacockpit_toml;  // more [datacockpit] settings
  // Runs on the data directory after the demo PKI exists and before the gateway starts (to make
  // extra certificates that the configuration registers).
  std::function<void(const std::filesystem::path& data_dir)> prepare;
  // When set, called after `prepare`: every "{PORT}" in the configuration becomes what it returns
  // (the port of a server the test started in `prepare`).
  std::function<std::string()> extra_toml_late;
  // When set, SIGHUP / POST /admin/v1/reload re-read the configuration with what this returns
  // appended (the test changes it to simulate an edited configuration file). Called on the admin
  // module's job thread.
  std::function<std::string()> reload_extra_toml;
  // The transfer log's disk, failing or slow on command (fault tests).
  std::shared_ptr<log::StorageFaults> log_faults;
};


class TestGateway {
 public:
  explicit TestGateway(TestGatewayOptions options = {});
  ~TestGateway();

  static constexpr const char* kAuthority = "psw:01003110";  // allowed the test permissions

  [[nodiscard]] std::uint16_t port() const;
  // The Datencockpit's listener (options.datacockpit), and a connection to it as a browser makes
  // one (no client certificate).
  [[nodiscard]] std::uint16_t cockpit_port() const;
  [[nodiscard]] std::uint16_t listener_port(const std::string& name) const;
  [[nodiscard]] std::unique_ptr<client::HttpsClient> connect_cockpit() const;
  // TLS material of a demo authority (client certificate and key), or none with an empty kennung.
  [[nodiscard]] client::ClientTls tls(const std::string& kennung = kAuthority) const;
  [[nodiscard]] std::unique_ptr<client::HttpsClient> connect(const std::string& kennung = kAuthority) const;
  [[nodiscard]] std::filesystem::path demo_dir() const { return dir_.path() / "demo"; }
  // The signing key of a demo authority, loaded once.
  [[nodiscard]] const message::XmlSigningKey& signer(const std::string& kennung = kAuthority) const;
  // The gateway's answer-signing certificate as verification keys.
  [[nodiscard]] const message::XmlVerificationKeys& gateway_keys() const noexcept { return gateway_keys_; }
  [[nodiscard]] const std::vector<adapters::population::Person>& people() const noexcept { return people_; }
  [[nodiscard]] const message::MessageCodec& codec() const noexcept { return *codec_; }
  [[nodiscard]] app::Gateway& gateway() noexcept { return *gateway_; }
  [[nodiscard]] const std::filesystem::path& data_dir() const noexcept { return dir_.path(); }
  [[nodiscard]] std::size_t open_connections_for_test() const noexcept { return gateway_->open_connections(); }
  // Stops the gateway and starts a new one on the same data directory and configuration.
  void restart();

  // A call to the admin listener ([listeners.admin] in extra_toml) with an API key.
  [[nodiscard]] client::HttpReply admin_call(const std::string& method, const std::string& path,
                                             const std::string& api_key, const std::string& body = "") const;
  // The demo admin / observer API key.
  [[nodiscard]] std::string admin_key() const;
  [[nodiscard]] std::string observer_key() const;

  // The first person living in Niedersachsen (03) / Bremen (04).
  [[nodiscard]] const adapters::population::Person& person_in(const std::string& land) const;

  // A request as the test authority sends it: unsigned, then signed.
  [[nodiscard]] message::EvidenceRequest request_fields(const std::string& idnr, const std::string& type,
                                                        const std::string& region = "") const;
  [[nodiscard]] std::string unsigned_request(const std::string& idnr, const std::string& type,
                                             const std::string& region = "") const;
  [[nodiscard]] std::string request(const std::string& idnr, const std::string& type,
                                    const std::string& region = "") const;

  // POST /v1/nachweis on a fresh connection.
  [[nodiscard]] client::HttpReply post(const std::string& body,
                                       const std::string& content_type = "application/xml") const;

 private:
  void start_gateway();

  TempDir dir_;
  std::string toml_;
  std::function<std::string()> reload_extra_toml_;
  std::shared_ptr<log::StorageFaults> log_faults_;
  std::unique_ptr<app::Gateway> gateway_;
  std::shared_ptr<const message::MessageCodec> codec_;
  std::vector<adapters::population::Person> people_;
  mutable std::map<std::string, std::shared_ptr<const message::XmlSigningKey>> signers_;
  mutable std::mutex signers_mutex_;
  message::XmlVerificationKeys gateway_keys_;
};

}  // namespace oncegate::testing
