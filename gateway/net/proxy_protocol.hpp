#pragma once
// The PROXY protocol, version 2 (the binary header a load balancer such as HAProxy's
// `send-proxy-v2` puts before the TLS handshake): who the real peer is. Read only on connections
// from the configured load-balancer addresses (ListenerOptions::proxy_protocol_from); the reader
// never trusts a length beyond kMaxProxyHeader.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace oncegate::net {

inline constexpr std::size_t kProxyFixedPart = 16;  // signature, version/command, family, length
inline constexpr std::size_t kMaxProxyHeader = 1024;

// The bytes that follow the fixed part (addresses and TLVs), or nullopt when `fixed` is no v2
// header (wrong signature or version, an unknown command, a length over the limit).
[[nodiscard]] std::optional<std::size_t> proxy_v2_remaining(std::string_view fixed);

struct ProxyHeader {
  // LOCAL: the load balancer's own connection (its health checks); the peer is the connection's.
  bool local = false;
  std::optional<boost::asio::ip::tcp::endpoint> source;  // PROXY over TCP/IPv4 or IPv6
};

// The whole header (fixed part and the rest); nullopt when malformed. PROXY headers of other
// families (UNIX sockets, UNSPEC) are taken as LOCAL.
[[nodiscard]] std::optional<ProxyHeader> parse_proxy_v2(std::string_view header);

// Addresses and networks ("10.0.0.5", "10.0.0.0/24", "fd00::/64"). Throws std::runtime_error on
// anything else.
class AddressSet {
 public:
  AddressSet() = default;
  explicit AddressSet(const std::vector<std::string>& entries);
  [[nodiscard]] bool contains(const boost::asio::ip::address& address) const;
  [[nodiscard]] bool empty() const noexcept { return v4_.empty() && v6_.empty(); }

 private:
  std::vector<boost::asio::ip::network_v4> v4_;
  std::vector<boost::asio::ip::network_v6> v6_;
};

}  // namespace oncegate::net
