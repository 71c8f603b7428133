#include "libike/wire/header.h"

#include "libike/common/reader.h"
#include "libike/wire/codec_util.h"

namespace ike::wire {

Result<PeekedHeader, DecodeError> PeekHeader(ByteView datagram) {
  Reader r(datagram);
  PeekedHeader out;
  Header& h = out.header;
  uint8_t version = 0, exchange = 0, flags = 0;
  if (!r.ReadU64(h.spi_i) || !r.ReadU64(h.spi_r) || !r.ReadU8(out.next_payload) ||
      !r.ReadU8(version) || !r.ReadU8(exchange) || !r.ReadU8(flags) ||
      !r.ReadU32(h.message_id) || !r.ReadU32(out.length)) {
    return internal::Fail(DecodeErrorCode::kTruncated, "datagram shorter than the IKE header");
  }
  h.major_version = version >> 4;
  h.minor_version = version & 0x0f;
  h.exchange_type = static_cast<ExchangeType>(exchange);
  h.initiator = (flags & kFlagInitiator) != 0;
  h.version = (flags & kFlagVersion) != 0;
  h.response = (flags & kFlagResponse) != 0;
  return out;
}

void EncodeHeader(const Header& h, PayloadType next_payload, uint32_t length, Writer& w) {
  w.WriteU64(h.spi_i);
  w.WriteU64(h.spi_r);
  w.WriteU8(static_cast<uint8_t>(next_payload));
  w.WriteU8(static_cast<uint8_t>((h.major_version & 0x0f) << 4 | (h.minor_version & 0x0f)));
  w.WriteU8(static_cast<uint8_t>(h.exchange_type));
  w.WriteU8(h.flags());
  w.WriteU32(h.message_id);
  w.WriteU32(length);
}

}  // namespace ike::wire
