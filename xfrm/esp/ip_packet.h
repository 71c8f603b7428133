// Minimal IPv4/IPv6 header handling for the ESP data path: the fields the
// SPD matches on, the outer header of received ESP (raw sockets deliver the
// IPv4 header), and rebuilding an IP header around a transport-mode payload.
#pragma once

#include <cstdint>
#include <optional>

#include "libike/common/bytes.h"
#include "libike/common/ip_address.h"

namespace ike::esp {

inline constexpr uint8_t kProtoIpv4 = 4;     // IP-in-IP (tunnel mode next header)
inline constexpr uint8_t kProtoIpv6 = 41;
inline constexpr uint8_t kProtoEsp = 50;
inline constexpr uint8_t kProtoUdp = 17;
inline constexpr uint8_t kProtoTcp = 6;
inline constexpr uint8_t kProtoIcmp = 1;
inline constexpr uint8_t kProtoIcmpv6 = 58;
inline constexpr uint8_t kProtoNoNext = 59;  // dummy/TFC packet (RFC 4303 2.6)

inline constexpr size_t kIpv4HeaderLen = 20;
inline constexpr size_t kIpv6HeaderLen = 40;

// What a policy selector looks at.
struct PacketInfo {
  IpAddress src;
  IpAddress dst;
  uint8_t proto = 0;        // the upper-layer protocol (IPv6: after the fixed header)
  uint16_t src_port = 0;    // host order; ICMP: type
  uint16_t dst_port = 0;    // ICMP: code
  size_t header_len = 0;    // IP header length (IPv4 IHL * 4, IPv6 40)
  size_t total_len = 0;     // from the header's length field
};

// Parses an IPv4 or IPv6 packet. nullopt if it is shorter than its header or
// its length field claims more than `packet` holds. Only the fixed IPv6 header
// is skipped (extension headers are reported as the protocol).
std::optional<PacketInfo> ParseIpPacket(ByteView packet);

// RFC 1071 checksum of an IPv4 header.
uint16_t Ipv4HeaderChecksum(const uint8_t* header, size_t len);

// Writes an IPv4 (20 bytes) or IPv6 (40 bytes) header for a payload of
// `payload_len` bytes at `out` (which must have room). Returns the header
// length. Used to rebuild transport-mode packets and in tests to build outer
// headers.
size_t WriteIpHeader(uint8_t* out, const IpAddress& src, const IpAddress& dst, uint8_t proto,
                     size_t payload_len, uint8_t ttl = 64);

}  // namespace ike::esp
