// Why an ESP packet was dropped. Every drop path increments exactly one
// counter (DESIGN.md principle 8); none of them is an error for the SA.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace ike::esp {

enum class DropReason : uint8_t {
  kShort,          // shorter than header + IV + trailer + ICV
  kBadLength,      // ciphertext not a multiple of the cipher block
  kBadPadding,     // padding bytes not 1, 2, 3, ... or pad length too long
  kBadIcv,         // integrity check failed
  kUnknownSpi,     // no inbound SA for the SPI
  kReplayed,       // sequence number already seen in the window
  kOutsideWindow,  // sequence number left of the window
  kBadNextHeader,  // next header not allowed for the SA mode
  kBadInner,       // inner packet malformed (tunnel mode)
  kDummy,          // TFC dummy packet (next header 59): dropped by design
  kSeqOverflow,    // outbound: sequence number space exhausted
  kNoRoom,         // caller buffer lacks headroom/tailroom
  kPolicy,         // inner packet does not match the SA/policy selectors
  kNoPolicy,       // outbound packet with no matching policy (or a drop policy)
  kNoSa,           // outbound policy matched but no SA installed yet
  kCrypto,         // the crypto library failed
  kNotEsp,         // UDP 4500 datagram neither ESP nor IKE nor keepalive
  kCount,
};

const char* DropReasonName(DropReason reason);

// Plain counters: each data-plane worker owns its own set.
struct DropCounters {
  std::array<uint64_t, static_cast<size_t>(DropReason::kCount)> count{};
  void Inc(DropReason r) { ++count[static_cast<size_t>(r)]; }
  uint64_t operator[](DropReason r) const { return count[static_cast<size_t>(r)]; }
  uint64_t Total() const {
    uint64_t t = 0;
    for (uint64_t c : count) t += c;
    return t;
  }
  DropCounters& operator+=(const DropCounters& o) {
    for (size_t i = 0; i < count.size(); ++i) count[i] += o.count[i];
    return *this;
  }
};

}  // namespace ike::esp
