// Two gateway nodes in one process sharing one real redis-server: the replay window across
// nodes, an admin change on one in force on the other, a Datencockpit session begun on one used
// and ended on the other, the store lost and back, and the load balancer's probe. (The whole cluster with HAProxy and SIGKILL is tests/cluster/cluster_test.sh;
// this is the part ThreadSanitizer watches.)

#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <boost/json.hpp>

#include "gateway/common/bytes.hpp"
#include "gateway/common/files.hpp"
#include "gateway/common/url.hpp"
#include "gateway/common/time.hpp"
#include "gateway/crypto/crypto.hpp"
#include "gateway/crypto/ed25519.hpp"
#include "gateway/log/auskunft.hpp"
#include "gateway/log/transfer_log.hpp"
#include "gateway/message/dsc/dsc.hpp"
#include "gateway/tlog/checkpoint.hpp"
#include "gateway/tlog/merkle.hpp"
#include "gateway/tlog/note.hpp"
#include "tests/support/cockpit_proof.hpp"
#include "tests/support/cockpit_signin.hpp"
#include "tests/support/dsc_proof.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/redis_server.hpp"
#include "tests/support/test_gateway.hpp"

namespace oncegate::testing {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

constexpr const char* kDsc = "psw:00001000";

std::string code_of(const std::string& body) {
  const auto open = body.find(":code>");
  return open == std::string::npos ? std::string() : body.substr(open + 6, body.find('<', open) - open - 6);
}

class ClusterNodesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    store_dir_ = new TempDir();
    redis_ = new RedisServer(store_dir_->path() / "redis", "cluster-test-password");
    common::write_file_atomically(store_dir_->path() / "redis-password", redis_->password() + "\n", true);
    node_a_ = new TestGateway(options("a", nullptr));
    node_b_ = new TestGateway(options("b", node_a_));
  }
  static void TearDownTestSuite() {
    delete node_b_;
    delete node_a_;
    delete redis_;
    delete store_dir_;
  }

  // Node `name`; every node after the first takes the first one's demo PKI, admin keys and
  // pseudonym secret (one PKI for the cluster, as cluster.sh does).
  static TestGatewayOptions options(const std::string& name, const TestGateway* first) {
    TestGatewayOptions o;
    o.datacockpit = true;
    o.log_origin = "oncegate.test/log/node-" + name;
    // The national Datenschutzcockpit asks too (its answer is every node's log as well).
    o.authorities_toml = "[[authorities]]\nkennung = \"psw:00001000\"\nname = \"Datenschutzcockpit (Test)\"\n"
                         "certificates = [\"demo/authorities/psw-00001000.pem\"]\n";
    o.extra_toml =
        "[dsc]\nenabled = true\nparties = [\"psw:00001000\"]\n"
        "[listeners.peer]\naddress = \"127.0.0.1\"\nport = 0\ncertificate = \"demo/server.pem\"\n"
        "private_key = \"demo/server.key\"\nclient_ca = \"demo/ca.pem\"\n"
        "[listeners.admin]\naddress = \"127.0.0.1\"\nport = 0\ncertificate = \"demo/server.pem\"\n"
        "private_key = \"demo/server.key\"\n"
        "[listeners.health]\naddress = \"127.0.0.1\"\nport = 0\ncertificate = \"demo/server.pem\"\n"
        "private_key = \"demo/server.key\"\n"
        "[cluster]\nnode = \"" + name + "\"\nstore = \"127.0.0.1:" + std::to_string(redis_->port()) +
        "\"\nstore_password_file = \"" + (store_dir_->path() / "redis-password").string() + "\"\n"
        "peer_certificate = \"demo/cluster-node.pem\"\npeer_key = \"demo/cluster-node.key\"\n";
    if (first != nullptr) {
      const fs::path from = first->data_dir();
      o.prepare = [from](const fs::path& data_dir) {
        fs::copy(from / "demo", data_dir / "demo", fs::copy_options::recursive | fs::copy_options::overwrite_existing);
        for (const char* file : {"admin-keys.json", "pseudonym.secret"}) {
          fs::copy_file(from / file, data_dir / file, fs::copy_options::overwrite_existing);
        }
      };
    }
    return o;
  }

  static std::string admin_key() {
    std::string key = read_text(node_a_->demo_dir() / "admin-api-key");
    key.pop_back();
    return key;
  }
  static json::object cluster_of(const TestGateway& node) {
    const auto reply = node.admin_call("GET", "/admin/v1/cluster", admin_key());
    EXPECT_EQ(reply.status, 200u) << reply.body;
    return json::parse(reply.body).as_object();
  }
  // A command to the store, as an operator types it; its output.
  static std::string redis_command(const std::string& arguments) {
    const std::string command = "redis-cli --no-auth-warning -p " + std::to_string(redis_->port()) + " -a " +
                                redis_->password() + " " + arguments;
    std::string out;
    if (FILE* pipe = popen(command.c_str(), "r")) {
      char buffer[4096];
      while (const auto n = fread(buffer, 1, sizeof buffer, pipe)) out.append(buffer, n);
      pclose(pipe);
    }
    return out;
  }
  static client::HttpReply cockpit_get(const TestGateway& node, const std::string& cookie, const std::string& target) {
    return node.connect_cockpit()->request("GET", target, "", "", {{"Cookie", cookie}});
  }
  // The DSC's signed protokolldatenAnfrage for a person, at a node.
  static client::HttpReply dsc_post(const TestGateway& node, const std::string& idnr, std::size_t limit,
                                    const std::string& continuation = "", std::optional<std::uint64_t> before = std::nullopt) {
    message::dsc::DscRequest r;
    r.request_uuid = crypto::new_uuid();
    r.created = common::utc_text(std::chrono::system_clock::now());
    r.sender = kDsc;
    r.idnr = idnr;
    r.limit = limit;
    r.continuation = continuation;
    r.before = before;
    const auto body = node.signer(kDsc).sign(dsc_codec()->write_request(r));
    return node.connect(kDsc)->request("POST", "/v1/dsc/protokolldaten", body, "application/xml");
  }
  static const std::shared_ptr<const message::dsc::DscCodec>& dsc_codec() {
    static const auto codec = message::dsc::DscCodec::open();
    return codec;
  }
  static tlog::VerifierKey log_vkey(const TestGateway& node) {
    return *tlog::parse_vkey(read_text(node.data_dir() / "log.vkey"));
  }
  static std::uint64_t version_of(const TestGateway& node) { return cluster_of(node).at("config_version").to_number<std::uint64_t>(); }
  static unsigned probe(const TestGateway& node) {
    client::HttpsClient connection("127.0.0.1", node.listener_port("health"), node.tls(""));
    return connection.request("GET", "/readyz", "", "application/json").status;
  }

  static TempDir* store_dir_;
  static RedisServer* redis_;
  static TestGateway* node_a_;
  static TestGateway* node_b_;
};

TempDir* ClusterNodesTest::store_dir_ = nullptr;
RedisServer* ClusterNodesTest::redis_ = nullptr;
TestGateway* ClusterNodesTest::node_a_ = nullptr;
TestGateway* ClusterNodesTest::node_b_ = nullptr;

TEST_F(ClusterNodesTest, ARequestAcceptedByOneNodeIsAReplayAtTheOther) {
  ASSERT_TRUE(eventually([] { return probe(*node_a_) == 200 && probe(*node_b_) == 200; }));
  const std::string body = node_a_->request(node_a_->people().at(5).idnr, "geburtsurkunde");
  const auto first = node_a_->post(body);
  ASSERT_EQ(first.status, 200u) << first.body;
  const auto again = node_b_->post(body);
  EXPECT_EQ(again.status, 409u) << again.body;
  EXPECT_EQ(code_of(again.body), "REPLAY");
  EXPECT_NE(again.body.find("another node"), std::string::npos) << again.body;
  // A fresh request is served by either.
  EXPECT_EQ(node_b_->post(node_b_->request(node_b_->people().at(6).idnr, "geburtsurkunde")).status, 200u);
}

TEST_F(ClusterNodesTest, AnAdminChangeOnOneNodeIsInForceOnTheOther) {
  const auto before = version_of(*node_a_);
  const auto disabled = node_a_->admin_call("POST", "/admin/v1/adapters/personenstand/disable", admin_key());
  ASSERT_EQ(disabled.status, 200u) << disabled.body;
  EXPECT_EQ(version_of(*node_a_), before + 1);
  const auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(eventually([&] { return version_of(*node_b_) == before + 1; }, 5s));
  std::printf("version %llu in force on node b after %lld ms\n", static_cast<unsigned long long>(before + 1),
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count()));
  const auto refused = node_b_->post(node_b_->request(node_b_->people().at(7).idnr, "geburtsurkunde"));
  EXPECT_EQ(code_of(refused.body), "REGISTER_UNAVAILABLE") << refused.body;
  // And back, from the other node.
  const auto enabled = node_b_->admin_call("POST", "/admin/v1/adapters/personenstand/enable", admin_key());
  ASSERT_EQ(enabled.status, 200u) << enabled.body;
  ASSERT_TRUE(eventually([&] { return version_of(*node_a_) == before + 2; }, 5s));
  EXPECT_EQ(node_a_->post(node_a_->request(node_a_->people().at(8).idnr, "geburtsurkunde")).status, 200u);
  const auto nodes = cluster_of(*node_a_).at("nodes").as_array();
  EXPECT_EQ(nodes.size(), 2u);
  // A generated key would exist on one node only.
  const auto generated = node_a_->admin_call("POST", "/admin/v1/signing-keys/rotate", admin_key(), "{\"generate\": true}");
  EXPECT_EQ(generated.status, 409u) << generated.body;
  EXPECT_EQ(version_of(*node_a_), before + 2);
}

TEST_F(ClusterNodesTest, ACitizensSessionIsValidOnEveryNodeAndEndsOnAll) {
  const auto session = cockpit_sign_in(*node_a_, node_a_->people().front().idnr);
  ASSERT_FALSE(session.session_cookie.empty()) << session.failure;
  const auto transfers = [&](const TestGateway& node) {
    return node.connect_cockpit()->request("GET", "/cockpit/api/transfers", "", "", {{"Cookie", session.session_cookie}});
  };
  EXPECT_EQ(transfers(*node_a_).status, 200u);
  const auto on_b = transfers(*node_b_);
  EXPECT_EQ(on_b.status, 200u) << on_b.body;
  EXPECT_TRUE(json::parse(on_b.body).as_object().contains("transfers"));
  // Whoever reads the store reads no usable cookie: the key is the id's hash.
  const auto stored_keys = [] { return redis_command("--scan --pattern 'oncegate:*'"); };
  const std::string id = session.session_cookie.substr(session.session_cookie.find('=') + 1);
  const std::string before = stored_keys();
  EXPECT_NE(before.find("oncegate:cockpit:session:"), std::string::npos) << before;
  EXPECT_EQ(before.find(id), std::string::npos) << before;
  // Signed out at B: gone at A too, and from the store.
  const auto logout = node_b_->connect_cockpit()->request(
      "POST", "/cockpit/api/logout", "", "", {{"Cookie", session.session_cookie}, {"X-Oncegate-Cockpit", "1"}});
  EXPECT_EQ(logout.status, 200u) << logout.body;
  EXPECT_EQ(transfers(*node_a_).status, 401u);
  EXPECT_EQ(transfers(*node_b_).status, 401u);
  EXPECT_EQ(stored_keys().find("oncegate:cockpit:session:"), std::string::npos);
}

// As behind a load balancer: the browser begins at node A (login, the provider's form) and comes
// back to node B, whose relying party finds the pending sign-in and redeems the code at its
// provider: both from the shared store.
TEST_F(ClusterNodesTest, ASignInBegunAtOneNodeFinishesAtTheOther) {
  const auto login = node_a_->connect_cockpit()->request("GET", "/cockpit/login", "", "");
  ASSERT_EQ(login.status, 302u) << login.body;
  const std::string authorize = location_of(login);
  const std::string state_cookie = cookie_of(login, "og_login");
  ASSERT_FALSE(state_cookie.empty());
  const auto query = authorize.substr(authorize.find('?') + 1);
  const auto form = node_a_->connect_cockpit()->request(
      "POST", "/cockpit/demo-idp/authorize", query + "&login=1&idnr=" + node_a_->people().front().idnr + "&acr=hoch",
      "application/x-www-form-urlencoded");
  ASSERT_EQ(form.status, 302u) << form.body;
  const std::string callback = target_of(location_of(form));
  ASSERT_NE(callback.find("code="), std::string::npos) << callback;
  // The callback at B.
  const auto back = node_b_->connect_cockpit()->request("GET", callback, "", "", {{"Cookie", state_cookie}});
  ASSERT_EQ(back.status, 302u) << back.body;
  EXPECT_EQ(location_of(back), "/cockpit/");
  const std::string session_cookie = cookie_of(back, "og_session");
  ASSERT_FALSE(session_cookie.empty());
  const auto transfers = node_a_->connect_cockpit()->request("GET", "/cockpit/api/transfers", "", "", {{"Cookie", session_cookie}});
  EXPECT_EQ(transfers.status, 200u) << transfers.body;
  // The same callback again (at either node): the state and the code were used up.
  const auto again = node_a_->connect_cockpit()->request("GET", callback, "", "", {{"Cookie", state_cookie}});
  EXPECT_NE(location_of(again).find("signin_error=expired"), std::string::npos) << location_of(again);
}

TEST_F(ClusterNodesTest, WithoutTheStoreNodesRefuseAndAreUnreadyThenServeAgain) {
  ASSERT_TRUE(eventually([] { return probe(*node_a_) == 200; }));
  redis_->stop();
  ASSERT_TRUE(eventually([] { return probe(*node_a_) == 503 && probe(*node_b_) == 503; }, 5s));
  const auto refused = node_a_->post(node_a_->request(node_a_->people().at(9).idnr, "geburtsurkunde"));
  EXPECT_EQ(refused.status, 503u) << refused.body;
  EXPECT_EQ(code_of(refused.body), "REPLAY_WINDOW_UNAVAILABLE");
  const auto change = node_a_->admin_call("POST", "/admin/v1/adapters/personenstand/disable", admin_key());
  EXPECT_EQ(change.status, 503u) << change.body;  // nothing changed anywhere
  // A sign-in cannot begin, and says why in a code of its own (not "the provider is down").
  const auto login = node_a_->connect_cockpit()->request("GET", "/cockpit/login", "", "");
  EXPECT_EQ(login.status, 302u);
  EXPECT_NE(location_of(login).find("#signin_error=store"), std::string::npos) << location_of(login);
  redis_->start();
  ASSERT_TRUE(eventually([] { return probe(*node_a_) == 200 && probe(*node_b_) == 200; }, 10s));
  EXPECT_EQ(node_b_->post(node_b_->request(node_b_->people().at(10).idnr, "geburtsurkunde")).status, 200u);
}

// Issue 18, item 5: each node keeps its own log; the citizen's view at any node is all of them,
// merged newest first, each transfer with its node and that node's proof.
TEST_F(ClusterNodesTest, ACitizenSeesTheTransfersOfEveryNodeNewestFirstWithEachNodesProof) {
  const auto& person = node_a_->people().at(40);
  std::vector<std::string> expected_nodes;  // newest first
  for (int i = 0; i < 5; ++i) {
    auto& node = i % 2 == 0 ? *node_a_ : *node_b_;
    ASSERT_EQ(node.post(node.request(person.idnr, "geburtsurkunde")).status, 200u);
    expected_nodes.insert(expected_nodes.begin(), i % 2 == 0 ? "a" : "b");
    std::this_thread::sleep_for(5ms);  // distinct times: the order is the log's, not a tie
  }
  const auto session = cockpit_sign_in(*node_b_, person.idnr);
  ASSERT_FALSE(session.session_cookie.empty()) << session.failure;
  const auto cookie = session.session_cookie;
  for (const auto* node : {node_a_, node_b_}) {
    const auto reply = cockpit_get(*node, cookie, "/cockpit/api/transfers");
    ASSERT_EQ(reply.status, 200u) << reply.body;
    const auto body = json::parse(reply.body).as_object();
    const auto& transfers = body.at("transfers").as_array();
    ASSERT_EQ(transfers.size(), 5u) << reply.body;
    std::int64_t last = INT64_MAX;
    for (std::size_t i = 0; i < transfers.size(); ++i) {
      EXPECT_EQ(transfers[i].at("node").as_string(), expected_nodes[i]) << reply.body;
      EXPECT_LE(transfers[i].at("time_ms").as_int64(), last);
      last = transfers[i].at("time_ms").as_int64();
    }
    EXPECT_TRUE(body.at("next_before").is_null());
    const auto& nodes = body.at("nodes").as_array();
    ASSERT_EQ(nodes.size(), 2u) << reply.body;
    for (const auto& n : nodes) EXPECT_TRUE(n.at("answered").as_bool()) << reply.body;
  }
  // Page by page (two at a time), the cursor carries each node's place: the same five, in order.
  std::vector<std::string> paged;
  std::string target = "/cockpit/api/transfers?limit=2";
  for (int page = 0; page < 5; ++page) {
    const auto reply = cockpit_get(*node_a_, cookie, target);
    ASSERT_EQ(reply.status, 200u) << reply.body;
    const auto body = json::parse(reply.body).as_object();
    for (const auto& t : body.at("transfers").as_array()) {
      paged.push_back(std::string(t.at("node").as_string()) + "/" + std::to_string(t.at("id").to_number<std::uint64_t>()));
    }
    if (body.at("next_before").is_null()) break;
    target = "/cockpit/api/transfers?limit=2&before=" + common::percent_encode(body.at("next_before").as_string());
  }
  ASSERT_EQ(paged.size(), 5u);
  for (std::size_t i = 0; i < paged.size(); ++i) EXPECT_EQ(paged[i].substr(0, 1), expected_nodes[i]);
  const auto malformed = cockpit_get(*node_a_, cookie, "/cockpit/api/transfers?before=a:x");
  EXPECT_EQ(malformed.status, 400u);
  // The counts are every node's.
  const auto overview = cockpit_get(*node_a_, cookie, "/cockpit/api/overview");
  ASSERT_EQ(overview.status, 200u) << overview.body;
  EXPECT_EQ(json::parse(overview.body).at("delivered").to_number<std::uint64_t>(), 5u) << overview.body;
  // Node b's transfer, asked at node a: b's record with the proof in b's log (b's key, b's origin).
  const auto list = json::parse(cockpit_get(*node_a_, cookie, "/cockpit/api/transfers").body).as_object();
  const auto& newest = list.at("transfers").as_array().at(1).as_object();  // the newest of b's
  ASSERT_EQ(newest.at("node").as_string(), "b");
  const std::string detail_target =
      "/cockpit/api/transfers/" + std::to_string(newest.at("id").to_number<std::uint64_t>()) + "?node=b";
  client::HttpReply reply;
  ASSERT_TRUE(eventually([&] {
    reply = cockpit_get(*node_a_, cookie, detail_target);
    return reply.status == 200;
  })) << reply.status << " " << reply.body;
  const auto detail = json::parse(reply.body).as_object();
  EXPECT_EQ(detail.at("node").as_string(), "b");
  EXPECT_EQ(detail.at("transfer").at("node").as_string(), "b");
  EXPECT_EQ(detail.at("log").at("origin").as_string(), "oncegate.test/log/node-b");
  const auto record = std::string(detail.at("record").as_string());
  const auto b_key = crypto::Ed25519Key::from_pem(read_text(node_b_->data_dir() / "log-key.pem"));
  EXPECT_EQ(cockpit_proof_problem(detail, b_key.public_key()), "");
  // The same id at node a is a's own transfer (or none): never b's record.
  const auto local = cockpit_get(*node_a_, cookie, "/cockpit/api/transfers/" + std::to_string(newest.at("id").to_number<std::uint64_t>()));
  if (local.status == 200) {
    EXPECT_NE(json::parse(local.body).at("record").as_string(), record);
  }
  // A's own newest transfer, asked at a, names its node too (the page finds the row by it).
  const auto& own = list.at("transfers").as_array().front().as_object();
  ASSERT_EQ(own.at("node").as_string(), "a");
  client::HttpReply own_detail;
  ASSERT_TRUE(eventually([&] {
    own_detail = cockpit_get(*node_a_, cookie, "/cockpit/api/transfers/" + std::to_string(own.at("id").to_number<std::uint64_t>()));
    return own_detail.status == 200;
  })) << own_detail.body;
  EXPECT_EQ(json::parse(own_detail.body).at("transfer").at("node").as_string(), "a");
  // B's log and its checkpoint, asked at a.
  const auto b_log = cockpit_get(*node_a_, cookie, "/cockpit/api/log?node=b");
  ASSERT_EQ(b_log.status, 200u) << b_log.body;
  EXPECT_EQ(json::parse(b_log.body).at("origin").as_string(), "oncegate.test/log/node-b");
  EXPECT_EQ(cockpit_get(*node_a_, cookie, "/cockpit/api/transfers/1?node=nobody").status, 404u);
  // The verifiable Auskunft: one part per node's log, each verified with that node's own key.
  client::HttpReply auskunft;
  ASSERT_TRUE(eventually([&] {
    auskunft = cockpit_get(*node_a_, cookie, "/cockpit/api/auskunft");
    return auskunft.status == 200;
  })) << auskunft.status << " " << auskunft.body;
  const auto set = log::split_auskunft_set(auskunft.body);
  ASSERT_TRUE(set.has_value()) << auskunft.body.substr(0, 300);
  ASSERT_EQ(set->parts.size(), 2u);
  EXPECT_TRUE(set->missing_nodes.empty());
  const auto vkey_of = [](const TestGateway& node) {
    auto text = read_text(node.data_dir() / "log.vkey");
    while (!text.empty() && text.back() == '\n') text.pop_back();
    return tlog::parse_vkey(text);
  };
  std::uint64_t entries = 0;
  for (const auto& part : set->parts) {
    const auto* node = part.node == "a" ? node_a_ : node_b_;
    EXPECT_EQ(part.origin, "oncegate.test/log/node-" + part.node);
    const auto key = vkey_of(*node);
    ASSERT_TRUE(key.has_value());
    const auto report = log::verify_auskunft(part.text, key, std::nullopt);
    EXPECT_TRUE(report.ok) << part.node << ": " << report.problem;
    entries += report.entries;
    // And not with the other node's key.
    const auto other_key = vkey_of(node == node_a_ ? *node_b_ : *node_a_);
    EXPECT_FALSE(log::verify_auskunft(part.text, other_key, std::nullopt).ok);
  }
  EXPECT_EQ(entries, 5u);
  // Another person's view at either node has none of these.
  const auto other = cockpit_sign_in(*node_a_, node_a_->people().at(41).idnr);
  const auto others = json::parse(cockpit_get(*node_a_, other.session_cookie, "/cockpit/api/transfers").body).as_object();
  EXPECT_TRUE(others.at("transfers").as_array().empty());
  EXPECT_EQ(cockpit_get(*node_a_, other.session_cookie, detail_target).status, 404u);
}

// A node that does not answer in time (a listener that never completes the handshake) and one
// that is not there are named in the answer; the others' transfers are still shown, in time.
// The national Datenschutzcockpit asks one node and gets every node's log: a protokoll per node
// with its keys and checkpoints, the entries merged newest first, each naming its node and
// proven in that node's log; paged with a cursor over the nodes.
TEST_F(ClusterNodesTest, TheDscGetsEveryNodesLogWithEachNodesProofs) {
  const auto& person = node_a_->people().at(44);
  std::vector<std::string> expected_nodes;  // newest first
  for (int i = 0; i < 5; ++i) {
    auto& node = i % 2 == 0 ? *node_a_ : *node_b_;
    ASSERT_EQ(node.post(node.request(person.idnr, "geburtsurkunde")).status, 200u);
    expected_nodes.insert(expected_nodes.begin(), i % 2 == 0 ? "a" : "b");
    std::this_thread::sleep_for(5ms);
  }
  for (auto* node : {node_a_, node_b_}) {
    auto& log = node->gateway().transfer_log();
    ASSERT_TRUE(eventually([&] {
      const auto head = log.latest_cosigned_head();
      return head && head->size >= log.size();
    }));
  }
  const std::map<std::string, tlog::VerifierKey> keys{{"a", log_vkey(*node_a_)}, {"b", log_vkey(*node_b_)}};
  // The DSC's own queries are transfers too (of protokolldaten): the evidence ones are compared.
  const auto evidence_nodes = [](const message::dsc::DscAnswerReading& answer) {
    std::vector<std::string> nodes;
    for (const auto& e : answer.entries) {
      if (e.evidence_type == "geburtsurkunde") nodes.push_back(e.node);
    }
    return nodes;
  };
  for (const auto* node : {node_b_, node_a_}) {
    const auto reply = dsc_post(*node, person.idnr, 100);
    ASSERT_EQ(reply.status, 200u) << reply.body;
    const auto answer = dsc_codec()->read_answer(reply.body);
    ASSERT_TRUE(answer.valid) << answer.problem;
    EXPECT_EQ(answer.nodes, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(evidence_nodes(answer), expected_nodes) << reply.body;
    EXPECT_TRUE(answer.missing_nodes.empty());
    EXPECT_EQ(answer.continuation, "");
    // (The DSC's own query at the other node a moment ago may not be under a checkpoint yet.)
    std::size_t evidence = 0;
    for (const auto& e : answer.entries) {
      if (e.evidence_type != "geburtsurkunde") continue;
      EXPECT_TRUE(e.proven) << reply.body;
      ++evidence;
    }
    const auto proofs = verify_dsc_proofs(reply.body, keys);
    EXPECT_EQ(proofs.problem, "");
    EXPECT_GE(proofs.verified, evidence);
    EXPECT_EQ(evidence, 5u);
    // b's entries are proven in b's log, not a's.
    EXPECT_NE(verify_dsc_proofs(reply.body, {{"a", keys.at("b")}, {"b", keys.at("a")}}).problem, "");
  }
  // Two at a time, the cursor carrying each node's place: the same entries, in order.
  std::vector<std::string> paged;
  std::string continuation;
  for (int page = 0; page < 10; ++page) {
    const auto reply = dsc_post(*node_a_, person.idnr, 2, continuation);
    ASSERT_EQ(reply.status, 200u) << reply.body;
    const auto answer = dsc_codec()->read_answer(reply.body);
    ASSERT_TRUE(answer.valid) << answer.problem;
    EXPECT_LE(answer.entries.size(), 2u);
    EXPECT_EQ(verify_dsc_proofs(reply.body, keys).problem, "") << reply.body;
    for (const auto& node : evidence_nodes(answer)) paged.push_back(node);
    continuation = answer.continuation;
    if (continuation.empty()) break;
  }
  EXPECT_EQ(paged, expected_nodes);
  EXPECT_TRUE(continuation.empty());
  // Entry numbers are per log: a cluster pages by the cursor only.
  EXPECT_EQ(code_of(dsc_post(*node_a_, person.idnr, 2, "", 5).body), "SCHEMA_INVALID");
  EXPECT_EQ(code_of(dsc_post(*node_a_, person.idnr, 2, "a:x").body), "SCHEMA_INVALID");
  // Another person's query shows none of it.
  const auto other = dsc_codec()->read_answer(dsc_post(*node_a_, node_a_->people().at(45).idnr, 100).body);
  ASSERT_TRUE(other.valid) << other.problem;
  for (const auto& e : other.entries) EXPECT_NE(e.evidence_type, "geburtsurkunde");
}

TEST_F(ClusterNodesTest, ANodeThatDoesNotAnswerIsNamedNotLeftOut) {
  const auto& person = node_a_->people().at(42);
  ASSERT_EQ(node_b_->post(node_b_->request(person.idnr, "geburtsurkunde")).status, 200u);
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor silent(io, {boost::asio::ip::make_address("127.0.0.1"), 0});  // never accepts
  const auto silent_port = silent.local_endpoint().port();
  std::uint16_t gone_port = 0;
  {
    boost::asio::ip::tcp::acceptor closed(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    gone_port = closed.local_endpoint().port();
  }
  redis_command("HSET oncegate:nodes c '{\"peer\": \"127.0.0.1:" + std::to_string(silent_port) + "\"}' d '{\"peer\": \"127.0.0.1:" +
                std::to_string(gone_port) + "\"}'");
  std::this_thread::sleep_for(1100ms);  // the nodes read the directory again after a second
  const auto session = cockpit_sign_in(*node_a_, person.idnr);
  ASSERT_FALSE(session.session_cookie.empty()) << session.failure;
  const auto started = std::chrono::steady_clock::now();
  const auto reply = cockpit_get(*node_a_, session.session_cookie, "/cockpit/api/transfers");
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_EQ(reply.status, 200u) << reply.body;
  const auto body = json::parse(reply.body).as_object();
  ASSERT_EQ(body.at("transfers").as_array().size(), 1u) << reply.body;
  EXPECT_EQ(body.at("transfers").as_array().front().at("node").as_string(), "b");
  std::map<std::string, json::object> nodes;
  for (const auto& n : body.at("nodes").as_array()) nodes[std::string(n.at("node").as_string())] = n.as_object();
  ASSERT_EQ(nodes.size(), 4u) << reply.body;
  EXPECT_TRUE(nodes["a"].at("answered").as_bool());
  EXPECT_TRUE(nodes["b"].at("answered").as_bool());
  EXPECT_FALSE(nodes["c"].at("answered").as_bool());
  EXPECT_NE(nodes["c"].at("problem").as_string().find("no answer within 400 ms"), std::string::npos) << reply.body;
  EXPECT_FALSE(nodes["d"].at("answered").as_bool());
  // The node's deadline is 400 ms; five times that as the bound.
  EXPECT_LT(took, 2000ms) << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms";
  // The cursor keeps the silent nodes' places, so that a later page asks them again.
  EXPECT_FALSE(body.at("next_before").is_null());
  // A detail at a node that does not answer: 504, said so.
  const auto detail = cockpit_get(*node_a_, session.session_cookie, "/cockpit/api/transfers/0?node=c");
  // The DSC's answer names them too, within the deadline, with the nodes that answered.
  const auto dsc_started = std::chrono::steady_clock::now();
  const auto dsc_reply = dsc_post(*node_a_, person.idnr, 100);
  const auto dsc_took = std::chrono::steady_clock::now() - dsc_started;
  redis_command("HDEL oncegate:nodes c d");
  ASSERT_EQ(dsc_reply.status, 200u) << dsc_reply.body;
  const auto dsc_answer = dsc_codec()->read_answer(dsc_reply.body);
  ASSERT_TRUE(dsc_answer.valid) << dsc_answer.problem;
  EXPECT_EQ(dsc_answer.missing_nodes, (std::vector<std::string>{"c", "d"})) << dsc_reply.body;
  EXPECT_NE(dsc_reply.body.find("grund=\"no answer within 400 ms\">c<"), std::string::npos) << dsc_reply.body;
  EXPECT_EQ(dsc_answer.nodes, (std::vector<std::string>{"a", "b"}));
  ASSERT_FALSE(dsc_answer.entries.empty());
  EXPECT_EQ(dsc_answer.entries.back().node, "b");  // the oldest: the transfer above
  EXPECT_FALSE(dsc_answer.continuation.empty());   // the silent nodes keep their places
  EXPECT_LT(dsc_took, 2000ms) << std::chrono::duration_cast<std::chrono::milliseconds>(dsc_took).count() << " ms";
  EXPECT_EQ(detail.status, 504u) << detail.body;
  EXPECT_NE(detail.body.find("did not answer"), std::string::npos) << detail.body;
}

// The peer listener answers the nodes only: an authority's certificate (of the same CA) is
// refused, and a node must name the person by pseudonym.
TEST_F(ClusterNodesTest, ThePeerListenerAnswersTheNodesOnly) {
  const auto port = node_a_->listener_port("peer");
  client::HttpsClient authority("127.0.0.1", port, node_a_->tls(TestGateway::kAuthority));
  const std::string pseudonym(64, 'a');
  const auto refused = authority.request("GET", "/peer/v1/transfers", "", "application/json", {{"X-Oncegate-Pseudonym", pseudonym}});
  EXPECT_EQ(refused.status, 403u) << refused.body;
  auto tls = node_a_->tls("");
  tls.certificate_file = (node_a_->demo_dir() / "cluster-node.pem").string();
  tls.private_key_file = (node_a_->demo_dir() / "cluster-node.key").string();
  client::HttpsClient node("127.0.0.1", port, tls);
  EXPECT_EQ(node.request("GET", "/peer/v1/transfers", "", "application/json").status, 400u);
  EXPECT_EQ(node.request("GET", "/peer/v1/transfers", "", "application/json", {{"X-Oncegate-Pseudonym", "../x"}}).status, 400u);
  const auto asked = node.request("GET", "/peer/v1/transfers", "", "application/json", {{"X-Oncegate-Pseudonym", pseudonym}});
  EXPECT_EQ(asked.status, 200u) << asked.body;
  // Without a client certificate there is no handshake at all.
  EXPECT_THROW(
      {
        client::HttpsClient anonymous("127.0.0.1", port, node_a_->tls(""));
        (void)anonymous.request("GET", "/peer/v1/transfers", "", "application/json");
      },
      client::ClientError);
}

}  // namespace
}  // namespace oncegate::testing
