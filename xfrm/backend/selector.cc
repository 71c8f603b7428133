#include "xfrm/backend/selector.h"

namespace ike::xfrm {
namespace {

using U128 = unsigned __int128;

U128 ToInt(const IpAddress& a) {
  U128 v = 0;
  for (uint8_t b : a.bytes()) v = (v << 8) | b;
  return v;
}

IpAddress FromInt(U128 v, AddressFamily family) {
  if (family == AddressFamily::kIpv4) return IpAddress::V4(static_cast<uint32_t>(v));
  std::array<uint8_t, 16> bytes{};
  for (int i = 15; i >= 0; --i) {
    bytes[i] = static_cast<uint8_t>(v & 0xff);
    v >>= 8;
  }
  return IpAddress::V6(bytes);
}

// Splits [from, to] (both within `bits` bits) into aligned power-of-two
// blocks; calls emit(start, block_bits).
template <typename Emit>
void SplitRange(U128 from, U128 to, unsigned bits, Emit emit) {
  const U128 space_max = bits == 128 ? ~U128{0} : (U128{1} << bits) - 1;
  auto fits = [&](unsigned n) {  // does the 2^n block starting at `from` fit?
    if (n == 128) return from == 0 && to == space_max;
    U128 size = U128{1} << n;
    if ((from & (size - 1)) != 0) return false;
    return from + (size - 1) <= to;  // cannot overflow: from is size-aligned
  };
  while (from <= to) {
    unsigned k = 0;
    while (k < bits && fits(k + 1)) ++k;
    emit(from, k);
    U128 last = k == 128 ? space_max : from + ((U128{1} << k) - 1);
    if (last >= to) return;
    from = last + 1;
  }
}

}  // namespace

std::vector<Prefix> RangeToPrefixes(const IpAddress& from, const IpAddress& to) {
  std::vector<Prefix> out;
  if (from.family() != to.family()) return out;
  unsigned bits = from.is_v4() ? 32 : 128;
  U128 a = ToInt(from), b = ToInt(to);
  if (a > b) return out;
  SplitRange(a, b, bits, [&](U128 start, unsigned k) {
    out.push_back(Prefix{FromInt(start, from.family()), static_cast<uint8_t>(bits - k)});
  });
  return out;
}

std::vector<PortMask> PortRangeToMasks(uint16_t from, uint16_t to) {
  std::vector<PortMask> out;
  if (from > to) return out;
  SplitRange(from, to, 16, [&](U128 start, unsigned k) {
    uint16_t mask = static_cast<uint16_t>(0xffffu << k);
    if (k == 16) mask = 0;
    out.push_back(PortMask{static_cast<uint16_t>(start), mask});
  });
  return out;
}

std::vector<Selector> SelectorsFor(const TsRange& src, const TsRange& dst) {
  std::vector<Selector> out;
  auto src_prefixes = RangeToPrefixes(src.start, src.end);
  auto dst_prefixes = RangeToPrefixes(dst.start, dst.end);
  uint8_t proto = src.proto != 0 ? src.proto : dst.proto;
  auto src_ports = PortRangeToMasks(src.start_port, src.end_port);
  auto dst_ports = PortRangeToMasks(dst.start_port, dst.end_port);
  for (const auto& sp : src_prefixes) {
    for (const auto& dp : dst_prefixes) {
      for (const auto& spm : src_ports) {
        for (const auto& dpm : dst_ports) {
          Selector s;
          s.src = sp.address;
          s.src_prefix = sp.length;
          s.dst = dp.address;
          s.dst_prefix = dp.length;
          s.proto = proto;
          s.src_port = spm.port;
          s.src_port_mask = spm.mask;
          s.dst_port = dpm.port;
          s.dst_port_mask = dpm.mask;
          out.push_back(s);
        }
      }
    }
  }
  return out;
}

}  // namespace ike::xfrm
