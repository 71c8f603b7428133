// Key Exchange (RFC 7296 3.4) and Nonce (3.9) payloads.
#pragma once

#include <cstdint>

#include "libike/common/bytes.h"
#include "libike/common/ike_types.h"
#include "libike/common/result.h"
#include "libike/common/writer.h"
#include "libike/wire/decode_error.h"

namespace ike::wire {

// Key Exchange payload (RFC 7296 3.4).
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Next Payload  |C|  RESERVED   |         Payload Length        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |   Diffie-Hellman Group Num    |           RESERVED            |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                       Key Exchange Data                       ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// The data length is checked against the group by the key exchange code,
// not here (the codec accepts any length, including unknown groups).
struct KePayload {
  KeGroup group = KeGroup::kNone;
  Bytes data;
  friend bool operator==(const KePayload&, const KePayload&) = default;
};

// Nonce payload (RFC 7296 3.9).
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Next Payload  |C|  RESERVED   |         Payload Length        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                            Nonce Data                         ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// Nonce Data is 16 to 256 octets; other lengths are kInvalidSyntax.
inline constexpr size_t kMinNonceSize = 16;
inline constexpr size_t kMaxNonceSize = 256;
struct NoncePayload {
  Bytes data;
  friend bool operator==(const NoncePayload&, const NoncePayload&) = default;
};

Result<KePayload, DecodeError> DecodeKeBody(ByteView body);
void EncodeBody(const KePayload& ke, Writer& w);
Result<NoncePayload, DecodeError> DecodeNonceBody(ByteView body);
void EncodeBody(const NoncePayload& nonce, Writer& w);

}  // namespace ike::wire
