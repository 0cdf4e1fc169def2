#pragma once
// RESP2, the Redis serialization protocol (https://redis.io/docs/reference/protocol-spec/):
// commands written as arrays of bulk strings, replies read incrementally from a byte buffer.
//
// The reader never throws and never trusts a length: bulk strings, arrays and nesting are
// bounded, so a broken or hostile store cannot make the gateway hold more than the bounds.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace oncegate::store {

struct Reply {
  enum class Kind { status, error, integer, bulk, nil, array };
  Kind kind = Kind::nil;
  std::string text;             // status, error and bulk
  std::int64_t integer = 0;     // integer
  std::vector<Reply> elements;  // array

  [[nodiscard]] bool is_ok() const noexcept { return kind == Kind::status && text == "OK"; }
};

// Appends one command (`SET k v NX PX 1000` as {"SET", "k", "v", "NX", "PX", "1000"}) to `out`.
void append_command(std::string& out, const std::vector<std::string_view>& arguments);

struct ReplyLimits {
  std::size_t max_bulk = 1 << 20;      // bytes of one bulk string
  std::size_t max_elements = 4096;     // of one array
  std::size_t max_depth = 4;           // arrays in arrays
};

// The outcome of reading one reply from the front of a buffer.
struct ReadResult {
  enum class Status { complete, incomplete, malformed };
  Status status = Status::incomplete;
  std::size_t consumed = 0;  // bytes of the reply (complete only)
  Reply reply;
};

[[nodiscard]] ReadResult read_reply(std::string_view buffer, const ReplyLimits& limits = {});

}  // namespace oncegate::store
