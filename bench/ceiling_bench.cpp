// The in-process ceiling of one exchange on one core (issue 14): the CPU time of the work no
// gateway can avoid, measured with the process CPU clock (the log writer's thread included):
//   national: decode + schema validation + XML signature verification of a signed request,
//             signing the answer (the gateway's own signer, no re-parse), one log append
//   OOTS:     EDM decode + validation, the detached JWS (ES256) over a typical answer, one log
//             append
// The log append writes the WAL without an fsync per record: the group commit's fsync is I/O
// shared by many records, not CPU. bench/run-proof.sh divides the gateway's CPU per delivered
// exchange by these figures. Prints JSON.
//
//   build/bin/ceiling_bench [reference dir] [scratch dir]

#include <time.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "gateway/client/oots_request.hpp"
#include "gateway/common/bytes.hpp"
#include "gateway/common/time.hpp"
#include "gateway/crypto/crypto.hpp"
#include "gateway/crypto/es256.hpp"
#include "gateway/demo/pki.hpp"
#include "gateway/log/transfer_log.hpp"
#include "bench/sample_record.hpp"
#include "gateway/message/codec.hpp"
#include "gateway/message/edm/edm.hpp"
#include "gateway/message/signature.hpp"

using namespace oncegate;
namespace json = boost::json;

namespace {

double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

// CPU microseconds per call of fn over `count` calls, after a warm-up; the median of five rounds.
template <typename Fn>
double cpu_us_per_call(std::size_t count, Fn&& fn) {
  for (std::size_t i = 0; i < count / 10 + 1; ++i) fn(i);
  std::vector<double> rounds;
  for (int round = 0; round < 5; ++round) {
    const double start = cpu_seconds();
    for (std::size_t i = 0; i < count; ++i) fn(i);
    rounds.push_back((cpu_seconds() - start) * 1e6 / static_cast<double>(count));
  }
  std::sort(rounds.begin(), rounds.end());
  return rounds[2];
}

std::string read(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + file.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// One log append as the gateway makes it, WAL without a per-record fsync: CPU per record of the
// whole process (the writer thread does the work).
double log_append_us(const std::filesystem::path& scratch) {
  std::filesystem::remove_all(scratch);
  log::TransferLogOptions options;
  options.directory = scratch.string();
  options.sync = false;
  // Checkpoints signed with the log's Ed25519 key, as the gateway's are (salted commitments too).
  options.identity = log::LogIdentity{"oncegate.bench/ceiling-1", std::make_shared<crypto::Ed25519Key>(crypto::Ed25519Key::generate())};
  auto transfer_log = log::TransferLog::Open(options);
  std::vector<double> rounds;
  for (int round = 0; round < 5; ++round) {
    constexpr std::size_t kRecords = 20'000;
    std::vector<log::TransferRecord> records;
    for (std::size_t i = 0; i < kRecords; ++i) records.push_back(bench::sample_transfer_record(i));
    std::promise<void> all_done;
    std::atomic<std::size_t> remaining{kRecords};
    const double start = cpu_seconds();
    for (auto& r : records) {
      transfer_log->append(std::move(r), [&](bool, std::uint64_t) {
        if (--remaining == 0) all_done.set_value();
      });
    }
    all_done.get_future().wait();
    rounds.push_back((cpu_seconds() - start) * 1e6 / static_cast<double>(kRecords));
  }
  std::sort(rounds.begin(), rounds.end());
  return rounds[2];
}

}  // namespace

int main(int argc, char** argv) {
  const std::filesystem::path reference = argc > 1 ? argv[1] : ONCEGATE_REFERENCE_DIR;
  const std::filesystem::path scratch = argc > 2 ? argv[2] : std::filesystem::temp_directory_path() / "oncegate-ceiling-log";
  try {
    // Keys as the demo makes them: an authority's signing key, the gateway's answer key.
    crypto::CertificateRequest ca_request;
    ca_request.common_name = "bench CA";
    ca_request.role = crypto::CertificateRole::ca;
    const auto ca = crypto::issue_certificate(ca_request, nullptr);
    crypto::CertificateRequest request;
    request.common_name = "psw:01003110";
    request.role = crypto::CertificateRole::signing;
    const auto authority = crypto::issue_certificate(request, &ca);
    request.common_name = "oncegate answer signing";
    const auto gateway = crypto::issue_certificate(request, &ca);
    const auto authority_key = message::XmlSigningKey::load(authority.private_key_pem, authority.certificate_pem);
    const auto gateway_key = message::XmlSigningKey::load(gateway.private_key_pem, gateway.certificate_pem);
    message::XmlVerificationKeys authority_keys;
    authority_keys.add(authority.certificate_pem);

    // National: a signed request as oncegate-load sends it, and the answer the gateway writes.
    const auto codec = message::MessageCodec::open({});
    message::EvidenceRequest fields;
    fields.kopf.nachrichten_uuid = crypto::new_uuid();
    fields.kopf.nachrichtentyp = "nachweis.anfrage.0101";
    fields.kopf.erstellungszeitpunkt = common::utc_text(std::chrono::system_clock::now());
    fields.kopf.autor = {"dvdv", "psw:01003110", ""};
    fields.kopf.leser = {"dvdv", "psw:99000001", ""};
    fields.idnr = "36574261809";
    fields.nachweistyp = "geburtsurkunde";
    fields.zweck = "leistungsgewaehrung";
    fields.rechtsgrundlage = "IDNrG § 6 Abs. 2";
    const std::string signed_request = authority_key->sign(codec->write_request(fields));
    const adapters::Evidence evidence{"geburtsurkunde",
                                      {{"familienname", "Müller"}, {"geburtsname", "Schmidt"}, {"vornamen", "Anna Lena"},
                                       {"geschlecht", "weiblich"}, {"geburtsdatum", "1987-04-12"},
                                       {"geburtsort", "Hannover"}, {"geburtsortSchluessel", "03241001"}}};
    const std::string answer = codec->write_answer(
        {{"dvdv", "psw:99000001", "oncegate"}, {"dvdv", "psw:01003110", ""}},
        {fields.kopf.nachrichten_uuid, crypto::sha256_base64(signed_request)}, "geburtsurkunde",
        "Personenstandsregister (Beispiel)", evidence);
    const std::time_t now = std::time(nullptr);
    if (!message::verify_enveloped_signature(*codec->decode_request(signed_request).document, authority_keys, now).valid) {
      throw std::runtime_error("the benchmark request does not verify");
    }
    const double national_decode = cpu_us_per_call(4000, [&](std::size_t) {
      auto decoded = codec->decode_request(signed_request);
      (void)message::verify_enveloped_signature(*decoded.document, authority_keys, now);
    });
    const double national_sign = cpu_us_per_call(8000, [&](std::size_t) { (void)gateway_key->sign_own_document(answer); });

    // OOTS: the Commission's reference request, and a detached JWS over an answer of the size the
    // gateway sends (QueryResponse + evidence, multipart: 4.4 KB on average under oncegate-load).
    const auto edm = message::edm::EdmCodec::open();
    const std::string oots_request = client::freshen_oots_request(read(reference / "oots-edm/ec-v1.0/birth-request.xml"));
    if (!edm->decode(oots_request, false).ok()) throw std::runtime_error("the OOTS reference request does not decode");
    const auto jws_key = crypto::Es256PrivateKey::from_pem(gateway.private_key_pem);
    const std::string x5t = common::base64url_encode(std::string(32, 'x'));
    const std::string oots_answer(4450, 'a');  // the mean OOTS answer under oncegate-load
    const double oots_decode = cpu_us_per_call(4000, [&](std::size_t) { (void)edm->decode(oots_request, false); });
    const double oots_sign = cpu_us_per_call(8000, [&](std::size_t) { (void)crypto::detached_jws(jws_key, x5t, oots_answer); });

    const double append = log_append_us(scratch);
    std::filesystem::remove_all(scratch);

    const json::object out{
        {"national", json::object{{"decode_validate_verify_us", national_decode}, {"sign_us", national_sign},
                                  {"log_append_us", append}, {"ceiling_us", national_decode + national_sign + append}}},
        {"oots", json::object{{"decode_validate_us", oots_decode}, {"sign_us", oots_sign}, {"log_append_us", append},
                              {"ceiling_us", oots_decode + oots_sign + append}}},
    };
    std::printf("%s\n", json::serialize(out).c_str());
    return 0;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "ceiling_bench: %s\n", error.what());
    return 2;
  }
}
