#pragma once
// Byte encodings, written once for the whole gateway: hex (lower case), base64 and base64url
// (RFC 4648). Pure functions of the standard library; thread-safe.

#include <optional>
#include <string>
#include <string_view>

namespace oncegate::common {

[[nodiscard]] std::string to_hex(std::string_view bytes);
// nullopt unless `hex` has an even length and only hex digits (either case).
[[nodiscard]] std::optional<std::string> from_hex(std::string_view hex);

// With '=' padding.
[[nodiscard]] std::string base64_encode(std::string_view bytes);
// Accepts padded input only; nullopt on any other character or a wrong length.
[[nodiscard]] std::optional<std::string> base64_decode(std::string_view text);

// URL-safe alphabet, without padding (JWS, JWK).
[[nodiscard]] std::string base64url_encode(std::string_view bytes);
// Unpadded input only (as JWS requires); nullopt on '=' or any other character.
[[nodiscard]] std::optional<std::string> base64url_decode(std::string_view text);

// 8-4-4-4-12 hexadecimal digits (either case), the text form of a UUID; no version check.
[[nodiscard]] bool is_uuid_text(std::string_view text) noexcept;

}  // namespace oncegate::common
