// IKEv2 message = header + ordered payload chain (RFC 7296 3.1, 3.2), and
// the decoder/encoder for whole datagrams and for the plaintext inner chain
// of an SK payload.
#pragma once

#include <cstdint>
#include <optional>
#include <variant>
#include <vector>

#include "libike/common/bytes.h"
#include "libike/common/result.h"
#include "libike/wire/cp_eap_payload.h"
#include "libike/wire/decode_error.h"
#include "libike/wire/encrypted_payload.h"
#include "libike/wire/header.h"
#include "libike/wire/id_auth_payload.h"
#include "libike/wire/ke_nonce_payload.h"
#include "libike/wire/notify_payload.h"
#include "libike/wire/payload_type.h"
#include "libike/wire/sa_payload.h"
#include "libike/wire/ts_payload.h"

namespace ike::wire {

// Generic payload header (RFC 7296 3.2), in front of every payload.
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Next Payload  |C|  RESERVED   |         Payload Length        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// Payload Length includes this header. The critical bit matters only for
// payload types the receiver does not know (RFC 7296 2.5); the encoder sets
// it to 0 for every known type.
inline constexpr size_t kGenericHeaderSize = 4;
inline constexpr uint8_t kCriticalBit = 0x80;

// Limits that bound allocation on hostile input.
inline constexpr size_t kMaxPayloads = 64;    // per chain (outer or inner)
inline constexpr size_t kMaxProposals = 64;   // per SA payload
inline constexpr size_t kMaxTransforms = 64;  // per proposal
inline constexpr size_t kMaxTransformAttributes = 16;  // per transform

// A payload type the codec does not model. Only non-critical ones decode
// (a critical one is kUnsupportedCriticalPayload); they are kept so the
// message re-encodes exactly, and the engine ignores them.
struct UnknownPayload {
  uint8_t type = 0;
  bool critical = false;
  Bytes body;
  friend bool operator==(const UnknownPayload&, const UnknownPayload&) = default;
};

using Payload = std::variant<SaPayload, KePayload, IdPayload, CertPayload, CertReqPayload,
                             AuthPayload, NoncePayload, NotifyPayload, DeletePayload,
                             VendorIdPayload, TsPayload, SkPayload, CpPayload, EapPayload,
                             SkfPayload, UnknownPayload>;

// The on-wire type code of a payload (IdPayload/TsPayload by role).
PayloadType TypeOf(const Payload& payload);
uint8_t TypeCodeOf(const Payload& payload);

struct Message {
  Header header;
  std::vector<Payload> payloads;  // in wire order; an SK/SKF payload is last

  // First payload of type T (for IdPayload/TsPayload use the role overloads).
  template <typename T>
  const T* Find() const {
    for (const Payload& p : payloads) {
      if (const T* t = std::get_if<T>(&p)) return t;
    }
    return nullptr;
  }
  template <typename T>
  std::vector<const T*> FindAll() const {
    std::vector<const T*> out;
    for (const Payload& p : payloads) {
      if (const T* t = std::get_if<T>(&p)) out.push_back(t);
    }
    return out;
  }
  const IdPayload* FindId(Role role) const;
  const TsPayload* FindTs(Role role) const;
  const NotifyPayload* FindNotify(NotifyType type) const;

  friend bool operator==(const Message&, const Message&) = default;
};

// Same helpers for a decrypted inner chain.
const NotifyPayload* FindNotify(const std::vector<Payload>& payloads, NotifyType type);

// Decodes a whole IKEv2 datagram (without the 4-byte non-ESP marker of port
// 4500). Checks: >= 28 bytes, major version 2, header Length == datagram
// size, the payload chain (see DecodePayloadChain), SK/SKF last.
Result<Message, DecodeError> DecodeMessage(ByteView datagram);

// Decodes a payload chain starting with `first` and filling `chain` exactly:
// the plaintext of a decrypted SK payload (first = SkPayload::first_inner),
// or the chain of a message. SK/SKF inside a chain decoded here must be last
// and only when `allow_encrypted` (DecodeMessage sets it; the inner chain of
// an SK does not allow another SK).
Result<std::vector<Payload>, DecodeError> DecodePayloadChain(PayloadType first, ByteView chain,
                                                             bool allow_encrypted = false);

// Encodes payloads with generic headers and correct Next Payload links
// (the last one's is NONE, or the first inner type for SK/SKF). The type of
// the first payload goes into whatever precedes the chain:
// FirstPayloadType(payloads).
Bytes EncodePayloadChain(const std::vector<Payload>& payloads);
PayloadType FirstPayloadType(const std::vector<Payload>& payloads);

// Encodes a message; Next Payload and Length are computed.
// Precondition: every payload body fits a 16-bit length (< 65532 octets).
Bytes EncodeMessage(const Message& message);

// Where the SK (or SKF) payload sits in an encoded datagram.
struct SkLayout {
  size_t payload_offset = 0;  // start of the SK/SKF generic header
  size_t body_offset = 0;     // start of SkPayload::body / SkfPayload::body (the IV)
};
struct EncodedMessage {
  Bytes bytes;
  std::optional<SkLayout> sk;  // set when the last payload is SK or SKF
};
// EncodeMessage plus the SK layout. The associated data of an AEAD cipher,
// and the start of the ICV-protected range, is bytes[0, sk->body_offset)
// (IKE header, unencrypted payloads, SK/SKF header incl. fragment fields).
// Typical use: put a body of the final size (IV + ciphertext + padding + pad
// length + ICV) in the SK payload, encode, then encrypt in place.
EncodedMessage EncodeMessageWithLayout(const Message& message);
// After the caller changed the size of the bytes following the SK body start
// (e.g. appended the ICV), fixes the IKE header Length and the SK/SKF
// Payload Length. Returns false if the sizes do not fit their fields or the
// layout does not fit the datagram.
bool PatchLengths(Bytes& datagram, const SkLayout& sk);
// The SK/SKF layout of a received datagram (for ICV check / AAD), or nullopt
// when it has none or does not decode.
std::optional<SkLayout> LocateSk(ByteView datagram);

}  // namespace ike::wire
