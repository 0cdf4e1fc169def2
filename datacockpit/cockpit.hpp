#pragma once
// The Datencockpit's server side: sign-in with OpenID Connect (datacockpit/oidc.hpp; the calls to
// the provider on a worker thread of its own), sessions, the citizen's transfers from the transfer
// log (newest first, filters, paging), a transfer's inclusion proof, the static page. Registers its
// routes under /cockpit/.
//
// The pseudonym that selects the transfers comes from the session, which only a verified ID token
// of this sign-in creates; never from a request parameter, header or cookie value chosen by the
// client. Thread safety: all handlers may run concurrently.

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <memory>
#include <string>
#include <vector>

#include "datacockpit/oidc.hpp"
#include "datacockpit/peers.hpp"
#include "gateway/config/config.hpp"
#include "gateway/log/transfer_log.hpp"
#include "gateway/net/http.hpp"
#include "gateway/store/shared_state.hpp"

namespace oncegate::datacockpit {

struct CockpitOptions {
  OidcSettings oidc;
  bool demo_issuer = false;                // the provider is the demo provider on this listener
  std::string pseudonym_secret;            // the transfer log's HMAC secret
  std::chrono::seconds session_ttl{900};   // default 15 minutes; never longer than the ID token
  std::size_t max_sessions = 10'000;       // sessions at once; a sign-in beyond is refused (busy)
  // Where sessions and pending sign-ins live: null keeps them in this process's memory (one node,
  // max_sessions and oidc.max_pending); a cluster passes its shared store, so that a citizen's next
  // request, and the provider's redirect back, may land on any node.
  std::shared_ptr<store::SharedState> shared_state;
  std::map<std::string, std::string> authority_names;  // kennung -> name
  // When set, asked per request instead of the field above, so that authorities added at runtime
  // show at once. Returns empty when unknown.
  std::function<std::string(const std::string& kennung)> authority_name;
  config::CatalogueConfig catalogue;       // the words for the codes (GET /cockpit/api/catalogue)
  unsigned retention_days = 730;           // when entries are deleted, as the page says
  // A cluster's other nodes: the list, the counts, a transfer's proof and a log's checkpoint are
  // asked of every node's log (datacockpit/peers.hpp). Null: this node's log alone.
  std::shared_ptr<PeerClient> peers;
};

class Cockpit : public std::enable_shared_from_this<Cockpit> {
 public:
  // Issues a checkpoint on demand when a requested transfer is not yet covered by one; the page
  // verifies checkpoints with the log's key and its witnesses' (the log tells them).
  Cockpit(CockpitOptions options, log::TransferLog& log);
  ~Cockpit();

  // Citizens reach the cockpit at `origin` (https://host:port): the default redirect URIs and
  // the demo provider's issuer derive from it.
  void listening(const std::string& origin);
  // The gateway's I/O threads have ended: no answer of another node is handed over any more.
  void stop();
  void register_routes(net::Router& router) const;
  // The other nodes' questions (/peer/v1/...), on the peer listener: only from the holders of
  // `node_certificates` (SHA-256 fingerprints), each naming the person by pseudonym.
  void register_peer_routes(net::Router& router, std::set<std::string> node_certificates) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace oncegate::datacockpit
