#pragma once
// Test support: a real gateway in a temporary data directory, listening on loopback port 0 with
// TLS, and a verifying TLS client for it.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "adapters/population/population.hpp"
#include "adapters/registry.hpp"
#include "gateway/app/gateway.hpp"
#include "gateway/client/https_client.hpp"
#include "gateway/message/codec.hpp"

namespace oncegate::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
};

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
};

class TestGateway {
 public:
  explicit TestGateway(TestGatewayOptions options = {});
  ~TestGateway();

  [[nodiscard]] std::uint16_t port() const;
  [[nodiscard]] client::ClientTls tls() const;
  [[nodiscard]] std::unique_ptr<client::HttpsClient> connect() const;
  [[nodiscard]] const std::vector<adapters::population::Person>& people() const noexcept { return people_; }
  [[nodiscard]] const message::MessageCodec& codec() const noexcept { return *codec_; }
  [[nodiscard]] app::Gateway& gateway() noexcept { return *gateway_; }
  [[nodiscard]] const std::filesystem::path& data_dir() const noexcept { return dir_.path(); }
  [[nodiscard]] std::size_t open_connections_for_test() const noexcept { return gateway_->open_connections(); }

  // The first person living in Niedersachsen (03) / Bremen (04).
  [[nodiscard]] const adapters::population::Person& person_in(const std::string& land) const;

  // A well-formed request as an authority would send it.
  [[nodiscard]] std::string request(const std::string& idnr, const std::string& type,
                                    const std::string& region = "") const;

  // POST /v1/nachweis on a fresh connection.
  [[nodiscard]] client::HttpReply post(const std::string& body,
                                       const std::string& content_type = "application/xml") const;

 private:
  TempDir dir_;
  std::unique_ptr<app::Gateway> gateway_;
  std::shared_ptr<const message::MessageCodec> codec_;
  std::vector<adapters::population::Person> people_;
};

}  // namespace oncegate::testing
