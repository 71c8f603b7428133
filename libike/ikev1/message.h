// ISAKMP message = header + payload chain (RFC 2408 3.1, 3.2), or header +
// ciphertext when the E flag is set (RFC 2408 3.1, RFC 2409 5.3 and
// appendix B). Decoders are total: they take a span and return a value or
// a wire::DecodeError, never read past the span, never abort.
#pragma once

#include <cstdint>
#include <variant>
#include <vector>

#include "libike/common/bytes.h"
#include "libike/common/result.h"
#include "libike/ikev1/header.h"
#include "libike/ikev1/ikev1_types.h"
#include "libike/ikev1/payloads.h"
#include "libike/wire/decode_error.h"

namespace ike::v1 {

// A payload type this codec does not model (e.g. 132 IKE fragmentation,
// 15 SAK from GDOI). Kept so the message re-encodes exactly; the engine
// answers or ignores it. Proposal and Transform outside an SA are errors.
struct UnknownPayload {
  uint8_t type = 0;
  Bytes body;
  friend bool operator==(const UnknownPayload&, const UnknownPayload&) = default;
};

using Payload = std::variant<SaPayload, KePayload, IdPayload, CertPayload, CertReqPayload,
                             HashPayload, SigPayload, NoncePayload, NotifyPayload, DeletePayload,
                             VendorIdPayload, AttributePayload, NatDPayload, NatOaPayload,
                             UnknownPayload>;

// The on-wire type code (NAT-D/NAT-OA: 20/21, or 130/131 when `draft`).
uint8_t TypeCodeOf(const Payload& payload);
// The type code of the first payload (0 for an empty chain): the Next
// Payload of whatever precedes the chain.
uint8_t FirstPayloadType(const std::vector<Payload>& payloads);

// The body of a message with the E flag: the Next Payload of the header
// names the first payload inside; the ciphertext (with its padding) is
// everything after the header. Decrypting is the engine's job (IV chaining
// by message ID, RFC 2409 appendix B); then DecodeDecryptedBody().
struct EncryptedBody {
  uint8_t first_payload = 0;
  Bytes ciphertext;  // non-empty
  friend bool operator==(const EncryptedBody&, const EncryptedBody&) = default;
};

struct Message {
  Header header;
  std::vector<Payload> payloads;  // header.encrypted == false: the chain, in wire order
  EncryptedBody encrypted;        // header.encrypted == true: the opaque body

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
  const NotifyPayload* FindNotify(NotifyType type) const;

  friend bool operator==(const Message&, const Message&) = default;
};

// Decodes a whole ISAKMP datagram (without the 4-octet non-ESP marker of
// port 4500). Checks: >= 28 octets, major version 1 (else
// kInvalidMajorVersion), no unknown flag bits, header Length == datagram
// size; then either the payload chain (DecodePayloadChain) or, with the E
// flag, a non-empty ciphertext.
Result<Message, wire::DecodeError> DecodeMessage(ByteView datagram);

// Decodes a chain starting with payload type `first` that fills `chain`
// exactly (kTrailingData otherwise).
Result<std::vector<Payload>, wire::DecodeError> DecodePayloadChain(uint8_t first, ByteView chain);

// The plaintext of a decrypted body: the chain, then padding up to the
// cipher block (RFC 2408 3.1: the chain's lengths say where it ends; at
// most kMaxPadding octets may follow, whatever their value).
inline constexpr size_t kMaxPadding = 255;
struct DecryptedBody {
  std::vector<Payload> payloads;
  size_t padding = 0;  // octets after the last payload
  friend bool operator==(const DecryptedBody&, const DecryptedBody&) = default;
};
Result<DecryptedBody, wire::DecodeError> DecodeDecryptedBody(uint8_t first, ByteView plaintext);

// Encodes payloads with generic headers, Next Payload links and lengths.
// Precondition: every payload fits a 16-bit length.
Bytes EncodePayloadChain(const std::vector<Payload>& payloads);

// Encodes a message: header (Next Payload and Length computed) + the chain,
// or + encrypted.ciphertext when header.encrypted (payloads are ignored).
Bytes EncodeMessage(const Message& message);

// The ISAKMP notification to answer a message that failed to decode with
// (named apart from wire::NotifyForError, which ADL would also find):
// INVALID-MAJOR-VERSION, or PAYLOAD-MALFORMED (RFC 2408 5.1..5.3).
NotifyType IsakmpNotifyForError(const wire::DecodeError& error);

}  // namespace ike::v1
