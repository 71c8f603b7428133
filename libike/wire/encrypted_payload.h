// Encrypted and Authenticated payload SK (RFC 7296 3.14) and Encrypted
// Fragment payload SKF (RFC 7383 2.5). The codec treats their bodies as
// opaque bytes; libike/crypto encrypts and decrypts them.
#pragma once

#include <cstdint>

#include "libike/common/bytes.h"
#include "libike/common/result.h"
#include "libike/common/writer.h"
#include "libike/wire/decode_error.h"
#include "libike/wire/payload_type.h"

namespace ike::wire {

// Encrypted and Authenticated payload (RFC 7296 3.14).
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Next Payload  |C|  RESERVED   |         Payload Length        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                     Initialization Vector                     |
// |         (length is block size for encryption algorithm)       |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                    Encrypted IKE Payloads                     ~
// +               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |               |             Padding (0-255 octets)            |
// +-+-+-+-+-+-+-+-+                               +-+-+-+-+-+-+-+-+
// |                                               |  Pad Length   |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                    Integrity Checksum Data                    ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// The Next Payload field carries the type of the first inner payload; SK is
// always the last payload of a message. `body` is everything after the
// generic header (IV .. ICV), unparsed.
struct SkPayload {
  PayloadType first_inner = PayloadType::kNone;
  Bytes body;
  friend bool operator==(const SkPayload&, const SkPayload&) = default;
};

// Encrypted Fragment payload (RFC 7383 2.5).
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Next Payload  |C|  RESERVED   |         Payload Length        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |        Fragment Number        |        Total Fragments        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                     Initialization Vector                     |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                      Encrypted content                        ~
// +               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |               |             Padding (0-255 octets)            |
// +-+-+-+-+-+-+-+-+                               +-+-+-+-+-+-+-+-+
// |                                               |  Pad Length   |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                    Integrity Checksum Data                    ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// Next Payload is the first inner payload type in fragment 1 and 0 in the
// others. 1 <= Fragment Number <= Total Fragments, else kInvalidSyntax.
// The associated data for AEAD / ICV covers the fragment number fields.
struct SkfPayload {
  PayloadType first_inner = PayloadType::kNone;
  uint16_t fragment_number = 1;
  uint16_t total_fragments = 1;
  Bytes body;  // IV .. ICV
  friend bool operator==(const SkfPayload&, const SkfPayload&) = default;
};

inline constexpr size_t kSkfFixedSize = 4;  // Fragment Number + Total Fragments

Result<SkPayload, DecodeError> DecodeSkBody(PayloadType first_inner, ByteView body);
void EncodeBody(const SkPayload& sk, Writer& w);
Result<SkfPayload, DecodeError> DecodeSkfBody(PayloadType first_inner, ByteView body);
void EncodeBody(const SkfPayload& skf, Writer& w);

}  // namespace ike::wire
