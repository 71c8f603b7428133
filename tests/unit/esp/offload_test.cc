// The offload decoders of the userspace data path: one TUN read with a
// virtio_net_hdr (TSO super-packet or partial checksum), the UDP GSO batching
// rules and the UDP GRO split.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "libike/common/bytes.h"
#include "xfrm/userspace/gso.h"

namespace ike::xfrm {
namespace {

constexpr uint8_t kFin = 0x01, kSyn = 0x02, kPsh = 0x08, kAck = 0x10, kCwr = 0x80;

// A TCP packet as the stack hands it to a TSO device: one IP/TCP header, up
// to 64 KiB of payload, IP length of the whole, checksum field holding the
// pseudo-header sum (NEEDS_CSUM).
Bytes SuperPacket(bool v6, size_t payload_len, uint8_t flags) {
  const size_t ip = v6 ? 40 : 20;
  const size_t tcp = 32;  // with 12 bytes of options (NOP NOP timestamp)
  Bytes p(ip + tcp + payload_len);
  auto src = v6 ? *IpAddress::Parse("2001:db8:1::1") : *IpAddress::Parse("192.0.2.1");
  auto dst = v6 ? *IpAddress::Parse("2001:db8:2::1") : *IpAddress::Parse("203.0.113.1");
  esp::WriteIpHeader(p.data(), src, dst, esp::kProtoTcp, tcp + payload_len);
  if (!v6) {
    p[4] = 0xff, p[5] = 0xf0;  // IP id close to wrapping
    p[6] = 0x40;               // DF
  }
  uint8_t* t = p.data() + ip;
  t[0] = 0xc3, t[1] = 0x50, t[2] = 0x14, t[3] = 0x51;  // ports 50000 -> 5201
  t[4] = 0x7f, t[5] = 0xff, t[6] = 0xff, t[7] = 0xf0;  // seq
  t[8] = 0x01, t[9] = 0x02, t[10] = 0x03, t[11] = 0x04;  // ack
  t[12] = 0x80;                                          // 8 words
  t[13] = flags;
  t[14] = 0x01, t[15] = 0xf5;  // window
  t[20] = 1, t[21] = 1, t[22] = 8, t[23] = 10;  // NOP NOP TS
  for (int i = 0; i < 8; ++i) t[24 + i] = static_cast<uint8_t>(0xa0 + i);
  for (size_t i = 0; i < payload_len; ++i) p[ip + tcp + i] = static_cast<uint8_t>(i * 7 + i / 251);
  uint64_t pseudo = v6 ? ChecksumAdd(0, p.data() + 8, 32) : ChecksumAdd(0, p.data() + 12, 8);
  const uint16_t partial = ChecksumFold(pseudo + esp::kProtoTcp + tcp + payload_len);
  t[16] = static_cast<uint8_t>(partial >> 8);
  t[17] = static_cast<uint8_t>(partial);
  return p;
}

Bytes WithVnet(const Bytes& pkt, uint8_t flags, uint8_t gso_type, uint16_t hdr_len,
               uint16_t gso_size, uint16_t csum_start, uint16_t csum_offset) {
  Bytes out(VnetHdr::kSize);
  out[0] = flags;
  out[1] = gso_type;
  std::memcpy(out.data() + 2, &hdr_len, 2);  // host order, as the TUN device writes it
  std::memcpy(out.data() + 4, &gso_size, 2);
  std::memcpy(out.data() + 6, &csum_start, 2);
  std::memcpy(out.data() + 8, &csum_offset, 2);
  out.insert(out.end(), pkt.begin(), pkt.end());
  return out;
}

bool TcpChecksumOk(const Bytes& seg, bool v6) {
  const size_t ip = v6 ? 40 : 20;
  uint64_t sum = v6 ? ChecksumAdd(0, seg.data() + 8, 32) : ChecksumAdd(0, seg.data() + 12, 8);
  sum += esp::kProtoTcp + (seg.size() - ip);
  return ChecksumFold(ChecksumAdd(sum, seg.data() + ip, seg.size() - ip)) == 0xffff;
}

uint32_t Seq(const Bytes& p, size_t ip) {
  return (uint32_t{p[ip + 4]} << 24) | (uint32_t{p[ip + 5]} << 16) | (uint32_t{p[ip + 6]} << 8) |
         p[ip + 7];
}

// Runs SplitTunRead the way the data plane does: one buffer per packet.
struct Collected {
  size_t returned = 0;
  std::vector<Bytes> packets;
};
Collected Split(Bytes read, bool vnet, size_t max_len = 65535) {
  Collected c;
  Bytes scratch(70000);
  c.returned = SplitTunRead(
      read.data(), read.size(), vnet,
      [&](size_t len) -> uint8_t* { return len <= max_len ? scratch.data() : nullptr; },
      [&](uint8_t* p, size_t len) { c.packets.emplace_back(p, p + len); });
  return c;
}

class TunReadTest : public ::testing::TestWithParam<bool> {};

// RFC 793/9293 segmentation of a 64 KiB TSO write as a NIC would do it.
TEST_P(TunReadTest, TsoSuperPacketOf64KiBBecomesMssSegments) {
  const bool v6 = GetParam();
  const size_t ip = v6 ? 40 : 20, hdrs = ip + 32;
  const size_t payload = 65535 - hdrs;  // the largest an IP length allows
  const uint16_t mss = v6 ? 1328 : 1348;  // MTU 1400 minus headers and options
  Bytes super = SuperPacket(v6, payload, kAck | kPsh | kFin | kCwr);
  Collected c = Split(WithVnet(super, VnetHdr::kNeedsCsum,
                               (v6 ? VnetHdr::kGsoTcpV6 : VnetHdr::kGsoTcpV4) | VnetHdr::kGsoEcn,
                               static_cast<uint16_t>(hdrs), mss, static_cast<uint16_t>(ip), 16),
                      true);
  const size_t expected = (payload + mss - 1) / mss;
  ASSERT_EQ(c.returned, expected);
  ASSERT_EQ(c.packets.size(), expected);
  Bytes joined;
  for (size_t i = 0; i < c.packets.size(); ++i) {
    const Bytes& s = c.packets[i];
    const bool last = i + 1 == c.packets.size();
    const size_t want = last ? payload - mss * (expected - 1) : mss;
    ASSERT_EQ(s.size(), hdrs + want) << i;
    auto info = esp::ParseIpPacket(s);
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->total_len, s.size());
    if (!v6) {
      EXPECT_EQ(esp::Ipv4HeaderChecksum(s.data(), 20), 0) << i;
      EXPECT_EQ(static_cast<uint16_t>((s[4] << 8) | s[5]), static_cast<uint16_t>(0xfff0 + i))
          << "IP ids count up from the super-packet's, wrapping";
      EXPECT_EQ(s[6], 0x40) << "DF kept";
    }
    EXPECT_TRUE(TcpChecksumOk(s, v6)) << i;
    EXPECT_EQ(Seq(s, ip), 0x7ffffff0u + static_cast<uint32_t>(mss * i));
    EXPECT_EQ(std::memcmp(s.data() + ip + 8, super.data() + ip + 8, 4), 0) << "ack";
    EXPECT_EQ(std::memcmp(s.data() + ip + 20, super.data() + ip + 20, 12), 0) << "options";
    const uint8_t f = s[ip + 13];
    EXPECT_EQ((f & kAck) != 0, true);
    EXPECT_EQ((f & (kPsh | kFin)) != 0, last) << "PSH/FIN only on the last segment, " << i;
    EXPECT_EQ((f & kCwr) != 0, i == 0) << "CWR only on the first";
    joined.insert(joined.end(), s.begin() + static_cast<long>(hdrs), s.end());
  }
  EXPECT_EQ(joined, Bytes(super.begin() + static_cast<long>(hdrs), super.end()));
}

TEST_P(TunReadTest, PartialChecksumIsCompleted) {
  const bool v6 = GetParam();
  const size_t ip = v6 ? 40 : 20;
  Bytes p = SuperPacket(v6, 999, kAck | kPsh);
  Collected c = Split(WithVnet(p, VnetHdr::kNeedsCsum, VnetHdr::kGsoNone, 0, 0,
                               static_cast<uint16_t>(ip), 16),
                      true);
  ASSERT_EQ(c.returned, 1u);
  ASSERT_EQ(c.packets.size(), 1u);
  EXPECT_TRUE(TcpChecksumOk(c.packets[0], v6));
  EXPECT_EQ(c.packets[0].size(), p.size());
}

TEST_P(TunReadTest, CompletePacketPassesUnchanged) {
  const bool v6 = GetParam();
  Bytes p = SuperPacket(v6, 100, kAck);
  Collected with_hdr = Split(WithVnet(p, 0, VnetHdr::kGsoNone, 0, 0, 0, 0), true);
  ASSERT_EQ(with_hdr.packets.size(), 1u);
  EXPECT_EQ(with_hdr.packets[0], p);
  Collected without = Split(p, false);
  ASSERT_EQ(without.packets.size(), 1u);
  EXPECT_EQ(without.packets[0], p);
}

TEST_P(TunReadTest, SmallTsoPacketIsOneSegment) {
  const bool v6 = GetParam();
  const size_t ip = v6 ? 40 : 20;
  Bytes p = SuperPacket(v6, 500, kAck | kPsh);
  Collected c = Split(WithVnet(p, VnetHdr::kNeedsCsum, v6 ? VnetHdr::kGsoTcpV6 : VnetHdr::kGsoTcpV4,
                               static_cast<uint16_t>(ip + 32), 1000, static_cast<uint16_t>(ip), 16),
                      true);
  ASSERT_EQ(c.packets.size(), 1u);
  EXPECT_TRUE(TcpChecksumOk(c.packets[0], v6));
  EXPECT_NE(c.packets[0][ip + 13] & kPsh, 0);
}

INSTANTIATE_TEST_SUITE_P(Families, TunReadTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Ipv6" : "Ipv4"; });

TEST(TunRead, RejectsMalformedReads) {
  Bytes p4 = SuperPacket(false, 3000, kAck);
  Bytes p6 = SuperPacket(true, 3000, kAck);
  // Shorter than the virtio_net_hdr, or nothing after it.
  EXPECT_EQ(Split(Bytes(5, 0), true).returned, 0u);
  EXPECT_EQ(Split(Bytes(VnetHdr::kSize, 0), true).returned, 0u);
  // The GSO type says IPv6 but the packet is IPv4 (and the reverse).
  EXPECT_EQ(Split(WithVnet(p4, 0, VnetHdr::kGsoTcpV6, 52, 1000, 20, 16), true).returned, 0u);
  EXPECT_EQ(Split(WithVnet(p6, 0, VnetHdr::kGsoTcpV4, 72, 1000, 40, 16), true).returned, 0u);
  // UFO / USO were never requested.
  EXPECT_EQ(Split(WithVnet(p4, 0, 3, 28, 1000, 20, 6), true).returned, 0u);
  EXPECT_EQ(Split(WithVnet(p4, 0, 5, 28, 1000, 20, 6), true).returned, 0u);
  // TSO without a segment size, or of a packet that is not TCP.
  EXPECT_EQ(Split(WithVnet(p4, 0, VnetHdr::kGsoTcpV4, 52, 0, 20, 16), true).returned, 0u);
  Bytes udp = p4;
  udp[9] = esp::kProtoUdp;
  EXPECT_EQ(Split(WithVnet(udp, 0, VnetHdr::kGsoTcpV4, 52, 1000, 20, 16), true).returned, 0u);
  // A checksum position outside the packet.
  EXPECT_EQ(Split(WithVnet(p4, VnetHdr::kNeedsCsum, 0, 0, 0, 65000, 16), true).returned, 0u);
  EXPECT_EQ(Split(WithVnet(p4, VnetHdr::kNeedsCsum, 0, 0, 0, 20, 65535), true).returned, 0u);
  // The IP length disagrees with the read.
  Bytes truncated = WithVnet(p4, 0, VnetHdr::kGsoTcpV4, 52, 1000, 20, 16);
  truncated.resize(truncated.size() - 1);
  EXPECT_EQ(Split(truncated, true).returned, 0u);
  // No buffer for it.
  EXPECT_EQ(Split(p4, false, 100).returned, 0u);
}

TEST(TunRead, SynIsNeverSegmentedIntoSeveral) {
  // A SYN carries no payload: one segment, flags intact.
  Bytes syn = SuperPacket(false, 0, kSyn);
  Collected c = Split(WithVnet(syn, 0, VnetHdr::kGsoTcpV4, 52, 1000, 20, 16), true);
  ASSERT_EQ(c.packets.size(), 1u);
  EXPECT_EQ(c.packets[0][20 + 13], kSyn);
  EXPECT_TRUE(TcpChecksumOk(c.packets[0], false));
}

// UDP_SEGMENT: all datagrams but the last exactly the segment size.
TEST(UdpGsoRun, FollowsTheKernelRules) {
  UdpGsoRun run;
  EXPECT_FALSE(run.Accepts(100)) << "nothing started";
  run.Start(1436);
  EXPECT_TRUE(run.Accepts(1436));
  EXPECT_FALSE(run.Accepts(1437)) << "larger than the segment size";
  EXPECT_FALSE(run.Accepts(0));
  run.Add(1436);
  EXPECT_TRUE(run.Accepts(700));
  run.Add(700);
  EXPECT_EQ(run.segments(), 3u);
  EXPECT_EQ(run.bytes(), 1436u * 2 + 700);
  EXPECT_FALSE(run.Accepts(700)) << "a short datagram ends the run";
  EXPECT_FALSE(run.Accepts(1436));

  // At most 64 KiB of payload: 45 datagrams of 1436 bytes fit, the 46th not.
  run.Start(1436);
  while (run.Accepts(1436)) run.Add(1436);
  EXPECT_EQ(run.segments(), UdpGsoRun::kMaxBytes / 1436);
  EXPECT_LE(run.bytes(), UdpGsoRun::kMaxBytes);

  // At most kMaxSegments datagrams, however small.
  run.Start(64);
  while (run.Accepts(64)) run.Add(64);
  EXPECT_EQ(run.segments(), UdpGsoRun::kMaxSegments);
}

std::vector<std::pair<size_t, size_t>> GroSplit(size_t len, size_t size) {
  std::vector<std::pair<size_t, size_t>> out;
  const size_t n = SplitUdpGro(len, size, [&](size_t off, size_t l) { out.emplace_back(off, l); });
  EXPECT_EQ(n, out.size());
  return out;
}

TEST(UdpGro, SplitsByTheSegmentSize) {
  using V = std::vector<std::pair<size_t, size_t>>;
  EXPECT_EQ(GroSplit(4308, 1436), (V{{0, 1436}, {1436, 1436}, {2872, 1436}}));
  EXPECT_EQ(GroSplit(3000, 1436), (V{{0, 1436}, {1436, 1436}, {2872, 128}})) << "short last";
  EXPECT_EQ(GroSplit(1436, 0), (V{{0, 1436}})) << "no UDP_GRO message: one datagram";
  EXPECT_EQ(GroSplit(1000, 1436), (V{{0, 1000}})) << "segment size above the length";
  EXPECT_EQ(GroSplit(1436, 1436), (V{{0, 1436}}));
  EXPECT_EQ(GroSplit(0, 1436), V{});
  EXPECT_EQ(GroSplit(5, 1).size(), 5u);
  // The largest coalesced receive: every byte lands in exactly one datagram.
  size_t covered = 0;
  for (auto [off, l] : GroSplit(65507, 1436)) {
    EXPECT_EQ(off, covered);
    EXPECT_LE(l, 1436u);
    covered += l;
  }
  EXPECT_EQ(covered, 65507u);
}

// The GSO path end to end in memory: a TSO write, segmented, coalesced
// again as the receiving side's GRO does, gives back the same stream.
TEST(Offload, TsoThenGroRoundTrip) {
  for (bool v6 : {false, true}) {
    const size_t ip = v6 ? 40 : 20;
    Bytes super = SuperPacket(v6, 20000, kAck | kPsh);
    Collected c = Split(WithVnet(super, VnetHdr::kNeedsCsum, v6 ? VnetHdr::kGsoTcpV6 : VnetHdr::kGsoTcpV4,
                                 static_cast<uint16_t>(ip + 32), 1300, static_cast<uint16_t>(ip), 16),
                        true);
    ASSERT_EQ(c.packets.size(), 16u);
    TcpCoalescer gro;
    for (const Bytes& s : c.packets) ASSERT_TRUE(gro.Add(s.data(), s.size()));
    ByteView out = gro.Take();
    Bytes pkt(out.begin() + VnetHdr::kSize, out.end());
    ASSERT_EQ(pkt.size(), super.size());
    EXPECT_EQ(Bytes(pkt.begin() + static_cast<long>(ip + 32), pkt.end()),
              Bytes(super.begin() + static_cast<long>(ip + 32), super.end()));
    VnetHdr h = VnetHdr::Parse(out.data());
    EXPECT_EQ(h.gso_size, 1300);
    ASSERT_TRUE(FinishChecksum(pkt.data(), pkt.size(), h.csum_start, h.csum_offset));
    EXPECT_TRUE(TcpChecksumOk(pkt, v6));
  }
}

}  // namespace
}  // namespace ike::xfrm

namespace ike::xfrm {
namespace {

// The word-at-a-time checksum against RFC 1071's definition, at every
// length and alignment.
TEST(Checksum, MatchesTheRfc1071Definition) {
  Bytes data(200);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 97 + 13 + i / 7);
  for (size_t off = 0; off < 8; ++off) {
    for (size_t len = 0; off + len <= data.size(); ++len) {
      uint64_t ref = 0;
      for (size_t i = 0; i < len; i += 2) {
        ref += static_cast<uint64_t>(data[off + i]) << 8;
        if (i + 1 < len) ref += data[off + i + 1];
      }
      ASSERT_EQ(ChecksumFold(ChecksumAdd(0, data.data() + off, len)), ChecksumFold(ref))
          << off << " " << len;
    }
  }
  Bytes ones(64, 0xff);
  EXPECT_EQ(ChecksumFold(ChecksumAdd(0, ones.data(), ones.size())), 0xffff);
  Bytes zeros(64, 0);
  EXPECT_EQ(ChecksumFold(ChecksumAdd(0, zeros.data(), zeros.size())), 0);
}

}  // namespace
}  // namespace ike::xfrm
