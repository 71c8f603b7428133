#include "xfrm/esp/udp_encap.h"

namespace ike::esp {

Udp4500Kind ClassifyUdp4500(ByteView payload) {
  if (payload.size() == 1 && payload[0] == 0xff) return Udp4500Kind::kKeepalive;
  if (payload.size() < 4) return Udp4500Kind::kInvalid;
  if (payload[0] == 0 && payload[1] == 0 && payload[2] == 0 && payload[3] == 0) {
    return Udp4500Kind::kIke;
  }
  // ESP needs at least SPI and sequence number.
  if (payload.size() < 8) return Udp4500Kind::kInvalid;
  return Udp4500Kind::kEsp;
}

}  // namespace ike::esp
