#pragma once
// The Datencockpit's server side: sessions from verified ID tokens, the citizen's transfers from
// the transfer log (newest first, filters, paging), a transfer's inclusion proof, the static page,
// and the demo identity provider when configured. Registers its routes under /cockpit/.
//
// The pseudonym that selects the transfers is derived from the verified token only, never from
// a request parameter. Thread safety: all handlers may run concurrently.

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <memory>
#include <string>
#include <vector>

#include "datacockpit/demo_idp.hpp"
#include "datacockpit/id_token.hpp"
#include "gateway/log/transfer_log.hpp"
#include "gateway/net/http.hpp"

namespace oncegate::datacockpit {

struct DemoPerson {
  std::string idnr;
  std::string display_name;  // shown on the demo IdP's login page
};

struct CockpitOptions {
  IdTokenPolicy policy;
  std::string jwks_json;                   // the IdP's public keys
  std::string pseudonym_secret;            // the transfer log's HMAC secret
  std::chrono::seconds session_ttl{900};   // default 15 minutes
  std::map<std::string, std::string> authority_names;  // kennung -> name
  // When set, asked per request instead of the field above, so that authorities added at runtime
  // show at once. Returns empty when unknown.
  std::function<std::string(const std::string& kennung)> authority_name;
  // Demo identity provider (embedded default only).
  std::shared_ptr<const DemoIdp> demo_idp;
  std::vector<DemoPerson> demo_people;
};

class Cockpit : public std::enable_shared_from_this<Cockpit> {
 public:
  // Issues a checkpoint on demand when a requested transfer is not yet covered by one; the page
  // verifies checkpoints with the log's key and its witnesses' (the log tells them).
  Cockpit(CockpitOptions options, log::TransferLog& log);
  ~Cockpit();

  void register_routes(net::Router& router) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace oncegate::datacockpit
