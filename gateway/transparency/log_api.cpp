#include "gateway/transparency/log_api.hpp"

#include "gateway/common/bytes.hpp"
#include "gateway/crypto/crypto.hpp"
#include "gateway/tlog/checkpoint.hpp"

namespace oncegate::transparency {

namespace {

net::HttpResponse text(unsigned status, std::string body) {
  net::HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  response.headers.emplace_back("Cache-Control", "no-store");
  return response;
}

net::HttpResponse mutable_text(std::string body) {
  net::HttpResponse response;
  response.body = std::move(body);
  // The checkpoint changes about every second: clients may reuse it briefly, never for long.
  response.headers.emplace_back("Cache-Control", "public, max-age=1");
  return response;
}

}  // namespace

net::HttpResponse serve_log_path(const log::TransferLog& log, std::string_view path, std::string_view if_none_match) {
  if (path == "checkpoint") {
    const auto head = log.latest_cosigned_head();
    if (!head || !head->is_checkpoint()) return text(404, "no checkpoint yet that the witness policy accepts\n");
    return mutable_text(head->checkpoint);
  }
  if (path == "vkey") return mutable_text(log.identity().verifier().vkey() + "\n");
  if (path == "witnesses") {
    std::string body = "quorum " + std::to_string(log.witness_policy().quorum) + "\n";
    for (const auto& witness : log.witness_policy().witnesses) body += witness.vkey() + "\n";
    return mutable_text(std::move(body));
  }
  if (path == "purge") {
    const auto purges = log.purges();
    for (auto it = purges.rbegin(); it != purges.rend(); ++it) {
      if (!it->note.empty()) return mutable_text(it->note);
    }
    return text(404, "nothing purged yet\n");
  }
  const auto ref = tlog::parse_tile_path(path);
  if (!ref) return text(404, "not a tile of this log (C2SP tlog-tiles paths only)\n");
  if (ref->entries && ref->index * tlog::kTileWidth < log.entries_from()) {
    return text(404, "entries before " + std::to_string(log.entries_from()) +
                         " were written before commitments and are not published (their hash tiles are)\n");
  }
  auto body = log.tile(*ref);
  if (!body) return text(404, "beyond the newest checkpoint\n");
  net::HttpResponse response;
  response.content_type = "application/octet-stream";
  // The tile's URL is its identity: the same bytes for ever, partial tiles included.
  const std::string etag = "\"" + common::to_hex(crypto::sha256(*body).substr(0, 16)) + "\"";
  response.headers.emplace_back("Cache-Control", "public, max-age=31536000, immutable");
  response.headers.emplace_back("ETag", etag);
  if (if_none_match == etag) {
    response.status = 304;
    return response;
  }
  response.body = std::move(*body);
  return response;
}

void register_log_routes(net::Router& router, const log::TransferLog& log, const std::string& prefix) {
  router.add_prefix("GET", prefix,
                    [&log, prefix](net::HttpRequest request, const net::ConnectionInfo&, boost::asio::any_io_executor,
                                   net::Responder respond) {
                      respond(serve_log_path(log, std::string_view(request.path).substr(prefix.size()),
                                             request.header("if-none-match")));
                    });
}

}  // namespace oncegate::transparency
