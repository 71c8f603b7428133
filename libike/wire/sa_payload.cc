#include "libike/wire/sa_payload.h"

#include <string>

#include "libike/common/reader.h"
#include "libike/wire/codec_util.h"
#include "libike/wire/message.h"

namespace ike::wire {
namespace {

using internal::Fail;

constexpr uint8_t kLastSubstruc = 0;
constexpr uint8_t kMoreProposals = 2;
constexpr uint8_t kMoreTransforms = 3;
constexpr uint16_t kAttrFormatTv = 0x8000;
constexpr size_t kProposalFixedSize = 8;
constexpr size_t kTransformFixedSize = 8;

Result<TransformAttr, DecodeError> DecodeAttribute(Reader& r) {
  uint16_t type_af = 0, len_or_value = 0;
  if (!r.ReadU16(type_af) || !r.ReadU16(len_or_value)) {
    return Fail(DecodeErrorCode::kBadLength, "transform attribute header past transform end");
  }
  TransformAttr attr;
  attr.type = type_af & 0x7fff;
  if (type_af & kAttrFormatTv) {
    attr.format = TransformAttr::Format::kTv;
    attr.tv_value = len_or_value;
    return attr;
  }
  attr.format = TransformAttr::Format::kTlv;
  if (!r.ReadBytes(len_or_value, attr.tlv_value)) {
    return Fail(DecodeErrorCode::kBadLength, "TLV attribute length past transform end");
  }
  return attr;
}

Result<Transform, DecodeError> DecodeTransform(ByteView bytes) {
  Reader r(bytes);
  uint8_t type = 0, reserved = 0;
  uint16_t id = 0;
  r.Skip(4);  // last substruc, reserved, length: checked by the caller
  if (!r.ReadU8(type) || !r.ReadU8(reserved) || !r.ReadU16(id)) {
    return Fail(DecodeErrorCode::kBadLength, "transform shorter than 8 octets");
  }
  Transform t;
  t.type = static_cast<TransformType>(type);
  t.id = id;
  while (!r.empty()) {
    if (t.attributes.size() >= kMaxTransformAttributes) {
      return Fail(DecodeErrorCode::kTooManyItems, "too many transform attributes");
    }
    IKE_ASSIGN_OR_RETURN(TransformAttr attr, DecodeAttribute(r));
    t.attributes.push_back(std::move(attr));
  }
  return t;
}

Result<Proposal, DecodeError> DecodeProposal(ByteView bytes) {
  Reader r(bytes);
  r.Skip(4);  // checked by the caller
  uint8_t number = 0, protocol = 0, spi_size = 0, num_transforms = 0;
  if (!r.ReadU8(number) || !r.ReadU8(protocol) || !r.ReadU8(spi_size) ||
      !r.ReadU8(num_transforms)) {
    return Fail(DecodeErrorCode::kBadLength, "proposal shorter than 8 octets");
  }
  Proposal p;
  p.number = number;
  p.protocol = static_cast<ProtocolId>(protocol);
  if (spi_size != 0 && spi_size != 4 && spi_size != 8) {
    return Fail(DecodeErrorCode::kInvalidSyntax,
                "proposal SPI size " + std::to_string(spi_size) + " (want 0, 4 or 8)");
  }
  if (!r.ReadBytes(spi_size, p.spi)) {
    return Fail(DecodeErrorCode::kBadLength, "proposal SPI past proposal end");
  }
  if (num_transforms > kMaxTransforms) {
    return Fail(DecodeErrorCode::kTooManyItems, "too many transforms in proposal");
  }
  uint8_t last = kMoreTransforms;
  while (!r.empty()) {
    if (last == kLastSubstruc) {
      return Fail(DecodeErrorCode::kInvalidSyntax, "bytes after the last transform");
    }
    if (p.transforms.size() >= num_transforms) {
      return Fail(DecodeErrorCode::kInvalidSyntax,
                  "more transforms than Num Transforms (" + std::to_string(num_transforms) + ")");
    }
    ByteView rest = r.rest();
    uint8_t reserved = 0;
    uint16_t length = 0;
    if (!r.ReadU8(last) || !r.ReadU8(reserved) || !r.ReadU16(length)) {
      return Fail(DecodeErrorCode::kBadLength, "transform header past proposal end");
    }
    if (last != kLastSubstruc && last != kMoreTransforms) {
      return Fail(DecodeErrorCode::kInvalidSyntax,
                  "transform Last Substruc " + std::to_string(last) + " (want 0 or 3)");
    }
    if (length < kTransformFixedSize) {
      return Fail(DecodeErrorCode::kBadLength, "transform length below 8");
    }
    if (length > rest.size()) {
      return Fail(DecodeErrorCode::kBadLength, "transform length past proposal end");
    }
    IKE_ASSIGN_OR_RETURN(Transform t, DecodeTransform(rest.first(length)));
    p.transforms.push_back(std::move(t));
    r.Skip(length - 4);
  }
  if (p.transforms.size() != num_transforms) {
    return Fail(DecodeErrorCode::kInvalidSyntax,
                "proposal has " + std::to_string(p.transforms.size()) +
                    " transforms, Num Transforms says " + std::to_string(num_transforms));
  }
  if (num_transforms != 0 && last != kLastSubstruc) {
    return Fail(DecodeErrorCode::kInvalidSyntax, "last transform not marked last");
  }
  return p;
}

void EncodeAttribute(const TransformAttr& a, Writer& w) {
  if (a.format == TransformAttr::Format::kTv) {
    w.WriteU16(static_cast<uint16_t>(kAttrFormatTv | (a.type & 0x7fff)));
    w.WriteU16(a.tv_value);
  } else {
    w.WriteU16(a.type & 0x7fff);
    w.WriteU16(static_cast<uint16_t>(a.tlv_value.size()));
    w.WriteBytes(a.tlv_value);
  }
}

}  // namespace

std::optional<uint16_t> Transform::key_length() const {
  for (const TransformAttr& a : attributes) {
    if (a.type == static_cast<uint16_t>(TransformAttribute::kKeyLength) &&
        a.format == TransformAttr::Format::kTv) {
      return a.tv_value;
    }
  }
  return std::nullopt;
}

Result<SaPayload, DecodeError> DecodeSaBody(ByteView body) {
  SaPayload sa;
  Reader r(body);
  if (r.empty()) return Fail(DecodeErrorCode::kInvalidSyntax, "SA without proposals");
  uint8_t last = kMoreProposals;
  while (!r.empty()) {
    if (last == kLastSubstruc) {
      return Fail(DecodeErrorCode::kInvalidSyntax, "bytes after the last proposal");
    }
    if (sa.proposals.size() >= kMaxProposals) {
      return Fail(DecodeErrorCode::kTooManyItems, "too many proposals");
    }
    ByteView rest = r.rest();
    uint8_t reserved = 0;
    uint16_t length = 0;
    if (!r.ReadU8(last) || !r.ReadU8(reserved) || !r.ReadU16(length)) {
      return Fail(DecodeErrorCode::kBadLength, "proposal header past SA end");
    }
    if (last != kLastSubstruc && last != kMoreProposals) {
      return Fail(DecodeErrorCode::kInvalidSyntax,
                  "proposal Last Substruc " + std::to_string(last) + " (want 0 or 2)");
    }
    if (length < kProposalFixedSize) {
      return Fail(DecodeErrorCode::kBadLength, "proposal length below 8");
    }
    if (length > rest.size()) {
      return Fail(DecodeErrorCode::kBadLength, "proposal length past SA end");
    }
    IKE_ASSIGN_OR_RETURN(Proposal p, DecodeProposal(rest.first(length)));
    sa.proposals.push_back(std::move(p));
    r.Skip(length - 4);
  }
  if (last != kLastSubstruc) {
    return Fail(DecodeErrorCode::kInvalidSyntax, "last proposal not marked last");
  }
  return sa;
}

void EncodeBody(const SaPayload& sa, Writer& w) {
  for (size_t i = 0; i < sa.proposals.size(); ++i) {
    const Proposal& p = sa.proposals[i];
    size_t start = w.size();
    w.WriteU8(i + 1 == sa.proposals.size() ? kLastSubstruc : kMoreProposals);
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
      w.WriteU8(j + 1 == p.transforms.size() ? kLastSubstruc : kMoreTransforms);
      w.WriteU8(0);
      w.WriteU16(0);  // patched
      w.WriteU8(static_cast<uint8_t>(t.type));
      w.WriteU8(0);
      w.WriteU16(t.id);
      for (const TransformAttr& a : t.attributes) EncodeAttribute(a, w);
      w.PatchU16(tstart + 2, static_cast<uint16_t>(w.size() - tstart));
    }
    w.PatchU16(start + 2, static_cast<uint16_t>(w.size() - start));
  }
}

}  // namespace ike::wire
