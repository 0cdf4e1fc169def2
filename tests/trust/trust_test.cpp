// The trust module alone: which certificates belong to which authority, and the permission
// matrix (denied by default). Real certificates from the demo PKI code, made in memory.

#include <gtest/gtest.h>

#include "gateway/crypto/certificates.hpp"
#include "gateway/trust/permission_matrix.hpp"
#include "gateway/trust/trust_store.hpp"

namespace oncegate::trust {
namespace {

using crypto::CertificateRequest;
using crypto::CertificateRole;
using crypto::issue_certificate;
using crypto::KeyAndCertificate;

KeyAndCertificate make_ca(const std::string& name) {
  CertificateRequest request;
  request.common_name = name;
  request.role = CertificateRole::ca;
  return issue_certificate(request, nullptr);
}

KeyAndCertificate make_client(const KeyAndCertificate& ca, const std::string& name) {
  CertificateRequest request;
  request.common_name = name;
  request.role = CertificateRole::tls_client;
  return issue_certificate(request, &ca);
}

TEST(TrustStore, FindsAuthoritiesByCertificateAndKennung) {
  const auto ca = make_ca("Test CA");
  const auto hannover_old = make_client(ca, "hannover-2025");
  const auto hannover_new = make_client(ca, "hannover-2026");
  const auto bremen = make_client(ca, "bremen");
  const auto store = TrustStore::build(ca.certificate_pem, {{"psw:01003110", "Hannover", {hannover_old.certificate_pem, hannover_new.certificate_pem}},
                                                            {"psw:02004220", "Bremen", {bremen.certificate_pem}}});
  ASSERT_EQ(store->authorities().size(), 2u);
  const auto fingerprint = [](const std::string& pem) { return describe_certificate(pem).fingerprint; };
  for (const auto* pem : {&hannover_old.certificate_pem, &hannover_new.certificate_pem}) {
    const Authority* found = store->by_certificate(fingerprint(*pem));
    ASSERT_NE(found, nullptr);
    EXPECT_EQ(found->kennung, "psw:01003110");
  }
  EXPECT_EQ(store->by_certificate(fingerprint(bremen.certificate_pem))->kennung, "psw:02004220");
  EXPECT_EQ(store->by_kennung("psw:02004220")->name, "Bremen");
  EXPECT_EQ(store->by_kennung("psw:99999999"), nullptr);
  // A certificate of the same CA that nobody registered belongs to nobody.
  EXPECT_EQ(store->by_certificate(fingerprint(make_client(ca, "stranger").certificate_pem)), nullptr);
  EXPECT_EQ(store->by_certificate(""), nullptr);
  EXPECT_EQ(fingerprint(bremen.certificate_pem).size(), 64u);
}

TEST(TrustStore, RefusesForeignDuplicateAndUnreadableCertificates) {
  const auto ca = make_ca("Test CA");
  const auto other_ca = make_ca("Other CA");
  const auto good = make_client(ca, "good");
  EXPECT_THROW((void)TrustStore::build(ca.certificate_pem, {{"psw:1", "A", {make_client(other_ca, "foreign").certificate_pem}}}),
               TrustError);
  EXPECT_THROW((void)TrustStore::build(ca.certificate_pem, {{"psw:1", "A", {good.certificate_pem}}, {"psw:2", "B", {good.certificate_pem}}}),
               TrustError);
  EXPECT_THROW((void)TrustStore::build(ca.certificate_pem, {{"psw:1", "A", {good.certificate_pem}}, {"psw:1", "A again", {}}}),
               TrustError);
  EXPECT_THROW((void)TrustStore::build(ca.certificate_pem, {{"psw:1", "A", {"not a certificate"}}}), TrustError);
  EXPECT_THROW((void)describe_certificate("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), TrustError);
}

std::vector<PermissionRule> sample_rules() {
  return {{"buergeramt", {"group:meldebehoerden"}, {"geburtsurkunde", "meldebescheinigung"}, {"leistungsgewaehrung"},
           {"IDNrG § 6 Abs. 2"}, false, false, 0, ""},
          {"bafoeg", {"psw:03005330"}, {"meldebescheinigung"}, {"bafoeg"}, {"BAföG § 46 Abs. 3"}, true, false, 0, ""}};
}

TEST(PermissionMatrix, DeniedByDefaultAllowedOnlyByAWholeRule) {
  const auto matrix = PermissionMatrix::build(sample_rules(), {{"meldebehoerden", {"psw:01003110"}}});
  using Verdict = PermissionDecision::Verdict;
  const auto allowed = matrix->decide("psw:01003110", "geburtsurkunde", "leistungsgewaehrung", "IDNrG § 6 Abs. 2", false);
  EXPECT_EQ(allowed.verdict, Verdict::allowed);
  ASSERT_NE(allowed.rule, nullptr);
  EXPECT_EQ(allowed.rule->id, "buergeramt");
  // Each dimension alone breaks it: authority, type, purpose, legal basis (exact text).
  EXPECT_EQ(matrix->decide("psw:02004220", "geburtsurkunde", "leistungsgewaehrung", "IDNrG § 6 Abs. 2", false).verdict, Verdict::no_rule);
  EXPECT_EQ(matrix->decide("psw:01003110", "fischereischein", "leistungsgewaehrung", "IDNrG § 6 Abs. 2", false).verdict, Verdict::no_rule);
  EXPECT_EQ(matrix->decide("psw:01003110", "geburtsurkunde", "werbung", "IDNrG § 6 Abs. 2", false).verdict, Verdict::no_rule);
  EXPECT_EQ(matrix->decide("psw:01003110", "geburtsurkunde", "leistungsgewaehrung", "IDNrG § 6 Abs.2", false).verdict, Verdict::no_rule);
  EXPECT_EQ(matrix->decide("", "", "", "", true).verdict, Verdict::no_rule);
  // Consent where the rule asks for it.
  EXPECT_EQ(matrix->decide("psw:03005330", "meldebescheinigung", "bafoeg", "BAföG § 46 Abs. 3", false).verdict, Verdict::consent_missing);
  EXPECT_EQ(matrix->decide("psw:03005330", "meldebescheinigung", "bafoeg", "BAföG § 46 Abs. 3", true).verdict, Verdict::allowed);
  // An empty matrix allows nothing.
  EXPECT_EQ(PermissionMatrix::build({}, {})->decide("psw:01003110", "geburtsurkunde", "leistungsgewaehrung", "IDNrG § 6 Abs. 2", true).verdict,
            Verdict::no_rule);
}

TEST(PermissionMatrix, RefusesRulesItCannotReadExactly) {
  EXPECT_THROW((void)PermissionMatrix::build(sample_rules(), {}), PermissionError);  // unknown group
  auto duplicate = sample_rules();
  duplicate.push_back(duplicate.front());
  EXPECT_THROW((void)PermissionMatrix::build(duplicate, {{"meldebehoerden", {"psw:01003110"}}}), PermissionError);
  auto empty_list = sample_rules();
  empty_list[1].purposes.clear();
  EXPECT_THROW((void)PermissionMatrix::build(empty_list, {{"meldebehoerden", {"psw:01003110"}}}), PermissionError);
  auto no_id = sample_rules();
  no_id[1].id.clear();
  EXPECT_THROW((void)PermissionMatrix::build(no_id, {{"meldebehoerden", {"psw:01003110"}}}), PermissionError);
}

}  // namespace
}  // namespace oncegate::trust
