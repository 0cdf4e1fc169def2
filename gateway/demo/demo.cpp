#include "gateway/demo/demo.hpp"

#include <filesystem>
#include <stdexcept>
#include <string>

#include "adapters/population/population.hpp"
#include "adapters/sample_register/sample_register_server.hpp"
#include "datacockpit/demo_idp.hpp"
#include "gateway/admin/admin_api.hpp"
#include "gateway/common/files.hpp"
#include "gateway/crypto/crypto.hpp"
#include "gateway/oplog/oplog.hpp"
#include "gateway/demo/pki.hpp"

namespace oncegate::demo {

namespace {
std::filesystem::path population_file(const config::GatewayConfig& config) {
  return config.data_dir / "registers" / "population.tsv";
}
}  // namespace

void prepare_demo_material(const config::GatewayConfig& config) {
  if (!config.demo.generate) return;
  demo::ensure_demo_pki(config.data_dir / "demo");
  if (config.datacockpit.demo_idp) datacockpit::ensure_demo_idp(config.data_dir / "demo");
  if (config.listener("admin") != nullptr) admin::ensure_demo_api_keys(config.data_dir / "demo", config.admin.keys_file);
  if (!std::filesystem::exists(config.log.pseudonym_secret)) {
    common::write_file_atomically(config.log.pseudonym_secret, crypto::random_hex(32) + "\n", true);
  }
  const auto population = population_file(config);
  if (adapters::population::ensure_population_file(population, config.demo.seed, config.demo.population)) {
    oplog::write(oplog::Level::info, "sample_population_generated",
                 {{"people", static_cast<std::uint64_t>(config.demo.population)}, {"file", population.string()}});
  }
}

std::vector<datacockpit::DemoPerson> demo_people(const config::GatewayConfig& config, std::size_t count) {
  std::vector<datacockpit::DemoPerson> out;
  const auto population = population_file(config);
  if (!std::filesystem::exists(population)) return out;
  const auto people = adapters::population::read_tsv(population);
  for (std::size_t i = 0; i < people.size() && i < count; ++i) {
    const auto& p = people[i];
    out.push_back({p.idnr, p.vornamen + " " + p.familienname + ", geb. " + p.geburtsdatum + ", " + p.wohnort});
  }
  return out;
}

SampleRegister::SampleRegister(const config::GatewayConfig& config) : configured_port_(config.demo.sample_register_port) {
  if (!config.demo.sample_register) return;
  adapters::sample_register::SampleRegisterServer::Options o;
  o.kind = adapters::sample_register::parse_document_kind(config.demo.sample_register_kind);
  o.population = population_file(config);
  o.region = config.demo.sample_register_region;
  o.port = config.demo.sample_register_port;
  o.certificate = (config.data_dir / "demo" / "server.pem").string();
  o.private_key = (config.data_dir / "demo" / "server.key").string();
  o.io_threads = 1;
  try {
    server_ = std::make_unique<adapters::sample_register::SampleRegisterServer>(o);
  } catch (const std::exception& failure) {
    // The server's own advice names a listener setting; for the demo register it is this one.
    std::string reason = failure.what();
    if (const auto advice = reason.find(" ("); advice != std::string::npos) reason.resize(advice);
    throw std::runtime_error("the demo's sample register server: " + reason +
                             " (stop what uses the port, or set demo.sample_register_port in a configuration "
                             "file, 0 for any free port, and start with --config)");
  }
  server_->start();
  oplog::write(oplog::Level::info, "sample_register_started",
               {{"kind", config.demo.sample_register_kind}, {"region", config.demo.sample_register_region},
                {"port", static_cast<int>(server_->port())}});
}

SampleRegister::~SampleRegister() { shutdown(); }

void SampleRegister::point_adapters_to_it(config::GatewayConfig& config) const {
  if (!server_) return;
  const std::string configured = "https://127.0.0.1:" + std::to_string(configured_port_);
  const std::string actual = "https://127.0.0.1:" + std::to_string(server_->port());
  for (auto& a : config.adapters) {
    if (auto url = a.settings.find("url"); url != a.settings.end() && url->second == configured) url->second = actual;
  }
}

void SampleRegister::shutdown() {
  if (server_) server_->shutdown();
}

}  // namespace oncegate::demo
