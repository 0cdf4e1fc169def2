// The Datencockpit through the running gateway: sign-in with the OpenID Connect code flow at the
// demo provider (state, nonce, PKCE, the login cookie), sessions, a citizen sees exactly their own
// transfers, filters and paging, proofs that verify.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "datacockpit/demo_idp.hpp"
#include "gateway/common/url.hpp"

#include "gateway/common/bytes.hpp"
#include "gateway/tlog/checkpoint.hpp"
#include "gateway/tlog/merkle.hpp"
#include "gateway/tlog/note.hpp"
#include "gateway/crypto/ed25519.hpp"
#include "gateway/log/auskunft.hpp"
#include "gateway/log/transfer_log.hpp"
#include "gateway/crypto/data_signer.hpp"
#include "tests/support/cockpit_proof.hpp"
#include "tests/support/cockpit_signin.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/test_gateway.hpp"

namespace oncegate::testing {
namespace {

namespace json = boost::json;

class CockpitApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    TestGatewayOptions options;
    options.datacockpit = true;
    options.extra_toml =
        "[catalogue]\n"
        "[[catalogue.evidence_types]]\ncode = \"geburtsurkunde\"\nde = \"Geburtsurkunde (Test)\"\nen = \"Birth certificate\"\n"
        "[[catalogue.purposes]]\ncode = \"leistungsgewaehrung\"\nde = \"Leistung\"\nen = \"Benefit\"\n"
        "phrase_de = \"eine Leistung zu prüfen\"\nphrase_en = \"check a benefit claim\"\n"
        "[[catalogue.contacts]]\nkennung = \"psw:01003110\"\nde = \"DSB Hannover (Test)\"\nen = \"DPO Hanover (test)\"\n"
        // Issue 16: transfers for an investigation are withheld from the citizen.
        "[[permissions]]\nid = \"test-withheld\"\nauthorities = [\"psw:01003110\"]\nevidence_types = [\"geburtsurkunde\"]\n"
        "purposes = [\"ermittlung\"]\nlegal_bases = [\"StPO § 161\"]\ncitizen_visible = false\n"
        "withholding_basis = \"§ 161 StPO (Ermittlungsverfahren)\"\n";
    gateway_ = new TestGateway(options);
    // Transfers: Anna 4 (3 birth certificates, 1 registration), Bert 2.
    const auto& anna = gateway_->person_in("03");
    const auto& bert = gateway_->people().at(50) .idnr == anna.idnr ? gateway_->people().at(51) : gateway_->people().at(50);
    anna_ = anna.idnr;
    bert_ = bert.idnr;
    for (int i = 0; i < 3; ++i) EXPECT_EQ(gateway_->post(gateway_->request(anna_, "geburtsurkunde")).status, 200u);
    EXPECT_EQ(gateway_->post(gateway_->request(anna_, "meldebescheinigung", "03")).status, 200u);
    for (int i = 0; i < 2; ++i) EXPECT_EQ(gateway_->post(gateway_->request(bert_, "geburtsurkunde")).status, 200u);
    // And one for Bert under the withheld rule: delivered, recorded, not shown to him.
    auto withheld = gateway_->request_fields(bert_, "geburtsurkunde");
    withheld.zweck = "ermittlung";
    withheld.rechtsgrundlage = "StPO § 161";
    EXPECT_EQ(gateway_->post(gateway_->signer().sign(gateway_->codec().write_request(withheld))).status, 200u);
  }
  static void TearDownTestSuite() { delete gateway_; }

  // A signed-in session's cookie ("og_session=..."), one per person.
  static std::string session_for(const std::string& idnr) {
    static std::map<std::string, std::string> sessions;
    auto& cookie = sessions[idnr];
    if (cookie.empty()) {
      const auto signin = cockpit_sign_in(*gateway_, idnr);
      EXPECT_FALSE(signin.session_cookie.empty()) << signin.failure;
      cookie = signin.session_cookie;
    }
    return cookie;
  }

  static client::HttpReply get(const std::string& path, const std::string& cookie,
                               std::vector<std::pair<std::string, std::string>> headers = {}) {
    auto connection = gateway_->connect_cockpit();
    if (!cookie.empty()) headers.emplace_back("Cookie", cookie);
    return connection->request("GET", path, "", "", headers);
  }

  static json::object body(const client::HttpReply& reply) { return json::parse(reply.body).as_object(); }

  static std::vector<std::uint64_t> ids(const json::object& o) {
    std::vector<std::uint64_t> out;
    for (const auto& t : o.at("transfers").as_array()) out.push_back(t.as_object().at("id").to_number<std::uint64_t>());
    return out;
  }

  static TestGateway* gateway_;
  static std::string anna_;
  static std::string bert_;
};

TestGateway* CockpitApiTest::gateway_ = nullptr;
std::string CockpitApiTest::anna_;
std::string CockpitApiTest::bert_;

TEST_F(CockpitApiTest, WithoutASessionEverythingIs401) {
  EXPECT_EQ(get("/cockpit/api/transfers", "").status, 401u);
  EXPECT_EQ(get("/cockpit/api/transfers", "og_session=00").status, 401u);
  EXPECT_EQ(get("/cockpit/api/transfers", "og_session=" + std::string(64, 'a')).status, 401u);
  EXPECT_EQ(get("/cockpit/api/log", "").status, 401u);
  EXPECT_EQ(get("/cockpit/api/transfers/0", "").status, 401u);
  // An ID token is no way in: the cockpit's API knows sessions only (a token copied out of a log
  // or a browser's history must not open it).
  const datacockpit::DemoIdp idp(read_text(gateway_->demo_dir() / "idp.key"),
                                 "https://127.0.0.1:" + std::to_string(gateway_->cockpit_port()) + "/cockpit/demo-idp",
                                 "oncegate-datencockpit");
  const auto token = idp.issue(anna_, "t", "hoch", std::chrono::seconds(60), std::chrono::system_clock::now());
  EXPECT_EQ(get("/cockpit/api/transfers", "", {{"Authorization", "Bearer " + token}}).status, 401u);
  EXPECT_EQ(get("/cockpit/api/transfers", "og_session=" + token).status, 401u);
}

TEST_F(CockpitApiTest, SignInIsTheCodeFlowWithPkceStateAndNonce) {
  const auto signin = cockpit_sign_in(*gateway_, anna_);
  ASSERT_FALSE(signin.session_cookie.empty()) << signin.failure;
  const auto request = common::query_parameters(signin.authorize_url.substr(signin.authorize_url.find('?') + 1));
  EXPECT_EQ(request.at("response_type"), "code");
  EXPECT_EQ(request.at("code_challenge_method"), "S256");
  EXPECT_EQ(request.at("code_challenge").size(), 43u);
  EXPECT_EQ(request.at("acr_values"), "hoch");
  EXPECT_GE(request.at("state").size(), 43u);
  EXPECT_GE(request.at("nonce").size(), 43u);
  EXPECT_NE(request.at("state"), request.at("nonce"));
  EXPECT_EQ(request.at("redirect_uri"), "https://127.0.0.1:" + std::to_string(gateway_->cockpit_port()) + "/cockpit/callback");
  EXPECT_EQ(signin.login_cookie, "og_login=" + request.at("state"));
  // The session cookie: HttpOnly, Secure, SameSite=Strict, no longer than the ID token (600 s).
  std::string set_cookie;
  for (const auto& c : signin.set_cookies) {
    if (c.starts_with("og_session=")) set_cookie = c;
  }
  EXPECT_NE(set_cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(set_cookie.find("Secure"), std::string::npos);
  EXPECT_NE(set_cookie.find("SameSite=Strict"), std::string::npos);
  // Max-Age is what is left of the ID token's 600 s in whole seconds (599 when a second turned).
  const auto max_age = set_cookie.find("Max-Age=");
  ASSERT_NE(max_age, std::string::npos) << set_cookie;
  const int seconds = std::stoi(set_cookie.substr(max_age + 8));
  EXPECT_LE(seconds, 600) << set_cookie;
  EXPECT_GE(seconds, 590) << set_cookie;
  EXPECT_EQ(ids(body(get("/cockpit/api/transfers", signin.session_cookie))).size(), 4u);
  // The callback's code and state are used up: the same URL again signs nobody in.
  auto connection = gateway_->connect_cockpit();
  const auto again = connection->request("GET", signin.callback_target, "", "", {{"Cookie", signin.login_cookie}});
  EXPECT_EQ(location_of(again), "/cockpit/#signin_error=expired");
}

TEST_F(CockpitApiTest, ACallbackFromAnotherBrowserOrWithAForgedCodeSignsNobodyIn) {
  auto connection = gateway_->connect_cockpit();
  const auto login = connection->request("GET", "/cockpit/login");
  ASSERT_EQ(login.status, 302u);
  const std::string authorize = location_of(login);
  const std::string login_cookie = cookie_of(login, "og_login");
  const auto provider = connection->request("POST", "/cockpit/demo-idp/authorize",
                                            authorize.substr(authorize.find('?') + 1) + "&login=1&idnr=" + bert_,
                                            "application/x-www-form-urlencoded");
  const std::string callback = target_of(location_of(provider));
  ASSERT_NE(callback.find("code="), std::string::npos) << provider.body;
  // Login CSRF: a victim's browser sent to an attacker's callback URL has no (or another) login cookie.
  EXPECT_EQ(location_of(connection->request("GET", callback)), "/cockpit/#signin_error=mismatch");
  EXPECT_EQ(location_of(connection->request("GET", callback, "", "", {{"Cookie", "og_login=someone-else"}})),
            "/cockpit/#signin_error=mismatch");
  // A forged code with the right state: the provider refuses it, and the sign-in is used up.
  const std::string state = common::query_parameter(callback.substr(callback.find('?') + 1), "state");
  const auto forged = connection->request("GET", "/cockpit/callback?code=forged&state=" + state, "", "", {{"Cookie", login_cookie}});
  EXPECT_EQ(location_of(forged), "/cockpit/#signin_error=rejected");
  EXPECT_EQ(location_of(connection->request("GET", callback, "", "", {{"Cookie", login_cookie}})),
            "/cockpit/#signin_error=expired");
  // No state at all.
  EXPECT_EQ(location_of(connection->request("GET", "/cockpit/callback?code=x")), "/cockpit/#signin_error=expired");
}

TEST_F(CockpitApiTest, LowAssuranceAndCancelledSignInsAreNamed) {
  EXPECT_EQ(cockpit_sign_in(*gateway_, anna_, "substantiell").failure, "assurance");
  EXPECT_EQ(cockpit_sign_in(*gateway_, anna_, "hoch", true).failure, "cancelled");
}

TEST_F(CockpitApiTest, TheDemoProviderChecksClientRedirectAndPkce) {
  auto connection = gateway_->connect_cockpit();
  const auto login = connection->request("GET", "/cockpit/login");
  const std::string authorize = location_of(login);
  auto parameters = common::query_parameters(authorize.substr(authorize.find('?') + 1));
  const auto with = [&](const std::string& name, const std::string& value) {
    auto p = parameters;
    p[name] = value;
    std::string query;
    for (const auto& [k, v] : p) query += (query.empty() ? "" : "&") + k + "=" + common::percent_encode(v);
    return query;
  };
  // A redirect URI or client it does not know gets a page, never a redirect there.
  auto reply = connection->request("GET", "/cockpit/demo-idp/authorize?" + with("redirect_uri", "https://evil.example/cb"));
  EXPECT_EQ(reply.status, 400u);
  EXPECT_TRUE(location_of(reply).empty());
  EXPECT_EQ(connection->request("GET", "/cockpit/demo-idp/authorize?" + with("client_id", "other")).status, 400u);
  // Without PKCE S256 the error goes back to the client.
  reply = connection->request("GET", "/cockpit/demo-idp/authorize?" + with("code_challenge_method", "plain"));
  EXPECT_EQ(reply.status, 302u);
  EXPECT_NE(location_of(reply).find("error=invalid_request"), std::string::npos);
  // The token endpoint wants the verifier that matches the challenge.
  reply = connection->request("POST", "/cockpit/demo-idp/authorize", with("login", "1") + "&idnr=" + anna_,
                              "application/x-www-form-urlencoded");
  const std::string code = common::query_parameter(location_of(reply).substr(location_of(reply).find('?') + 1), "code");
  ASSERT_FALSE(code.empty());
  reply = connection->request("POST", "/cockpit/demo-idp/token",
                              "grant_type=authorization_code&client_id=oncegate-datencockpit&code=" + code +
                                  "&redirect_uri=" + common::percent_encode(parameters["redirect_uri"]) +
                                  "&code_verifier=" + std::string(43, 'A'),
                              "application/x-www-form-urlencoded");
  EXPECT_EQ(reply.status, 400u);
  EXPECT_NE(reply.body.find("invalid_grant"), std::string::npos);
}

TEST_F(CockpitApiTest, LogoutEndsTheSessionAndNamesTheProvidersLogout) {
  const auto signin = cockpit_sign_in(*gateway_, bert_);
  ASSERT_FALSE(signin.session_cookie.empty()) << signin.failure;
  auto connection = gateway_->connect_cockpit();
  // Without the page's own header, logout is refused (CSRF).
  EXPECT_EQ(connection->request("POST", "/cockpit/api/logout", "", "application/json", {{"Cookie", signin.session_cookie}}).status, 403u);
  const auto reply = connection->request("POST", "/cockpit/api/logout", "", "application/json",
                                         {{"Cookie", signin.session_cookie}, {"X-Oncegate-Cockpit", "1"}});
  ASSERT_EQ(reply.status, 200u);
  const auto end_session = std::string(body(reply).at("end_session_url").as_string());
  EXPECT_NE(end_session.find("/cockpit/demo-idp/logout?id_token_hint="), std::string::npos);
  EXPECT_EQ(get("/cockpit/api/transfers", signin.session_cookie).status, 401u);
  const auto back = connection->request("GET", target_of(end_session));
  EXPECT_EQ(back.status, 302u);
  EXPECT_NE(location_of(back).find("/cockpit/#signed_out"), std::string::npos);
}

TEST_F(CockpitApiTest, CitizensSeeOnlyTheirOwnTransfers) {
  const auto anna = body(get("/cockpit/api/transfers", session_for(anna_)));
  const auto bert = body(get("/cockpit/api/transfers", session_for(bert_)));
  const auto anna_ids = ids(anna);
  const auto bert_ids = ids(bert);
  EXPECT_EQ(anna_ids.size(), 4u);
  EXPECT_EQ(bert_ids.size(), 2u);
  EXPECT_TRUE(std::is_sorted(anna_ids.rbegin(), anna_ids.rend()));  // newest first
  const auto first = anna.at("transfers").as_array().front().as_object();
  EXPECT_EQ(first.at("requester_name").as_string(), "Bürgeramt Hannover (Test)");
  EXPECT_EQ(first.at("outcome").as_string(), "delivered");
  // Bert's transfer ids, guessed by Anna, do not exist for her; neither do ids beyond the log.
  for (auto id : bert_ids) EXPECT_EQ(get("/cockpit/api/transfers/" + std::to_string(id), session_for(anna_)).status, 404u);
  EXPECT_EQ(get("/cockpit/api/transfers/999999", session_for(anna_)).status, 404u);
  EXPECT_EQ(get("/cockpit/api/transfers/abc", session_for(anna_)).status, 404u);
  // A parameter cannot choose the person.
  const auto sneaky = get("/cockpit/api/transfers?pseudonym=x&idnr=" + bert_, session_for(anna_));
  EXPECT_EQ(sneaky.status, 400u);
  EXPECT_EQ(sneaky.body.find(bert_), std::string::npos);
}

// Issue 10: a filter that does not parse is refused, naming the parameter, instead of being
// ignored (which showed the unfiltered list).
TEST_F(CockpitApiTest, InvalidFiltersAreRefusedNamingTheParameter) {
  const auto token = session_for(anna_);
  for (const auto& [query, parameter] : std::vector<std::pair<std::string, std::string>>{
           {"from=2026-13-45", "from"}, {"to=yesterday", "to"}, {"limit=0", "limit"}, {"limit=101", "limit"},
           {"limit=ten", "limit"}, {"before=-1", "before"}, {"from=2026-02-30", "from"},
           {"from=2026-12-02&to=2026-12-01", "from"}, {"colour=red", "colour"}}) {
    const auto reply = get("/cockpit/api/transfers?" + query, token);
    EXPECT_EQ(reply.status, 400u) << query;
    EXPECT_NE(reply.body.find("'" + parameter + "'"), std::string::npos) << query << ": " << reply.body;
  }
  // Dates work as well as milliseconds.
  EXPECT_EQ(ids(body(get("/cockpit/api/transfers?from=2000-01-01&to=2200-12-31", token))).size(), 4u);
  EXPECT_EQ(ids(body(get("/cockpit/api/transfers?to=2000-01-01", token))).size(), 0u);
}

TEST_F(CockpitApiTest, FiltersAndPaging) {
  const auto token = session_for(anna_);
  EXPECT_EQ(ids(body(get("/cockpit/api/transfers?type=meldebescheinigung", token))).size(), 1u);
  EXPECT_EQ(ids(body(get("/cockpit/api/transfers?type=geburtsurkunde", token))).size(), 3u);
  EXPECT_EQ(ids(body(get("/cockpit/api/transfers?authority=psw:01003110", token))).size(), 4u);
  EXPECT_EQ(ids(body(get("/cockpit/api/transfers?authority=psw:02004220", token))).size(), 0u);
  EXPECT_EQ(ids(body(get("/cockpit/api/transfers?to=1000", token))).size(), 0u);
  std::vector<std::uint64_t> paged;
  std::string path = "/cockpit/api/transfers?limit=3";
  for (int guard = 0; guard < 5; ++guard) {
    const auto page = body(get(path, token));
    for (auto id : ids(page)) paged.push_back(id);
    if (page.at("next_before").is_null()) break;
    path = "/cockpit/api/transfers?limit=3&before=" + std::to_string(page.at("next_before").to_number<std::uint64_t>());
  }
  EXPECT_EQ(paged, ids(body(get("/cockpit/api/transfers", token))));
}

TEST_F(CockpitApiTest, DetailCarriesAProofThatVerifies) {
  const auto token = session_for(anna_);
  const auto newest = ids(body(get("/cockpit/api/transfers", token))).front();
  const auto reply = get("/cockpit/api/transfers/" + std::to_string(newest), token);
  ASSERT_EQ(reply.status, 200u) << reply.body;
  const auto detail = body(reply);
  EXPECT_EQ(detail.at("leaf_index").to_number<std::uint64_t>(), newest);
  // The checkpoint is signed by the log's key, the one in the gateway's data directory.
  const auto log_key = crypto::Ed25519Key::from_pem(read_text(gateway_->data_dir() / "log-key.pem"));
  EXPECT_EQ(cockpit_proof_problem(detail, log_key.public_key()), "");
  const std::string record(detail.at("record").as_string());
  // The record carries no IDNr, only the pseudonym.
  EXPECT_EQ(record.find(anna_), std::string::npos);
}

// Issue 16: what the page needs to speak in words: the refused attempts apart, the fields that
// left (names only), the request's own reference, the overview, the catalogue.
TEST_F(CockpitApiTest, TransfersCarryTheirFieldsAndReferenceAndFilterByOutcome) {
  const auto session = session_for(anna_);
  const auto all = body(get("/cockpit/api/transfers", session));
  const auto& newest = all.at("transfers").as_array().front().as_object();
  EXPECT_FALSE(newest.at("reference").as_string().empty());
  std::vector<std::string> fields;
  for (const auto& f : newest.at("data_fields").as_array()) fields.emplace_back(f.as_string());
  EXPECT_NE(std::find(fields.begin(), fields.end(), "familienname"), fields.end());
  // Names, never values: the person's data is not in the list.
  const auto& person = gateway_->person_in("03");
  EXPECT_EQ(json::serialize(all).find(person.familienname), std::string::npos);
  EXPECT_EQ(ids(body(get("/cockpit/api/transfers?outcome=delivered", session))).size(), 4u);
  EXPECT_EQ(ids(body(get("/cockpit/api/transfers?outcome=refused", session))).size(), 0u);
  const auto bad = get("/cockpit/api/transfers?outcome=maybe", session);
  EXPECT_EQ(bad.status, 400u);
  EXPECT_NE(bad.body.find("'outcome'"), std::string::npos);
}

TEST_F(CockpitApiTest, TheOverviewCountsThePersonsOwnTransfersOnly) {
  const auto anna = body(get("/cockpit/api/overview", session_for(anna_)));
  EXPECT_EQ(anna.at("delivered").to_number<int>(), 4);
  EXPECT_EQ(anna.at("refused").to_number<int>(), 0);
  ASSERT_EQ(anna.at("by_requester").as_array().size(), 1u);
  EXPECT_EQ(anna.at("by_requester").as_array()[0].at("requester_name").as_string(), "Bürgeramt Hannover (Test)");
  std::uint64_t per_month = 0;
  for (const auto& m : anna.at("by_month").as_array()) per_month += m.at("delivered").to_number<std::uint64_t>();
  EXPECT_EQ(per_month, 4u);
  EXPECT_EQ(body(get("/cockpit/api/overview", session_for(bert_))).at("delivered").to_number<int>(), 2);
  EXPECT_EQ(get("/cockpit/api/overview", "").status, 401u);
}

TEST_F(CockpitApiTest, AWithheldTransferIsCountedWithItsReasonButNeverShown) {
  const auto session = session_for(bert_);
  const auto list = body(get("/cockpit/api/transfers?limit=100", session));
  EXPECT_EQ(ids(list).size(), 2u);  // the two ordinary ones
  EXPECT_EQ(json::serialize(list).find("ermittlung"), std::string::npos);
  const auto overview = body(get("/cockpit/api/overview", session));
  ASSERT_EQ(overview.at("withheld").as_array().size(), 1u);
  EXPECT_EQ(overview.at("withheld").as_array()[0].at("count").to_number<int>(), 1);
  EXPECT_EQ(overview.at("withheld").as_array()[0].at("basis").as_string(), "§ 161 StPO (Ermittlungsverfahren)");
  EXPECT_EQ(overview.at("delivered").to_number<int>(), 2);
  // Its entry is in the log, but asking for it by number looks like asking for nothing.
  auto& log = gateway_->gateway().transfer_log();
  EXPECT_TRUE(eventually([&] {
    const auto head = log.latest_cosigned_head();
    return head && head->size >= log.size();
  }));
  std::optional<std::uint64_t> withheld_id;
  for (std::uint64_t id = 0; id < gateway_->gateway().transfer_log().size(); ++id) {
    const auto proof = gateway_->gateway().transfer_log().prove(id);
    if (proof && proof->record.purpose == "ermittlung") withheld_id = id;
  }
  ASSERT_TRUE(withheld_id.has_value());
  EXPECT_EQ(get("/cockpit/api/transfers/" + std::to_string(*withheld_id), session).status, 404u);
}

TEST_F(CockpitApiTest, TheAuskunftVerifiesOfflineAndNamesWhatIsWithheld) {
  auto& log = gateway_->gateway().transfer_log();
  EXPECT_TRUE(eventually([&] {
    const auto head = log.latest_cosigned_head();
    return head && head->size >= log.size();
  }));
  const auto reply = get("/cockpit/api/auskunft", session_for(bert_));
  ASSERT_EQ(reply.status, 200u) << reply.body;
  const auto vkey = tlog::parse_vkey(read_text(gateway_->data_dir() / "log.vkey"));
  ASSERT_TRUE(vkey.has_value());
  auto report = log::verify_auskunft(reply.body, *vkey, std::nullopt);
  ASSERT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.entries, 2u);
  EXPECT_EQ(report.withheld, 1u);
  EXPECT_EQ(reply.body.find("ermittlung"), std::string::npos);  // the withheld entry is not in it
  EXPECT_FALSE(report.keys_from_file);
  // One changed character in a record, or another log's key: refused.
  std::string forged = reply.body;
  forged.replace(forged.find("geburtsurkunde"), 14, "geburtsurkundx");
  EXPECT_FALSE(log::verify_auskunft(forged, *vkey, std::nullopt).ok);
  const auto other = crypto::Ed25519Key::generate();
  const auto other_vkey = tlog::parse_vkey(tlog::VerifierKey{vkey->name, tlog::kEd25519, other.public_key()}.vkey());
  EXPECT_FALSE(log::verify_auskunft(reply.body, *other_vkey, std::nullopt).ok);
  EXPECT_EQ(get("/cockpit/api/auskunft", "").status, 401u);
}

TEST_F(CockpitApiTest, TheCatalogueGivesWordsForCodesWithoutSignIn) {
  const auto reply = get("/cockpit/api/catalogue", "");
  ASSERT_EQ(reply.status, 200u);
  const auto catalogue = body(reply);
  EXPECT_EQ(catalogue.at("evidence_types").at("geburtsurkunde").at("de").as_string(), "Geburtsurkunde (Test)");
  EXPECT_EQ(catalogue.at("purposes").at("leistungsgewaehrung").at("phrase_en").as_string(), "check a benefit claim");
  EXPECT_EQ(catalogue.at("contacts").at("psw:01003110").at("de").as_string(), "DSB Hannover (Test)");
  EXPECT_EQ(catalogue.at("retention_days").to_number<int>(), 730);
}

TEST_F(CockpitApiTest, PageIsServedWithAStrictContentSecurityPolicy) {
  const auto reply = get("/cockpit/", "");
  EXPECT_EQ(reply.status, 200u);
  std::string csp;
  for (const auto& [name, value] : reply.headers) {
    if (name == "Content-Security-Policy") csp = value;
  }
  EXPECT_NE(csp.find("script-src 'self'"), std::string::npos);
  EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos);
  EXPECT_EQ(reply.body.find("<script>"), std::string::npos);  // no inline scripts
  EXPECT_EQ(get("/cockpit/app.js", "").status, 200u);
  // The citizens' listener knows nothing of evidence requests, and the evidence listener lets no
  // client without a certificate finish the handshake.
  const auto evidence = gateway_->connect_cockpit()->request("POST", "/v1/nachweis", gateway_->request(anna_, "geburtsurkunde"));
  EXPECT_EQ(evidence.status, 404u);
  EXPECT_THROW((void)gateway_->connect("")->request("GET", "/healthz", ""), std::exception);
}

}  // namespace
}  // namespace oncegate::testing
