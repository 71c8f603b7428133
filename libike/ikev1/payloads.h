// ISAKMP payload bodies (RFC 2408 3.4-3.16, RFC 2407 4.6, RFC 3947 3-4,
// draft-dukes-ike-mode-cfg 3.2): one struct per payload type, each with a
// decoder for the body after the 4-octet generic payload header and an
// encoder that is its exact inverse.
//
// Generic payload header (RFC 2408 3.2), in front of every payload and of
// every Proposal and Transform inside an SA:
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ! Next Payload  !   RESERVED    !         Payload Length        !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// IKEv1 has no critical bit: RESERVED is ignored on input, 0 on output.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "libike/common/bytes.h"
#include "libike/common/result.h"
#include "libike/common/writer.h"
#include "libike/ikev1/ikev1_types.h"
#include "libike/wire/decode_error.h"

namespace ike::v1 {

using wire::DecodeError;
using wire::DecodeErrorCode;

inline constexpr size_t kGenericHeaderSize = 4;

// Limits that bound allocation on hostile input.
inline constexpr size_t kMaxPayloads = 64;         // per chain
inline constexpr size_t kMaxProposals = 64;        // per SA
inline constexpr size_t kMaxTransforms = 64;       // per proposal
inline constexpr size_t kMaxSaAttributes = 32;     // per transform
inline constexpr size_t kMaxCfgAttributes = 256;   // per Attribute payload
inline constexpr size_t kMaxDeleteSpis = 256;      // per Delete payload

// Data attribute (RFC 2408 3.3): SA attributes and Mode Config / XAuth
// attributes share this format.
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// !A!       Attribute Type        !    AF=0  Attribute Length     !
// !F!                             !    AF=1  Attribute Value      !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// .                   AF=0  Attribute Value                       .
// .                   AF=1  Not Transmitted                       .
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// AF=1 is the basic form (TV), AF=0 the variable form (TLV). Unknown types
// are kept as they are.
struct DataAttribute {
  enum class Format : uint8_t { kTv, kTlv };
  uint16_t type = 0;  // 15 bits, without the AF bit
  Format format = Format::kTv;
  uint16_t tv_value = 0;  // format == kTv
  Bytes tlv_value;        // format == kTlv

  static DataAttribute Tv(uint16_t type, uint16_t value) { return {type, Format::kTv, value, {}}; }
  static DataAttribute Tlv(uint16_t type, Bytes value) {
    return {type, Format::kTlv, 0, std::move(value)};
  }
  // A number: TV if it fits 16 bits, else TLV of 4 (or 8) octets, the way a
  // Life Duration is sent (RFC 2409 appendix A: variable length).
  static DataAttribute Integer(uint16_t type, uint64_t value);
  // The numeric value of a TV attribute or of a TLV of 1..8 octets.
  std::optional<uint64_t> IntegerValue() const;
  friend bool operator==(const DataAttribute&, const DataAttribute&) = default;
};

// The first attribute of `type`, or nullptr.
const DataAttribute* FindAttribute(const std::vector<DataAttribute>& attributes, uint16_t type);

// Transform payload (RFC 2408 3.6).
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ! Next Payload  !   RESERVED    !         Payload Length        !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// !  Transform #  !  Transform-Id !           RESERVED2           !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                        SA Attributes                          ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// Next Payload: 3 (Transform) or 0 for the last one.
struct Transform {
  uint8_t number = 1;
  uint8_t id = 0;  // KEY_IKE for ISAKMP, EspTransform / AhTransform, IPCOMP id
  std::vector<DataAttribute> attributes;  // Phase1Attr or IpsecAttr types

  const DataAttribute* Find(uint16_t type) const { return FindAttribute(attributes, type); }
  friend bool operator==(const Transform&, const Transform&) = default;
};

// Proposal payload (RFC 2408 3.5).
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ! Next Payload  !   RESERVED    !         Payload Length        !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// !  Proposal #   !  Protocol-Id  !    SPI Size   !# of Transforms!
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                        SPI (variable)                         ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// Next Payload: 2 (Proposal) or 0 for the last one. Proposals sharing a
// number are one AND-ed suite (e.g. AH + ESP); numbers must not decrease.
// SPI size 0 or 16 (ISAKMP), 4 (AH/ESP), 2 or 4 (IPCOMP CPI); others are
// rejected. At least one transform.
struct Proposal {
  uint8_t number = 1;
  ProtocolId protocol = ProtocolId::kIsakmp;
  Bytes spi;
  std::vector<Transform> transforms;
  friend bool operator==(const Proposal&, const Proposal&) = default;
};

// Security Association payload (RFC 2408 3.4, RFC 2407 4.6.1).
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// !                Domain of Interpretation  (DOI)                !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// !                           Situation                           !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                    Proposal payloads ...                      ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// The situation is the 32-bit IPsec DOI bitmap; labeled situations
// (SIT_SECRECY / SIT_INTEGRITY, which append label fields) are rejected.
struct SaPayload {
  uint32_t doi = kDoiIpsec;
  uint32_t situation = kSitIdentityOnly;
  std::vector<Proposal> proposals;  // at least one
  friend bool operator==(const SaPayload&, const SaPayload&) = default;
};

// Key Exchange (3.7), Hash (3.11), Signature (3.12), Nonce (3.13), Vendor
// ID (3.16): the body is the data. KE, Hash and Signature must not be empty;
// a Nonce is 8..256 octets (RFC 2409 5).
struct KePayload {
  Bytes data;
  friend bool operator==(const KePayload&, const KePayload&) = default;
};
struct HashPayload {
  Bytes data;
  friend bool operator==(const HashPayload&, const HashPayload&) = default;
};
struct SigPayload {
  Bytes data;
  friend bool operator==(const SigPayload&, const SigPayload&) = default;
};
struct NoncePayload {
  Bytes data;
  friend bool operator==(const NoncePayload&, const NoncePayload&) = default;
};
struct VendorIdPayload {
  Bytes data;
  friend bool operator==(const VendorIdPayload&, const VendorIdPayload&) = default;
};
inline constexpr size_t kMinNonce = 8;
inline constexpr size_t kMaxNonce = 256;

// Identification payload, IPsec DOI form (RFC 2407 4.6.2).
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// !   ID Type     !  Protocol ID  !             Port              !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                     Identification Data                       ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// Phase 1 identities and Quick Mode client IDs (IDci, IDcr: by order) use
// the same payload. Data sizes are checked: 4 (IPV4_ADDR), 8 (IPv4 subnet
// or range: address + mask / start + end), 16, 32 for IPv6; other types
// need at least one octet. Types outside 1..11 are rejected.
struct IdPayload {
  IdType type = IdType::kIpv4Addr;
  uint8_t protocol = 0;  // IP protocol, 0 = any
  uint16_t port = 0;     // 0 = any
  Bytes data;

  static IdPayload Make(IdType type, Bytes data) { return {type, 0, 0, std::move(data)}; }
  static IdPayload Fqdn(std::string_view name);
  static IdPayload UserFqdn(std::string_view name);
  friend bool operator==(const IdPayload&, const IdPayload&) = default;
};

// Certificate (RFC 2408 3.9): encoding + data (non-empty).
// Certificate Request (3.10): type + certificate authority (may be empty).
struct CertPayload {
  CertEncoding encoding = CertEncoding::kX509Signature;
  Bytes data;
  friend bool operator==(const CertPayload&, const CertPayload&) = default;
};
struct CertReqPayload {
  CertEncoding encoding = CertEncoding::kX509Signature;
  Bytes authority;  // DER DistinguishedName, or empty (any CA)
  friend bool operator==(const CertReqPayload&, const CertReqPayload&) = default;
};

// Notification payload (RFC 2408 3.14).
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// !              Domain of Interpretation  (DOI)                  !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// !  Protocol-ID  !   SPI Size    !      Notify Message Type      !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                Security Parameter Index (SPI)                 ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                       Notification Data                       ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// SPI size 0..16 (16 = the cookie pair, as in DPD R-U-THERE).
struct NotifyPayload {
  uint32_t doi = kDoiIpsec;
  ProtocolId protocol = ProtocolId::kIsakmp;
  NotifyType type = NotifyType::kInitialContact;
  Bytes spi;
  Bytes data;
  friend bool operator==(const NotifyPayload&, const NotifyPayload&) = default;
};
inline constexpr size_t kMaxSpiSize = 16;

// Delete payload (RFC 2408 3.15).
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// !              Domain of Interpretation  (DOI)                  !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// !  Protocol-Id  !   SPI Size    !           # of SPIs           !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~               Security Parameter Index(es) (SPI)              ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// SPI size 1..16 (16 = ISAKMP cookie pair, 4 = AH/ESP), at least one SPI,
// every SPI exactly spi_size octets, no bytes after the last.
struct DeletePayload {
  uint32_t doi = kDoiIpsec;
  ProtocolId protocol = ProtocolId::kEsp;
  uint8_t spi_size = 4;
  std::vector<Bytes> spis;  // precondition for encoding: each spi_size octets
  friend bool operator==(const DeletePayload&, const DeletePayload&) = default;
};

// NAT-D (RFC 3947 3.2): the hash. Type 20, or 130 in the drafts.
struct NatDPayload {
  Bytes hash;
  bool draft = false;  // payload type 130 instead of 20
  friend bool operator==(const NatDPayload&, const NatDPayload&) = default;
};

// NAT-OA (RFC 3947 4.2), type 21 (or 131 in the drafts).
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// !    ID Type    !   RESERVED    !            RESERVED           !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// !         IPv4 (4 octets) or IPv6 address (16 octets)           !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ID type IPV4_ADDR with 4 octets or IPV6_ADDR with 16; else rejected.
struct NatOaPayload {
  IdType type = IdType::kIpv4Addr;
  Bytes address;
  bool draft = false;  // payload type 131 instead of 21
  friend bool operator==(const NatOaPayload&, const NatOaPayload&) = default;
};

// Attribute payload (draft-dukes-ike-mode-cfg 3.2), Mode Config and XAuth.
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// !     Type      !   RESERVED    !           Identifier          !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                           Attributes                          ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// Attributes are data attributes of CfgAttr types (a request lists them
// as zero-length TLVs). XAUTH_USER_PASSWORD is a secret: the codec gives it
// out as Bytes, the engine moves it into SecretBytes at once.
struct AttributePayload {
  CfgType type = CfgType::kRequest;
  uint16_t identifier = 0;
  std::vector<DataAttribute> attributes;

  const DataAttribute* Find(CfgAttr attr) const {
    return FindAttribute(attributes, static_cast<uint16_t>(attr));
  }
  friend bool operator==(const AttributePayload&, const AttributePayload&) = default;
};

// Body codecs (after the 4-octet generic header).
Result<SaPayload, DecodeError> DecodeSaBody(ByteView body);
Result<KePayload, DecodeError> DecodeKeBody(ByteView body);
Result<IdPayload, DecodeError> DecodeIdBody(ByteView body);
Result<CertPayload, DecodeError> DecodeCertBody(ByteView body);
Result<CertReqPayload, DecodeError> DecodeCertReqBody(ByteView body);
Result<HashPayload, DecodeError> DecodeHashBody(ByteView body);
Result<SigPayload, DecodeError> DecodeSigBody(ByteView body);
Result<NoncePayload, DecodeError> DecodeNonceBody(ByteView body);
Result<NotifyPayload, DecodeError> DecodeNotifyBody(ByteView body);
Result<DeletePayload, DecodeError> DecodeDeleteBody(ByteView body);
Result<VendorIdPayload, DecodeError> DecodeVendorIdBody(ByteView body);
Result<AttributePayload, DecodeError> DecodeAttributeBody(ByteView body);
Result<NatDPayload, DecodeError> DecodeNatDBody(bool draft, ByteView body);
Result<NatOaPayload, DecodeError> DecodeNatOaBody(bool draft, ByteView body);

void EncodeBody(const SaPayload& p, Writer& w);
void EncodeBody(const KePayload& p, Writer& w);
void EncodeBody(const IdPayload& p, Writer& w);
void EncodeBody(const CertPayload& p, Writer& w);
void EncodeBody(const CertReqPayload& p, Writer& w);
void EncodeBody(const HashPayload& p, Writer& w);
void EncodeBody(const SigPayload& p, Writer& w);
void EncodeBody(const NoncePayload& p, Writer& w);
void EncodeBody(const NotifyPayload& p, Writer& w);
void EncodeBody(const DeletePayload& p, Writer& w);
void EncodeBody(const VendorIdPayload& p, Writer& w);
void EncodeBody(const AttributePayload& p, Writer& w);
void EncodeBody(const NatDPayload& p, Writer& w);
void EncodeBody(const NatOaPayload& p, Writer& w);

}  // namespace ike::v1
