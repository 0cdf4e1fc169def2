// libFuzzer: what a remote register answers (and what a register server reads), parsed.
#include <cstdint>
#include <string_view>

#include "gateway/message/register_protocol.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view xml(reinterpret_cast<const char*>(data), size);
  const auto answer = oncegate::message::parse_register_answer(xml);
  if (answer.ok()) {
    for (const auto& [name, value] : answer.evidence.fields) {
      if (!oncegate::message::is_register_field_name(name)) __builtin_trap();
    }
  }
  (void)oncegate::message::parse_register_query(xml);
  return 0;
}
