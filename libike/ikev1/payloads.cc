#include "libike/ikev1/payloads.h"

#include <string>

#include "libike/common/reader.h"
#include "libike/wire/codec_util.h"

namespace ike::v1 {
namespace {

using wire::internal::Fail;

constexpr uint16_t kAttrFormatTv = 0x8000;
constexpr uint8_t kNextProposal = static_cast<uint8_t>(PayloadType::kProposal);
constexpr uint8_t kNextTransform = static_cast<uint8_t>(PayloadType::kTransform);
constexpr uint8_t kLast = 0;
constexpr size_t kProposalFixedSize = 8;
constexpr size_t kTransformFixedSize = 8;

Result<DataAttribute, DecodeError> DecodeAttribute(Reader& r, const char* where) {
  uint16_t type_af = 0, len_or_value = 0;
  if (!r.ReadU16(type_af) || !r.ReadU16(len_or_value)) {
    return Fail(DecodeErrorCode::kBadLength, std::string("attribute header past ") + where);
  }
  DataAttribute a;
  a.type = type_af & 0x7fff;
  if (type_af & kAttrFormatTv) {
    a.format = DataAttribute::Format::kTv;
    a.tv_value = len_or_value;
    return a;
  }
  a.format = DataAttribute::Format::kTlv;
  if (!r.ReadBytes(len_or_value, a.tlv_value)) {
    return Fail(DecodeErrorCode::kBadLength, std::string("TLV attribute length past ") + where);
  }
  return a;
}

// Attributes until the reader is empty, at most `max`.
Result<std::vector<DataAttribute>, DecodeError> DecodeAttributes(Reader& r, size_t max,
                                                                 const char* where) {
  std::vector<DataAttribute> out;
  while (!r.empty()) {
    if (out.size() >= max) {
      return Fail(DecodeErrorCode::kTooManyItems,
                  std::string("more than ") + std::to_string(max) + " attributes in " + where);
    }
    IKE_ASSIGN_OR_RETURN(DataAttribute a, DecodeAttribute(r, where));
    out.push_back(std::move(a));
  }
  return out;
}

void EncodeAttribute(const DataAttribute& a, Writer& w) {
  if (a.format == DataAttribute::Format::kTv) {
    w.WriteU16(static_cast<uint16_t>(kAttrFormatTv | (a.type & 0x7fff)));
    w.WriteU16(a.tv_value);
  } else {
    w.WriteU16(a.type & 0x7fff);
    w.WriteU16(static_cast<uint16_t>(a.tlv_value.size()));
    w.WriteBytes(a.tlv_value);
  }
}

// A Proposal or Transform generic header inside its container; `body` gets
// the bytes after it. `more` is the Next Payload value that links siblings.
Result<ByteView, DecodeError> ReadSubHeader(Reader& r, uint8_t more, size_t min_length,
                                            const char* what, const char* container,
                                            uint8_t& next) {
  uint8_t reserved = 0;
  uint16_t length = 0;
  if (!r.ReadU8(next) || !r.ReadU8(reserved) || !r.ReadU16(length)) {
    return Fail(DecodeErrorCode::kBadLength,
                std::string(what) + " header past " + container + " end");
  }
  if (next != kLast && next != more) {
    return Fail(DecodeErrorCode::kInvalidSyntax, std::string(what) + " Next Payload " +
                                                     std::to_string(next) + " (want 0 or " +
                                                     std::to_string(more) + ")");
  }
  if (length < min_length) {
    return Fail(DecodeErrorCode::kBadLength, std::string(what) + " length " +
                                                 std::to_string(length) + " below " +
                                                 std::to_string(min_length));
  }
  ByteView body;
  if (!r.ReadBytes(length - kGenericHeaderSize, body)) {
    return Fail(DecodeErrorCode::kBadLength,
                std::string(what) + " length past " + container + " end");
  }
  return body;
}

Result<Transform, DecodeError> DecodeTransform(ByteView body) {
  Reader r(body);
  Transform t;
  uint16_t reserved2 = 0;
  if (!r.ReadU8(t.number) || !r.ReadU8(t.id) || !r.ReadU16(reserved2)) {
    return Fail(DecodeErrorCode::kBadLength, "transform shorter than 8 octets");
  }
  IKE_ASSIGN_OR_RETURN(t.attributes, DecodeAttributes(r, kMaxSaAttributes, "transform"));
  return t;
}

bool ValidProposalSpiSize(ProtocolId protocol, uint8_t size) {
  switch (protocol) {
    case ProtocolId::kIsakmp: return size == 0 || size == 16;
    case ProtocolId::kAh:
    case ProtocolId::kEsp: return size == 4;
    case ProtocolId::kIpcomp: return size == 2 || size == 4;
    case ProtocolId::kReserved: break;
  }
  return size <= kMaxSpiSize;  // unknown protocol: any plausible size
}

Result<Proposal, DecodeError> DecodeProposal(ByteView body) {
  Reader r(body);
  Proposal p;
  uint8_t protocol = 0, spi_size = 0, num_transforms = 0;
  if (!r.ReadU8(p.number) || !r.ReadU8(protocol) || !r.ReadU8(spi_size) ||
      !r.ReadU8(num_transforms)) {
    return Fail(DecodeErrorCode::kBadLength, "proposal shorter than 8 octets");
  }
  p.protocol = static_cast<ProtocolId>(protocol);
  if (!ValidProposalSpiSize(p.protocol, spi_size)) {
    return Fail(DecodeErrorCode::kInvalidSyntax, "proposal SPI size " + std::to_string(spi_size) +
                                                     " for protocol " + std::to_string(protocol));
  }
  if (!r.ReadBytes(spi_size, p.spi)) {
    return Fail(DecodeErrorCode::kBadLength, "proposal SPI past proposal end");
  }
  if (num_transforms == 0) {
    return Fail(DecodeErrorCode::kInvalidSyntax, "proposal without transforms");
  }
  if (num_transforms > kMaxTransforms) {
    return Fail(DecodeErrorCode::kTooManyItems, "too many transforms in proposal");
  }
  uint8_t next = kNextTransform;
  while (!r.empty()) {
    if (next == kLast) {
      return Fail(DecodeErrorCode::kInvalidSyntax, "bytes after the last transform");
    }
    if (p.transforms.size() >= num_transforms) {
      return Fail(DecodeErrorCode::kInvalidSyntax, "more transforms than # of Transforms (" +
                                                       std::to_string(num_transforms) + ")");
    }
    IKE_ASSIGN_OR_RETURN(ByteView tbody, ReadSubHeader(r, kNextTransform, kTransformFixedSize,
                                                       "transform", "proposal", next));
    IKE_ASSIGN_OR_RETURN(Transform t, DecodeTransform(tbody));
    p.transforms.push_back(std::move(t));
  }
  if (p.transforms.size() != num_transforms) {
    return Fail(DecodeErrorCode::kInvalidSyntax,
                "proposal has " + std::to_string(p.transforms.size()) +
                    " transforms, # of Transforms says " + std::to_string(num_transforms));
  }
  if (next != kLast) {
    return Fail(DecodeErrorCode::kInvalidSyntax, "last transform links to another");
  }
  return p;
}

Result<Bytes, DecodeError> NonEmpty(ByteView body, const char* what) {
  if (body.empty()) return Fail(DecodeErrorCode::kInvalidSyntax, std::string("empty ") + what);
  return Bytes(body.begin(), body.end());
}

size_t IdDataSize(IdType type) {
  switch (type) {
    case IdType::kIpv4Addr: return 4;
    case IdType::kIpv4AddrSubnet:
    case IdType::kIpv4AddrRange: return 8;
    case IdType::kIpv6Addr: return 16;
    case IdType::kIpv6AddrSubnet:
    case IdType::kIpv6AddrRange: return 32;
    default: return 0;  // variable
  }
}

}  // namespace

DataAttribute DataAttribute::Integer(uint16_t type, uint64_t value) {
  if (value <= 0xffff) return Tv(type, static_cast<uint16_t>(value));
  size_t n = value <= 0xffffffffull ? 4 : 8;
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[n - 1 - i] = static_cast<uint8_t>(value >> (8 * i));
  return Tlv(type, std::move(b));
}

std::optional<uint64_t> DataAttribute::IntegerValue() const {
  if (format == Format::kTv) return tv_value;
  if (tlv_value.empty() || tlv_value.size() > 8) return std::nullopt;
  uint64_t v = 0;
  for (uint8_t b : tlv_value) v = v << 8 | b;
  return v;
}

const DataAttribute* FindAttribute(const std::vector<DataAttribute>& attributes, uint16_t type) {
  for (const DataAttribute& a : attributes) {
    if (a.type == type) return &a;
  }
  return nullptr;
}

IdPayload IdPayload::Fqdn(std::string_view name) {
  ByteView v = AsBytes(name);
  return Make(IdType::kFqdn, Bytes(v.begin(), v.end()));
}

IdPayload IdPayload::UserFqdn(std::string_view name) {
  ByteView v = AsBytes(name);
  return Make(IdType::kUserFqdn, Bytes(v.begin(), v.end()));
}

Result<SaPayload, DecodeError> DecodeSaBody(ByteView body) {
  Reader r(body);
  SaPayload sa;
  if (!r.ReadU32(sa.doi) || !r.ReadU32(sa.situation)) {
    return Fail(DecodeErrorCode::kBadLength, "SA shorter than DOI + situation");
  }
  if (sa.doi == kDoiIpsec && (sa.situation & (kSitSecrecy | kSitIntegrity)) != 0) {
    return Fail(DecodeErrorCode::kInvalidSyntax, "labeled situation (secrecy/integrity) unsupported");
  }
  if (r.empty()) return Fail(DecodeErrorCode::kInvalidSyntax, "SA without proposals");
  uint8_t next = kNextProposal;
  while (!r.empty()) {
    if (next == kLast) {
      return Fail(DecodeErrorCode::kInvalidSyntax, "bytes after the last proposal");
    }
    if (sa.proposals.size() >= kMaxProposals) {
      return Fail(DecodeErrorCode::kTooManyItems, "too many proposals");
    }
    IKE_ASSIGN_OR_RETURN(ByteView pbody, ReadSubHeader(r, kNextProposal, kProposalFixedSize,
                                                       "proposal", "SA", next));
    IKE_ASSIGN_OR_RETURN(Proposal p, DecodeProposal(pbody));
    if (!sa.proposals.empty() && p.number < sa.proposals.back().number) {
      return Fail(DecodeErrorCode::kInvalidSyntax, "proposal numbers decrease");
    }
    sa.proposals.push_back(std::move(p));
  }
  if (next != kLast) {
    return Fail(DecodeErrorCode::kInvalidSyntax, "last proposal links to another");
  }
  return sa;
}

void EncodeBody(const SaPayload& sa, Writer& w) {
  w.WriteU32(sa.doi);
  w.WriteU32(sa.situation);
  for (size_t i = 0; i < sa.proposals.size(); ++i) {
    const Proposal& p = sa.proposals[i];
    size_t start = w.size();
    w.WriteU8(i + 1 == sa.proposals.size() ? kLast : kNextProposal);
    w.WriteU8(0);
    w.WriteU16(0);  // patched
    w.WriteU8(p.number);
    w.WriteU8(static_cast<uint8_t>(p.protocol));
    w.WriteU8(static_cast<uint8_t>(p.spi.size()));
    w.WriteU8(static_cast<uint8_t>(p.transforms.size()));
    w.WriteBytes(p.spi);
    for (size_t j = 0; j < p.transforms.size(); ++j) {
      const Transform& t = p.transforms[j];
      size_t tstart = w.size();
      w.WriteU8(j + 1 == p.transforms.size() ? kLast : kNextTransform);
      w.WriteU8(0);
      w.WriteU16(0);  // patched
      w.WriteU8(t.number);
      w.WriteU8(t.id);
      w.WriteU16(0);
      for (const DataAttribute& a : t.attributes) EncodeAttribute(a, w);
      w.PatchU16(tstart + 2, static_cast<uint16_t>(w.size() - tstart));
    }
    w.PatchU16(start + 2, static_cast<uint16_t>(w.size() - start));
  }
}

Result<KePayload, DecodeError> DecodeKeBody(ByteView body) {
  IKE_ASSIGN_OR_RETURN(Bytes data, NonEmpty(body, "key exchange data"));
  return KePayload{std::move(data)};
}
void EncodeBody(const KePayload& p, Writer& w) { w.WriteBytes(p.data); }

Result<HashPayload, DecodeError> DecodeHashBody(ByteView body) {
  IKE_ASSIGN_OR_RETURN(Bytes data, NonEmpty(body, "hash"));
  return HashPayload{std::move(data)};
}
void EncodeBody(const HashPayload& p, Writer& w) { w.WriteBytes(p.data); }

Result<SigPayload, DecodeError> DecodeSigBody(ByteView body) {
  IKE_ASSIGN_OR_RETURN(Bytes data, NonEmpty(body, "signature"));
  return SigPayload{std::move(data)};
}
void EncodeBody(const SigPayload& p, Writer& w) { w.WriteBytes(p.data); }

Result<NoncePayload, DecodeError> DecodeNonceBody(ByteView body) {
  if (body.size() < kMinNonce || body.size() > kMaxNonce) {
    return Fail(DecodeErrorCode::kInvalidSyntax,
                "nonce of " + std::to_string(body.size()) + " octets (want 8..256)");
  }
  return NoncePayload{Bytes(body.begin(), body.end())};
}
void EncodeBody(const NoncePayload& p, Writer& w) { w.WriteBytes(p.data); }

Result<VendorIdPayload, DecodeError> DecodeVendorIdBody(ByteView body) {
  return VendorIdPayload{Bytes(body.begin(), body.end())};
}
void EncodeBody(const VendorIdPayload& p, Writer& w) { w.WriteBytes(p.data); }

Result<IdPayload, DecodeError> DecodeIdBody(ByteView body) {
  Reader r(body);
  IdPayload id;
  uint8_t type = 0;
  if (!r.ReadU8(type) || !r.ReadU8(id.protocol) || !r.ReadU16(id.port)) {
    return Fail(DecodeErrorCode::kBadLength, "ID shorter than 4 octets");
  }
  if (type < static_cast<uint8_t>(IdType::kIpv4Addr) || type > static_cast<uint8_t>(IdType::kKeyId)) {
    return Fail(DecodeErrorCode::kInvalidSyntax, "unknown ID type " + std::to_string(type));
  }
  id.type = static_cast<IdType>(type);
  ByteView data = r.rest();
  size_t want = IdDataSize(id.type);
  if (want != 0 && data.size() != want) {
    return Fail(DecodeErrorCode::kInvalidSyntax, "ID type " + std::to_string(type) + " with " +
                                                     std::to_string(data.size()) +
                                                     " octets (want " + std::to_string(want) + ")");
  }
  if (data.empty()) return Fail(DecodeErrorCode::kInvalidSyntax, "empty identification data");
  id.data.assign(data.begin(), data.end());
  return id;
}
void EncodeBody(const IdPayload& p, Writer& w) {
  w.WriteU8(static_cast<uint8_t>(p.type));
  w.WriteU8(p.protocol);
  w.WriteU16(p.port);
  w.WriteBytes(p.data);
}

Result<CertPayload, DecodeError> DecodeCertBody(ByteView body) {
  Reader r(body);
  uint8_t encoding = 0;
  if (!r.ReadU8(encoding)) return Fail(DecodeErrorCode::kBadLength, "CERT without encoding");
  IKE_ASSIGN_OR_RETURN(Bytes data, NonEmpty(r.rest(), "certificate data"));
  return CertPayload{static_cast<CertEncoding>(encoding), std::move(data)};
}
void EncodeBody(const CertPayload& p, Writer& w) {
  w.WriteU8(static_cast<uint8_t>(p.encoding));
  w.WriteBytes(p.data);
}

Result<CertReqPayload, DecodeError> DecodeCertReqBody(ByteView body) {
  Reader r(body);
  uint8_t encoding = 0;
  if (!r.ReadU8(encoding)) return Fail(DecodeErrorCode::kBadLength, "CR without type");
  ByteView rest = r.rest();
  return CertReqPayload{static_cast<CertEncoding>(encoding), Bytes(rest.begin(), rest.end())};
}
void EncodeBody(const CertReqPayload& p, Writer& w) {
  w.WriteU8(static_cast<uint8_t>(p.encoding));
  w.WriteBytes(p.authority);
}

Result<NotifyPayload, DecodeError> DecodeNotifyBody(ByteView body) {
  Reader r(body);
  NotifyPayload n;
  uint8_t protocol = 0, spi_size = 0;
  uint16_t type = 0;
  if (!r.ReadU32(n.doi) || !r.ReadU8(protocol) || !r.ReadU8(spi_size) || !r.ReadU16(type)) {
    return Fail(DecodeErrorCode::kBadLength, "notification shorter than 8 octets");
  }
  if (spi_size > kMaxSpiSize) {
    return Fail(DecodeErrorCode::kInvalidSyntax,
                "notification SPI size " + std::to_string(spi_size) + " (max 16)");
  }
  if (!r.ReadBytes(spi_size, n.spi)) {
    return Fail(DecodeErrorCode::kBadLength, "notification SPI past payload end");
  }
  n.protocol = static_cast<ProtocolId>(protocol);
  n.type = static_cast<NotifyType>(type);
  ByteView rest = r.rest();
  n.data.assign(rest.begin(), rest.end());
  return n;
}
void EncodeBody(const NotifyPayload& p, Writer& w) {
  w.WriteU32(p.doi);
  w.WriteU8(static_cast<uint8_t>(p.protocol));
  w.WriteU8(static_cast<uint8_t>(p.spi.size()));
  w.WriteU16(static_cast<uint16_t>(p.type));
  w.WriteBytes(p.spi);
  w.WriteBytes(p.data);
}

Result<DeletePayload, DecodeError> DecodeDeleteBody(ByteView body) {
  Reader r(body);
  DeletePayload d;
  uint8_t protocol = 0;
  uint16_t count = 0;
  if (!r.ReadU32(d.doi) || !r.ReadU8(protocol) || !r.ReadU8(d.spi_size) || !r.ReadU16(count)) {
    return Fail(DecodeErrorCode::kBadLength, "delete shorter than 8 octets");
  }
  d.protocol = static_cast<ProtocolId>(protocol);
  if (d.spi_size == 0 || d.spi_size > kMaxSpiSize) {
    return Fail(DecodeErrorCode::kInvalidSyntax,
                "delete SPI size " + std::to_string(d.spi_size) + " (want 1..16)");
  }
  if (count == 0) return Fail(DecodeErrorCode::kInvalidSyntax, "delete without SPIs");
  if (count > kMaxDeleteSpis) return Fail(DecodeErrorCode::kTooManyItems, "too many SPIs in delete");
  if (r.remaining() != size_t{count} * d.spi_size) {
    return Fail(DecodeErrorCode::kBadLength,
                std::to_string(count) + " SPIs of " + std::to_string(d.spi_size) + " octets in " +
                    std::to_string(r.remaining()) + " octets");
  }
  d.spis.resize(count);
  for (Bytes& spi : d.spis) r.ReadBytes(d.spi_size, spi);
  return d;
}
void EncodeBody(const DeletePayload& p, Writer& w) {
  w.WriteU32(p.doi);
  w.WriteU8(static_cast<uint8_t>(p.protocol));
  w.WriteU8(p.spi_size);
  w.WriteU16(static_cast<uint16_t>(p.spis.size()));
  for (const Bytes& spi : p.spis) w.WriteBytes(spi);
}

Result<NatDPayload, DecodeError> DecodeNatDBody(bool draft, ByteView body) {
  IKE_ASSIGN_OR_RETURN(Bytes hash, NonEmpty(body, "NAT-D hash"));
  return NatDPayload{std::move(hash), draft};
}
void EncodeBody(const NatDPayload& p, Writer& w) { w.WriteBytes(p.hash); }

Result<NatOaPayload, DecodeError> DecodeNatOaBody(bool draft, ByteView body) {
  Reader r(body);
  uint8_t type = 0;
  if (!r.ReadU8(type) || !r.Skip(3)) return Fail(DecodeErrorCode::kBadLength, "NAT-OA shorter than 4 octets");
  size_t want = type == static_cast<uint8_t>(IdType::kIpv4Addr)   ? 4
                : type == static_cast<uint8_t>(IdType::kIpv6Addr) ? 16
                                                                  : 0;
  if (want == 0) {
    return Fail(DecodeErrorCode::kInvalidSyntax, "NAT-OA ID type " + std::to_string(type));
  }
  if (r.remaining() != want) {
    return Fail(DecodeErrorCode::kInvalidSyntax, "NAT-OA address of " +
                                                     std::to_string(r.remaining()) + " octets");
  }
  ByteView rest = r.rest();
  return NatOaPayload{static_cast<IdType>(type), Bytes(rest.begin(), rest.end()), draft};
}
void EncodeBody(const NatOaPayload& p, Writer& w) {
  w.WriteU8(static_cast<uint8_t>(p.type));
  w.WriteZeros(3);
  w.WriteBytes(p.address);
}

Result<AttributePayload, DecodeError> DecodeAttributeBody(ByteView body) {
  Reader r(body);
  AttributePayload a;
  uint8_t type = 0, reserved = 0;
  if (!r.ReadU8(type) || !r.ReadU8(reserved) || !r.ReadU16(a.identifier)) {
    return Fail(DecodeErrorCode::kBadLength, "attribute payload shorter than 4 octets");
  }
  if (type < static_cast<uint8_t>(CfgType::kRequest) || type > static_cast<uint8_t>(CfgType::kAck)) {
    return Fail(DecodeErrorCode::kInvalidSyntax, "attribute payload type " + std::to_string(type));
  }
  a.type = static_cast<CfgType>(type);
  IKE_ASSIGN_OR_RETURN(a.attributes, DecodeAttributes(r, kMaxCfgAttributes, "attribute payload"));
  return a;
}
void EncodeBody(const AttributePayload& p, Writer& w) {
  w.WriteU8(static_cast<uint8_t>(p.type));
  w.WriteU8(0);
  w.WriteU16(p.identifier);
  for (const DataAttribute& a : p.attributes) EncodeAttribute(a, w);
}

}  // namespace ike::v1
