#include "libike/wire/encrypted_payload.h"

#include "libike/common/reader.h"
#include "libike/wire/codec_util.h"

namespace ike::wire {

using internal::Fail;

Result<SkPayload, DecodeError> DecodeSkBody(PayloadType first_inner, ByteView body) {
  return SkPayload{first_inner, Bytes(body.begin(), body.end())};
}

void EncodeBody(const SkPayload& sk, Writer& w) { w.WriteBytes(sk.body); }

Result<SkfPayload, DecodeError> DecodeSkfBody(PayloadType first_inner, ByteView body) {
  Reader r(body);
  SkfPayload skf;
  skf.first_inner = first_inner;
  if (!r.ReadU16(skf.fragment_number) || !r.ReadU16(skf.total_fragments)) {
    return Fail(DecodeErrorCode::kBadLength, "SKF body shorter than 4 octets");
  }
  if (skf.fragment_number == 0 || skf.fragment_number > skf.total_fragments) {
    return Fail(DecodeErrorCode::kInvalidSyntax, "SKF fragment number outside 1..total");
  }
  skf.body.assign(r.rest().begin(), r.rest().end());
  return skf;
}

void EncodeBody(const SkfPayload& skf, Writer& w) {
  w.WriteU16(skf.fragment_number);
  w.WriteU16(skf.total_fragments);
  w.WriteBytes(skf.body);
}

}  // namespace ike::wire
