// Configuration payload CP (RFC 7296 3.15) and EAP payload (3.16).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "libike/common/bytes.h"
#include "libike/common/ip_address.h"
#include "libike/common/result.h"
#include "libike/common/writer.h"
#include "libike/wire/decode_error.h"

namespace ike::wire {

enum class CfgType : uint8_t {
  kRequest = 1,
  kReply = 2,
  kSet = 3,
  kAck = 4,
};

// Configuration attribute types (RFC 7296 3.15.1, RFC 8598).
enum class CfgAttributeType : uint16_t {
  kInternalIp4Address = 1,
  kInternalIp4Netmask = 2,
  kInternalIp4Dns = 3,
  kInternalIp4Nbns = 4,
  kInternalIp4Dhcp = 6,
  kApplicationVersion = 7,
  kInternalIp6Address = 8,
  kInternalIp6Dns = 10,
  kInternalIp6Dhcp = 12,
  kInternalIp4Subnet = 13,
  kSupportedAttributes = 14,
  kInternalIp6Subnet = 15,
  kInternalDnsDomain = 25,  // RFC 8598
};

// Configuration attribute (RFC 7296 3.15.1).
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |R|         Attribute Type      |            Length             |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                                                               |
// ~                             Value                             ~
// |                                                               |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// R is reserved: kept so the encoder reproduces the received bytes; the
// codec does not interpret values (an empty value is a request for it).
struct CfgAttribute {
  bool reserved_bit = false;
  uint16_t type = 0;  // 15 bits; see CfgAttributeType
  Bytes value;

  static CfgAttribute Make(CfgAttributeType type, Bytes value = {}) {
    return {false, static_cast<uint16_t>(type), std::move(value)};
  }
  static CfgAttribute Address(CfgAttributeType type, const IpAddress& address);
  friend bool operator==(const CfgAttribute&, const CfgAttribute&) = default;
};

// Configuration payload (RFC 7296 3.15).
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Next Payload  |C| RESERVED    |         Payload Length        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |   CFG Type    |                    RESERVED                   |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                   Configuration Attributes                    ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
inline constexpr size_t kMaxCfgAttributes = 256;
struct CpPayload {
  CfgType cfg_type = CfgType::kRequest;
  std::vector<CfgAttribute> attributes;
  friend bool operator==(const CpPayload&, const CpPayload&) = default;
};

enum class EapCode : uint8_t {
  kRequest = 1,
  kResponse = 2,
  kSuccess = 3,
  kFailure = 4,
};

// EAP payload (RFC 7296 3.16) carrying one EAP message (RFC 3748 4).
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Next Payload  |C|  RESERVED   |         Payload Length        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |     Code      | Identifier    |           Length              |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |     Type      | Type_Data...
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// The EAP Length must equal the payload body length. Request/Response carry
// a Type (and data); Success/Failure are exactly 4 octets. Other codes are
// kInvalidSyntax.
struct EapPayload {
  EapCode code = EapCode::kRequest;
  uint8_t identifier = 0;
  uint8_t type = 0;  // EAP method type; 0 for Success/Failure
  Bytes type_data;   // empty for Success/Failure
  friend bool operator==(const EapPayload&, const EapPayload&) = default;
};

Result<CpPayload, DecodeError> DecodeCpBody(ByteView body);
void EncodeBody(const CpPayload& cp, Writer& w);
Result<EapPayload, DecodeError> DecodeEapBody(ByteView body);
void EncodeBody(const EapPayload& eap, Writer& w);

}  // namespace ike::wire
