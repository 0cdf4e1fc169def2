#include "gateway/net/source_limits.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace {

using namespace oncegate::net;
using boost::asio::ip::make_address;

TEST(SourceLimits, ASourceIsAnIpv4AddressOrAnIpv6Slash64) {
  EXPECT_EQ(source_key(make_address("192.0.2.7")), "192.0.2.7");
  EXPECT_EQ(source_key(make_address("2001:db8:1:2:aaaa:bbbb:cccc:dddd")), "2001:db8:1:2::/64");
  EXPECT_EQ(source_key(make_address("2001:db8:1:2::1")), source_key(make_address("2001:db8:1:2:ffff::9")));
  EXPECT_NE(source_key(make_address("2001:db8:1:2::1")), source_key(make_address("2001:db8:1:3::1")));
  EXPECT_EQ(source_key(make_address("::ffff:192.0.2.7")), "192.0.2.7");  // IPv4 through a dual-stack socket
}

TEST(SourceLimits, ConnectionsAndHandshakesPerSourceAreReleasedWithTheirLease) {
  SourceLimiter limiter({.connections_per_source = 3, .handshakes_per_source = 2, .handshakes_in_flight = 4});
  LimitReason why{};
  auto a = limiter.admit("s", why);
  auto b = limiter.admit("s", why);
  ASSERT_TRUE(a && b);
  EXPECT_FALSE(limiter.admit("s", why));  // two handshakes in flight
  EXPECT_EQ(why, LimitReason::source_handshakes);
  a->handshake_finished();
  auto c = limiter.admit("s", why);
  ASSERT_TRUE(c);
  c->handshake_finished();
  b->handshake_finished();
  EXPECT_FALSE(limiter.admit("s", why));  // three connections
  EXPECT_EQ(why, LimitReason::source_connections);
  // Others are not affected, up to the listener's handshakes in flight.
  auto d = limiter.admit("t", why);
  auto e = limiter.admit("t", why);
  auto f = limiter.admit("u", why);
  auto g = limiter.admit("u", why);
  ASSERT_TRUE(d && e && f && g);
  EXPECT_FALSE(limiter.admit("v", why));
  EXPECT_EQ(why, LimitReason::listener_handshakes);
  a.reset();
  d.reset();
  EXPECT_TRUE(limiter.admit("s", why));  // a's connection and d's handshake are free again
  const auto counts = limiter.counts();
  EXPECT_EQ(counts.refused[static_cast<std::size_t>(LimitReason::source_handshakes)], 1u);
  EXPECT_EQ(counts.refused[static_cast<std::size_t>(LimitReason::source_connections)], 1u);
  EXPECT_EQ(counts.refused[static_cast<std::size_t>(LimitReason::listener_handshakes)], 1u);
}

TEST(SourceLimits, TheTokenBucketAllowsTheBurstThenTheRate) {
  // The party's rate is slow (one a second), so that its bucket does not refill while the test
  // takes its last nine requests, however slow the machine (ThreadSanitizer) is.
  SourceLimiter limiter({.requests_per_second = 20, .request_burst = 5, .party_requests_per_second = 1,
                         .party_request_burst = 7});
  LimitReason why{};
  int allowed = 0;
  for (int i = 0; i < 10; ++i) allowed += limiter.take_request("s", "", why) ? 1 : 0;
  EXPECT_EQ(allowed, 5);
  EXPECT_EQ(why, LimitReason::source_rate);
  const auto emptied = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::milliseconds(120));  // 20/s: two tokens back, or more if slept longer
  allowed = 0;
  for (int i = 0; i < 10; ++i) allowed += limiter.take_request("s", "", why) ? 1 : 0;
  const double slept = std::chrono::duration<double>(std::chrono::steady_clock::now() - emptied).count();
  const int expected = std::min(5, static_cast<int>(slept * 20));
  EXPECT_GE(allowed, std::min(expected, 2));
  EXPECT_LE(allowed, expected + 1);
  // The party's bucket spans sources.
  allowed = 0;
  for (int i = 0; i < 4; ++i) allowed += limiter.take_request("a", "party", why) ? 1 : 0;
  for (int i = 0; i < 5; ++i) allowed += limiter.take_request("b", "party", why) ? 1 : 0;
  EXPECT_EQ(allowed, 7);
  EXPECT_EQ(why, LimitReason::party_rate);
}

TEST(SourceLimits, ConcurrentUseKeepsTheCountsExact) {
  SourceLimiter limiter({.connections_per_source = 1000, .handshakes_per_source = 1000});
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        LimitReason why{};
        auto lease = limiter.admit("s" + std::to_string((t + i) % 4), why);
        if (lease && i % 2 == 0) lease->handshake_finished();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const auto counts = limiter.counts();
  EXPECT_EQ(counts.handshakes_in_flight, 0u);
  EXPECT_EQ(counts.sources, 0u);  // no rate limit: nothing worth remembering once all closed
}

}  // namespace
