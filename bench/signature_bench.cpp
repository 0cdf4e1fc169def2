// XML signatures on one core: verifying a signed request and signing an answer, ECDSA P-256,
// with keys loaded once. Targets (issue 3): >= 8,500 verifies/s and >= 12,000 signs/s, i.e. 80 %
// of the in-process ceilings measured for the brief (parse + verify ~10,800/s, parse + sign +
// serialise ~15,500/s).

#include <benchmark/benchmark.h>

#include <ctime>
#include <memory>
#include <string>

#include "gateway/message/codec.hpp"
#include "gateway/message/signature.hpp"
#include "gateway/demo/pki.hpp"

namespace {

using namespace oncegate;

struct Material {
  std::shared_ptr<const message::MessageCodec> codec = message::MessageCodec::open({});
  crypto::KeyAndCertificate authority;
  std::shared_ptr<const message::XmlSigningKey> authority_key;
  message::XmlVerificationKeys authority_keys;
  std::string signed_request;
  std::string answer;

  Material() {
    crypto::CertificateRequest ca_request;
    ca_request.common_name = "bench CA";
    ca_request.role = crypto::CertificateRole::ca;
    const auto ca = crypto::issue_certificate(ca_request, nullptr);
    crypto::CertificateRequest request;
    request.common_name = "psw:01003110";
    request.role = crypto::CertificateRole::tls_client;
    authority = crypto::issue_certificate(request, &ca);
    authority_key = message::XmlSigningKey::load(authority.private_key_pem, authority.certificate_pem);
    authority_keys.add(authority.certificate_pem);

    message::EvidenceRequest fields;
    fields.kopf.autor = {"dvdv", "psw:01003110", "Landeshauptstadt Hannover, Fachbereich Bürgerangelegenheiten"};
    fields.kopf.leser = {"dvdv", "psw:99000001", "oncegate Vermittlungsstelle"};
    fields.idnr = "36574261809";
    fields.nachweistyp = "geburtsurkunde";
    fields.zweck = "leistungsgewaehrung";
    fields.rechtsgrundlage = "IDNrG § 6 Abs. 2";
    fields.regionalschluessel = "032410001001";
    signed_request = authority_key->sign(codec->write_request(fields));

    const adapters::Evidence evidence{"geburtsurkunde",
                                      {{"familienname", "Müller"}, {"geburtsname", "Schmidt"}, {"vornamen", "Anna Lena"},
                                       {"geschlecht", "weiblich"}, {"geburtsdatum", "1987-04-12"},
                                       {"geburtsort", "Hannover"}, {"geburtsortSchluessel", "03241001"}}};
    answer = codec->write_answer({{"dvdv", "psw:99000001", "oncegate"}, {"dvdv", "psw:01003110", ""}},
                                 {"6f1c2e0a-5b8d-4c1e-9a3f-2d7b8c9e0f11", "EiSQSdrN67IoBzu89InH+IsRJch3vlbrQJNALuv1EGI="},
                                 "geburtsurkunde", "Personenstandsregister", evidence);
  }
};

Material& material() {
  static Material m;
  return m;
}

// Parse (safe options) + verify, as the brief's ceiling measured it.
void BM_ParseVerifyRequestEcdsaP256(benchmark::State& state) {
  auto& m = material();
  const std::time_t now = std::time(nullptr);
  if (!message::verify_enveloped_signature(m.signed_request, m.authority_keys, now).valid) {
    state.SkipWithError("signature does not verify");
    return;
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(message::verify_enveloped_signature(m.signed_request, m.authority_keys, now));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["request_bytes"] = static_cast<double>(m.signed_request.size());
}
BENCHMARK(BM_ParseVerifyRequestEcdsaP256);

// What the gateway does per request: parse + schema validation + signature verification.
void BM_DecodeValidateVerifyRequest(benchmark::State& state) {
  auto& m = material();
  const std::time_t now = std::time(nullptr);
  for (auto _ : state) {
    auto decoded = m.codec->decode_request(m.signed_request);
    benchmark::DoNotOptimize(message::verify_enveloped_signature(*decoded.document, m.authority_keys, now));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_DecodeValidateVerifyRequest);

// Parse + sign + serialise an answer, as the gateway does for every answer.
void BM_SignAnswerEcdsaP256(benchmark::State& state) {
  auto& m = material();
  for (auto _ : state) {
    benchmark::DoNotOptimize(m.authority_key->sign(m.answer));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["answer_bytes"] = static_cast<double>(m.answer.size());
}
BENCHMARK(BM_SignAnswerEcdsaP256);

// What the gateway does for every answer: the writers' canonical output signed without a parse.
void BM_SignOwnAnswerEcdsaP256(benchmark::State& state) {
  auto& m = material();
  for (auto _ : state) {
    benchmark::DoNotOptimize(m.authority_key->sign_own_document(m.answer));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_SignOwnAnswerEcdsaP256);

}  // namespace
