// Two gateway nodes in one process sharing one real redis-server: the replay window across
// nodes, an admin change on one in force on the other, a Datencockpit session begun on one used
// and ended on the other, the store lost and back, and the load balancer's probe. (The whole cluster with HAProxy and SIGKILL is tests/cluster/cluster_test.sh;
// this is the part ThreadSanitizer watches.)

#include <gtest/gtest.h>

#include <cstdio>

#include <boost/json.hpp>

#include "gateway/common/files.hpp"
#include "tests/support/cockpit_signin.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/redis_server.hpp"
#include "tests/support/test_gateway.hpp"

namespace oncegate::testing {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

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
    o.extra_toml =
        "[listeners.admin]\naddress = \"127.0.0.1\"\nport = 0\ncertificate = \"demo/server.pem\"\n"
        "private_key = \"demo/server.key\"\n"
        "[listeners.health]\naddress = \"127.0.0.1\"\nport = 0\ncertificate = \"demo/server.pem\"\n"
        "private_key = \"demo/server.key\"\n"
        "[cluster]\nnode = \"" + name + "\"\nstore = \"127.0.0.1:" + std::to_string(redis_->port()) +
        "\"\nstore_password_file = \"" + (store_dir_->path() / "redis-password").string() + "\"\n";
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
  const auto stored_keys = [&] {
    const std::string list = "redis-cli --no-auth-warning -p " + std::to_string(redis_->port()) + " -a " +
                             redis_->password() + " --scan --pattern 'oncegate:*'";
    std::string keys;
    if (FILE* pipe = popen(list.c_str(), "r")) {
      char buffer[4096];
      while (const auto n = fread(buffer, 1, sizeof buffer, pipe)) keys.append(buffer, n);
      pclose(pipe);
    }
    return keys;
  };
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
  redis_->start();
  ASSERT_TRUE(eventually([] { return probe(*node_a_) == 200 && probe(*node_b_) == 200; }, 10s));
  EXPECT_EQ(node_b_->post(node_b_->request(node_b_->people().at(10).idnr, "geburtsurkunde")).status, 200u);
}

}  // namespace
}  // namespace oncegate::testing
