// Traffic Selector payloads TSi/TSr (RFC 7296 3.13).
#pragma once

#include <cstdint>
#include <vector>

#include "libike/common/bytes.h"
#include "libike/common/ike_types.h"
#include "libike/common/ip_address.h"
#include "libike/common/result.h"
#include "libike/common/writer.h"
#include "libike/wire/decode_error.h"

namespace ike::wire {

// Traffic Selector (RFC 7296 3.13.1).
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |   TS Type     |IP Protocol ID*|       Selector Length         |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |           Start Port*         |           End Port*           |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                         Starting Address*                     ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                         Ending Address*                       ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// TS_IPV4_ADDR_RANGE (7): length 16, 4-octet addresses.
// TS_IPV6_ADDR_RANGE (8): length 40, 16-octet addresses.
// Other TS types are kInvalidSyntax. The type follows start_address's family;
// start and end must be of the same family (the decoder guarantees it).
// Ports are not checked for start <= end (that is policy, not syntax).
struct TrafficSelector {
  uint8_t ip_protocol = 0;  // 0 = any
  uint16_t start_port = 0;
  uint16_t end_port = 65535;
  IpAddress start_address;
  IpAddress end_address;

  TsType type() const {
    return start_address.is_v4() ? TsType::kIpv4AddrRange : TsType::kIpv6AddrRange;
  }
  // Every address of the family, every protocol and port.
  static TrafficSelector Any(AddressFamily family);
  static TrafficSelector Range(const IpAddress& start, const IpAddress& end,
                               uint8_t ip_protocol = 0, uint16_t start_port = 0,
                               uint16_t end_port = 65535) {
    return {ip_protocol, start_port, end_port, start, end};
  }
  friend bool operator==(const TrafficSelector&, const TrafficSelector&) = default;
};

// Traffic Selector payload, TSi (44) or TSr (45) (RFC 7296 3.13).
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Next Payload  |C|  RESERVED   |         Payload Length        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Number of TSs |                 RESERVED                      |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                       <Traffic Selectors>                     ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// Number of TSs must be >= 1 and match the selectors present exactly.
// role: kInitiator = TSi, kResponder = TSr.
inline constexpr size_t kMaxTrafficSelectors = 255;
struct TsPayload {
  Role role = Role::kInitiator;
  std::vector<TrafficSelector> selectors;
  friend bool operator==(const TsPayload&, const TsPayload&) = default;
};

Result<TsPayload, DecodeError> DecodeTsBody(Role role, ByteView body);
void EncodeBody(const TsPayload& ts, Writer& w);

}  // namespace ike::wire
