// Notify (RFC 7296 3.10), Delete (3.11) and Vendor ID (3.12) payloads.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "libike/common/bytes.h"
#include "libike/common/ike_types.h"
#include "libike/common/result.h"
#include "libike/common/writer.h"
#include "libike/wire/decode_error.h"
#include "libike/wire/payload_type.h"

namespace ike::wire {

// Notify payload (RFC 7296 3.10).
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Next Payload  |C|  RESERVED   |         Payload Length        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |  Protocol ID  |   SPI Size    |      Notify Message Type      |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                Security Parameter Index (SPI)                 ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                       Notification Data                       ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// Protocol ID is 0 (or 1) with an empty SPI for IKE SA notifications, 2/3
// with a 4-octet SPI for CHILD SAs. SPI sizes other than 0, 4, 8 and 16
// (some peers put both IKE SPIs in) are kInvalidSyntax. Unknown notify types
// decode fine: the caller ignores unknown status types and treats unknown
// error types as fatal (RFC 7296 3.10.1).
struct NotifyPayload {
  ProtocolId protocol = ProtocolId::kNone;
  Bytes spi;
  NotifyType type = NotifyType::kInitialContact;
  Bytes data;

  static NotifyPayload Make(NotifyType type, Bytes data = {}) {
    return {ProtocolId::kNone, {}, type, std::move(data)};
  }
  // A notify about a CHILD SA (REKEY_SA, CHILD_SA_NOT_FOUND...).
  static NotifyPayload ForChildSa(NotifyType type, ProtocolId protocol, uint32_t spi,
                                  Bytes data = {});
  // SIGNATURE_HASH_ALGORITHMS (RFC 7427): a list of 16-bit hash ids.
  static NotifyPayload SignatureHashAlgorithms(const std::vector<HashAlgorithm>& algs);
  // The list in a SIGNATURE_HASH_ALGORITHMS notify (nullopt: odd length).
  std::optional<std::vector<HashAlgorithm>> HashAlgorithms() const;
  // A notify whose data is one 16-bit value (INVALID_KE_PAYLOAD: the group).
  static NotifyPayload WithU16(NotifyType type, uint16_t value);
  // The data as one 16-bit value, if it is exactly 2 octets.
  std::optional<uint16_t> DataAsU16() const;
  // The 4-octet SPI as a number (REKEY_SA, CHILD_SA_NOT_FOUND...), else nullopt.
  std::optional<uint32_t> ChildSpi() const;
  friend bool operator==(const NotifyPayload&, const NotifyPayload&) = default;
};

// Delete payload (RFC 7296 3.11).
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Next Payload  |C|  RESERVED   |         Payload Length        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Protocol ID   |   SPI Size    |          Num of SPIs          |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~               Security Parameter Index(es) (SPI)              ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// IKE (protocol 1): SPI Size 0 and no SPIs (the IKE SA of the message).
// AH/ESP (2/3): SPI Size 4 and up to kMaxDeleteSpis SPIs. Num of SPIs * SPI Size
// must equal the remaining body (else kBadLength).
inline constexpr size_t kMaxDeleteSpis = 256;
struct DeletePayload {
  ProtocolId protocol = ProtocolId::kEsp;
  std::vector<uint32_t> spis;  // empty for protocol kIke
  friend bool operator==(const DeletePayload&, const DeletePayload&) = default;
};

// Vendor ID payload (RFC 7296 3.12).
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Next Payload  |C|  RESERVED   |         Payload Length        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                        Vendor ID (VID)                        ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
struct VendorIdPayload {
  Bytes data;
  friend bool operator==(const VendorIdPayload&, const VendorIdPayload&) = default;
};

// The error notify answering a request that failed to decode
// (NotifyForError + NotifyDataForError).
NotifyPayload NotifyPayloadForError(const DecodeError& error);

Result<NotifyPayload, DecodeError> DecodeNotifyBody(ByteView body);
void EncodeBody(const NotifyPayload& notify, Writer& w);
Result<DeletePayload, DecodeError> DecodeDeleteBody(ByteView body);
void EncodeBody(const DeletePayload& del, Writer& w);
Result<VendorIdPayload, DecodeError> DecodeVendorIdBody(ByteView body);
void EncodeBody(const VendorIdPayload& vid, Writer& w);

}  // namespace ike::wire
