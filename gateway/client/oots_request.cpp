#include "gateway/client/oots_request.hpp"

#include <cctype>
#include <chrono>
#include <iostream>
#include <stdexcept>

#include "gateway/common/bytes.hpp"
#include "gateway/common/files.hpp"
#include "gateway/common/time.hpp"
#include "gateway/crypto/crypto.hpp"
#include "gateway/crypto/es256.hpp"
#include "gateway/message/edm/edm.hpp"
#include "gateway/net/multipart.hpp"

namespace oncegate::client {

namespace {

bool is_envelope(const std::string& request) { return request.find("retrieveMessageResponse") != std::string::npos; }

std::string freshen_query(std::string query, std::chrono::system_clock::time_point issued) {
  // The root element's id attribute (the first attribute named exactly "id" after its name).
  const auto root = query.find("QueryRequest");
  std::size_t id = root;
  while (id != std::string::npos) {
    id = query.find("id=\"", id + 1);
    if (id != std::string::npos && std::isspace(static_cast<unsigned char>(query[id - 1])) != 0) break;
  }
  if (root == std::string::npos || id == std::string::npos) throw std::runtime_error("the request has no QueryRequest id");
  const auto value = id + 4;
  query.replace(value, query.find('"', value) - value, "urn:uuid:" + crypto::new_uuid());
  // The IssueDateTime slot's value, whatever the prefix.
  const auto slot = query.find("\"IssueDateTime\"");
  const auto open = slot == std::string::npos ? slot : query.find("Value>", slot);
  if (open == std::string::npos) throw std::runtime_error("the request has no IssueDateTime slot");
  const auto text = open + 6;
  query.replace(text, query.find('<', text) - text, common::utc_text(issued));
  return query;
}

const std::string* header(const HttpReply& reply, std::string_view name) {
  for (const auto& [key, value] : reply.headers) {
    if (key.size() == name.size() &&
        std::equal(key.begin(), key.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
        })) {
      return &value;
    }
  }
  return nullptr;
}

// The requestId the request carries (the root element's id).
std::string request_id_of(const std::string& query) {
  const auto at = query.find("urn:uuid:", query.find("QueryRequest"));
  return at == std::string::npos ? std::string() : query.substr(at, 9 + 36);
}

// Where the envelope's base64 payload (the QueryRequest) stands: [begin, end).
std::pair<std::size_t, std::size_t> payload_span(const std::string& envelope) {
  const auto open = envelope.find("<value>");
  const auto close = open == std::string::npos ? open : envelope.find("</value>", open);
  if (close == std::string::npos) throw std::runtime_error("the envelope has no payload value");
  return {open + 7, close};
}

// The QueryRequest itself: the request, or the envelope's decoded payload.
std::string query_of(const std::string& request) {
  if (!is_envelope(request)) return request;
  const auto [begin, end] = payload_span(request);
  auto payload = common::base64_decode(request.substr(begin, end - begin));
  if (!payload) throw std::runtime_error("the envelope's payload is not base64");
  return std::move(*payload);
}

}  // namespace

std::string freshen_oots_request(const std::string& request, std::chrono::system_clock::time_point issued) {
  if (!is_envelope(request)) return freshen_query(request, issued);
  const auto [begin, end] = payload_span(request);
  return request.substr(0, begin) + common::base64_encode(freshen_query(query_of(request), issued)) +
         request.substr(end);
}

int send_oots_request(HttpsClient& client, const OotsRequestOptions& options) {
  std::string request = common::read_file(options.file, "OOTS request");
  if (options.fresh) request = freshen_oots_request(request);
  const std::string sent_id = request_id_of(query_of(request));
  const auto reply = client.request("POST", "/v1/oots/query", request,
                                    is_envelope(request) ? "application/soap+xml" : "application/x-ebrs+xml");
  // The detached JWS over the exact bytes received, by one of the gateway's certificates.
  const std::string* jws = header(reply, "X-JWS-Signature");
  bool verified = false;
  for (const auto& file : options.gateway_certs) {
    if (jws == nullptr) break;
    const auto key = crypto::Es256PublicKey::from_certificate_pem(common::read_file(file, "gateway certificate"));
    verified = verified || crypto::verify_detached_jws(key, *jws, reply.body);
  }
  if (!verified) {
    std::cerr << "oncegate-client: HTTP " << reply.status << ", the answer's detached JWS "
              << (jws == nullptr ? "is missing" : "does not verify with the gateway certificate") << "\n";
    if (!options.quiet) std::cerr << reply.body << "\n";
    return 1;
  }
  std::string response = reply.body;
  std::string evidence_type;
  if (const auto parts = net::read_multipart(reply.body, reply.content_type)) {
    if (parts->size() != 2) {
      std::cerr << "oncegate-client: the answer has " << parts->size() << " parts, not the response and the evidence\n";
      return 1;
    }
    response = parts->at(0).body;
    evidence_type = parts->at(1).content_type;
  }
  const auto reading = message::edm::read_response(response);
  if (!reading.valid) {
    std::cerr << "oncegate-client: HTTP " << reply.status << ", the answer is no QueryResponse: " << reading.problem << "\n";
    return 1;
  }
  if (!reading.request_id.empty() && reading.request_id != sent_id) {
    std::cerr << "oncegate-client: the answer names request " << reading.request_id << ", not " << sent_id << "\n";
    return 1;
  }
  if (!options.quiet) std::cout << reply.body << "\n";
  if (!reading.success) {
    std::cout << "HTTP " << reply.status << " " << reading.specification << " error " << reading.error_code << ": "
              << reading.error_detail << " (JWS verified)\n";
    return 3;
  }
  std::cout << "HTTP " << reply.status << " " << reading.specification << " QueryResponse with evidence ("
            << evidence_type << ") for request " << sent_id
            << " (detached JWS verified with the gateway certificate, requestId matches; " << client.tls_version() << ")\n";
  return 0;
}

}  // namespace oncegate::client
