// TSO segmentation and checksum completion for the TUN offload path.
#include "xfrm/userspace/gso.h"

#include <gtest/gtest.h>

#include <vector>

#include "libike/common/bytes.h"

namespace ike::xfrm {
namespace {

Bytes TcpPacket(bool v6, size_t payload_len, uint8_t flags) {
  const size_t ip = v6 ? 40 : 20;
  Bytes p(ip + 20 + payload_len);
  auto src = v6 ? *IpAddress::Parse("2001:db8:1::1") : *IpAddress::Parse("192.0.2.1");
  auto dst = v6 ? *IpAddress::Parse("2001:db8:2::1") : *IpAddress::Parse("203.0.113.1");
  esp::WriteIpHeader(p.data(), src, dst, esp::kProtoTcp, 20 + payload_len);
  if (!v6) p[4] = 0x12, p[5] = 0x34;  // IP id
  uint8_t* t = p.data() + ip;
  t[0] = 0x9c, t[1] = 0x40, t[2] = 0x13, t[3] = 0x89;  // ports
  t[4] = 0xff, t[5] = 0xff, t[6] = 0xff, t[7] = 0x00;  // seq near wrap
  t[12] = 0x50;
  t[13] = flags;
  for (size_t i = 0; i < payload_len; ++i) p[ip + 20 + i] = static_cast<uint8_t>(i * 13 + 1);
  return p;
}

// A segment's TCP checksum verifies when the full sum folds to 0xffff.
bool TcpChecksumOk(const uint8_t* seg, size_t len, bool v6) {
  const size_t ip = v6 ? 40 : 20;
  uint64_t sum = v6 ? ChecksumAdd(0, seg + 8, 32) : ChecksumAdd(0, seg + 12, 8);
  sum += esp::kProtoTcp + (len - ip);
  return ChecksumFold(ChecksumAdd(sum, seg + ip, len - ip)) == 0xffff;
}

class GsoTest : public ::testing::TestWithParam<bool> {};

TEST_P(GsoTest, SegmentsSuperPacket) {
  const bool v6 = GetParam();
  const size_t ip = v6 ? 40 : 20;
  Bytes super = TcpPacket(v6, 5000, 0x19 | 0x80);  // FIN PSH ACK CWR
  std::vector<Bytes> segs;
  Bytes scratch(2000);
  size_t n = SegmentTcp(
      super.data(), super.size(), 1360, [&](size_t len) { return len <= 2000 ? scratch.data() : nullptr; },
      [&](uint8_t* seg, size_t len) { segs.emplace_back(seg, seg + len); });
  ASSERT_EQ(n, 4u);
  ASSERT_EQ(segs.size(), 4u);
  Bytes payload;
  for (size_t i = 0; i < segs.size(); ++i) {
    const Bytes& s = segs[i];
    auto info = esp::ParseIpPacket(s);
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->total_len, s.size());
    EXPECT_EQ(s.size(), ip + 20 + (i < 3 ? 1360u : 5000u - 3 * 1360));
    if (!v6) {
      EXPECT_EQ(esp::Ipv4HeaderChecksum(s.data(), 20), 0);
      EXPECT_EQ((s[4] << 8) | s[5], 0x1234 + static_cast<int>(i));
    }
    EXPECT_TRUE(TcpChecksumOk(s.data(), s.size(), v6)) << i;
    const uint32_t seq = (uint32_t{s[ip + 4]} << 24) | (s[ip + 5] << 16) | (s[ip + 6] << 8) | s[ip + 7];
    EXPECT_EQ(seq, static_cast<uint32_t>(0xffffff00u + 1360 * i));  // wraps past 2^32
    const uint8_t flags = s[ip + 13];
    EXPECT_EQ((flags & 0x09) != 0, i == 3) << "FIN/PSH only on the last segment";
    EXPECT_EQ((flags & 0x80) != 0, i == 0) << "CWR only on the first segment";
    EXPECT_EQ(flags & 0x10, 0x10);
    payload.insert(payload.end(), s.begin() + static_cast<long>(ip + 20), s.end());
  }
  EXPECT_EQ(payload, Bytes(super.begin() + static_cast<long>(ip + 20), super.end()));
}

TEST_P(GsoTest, FinishesPartialChecksum) {
  const bool v6 = GetParam();
  const size_t ip = v6 ? 40 : 20;
  Bytes p = TcpPacket(v6, 777, 0x18);
  // As the kernel leaves it: the pseudo-header sum in the checksum field.
  uint64_t pseudo = v6 ? ChecksumAdd(0, p.data() + 8, 32) : ChecksumAdd(0, p.data() + 12, 8);
  pseudo += esp::kProtoTcp + (p.size() - ip);
  const uint16_t partial = ChecksumFold(pseudo);
  p[ip + 16] = static_cast<uint8_t>(partial >> 8);
  p[ip + 17] = static_cast<uint8_t>(partial);
  ASSERT_TRUE(FinishChecksum(p.data(), p.size(), static_cast<uint16_t>(ip), 16));
  EXPECT_TRUE(TcpChecksumOk(p.data(), p.size(), v6));
  EXPECT_FALSE(FinishChecksum(p.data(), p.size(), static_cast<uint16_t>(p.size() - 10), 16));
}

INSTANTIATE_TEST_SUITE_P(Families, GsoTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Ipv6" : "Ipv4"; });

TEST(Gso, RejectsNonTcpAndMalformed) {
  Bytes udp(60);
  esp::WriteIpHeader(udp.data(), *IpAddress::Parse("192.0.2.1"), *IpAddress::Parse("192.0.2.2"),
                     esp::kProtoUdp, 40);
  auto never = [](size_t) -> uint8_t* { return nullptr; };
  auto ignore = [](uint8_t*, size_t) {};
  EXPECT_EQ(SegmentTcp(udp.data(), udp.size(), 1000, never, ignore), 0u);
  Bytes tcp = TcpPacket(false, 100, 0x10);
  tcp[20 + 12] = 0xf0;  // data offset beyond the packet
  EXPECT_EQ(SegmentTcp(tcp.data(), tcp.size(), 1000, never, ignore), 0u);
  EXPECT_EQ(SegmentTcp(tcp.data(), 10, 1000, never, ignore), 0u);
}

// Segments of a super-packet coalesce back into it: the GRO path undoes TSO.
TEST_P(GsoTest, CoalescerRebuildsSuperPacket) {
  const bool v6 = GetParam();
  const size_t ip = v6 ? 40 : 20;
  Bytes super = TcpPacket(v6, 4000, 0x18);  // ACK PSH
  std::vector<Bytes> segs;
  Bytes scratch(2000);
  SegmentTcp(super.data(), super.size(), 1000, [&](size_t) { return scratch.data(); },
             [&](uint8_t* seg, size_t len) { segs.emplace_back(seg, seg + len); });
  ASSERT_EQ(segs.size(), 4u);
  TcpCoalescer gro;
  for (const Bytes& s : segs) ASSERT_TRUE(gro.Add(s.data(), s.size()));
  // PSH on the last segment closed it.
  EXPECT_FALSE(gro.Add(segs[0].data(), segs[0].size()));
  ByteView out = gro.Take();
  ASSERT_EQ(out.size(), VnetHdr::kSize + super.size());
  VnetHdr h = VnetHdr::Parse(out.data());
  EXPECT_EQ(h.gso_type, v6 ? VnetHdr::kGsoTcpV6 : VnetHdr::kGsoTcpV4);
  EXPECT_EQ(h.gso_size, 1000);
  EXPECT_EQ(h.flags, VnetHdr::kNeedsCsum);
  EXPECT_EQ(h.csum_start, ip);
  EXPECT_EQ(h.hdr_len, ip + 20);
  Bytes pkt(out.begin() + VnetHdr::kSize, out.end());
  auto info = esp::ParseIpPacket(pkt);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->total_len, super.size());
  EXPECT_EQ(Bytes(pkt.begin() + static_cast<long>(ip + 20), pkt.end()),
            Bytes(super.begin() + static_cast<long>(ip + 20), super.end()));
  // Completing the partial checksum gives a valid TCP checksum.
  ASSERT_TRUE(FinishChecksum(pkt.data(), pkt.size(), h.csum_start, h.csum_offset));
  EXPECT_TRUE(TcpChecksumOk(pkt.data(), pkt.size(), v6));
  EXPECT_FALSE(gro.open());
}

TEST(Gso, CoalescerRefusesGapsOtherFlowsAndFlags) {
  Bytes super = TcpPacket(false, 3000, 0x10);
  std::vector<Bytes> segs;
  Bytes scratch(2000);
  SegmentTcp(super.data(), super.size(), 1000, [&](size_t) { return scratch.data(); },
             [&](uint8_t* seg, size_t len) { segs.emplace_back(seg, seg + len); });
  ASSERT_EQ(segs.size(), 3u);
  TcpCoalescer gro;
  ASSERT_TRUE(gro.Add(segs[0].data(), segs[0].size()));
  EXPECT_FALSE(gro.Add(segs[2].data(), segs[2].size())) << "sequence gap";
  Bytes other = segs[1];
  other[20 + 1] ^= 1;  // another source port
  EXPECT_FALSE(gro.Add(other.data(), other.size()));
  Bytes syn = segs[1];
  syn[20 + 13] |= 0x02;
  EXPECT_FALSE(gro.Add(syn.data(), syn.size()));
  EXPECT_TRUE(gro.Add(segs[1].data(), segs[1].size()));
  // A single segment comes out unchanged with an empty vnet header.
  TcpCoalescer one;
  ASSERT_TRUE(one.Add(segs[0].data(), segs[0].size()));
  ByteView out = one.Take();
  EXPECT_EQ(VnetHdr::Parse(out.data()).gso_type, VnetHdr::kGsoNone);
  EXPECT_EQ(Bytes(out.begin() + VnetHdr::kSize, out.end()), segs[0]);
  Bytes udp(60);
  esp::WriteIpHeader(udp.data(), *IpAddress::Parse("192.0.2.1"), *IpAddress::Parse("192.0.2.2"),
                     esp::kProtoUdp, 40);
  EXPECT_FALSE(one.Add(udp.data(), udp.size()));
}

}  // namespace
}  // namespace ike::xfrm
