// The PROXY protocol v2 header: read as HAProxy's send-proxy-v2 writes it, refused when it is
// anything else; the load balancers' address set.

#include <gtest/gtest.h>

#include <string>

#include "gateway/net/proxy_protocol.hpp"

namespace oncegate::net {
namespace {

const std::string kSignature("\r\n\r\n\0\r\nQUIT\n", 12);

std::string header(unsigned char command, unsigned char family, const std::string& rest) {
  std::string out = kSignature;
  out += static_cast<char>(0x20 | command);
  out += static_cast<char>(family);
  out += static_cast<char>(rest.size() >> 8);
  out += static_cast<char>(rest.size() & 0xFF);
  return out + rest;
}

TEST(ProxyProtocolTest, ReadsTheRealPeerOfATcpOverIpv4Connection) {
  // 203.0.113.7:51000 -> 10.0.0.1:443, then a TLV (HAProxy adds some) that is skipped.
  const std::string addresses("\xCB\x00\x71\x07\x0A\x00\x00\x01\xC7\x38\x01\xBB", 12);
  const std::string tlv("\x05\x00\x02\xAB\xCD", 5);
  const auto whole = header(0x1, 0x11, addresses + tlv);
  ASSERT_EQ(proxy_v2_remaining(whole.substr(0, kProxyFixedPart)), addresses.size() + tlv.size());
  const auto parsed = parse_proxy_v2(whole);
  ASSERT_TRUE(parsed);
  EXPECT_FALSE(parsed->local);
  ASSERT_TRUE(parsed->source);
  EXPECT_EQ(parsed->source->address().to_string(), "203.0.113.7");
  EXPECT_EQ(parsed->source->port(), 51000);
}

TEST(ProxyProtocolTest, ReadsIpv6AndTakesLocalAsTheBalancersOwn) {
  std::string addresses(36, '\0');
  addresses[0] = static_cast<char>(0x20);
  addresses[1] = static_cast<char>(0x01);
  addresses[2] = static_cast<char>(0x0d);
  addresses[3] = static_cast<char>(0xb8);
  addresses[15] = 0x09;
  addresses[32] = static_cast<char>(0x30);
  addresses[33] = static_cast<char>(0x39);
  const auto parsed = parse_proxy_v2(header(0x1, 0x21, addresses));
  ASSERT_TRUE(parsed && parsed->source);
  EXPECT_EQ(parsed->source->address().to_string(), "2001:db8::9");
  EXPECT_EQ(parsed->source->port(), 12345);
  const auto local = parse_proxy_v2(header(0x0, 0x00, ""));
  ASSERT_TRUE(local);
  EXPECT_TRUE(local->local);
  EXPECT_FALSE(local->source);
}

TEST(ProxyProtocolTest, RefusesWhatIsNoVersionTwoHeader) {
  EXPECT_FALSE(proxy_v2_remaining("PROXY TCP4 1.2.3.4"));                         // version 1 text
  EXPECT_FALSE(proxy_v2_remaining(std::string("\x16\x03\x01\x02\x00", 5) + std::string(11, 'x')));  // TLS hello
  std::string wrong_version = header(0x1, 0x11, std::string(12, '\0'));
  wrong_version[12] = 0x11;
  EXPECT_FALSE(proxy_v2_remaining(wrong_version));
  std::string unknown_command = header(0x1, 0x11, std::string(12, '\0'));
  unknown_command[12] = 0x2F;
  EXPECT_FALSE(proxy_v2_remaining(unknown_command));
  std::string too_long = header(0x1, 0x11, "");
  too_long[14] = static_cast<char>(0xFF);
  EXPECT_FALSE(proxy_v2_remaining(too_long));
  EXPECT_FALSE(parse_proxy_v2(header(0x1, 0x11, std::string(8, '\0'))));   // IPv4 addresses cut short
  EXPECT_FALSE(parse_proxy_v2(header(0x1, 0x12, std::string(12, '\0'))));  // UDP
  auto cut = header(0x1, 0x11, std::string(12, '\0'));
  cut.pop_back();
  EXPECT_FALSE(parse_proxy_v2(cut));  // shorter than its length says
}

TEST(ProxyProtocolTest, AddressSetsMatchAddressesAndNetworks) {
  const AddressSet set({"127.0.0.2", "10.1.0.0/16", "fd00::/64"});
  const auto a = [](const char* text) { return boost::asio::ip::make_address(text); };
  EXPECT_TRUE(set.contains(a("127.0.0.2")));
  EXPECT_FALSE(set.contains(a("127.0.0.1")));
  EXPECT_TRUE(set.contains(a("10.1.200.3")));
  EXPECT_FALSE(set.contains(a("10.2.0.1")));
  EXPECT_TRUE(set.contains(a("fd00::17")));
  EXPECT_FALSE(set.contains(a("fd00:0:0:1::17")));
  EXPECT_TRUE(set.contains(a("::ffff:127.0.0.2")));  // a v4-mapped peer on a dual-stack socket
  EXPECT_THROW(AddressSet({"10.0.0.0/33"}), std::runtime_error);
  EXPECT_THROW(AddressSet({"balancer.local"}), std::runtime_error);
  EXPECT_TRUE(AddressSet().empty());
}

}  // namespace
}  // namespace oncegate::net
