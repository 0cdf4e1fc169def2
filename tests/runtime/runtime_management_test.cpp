// Runtime management through the admin listener, against a running gateway: register adapters
// and routes (embedded and remote over real TLS), authorities, permissions, key rotation,
// reload, persistence across a restart, operator client certificates, correlation ids and the
// metrics that go with them.

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <mutex>
#include <sstream>
#include <thread>

#include <boost/json.hpp>

#include "adapters/sample_register/sample_register_server.hpp"
#include "gateway/demo/pki.hpp"
#include "gateway/common/files.hpp"
#include "tests/support/test_gateway.hpp"

namespace oncegate::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

const std::string kAdminListener =
    "[listeners.admin]\naddress = \"127.0.0.1\"\nport = 0\ncertificate = \"demo/server.pem\"\n"
    "private_key = \"demo/server.key\"\n";

struct Reply {
  unsigned status = 0;
  json::value body;
};

Reply admin(const TestGateway& gateway, const std::string& method, const std::string& path, const std::string& key,
            const json::value& body = nullptr) {
  const auto reply = gateway.admin_call(method, path, key, body.is_null() ? std::string() : json::serialize(body));
  Reply out{reply.status, nullptr};
  boost::system::error_code ec;
  out.body = json::parse(reply.body, ec);
  return out;
}

// The error code of an answer ("" when evidence was delivered).
std::string answer_code(const TestGateway& gateway, const client::HttpReply& reply) {
  const auto reading = gateway.codec().read_answer(reply.body);
  EXPECT_TRUE(reading.valid) << reading.problem << "\n" << reply.body;
  return reading.error_code;
}

std::string ask(const TestGateway& gateway, const std::string& type, std::size_t person = 1) {
  return answer_code(gateway, gateway.post(gateway.request(gateway.people().at(person).idnr, type)));
}

// A request by another demo authority, over its own TLS connection.
std::string ask_as(const TestGateway& gateway, const std::string& kennung, const std::string& type) {
  auto fields = gateway.request_fields(gateway.people().at(3).idnr, type);
  fields.kopf.autor.kennung = kennung;
  const auto body = gateway.signer(kennung).sign(gateway.codec().write_request(fields));
  return answer_code(gateway, gateway.connect(kennung)->request("POST", "/v1/nachweis", body));
}

std::vector<json::object> audit(const TestGateway& gateway) {
  std::vector<json::object> out;
  std::istringstream lines(read_text(gateway.data_dir() / "admin-audit.jsonl"));
  for (std::string line; std::getline(lines, line);) out.push_back(json::parse(line).as_object());
  return out;
}

bool audited(const TestGateway& gateway, const std::string& who, const std::string& action_prefix,
             const std::string& result_prefix) {
  for (const auto& entry : audit(gateway)) {
    if (entry.at("who").as_string() == who && entry.at("action").as_string().starts_with(action_prefix) &&
        entry.at("result").as_string().starts_with(result_prefix)) {
      return true;
    }
  }
  return false;
}

// A remote register adapter for the sample register server on `port` (trusting the demo CA only).
json::object remote_adapter(std::uint16_t port, int breaker_open_ms = 300) {
  const json::object settings{{"url", "https://127.0.0.1:" + std::to_string(port)}, {"ca", "demo/ca.pem"},
                              {"breaker_failures", 3}, {"breaker_open_ms", breaker_open_ms}};
  return json::object{{"type", "remote-https"}, {"register_name", "Personenstandsregister (fern)"}, {"settings", settings}};
}

std::unique_ptr<adapters::sample_register::SampleRegisterServer> start_register(const TestGateway& gateway,
                                                                                std::uint16_t port = 0) {
  adapters::sample_register::SampleRegisterServer::Options options;
  options.kind = adapters::embedded::DocumentKind::geburtsurkunde;
  options.population = gateway.data_dir() / "registers" / "population.tsv";
  options.port = port;
  options.certificate = (gateway.demo_dir() / "server.pem").string();
  options.private_key = (gateway.demo_dir() / "server.key").string();
  auto server = std::make_unique<adapters::sample_register::SampleRegisterServer>(options);
  server->start();
  return server;
}

TestGatewayOptions with_admin() {
  TestGatewayOptions options;
  options.extra_toml = kAdminListener;
  return options;
}

TEST(RuntimeManagement, RemoteAdapterAddedAtRuntimeIsRoutableAndRemovalGivesNoRegister) {
  TestGateway gateway(with_admin());
  const auto key = gateway.admin_key();
  auto register_server = start_register(gateway);

  // The embedded register goes, with its route: the type is no longer routable.
  EXPECT_EQ(admin(gateway, "DELETE", "/admin/v1/adapters/personenstand", key).status, 409u);  // routes lead to it
  ASSERT_EQ(admin(gateway, "DELETE", "/admin/v1/adapters/personenstand?with_routes=true", key).status, 200u);
  EXPECT_EQ(ask(gateway, "geburtsurkunde"), "NO_REGISTER");

  // The remote register comes: routable at once, over real TLS, with the correlation id passed on.
  const auto added = admin(gateway, "PUT", "/admin/v1/adapters/personenstand-fern", key,
                           remote_adapter(register_server->port()));
  ASSERT_EQ(added.status, 200u) << json::serialize(added.body);
  ASSERT_EQ(admin(gateway, "PUT", "/admin/v1/routes/geburtsurkunde", key,
                  json::object{{"adapter", "personenstand-fern"}}).status, 200u);
  const auto reply = gateway.connect()->request(
      "POST", "/v1/nachweis", gateway.request(gateway.people().at(1).idnr, "geburtsurkunde"), "application/xml",
      {{"X-Correlation-ID", "case-4711"}});
  ASSERT_EQ(reply.status, 200u) << reply.body;
  EXPECT_NE(reply.body.find("Personenstandsregister (fern)"), std::string::npos);
  EXPECT_NE(reply.body.find(gateway.people().at(1).familienname), std::string::npos);
  EXPECT_EQ(register_server->queries_handled(), 1u);
  EXPECT_EQ(register_server->last_correlation_id(), "case-4711");

  const auto listed = admin(gateway, "GET", "/admin/v1/adapters", gateway.observer_key());
  ASSERT_EQ(listed.status, 200u);
  bool found = false;
  for (const auto& a : listed.body.at("adapters").as_array()) {
    if (a.at("name").as_string() != "personenstand-fern") continue;
    found = true;
    EXPECT_EQ(a.at("source").as_string(), "admin");
    EXPECT_EQ(a.at("status").at("breaker").as_string(), "closed");
    EXPECT_EQ(a.at("status").at("calls").to_number<int>(), 1);
  }
  EXPECT_TRUE(found);

  // Removed again: NO_REGISTER, and the register is not asked.
  ASSERT_EQ(admin(gateway, "DELETE", "/admin/v1/adapters/personenstand-fern?with_routes=true", key).status, 200u);
  EXPECT_EQ(ask(gateway, "geburtsurkunde", 2), "NO_REGISTER");
  EXPECT_EQ(register_server->queries_handled(), 1u);

  EXPECT_TRUE(audited(gateway, "demo-admin", "adapters.put personenstand-fern", "applied"));
  EXPECT_TRUE(audited(gateway, "demo-admin", "adapters.delete personenstand", "refused (409)"));
  EXPECT_TRUE(audited(gateway, "demo-admin", "routes.put geburtsurkunde", "applied"));
}

TEST(RuntimeManagement, RequestsInFlightFinishOnTheConfigurationTheyStartedWith) {
  TestGateway gateway(with_admin());
  const auto key = gateway.admin_key();
  // A slow register (700 ms per answer, deadline 1 s) that is removed while a request waits on it.
  ASSERT_EQ(admin(gateway, "PUT", "/admin/v1/adapters/langsam", key,
                  json::object{{"type", "embedded-personenstand"}, {"register_name", "Langsames Register"},
                               {"settings", json::object{{"data", "registers/population.tsv"}, {"latency_ms", 700}}}})
                .status,
            200u);
  ASSERT_EQ(admin(gateway, "PUT", "/admin/v1/routes/geburtsurkunde", key, json::object{{"adapter", "langsam"}}).status, 200u);
  client::HttpReply in_flight;
  std::atomic<bool> answered{false};
  const auto body = gateway.request(gateway.people().at(4).idnr, "geburtsurkunde");
  std::thread request([&] {
    in_flight = gateway.post(body);
    answered = true;
  });
  std::this_thread::sleep_for(100ms);  // the request is waiting for the register now
  const auto removed = admin(gateway, "DELETE", "/admin/v1/adapters/langsam?with_routes=true", key);
  const bool answered_before_the_change = answered;
  request.join();
  ASSERT_EQ(removed.status, 200u);
  EXPECT_FALSE(answered_before_the_change);  // the change really happened while it waited
  // The request that started before the change got its evidence from the removed register ...
  EXPECT_EQ(in_flight.status, 200u) << in_flight.body;
  EXPECT_NE(in_flight.body.find("Langsames Register"), std::string::npos);
  // ... and the next one sees the new configuration.
  EXPECT_EQ(ask(gateway, "geburtsurkunde", 5), "NO_REGISTER");
}

TEST(RuntimeManagement, ObserverCannotChangeAnythingAndEveryRefusalIsAudited) {
  TestGateway gateway(with_admin());
  const auto observer = gateway.observer_key();
  EXPECT_EQ(admin(gateway, "PUT", "/admin/v1/routes/geburtsurkunde", observer, json::object{{"adapter", "x"}}).status, 403u);
  EXPECT_EQ(admin(gateway, "DELETE", "/admin/v1/adapters/personenstand", observer).status, 403u);
  EXPECT_EQ(admin(gateway, "POST", "/admin/v1/adapters/personenstand/disable", observer).status, 403u);
  EXPECT_EQ(admin(gateway, "POST", "/admin/v1/signing-keys/rotate", observer, json::object{{"generate", true}}).status, 403u);
  EXPECT_EQ(admin(gateway, "POST", "/admin/v1/reload", observer).status, 403u);
  EXPECT_EQ(admin(gateway, "DELETE", "/admin/v1/adapters/personenstand", "og_admin_wrong").status, 401u);
  EXPECT_EQ(ask(gateway, "geburtsurkunde"), "");  // nothing changed
  EXPECT_TRUE(audited(gateway, "demo-observer", "routes.put geburtsurkunde", "refused: role observer"));
  EXPECT_TRUE(audited(gateway, "demo-observer", "signing-keys.rotate", "refused: role observer"));
  EXPECT_TRUE(audited(gateway, "unknown", "adapters.delete personenstand", "refused: unknown API key"));
  EXPECT_FALSE(std::filesystem::exists(gateway.data_dir() / "managed.json"));
}

TEST(RuntimeManagement, InvalidChangesAreRefusedAndNothingChanges) {
  TestGateway gateway(with_admin());
  const auto key = gateway.admin_key();
  const auto routes_before = json::serialize(admin(gateway, "GET", "/admin/v1/routes", key).body);
  EXPECT_EQ(admin(gateway, "PUT", "/admin/v1/routes/geburtsurkunde", key, json::object{{"adapter", "nowhere"}}).status, 400u);
  EXPECT_EQ(admin(gateway, "PUT", "/admin/v1/adapters/x", key, json::object{{"type", "no-such-type"}}).status, 400u);
  EXPECT_EQ(admin(gateway, "PUT", "/admin/v1/adapters/x", key,
                  json::object{{"type", "remote-https"}, {"settings", json::object{{"url", "http://127.0.0.1:1"}}}}).status,
            400u);
  EXPECT_EQ(admin(gateway, "PUT", "/admin/v1/adapters/x", key,
                  json::object{{"type", "embedded-personenstand"}, {"setings", json::object{}}}).status, 400u);
  EXPECT_EQ(admin(gateway, "PUT", "/admin/v1/permissions/p", key, json::object{{"authorities", json::array{}}}).status, 400u);
  EXPECT_EQ(admin(gateway, "PUT", "/admin/v1/authorities/psw:1", key,
                  json::object{{"certificates", json::array{"not a certificate"}}}).status, 400u);
  EXPECT_EQ(gateway.admin_call("PUT", "/admin/v1/routes/geburtsurkunde", key, "{not json").status, 400u);
  EXPECT_EQ(admin(gateway, "DELETE", "/admin/v1/permissions/no-such-rule", key).status, 404u);
  EXPECT_EQ(json::serialize(admin(gateway, "GET", "/admin/v1/routes", key).body), routes_before);
  EXPECT_EQ(ask(gateway, "geburtsurkunde"), "");
  EXPECT_TRUE(audited(gateway, "demo-admin", "routes.put geburtsurkunde", "refused (400)"));
}

TEST(RuntimeManagement, RegionalRouteRemovedLeavesTheOtherRegions) {
  TestGateway gateway(with_admin());
  const auto key = gateway.admin_key();
  EXPECT_EQ(admin(gateway, "DELETE", "/admin/v1/routes/meldebescheinigung?region=05", key).status, 404u);
  ASSERT_EQ(admin(gateway, "DELETE", "/admin/v1/routes/meldebescheinigung?region=04", key).status, 200u);
  EXPECT_EQ(answer_code(gateway, gateway.post(gateway.request(gateway.person_in("04").idnr, "meldebescheinigung", "04"))),
            "NO_REGISTER");
  EXPECT_EQ(answer_code(gateway, gateway.post(gateway.request(gateway.person_in("03").idnr, "meldebescheinigung", "03"))),
            "");
  EXPECT_EQ(gateway.admin_call("DELETE", "/admin/v1/routes/a%7Cb", key).status, 400u);  // '|' is no name
}

TEST(RuntimeManagement, DisabledAdapterAnswersRegisterUnavailableUntilEnabled) {
  TestGateway gateway(with_admin());
  const auto key = gateway.admin_key();
  ASSERT_EQ(admin(gateway, "POST", "/admin/v1/adapters/personenstand/disable", key).status, 200u);
  EXPECT_EQ(ask(gateway, "geburtsurkunde"), "REGISTER_UNAVAILABLE");
  const auto ready = admin(gateway, "GET", "/admin/v1/readyz", gateway.observer_key());
  EXPECT_EQ(ready.status, 200u);  // one register off does not stop the gateway
  EXPECT_TRUE(ready.body.at("degraded").as_bool());
  ASSERT_EQ(admin(gateway, "POST", "/admin/v1/adapters/personenstand/enable", key).status, 200u);
  EXPECT_EQ(ask(gateway, "geburtsurkunde", 2), "");
}

TEST(RuntimeManagement, AuthoritiesAndPermissionsChangeWithoutRestart) {
  TestGateway gateway(with_admin());
  const auto key = gateway.admin_key();
  const std::string newcomer = "psw:03005330";  // a demo authority the test configuration does not register
  EXPECT_EQ(ask_as(gateway, newcomer, "geburtsurkunde"), "UNKNOWN_AUTHORITY");

  const auto pem = read_text(demo::authority_certificate_file(gateway.demo_dir(), newcomer));
  ASSERT_EQ(admin(gateway, "PUT", "/admin/v1/authorities/" + newcomer, key,
                  json::object{{"name", "Standesamt Test"}, {"certificates", json::array{pem}}}).status, 200u);
  EXPECT_EQ(ask_as(gateway, newcomer, "geburtsurkunde"), "NOT_PERMITTED");  // denied by default

  const json::object rule{{"authorities", json::array{newcomer}},
                          {"evidence_types", json::array{"geburtsurkunde"}},
                          {"purposes", json::array{"leistungsgewaehrung"}},
                          {"legal_bases", json::array{"IDNrG § 6 Abs. 2"}}};
  ASSERT_EQ(admin(gateway, "PUT", "/admin/v1/permissions/standesamt", key, rule).status, 200u);
  EXPECT_EQ(ask_as(gateway, newcomer, "geburtsurkunde"), "");

  // The configuration file's own rule can go too: its authority is then denied.
  ASSERT_EQ(admin(gateway, "DELETE", "/admin/v1/permissions/test-all", key).status, 200u);
  EXPECT_EQ(ask(gateway, "geburtsurkunde"), "NOT_PERMITTED");

  ASSERT_EQ(admin(gateway, "DELETE", "/admin/v1/authorities/" + newcomer, key).status, 200u);
  EXPECT_EQ(ask_as(gateway, newcomer, "geburtsurkunde"), "UNKNOWN_AUTHORITY");
}

TEST(RuntimeManagement, ChangesSurviveARestart) {
  TestGateway gateway(with_admin());
  const auto key = gateway.admin_key();
  auto register_server = start_register(gateway);
  ASSERT_EQ(admin(gateway, "DELETE", "/admin/v1/adapters/personenstand?with_routes=true", key).status, 200u);
  ASSERT_EQ(admin(gateway, "PUT", "/admin/v1/adapters/fern", key, remote_adapter(register_server->port())).status, 200u);
  ASSERT_EQ(admin(gateway, "PUT", "/admin/v1/routes/geburtsurkunde", key, json::object{{"adapter", "fern"}}).status, 200u);
  ASSERT_EQ(admin(gateway, "POST", "/admin/v1/adapters/melderegister-hb/disable", key).status, 200u);

  gateway.restart();
  EXPECT_EQ(ask(gateway, "geburtsurkunde"), "");
  EXPECT_EQ(register_server->queries_handled(), 1u);
  EXPECT_EQ(answer_code(gateway, gateway.post(gateway.request(gateway.person_in("04").idnr, "meldebescheinigung", "04"))),
            "REGISTER_UNAVAILABLE");
  const auto adapters = admin(gateway, "GET", "/admin/v1/adapters", key).body.at("adapters").as_array();
  for (const auto& a : adapters) EXPECT_NE(a.at("name").as_string(), "personenstand");
}

TEST(RuntimeManagement, SigningKeyRotationKeepsTheOldCertificatePublished) {
  TestGateway gateway(with_admin());
  const auto key = gateway.admin_key();
  ASSERT_EQ(ask(gateway, "geburtsurkunde"), "");
  const auto old_certificate = read_text(gateway.demo_dir() / "gateway-signing.pem");

  const auto rotated = admin(gateway, "POST", "/admin/v1/signing-keys/rotate", key, json::object{{"generate", true}});
  ASSERT_EQ(rotated.status, 200u) << json::serialize(rotated.body);
  const std::string new_certificate(rotated.body.at("certificate").as_string());
  ASSERT_NE(new_certificate, old_certificate);

  // New answers carry the new key's signature; the old key does not verify them.
  const auto reply = gateway.post(gateway.request(gateway.people().at(2).idnr, "geburtsurkunde"));
  ASSERT_EQ(reply.status, 200u);
  message::XmlVerificationKeys new_keys;
  new_keys.add(new_certificate);
  EXPECT_TRUE(message::verify_enveloped_signature(reply.body, new_keys, std::time(nullptr)).valid);
  EXPECT_FALSE(message::verify_enveloped_signature(reply.body, gateway.gateway_keys(), std::time(nullptr)).valid);

  // Both certificates stay published, the current one first.
  const auto published = json::parse(gateway.connect()->request("GET", "/v1/signing-certificates").body);
  const auto& certificates = published.at("certificates").as_array();
  ASSERT_EQ(certificates.size(), 2u);
  EXPECT_EQ(certificates[0].at("certificate").as_string(), new_certificate);
  EXPECT_TRUE(certificates[0].at("current").as_bool());
  EXPECT_EQ(certificates[1].at("certificate").as_string(), old_certificate);

  // Tree heads signed before and after the rotation all verify.
  ASSERT_EQ(admin(gateway, "POST", "/admin/v1/log/head", key).status, 200u);
  const auto verified = admin(gateway, "POST", "/admin/v1/log/verify", key);
  ASSERT_EQ(verified.status, 200u);
  EXPECT_TRUE(verified.body.at("ok").as_bool()) << json::serialize(verified.body);
  EXPECT_GE(verified.body.at("heads").to_number<int>(), 2);

  // Persisted: after a restart the new key still signs, and both certificates stay published.
  gateway.restart();
  const auto after = gateway.post(gateway.request(gateway.people().at(3).idnr, "geburtsurkunde"));
  EXPECT_TRUE(message::verify_enveloped_signature(after.body, new_keys, std::time(nullptr)).valid);

  // A second rotation publishes three, the newest first.
  const auto again = admin(gateway, "POST", "/admin/v1/signing-keys/rotate", key, json::object{{"generate", true}});
  ASSERT_EQ(again.status, 200u);
  const auto listed = admin(gateway, "GET", "/admin/v1/signing-keys", gateway.observer_key()).body.at("signing-keys").as_array();
  ASSERT_EQ(listed.size(), 3u);
  EXPECT_EQ(listed[0].at("certificate").as_string(), again.body.at("certificate").as_string());
  EXPECT_EQ(listed[1].at("certificate").as_string(), new_certificate);
  EXPECT_EQ(listed[2].at("certificate").as_string(), old_certificate);
  EXPECT_EQ(admin(gateway, "POST", "/admin/v1/signing-keys/rotate", key,
                  json::object{{"key", "demo/server.key"}, {"certificate", "demo/gateway-signing.pem"}}).status,
            400u);  // a key that does not belong to the certificate changes nothing
  EXPECT_EQ(admin(gateway, "GET", "/admin/v1/signing-keys", key).body.at("signing-keys").as_array().size(), 3u);
  EXPECT_TRUE(audited(gateway, "demo-admin", "signing-keys.rotate", "applied"));
}

TEST(RuntimeManagement, ReloadAppliesTheEditedConfigurationOrNothing) {
  TestGatewayOptions options = with_admin();
  std::mutex edit_mutex;
  std::string edited;  // what the "edited configuration file" adds
  options.reload_extra_toml = [&] {
    std::lock_guard lock(edit_mutex);
    return edited;
  };
  const auto edit = [&](std::string text) {
    std::lock_guard lock(edit_mutex);
    edited = std::move(text);
  };
  TestGateway gateway(options);
  const auto key = gateway.admin_key();
  EXPECT_EQ(ask_as(gateway, "psw:02004220", "geburtsurkunde"), "NOT_PERMITTED");

  edit("[[routes]]\nevidence_type = \"fischereischein\"\nadapter = \"no-such-adapter\"\n");
  EXPECT_EQ(admin(gateway, "POST", "/admin/v1/reload", key).status, 400u);

  edit(
      "[[permissions]]\nid = \"reloaded\"\nauthorities = [\"psw:02004220\"]\nevidence_types = [\"geburtsurkunde\"]\n"
      "purposes = [\"leistungsgewaehrung\"]\nlegal_bases = [\"IDNrG § 6 Abs. 2\"]\n");
  const auto reloaded = admin(gateway, "POST", "/admin/v1/reload", key);
  ASSERT_EQ(reloaded.status, 200u) << json::serialize(reloaded.body);
  EXPECT_EQ(ask_as(gateway, "psw:02004220", "geburtsurkunde"), "");
  EXPECT_TRUE(audited(gateway, "demo-admin", "reload", "refused (400)"));
  EXPECT_TRUE(audited(gateway, "demo-admin", "reload", "applied"));
}

TEST(RuntimeManagement, CorrelationIdIsReturnedAndGeneratedWhenMissingOrMalformed) {
  TestGateway gateway;
  const auto header = [](const client::HttpReply& reply) {
    for (const auto& [name, value] : reply.headers) {
      if (name == "x-correlation-id" || name == "X-Correlation-ID") return value;
    }
    return std::string();
  };
  const auto body = [&] { return gateway.request(gateway.people().at(1).idnr, "geburtsurkunde"); };
  EXPECT_EQ(header(gateway.connect()->request("POST", "/v1/nachweis", body(), "application/xml",
                                              {{"X-Correlation-ID", "vorgang-2026.11_27"}})),
            "vorgang-2026.11_27");
  const auto generated = header(gateway.connect()->request("POST", "/v1/nachweis", body(), "application/xml",
                                                           {{"X-Correlation-ID", "bad id\"with quotes"}}));
  EXPECT_EQ(generated.size(), 32u);
  EXPECT_EQ(generated.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(header(gateway.post(body())).size(), 32u);
}

TEST(RuntimeManagement, MetricsShowStagesAdaptersAndCertificateExpiry) {
  TestGateway gateway(with_admin());
  auto register_server = start_register(gateway);
  const auto key = gateway.admin_key();
  ASSERT_EQ(admin(gateway, "PUT", "/admin/v1/adapters/fern", key, remote_adapter(register_server->port())).status, 200u);
  ASSERT_EQ(admin(gateway, "PUT", "/admin/v1/routes/geburtsurkunde", key, json::object{{"adapter", "fern"}}).status, 200u);
  ASSERT_EQ(ask(gateway, "geburtsurkunde"), "");
  const auto text = gateway.admin_call("GET", "/admin/v1/metrics", gateway.observer_key()).body;
  const auto value = [&](const std::string& series) -> double {
    const auto pos = text.find("\n" + series + " ");
    return pos == std::string::npos ? -1 : std::stod(text.substr(pos + series.size() + 2));
  };
  // Every stage of a delivered exchange is counted once, however short it was.
  const double exchanges = value("oncegate_request_duration_seconds_count{family=\"national\"}");
  EXPECT_GE(exchanges, 1);
  for (const char* stage : {"parse", "verify", "permission", "adapter", "sign", "log"}) {
    EXPECT_EQ(value("oncegate_stage_duration_seconds_count{stage=\"" + std::string(stage) + "\"}"), exchanges) << stage;
  }
  EXPECT_EQ(value("oncegate_adapter_calls_total{adapter=\"fern\"}"), 1);
  EXPECT_EQ(value("oncegate_adapter_breaker_state{adapter=\"fern\",state=\"closed\"}"), 0);
  EXPECT_GE(value("oncegate_transfer_log_queue_depth"), 0);
  EXPECT_NE(text.find("oncegate_certificate_expiry_days{kind=\"signing\""), std::string::npos);
  EXPECT_NE(text.find("oncegate_certificate_expiry_days{kind=\"listener\",name=\"evidence\"}"), std::string::npos);
  EXPECT_NE(text.find("oncegate_certificate_expiry_days{kind=\"authority\",name=\"psw:01003110"), std::string::npos);
}

TEST(RuntimeManagement, OperatorsMayUseClientCertificatesInsteadOfKeys) {
  TestGatewayOptions options;
  options.prepare = [](const std::filesystem::path& data_dir) {
    const crypto::KeyAndCertificate ca{read_text(data_dir / "demo" / "ca.key"), read_text(data_dir / "demo" / "ca.pem")};
    for (const char* who : {"operator-admin", "operator-observer"}) {
      crypto::CertificateRequest request;
      request.common_name = who;
      request.role = crypto::CertificateRole::tls_client;
      const auto issued = crypto::issue_certificate(request, &ca);
      common::write_file_atomically(data_dir / (std::string(who) + ".pem"), issued.certificate_pem, false);
      common::write_file_atomically(data_dir / (std::string(who) + ".key"), issued.private_key_pem, true);
    }
  };
  options.extra_toml = kAdminListener + "client_ca = \"demo/ca.pem\"\n"
                       "[admin]\n"
                       "[[admin.operators]]\nname = \"ops-anna\"\nrole = \"admin\"\ncertificate = \"operator-admin.pem\"\n"
                       "[[admin.operators]]\nname = \"ops-ben\"\nrole = \"observer\"\ncertificate = \"operator-observer.pem\"\n";
  TestGateway gateway(options);
  const auto call = [&](const char* who, const std::string& method, const std::string& path) {
    const client::ClientTls tls{(gateway.demo_dir() / "ca.pem").string(),
                                (gateway.data_dir() / (std::string(who) + ".pem")).string(),
                                (gateway.data_dir() / (std::string(who) + ".key")).string()};
    return client::HttpsClient("127.0.0.1", gateway.gateway().port("admin"), tls).request(method, path, "", "application/json");
  };
  EXPECT_EQ(call("operator-observer", "GET", "/admin/v1/routes").status, 200u);
  EXPECT_EQ(call("operator-observer", "POST", "/admin/v1/adapters/personenstand/disable").status, 403u);
  EXPECT_EQ(call("operator-admin", "POST", "/admin/v1/adapters/personenstand/disable").status, 200u);
  EXPECT_EQ(ask(gateway, "geburtsurkunde"), "REGISTER_UNAVAILABLE");
  // A certificate of the same CA that is not registered as an operator is no operator.
  const auto authority_tls = gateway.tls(TestGateway::kAuthority);
  EXPECT_EQ(client::HttpsClient("127.0.0.1", gateway.gateway().port("admin"), authority_tls)
                .request("GET", "/admin/v1/routes", "", "application/json").status,
            401u);
  EXPECT_TRUE(audited(gateway, "ops-anna", "adapters.disable personenstand", "applied"));
  EXPECT_TRUE(audited(gateway, "ops-ben", "adapters.disable personenstand", "refused: role observer"));
}

// ---- The sample register server as a separate process, killed and restarted -----------------

class RegisterProcess {
 public:
  RegisterProcess(const TestGateway& gateway, std::uint16_t port) {
    const auto port_file = gateway.data_dir() / ("register-port-" + std::to_string(counter_++) + ".json");
    const std::string bin = std::string(ONCEGATE_BIN_DIR) + "/oncegate-register";
    const std::vector<std::string> args{bin, "--kind", "geburtsurkunde",
                                        "--population", (gateway.data_dir() / "registers" / "population.tsv").string(),
                                        "--cert", (gateway.demo_dir() / "server.pem").string(),
                                        "--key", (gateway.demo_dir() / "server.key").string(),
                                        "--port", std::to_string(port), "--port-file", port_file.string()};
    pid_ = ::fork();
    if (pid_ == 0) {
      std::vector<char*> argv;
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      ::execv(bin.c_str(), argv.data());
      ::_exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (std::filesystem::exists(port_file)) {
        port_ = static_cast<std::uint16_t>(json::parse(read_text(port_file)).at("port").to_number<unsigned>());
        return;
      }
      std::this_thread::sleep_for(20ms);
    }
    ADD_FAILURE() << "the register server did not start";
  }
  ~RegisterProcess() { kill(); }
  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  [[nodiscard]] std::uint16_t port() const { return port_; }

 private:
  static inline int counter_ = 0;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

TEST(RuntimeManagement, KilledRegisterGivesFastRegisterUnavailableAndRecoversWhenRestarted) {
  TestGateway gateway(with_admin());
  const auto key = gateway.admin_key();
  auto process = std::make_unique<RegisterProcess>(gateway, 0);
  const auto port = process->port();
  ASSERT_NE(port, 0);
  ASSERT_EQ(admin(gateway, "PUT", "/admin/v1/adapters/fern", key, remote_adapter(port, 1000)).status, 200u);
  ASSERT_EQ(admin(gateway, "PUT", "/admin/v1/routes/geburtsurkunde", key, json::object{{"adapter", "fern"}}).status, 200u);

  // Load from two clients; the register dies in the middle of it.
  std::atomic<bool> stop{false};
  std::atomic<int> delivered{0};
  std::atomic<int> unavailable{0};
  std::atomic<int> other{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 2; ++c) {
    clients.emplace_back([&, c] {
      for (std::size_t i = 0; !stop; ++i) {
        const auto code = ask(gateway, "geburtsurkunde", (c * 500 + i) % gateway.people().size());
        if (code.empty()) {
          ++delivered;
        } else if (code == "REGISTER_UNAVAILABLE") {
          ++unavailable;
        } else if (code != "TIMEOUT") {  // a call caught by the kill may run into its deadline
          ++other;
        }
      }
    });
  }
  const auto wait_for = [](auto condition, std::chrono::seconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!condition() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(10ms);
    return condition();
  };
  ASSERT_TRUE(wait_for([&] { return delivered >= 10; }, 60s));
  process->kill();
  ASSERT_TRUE(wait_for([&] { return unavailable >= 10; }, 60s));
  stop = true;
  for (auto& t : clients) t.join();
  EXPECT_EQ(other, 0);

  // The breaker is open: requests are refused at once, without touching the register (counted as
  // rejected_open), instead of each waiting for a connection attempt or the deadline.
  const auto fern_status = [&] {
    const auto listed = admin(gateway, "GET", "/admin/v1/adapters", key);
    for (const auto& a : listed.body.at("adapters").as_array()) {
      if (a.at("name").as_string() == "fern") return a.at("status").as_object();
    }
    return json::object{};
  };
  const auto before = fern_status();
  EXPECT_TRUE(before.at("breaker").as_string() == "open" || before.at("breaker").as_string() == "half_open")
      << json::serialize(before);
  EXPECT_EQ(ask(gateway, "geburtsurkunde", 7), "REGISTER_UNAVAILABLE");
  EXPECT_EQ(fern_status().at("rejected_open").to_number<std::int64_t>(),
            before.at("rejected_open").to_number<std::int64_t>() + 1);
  EXPECT_GT(before.at("rejected_open").to_number<std::int64_t>(), 0);
  const auto ready = admin(gateway, "GET", "/admin/v1/readyz", key);
  EXPECT_TRUE(ready.body.at("degraded").as_bool());
  const auto metrics = gateway.admin_call("GET", "/admin/v1/metrics", key).body;
  const std::string series = "oncegate_adapter_errors_total{adapter=\"fern\",kind=\"breaker_open\"} ";
  const auto at = metrics.find(series);
  ASSERT_NE(at, std::string::npos);
  EXPECT_GT(std::stol(metrics.substr(at + series.size())), 0);

  // Back on the same port: the breaker's probe finds it and requests are delivered again.
  process = std::make_unique<RegisterProcess>(gateway, port);
  EXPECT_TRUE(wait_for([&] { return ask(gateway, "geburtsurkunde", 9).empty(); }, 30s));
  const auto recovered = admin(gateway, "GET", "/admin/v1/readyz", key);
  EXPECT_FALSE(recovered.body.at("degraded").as_bool()) << json::serialize(recovered.body);
}

}  // namespace
}  // namespace oncegate::testing
