#include "tests/sim/pcap_writer.h"

#include <cstdio>

#include "libike/common/writer.h"

namespace ike::sim {

namespace {

void Le32(Bytes& b, uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void Le16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v));
  b.push_back(static_cast<uint8_t>(v >> 8));
}

uint16_t Checksum(const uint8_t* p, size_t n) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < n; i += 2) sum += uint32_t{p[i]} << 8 | p[i + 1];
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

Bytes Frame(const Packet& pkt) {
  Bytes f;
  Writer w(f);
  w.WriteBytes(Bytes{2, 0, 0, 0, 0, 2});  // dst MAC
  w.WriteBytes(Bytes{2, 0, 0, 0, 0, 1});  // src MAC
  w.WriteU16(0x0800);
  size_t ip = f.size();
  w.WriteU8(0x45);
  w.WriteU8(0);
  w.WriteU16(static_cast<uint16_t>(20 + 8 + pkt.bytes.size()));
  w.WriteU16(1);
  w.WriteU16(0x4000);
  w.WriteU8(64);
  w.WriteU8(17);
  w.WriteU16(0);
  w.WriteBytes(pkt.from.address.bytes());
  w.WriteBytes(pkt.to.address.bytes());
  w.PatchU16(ip + 10, Checksum(f.data() + ip, 20));
  w.WriteU16(pkt.from.port);
  w.WriteU16(pkt.to.port);
  w.WriteU16(static_cast<uint16_t>(8 + pkt.bytes.size()));
  w.WriteU16(0);
  w.WriteBytes(pkt.bytes);
  return f;
}

}  // namespace

Bytes ToPcap(const std::vector<Packet>& packets) {
  Bytes b;
  Le32(b, 0xa1b2c3d4);
  Le16(b, 2);
  Le16(b, 4);
  Le32(b, 0);
  Le32(b, 0);
  Le32(b, 65535);
  Le32(b, 1);  // Ethernet
  for (const Packet& p : packets) {
    if (!p.from.address.is_v4() || !p.to.address.is_v4()) continue;
    Bytes f = Frame(p);
    uint64_t ms = static_cast<uint64_t>(p.sent.count());
    Le32(b, static_cast<uint32_t>(1700000000 + ms / 1000));
    Le32(b, static_cast<uint32_t>((ms % 1000) * 1000));
    Le32(b, static_cast<uint32_t>(f.size()));
    Le32(b, static_cast<uint32_t>(f.size()));
    b.insert(b.end(), f.begin(), f.end());
  }
  return b;
}

bool WritePcap(const std::string& path, const std::vector<Packet>& packets) {
  Bytes b = ToPcap(packets);
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return false;
  bool ok = std::fwrite(b.data(), 1, b.size(), f) == b.size();
  return std::fclose(f) == 0 && ok;
}

}  // namespace ike::sim
