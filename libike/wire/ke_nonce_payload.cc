#include "libike/wire/ke_nonce_payload.h"

#include <string>

#include "libike/common/reader.h"
#include "libike/wire/codec_util.h"

namespace ike::wire {

using internal::Fail;

Result<KePayload, DecodeError> DecodeKeBody(ByteView body) {
  Reader r(body);
  uint16_t group = 0, reserved = 0;
  if (!r.ReadU16(group) || !r.ReadU16(reserved)) {
    return Fail(DecodeErrorCode::kBadLength, "KE body shorter than 4 octets");
  }
  KePayload ke;
  ke.group = static_cast<KeGroup>(group);
  ke.data.assign(r.rest().begin(), r.rest().end());
  return ke;
}

void EncodeBody(const KePayload& ke, Writer& w) {
  w.WriteU16(static_cast<uint16_t>(ke.group));
  w.WriteU16(0);
  w.WriteBytes(ke.data);
}

Result<NoncePayload, DecodeError> DecodeNonceBody(ByteView body) {
  if (body.size() < kMinNonceSize || body.size() > kMaxNonceSize) {
    return Fail(DecodeErrorCode::kInvalidSyntax,
                "nonce of " + std::to_string(body.size()) + " octets (want 16..256)");
  }
  return NoncePayload{Bytes(body.begin(), body.end())};
}

void EncodeBody(const NoncePayload& nonce, Writer& w) { w.WriteBytes(nonce.data); }

}  // namespace ike::wire
