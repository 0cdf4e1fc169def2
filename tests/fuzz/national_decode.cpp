// libFuzzer: the national request decode (safe parse, markup limits, schema, field checks).
#include <cstdint>
#include <string_view>

#include "gateway/message/codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto codec = oncegate::message::MessageCodec::open({});
  const auto result = codec->decode_request(std::string_view(reinterpret_cast<const char*>(data), size));
  // The decoded view must be consistent with the verdict.
  if (result.ok() && !result.request) __builtin_trap();
  return 0;
}
