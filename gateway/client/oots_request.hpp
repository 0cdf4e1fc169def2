#pragma once
// oncegate-client --oots: sends an OOTS QueryRequest (bare, or in the Domibus WS plugin's
// retrieveMessageResponse) as an access point hands it to its backend, and checks the answer: the
// detached JWS over its exact bytes with the gateway's certificates, and its requestId.

#include <chrono>
#include <string>
#include <vector>

#include "gateway/client/https_client.hpp"

namespace oncegate::client {

struct OotsRequestOptions {
  std::string file;                       // the request as an access point delivers it
  bool fresh = true;                      // give it a new request id and IssueDateTime first
  std::vector<std::string> gateway_certs;  // PEM files; the JWS must verify with one of them
  bool quiet = false;                     // print only the outcome line
};

// A new urn:uuid request id (the root element's id) and IssueDateTime (`issued`, default now, UTC),
// inside the envelope's base64 payload too. The reference requests are years old, and freshness
// and replay checks refuse them as they are. Throws std::runtime_error when the request has neither.
[[nodiscard]] std::string freshen_oots_request(
    const std::string& request, std::chrono::system_clock::time_point issued = std::chrono::system_clock::now());

// Returns the process exit code: 0 evidence delivered and verified, 3 an EDM error answer
// (verified), 1 anything that does not verify or cannot be read. Throws ClientError on transport
// failures.
[[nodiscard]] int send_oots_request(HttpsClient& client, const OotsRequestOptions& options);

}  // namespace oncegate::client
