#pragma once
// multipart/related (RFC 2387) as the EU exchange carries an answer and its evidence: written by
// the gateway, read back by the client and the tests. Only what that needs: parts with a media
// type and a Content-ID, binary bodies, no nested multiparts, no transfer decoding.
//
// Pure functions; thread-safe.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace oncegate::net {

struct MimePart {
  std::string content_type;
  std::string content_id;  // without the angle brackets
  std::string body;
};

// The body and the Content-Type header value (type = the first part's media type, start = its
// Content-ID). `boundary` must not occur in any part (a random one does not, in practice).
struct Multipart {
  std::string body;
  std::string content_type;
};
[[nodiscard]] Multipart write_multipart_related(const std::vector<MimePart>& parts, std::string_view boundary);

// The parts of a multipart body whose Content-Type header value is `content_type` (its
// boundary parameter, quoted or not). nullopt when it is no multipart or is malformed.
[[nodiscard]] std::optional<std::vector<MimePart>> read_multipart(std::string_view body, std::string_view content_type);

}  // namespace oncegate::net
