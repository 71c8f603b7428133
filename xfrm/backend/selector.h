// Converting IKE traffic selectors (address and port *ranges*, RFC 7296
// section 3.13.1) into what the kernel's XFRM selectors can express
// (address prefixes and port/mask pairs). A range that is not a single
// prefix becomes several selectors; the caller installs one policy each.
#pragma once

#include <cstdint>
#include <vector>

#include "libike/common/ip_address.h"
#include "xfrm/backend/backend.h"

namespace ike::xfrm {

struct Prefix {
  IpAddress address;  // network address (host bits zero)
  uint8_t length = 0;
  friend bool operator==(const Prefix&, const Prefix&) = default;
};

struct PortMask {
  uint16_t port = 0;  // host order
  uint16_t mask = 0;  // 0: any port
  friend bool operator==(const PortMask&, const PortMask&) = default;
};

// The smallest list of prefixes that exactly covers [from, to], in ascending
// order. Empty when from > to or the families differ.
std::vector<Prefix> RangeToPrefixes(const IpAddress& from, const IpAddress& to);

// The smallest list of port/mask pairs covering [from, to]; {0, 0} for the
// full range 0-65535. Empty when from > to.
std::vector<PortMask> PortRangeToMasks(uint16_t from, uint16_t to);

// One IKE traffic selector pair side: address range, IP protocol, port range.
struct TsRange {
  IpAddress start, end;
  uint8_t proto = 0;
  uint16_t start_port = 0, end_port = 65535;
};

// The cross product of both sides' prefix/port splits: the kernel selectors
// that together match exactly the traffic from `src` to `dst`.
std::vector<Selector> SelectorsFor(const TsRange& src, const TsRange& dst);

}  // namespace ike::xfrm
