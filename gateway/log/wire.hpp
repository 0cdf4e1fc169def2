#pragma once
// The log's wire format: the bytes others verify. Records are hashed as their canonical JSON
// (TransferRecord::serialise, transfer_log.hpp); tree heads and purge notes are signed as their
// signed_text() and stored as the JSON below. The browser, oncegate-logverify and any outside
// verifier depend on these bytes: change them only with a new version tag.
//
// Pure functions; thread-safe.

#include <optional>
#include <string>
#include <string_view>

#include "gateway/log/transfer_log.hpp"

namespace oncegate::log {

[[nodiscard]] std::string head_json(const TreeHead& head);
[[nodiscard]] std::optional<TreeHead> parse_head(std::string_view bytes);
[[nodiscard]] std::string purge_json(const PurgeNote& note);
// nullopt for anything but a complete, signed note.
[[nodiscard]] std::optional<PurgeNote> parse_purge(std::string_view bytes);

}  // namespace oncegate::log
