#include "libike/ikev1/message.h"

#include <cstdlib>
#include <string>
#include <type_traits>

#include "libike/common/reader.h"
#include "libike/common/writer.h"
#include "libike/wire/codec_util.h"

namespace ike::v1 {

using wire::internal::Fail;

namespace {

template <typename T>
Result<Payload, DecodeError> Wrap(Result<T, DecodeError> r) {
  if (!r) return MakeUnexpected(std::move(r).error());
  return Payload(std::move(r).value());
}

Result<Payload, DecodeError> DecodeBody(uint8_t type, ByteView body) {
  switch (static_cast<PayloadType>(type)) {
    case PayloadType::kSa: return Wrap(DecodeSaBody(body));
    case PayloadType::kKe: return Wrap(DecodeKeBody(body));
    case PayloadType::kId: return Wrap(DecodeIdBody(body));
    case PayloadType::kCert: return Wrap(DecodeCertBody(body));
    case PayloadType::kCertReq: return Wrap(DecodeCertReqBody(body));
    case PayloadType::kHash: return Wrap(DecodeHashBody(body));
    case PayloadType::kSig: return Wrap(DecodeSigBody(body));
    case PayloadType::kNonce: return Wrap(DecodeNonceBody(body));
    case PayloadType::kNotify: return Wrap(DecodeNotifyBody(body));
    case PayloadType::kDelete: return Wrap(DecodeDeleteBody(body));
    case PayloadType::kVendorId: return Wrap(DecodeVendorIdBody(body));
    case PayloadType::kAttribute: return Wrap(DecodeAttributeBody(body));
    case PayloadType::kNatD: return Wrap(DecodeNatDBody(false, body));
    case PayloadType::kNatOa: return Wrap(DecodeNatOaBody(false, body));
    case PayloadType::kNatDDraft: return Wrap(DecodeNatDBody(true, body));
    case PayloadType::kNatOaDraft: return Wrap(DecodeNatOaBody(true, body));
    case PayloadType::kProposal:
    case PayloadType::kTransform:
      return Fail(DecodeErrorCode::kInvalidSyntax, "proposal/transform outside an SA payload");
    case PayloadType::kNone: break;
  }
  return Payload(UnknownPayload{type, Bytes(body.begin(), body.end())});
}

DecodeError InPayload(DecodeError e, uint8_t type) {
  if (e.payload_type == 0) e.payload_type = type;
  std::string name(PayloadTypeName(static_cast<PayloadType>(type)));
  if (name == "UNKNOWN") name = "payload " + std::to_string(type);
  e.detail = name + ": " + e.detail;
  return e;
}

// Walks the chain; the rest after the last payload is left in `r`.
Result<std::vector<Payload>, DecodeError> Walk(uint8_t first, Reader& r) {
  std::vector<Payload> out;
  uint8_t type = first;
  while (type != static_cast<uint8_t>(PayloadType::kNone)) {
    if (out.size() >= kMaxPayloads) {
      return Fail(DecodeErrorCode::kTooManyPayloads,
                  "more than " + std::to_string(kMaxPayloads) + " payloads");
    }
    uint8_t next = 0, reserved = 0;
    uint16_t length = 0;
    if (!r.ReadU8(next) || !r.ReadU8(reserved) || !r.ReadU16(length)) {
      return MakeUnexpected(InPayload(
          {DecodeErrorCode::kTruncated, "chain ends before this payload's header", 0}, type));
    }
    if (length < kGenericHeaderSize) {
      return MakeUnexpected(InPayload(
          {DecodeErrorCode::kBadLength, "payload length " + std::to_string(length) + " < 4", 0},
          type));
    }
    ByteView body;
    if (!r.ReadBytes(length - kGenericHeaderSize, body)) {
      return MakeUnexpected(InPayload({DecodeErrorCode::kBadLength,
                                       "payload length " + std::to_string(length) +
                                           " past the end of the chain",
                                       0},
                                      type));
    }
    auto payload = DecodeBody(type, body);
    if (!payload) return MakeUnexpected(InPayload(std::move(payload).error(), type));
    out.push_back(std::move(payload).value());
    type = next;
  }
  return out;
}

void EncodeBody(const UnknownPayload& p, Writer& w) { w.WriteBytes(p.body); }

void EncodeChain(const std::vector<Payload>& payloads, Writer& w) {
  for (size_t i = 0; i < payloads.size(); ++i) {
    const Payload& p = payloads[i];
    size_t start = w.size();
    w.WriteU8(i + 1 < payloads.size() ? TypeCodeOf(payloads[i + 1]) : 0);
    w.WriteU8(0);
    w.WriteU16(0);  // patched below
    std::visit([&w](const auto& body) { EncodeBody(body, w); }, p);
    size_t length = w.size() - start;
    if (length > 0xffff) std::abort();  // precondition: payloads fit a 16-bit length
    w.PatchU16(start + 2, static_cast<uint16_t>(length));
  }
}

}  // namespace

std::string_view PayloadTypeName(PayloadType type) {
  switch (type) {
    case PayloadType::kNone: return "NONE";
    case PayloadType::kSa: return "SA";
    case PayloadType::kProposal: return "P";
    case PayloadType::kTransform: return "T";
    case PayloadType::kKe: return "KE";
    case PayloadType::kId: return "ID";
    case PayloadType::kCert: return "CERT";
    case PayloadType::kCertReq: return "CR";
    case PayloadType::kHash: return "HASH";
    case PayloadType::kSig: return "SIG";
    case PayloadType::kNonce: return "NONCE";
    case PayloadType::kNotify: return "N";
    case PayloadType::kDelete: return "D";
    case PayloadType::kVendorId: return "VID";
    case PayloadType::kAttribute: return "ATTR";
    case PayloadType::kNatD: return "NAT-D";
    case PayloadType::kNatOa: return "NAT-OA";
    case PayloadType::kNatDDraft: return "NAT-D(draft)";
    case PayloadType::kNatOaDraft: return "NAT-OA(draft)";
  }
  return "UNKNOWN";
}

bool IsXauthAuthMethod(uint16_t method) {
  return method >= static_cast<uint16_t>(Phase1Auth::kXauthInitPreShared) &&
         method <= static_cast<uint16_t>(Phase1Auth::kXauthRespRsaRevisedEncryption);
}

uint8_t TypeCodeOf(const Payload& payload) {
  return std::visit(
      [](const auto& p) -> uint8_t {
        using T = std::decay_t<decltype(p)>;
        PayloadType t = PayloadType::kNone;
        if constexpr (std::is_same_v<T, SaPayload>) t = PayloadType::kSa;
        else if constexpr (std::is_same_v<T, KePayload>) t = PayloadType::kKe;
        else if constexpr (std::is_same_v<T, IdPayload>) t = PayloadType::kId;
        else if constexpr (std::is_same_v<T, CertPayload>) t = PayloadType::kCert;
        else if constexpr (std::is_same_v<T, CertReqPayload>) t = PayloadType::kCertReq;
        else if constexpr (std::is_same_v<T, HashPayload>) t = PayloadType::kHash;
        else if constexpr (std::is_same_v<T, SigPayload>) t = PayloadType::kSig;
        else if constexpr (std::is_same_v<T, NoncePayload>) t = PayloadType::kNonce;
        else if constexpr (std::is_same_v<T, NotifyPayload>) t = PayloadType::kNotify;
        else if constexpr (std::is_same_v<T, DeletePayload>) t = PayloadType::kDelete;
        else if constexpr (std::is_same_v<T, VendorIdPayload>) t = PayloadType::kVendorId;
        else if constexpr (std::is_same_v<T, AttributePayload>) t = PayloadType::kAttribute;
        else if constexpr (std::is_same_v<T, NatDPayload>)
          t = p.draft ? PayloadType::kNatDDraft : PayloadType::kNatD;
        else if constexpr (std::is_same_v<T, NatOaPayload>)
          t = p.draft ? PayloadType::kNatOaDraft : PayloadType::kNatOa;
        else if constexpr (std::is_same_v<T, UnknownPayload>) return p.type;
        return static_cast<uint8_t>(t);
      },
      payload);
}

uint8_t FirstPayloadType(const std::vector<Payload>& payloads) {
  return payloads.empty() ? 0 : TypeCodeOf(payloads.front());
}

const NotifyPayload* Message::FindNotify(NotifyType type) const {
  for (const NotifyPayload* n : FindAll<NotifyPayload>()) {
    if (n->type == type) return n;
  }
  return nullptr;
}

Result<Message, DecodeError> DecodeMessage(ByteView datagram) {
  IKE_ASSIGN_OR_RETURN(PeekedHeader peeked, PeekHeader(datagram));
  if (peeked.header.major_version != 1) {
    return Fail(DecodeErrorCode::kInvalidMajorVersion,
                "major version " + std::to_string(peeked.header.major_version));
  }
  if ((peeked.flags & ~kKnownFlags) != 0) {
    return Fail(DecodeErrorCode::kInvalidSyntax, "unknown header flags " + std::to_string(peeked.flags));
  }
  if (peeked.length > datagram.size()) {
    return Fail(DecodeErrorCode::kTruncated, "header length " + std::to_string(peeked.length) +
                                                 " > datagram " + std::to_string(datagram.size()));
  }
  if (peeked.length < kHeaderSize || peeked.length != datagram.size()) {
    return Fail(DecodeErrorCode::kBadLength, "header length " + std::to_string(peeked.length) +
                                                 " != datagram " + std::to_string(datagram.size()));
  }
  Message m;
  m.header = peeked.header;
  ByteView body = datagram.subspan(kHeaderSize);
  if (m.header.encrypted) {
    if (body.empty()) return Fail(DecodeErrorCode::kInvalidSyntax, "E flag without ciphertext");
    m.encrypted.first_payload = peeked.next_payload;
    m.encrypted.ciphertext.assign(body.begin(), body.end());
    return m;
  }
  IKE_ASSIGN_OR_RETURN(m.payloads, DecodePayloadChain(peeked.next_payload, body));
  return m;
}

Result<std::vector<Payload>, DecodeError> DecodePayloadChain(uint8_t first, ByteView chain) {
  Reader r(chain);
  IKE_ASSIGN_OR_RETURN(std::vector<Payload> out, Walk(first, r));
  if (!r.empty()) {
    return Fail(DecodeErrorCode::kTrailingData,
                std::to_string(r.remaining()) + " octets after the last payload");
  }
  return out;
}

Result<DecryptedBody, DecodeError> DecodeDecryptedBody(uint8_t first, ByteView plaintext) {
  Reader r(plaintext);
  DecryptedBody out;
  IKE_ASSIGN_OR_RETURN(out.payloads, Walk(first, r));
  if (r.remaining() > kMaxPadding) {
    return Fail(DecodeErrorCode::kTrailingData,
                std::to_string(r.remaining()) + " octets after the last payload (padding <= 255)");
  }
  out.padding = r.remaining();
  return out;
}

Bytes EncodePayloadChain(const std::vector<Payload>& payloads) {
  Bytes out;
  Writer w(out);
  EncodeChain(payloads, w);
  return out;
}

Bytes EncodeMessage(const Message& m) {
  Bytes out;
  Writer w(out);
  if (m.header.encrypted) {
    EncodeHeader(m.header, m.encrypted.first_payload, 0, w);
    w.WriteBytes(m.encrypted.ciphertext);
  } else {
    EncodeHeader(m.header, FirstPayloadType(m.payloads), 0, w);
    EncodeChain(m.payloads, w);
  }
  w.PatchU32(24, static_cast<uint32_t>(out.size()));
  return out;
}

NotifyType IsakmpNotifyForError(const DecodeError& error) {
  return error.code == DecodeErrorCode::kInvalidMajorVersion ? NotifyType::kInvalidMajorVersion
                                                             : NotifyType::kPayloadMalformed;
}

}  // namespace ike::v1
