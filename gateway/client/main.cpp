// oncegate-client: sends one evidence request as an authority's Fachverfahren would, checks the
// answer against the message schema and its binding to the request, and prints it. With --oots,
// sends an OOTS QueryRequest as an access point would (client/oots_request).

#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <regex>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "gateway/client/https_client.hpp"
#include "gateway/client/oots_request.hpp"
#include "gateway/common/files.hpp"
#include "gateway/common/time.hpp"
#include "gateway/demo/pki.hpp"
#include "gateway/crypto/crypto.hpp"
#include "gateway/message/codec.hpp"
#include "gateway/message/dsc/dsc.hpp"
#include "gateway/message/signature.hpp"

namespace {

using oncegate::common::read_file;

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"oncegate-client: send a signed evidence request and print the verified answer"};
  oncegate::message::EvidenceRequest request;
  std::string data_dir = "./var";
  std::string host = "127.0.0.1";
  unsigned port = 0;
  std::string ca_file;
  std::string key_file;
  std::string cert_file;
  std::vector<std::string> gateway_cert_files;
  bool published_gateway_certs = false;
  bool quiet = false;
  request.zweck = "leistungsgewaehrung";
  request.rechtsgrundlage = "IDNrG § 6 Abs. 2";
  request.kopf.autor = {"dvdv", "psw:01003110", ""};
  request.kopf.leser = {"dvdv", "psw:99000001", ""};

  oncegate::client::OotsRequestOptions oots;
  bool keep_as_is = false;
  cli.add_option("--idnr", request.idnr, "IDNr of the person (11 digits)");
  cli.add_option("--type", request.nachweistyp, "Evidence type, e.g. geburtsurkunde, meldebescheinigung");
  cli.add_option("--oots", oots.file,
                 "Send this OOTS QueryRequest file (bare or a Domibus retrieveMessageResponse) to /v1/oots/query "
                 "as the access point (default --as oots:ap-de-demo)");
  cli.add_flag("--as-is", keep_as_is, "With --oots: send the file unchanged (default: a new request id and IssueDateTime)");
  cli.add_option("--purpose", request.zweck, "Purpose code")->capture_default_str();
  cli.add_option("--legal-basis", request.rechtsgrundlage, "Legal basis")->capture_default_str();
  cli.add_option("--region", request.regionalschluessel,
                 "Regionalschlüssel (prefix) of the person's municipality, for registers split by region");
  cli.add_option("--as", request.kopf.autor.kennung, "Requesting authority (directory-service key)")->capture_default_str();
  cli.add_option("--leser", request.kopf.leser.kennung,
                 "The gateway's kennung as nachrichtenkopf/leser (its GET /v1/catalogue says it)")->capture_default_str();
  cli.add_option("--data-dir", data_dir, "Gateway data directory (for ports.json and the demo CA)")->capture_default_str();
  cli.add_option("--host", host, "Gateway host")->capture_default_str();
  std::string bind_address;
  cli.add_option("--bind", bind_address, "Local address to connect from (e.g. 127.0.0.2)");
  cli.add_option("--port", port, "Gateway evidence port (default: from <data-dir>/ports.json)");
  cli.add_option("--ca", ca_file, "CA file to verify the gateway (default: <data-dir>/demo/ca.pem)");
  cli.add_option("--key", key_file, "Authority private key for TLS and signing (default: demo key of --as)");
  cli.add_option("--cert", cert_file, "Authority certificate (default: demo certificate of --as)");
  cli.add_flag("--published-gateway-certs", published_gateway_certs,
               "Also trust the signing certificates the gateway publishes (GET /v1/signing-certificates), "
               "fetched over the verified TLS connection (after a key rotation)");
  cli.add_option("--gateway-cert", gateway_cert_files,
                 "Certificate the answer's signature may verify with; repeatable (default: "
                 "<data-dir>/demo/gateway-signing.pem)");
  cli.add_flag("--quiet", quiet, "Print only the outcome line");
  bool print_request = false;
  cli.add_flag("--print-request", print_request,
               "Print the signed request (national, or with --dsc the DSC request) to stdout exactly as it would be "
               "sent, and exit without sending (no gateway needed)");
  bool dsc = false;
  oncegate::message::dsc::DscRequest dsc_request;
  std::uint64_t dsc_before = 0;
  cli.add_flag("--dsc", dsc,
               "As the national Datenschutzcockpit (default --as psw:00001000): ask POST /v1/dsc/protokolldaten for "
               "the protocol data of --idnr");
  cli.add_option("--from", dsc_request.from_date, "With --dsc: the period's first day (YYYY-MM-DD)");
  cli.add_option("--to", dsc_request.to_date, "With --dsc: the period's last day (YYYY-MM-DD)");
  cli.add_option("--page-size", dsc_request.limit, "With --dsc: entries per page (1..100)")->capture_default_str();
  cli.add_option("--before", dsc_before, "With --dsc: entries older than this log entry number (the answer's naechsteSeiteVor)");
  cli.add_option("--continue", dsc_request.continuation,
                 "With --dsc at a cluster: the next page (the answer's fortsetzung, a cursor over the nodes)");
  CLI11_PARSE(cli, argc, argv);
  if (oots.file.empty() && (request.idnr.empty() || (request.nachweistyp.empty() && !dsc))) {
    std::fprintf(stderr, "oncegate-client: give --idnr and --type (a national request), --idnr and --dsc, or --oots FILE\n");
    return 2;
  }
  if (dsc && cli.count("--as") == 0) request.kopf.autor.kennung = "psw:00001000";
  if (!oots.file.empty() && cli.count("--as") == 0) request.kopf.autor.kennung = "oots:ap-de-demo";

  if (ca_file.empty()) ca_file = data_dir + "/demo/ca.pem";
  if (key_file.empty()) key_file = oncegate::demo::authority_key_file(data_dir + "/demo", request.kopf.autor.kennung).string();
  if (cert_file.empty()) {
    cert_file = oncegate::demo::authority_certificate_file(data_dir + "/demo", request.kopf.autor.kennung).string();
  }
  if (gateway_cert_files.empty()) gateway_cert_files.push_back(data_dir + "/demo/gateway-signing.pem");
  // The two request kinds this client writes itself: a fresh id and time each.
  const auto signed_dsc_request = [&](const oncegate::message::XmlSigningKey& signer,
                                      const oncegate::message::dsc::DscCodec& dsc_codec) {
    dsc_request.request_uuid = oncegate::crypto::new_uuid();
    dsc_request.created = oncegate::common::utc_text(std::chrono::system_clock::now());
    dsc_request.sender = request.kopf.autor.kennung;
    dsc_request.idnr = request.idnr;
    if (cli.count("--before") > 0) dsc_request.before = dsc_before;
    return signer.sign(dsc_codec.write_request(dsc_request));
  };
  const auto signed_national_request = [&](const oncegate::message::XmlSigningKey& signer,
                                           const oncegate::message::MessageCodec& codec) {
    request.kopf.nachrichten_uuid = oncegate::crypto::new_uuid();
    return signer.sign(codec.write_request(request));
  };
  if (print_request) {
    if (!oots.file.empty()) {
      std::fprintf(stderr, "oncegate-client: --print-request shows national and DSC requests; an OOTS request is the file given\n");
      return 2;
    }
    try {
      const auto signer =
          oncegate::message::XmlSigningKey::load(read_file(key_file, "key"), read_file(cert_file, "certificate"));
      std::cout << (dsc ? signed_dsc_request(*signer, *oncegate::message::dsc::DscCodec::open())
                        : signed_national_request(*signer, *oncegate::message::MessageCodec::open({})));
      std::cout.flush();
      return 0;
    } catch (const std::exception& error) {
      std::fprintf(stderr, "oncegate-client: %s\n", error.what());
      return 1;
    }
  }
  if (port == 0) port = oncegate::client::listener_port_from_ports_file(data_dir, "evidence");
  if (port == 0) {
    std::fprintf(stderr, "oncegate-client: no --port and no %s/ports.json: is the gateway running?\n", data_dir.c_str());
    return 2;
  }
  try {
    if (!oots.file.empty()) {
      oots.fresh = !keep_as_is;
      oots.gateway_certs = gateway_cert_files;
      oots.quiet = quiet;
      oncegate::client::HttpsClient client(host, static_cast<std::uint16_t>(port), {ca_file, cert_file, key_file, bind_address});
      return oncegate::client::send_oots_request(client, oots);
    }
    auto codec = oncegate::message::MessageCodec::open({});
    if (dsc) {
      const auto signer = oncegate::message::XmlSigningKey::load(read_file(key_file, "key"), read_file(cert_file, "certificate"));
      oncegate::message::XmlVerificationKeys gateway_keys;
      for (const auto& file : gateway_cert_files) gateway_keys.add(read_file(file, "gateway certificate"));
      const auto dsc_codec = oncegate::message::dsc::DscCodec::open();
      const std::string body = signed_dsc_request(*signer, *dsc_codec);
      oncegate::client::HttpsClient client(host, static_cast<std::uint16_t>(port), {ca_file, cert_file, key_file, bind_address});
      const auto start = std::chrono::steady_clock::now();
      const auto reply = client.request("POST", "/v1/dsc/protokolldaten", body, "application/xml");
      const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
      const auto signature = oncegate::message::verify_enveloped_signature(reply.body, gateway_keys, std::time(nullptr));
      if (!signature.valid) {
        std::fprintf(stderr, "oncegate-client: HTTP %u, the answer's signature does not verify: %s\n", reply.status,
                     signature.problem.c_str());
        return 1;
      }
      if (reply.status != 200) {
        const auto reading = codec->read_answer(reply.body);
        if (!reading.valid) {
          std::fprintf(stderr, "oncegate-client: HTTP %u, the error answer is not valid: %s\n", reply.status, reading.problem.c_str());
          return 1;
        }
        std::cout << "HTTP " << reply.status << " error " << reading.error_code << ": " << reading.error_text
                  << " (signature verified)\n";
        return 3;
      }
      const auto answer = dsc_codec->read_answer(reply.body);
      if (!answer.valid) {
        std::fprintf(stderr, "oncegate-client: the answer is not a valid protokolldatenAntwort: %s\n", answer.problem.c_str());
        return 1;
      }
      if (answer.request_uuid != dsc_request.request_uuid || answer.request_digest != oncegate::crypto::sha256_base64(body)) {
        std::fprintf(stderr, "oncegate-client: the answer does not name this request\n");
        return 1;
      }
      if (!quiet) {
        for (const auto& e : answer.entries) {
          std::cout << (e.node.empty() ? std::string() : e.node + " ") << e.number << "  " << e.time << "  " << e.requester << " (" << e.requester_kennung << ")  "
                    << e.evidence_type << "  " << e.outcome << (e.proven ? "  [proof]" : "  [proof pending]") << "\n";
        }
      }
      std::cout << "HTTP 200 protokolldaten: " << answer.entries.size() << " entries"
                << (answer.next_before ? " (older ones: --before " + std::to_string(*answer.next_before) + ")" : std::string())
                << (answer.continuation.empty() ? std::string() : " (older ones: --continue " + answer.continuation + ")")
                << ", " << answer.withheld << " withheld, proofs against " << answer.checkpoints << " checkpoint(s) of "
                << (answer.nodes.empty() ? answer.log_origin : std::to_string(answer.nodes.size()) + " nodes' logs")
                << "; signature verified, valid against the schema, bound to the request; " << static_cast<long>(ms) << " ms\n";
      for (const auto& node : answer.missing_nodes) std::cout << "not in this answer (did not answer in time): " << node << "\n";
      return 0;
    }
    const auto signer = oncegate::message::XmlSigningKey::load(read_file(key_file, "key"), read_file(cert_file, "certificate"));
    oncegate::message::XmlVerificationKeys gateway_keys;
    for (const auto& file : gateway_cert_files) gateway_keys.add(read_file(file, "gateway certificate"));
    const std::string body = signed_national_request(*signer, *codec);
    oncegate::client::HttpsClient client(host, static_cast<std::uint16_t>(port), {ca_file, cert_file, key_file, bind_address});
    if (published_gateway_certs) {
      const auto published = client.request("GET", "/v1/signing-certificates", "", "application/json");
      boost::system::error_code ec;
      const auto list = boost::json::parse(published.body, ec);
      if (ec || published.status != 200 || !list.is_object() || !list.as_object().contains("certificates")) {
        throw std::runtime_error("the gateway did not publish its signing certificates");
      }
      for (const auto& entry : list.at("certificates").as_array()) {
        gateway_keys.add(std::string(entry.at("certificate").as_string()));
      }
    }
    const auto reply = client.request("POST", "/v1/nachweis", body, "application/xml");
    const auto reading = codec->read_answer(reply.body);
    if (!reading.valid) {
      std::fprintf(stderr, "oncegate-client: HTTP %u, the answer is not a valid message: %s\n", reply.status,
                   reading.problem.c_str());
      return 1;
    }
    const auto signature = oncegate::message::verify_enveloped_signature(reply.body, gateway_keys, std::time(nullptr));
    if (!signature.valid) {
      std::fprintf(stderr, "oncegate-client: HTTP %u, the answer's signature does not verify: %s\n", reply.status,
                   signature.problem.c_str());
      if (!published_gateway_certs) {
        std::fprintf(stderr,
                     "oncegate-client: if the gateway's signing key was rotated, name its new certificate with "
                     "--gateway-cert or use --published-gateway-certs\n");
      }
      if (!quiet) std::cerr << reply.body << "\n";
      return 1;
    }
    const std::string& sent_uuid = request.kopf.nachrichten_uuid;
    const std::string digest = oncegate::crypto::sha256_base64(body);
    // An answer must name this request: by the digest of the bytes sent and by the UUID. An error
    // answer may lack the UUID (the gateway could not read it) or both (refused from the HTTP
    // header, before the body was read).
    const bool digest_ok = reading.request_digest.empty() ? reading.is_error && reading.request_uuid.empty()
                                                          : reading.request_digest == digest;
    const bool uuid_ok = reading.request_uuid.empty() ? reading.is_error : reading.request_uuid == sent_uuid;
    if (!digest_ok || !uuid_ok) {
      std::fprintf(stderr, "oncegate-client: the answer does not name this request (%s mismatch)\n",
                   digest_ok ? "UUID" : "digest");
      return 1;
    }
    if (!quiet) std::cout << reply.body << "\n";
    if (reading.is_error) {
      std::cout << "HTTP " << reply.status << " error " << reading.error_code << ": " << reading.error_text
                << " (signature verified)\n";
      return 3;
    }
    std::cout << "HTTP " << reply.status << " " << reading.nachweistyp << " from " << reading.register_name
              << " (answer signature verified with the gateway certificate, valid against the schema, bound to request "
              << sent_uuid << " by its SHA-256 digest; " << client.tls_version() << ")\n";
    return 0;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "oncegate-client: %s\n", error.what());
    return 1;
  }
}
