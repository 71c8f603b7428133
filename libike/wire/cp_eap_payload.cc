#include "libike/wire/cp_eap_payload.h"

#include <string>

#include "libike/common/reader.h"
#include "libike/wire/codec_util.h"

namespace ike::wire {

using internal::Fail;

CfgAttribute CfgAttribute::Address(CfgAttributeType type, const IpAddress& address) {
  ByteView b = address.bytes();
  return Make(type, Bytes(b.begin(), b.end()));
}

Result<CpPayload, DecodeError> DecodeCpBody(ByteView body) {
  Reader r(body);
  uint8_t type = 0;
  ByteView reserved;
  if (!r.ReadU8(type) || !r.ReadBytes(3, reserved)) {
    return Fail(DecodeErrorCode::kBadLength, "CP body shorter than 4 octets");
  }
  CpPayload cp;
  cp.cfg_type = static_cast<CfgType>(type);
  while (!r.empty()) {
    if (cp.attributes.size() >= kMaxCfgAttributes) {
      return Fail(DecodeErrorCode::kTooManyItems, "too many configuration attributes");
    }
    uint16_t type_r = 0, length = 0;
    if (!r.ReadU16(type_r) || !r.ReadU16(length)) {
      return Fail(DecodeErrorCode::kBadLength, "CP attribute header past payload end");
    }
    CfgAttribute a;
    a.reserved_bit = (type_r & 0x8000) != 0;
    a.type = type_r & 0x7fff;
    if (!r.ReadBytes(length, a.value)) {
      return Fail(DecodeErrorCode::kBadLength, "CP attribute length past payload end");
    }
    cp.attributes.push_back(std::move(a));
  }
  return cp;
}

void EncodeBody(const CpPayload& cp, Writer& w) {
  w.WriteU8(static_cast<uint8_t>(cp.cfg_type));
  w.WriteU8(0);
  w.WriteU16(0);
  for (const CfgAttribute& a : cp.attributes) {
    w.WriteU16(static_cast<uint16_t>((a.reserved_bit ? 0x8000 : 0) | (a.type & 0x7fff)));
    w.WriteU16(static_cast<uint16_t>(a.value.size()));
    w.WriteBytes(a.value);
  }
}

Result<EapPayload, DecodeError> DecodeEapBody(ByteView body) {
  Reader r(body);
  uint8_t code = 0, identifier = 0;
  uint16_t length = 0;
  if (!r.ReadU8(code) || !r.ReadU8(identifier) || !r.ReadU16(length)) {
    return Fail(DecodeErrorCode::kBadLength, "EAP body shorter than 4 octets");
  }
  if (length != body.size()) {
    return Fail(DecodeErrorCode::kBadLength, "EAP Length " + std::to_string(length) +
                                                 " != payload body " + std::to_string(body.size()));
  }
  EapPayload eap;
  eap.code = static_cast<EapCode>(code);
  eap.identifier = identifier;
  switch (eap.code) {
    case EapCode::kRequest:
    case EapCode::kResponse:
      if (!r.ReadU8(eap.type)) {
        return Fail(DecodeErrorCode::kInvalidSyntax, "EAP Request/Response without Type");
      }
      eap.type_data.assign(r.rest().begin(), r.rest().end());
      return eap;
    case EapCode::kSuccess:
    case EapCode::kFailure:
      if (!r.empty()) {
        return Fail(DecodeErrorCode::kInvalidSyntax, "EAP Success/Failure longer than 4 octets");
      }
      return eap;
  }
  return Fail(DecodeErrorCode::kInvalidSyntax, "EAP code " + std::to_string(code));
}

void EncodeBody(const EapPayload& eap, Writer& w) {
  bool has_type = eap.code == EapCode::kRequest || eap.code == EapCode::kResponse;
  size_t length = 4 + (has_type ? 1 + eap.type_data.size() : 0);
  w.WriteU8(static_cast<uint8_t>(eap.code));
  w.WriteU8(eap.identifier);
  w.WriteU16(static_cast<uint16_t>(length));
  if (has_type) {
    w.WriteU8(eap.type);
    w.WriteBytes(eap.type_data);
  }
}

}  // namespace ike::wire
