// Fuzzes the offload decoders of the userspace data path (xfrm/userspace/
// gso.h): what one read() from an IFF_VNET_HDR TUN device returns (the
// virtio_net_hdr, TSO segmentation, partial checksum completion), the GRO
// coalescer fed with the result, and the split of a UDP GRO receive into
// ESP-in-UDP datagrams (RFC 3948 demultiplexing of each).
// Input: byte 0 picks the decoder.
//   0: the rest is one TUN read (virtio_net_hdr + packet); every segment
//      goes to the TCP coalescer.
//   1: bytes 1-2 are the UDP_GRO segment size, the rest the receive.
// Invariants are checked with __builtin_trap: segments are complete IP
// packets of at most the read's size, the coalesced packet is a valid
// IP packet no larger than 64 KiB, the GRO split covers the receive exactly.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "xfrm/esp/ip_packet.h"
#include "xfrm/esp/udp_encap.h"
#include "xfrm/userspace/gso.h"

namespace {

using namespace ike;

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

void FuzzTunRead(const uint8_t* data, size_t size) {
  std::vector<uint8_t> read(data, data + size);  // SplitTunRead writes checksums in place
  std::vector<uint8_t> seg(65536 + 64);
  static xfrm::TcpCoalescer gro;  // allocated once: 64 KiB
  size_t emitted = 0;
  auto take = [&] {
    ByteView out = gro.Take();
    Check(out.size() >= xfrm::VnetHdr::kSize && out.size() <= xfrm::VnetHdr::kSize + 65535);
    auto info = esp::ParseIpPacket(out.subspan(xfrm::VnetHdr::kSize));
    Check(info.has_value() && info->total_len == out.size() - xfrm::VnetHdr::kSize);
  };
  const size_t n = xfrm::SplitTunRead(
      read.data(), read.size(), true,
      [&](size_t len) -> uint8_t* { return len <= seg.size() ? seg.data() : nullptr; },
      [&](uint8_t* p, size_t len) {
        ++emitted;
        Check(p == seg.data() && len <= size);
        if (gro.Add(p, len)) return;
        if (gro.open()) {
          take();
          (void)gro.Add(p, len);
        }
      });
  Check(n == emitted);
  if (gro.open()) take();
}

void FuzzGroSplit(const uint8_t* data, size_t size) {
  if (size < 3) return;
  const size_t segment = static_cast<size_t>(data[1]) << 8 | data[2];
  ByteView receive(data + 3, size - 3);
  size_t covered = 0;
  const size_t n = xfrm::SplitUdpGro(receive.size(), segment, [&](size_t off, size_t len) {
    Check(off == covered && len > 0 && off + len <= receive.size());
    Check(segment == 0 || segment >= receive.size() || len <= segment);
    covered += len;
    (void)esp::ClassifyUdp4500(receive.subspan(off, len));
  });
  Check(covered == receive.size());
  Check(receive.empty() ? n == 0 : n >= 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  if (data[0] % 2 == 0) {
    FuzzTunRead(data + 1, size - 1);
  } else {
    FuzzGroSplit(data, size);
  }
  return 0;
}
