// Traffic selectors (RFC 7296 3.13.1) and narrowing (RFC 7296 2.9).
//
// A TrafficSelector is an address range, a port range and an IP protocol.
// Narrowing intersects what the peer proposed with what the local policy
// allows; the result is what the CHILD_SA will carry.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "libike/common/ike_types.h"
#include "libike/common/ip_address.h"
#include "xfrm/backend/backend.h"

namespace ike::engine {

struct TrafficSelector {
  uint8_t ip_proto = 0;  // 0 = any
  uint16_t start_port = 0;
  uint16_t end_port = 65535;
  IpAddress start;
  IpAddress end;

  TsType type() const {
    return start.is_v4() ? TsType::kIpv4AddrRange : TsType::kIpv6AddrRange;
  }
  AddressFamily family() const { return start.family(); }

  // The whole address space of a family, any protocol, any port.
  static TrafficSelector Any(AddressFamily family);
  // A CIDR prefix, e.g. FromPrefix(10.1.0.0, 16).
  static TrafficSelector FromPrefix(const IpAddress& net, unsigned prefix_len,
                                    uint8_t ip_proto = 0, uint16_t port_lo = 0,
                                    uint16_t port_hi = 65535);
  // One host address.
  static TrafficSelector Host(const IpAddress& addr);
  // "10.1.0.0/16" or "2001:db8::/32" or "192.0.2.1"; nullopt if malformed.
  static std::optional<TrafficSelector> Parse(const std::string& cidr);

  // Well-formed: same family at both ends, start <= end, ports ordered.
  bool Valid() const;
  bool Contains(const TrafficSelector& other) const;
  // True if the range is one exact prefix (what the kernel can express).
  std::optional<unsigned> PrefixLength() const;
  std::string ToString() const;
  friend bool operator==(const TrafficSelector&, const TrafficSelector&) = default;
};

using TsList = std::vector<TrafficSelector>;

// The intersection of two selectors, or nullopt when they do not overlap.
// ICMP "ports" (type/code, RFC 4301) intersect like ports.
std::optional<TrafficSelector> Intersect(const TrafficSelector& a, const TrafficSelector& b);

// RFC 7296 2.9 narrowing on the responder: every received selector
// intersected with every configured one, in the received order, duplicates
// removed. Empty when nothing overlaps (the caller answers TS_UNACCEPTABLE).
TsList Narrow(const TsList& received, const TsList& configured);

// On the initiator: does every selector in `narrowed` (from the response) lie
// within one of `proposed`? A responder must only narrow, never widen.
bool IsSubsetOf(const TsList& narrowed, const TsList& proposed);

// Substitutes a dynamic selector (configured as "%dynamic", represented by a
// selector of an unspecified address) with the host address of the peer.
TsList ResolveDynamic(const TsList& configured, const IpAddress& host);

// Splits an address range into the minimal list of CIDR prefixes (the kernel
// matches prefixes, IKE negotiates ranges).
std::vector<std::pair<IpAddress, unsigned>> RangeToPrefixes(const IpAddress& start,
                                                           const IpAddress& end);

// Kernel selectors for traffic from `src` to `dst` (the cross product of the
// prefixes each range splits into); ports are carried when expressible as a
// single port or any.
std::vector<xfrm::Selector> ToXfrmSelectors(const TrafficSelector& src,
                                            const TrafficSelector& dst);

}  // namespace ike::engine
