#include "libike/ikev1/header.h"

#include "libike/common/reader.h"
#include "libike/wire/codec_util.h"

namespace ike::v1 {

Result<PeekedHeader, wire::DecodeError> PeekHeader(ByteView datagram) {
  Reader r(datagram);
  PeekedHeader out;
  Header& h = out.header;
  uint8_t version = 0, exchange = 0;
  if (!r.ReadU64(h.initiator_cookie) || !r.ReadU64(h.responder_cookie) ||
      !r.ReadU8(out.next_payload) || !r.ReadU8(version) || !r.ReadU8(exchange) ||
      !r.ReadU8(out.flags) || !r.ReadU32(h.message_id) || !r.ReadU32(out.length)) {
    return wire::internal::Fail(wire::DecodeErrorCode::kTruncated,
                                "datagram shorter than the ISAKMP header");
  }
  h.major_version = version >> 4;
  h.minor_version = version & 0x0f;
  h.exchange_type = static_cast<ExchangeType>(exchange);
  h.encrypted = (out.flags & kFlagEncryption) != 0;
  h.commit = (out.flags & kFlagCommit) != 0;
  h.auth_only = (out.flags & kFlagAuthOnly) != 0;
  return out;
}

void EncodeHeader(const Header& h, uint8_t next_payload, uint32_t length, Writer& w) {
  w.WriteU64(h.initiator_cookie);
  w.WriteU64(h.responder_cookie);
  w.WriteU8(next_payload);
  w.WriteU8(static_cast<uint8_t>((h.major_version & 0x0f) << 4 | (h.minor_version & 0x0f)));
  w.WriteU8(static_cast<uint8_t>(h.exchange_type));
  w.WriteU8(h.flags());
  w.WriteU32(h.message_id);
  w.WriteU32(length);
}

}  // namespace ike::v1
