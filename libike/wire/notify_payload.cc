#include "libike/wire/notify_payload.h"

#include <string>

#include "libike/common/reader.h"
#include "libike/wire/codec_util.h"

namespace ike::wire {

using internal::Fail;

NotifyPayload NotifyPayload::ForChildSa(NotifyType type, ProtocolId protocol, uint32_t spi,
                                        Bytes data) {
  NotifyPayload n{protocol, {}, type, std::move(data)};
  Writer w(n.spi);
  w.WriteU32(spi);
  return n;
}

NotifyPayload NotifyPayload::SignatureHashAlgorithms(const std::vector<HashAlgorithm>& algs) {
  NotifyPayload n = Make(NotifyType::kSignatureHashAlgorithms);
  Writer w(n.data);
  for (HashAlgorithm a : algs) w.WriteU16(static_cast<uint16_t>(a));
  return n;
}

std::optional<std::vector<HashAlgorithm>> NotifyPayload::HashAlgorithms() const {
  if (data.size() % 2 != 0) return std::nullopt;
  std::vector<HashAlgorithm> out;
  for (size_t i = 0; i < data.size(); i += 2) {
    out.push_back(static_cast<HashAlgorithm>(data[i] << 8 | data[i + 1]));
  }
  return out;
}

NotifyPayload NotifyPayload::WithU16(NotifyType type, uint16_t value) {
  NotifyPayload n = Make(type);
  Writer(n.data).WriteU16(value);
  return n;
}

std::optional<uint16_t> NotifyPayload::DataAsU16() const {
  if (data.size() != 2) return std::nullopt;
  return static_cast<uint16_t>(data[0] << 8 | data[1]);
}

NotifyPayload NotifyPayloadForError(const DecodeError& error) {
  return NotifyPayload::Make(NotifyForError(error), NotifyDataForError(error));
}

std::optional<uint32_t> NotifyPayload::ChildSpi() const {
  if (spi.size() != 4) return std::nullopt;
  return uint32_t{spi[0]} << 24 | uint32_t{spi[1]} << 16 | uint32_t{spi[2]} << 8 | spi[3];
}

Result<NotifyPayload, DecodeError> DecodeNotifyBody(ByteView body) {
  Reader r(body);
  uint8_t protocol = 0, spi_size = 0;
  uint16_t type = 0;
  if (!r.ReadU8(protocol) || !r.ReadU8(spi_size) || !r.ReadU16(type)) {
    return Fail(DecodeErrorCode::kBadLength, "Notify body shorter than 4 octets");
  }
  if (spi_size != 0 && spi_size != 4 && spi_size != 8 && spi_size != 16) {
    return Fail(DecodeErrorCode::kInvalidSyntax, "Notify SPI size " + std::to_string(spi_size));
  }
  NotifyPayload n;
  n.protocol = static_cast<ProtocolId>(protocol);
  n.type = static_cast<NotifyType>(type);
  if (!r.ReadBytes(spi_size, n.spi)) {
    return Fail(DecodeErrorCode::kBadLength, "Notify SPI past payload end");
  }
  n.data.assign(r.rest().begin(), r.rest().end());
  return n;
}

void EncodeBody(const NotifyPayload& n, Writer& w) {
  w.WriteU8(static_cast<uint8_t>(n.protocol));
  w.WriteU8(static_cast<uint8_t>(n.spi.size()));
  w.WriteU16(static_cast<uint16_t>(n.type));
  w.WriteBytes(n.spi);
  w.WriteBytes(n.data);
}

Result<DeletePayload, DecodeError> DecodeDeleteBody(ByteView body) {
  Reader r(body);
  uint8_t protocol = 0, spi_size = 0;
  uint16_t num = 0;
  if (!r.ReadU8(protocol) || !r.ReadU8(spi_size) || !r.ReadU16(num)) {
    return Fail(DecodeErrorCode::kBadLength, "Delete body shorter than 4 octets");
  }
  DeletePayload d;
  d.protocol = static_cast<ProtocolId>(protocol);
  switch (d.protocol) {
    case ProtocolId::kIke:
      if (spi_size != 0 || num != 0) {
        return Fail(DecodeErrorCode::kInvalidSyntax, "Delete for IKE with SPIs");
      }
      break;
    case ProtocolId::kAh:
    case ProtocolId::kEsp:
      if (spi_size != 4) {
        return Fail(DecodeErrorCode::kInvalidSyntax,
                    "Delete SPI size " + std::to_string(spi_size) + " for AH/ESP (want 4)");
      }
      break;
    default:
      return Fail(DecodeErrorCode::kInvalidSyntax,
                  "Delete for protocol " + std::to_string(protocol));
  }
  if (size_t{num} * spi_size != r.remaining()) {
    return Fail(DecodeErrorCode::kBadLength, "Delete Num of SPIs does not match payload length");
  }
  if (num > kMaxDeleteSpis) return Fail(DecodeErrorCode::kTooManyItems, "too many SPIs in Delete");
  d.spis.reserve(num);
  for (uint16_t i = 0; i < num; ++i) {
    uint32_t spi = 0;
    r.ReadU32(spi);
    d.spis.push_back(spi);
  }
  return d;
}

void EncodeBody(const DeletePayload& d, Writer& w) {
  bool ike = d.protocol == ProtocolId::kIke;
  w.WriteU8(static_cast<uint8_t>(d.protocol));
  w.WriteU8(ike ? 0 : 4);
  w.WriteU16(ike ? 0 : static_cast<uint16_t>(d.spis.size()));
  if (!ike) {
    for (uint32_t spi : d.spis) w.WriteU32(spi);
  }
}

Result<VendorIdPayload, DecodeError> DecodeVendorIdBody(ByteView body) {
  return VendorIdPayload{Bytes(body.begin(), body.end())};
}

void EncodeBody(const VendorIdPayload& vid, Writer& w) { w.WriteBytes(vid.data); }

}  // namespace ike::wire
