#include "gateway/net/proxy_protocol.hpp"

#include <array>
#include <cstring>
#include <stdexcept>

namespace oncegate::net {

namespace {

constexpr std::array<unsigned char, 12> kSignature{0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                                   0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

unsigned byte_at(std::string_view bytes, std::size_t i) { return static_cast<unsigned char>(bytes[i]); }

}  // namespace

std::optional<std::size_t> proxy_v2_remaining(std::string_view fixed) {
  if (fixed.size() < kProxyFixedPart) return std::nullopt;
  if (std::memcmp(fixed.data(), kSignature.data(), kSignature.size()) != 0) return std::nullopt;
  const unsigned version_command = byte_at(fixed, 12);
  if ((version_command >> 4) != 0x2) return std::nullopt;
  if ((version_command & 0x0F) > 0x1) return std::nullopt;  // LOCAL or PROXY only
  const std::size_t length = (byte_at(fixed, 14) << 8) | byte_at(fixed, 15);
  if (kProxyFixedPart + length > kMaxProxyHeader) return std::nullopt;
  return length;
}

std::optional<ProxyHeader> parse_proxy_v2(std::string_view header) {
  const auto remaining = proxy_v2_remaining(header);
  if (!remaining || header.size() != kProxyFixedPart + *remaining) return std::nullopt;
  ProxyHeader out;
  if ((byte_at(header, 12) & 0x0F) == 0x0) {
    out.local = true;
    return out;
  }
  const unsigned family = byte_at(header, 13) >> 4;
  const unsigned transport = byte_at(header, 13) & 0x0F;
  const std::string_view addresses = header.substr(kProxyFixedPart);
  const auto port_at = [&](std::size_t i) {
    return static_cast<unsigned short>((byte_at(addresses, i) << 8) | byte_at(addresses, i + 1));
  };
  if (family == 0x1 && transport == 0x1) {  // TCP over IPv4: src, dst, src port, dst port
    if (addresses.size() < 12) return std::nullopt;
    boost::asio::ip::address_v4::bytes_type bytes;
    std::memcpy(bytes.data(), addresses.data(), bytes.size());
    out.source = boost::asio::ip::tcp::endpoint(boost::asio::ip::address_v4(bytes), port_at(8));
    return out;
  }
  if (family == 0x2 && transport == 0x1) {  // TCP over IPv6
    if (addresses.size() < 36) return std::nullopt;
    boost::asio::ip::address_v6::bytes_type bytes;
    std::memcpy(bytes.data(), addresses.data(), bytes.size());
    out.source = boost::asio::ip::tcp::endpoint(boost::asio::ip::address_v6(bytes), port_at(32));
    return out;
  }
  if (family == 0x1 || family == 0x2) return std::nullopt;  // UDP over TCP makes no sense
  out.local = true;  // UNSPEC or a UNIX socket: nothing to say about the peer
  return out;
}

AddressSet::AddressSet(const std::vector<std::string>& entries) {
  for (const auto& entry : entries) {
    boost::system::error_code ec;
    const bool network = entry.find('/') != std::string::npos;
    if (entry.find(':') != std::string::npos) {
      v6_.push_back(network ? boost::asio::ip::make_network_v6(entry, ec)
                            : boost::asio::ip::network_v6(boost::asio::ip::make_address_v6(entry, ec), 128));
    } else {
      v4_.push_back(network ? boost::asio::ip::make_network_v4(entry, ec)
                            : boost::asio::ip::network_v4(boost::asio::ip::make_address_v4(entry, ec), 32));
    }
    if (ec) throw std::runtime_error("'" + entry + "' is not an address or a network");
  }
}

bool AddressSet::contains(const boost::asio::ip::address& address) const {
  auto target = address;
  if (target.is_v6() && target.to_v6().is_v4_mapped()) {
    target = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, target.to_v6());
  }
  if (target.is_v4()) {
    for (const auto& network : v4_) {
      if (boost::asio::ip::network_v4(target.to_v4(), network.prefix_length()).canonical() == network.canonical()) return true;
    }
    return false;
  }
  for (const auto& network : v6_) {
    if (boost::asio::ip::network_v6(target.to_v6(), network.prefix_length()).canonical() == network.canonical()) return true;
  }
  return false;
}

}  // namespace oncegate::net
