#pragma once
// The transfer log published for anyone (C2SP tlog-tiles), read-only, under a prefix
// (default /log/v1/) of its own listener ("log"):
//   checkpoint                    the newest checkpoint the witness policy is satisfied with
//   vkey                          the log's verifier key (signed-note vkey text)
//   witnesses                     "quorum <K>" and the witnesses' vkeys, one a line
//   purge                         the newest purge statement (signed note), 404 before the first
//   tile/<L>/<N>[.p/<W>]          hash tiles
//   tile/entries/<N>[.p/<W>]      entry bundles: commitments only, never records
// Tiles and bundles are immutable (cached for a year, with an ETag); the checkpoint for a second.
// Nothing here is personal: entries are salted commitments (docs/TRANSPARENCY.md).
//
// Thread safety: handlers run on any I/O thread; the log is thread-safe.

#include <string>

#include "gateway/log/transfer_log.hpp"
#include "gateway/net/http.hpp"

namespace oncegate::transparency {

inline constexpr const char* kLogPrefix = "/log/v1/";

// The answer to one GET under the prefix (`path` after it, e.g. "tile/0/000.p/5"); pure
// function of the log's state, for the router and the benchmarks.
[[nodiscard]] net::HttpResponse serve_log_path(const log::TransferLog& log, std::string_view path,
                                               std::string_view if_none_match);

// Registers GET <prefix>* on the router.
void register_log_routes(net::Router& router, const log::TransferLog& log, const std::string& prefix = kLogPrefix);

}  // namespace oncegate::transparency
