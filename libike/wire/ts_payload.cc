#include "libike/wire/ts_payload.h"

#include <array>
#include <string>

#include "libike/common/reader.h"
#include "libike/wire/codec_util.h"

namespace ike::wire {

using internal::Fail;

namespace {

constexpr uint16_t kIpv4SelectorSize = 16;
constexpr uint16_t kIpv6SelectorSize = 40;

Result<TrafficSelector, DecodeError> DecodeSelector(Reader& r) {
  uint8_t type = 0, protocol = 0;
  uint16_t length = 0;
  if (!r.ReadU8(type) || !r.ReadU8(protocol) || !r.ReadU16(length)) {
    return Fail(DecodeErrorCode::kBadLength, "traffic selector header past payload end");
  }
  size_t addr_size = 0;
  if (type == static_cast<uint8_t>(TsType::kIpv4AddrRange)) {
    addr_size = 4;
    if (length != kIpv4SelectorSize) {
      return Fail(DecodeErrorCode::kBadLength, "TS_IPV4_ADDR_RANGE length not 16");
    }
  } else if (type == static_cast<uint8_t>(TsType::kIpv6AddrRange)) {
    addr_size = 16;
    if (length != kIpv6SelectorSize) {
      return Fail(DecodeErrorCode::kBadLength, "TS_IPV6_ADDR_RANGE length not 40");
    }
  } else {
    return Fail(DecodeErrorCode::kInvalidSyntax, "unsupported TS type " + std::to_string(type));
  }
  TrafficSelector ts;
  ts.ip_protocol = protocol;
  ByteView start, end;
  if (!r.ReadU16(ts.start_port) || !r.ReadU16(ts.end_port) || !r.ReadBytes(addr_size, start) ||
      !r.ReadBytes(addr_size, end)) {
    return Fail(DecodeErrorCode::kBadLength, "traffic selector past payload end");
  }
  ts.start_address = *IpAddress::FromBytes(start);
  ts.end_address = *IpAddress::FromBytes(end);
  return ts;
}

}  // namespace

TrafficSelector TrafficSelector::Any(AddressFamily family) {
  return Range(IpAddress::Any(family), IpAddress::Max(family));
}

Result<TsPayload, DecodeError> DecodeTsBody(Role role, ByteView body) {
  Reader r(body);
  uint8_t count = 0;
  ByteView reserved;
  if (!r.ReadU8(count) || !r.ReadBytes(3, reserved)) {
    return Fail(DecodeErrorCode::kBadLength, "TS body shorter than 4 octets");
  }
  if (count == 0) return Fail(DecodeErrorCode::kInvalidSyntax, "TS payload with no selectors");
  TsPayload ts;
  ts.role = role;
  ts.selectors.reserve(count);
  for (uint8_t i = 0; i < count; ++i) {
    IKE_ASSIGN_OR_RETURN(TrafficSelector sel, DecodeSelector(r));
    ts.selectors.push_back(sel);
  }
  if (!r.empty()) {
    return Fail(DecodeErrorCode::kInvalidSyntax, "bytes after the last traffic selector");
  }
  return ts;
}

void EncodeBody(const TsPayload& ts, Writer& w) {
  w.WriteU8(static_cast<uint8_t>(ts.selectors.size()));
  w.WriteU8(0);
  w.WriteU16(0);
  for (const TrafficSelector& s : ts.selectors) {
    w.WriteU8(static_cast<uint8_t>(s.type()));
    w.WriteU8(s.ip_protocol);
    w.WriteU16(s.start_address.is_v4() ? kIpv4SelectorSize : kIpv6SelectorSize);
    w.WriteU16(s.start_port);
    w.WriteU16(s.end_port);
    w.WriteBytes(s.start_address.bytes());
    w.WriteBytes(s.end_address.bytes());
  }
}

}  // namespace ike::wire
