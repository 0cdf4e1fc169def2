// The replay guard alone: a UUID is refused while remembered, forgotten after its retention, and
// concurrent first sightings of one UUID admit exactly one.

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "gateway/exchange/checks.hpp"

namespace oncegate::exchange {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

TEST(ReplayGuard, RemembersForTheRetentionPeriodOnly) {
  ReplayGuard guard(10s);
  const auto t0 = Clock::now();
  EXPECT_TRUE(guard.first_sighting("0f8fad5b-d9cb-469f-a165-70867728950e", t0));
  EXPECT_FALSE(guard.first_sighting("0f8fad5b-d9cb-469f-a165-70867728950e", t0 + 9s));
  EXPECT_TRUE(guard.first_sighting("1f8fad5b-d9cb-469f-a165-70867728950e", t0 + 9s));
  // Forgotten by the retention plus one generation (10 s / 7), remembered anew.
  EXPECT_TRUE(guard.first_sighting("0f8fad5b-d9cb-469f-a165-70867728950e", t0 + 12s));
  EXPECT_FALSE(guard.first_sighting("0f8fad5b-d9cb-469f-a165-70867728950e", t0 + 13s));
}

TEST(ReplayGuard, NeverForgetsBeforeTheRetentionPeriodWhateverTheGenerationBoundaries) {
  ReplayGuard guard(7s);
  const auto t0 = Clock::now();
  (void)guard.first_sighting("warm-up", t0);  // fixes the shards' generation boundaries
  for (int offset_ms = 0; offset_ms < 2000; offset_ms += 97) {
    const std::string id = "id-" + std::to_string(offset_ms);
    const auto seen = t0 + std::chrono::milliseconds(offset_ms);
    ASSERT_TRUE(guard.first_sighting(id, seen));
    EXPECT_FALSE(guard.first_sighting(id, seen + 6999ms)) << offset_ms;
  }
}

TEST(ReplayGuard, SpellingsOfAnIdStayDistinctAndItsMemoryIsBounded) {
  ReplayGuard guard(60s);
  const auto now = Clock::now();
  EXPECT_TRUE(guard.first_sighting("0f8fad5b-d9cb-469f-a165-70867728950e", now));
  EXPECT_TRUE(guard.first_sighting("0F8FAD5B-D9CB-469F-A165-70867728950E", now));
  EXPECT_TRUE(guard.first_sighting("urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e", now));
  EXPECT_FALSE(guard.first_sighting("urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e", now));
  EXPECT_TRUE(guard.first_sighting("not a uuid at all", now));
  EXPECT_FALSE(guard.first_sighting("not a uuid at all", now));
  EXPECT_EQ(guard.size(), 4u);
  // After the retention and one more generation, a shard in use has forgotten everything.
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(guard.first_sighting("later-" + std::to_string(i), now + 70s));
  EXPECT_EQ(guard.size(), 1000u);
}

TEST(ReplayGuard, ConcurrentSightingsAdmitExactlyOne) {
  ReplayGuard guard(60s);
  std::atomic<int> admitted{0};
  std::vector<std::thread> threads;
  const auto now = Clock::now();
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        if (guard.first_sighting("uuid-" + std::to_string(i), now)) ++admitted;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(admitted.load(), 500);
}

TEST(XsDateTime, ParsesWithTimeZoneOnly) {
  const auto utc = parse_xs_datetime("2026-12-01T09:00:00Z");
  const auto offset = parse_xs_datetime("2026-12-01T10:00:00.500+01:00");
  ASSERT_TRUE(utc && offset);
  EXPECT_EQ(*offset - *utc, 500ms);
  for (const char* bad : {"2026-12-01T09:00:00", "2026-13-01T09:00:00Z", "2026-12-01 09:00:00Z", "yesterday", "",
                          "2026-12-01T09:00:00+15:00", "1969-12-31T23:59:59Z"}) {
    EXPECT_FALSE(parse_xs_datetime(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace oncegate::exchange
