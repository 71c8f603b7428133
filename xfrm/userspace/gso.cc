#include "xfrm/userspace/gso.h"

#include <bit>

namespace ike::xfrm {

uint64_t ChecksumAdd(uint64_t sum, const uint8_t* data, size_t len) {
  // RFC 1071 1.2 (B): the one's-complement sum does not depend on byte
  // order, so sum native 32-bit halves of 64-bit loads (no swap per word),
  // fold, and swap the 16-bit result once.
  uint64_t a = 0, b = 0;
  size_t i = 0;
  for (; i + 16 <= len; i += 16) {
    uint64_t w0, w1;
    std::memcpy(&w0, data + i, 8);
    std::memcpy(&w1, data + i + 8, 8);
    a += (w0 & 0xffffffffu) + (w0 >> 32);
    b += (w1 & 0xffffffffu) + (w1 >> 32);
  }
  a += b;
  for (; i + 2 <= len; i += 2) {
    uint16_t w;
    std::memcpy(&w, data + i, 2);
    a += w;
  }
  if constexpr (std::endian::native == std::endian::little) {
    if (i < len) a += data[i];  // the odd byte is the high half of a big-endian word
    return sum + __builtin_bswap16(ChecksumFold(a));
  } else {
    if (i < len) a += static_cast<uint64_t>(data[i]) << 8;
    return sum + ChecksumFold(a);
  }
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

namespace {

constexpr size_t kMaxSuper = 65535;

// The TCP header offset and length of a coalescing candidate, or 0.
size_t GroHeaders(const uint8_t* pkt, size_t len, bool& v4, size_t& ip_len) {
  if (len < 20) return 0;
  if ((pkt[0] >> 4) == 4) {
    // No IP options, not a fragment.
    if (pkt[0] != 0x45 || pkt[9] != esp::kProtoTcp || (((pkt[6] << 8) | pkt[7]) & 0x3fff) != 0) {
      return 0;
    }
    v4 = true;
    ip_len = 20;
  } else if ((pkt[0] >> 4) == 6) {
    if (len < 40 || pkt[6] != esp::kProtoTcp) return 0;
    v4 = false;
    ip_len = 40;
  } else {
    return 0;
  }
  if (len < ip_len + 20) return 0;
  const size_t tcp_len = static_cast<size_t>(pkt[ip_len + 12] >> 4) * 4;
  if (tcp_len < 20 || ip_len + tcp_len >= len) return 0;  // needs payload
  // Only ACK, optionally PSH: no SYN/FIN/RST/URG/ECE/CWR.
  if ((pkt[ip_len + 13] & static_cast<uint8_t>(~0x18)) != 0 || (pkt[ip_len + 13] & 0x10) == 0) {
    return 0;
  }
  return ip_len + tcp_len;
}

uint32_t Seq(const uint8_t* tcp) {
  return (uint32_t{tcp[4]} << 24) | (uint32_t{tcp[5]} << 16) | (uint32_t{tcp[6]} << 8) | tcp[7];
}

}  // namespace

TcpCoalescer::TcpCoalescer() : buf_(VnetHdr::kSize + kMaxSuper) {}

bool TcpCoalescer::Add(const uint8_t* pkt, size_t len) {
  bool v4 = false;
  size_t ip_len = 0;
  const size_t hdrs = GroHeaders(pkt, len, v4, ip_len);
  if (hdrs == 0) return false;
  // Exactly one IP packet: anything after its IP length would become payload.
  auto info = esp::ParseIpPacket(ByteView(pkt, len));
  if (!info || info->total_len != len) return false;
  const size_t payload = len - hdrs;
  uint8_t* super = buf_.data() + VnetHdr::kSize;
  if (segments_ == 0) {
    if (len > kMaxSuper) return false;
    std::memcpy(super, pkt, len);
    len_ = len;
    segments_ = 1;
    ip_len_ = ip_len;
    hdr_len_ = hdrs;
    mss_ = payload;
    v4_ = v4;
    next_seq_ = Seq(pkt + ip_len) + static_cast<uint32_t>(payload);
    closed_ = (pkt[ip_len + 13] & 0x08) != 0;
    return true;
  }
  if (closed_ || v4 != v4_ || hdrs != hdr_len_ || payload > mss_ ||
      len_ + payload > kMaxSuper || segments_ >= kMaxSegments) {
    return false;
  }
  const uint8_t* tcp = pkt + ip_len;
  const uint8_t* open_tcp = super + ip_len_;
  // Same addresses, same ports, contiguous sequence, same ack and options.
  const size_t addr_off = v4 ? 12 : 8, addr_len = v4 ? 8 : 32;
  if (std::memcmp(pkt + addr_off, super + addr_off, addr_len) != 0 ||
      std::memcmp(tcp, open_tcp, 4) != 0 || Seq(tcp) != next_seq_ ||
      std::memcmp(tcp + 8, open_tcp + 8, 4) != 0 ||
      std::memcmp(tcp + 20, open_tcp + 20, hdrs - ip_len - 20) != 0) {
    return false;
  }
  if (v4 && (pkt[1] != super[1] || pkt[8] != super[8])) return false;  // TOS, TTL
  std::memcpy(super + len_, pkt + hdrs, payload);
  len_ += payload;
  ++segments_;
  next_seq_ += static_cast<uint32_t>(payload);
  if (payload < mss_ || (tcp[13] & 0x08) != 0) {
    closed_ = true;
    super[ip_len_ + 13] |= tcp[13] & 0x08;  // carry PSH
  }
  return true;
}

ByteView TcpCoalescer::Take() {
  uint8_t* vnet = buf_.data();
  uint8_t* super = vnet + VnetHdr::kSize;
  std::memset(vnet, 0, VnetHdr::kSize);
  vnet[0] = VnetHdr::kDataValid;
  if (segments_ > 1) {
    const size_t tcp_total = len_ - ip_len_;
    uint64_t pseudo;
    if (v4_) {
      super[2] = static_cast<uint8_t>(len_ >> 8);
      super[3] = static_cast<uint8_t>(len_);
      super[10] = super[11] = 0;
      const uint16_t c = esp::Ipv4HeaderChecksum(super, ip_len_);
      super[10] = static_cast<uint8_t>(c >> 8);
      super[11] = static_cast<uint8_t>(c);
      pseudo = ChecksumAdd(0, super + 12, 8);
    } else {
      super[4] = static_cast<uint8_t>(tcp_total >> 8);
      super[5] = static_cast<uint8_t>(tcp_total);
      pseudo = ChecksumAdd(0, super + 8, 32);
    }
    // Partial checksum: the pseudo-header sum, the stack completes or trusts it.
    const uint16_t partial = ChecksumFold(pseudo + esp::kProtoTcp + tcp_total);
    super[ip_len_ + 16] = static_cast<uint8_t>(partial >> 8);
    super[ip_len_ + 17] = static_cast<uint8_t>(partial);
    const uint16_t hdr_len = static_cast<uint16_t>(hdr_len_);
    const uint16_t gso_size = static_cast<uint16_t>(mss_);
    const uint16_t csum_start = static_cast<uint16_t>(ip_len_);
    const uint16_t csum_offset = 16;
    vnet[0] = VnetHdr::kNeedsCsum;
    vnet[1] = v4_ ? VnetHdr::kGsoTcpV4 : VnetHdr::kGsoTcpV6;
    std::memcpy(vnet + 2, &hdr_len, 2);
    std::memcpy(vnet + 4, &gso_size, 2);
    std::memcpy(vnet + 6, &csum_start, 2);
    std::memcpy(vnet + 8, &csum_offset, 2);
  }
  ByteView out(buf_.data(), VnetHdr::kSize + len_);
  segments_ = 0;
  len_ = 0;
  closed_ = false;
  return out;
}

}  // namespace ike::xfrm
