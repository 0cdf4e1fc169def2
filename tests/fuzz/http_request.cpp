// libFuzzer: the HTTP request path the server runs: the bounded parser (request line, headers,
// framing rules, chunked bodies, trailers) fed in pieces, as the network delivers them.
#include <cstdint>
#include <string_view>

#include <boost/asio/buffer.hpp>

#include "gateway/net/bounded_parser.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // The first byte picks the piece size, so that splits inside tokens are tried too.
  const std::size_t piece = 1 + data[0] % 64;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  oncegate::net::BoundedRequestParser parser(4096);
  parser.header_limit(8192);
  parser.body_limit(65536);
  parser.eager(true);
  std::string pending;
  while (!input.empty() && !parser.is_done()) {
    const auto take = input.substr(0, piece);
    input.remove_prefix(take.size());
    pending.append(take);
    boost::system::error_code ec;
    const std::size_t used = parser.put(boost::asio::buffer(pending), ec);
    if (ec == boost::beast::http::error::need_more) {
      pending.erase(0, used);
      continue;
    }
    if (ec) return 0;  // refused: the session answers the failure and closes
    pending.erase(0, used);
  }
  if (parser.is_done()) {
    const auto& message = parser.get();
    if (message.body().size() > 65536) __builtin_trap();  // the body limit held
  }
  return 0;
}
