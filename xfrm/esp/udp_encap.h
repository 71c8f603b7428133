// UDP encapsulation of ESP (RFC 3948) on the port shared with IKE (4500):
// a datagram is a NAT-keepalive (one 0xff byte, section 2.3), an IKE message
// behind the 4-byte zero non-ESP marker (section 2.2), or ESP (SPI != 0).
#pragma once

#include <cstdint>

#include "libike/common/bytes.h"

namespace ike::esp {

enum class Udp4500Kind : uint8_t { kEsp, kIke, kKeepalive, kInvalid };

inline constexpr size_t kNonEspMarkerLen = 4;

Udp4500Kind ClassifyUdp4500(ByteView payload);

}  // namespace ike::esp
