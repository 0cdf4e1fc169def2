#include "tests/support/test_gateway.hpp"

#include <unistd.h>

#include <fstream>
#include <random>
#include <stdexcept>

#include <boost/asio/post.hpp>

#include "gateway/config/config.hpp"
#include "gateway/demo/pki.hpp"

namespace oncegate::testing {

std::string trust_material_for_test(const std::filesystem::path& directory) {
  return demo::ensure_demo_pki(directory).ca_certificate.string();
}

std::atomic<int>& scripted_adapter_calls() {
  static std::atomic<int> calls{0};
  return calls;
}

namespace {

class ScriptedAdapter final : public adapters::RegisterAdapter {
 public:
  ScriptedAdapter(std::string name, std::string mode, boost::asio::any_io_executor executor)
      : name_(std::move(name)), mode_(std::move(mode)), executor_(std::move(executor)) {}
  const std::string& name() const noexcept override { return name_; }
  const std::string& register_name() const noexcept override { return name_; }
  void fetch(adapters::EvidenceQuery query, std::chrono::steady_clock::time_point,
             adapters::FetchHandler done) override {
    ++scripted_adapter_calls();
    if (mode_ == "throws") throw std::runtime_error("scripted failure");
    if (mode_ == "silent") return;  // drops the handler: the pipeline's deadline must answer
    adapters::FetchResult result;
    if (mode_ == "bad-evidence") {
      result.status = adapters::FetchStatus::found;
      result.evidence = {query.evidence_type, {{"not a name", "x"}}};
    } else {
      result.status = adapters::FetchStatus::unavailable;
      result.detail = "scripted";
    }
    boost::asio::post(executor_, [done = std::move(done), result = std::move(result)]() mutable { done(std::move(result)); });
  }

 private:
  std::string name_;
  std::string mode_;
  boost::asio::any_io_executor executor_;
};

}  // namespace

void register_scripted_adapter_type(adapters::AdapterFactoryRegistry& registry) {
  registry.add("test-scripted", [](const adapters::AdapterConfig& config, const adapters::AdapterContext& context) {
    auto mode = config.settings.find("mode");
    if (mode == config.settings.end()) throw adapters::AdapterError("test-scripted needs a mode");
    return std::make_shared<ScriptedAdapter>(config.name, mode->second, context.executor);
  });
}

TestGateway::TestGateway(TestGatewayOptions options)
    : reload_extra_toml_(options.reload_extra_toml), log_faults_(options.log_faults) {
  toml_ =
      "[gateway]\n"
      "data_dir = \"" + dir_.path().string() + "\"\n"
      "kennung = \"psw:99000001\"\n"
      "name = \"oncegate test\"\n"
      "io_threads = 2\n"
      "adapter_deadline_ms = 1000\n"
      "shutdown_grace_ms = 5000\n" + options.gateway_toml +
      "[listeners.evidence]\n"
      "address = \"127.0.0.1\"\n"
      "port = 0\n"
      "certificate = \"demo/server.pem\"\n"
      "private_key = \"demo/server.key\"\n"
      "client_ca = \"demo/ca.pem\"\n"
      "require_client_certificate = true\n" + options.evidence_listener_toml +
      (options.datacockpit ? std::string("[listeners.cockpit]\naddress = \"127.0.0.1\"\nport = 0\n"
                                         "certificate = \"demo/server.pem\"\nprivate_key = \"demo/server.key\"\n")
                           : std::string()) +
      (options.transparency ? std::string("[listeners.log]\naddress = \"127.0.0.1\"\nport = 0\n"
                                          "certificate = \"demo/server.pem\"\nprivate_key = \"demo/server.key\"\n"
                                          "[listeners.witness]\naddress = \"127.0.0.1\"\nport = 0\n"
                                          "certificate = \"demo/server.pem\"\nprivate_key = \"demo/server.key\"\n"
                                          "[demo_witness]\nenabled = true\n")
                            : std::string()) +
      "[log]\norigin = \"" + options.log_origin + "\"\n" + (options.transparency ? "witness_quorum = 1\n" : "") +
      options.log_toml +
      (options.transparency ? "[[log.witnesses]]\nvkey_file = \"demo-witness/witness.vkey\"\nlocal = true\n" : "") +
      "[trust]\n"
      "ca = \"demo/ca.pem\"\n"
      "signing_key = \"demo/gateway-signing.key\"\n"
      "signing_certificate = \"demo/gateway-signing.pem\"\n" + options.trust_toml +
      "[[authorities]]\nkennung = \"psw:01003110\"\nname = \"Bürgeramt Hannover (Test)\"\n"
      "certificates = [\"demo/authorities/psw-01003110.pem\"]\n"
      "[[authorities]]\nkennung = \"psw:02004220\"\nname = \"Elterngeldstelle Bremen (Test)\"\n"
      "certificates = [\"demo/authorities/psw-02004220.pem\"]\n" + options.authorities_toml +
      "[[permissions]]\nid = \"test-all\"\nauthorities = [\"psw:01003110\"]\n"
      "evidence_types = [\"geburtsurkunde\", \"meldebescheinigung\", \"fischereischein\", \"test-down\", "
      "\"test-silent\", \"test-throws\", \"test-garbled\"]\n"
      "purposes = [\"leistungsgewaehrung\"]\nlegal_bases = [\"IDNrG § 6 Abs. 2\"]\n"
      "[[permissions]]\nid = \"test-consent\"\nauthorities = [\"psw:02004220\"]\n"
      "evidence_types = [\"meldebescheinigung\"]\npurposes = [\"bafoeg\"]\nlegal_bases = [\"BAföG § 46 Abs. 3\"]\n"
      "consent_required = true\n" +
      (options.datacockpit ? std::string("[datacockpit]\nenabled = true\ndemo_idp = true\ndemo_idp_key = \"demo/idp.key\"\n") +
                                 options.datacockpit_toml
                           : std::string()) +
      "[demo]\n"
      "generate = true\n"
      "population = " + std::to_string(options.population) + "\n"
      "seed = 7\n"
      "[[adapters]]\nname = \"personenstand\"\ntype = \"embedded-personenstand\"\n"
      "register_name = \"Personenstandsregister (Test)\"\ndata = \"registers/population.tsv\"\n"
      "[[adapters]]\nname = \"melderegister-ni\"\ntype = \"embedded-melderegister\"\n"
      "register_name = \"Melderegister Niedersachsen (Test)\"\ndata = \"registers/population.tsv\"\nregion = \"03\"\n"
      "[[adapters]]\nname = \"melderegister-hb\"\ntype = \"embedded-melderegister\"\n"
      "register_name = \"Melderegister Bremen (Test)\"\ndata = \"registers/population.tsv\"\nregion = \"04\"\n"
      "[[routes]]\nevidence_type = \"geburtsurkunde\"\nadapter = \"personenstand\"\n"
      "[[routes]]\nevidence_type = \"meldebescheinigung\"\nregion = \"03\"\nadapter = \"melderegister-ni\"\n"
      "[[routes]]\nevidence_type = \"meldebescheinigung\"\nregion = \"04\"\nadapter = \"melderegister-hb\"\n" +
      options.extra_toml;
  demo::ensure_demo_pki(dir_.path() / "demo");
  if (options.prepare) options.prepare(dir_.path());
  if (options.extra_toml_late) {
    const std::string value = options.extra_toml_late();
    for (auto at = toml_.find("{PORT}"); at != std::string::npos; at = toml_.find("{PORT}", at)) toml_.replace(at, 6, value);
  }
  start_gateway();
  codec_ = message::MessageCodec::open({});
  people_ = adapters::population::read_tsv(dir_.path() / "registers" / "population.tsv");
  gateway_keys_.add(read_text(dir_.path() / "demo" / "gateway-signing.pem"));
}

void TestGateway::start_gateway() {
  app::GatewayOptions gateway_options;
  gateway_options.config = config::parse_config(toml_, "(test)");
  gateway_options.extra_adapter_types = register_scripted_adapter_type;
  gateway_options.log_faults = log_faults_;
  if (reload_extra_toml_) {
    gateway_options.reload_config = [toml = toml_, extra = reload_extra_toml_] {
      return config::parse_config(toml + extra(), "(test, reloaded)");
    };
  }
  gateway_ = std::make_unique<app::Gateway>(std::move(gateway_options));
  gateway_->start();
}

void TestGateway::restart() {
  gateway_->shutdown();
  gateway_.reset();
  start_gateway();
}

client::HttpReply TestGateway::admin_call(const std::string& method, const std::string& path,
                                          const std::string& api_key, const std::string& body) const {
  client::HttpsClient connection("127.0.0.1", gateway_->port("admin"), tls(""), std::chrono::seconds(30));
  std::vector<std::pair<std::string, std::string>> headers;
  if (!api_key.empty()) headers.emplace_back("Authorization", "Bearer " + api_key);
  return connection.request(method, path, body, "application/json", headers);
}

namespace {
std::string first_line(const std::filesystem::path& file) {
  std::string text = read_text(file);
  return text.substr(0, text.find('\n'));
}
}  // namespace

std::string TestGateway::admin_key() const { return first_line(demo_dir() / "admin-api-key"); }
std::string TestGateway::observer_key() const { return first_line(demo_dir() / "observer-api-key"); }

TestGateway::~TestGateway() {
  if (gateway_) gateway_->shutdown();
}

std::uint16_t TestGateway::port() const { return gateway_->port("evidence"); }

std::uint16_t TestGateway::cockpit_port() const { return gateway_->port("cockpit"); }

std::uint16_t TestGateway::listener_port(const std::string& name) const { return gateway_->port(name); }

std::unique_ptr<client::HttpsClient> TestGateway::connect_cockpit() const {
  return std::make_unique<client::HttpsClient>("127.0.0.1", cockpit_port(), tls(""), std::chrono::seconds(20));
}

client::ClientTls TestGateway::tls(const std::string& kennung) const {
  client::ClientTls tls{(demo_dir() / "ca.pem").string(), "", ""};
  if (!kennung.empty()) {
    tls.certificate_file = demo::authority_certificate_file(demo_dir(), kennung).string();
    tls.private_key_file = demo::authority_key_file(demo_dir(), kennung).string();
  }
  return tls;
}

std::unique_ptr<client::HttpsClient> TestGateway::connect(const std::string& kennung) const {
  return std::make_unique<client::HttpsClient>("127.0.0.1", port(), tls(kennung), std::chrono::seconds(20));
}

const message::XmlSigningKey& TestGateway::signer(const std::string& kennung) const {
  std::lock_guard lock(signers_mutex_);
  auto& key = signers_[kennung];
  if (!key) {
    key = message::XmlSigningKey::load(read_text(demo::authority_key_file(demo_dir(), kennung)),
                                       read_text(demo::authority_certificate_file(demo_dir(), kennung)));
  }
  return *key;
}

const adapters::population::Person& TestGateway::person_in(const std::string& land) const {
  for (const auto& person : people_) {
    if (person.wohnort_ags.starts_with(land)) return person;
  }
  throw std::logic_error("no person in Land " + land);
}


std::string TestGateway::request(const std::string& idnr, const std::string& type, const std::string& region) const {
  return signer().sign(unsigned_request(idnr, type, region));
}

std::string TestGateway::unsigned_request(const std::string& idnr, const std::string& type,
                                          const std::string& region) const {
  return codec_->write_request(request_fields(idnr, type, region));
}

message::EvidenceRequest TestGateway::request_fields(const std::string& idnr, const std::string& type,
                                                     const std::string& region) const {
  message::EvidenceRequest request;
  request.kopf.autor = {"dvdv", "psw:01003110", "Bürgeramt Test"};
  request.kopf.leser = {"dvdv", "psw:99000001", ""};
  request.idnr = idnr;
  request.nachweistyp = type;
  request.zweck = "leistungsgewaehrung";
  request.rechtsgrundlage = "IDNrG § 6 Abs. 2";
  request.regionalschluessel = region;
  return request;
}

client::HttpReply TestGateway::post(const std::string& body, const std::string& content_type) const {
  return connect()->request("POST", "/v1/nachweis", body, content_type);
}

}  // namespace oncegate::testing
