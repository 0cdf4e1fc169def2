// The operation log's line format: one JSON object per line, whatever the values hold.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "gateway/oplog/oplog.hpp"
#include "gateway/oplog/tally.hpp"

namespace oncegate::oplog {
namespace {

TEST(Oplog, EveryLineIsOneJsonObjectWithEscapedValues) {
  const std::string hostile = "line\nbreak \"quoted\" back\\slash \x01 tab\t ümlaut";
  const std::string line = format(Level::warn, "refused_before_trust",
                                  {{"peer", "127.0.0.1:4000"}, {"reason", hostile}, {"count", 3}, {"ratio", 0.5}, {"ok", false},
                                   {"big", std::uint64_t{1} << 40}});
  EXPECT_EQ(line.find('\n'), std::string::npos);
  boost::system::error_code ec;
  const auto value = boost::json::parse(line, ec);
  ASSERT_FALSE(ec) << line;
  const auto& o = value.as_object();
  EXPECT_EQ(o.at("level").as_string(), "warn");
  EXPECT_EQ(o.at("event").as_string(), "refused_before_trust");
  EXPECT_EQ(o.at("reason").as_string(), hostile);
  EXPECT_EQ(o.at("count").as_int64(), 3);
  EXPECT_DOUBLE_EQ(o.at("ratio").as_double(), 0.5);
  EXPECT_FALSE(o.at("ok").as_bool());
  EXPECT_EQ(o.at("big").as_int64(), std::int64_t{1} << 40);
  EXPECT_EQ(o.at("ts").as_string().size(), 24u);  // 2026-12-01T09:00:00.000Z
  // A non-finite number is null, not invalid JSON.
  EXPECT_FALSE(boost::json::parse(format(Level::info, "x", {{"n", 1.0 / 0.0}}), ec).is_null() && ec);
  EXPECT_TRUE(boost::json::parse(format(Level::info, "x", {{"n", 1.0 / 0.0}})).as_object().at("n").is_null());
}

TEST(Tally, CountsPerKeyAndIsBoundedBetweenFlushes) {
  (void)flush_tally();
  for (int i = 0; i < 500; ++i) tally("evidence", "192.0.2.1", "tls_handshake_failed");
  tally("evidence", "192.0.2.1", "source_rate");
  tally("admin", "192.0.2.1", "tls_handshake_failed");
  set_minimum_level(Level::error);  // the lines themselves are not this test's concern
  EXPECT_EQ(flush_tally(), 3u);
  EXPECT_EQ(flush_tally(), 0u);  // forgotten once written
  // A flood of sources: at most kMaxTallyKeys keys, the rest under "(other)".
  for (std::size_t i = 0; i < kMaxTallyKeys + 1000; ++i) tally("cockpit", "198.51.100." + std::to_string(i), "x");
  EXPECT_EQ(flush_tally(), kMaxTallyKeys + 1);
  set_minimum_level(Level::info);
}

}  // namespace
}  // namespace oncegate::oplog
