// libFuzzer: the Datenschutzcockpit's request decode (safe parse, markup limits, its schema, the
// period and page) and the answer reader the DSC side uses.
#include <cstdint>
#include <string_view>

#include "gateway/message/dsc/dsc.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto codec = oncegate::message::dsc::DscCodec::open();
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto result = codec->decode(input);
  if (result.request && (!result.document || result.request->limit == 0 || result.request->limit > 100)) __builtin_trap();
  (void)codec->read_answer(input);
  return 0;
}
