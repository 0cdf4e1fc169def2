// The store module: RESP2 read and written, and the Redis client, the replay window and the shared
// short-lived state (both implementations) against a real redis-server (with a password) on a loopback port of its own.

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "gateway/store/redis_client.hpp"
#include "gateway/store/replay_window.hpp"
#include "gateway/store/resp.hpp"
#include "gateway/store/shared_state.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/redis_server.hpp"
#include "tests/support/temp_dir.hpp"

namespace oncegate::store {
namespace {

using oncegate::testing::eventually;
using namespace std::chrono_literals;

TEST(RespTest, WritesCommandsAsArraysOfBulkStrings) {
  std::string out;
  append_command(out, {"SET", "k", "", "NX"});
  EXPECT_EQ(out, "*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n$2\r\nNX\r\n");
}

TEST(RespTest, ReadsEveryReplyKind) {
  const std::string buffer = "+OK\r\n-ERR no\r\n:42\r\n$3\r\nab\n\r\n$-1\r\n*2\r\n:1\r\n$1\r\nx\r\n";
  std::size_t offset = 0;
  std::vector<Reply> replies;
  while (offset < buffer.size()) {
    auto result = read_reply(std::string_view(buffer).substr(offset));
    ASSERT_EQ(result.status, ReadResult::Status::complete);
    offset += result.consumed;
    replies.push_back(std::move(result.reply));
  }
  ASSERT_EQ(replies.size(), 6u);
  EXPECT_TRUE(replies[0].is_ok());
  EXPECT_EQ(replies[1].kind, Reply::Kind::error);
  EXPECT_EQ(replies[1].text, "ERR no");
  EXPECT_EQ(replies[2].integer, 42);
  EXPECT_EQ(replies[3].text, "ab\n");
  EXPECT_EQ(replies[4].kind, Reply::Kind::nil);
  ASSERT_EQ(replies[5].elements.size(), 2u);
  EXPECT_EQ(replies[5].elements[1].text, "x");
}

TEST(RespTest, WaitsForTheRestOfASplitReply) {
  const std::string whole = "*2\r\n$5\r\nhello\r\n:7\r\n";
  for (std::size_t cut = 0; cut < whole.size(); ++cut) {
    EXPECT_EQ(read_reply(std::string_view(whole).substr(0, cut)).status, ReadResult::Status::incomplete) << cut;
  }
  EXPECT_EQ(read_reply(whole).consumed, whole.size());
}

TEST(RespTest, RefusesMalformedAndOversizedReplies) {
  ReplyLimits limits;
  limits.max_bulk = 8;
  limits.max_elements = 2;
  limits.max_depth = 2;
  for (const char* bad : {"?x\r\n", ":12a\r\n", ":\r\n", "$-2\r\n", "$3\r\nabcd\r\n", "$9\r\n", "*3\r\n",
                          "*1\r\n*1\r\n*1\r\n:1\r\n", "*-5\r\n"}) {
    EXPECT_EQ(read_reply(bad, limits).status, ReadResult::Status::malformed) << bad;
  }
  // A line that never ends is refused once it is longer than any reply line could be.
  EXPECT_EQ(read_reply("+" + std::string(70 * 1024, 'a')).status, ReadResult::Status::malformed);
}

// An I/O context with two threads, as the gateway's.
class IoThreads {
 public:
  IoThreads() : work_(io_.get_executor()) {
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_.run(); });
  }
  ~IoThreads() {
    work_.reset();
    io_.stop();
    for (auto& thread : threads_) thread.join();
  }
  boost::asio::any_io_executor executor() { return io_.get_executor(); }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::vector<std::thread> threads_;
};

std::optional<Reply> call(RedisClient& client, std::vector<std::string> command) {
  std::promise<std::optional<Reply>> promise;
  auto future = promise.get_future();
  client.command(std::move(command), [&promise](std::optional<Reply> reply) { promise.set_value(std::move(reply)); });
  return future.get();
}

class RedisTest : public ::testing::Test {
 protected:
  RedisOptions options() const {
    RedisOptions o;
    o.port = redis.port();
    o.password = redis.password();
    o.ping_interval = 100ms;
    return o;
  }
  oncegate::testing::TempDir dir;
  oncegate::testing::RedisServer redis{dir.path() / "redis", "test-password-7b1d"};
  IoThreads io;
};

TEST_F(RedisTest, AuthenticatesAndSetsIfAbsent) {
  auto client = RedisClient::start(io.executor(), options());
  ASSERT_TRUE(eventually([&] { return client->up(); }));
  const auto first = call(*client, {"SET", "k1", "1", "NX", "PX", "60000"});
  ASSERT_TRUE(first);
  EXPECT_TRUE(first->is_ok());
  const auto second = call(*client, {"SET", "k1", "1", "NX", "PX", "60000"});
  ASSERT_TRUE(second);
  EXPECT_EQ(second->kind, Reply::Kind::nil);
  client->stop();
}

TEST_F(RedisTest, AWrongPasswordNeverComesUp) {
  auto o = options();
  o.password = "wrong";
  auto client = RedisClient::start(io.executor(), o);
  std::this_thread::sleep_for(300ms);
  EXPECT_FALSE(client->up());
  EXPECT_FALSE(call(*client, {"PING"}));
  client->stop();
}

TEST_F(RedisTest, PipelinesManyCommandsOnOneConnection) {
  auto client = RedisClient::start(io.executor(), options());
  ASSERT_TRUE(eventually([&] { return client->up(); }));
  constexpr int kCommands = 5000;
  std::atomic<int> ok{0}, answered{0};
  for (int i = 0; i < kCommands; ++i) {
    client->command({"SET", "p" + std::to_string(i), "1", "NX", "PX", "60000"}, [&](std::optional<Reply> reply) {
      if (reply && reply->is_ok()) ok.fetch_add(1);
      answered.fetch_add(1);
    });
  }
  ASSERT_TRUE(eventually([&] { return answered.load() == kCommands; }));
  EXPECT_EQ(ok.load(), kCommands);
  EXPECT_EQ(client->counts().connects, 1u);
  client->stop();
}

TEST_F(RedisTest, FailsFastWhileTheStoreIsDownAndRecoversWhenItReturns) {
  auto client = RedisClient::start(io.executor(), options());
  ASSERT_TRUE(eventually([&] { return client->up(); }));
  redis.stop();
  ASSERT_TRUE(eventually([&] { return !client->up(); }, 5s));
  const auto started = std::chrono::steady_clock::now();
  EXPECT_FALSE(call(*client, {"PING"}));
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);  // no wait for a store that is gone
  redis.start();
  ASSERT_TRUE(eventually([&] { return client->up(); }, 10s));
  const auto reply = call(*client, {"PING"});
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->text, "PONG");
  client->stop();
}

TEST_F(RedisTest, AStoreThatStopsAnsweringFailsTheCommandsInTime) {
  auto o = options();
  o.timeout = 200ms;
  auto client = RedisClient::start(io.executor(), o);
  ASSERT_TRUE(eventually([&] { return client->up(); }));
  // DEBUG SLEEP (enabled for local clients in the test server) holds the store's one thread: the command behind it gets no reply in time.
  client->command({"DEBUG", "SLEEP", "2"}, [](std::optional<Reply>) {});
  const auto started = std::chrono::steady_clock::now();
  const auto reply = call(*client, {"PING"});
  const auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_FALSE(reply);
  EXPECT_LT(waited, 1500ms);
  client->stop();
}

TEST_F(RedisTest, TheReplayWindowIsSharedByClientsAndForgetsAfterItsRetention) {
  auto client_a = RedisClient::start(io.executor(), options());
  auto client_b = RedisClient::start(io.executor(), options());
  ASSERT_TRUE(eventually([&] { return client_a->up() && client_b->up(); }));
  auto node_a = redis_replay_window(client_a, 300ms);
  auto node_b = redis_replay_window(client_b, 300ms);
  const auto remember = [](SharedReplayWindow& window, std::string id) {
    std::promise<SharedReplayWindow::Verdict> promise;
    auto future = promise.get_future();
    window.remember(id, [&promise](SharedReplayWindow::Verdict verdict) { promise.set_value(verdict); });
    return future.get();
  };
  EXPECT_EQ(remember(*node_a, "id-1"), SharedReplayWindow::Verdict::first);
  EXPECT_EQ(remember(*node_b, "id-1"), SharedReplayWindow::Verdict::seen);
  EXPECT_EQ(remember(*node_a, "id-1"), SharedReplayWindow::Verdict::seen);
  EXPECT_EQ(remember(*node_b, "id-2"), SharedReplayWindow::Verdict::first);
  std::this_thread::sleep_for(600ms);
  EXPECT_EQ(remember(*node_b, "id-1"), SharedReplayWindow::Verdict::first);
  EXPECT_EQ(node_a->counts().seen, 1u);
  redis.stop();
  ASSERT_TRUE(eventually([&] { return !node_a->available(); }, 5s));
  EXPECT_EQ(remember(*node_a, "id-3"), SharedReplayWindow::Verdict::unavailable);
  client_a->stop();
  client_b->stop();
}

// The shared state's calls, waited for.
SharedState::Put put(SharedState& state, const std::string& key, std::string value, std::chrono::milliseconds lifetime) {
  std::promise<SharedState::Put> promise;
  auto future = promise.get_future();
  state.put(key, std::move(value), lifetime, [&promise](SharedState::Put outcome) { promise.set_value(outcome); });
  return future.get();
}
std::pair<std::optional<std::string>, bool> read(SharedState& state, const std::string& key, bool take) {
  std::promise<std::pair<std::optional<std::string>, bool>> promise;
  auto future = promise.get_future();
  auto then = [&promise](std::optional<std::string> value, bool reachable) { promise.set_value({std::move(value), reachable}); };
  take ? state.take(key, then) : state.get(key, then);
  return future.get();
}

// What the Datencockpit relies on, the same in memory and in Redis: set-if-absent, read, take once,
// erase, and forgetting after the lifetime.
void behaves_as_shared_state(SharedState& writer, SharedState& reader) {
  EXPECT_EQ(put(writer, "session:a", "pseudonym-a", 60s), SharedState::Put::stored);
  EXPECT_EQ(put(reader, "session:a", "someone-else", 60s), SharedState::Put::exists);
  EXPECT_EQ(read(reader, "session:a", false).first, "pseudonym-a");
  EXPECT_EQ(read(writer, "session:a", false).first, "pseudonym-a");
  EXPECT_EQ(read(reader, "session:missing", false), std::make_pair(std::optional<std::string>(), true));

  EXPECT_EQ(put(writer, "code:c", std::string("binary\0\r\nvalue", 14), 60s), SharedState::Put::stored);
  EXPECT_EQ(read(reader, "code:c", true).first, std::string("binary\0\r\nvalue", 14));
  EXPECT_FALSE(read(writer, "code:c", true).first) << "a taken value is gone for every reader";

  reader.erase("session:a");
  EXPECT_TRUE(eventually([&] { return !read(writer, "session:a", false).first; }));

  EXPECT_EQ(put(writer, "pending:p", "v", 200ms), SharedState::Put::stored);
  EXPECT_TRUE(read(reader, "pending:p", false).first);
  std::this_thread::sleep_for(400ms);
  EXPECT_FALSE(read(reader, "pending:p", false).first);
  EXPECT_EQ(put(reader, "pending:p", "again", 60s), SharedState::Put::stored) << "an expired key is free again";
}

TEST(MemorySharedStateTest, KeepsWhatTheCockpitNeedsAndIsBounded) {
  auto state = memory_shared_state(3);
  behaves_as_shared_state(*state, *state);
  EXPECT_EQ(put(*state, "x1", "1", 60s), SharedState::Put::stored);
  EXPECT_EQ(put(*state, "x2", "1", 60s), SharedState::Put::stored);
  EXPECT_EQ(put(*state, "x3", "1", 60s), SharedState::Put::full);
  EXPECT_EQ(put(*state, "short", "1", 1ms), SharedState::Put::full);
  state->erase("x1");
  EXPECT_EQ(put(*state, "short", "1", 1ms), SharedState::Put::stored);
  std::this_thread::sleep_for(5ms);
  EXPECT_EQ(put(*state, "x3", "1", 60s), SharedState::Put::stored) << "expired entries make room";
}

TEST_F(RedisTest, TheSharedStateIsOneForAllNodesAndSaysWhenTheStoreIsGone) {
  auto client_a = RedisClient::start(io.executor(), options());
  auto client_b = RedisClient::start(io.executor(), options());
  ASSERT_TRUE(eventually([&] { return client_a->up() && client_b->up(); }));
  auto node_a = redis_shared_state(client_a);
  auto node_b = redis_shared_state(client_b);
  behaves_as_shared_state(*node_a, *node_b);
  // Under the prefix, so that another cluster's keys on the same store are not ours.
  const auto raw = call(*client_a, {"GET", "oncegate:state:pending:p"});
  ASSERT_TRUE(raw);
  EXPECT_EQ(raw->text, "again");
  redis.stop();
  ASSERT_TRUE(eventually([&] { return !client_a->up(); }, 5s));
  EXPECT_EQ(put(*node_a, "session:b", "v", 60s), SharedState::Put::unavailable);
  EXPECT_EQ(read(*node_a, "pending:p", false), std::make_pair(std::optional<std::string>(), false))
      << "no answer is not the same as no entry";
  client_a->stop();
  client_b->stop();
}

}  // namespace
}  // namespace oncegate::store
