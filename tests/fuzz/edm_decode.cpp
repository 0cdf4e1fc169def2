// libFuzzer: the EDM decode, both versions, bare and in the Domibus envelope (first byte decides).
#include <cstdint>
#include <string_view>

#include "gateway/message/edm/edm.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto codec = oncegate::message::edm::EdmCodec::open();
  if (size == 0) return 0;
  const bool envelope = (data[0] & 1) != 0;
  const auto result = codec->decode(std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1), envelope);
  if (result.ok() != result.request.has_value()) __builtin_trap();
  return 0;
}
