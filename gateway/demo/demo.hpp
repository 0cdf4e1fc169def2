#pragma once
// The embedded default's demo material, in one place: made on first start (demo PKI, the demo
// identity provider's key, demo API keys, the pseudonym secret, the generated sample people), the
// sample register server that makes one register remote, and the people the demo IdP offers.
// Nothing here runs unless the configuration asks for it ([demo] generate, sample_register;
// [datacockpit] demo_idp). Thread safety: construct, start and shut down from one thread.

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "datacockpit/demo_idp.hpp"
#include "gateway/config/config.hpp"

namespace oncegate::adapters::sample_register {
class SampleRegisterServer;
}

namespace oncegate::demo {

// Creates what is missing under <data_dir> (demo.generate). Throws std::exception.
void prepare_demo_material(const config::GatewayConfig& config);

// The first sample people, as the demo identity provider lists them.
[[nodiscard]] std::vector<datacockpit::DemoPerson> demo_people(const config::GatewayConfig& config, std::size_t count = 20);

// The sample register server inside the gateway (demo.sample_register): Bremen's Melderegister
// reached over HTTPS the way a real register is.
class SampleRegister {
 public:
  // Starts it when the configuration asks for it; otherwise does nothing. Throws with advice
  // when its port is busy.
  explicit SampleRegister(const config::GatewayConfig& config);
  ~SampleRegister();
  SampleRegister(const SampleRegister&) = delete;
  SampleRegister& operator=(const SampleRegister&) = delete;

  // An adapter url naming the configured port names the server; with port 0 the port it got is
  // put in. Applied to the configuration at start and to every reloaded one.
  void point_adapters_to_it(config::GatewayConfig& config) const;
  void shutdown();

 private:
  std::unique_ptr<adapters::sample_register::SampleRegisterServer> server_;
  std::uint16_t configured_port_ = 0;
};

}  // namespace oncegate::demo
