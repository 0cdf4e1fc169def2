// libFuzzer: the TOML configuration reader (strict keys, types, ranges).
#include <cstdint>
#include <string_view>

#include "gateway/config/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    (void)oncegate::config::parse_config(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.toml");
  } catch (const oncegate::config::ConfigError&) {
    // the documented refusal
  }
  return 0;
}
