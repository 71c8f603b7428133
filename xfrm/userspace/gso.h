// Offloads of the userspace data path, as pure functions over caller buffers:
//  - TUN (IFF_VNET_HDR + TUNSETOFFLOAD): the kernel hands the TUN reader TCP
//    super-packets (TSO, up to 64 KB, one read instead of ~45) and packets
//    whose checksum is left partial. SplitTunRead decodes one read: it
//    finishes checksums and cuts a TSO packet into MSS-sized TCP segments;
//    TcpCoalescer does the reverse (GRO) on the way into the device.
//  - UDP GSO (UDP_SEGMENT): UdpGsoRun decides which ESP-in-UDP datagrams
//    may share one sendmsg.
//  - UDP GRO (UDP_GRO): SplitUdpGro cuts a coalesced receive back into its
//    datagrams.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "xfrm/esp/ip_packet.h"

namespace ike::xfrm {

// struct virtio_net_hdr, host byte order (TUN default on little endian).
struct VnetHdr {
  static constexpr size_t kSize = 10;
  static constexpr uint8_t kNeedsCsum = 1;
  // The checksum need not be verified (CHECKSUM_UNNECESSARY): for packets
  // that were decapsulated, whose bytes the ESP ICV has authenticated.
  static constexpr uint8_t kDataValid = 2;
  static constexpr uint8_t kGsoNone = 0, kGsoTcpV4 = 1, kGsoTcpV6 = 4, kGsoEcn = 0x80;
  uint8_t flags = 0;
  uint8_t gso_type = kGsoNone;
  uint16_t hdr_len = 0;
  uint16_t gso_size = 0;
  uint16_t csum_start = 0;
  uint16_t csum_offset = 0;
  static VnetHdr Parse(const uint8_t* p) {
    VnetHdr h;
    h.flags = p[0];
    h.gso_type = p[1];
    std::memcpy(&h.hdr_len, p + 2, 2);
    std::memcpy(&h.gso_size, p + 4, 2);
    std::memcpy(&h.csum_start, p + 6, 2);
    std::memcpy(&h.csum_offset, p + 8, 2);
    return h;
  }
  // GSO type without the ECN flag.
  uint8_t gso() const { return gso_type & static_cast<uint8_t>(~kGsoEcn); }
};

// One's-complement sum of big-endian 16-bit words (RFC 1071), unfolded.
uint64_t ChecksumAdd(uint64_t sum, const uint8_t* data, size_t len);
uint16_t ChecksumFold(uint64_t sum);

// NEEDS_CSUM: the field at csum_start + csum_offset holds the pseudo-header
// sum; add the rest of the packet from csum_start and store the result.
bool FinishChecksum(uint8_t* packet, size_t len, uint16_t csum_start, uint16_t csum_offset);

// Splits a TCP/IPv4 or TCP/IPv6 super-packet into segments of at most `mss`
// payload bytes: IP lengths, IPv4 ids and header checksums, TCP sequence
// numbers, FIN/PSH (last segment only), CWR (first only) and full TCP
// checksums are rewritten. For each segment, `alloc(len)` returns a buffer
// for it (nullptr aborts) and `emit(buffer, len)` takes it. Returns the
// number of segments, 0 when the packet is not TCP or malformed.
template <typename Alloc, typename Emit>
size_t SegmentTcp(const uint8_t* pkt, size_t len, uint16_t mss, Alloc&& alloc, Emit&& emit);

// GRO for the way into the TUN device: coalesces consecutive in-order TCP
// segments of one flow into a super-packet with a virtio_net_hdr (TCPv4/v6
// GSO, partial checksum), as a NIC's GRO would, so the stack processes one
// large packet instead of ~45. Rules as tcp_gro_receive: same addresses and
// ports, seq contiguous, same ack and options, only ACK (+PSH on the last)
// flags, every segment but the last exactly the first one's size.
class TcpCoalescer {
 public:
  static constexpr size_t kMaxSegments = 64;
  TcpCoalescer();
  // Absorbs the packet (starting a new super-packet or extending the open
  // one) or returns false: then the caller flushes the open one (Take) and
  // tries again, or writes the packet as it is.
  bool Add(const uint8_t* pkt, size_t len);
  bool open() const { return segments_ > 0; }
  // The vnet header followed by the packet, ready for the TUN device;
  // closes the super-packet. Only valid while open(). A single segment goes
  // as it is, marked kDataValid (ESP authenticated it).
  ByteView Take();

 private:
  std::vector<uint8_t> buf_;  // VnetHdr::kSize + super-packet
  size_t len_ = 0;            // packet bytes after the vnet header
  size_t segments_ = 0;
  size_t ip_len_ = 0, hdr_len_ = 0, mss_ = 0;
  uint32_t next_seq_ = 0;
  bool v4_ = false;
  bool closed_ = false;  // a short or PSH segment ended it
};

// Decodes one read() from the TUN device: with `vnet_hdr` the buffer starts
// with a VnetHdr (bytes from the kernel, checked like any other input). A
// TCP GSO packet is cut into segments of gso_size payload bytes
// (SegmentTcp); any other packet is passed on whole, its partial checksum
// (NEEDS_CSUM) completed in place. Each resulting IP packet gets a buffer
// from `alloc(len)` (nullptr: no room, stop) and goes to `emit(buffer, len)`.
// Returns the number of packets emitted; 0 means the read was malformed
// (short, unknown GSO type, bad checksum offsets, not TCP for TSO) or did
// not fit.
template <typename Alloc, typename Emit>
size_t SplitTunRead(uint8_t* data, size_t len, bool vnet_hdr, Alloc&& alloc, Emit&& emit);

// UDP GSO: datagrams to one destination that may go out in one sendmsg with
// a UDP_SEGMENT control message. The kernel's rules: every datagram but the
// last has exactly the segment size, the last may be shorter, at most
// UDP_MAX_SEGMENTS datagrams (64 on older kernels) and at most 64 KiB of
// UDP payload in all (IPv4 total length).
class UdpGsoRun {
 public:
  static constexpr size_t kMaxSegments = 64;
  static constexpr size_t kMaxBytes = 65535 - 20 - 8;  // IPv4 total length - IP - UDP

  void Start(size_t len) {
    segment_size_ = len;
    bytes_ = len;
    segments_ = 1;
    closed_ = false;
  }
  // Whether a datagram of `len` bytes may follow in the same send.
  bool Accepts(size_t len) const {
    return segments_ > 0 && !closed_ && len > 0 && len <= segment_size_ &&
           segments_ < kMaxSegments && bytes_ + len <= kMaxBytes;
  }
  void Add(size_t len) {
    bytes_ += len;
    ++segments_;
    if (len < segment_size_) closed_ = true;  // a short one must be the last
  }
  size_t segments() const { return segments_; }
  size_t segment_size() const { return segment_size_; }
  size_t bytes() const { return bytes_; }

 private:
  size_t segment_size_ = 0;
  size_t segments_ = 0;
  size_t bytes_ = 0;
  bool closed_ = false;
};

// UDP GRO: one receive of `len` bytes holds datagrams of `segment_size`
// bytes back to back (the last may be shorter), segment_size from the
// UDP_GRO control message; 0 (no control message) means one datagram.
// Calls fn(offset, datagram_len) for each; returns how many.
template <typename Fn>
size_t SplitUdpGro(size_t len, size_t segment_size, Fn&& fn) {
  if (len == 0) return 0;
  if (segment_size == 0 || segment_size >= len) {
    fn(size_t{0}, len);
    return 1;
  }
  size_t n = 0;
  for (size_t off = 0; off < len; off += segment_size, ++n) {
    fn(off, len - off < segment_size ? len - off : segment_size);
  }
  return n;
}

// Implementation details.
size_t TcpSegmentHeaders(const uint8_t* pkt, size_t len, bool& v4);
void FixTcpSegment(uint8_t* seg, size_t seg_len, size_t ip_len, bool v4, uint32_t seq,
                   uint16_t ip_id, bool first, bool last);

template <typename Alloc, typename Emit>
size_t SegmentTcp(const uint8_t* pkt, size_t len, uint16_t mss, Alloc&& alloc, Emit&& emit) {
  bool v4 = false;
  const size_t hdrs = TcpSegmentHeaders(pkt, len, v4);
  if (hdrs == 0 || mss == 0) return 0;
  const size_t ip_len = v4 ? size_t{pkt[0] & 0x0fu} * 4 : esp::kIpv6HeaderLen;
  const size_t payload = len - hdrs;
  uint32_t seq0;
  std::memcpy(&seq0, pkt + ip_len + 4, 4);
  seq0 = __builtin_bswap32(seq0);
  const uint16_t id0 = v4 ? static_cast<uint16_t>((pkt[4] << 8) | pkt[5]) : 0;
  size_t count = 0;
  for (size_t off = 0; off < payload || (payload == 0 && count == 0); off += mss) {
    const size_t chunk = payload - off < mss ? payload - off : mss;
    const size_t seg_len = hdrs + chunk;
    uint8_t* seg = alloc(seg_len);
    if (seg == nullptr) return count;
    std::memcpy(seg, pkt, hdrs);
    std::memcpy(seg + hdrs, pkt + hdrs + off, chunk);
    FixTcpSegment(seg, seg_len, ip_len, v4, seq0 + static_cast<uint32_t>(off),
                  static_cast<uint16_t>(id0 + count), count == 0, off + chunk >= payload);
    emit(seg, seg_len);
    ++count;
    if (payload == 0) break;
  }
  return count;
}

template <typename Alloc, typename Emit>
size_t SplitTunRead(uint8_t* data, size_t len, bool vnet_hdr, Alloc&& alloc, Emit&& emit) {
  VnetHdr h;
  if (vnet_hdr) {
    if (len < VnetHdr::kSize) return 0;
    h = VnetHdr::Parse(data);
    data += VnetHdr::kSize;
    len -= VnetHdr::kSize;
  }
  if (len == 0) return 0;
  switch (h.gso()) {
    case VnetHdr::kGsoNone:
      break;
    case VnetHdr::kGsoTcpV4:
    case VnetHdr::kGsoTcpV6: {
      // The header's IP version must match the packet's.
      const uint8_t version = data[0] >> 4;
      if (version != (h.gso() == VnetHdr::kGsoTcpV4 ? 4 : 6)) return 0;
      uint8_t* seg_buf = nullptr;
      return SegmentTcp(
          data, len, h.gso_size,
          [&](size_t seg_len) -> uint8_t* { return seg_buf = alloc(seg_len); },
          [&](uint8_t*, size_t seg_len) { emit(seg_buf, seg_len); });
    }
    default:
      return 0;  // UFO/USO were not requested
  }
  if ((h.flags & VnetHdr::kNeedsCsum) != 0 &&
      !FinishChecksum(data, len, h.csum_start, h.csum_offset)) {
    return 0;
  }
  uint8_t* buf = alloc(len);
  if (buf == nullptr) return 0;
  std::memcpy(buf, data, len);
  emit(buf, len);
  return 1;
}

}  // namespace ike::xfrm
