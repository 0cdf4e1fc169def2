// The bottom layer: byte encodings, URL queries, time text, files. Known answers (RFC 4648
// test vectors) and the edge cases the callers rely on.

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <filesystem>
#include <random>

#include "gateway/common/bytes.hpp"
#include "gateway/common/files.hpp"
#include "gateway/common/time.hpp"
#include "gateway/common/url.hpp"

namespace oncegate::common {
namespace {

TEST(Bytes, HexRoundTripsAndRefusesMalformed) {
  EXPECT_EQ(to_hex(std::string("\x00\x01\xab\xff", 4)), "0001abff");
  EXPECT_EQ(from_hex("0001ABff"), std::string("\x00\x01\xab\xff", 4));
  EXPECT_FALSE(from_hex("abc").has_value());
  EXPECT_FALSE(from_hex("zz").has_value());
  EXPECT_EQ(from_hex(""), std::string());
}

TEST(Bytes, Base64MatchesRfc4648) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64_encode(plain), encoded);
    EXPECT_EQ(base64_decode(encoded), std::string(plain));
  }
  EXPECT_FALSE(base64_decode("Zg=").has_value());   // wrong length
  EXPECT_FALSE(base64_decode("Z*==").has_value());  // not in the alphabet
  EXPECT_FALSE(base64_decode("Zg").has_value());    // padding required
}

TEST(Bytes, Base64UrlIsUnpaddedAndUrlSafe) {
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  EXPECT_EQ(base64url_decode("-_8"), std::string("\xfb\xff"));
  EXPECT_FALSE(base64url_decode("Zg==").has_value());  // JWS forbids padding
  EXPECT_FALSE(base64url_decode("+/8").has_value());   // the standard alphabet is not URL-safe
  std::mt19937 random(7);
  for (int n = 0; n < 64; ++n) {
    std::string bytes(static_cast<std::size_t>(n), '\0');
    for (auto& c : bytes) c = static_cast<char>(random());
    EXPECT_EQ(base64url_decode(base64url_encode(bytes)), bytes);
    EXPECT_EQ(base64_decode(base64_encode(bytes)), bytes);
  }
}

TEST(Url, PercentDecodingAndParameters) {
  EXPECT_EQ(percent_decode("a%20b+c"), "a b c");
  EXPECT_EQ(percent_decode("a%20b+c", false), "a b+c");  // paths keep '+'
  EXPECT_EQ(percent_decode("%zz%4"), "%zz%4");           // malformed stays
  const auto parameters = query_parameters("from=2026-01-01&type=geburts%75rkunde&flag&empty=&x=1&x=2");
  EXPECT_EQ(parameters.at("from"), "2026-01-01");
  EXPECT_EQ(parameters.at("type"), "geburtsurkunde");
  EXPECT_EQ(parameters.at("flag"), "");
  EXPECT_EQ(parameters.at("empty"), "");
  EXPECT_EQ(parameters.at("x"), "1");  // the first of a repeated name
  EXPECT_EQ(query_parameter("region=03&with_routes=true", "with_routes"), "true");
  EXPECT_EQ(query_parameter("region=03", "with_routes"), "");
  EXPECT_EQ(query_parameter("with_routes=false&with_routes=true", "with_routes"), "false");
  EXPECT_EQ(query_parameter("region=a+b", "region", false), "a+b");
}

TEST(Time, UtcTextIsXsDateTime) {
  EXPECT_EQ(utc_text_ms(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(utc_text_ms(1'764'200'400'123), "2025-11-26T23:40:00.123Z");
  EXPECT_EQ(utc_text_seconds(1'764'200'400), "2025-11-26T23:40:00Z");
  EXPECT_GT(now_ms(), 1'700'000'000'000);
}

TEST(Files, AtomicWriteKeepsModeAndReplacesWhole) {
  const auto dir = std::filesystem::temp_directory_path() / ("oncegate-common-" + std::to_string(::getpid()));
  const auto file = dir / "sub" / "secret.txt";
  write_file_atomically(file, "first", true);
  write_file_atomically(file, "second", true);
  EXPECT_EQ(read_file(file), "second");
  struct stat info {};
  ASSERT_EQ(::stat(file.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  EXPECT_FALSE(std::filesystem::exists(file.string() + ".tmp"));
  EXPECT_THROW((void)read_file(dir / "missing", "test file"), FileError);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace oncegate::common
