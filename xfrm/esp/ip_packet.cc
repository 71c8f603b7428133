#include "xfrm/esp/ip_packet.h"

#include <cstring>

namespace ike::esp {
namespace {

uint16_t GetU16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }

void ParsePorts(ByteView l4, uint8_t proto, PacketInfo& info) {
  if ((proto == kProtoTcp || proto == kProtoUdp || proto == 132 /* SCTP */) && l4.size() >= 4) {
    info.src_port = GetU16(l4.data());
    info.dst_port = GetU16(l4.data() + 2);
  } else if ((proto == kProtoIcmp || proto == kProtoIcmpv6) && l4.size() >= 2) {
    info.src_port = l4[0];
    info.dst_port = l4[1];
  }
}

}  // namespace

std::optional<PacketInfo> ParseIpPacket(ByteView packet) {
  if (packet.empty()) return std::nullopt;
  PacketInfo info;
  const uint8_t version = packet[0] >> 4;
  if (version == 4) {
    if (packet.size() < kIpv4HeaderLen) return std::nullopt;
    info.header_len = size_t{packet[0] & 0x0fu} * 4;
    info.total_len = GetU16(packet.data() + 2);
    if (info.header_len < kIpv4HeaderLen || info.total_len < info.header_len ||
        info.total_len > packet.size()) {
      return std::nullopt;
    }
    info.proto = packet[9];
    info.src = *IpAddress::FromBytes(packet.subspan(12, 4));
    info.dst = *IpAddress::FromBytes(packet.subspan(16, 4));
    const uint16_t frag = GetU16(packet.data() + 6);
    if ((frag & 0x1fff) == 0) {  // only the first fragment carries ports
      ParsePorts(packet.subspan(info.header_len, info.total_len - info.header_len), info.proto,
                 info);
    }
    return info;
  }
  if (version == 6) {
    if (packet.size() < kIpv6HeaderLen) return std::nullopt;
    info.header_len = kIpv6HeaderLen;
    info.total_len = kIpv6HeaderLen + GetU16(packet.data() + 4);
    if (info.total_len > packet.size()) return std::nullopt;
    info.proto = packet[6];
    info.src = *IpAddress::FromBytes(packet.subspan(8, 16));
    info.dst = *IpAddress::FromBytes(packet.subspan(24, 16));
    ParsePorts(packet.subspan(kIpv6HeaderLen, info.total_len - kIpv6HeaderLen), info.proto, info);
    return info;
  }
  return std::nullopt;
}

uint16_t Ipv4HeaderChecksum(const uint8_t* header, size_t len) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < len; i += 2) sum += GetU16(header + i);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

size_t WriteIpHeader(uint8_t* out, const IpAddress& src, const IpAddress& dst, uint8_t proto,
                     size_t payload_len, uint8_t ttl) {
  if (src.is_v4()) {
    const size_t total = kIpv4HeaderLen + payload_len;
    std::memset(out, 0, kIpv4HeaderLen);
    out[0] = 0x45;
    out[2] = static_cast<uint8_t>(total >> 8);
    out[3] = static_cast<uint8_t>(total);
    out[6] = 0x40;  // DF: the inner packet already passed PMTU on its way here
    out[8] = ttl;
    out[9] = proto;
    std::memcpy(out + 12, src.bytes().data(), 4);
    std::memcpy(out + 16, dst.bytes().data(), 4);
    const uint16_t csum = Ipv4HeaderChecksum(out, kIpv4HeaderLen);
    out[10] = static_cast<uint8_t>(csum >> 8);
    out[11] = static_cast<uint8_t>(csum);
    return kIpv4HeaderLen;
  }
  std::memset(out, 0, kIpv6HeaderLen);
  out[0] = 0x60;
  out[4] = static_cast<uint8_t>(payload_len >> 8);
  out[5] = static_cast<uint8_t>(payload_len);
  out[6] = proto;
  out[7] = ttl;
  std::memcpy(out + 8, src.bytes().data(), 16);
  std::memcpy(out + 24, dst.bytes().data(), 16);
  return kIpv6HeaderLen;
}

}  // namespace ike::esp
