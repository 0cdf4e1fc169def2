// Writes the generated part of the fuzzers' seed corpora (scripts/fuzz.sh adds the reference
// messages and configuration files): a signed national request, register query and answers,
// HTTP requests with chunked bodies and trailers, an ID token in the right shape.
#include <filesystem>
#include <fstream>
#include <iostream>

#include "gateway/common/bytes.hpp"
#include "gateway/crypto/certificates.hpp"
#include "gateway/crypto/crypto.hpp"
#include "gateway/crypto/ed25519.hpp"
#include "gateway/crypto/es256.hpp"
#include "gateway/message/codec.hpp"
#include "gateway/message/dsc/dsc.hpp"
#include "gateway/message/register_protocol.hpp"
#include "gateway/message/signature.hpp"
#include "gateway/tlog/checkpoint.hpp"
#include "gateway/tlog/note.hpp"

namespace fs = std::filesystem;

namespace {
void put(const fs::path& dir, const std::string& name, const std::string& bytes) {
  fs::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary) << bytes;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: fuzz_seeds <corpus root>\n";
    return 2;
  }
  const fs::path root = argv[1];
  using namespace oncegate;
  const auto codec = message::MessageCodec::open({});
  message::EvidenceRequest request;
  request.kopf.nachrichten_uuid = crypto::new_uuid();
  request.kopf.nachrichtentyp = "nachweis.anfrage.0101";
  request.kopf.erstellungszeitpunkt = "2026-12-01T12:00:00Z";
  request.kopf.autor = {"dvdv", "psw:01003110", "Bürgeramt"};
  request.kopf.leser = {"dvdv", "psw:99000001", ""};
  request.idnr = "86095742719";
  request.nachweistyp = "geburtsurkunde";
  request.zweck = "leistungsgewaehrung";
  request.rechtsgrundlage = "IDNrG § 6 Abs. 2";
  const std::string unsigned_request = codec->write_request(request);
  crypto::CertificateRequest who;
  who.common_name = "seed signer";
  who.role = crypto::CertificateRole::signing;
  const auto pair = crypto::issue_certificate(who, nullptr);
  const std::string signed_request = message::XmlSigningKey::load(pair.private_key_pem, pair.certificate_pem)->sign(unsigned_request);
  put(root / "national_decode", "unsigned.xml", unsigned_request);
  put(root / "national_decode", "signed.xml", signed_request);
  {
    const auto dsc = message::dsc::DscCodec::open();
    message::dsc::DscRequest d;
    d.request_uuid = crypto::new_uuid();
    d.created = "2026-12-01T12:00:00Z";
    d.sender = "psw:00001000";
    d.idnr = "86095742719";
    d.from_date = "2026-01-01";
    d.to_date = "2026-12-31";
    d.limit = 20;
    d.before = 1234;
    put(root / "dsc_decode", "request.xml", dsc->write_request(d));
    message::dsc::DscAnswer a;
    a.answer_uuid = crypto::new_uuid();
    a.created = "2026-12-01T12:00:01Z";
    a.sender = "psw:99000001";
    a.request_uuid = d.request_uuid;
    a.request_digest = "AAAA";
    message::dsc::DscAnswer::Log log;
    log.origin = "oncegate.test/log";
    log.vkey = "oncegate.test/log+01234567+AQ==";
    log.checkpoints[3] = "oncegate.test/log\n3\nAAAA\n\n— oncegate.test/log AAAA\n";
    a.logs.push_back(log);
    message::dsc::DscEntry e;
    e.number = 2;
    e.time_ms = 1'764'590'400'000;
    e.requester = "psw:01003110";
    e.requester_name = "Bürgeramt";
    e.outcome = "delivered";
    e.data_fields = {"familienname"};
    e.proof = message::dsc::DscProof{"{}", std::string(64, 'a'), "01" + std::string(64, 'b'), 3, {std::string(64, 'c')}};
    a.entries.push_back(e);
    a.withheld.emplace_back("§ 161 StPO", 1);
    put(root / "dsc_decode", "answer.xml", dsc->write_answer(a));
    // A cluster's: a log per node, the entries naming theirs, the cursor, a node that was silent.
    a.logs[0].node = "node-a";
    log.node = "node-b";
    log.origin = "oncegate.test/log/b";
    a.logs.push_back(log);
    a.entries[0].node = "node-b";
    a.continuation = "node-a:end,node-b:2";
    a.missing_nodes.emplace_back("node-c", "no answer within 400 ms");
    put(root / "dsc_decode", "cluster-answer.xml", dsc->write_answer(a));
    d.before.reset();
    d.continuation = a.continuation;
    put(root / "dsc_decode", "cluster-request.xml", dsc->write_request(d));
  }
  put(root / "signature", "signed.xml", signed_request);

  adapters::EvidenceQuery query{"86095742719", "geburtsurkunde", "03", crypto::new_uuid(), "corr", {}};
  put(root / "register_protocol", "query.xml", message::write_register_query(query));
  adapters::FetchResult found{adapters::FetchStatus::found, {"geburtsurkunde", {{"familienname", "Müller"}, {"vornamen", "Anna"}}}, ""};
  put(root / "register_protocol", "found.xml", message::write_register_answer(found, query.request_uuid));
  put(root / "register_protocol", "not_found.xml",
      message::write_register_answer(adapters::FetchResult{adapters::FetchStatus::not_found, {}, ""}, query.request_uuid));

  // The first byte is the piece size the harness feeds the parser.
  put(root / "http_request", "post.txt",
      std::string("\x07") + "POST /v1/nachweis HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/xml\r\nContent-Length: 5\r\n\r\n<a/>\n");
  put(root / "http_request", "chunked.txt",
      std::string("\x03") + "POST /v1/oots/query HTTP/1.1\r\nHost: g\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n<a/>\r\n0\r\nX-T: 1\r\n\r\n");
  put(root / "http_request", "expect.txt",
      std::string("\x20") + "POST /x HTTP/1.1\r\nHost: g\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n");
  put(root / "http_request", "get.txt", std::string("\x01") + "GET /healthz HTTP/1.0\r\n\r\n");

  const auto key = crypto::Es256PrivateKey::generate();
  const std::string header = common::base64url_encode(R"({"alg":"ES256","kid":"fuzz","typ":"JWT"})");
  const std::string claims = common::base64url_encode(
      R"({"iss":"https://idp","aud":"oncegate-datencockpit","sub":"s","idnr":"86095742719","acr":"hoch","nonce":"fuzz-nonce","iat":1764590400,"exp":4102444800})");
  const std::string input = header + "." + claims;
  put(root / "id_token", "token.txt",
      input + "." + common::base64url_encode(crypto::Es256PrivateKey::from_pem(key.private_key_pem).sign(input)));

  // A checkpoint signed with the witness harness's fixed log key, its add-checkpoint body, a
  // vkey and tile paths.
  const auto log_key = crypto::Ed25519Key::from_pem(
      "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIBF0ekAjC8uCXzVAExgvd9ZsqpxXt1SRWvDFDgHz2Qax\n-----END PRIVATE KEY-----\n");
  for (const std::uint64_t size : {1u, 2u, 300u}) {
    const tlog::Checkpoint checkpoint{"fuzz.example/log", size, crypto::sha256(std::to_string(size))};
    const std::string note =
        tlog::Note{checkpoint.text(), {tlog::sign_note_text(checkpoint.text(), "fuzz.example/log", log_key)}}.serialise();
    put(root / "tlog", "checkpoint-" + std::to_string(size) + ".txt", note);
    put(root / "witness", "from-zero-" + std::to_string(size) + ".txt", "old 0\n\n" + note);
    put(root / "witness", "proof-" + std::to_string(size) + ".txt",
        "old 1\n" + common::base64_encode(crypto::sha256("x")) + "\n\n" + note);
  }
  put(root / "tlog", "vkey.txt", tlog::VerifierKey{"fuzz.example/log", tlog::kEd25519, log_key.public_key()}.vkey());
  put(root / "tlog", "tile.txt", "tile/1/x001/x234/067.p/5");
  put(root / "tlog", "entries.txt", "tile/entries/000");
  return 0;
}
