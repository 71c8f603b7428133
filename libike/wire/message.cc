#include "libike/wire/message.h"

#include <cstdlib>
#include <string>
#include <type_traits>

#include "libike/common/reader.h"
#include "libike/common/writer.h"
#include "libike/wire/codec_util.h"

namespace ike::wire {

using internal::Fail;

namespace {

template <typename T>
Result<Payload, DecodeError> Wrap(Result<T, DecodeError> r) {
  if (!r) return MakeUnexpected(std::move(r).error());
  return Payload(std::move(r).value());
}

Result<Payload, DecodeError> DecodeBody(uint8_t type, bool critical, uint8_t next, ByteView body) {
  switch (static_cast<PayloadType>(type)) {
    case PayloadType::kSa: return Wrap(DecodeSaBody(body));
    case PayloadType::kKe: return Wrap(DecodeKeBody(body));
    case PayloadType::kIdInitiator: return Wrap(DecodeIdBody(Role::kInitiator, body));
    case PayloadType::kIdResponder: return Wrap(DecodeIdBody(Role::kResponder, body));
    case PayloadType::kCert: return Wrap(DecodeCertBody(body));
    case PayloadType::kCertReq: return Wrap(DecodeCertReqBody(body));
    case PayloadType::kAuth: return Wrap(DecodeAuthBody(body));
    case PayloadType::kNonce: return Wrap(DecodeNonceBody(body));
    case PayloadType::kNotify: return Wrap(DecodeNotifyBody(body));
    case PayloadType::kDelete: return Wrap(DecodeDeleteBody(body));
    case PayloadType::kVendorId: return Wrap(DecodeVendorIdBody(body));
    case PayloadType::kTsInitiator: return Wrap(DecodeTsBody(Role::kInitiator, body));
    case PayloadType::kTsResponder: return Wrap(DecodeTsBody(Role::kResponder, body));
    case PayloadType::kSk: return Wrap(DecodeSkBody(static_cast<PayloadType>(next), body));
    case PayloadType::kCp: return Wrap(DecodeCpBody(body));
    case PayloadType::kEap: return Wrap(DecodeEapBody(body));
    case PayloadType::kSkf: return Wrap(DecodeSkfBody(static_cast<PayloadType>(next), body));
    case PayloadType::kNone:
    case PayloadType::kGspm:
      break;
  }
  if (critical) {
    return MakeUnexpected(DecodeError{DecodeErrorCode::kUnsupportedCriticalPayload,
                                      "unknown critical payload type " + std::to_string(type),
                                      type});
  }
  return Payload(UnknownPayload{type, false, Bytes(body.begin(), body.end())});
}

bool IsEncrypted(uint8_t type) {
  return type == static_cast<uint8_t>(PayloadType::kSk) ||
         type == static_cast<uint8_t>(PayloadType::kSkf);
}

DecodeError InPayload(DecodeError e, uint8_t type) {
  if (e.payload_type == 0) e.payload_type = type;
  std::string name(PayloadTypeName(static_cast<PayloadType>(type)));
  if (name == "UNKNOWN") name = "payload " + std::to_string(type);
  e.detail = name + ": " + e.detail;
  return e;
}

// Walks a chain; `base` is the chain's offset in the datagram (for layout).
Result<std::vector<Payload>, DecodeError> Walk(PayloadType first, ByteView chain,
                                               bool allow_encrypted) {
  Reader r(chain);
  std::vector<Payload> out;
  uint8_t type = static_cast<uint8_t>(first);
  while (type != static_cast<uint8_t>(PayloadType::kNone)) {
    if (out.size() >= kMaxPayloads) {
      return Fail(DecodeErrorCode::kTooManyPayloads,
                  "more than " + std::to_string(kMaxPayloads) + " payloads");
    }
    uint8_t next = 0, flags = 0;
    uint16_t length = 0;
    if (!r.ReadU8(next) || !r.ReadU8(flags) || !r.ReadU16(length)) {
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
    bool encrypted = IsEncrypted(type);
    if (encrypted && !allow_encrypted) {
      return MakeUnexpected(InPayload(
          {DecodeErrorCode::kPayloadAfterSk, "encrypted payload inside an encrypted payload", 0},
          type));
    }
    auto payload = DecodeBody(type, (flags & kCriticalBit) != 0, next, body);
    if (!payload) return MakeUnexpected(InPayload(std::move(payload).error(), type));
    out.push_back(std::move(payload).value());
    if (encrypted) {
      // Next Payload of SK/SKF names the first inner payload: the chain ends.
      if (!r.empty()) {
        return Fail(DecodeErrorCode::kPayloadAfterSk,
                    std::to_string(r.remaining()) + " octets after the SK/SKF payload");
      }
      return out;
    }
    type = next;
  }
  if (!r.empty()) {
    return Fail(DecodeErrorCode::kTrailingData,
                std::to_string(r.remaining()) + " octets after the last payload");
  }
  return out;
}

void EncodeBody(const UnknownPayload& p, Writer& w) { w.WriteBytes(p.body); }

void EncodeChain(const std::vector<Payload>& payloads, Writer& w, std::optional<SkLayout>* layout) {
  for (size_t i = 0; i < payloads.size(); ++i) {
    const Payload& p = payloads[i];
    size_t start = w.size();
    uint8_t next = i + 1 < payloads.size() ? TypeCodeOf(payloads[i + 1]) : 0;
    bool critical = false;
    size_t fixed = kGenericHeaderSize;
    if (const auto* sk = std::get_if<SkPayload>(&p)) {
      next = static_cast<uint8_t>(sk->first_inner);
    } else if (const auto* skf = std::get_if<SkfPayload>(&p)) {
      next = static_cast<uint8_t>(skf->first_inner);
      fixed += kSkfFixedSize;
    } else if (const auto* unknown = std::get_if<UnknownPayload>(&p)) {
      critical = unknown->critical;
    }
    w.WriteU8(next);
    w.WriteU8(critical ? kCriticalBit : 0);
    w.WriteU16(0);  // patched below
    std::visit([&w](const auto& body) { EncodeBody(body, w); }, p);
    size_t length = w.size() - start;
    if (length > 0xffff) std::abort();  // precondition: bodies fit a 16-bit length
    w.PatchU16(start + 2, static_cast<uint16_t>(length));
    if (layout != nullptr && (std::holds_alternative<SkPayload>(p) ||
                              std::holds_alternative<SkfPayload>(p))) {
      *layout = SkLayout{start, start + fixed};
    }
  }
}

EncodedMessage Encode(const Message& m, bool want_layout) {
  EncodedMessage out;
  Writer w(out.bytes);
  EncodeHeader(m.header, FirstPayloadType(m.payloads), 0, w);
  EncodeChain(m.payloads, w, want_layout ? &out.sk : nullptr);
  w.PatchU32(24, static_cast<uint32_t>(out.bytes.size()));
  return out;
}

}  // namespace

PayloadType TypeOf(const Payload& payload) { return static_cast<PayloadType>(TypeCodeOf(payload)); }

uint8_t TypeCodeOf(const Payload& payload) {
  return std::visit(
      [](const auto& p) -> uint8_t {
        using T = std::decay_t<decltype(p)>;
        PayloadType t = PayloadType::kNone;
        if constexpr (std::is_same_v<T, SaPayload>) t = PayloadType::kSa;
        else if constexpr (std::is_same_v<T, KePayload>) t = PayloadType::kKe;
        else if constexpr (std::is_same_v<T, IdPayload>)
          t = p.role == Role::kInitiator ? PayloadType::kIdInitiator : PayloadType::kIdResponder;
        else if constexpr (std::is_same_v<T, CertPayload>) t = PayloadType::kCert;
        else if constexpr (std::is_same_v<T, CertReqPayload>) t = PayloadType::kCertReq;
        else if constexpr (std::is_same_v<T, AuthPayload>) t = PayloadType::kAuth;
        else if constexpr (std::is_same_v<T, NoncePayload>) t = PayloadType::kNonce;
        else if constexpr (std::is_same_v<T, NotifyPayload>) t = PayloadType::kNotify;
        else if constexpr (std::is_same_v<T, DeletePayload>) t = PayloadType::kDelete;
        else if constexpr (std::is_same_v<T, VendorIdPayload>) t = PayloadType::kVendorId;
        else if constexpr (std::is_same_v<T, TsPayload>)
          t = p.role == Role::kInitiator ? PayloadType::kTsInitiator : PayloadType::kTsResponder;
        else if constexpr (std::is_same_v<T, SkPayload>) t = PayloadType::kSk;
        else if constexpr (std::is_same_v<T, CpPayload>) t = PayloadType::kCp;
        else if constexpr (std::is_same_v<T, EapPayload>) t = PayloadType::kEap;
        else if constexpr (std::is_same_v<T, SkfPayload>) t = PayloadType::kSkf;
        else if constexpr (std::is_same_v<T, UnknownPayload>) return p.type;
        return static_cast<uint8_t>(t);
      },
      payload);
}

const IdPayload* Message::FindId(Role role) const {
  for (const IdPayload* id : FindAll<IdPayload>()) {
    if (id->role == role) return id;
  }
  return nullptr;
}

const TsPayload* Message::FindTs(Role role) const {
  for (const TsPayload* ts : FindAll<TsPayload>()) {
    if (ts->role == role) return ts;
  }
  return nullptr;
}

const NotifyPayload* Message::FindNotify(NotifyType type) const {
  return wire::FindNotify(payloads, type);
}

const NotifyPayload* FindNotify(const std::vector<Payload>& payloads, NotifyType type) {
  for (const Payload& p : payloads) {
    const auto* n = std::get_if<NotifyPayload>(&p);
    if (n != nullptr && n->type == type) return n;
  }
  return nullptr;
}

Result<Message, DecodeError> DecodeMessage(ByteView datagram) {
  IKE_ASSIGN_OR_RETURN(PeekedHeader peeked, PeekHeader(datagram));
  if (peeked.header.major_version != 2) {
    return Fail(DecodeErrorCode::kInvalidMajorVersion,
                "major version " + std::to_string(peeked.header.major_version));
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
  IKE_ASSIGN_OR_RETURN(m.payloads, Walk(static_cast<PayloadType>(peeked.next_payload),
                                        datagram.subspan(kHeaderSize), true));
  return m;
}

Result<std::vector<Payload>, DecodeError> DecodePayloadChain(PayloadType first, ByteView chain,
                                                             bool allow_encrypted) {
  return Walk(first, chain, allow_encrypted);
}

Bytes EncodePayloadChain(const std::vector<Payload>& payloads) {
  Bytes out;
  Writer w(out);
  EncodeChain(payloads, w, nullptr);
  return out;
}

PayloadType FirstPayloadType(const std::vector<Payload>& payloads) {
  return payloads.empty() ? PayloadType::kNone : TypeOf(payloads.front());
}

Bytes EncodeMessage(const Message& message) { return Encode(message, false).bytes; }

EncodedMessage EncodeMessageWithLayout(const Message& message) { return Encode(message, true); }

bool PatchLengths(Bytes& datagram, const SkLayout& sk) {
  size_t size = datagram.size();
  if (size < kHeaderSize || sk.payload_offset < kHeaderSize ||
      sk.payload_offset + kGenericHeaderSize > size || sk.body_offset > size ||
      size - sk.payload_offset > 0xffff || size > 0xffffffffu) {
    return false;
  }
  Writer w(datagram);
  w.PatchU32(24, static_cast<uint32_t>(size));
  w.PatchU16(sk.payload_offset + 2, static_cast<uint16_t>(size - sk.payload_offset));
  return true;
}

std::optional<SkLayout> LocateSk(ByteView datagram) {
  auto peeked = PeekHeader(datagram);
  if (!peeked || peeked->length != datagram.size()) return std::nullopt;
  Reader r(datagram.subspan(kHeaderSize));
  uint8_t type = peeked->next_payload;
  for (size_t n = 0; n < kMaxPayloads && type != 0; ++n) {
    size_t start = kHeaderSize + r.offset();
    uint8_t next = 0, flags = 0;
    uint16_t length = 0;
    if (!r.ReadU8(next) || !r.ReadU8(flags) || !r.ReadU16(length) ||
        length < kGenericHeaderSize || !r.Skip(length - kGenericHeaderSize)) {
      return std::nullopt;
    }
    if (type == static_cast<uint8_t>(PayloadType::kSk)) {
      return SkLayout{start, start + kGenericHeaderSize};
    }
    if (type == static_cast<uint8_t>(PayloadType::kSkf)) {
      if (length < kGenericHeaderSize + kSkfFixedSize) return std::nullopt;
      return SkLayout{start, start + kGenericHeaderSize + kSkfFixedSize};
    }
    type = next;
  }
  return std::nullopt;
}

}  // namespace ike::wire
