// Security Association payload (RFC 7296 3.3): proposals, transforms and
// transform attributes.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "libike/common/bytes.h"
#include "libike/common/ike_types.h"
#include "libike/common/result.h"
#include "libike/common/writer.h"
#include "libike/wire/decode_error.h"

namespace ike::wire {

// Transform attribute (RFC 7296 3.3.5), TV or TLV form.
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |A|       Attribute Type        |    AF=0  Attribute Length     |
// |F|                             |    AF=1  Attribute Value      |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                   AF=0  Attribute Value                       |
// |                   AF=1  Not Transmitted                       |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
struct TransformAttr {
  enum class Format : uint8_t { kTv, kTlv };
  uint16_t type = 0;       // 15 bits, without the AF bit
  Format format = Format::kTv;
  uint16_t tv_value = 0;   // the value when format == kTv
  Bytes tlv_value;         // the value when format == kTlv

  static TransformAttr Tv(uint16_t type, uint16_t value) { return {type, Format::kTv, value, {}}; }
  static TransformAttr Tlv(uint16_t type, Bytes value) {
    return {type, Format::kTlv, 0, std::move(value)};
  }
  friend bool operator==(const TransformAttr&, const TransformAttr&) = default;
};

// Transform substructure (RFC 7296 3.3.2).
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Last Substruc |   RESERVED    |        Transform Length       |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |Transform Type |   RESERVED    |          Transform ID         |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                      Transform Attributes                     ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// Last Substruc: 0 for the last transform of a proposal, 3 otherwise.
struct Transform {
  TransformType type = TransformType::kEncr;
  uint16_t id = 0;  // EncrId / PrfId / IntegId / KeGroup / EsnId value
  std::vector<TransformAttr> attributes;

  static Transform Make(TransformType type, uint16_t id) { return {type, id, {}}; }
  // ENCR transform with a Key Length attribute (TV, type 14), in bits.
  static Transform EncrWithKeyLength(EncrId id, uint16_t key_bits) {
    return {TransformType::kEncr, static_cast<uint16_t>(id),
            {TransformAttr::Tv(static_cast<uint16_t>(TransformAttribute::kKeyLength), key_bits)}};
  }
  // The Key Length attribute, if present (TV form).
  std::optional<uint16_t> key_length() const;
  friend bool operator==(const Transform&, const Transform&) = default;
};

// Proposal substructure (RFC 7296 3.3.1).
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Last Substruc |   RESERVED    |         Proposal Length       |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Proposal Num  |  Protocol ID  |    SPI Size   |Num  Transforms|
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                        SPI (variable)                         ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                        <Transforms>                           ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// Last Substruc: 0 for the last proposal, 2 otherwise. SPI Size is 0 (IKE SA
// in IKE_SA_INIT), 4 (AH/ESP) or 8 (IKE SA rekey); other sizes are rejected.
struct Proposal {
  uint8_t number = 1;
  ProtocolId protocol = ProtocolId::kIke;
  Bytes spi;  // 0, 4 or 8 bytes
  std::vector<Transform> transforms;
  friend bool operator==(const Proposal&, const Proposal&) = default;
};

// Security Association payload (RFC 7296 3.3); after the generic header:
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Next Payload  |C|  RESERVED   |         Payload Length        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                          <Proposals>                          ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// At least one proposal is required.
struct SaPayload {
  std::vector<Proposal> proposals;
  friend bool operator==(const SaPayload&, const SaPayload&) = default;
};

// Body codecs (the part after the 4-byte generic payload header).
Result<SaPayload, DecodeError> DecodeSaBody(ByteView body);
void EncodeBody(const SaPayload& sa, Writer& w);

}  // namespace ike::wire
