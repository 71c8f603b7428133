#include "xfrm/userspace/gso.h"

namespace ike::xfrm {

uint64_t ChecksumAdd(uint64_t sum, const uint8_t* data, size_t len) {
  size_t i = 0;
  // 32-bit big-endian words; the 64-bit accumulator cannot overflow for
  // packet-sized inputs.
  for (; i + 4 <= len; i += 4) {
    uint32_t w;
    std::memcpy(&w, data + i, 4);
    sum += __builtin_bswap32(w);
  }
  for (; i + 2 <= len; i += 2) sum += static_cast<uint64_t>((data[i] << 8) | data[i + 1]);
  if (i < len) sum += static_cast<uint64_t>(data[i]) << 8;
  return sum;
}

uint16_t ChecksumFold(uint64_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

bool FinishChecksum(uint8_t* packet, size_t len, uint16_t csum_start, uint16_t csum_offset) {
  if (size_t{csum_start} + csum_offset + 2 > len) return false;
  const uint16_t c = static_cast<uint16_t>(
      ~ChecksumFold(ChecksumAdd(0, packet + csum_start, len - csum_start)));
  packet[csum_start + csum_offset] = static_cast<uint8_t>(c >> 8);
  packet[csum_start + csum_offset + 1] = static_cast<uint8_t>(c);
  return true;
}

size_t TcpSegmentHeaders(const uint8_t* pkt, size_t len, bool& v4) {
  auto info = esp::ParseIpPacket(ByteView(pkt, len));
  if (!info || info->proto != esp::kProtoTcp || info->total_len != len) return 0;
  v4 = info->src.is_v4();
  if (len < info->header_len + 20) return 0;
  const size_t tcp_len = static_cast<size_t>(pkt[info->header_len + 12] >> 4) * 4;
  if (tcp_len < 20 || info->header_len + tcp_len > len) return 0;
  return info->header_len + tcp_len;
}

void FixTcpSegment(uint8_t* seg, size_t seg_len, size_t ip_len, bool v4, uint32_t seq,
                   uint16_t ip_id, bool first, bool last) {
  uint8_t* tcp = seg + ip_len;
  const size_t tcp_total = seg_len - ip_len;
  uint64_t pseudo = 0;
  if (v4) {
    seg[2] = static_cast<uint8_t>(seg_len >> 8);
    seg[3] = static_cast<uint8_t>(seg_len);
    seg[4] = static_cast<uint8_t>(ip_id >> 8);
    seg[5] = static_cast<uint8_t>(ip_id);
    seg[10] = seg[11] = 0;
    const uint16_t c = esp::Ipv4HeaderChecksum(seg, ip_len);
    seg[10] = static_cast<uint8_t>(c >> 8);
    seg[11] = static_cast<uint8_t>(c);
    pseudo = ChecksumAdd(0, seg + 12, 8);
  } else {
    const size_t pl = seg_len - esp::kIpv6HeaderLen;
    seg[4] = static_cast<uint8_t>(pl >> 8);
    seg[5] = static_cast<uint8_t>(pl);
    pseudo = ChecksumAdd(0, seg + 8, 32);
  }
  pseudo += esp::kProtoTcp;
  pseudo += tcp_total;
  const uint32_t be = __builtin_bswap32(seq);
  std::memcpy(tcp + 4, &be, 4);
  if (!last) tcp[13] &= static_cast<uint8_t>(~0x09);   // FIN, PSH
  if (!first) tcp[13] &= static_cast<uint8_t>(~0x80);  // CWR
  tcp[16] = tcp[17] = 0;
  const uint16_t c = static_cast<uint16_t>(~ChecksumFold(ChecksumAdd(pseudo, tcp, tcp_total)));
  tcp[16] = static_cast<uint8_t>(c >> 8);
  tcp[17] = static_cast<uint8_t>(c);
}

}  // namespace ike::xfrm
