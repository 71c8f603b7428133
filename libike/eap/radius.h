// RADIUS codec for an EAP pass-through NAS (RFC 2865, 2866, 3579, 2548).
// Pure functions over byte spans: no sockets, clock or randomness inside
// (callers supply Request Authenticators and salts). Decoding is strict and
// total: it never reads past the span and rejects every inconsistent length.
//
// Packet (RFC 2865 3):
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |     Code      |  Identifier   |            Length             |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                         Authenticator (16)                    |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |  Attributes: Type (1) | Length (1, >= 2, incl. header) | Value ...
//
// Vendor-Specific (26) value: Vendor-Id (4) followed, for vendors using the
// RFC 2865 5.26 suggested format (Microsoft, 311), by Vendor-Type (1),
// Vendor-Length (1, >= 2) and the value.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "libike/common/bytes.h"
#include "libike/common/ip_address.h"
#include "libike/common/result.h"
#include "libike/common/secret_bytes.h"

namespace ike::radius {

inline constexpr size_t kHeaderSize = 20;
inline constexpr size_t kMaxPacketSize = 4096;  // RFC 2865 3
inline constexpr size_t kMaxValueSize = 253;    // one attribute's value
inline constexpr uint32_t kVendorMicrosoft = 311;

using Authenticator = std::array<uint8_t, 16>;

enum class Code : uint8_t {
  kAccessRequest = 1,
  kAccessAccept = 2,
  kAccessReject = 3,
  kAccountingRequest = 4,
  kAccountingResponse = 5,
  kAccessChallenge = 11,
  kStatusServer = 12,
};
const char* CodeName(Code code);

// Attribute types this NAS uses (IANA RADIUS Types).
enum class Attr : uint8_t {
  kUserName = 1,
  kUserPassword = 2,
  kNasIpAddress = 4,
  kNasPort = 5,
  kServiceType = 6,
  kFramedProtocol = 7,
  kFramedIpAddress = 8,
  kReplyMessage = 18,
  kState = 24,
  kClass = 25,
  kVendorSpecific = 26,
  kSessionTimeout = 27,
  kCalledStationId = 30,
  kCallingStationId = 31,
  kNasIdentifier = 32,
  kAcctStatusType = 40,
  kAcctDelayTime = 41,
  kAcctInputOctets = 42,
  kAcctOutputOctets = 43,
  kAcctSessionId = 44,
  kAcctAuthentic = 45,
  kAcctSessionTime = 46,
  kAcctInputPackets = 47,
  kAcctOutputPackets = 48,
  kAcctTerminateCause = 49,
  kAcctInputGigawords = 52,
  kAcctOutputGigawords = 53,
  kNasPortType = 61,
  kEapMessage = 79,
  kMessageAuthenticator = 80,
  kNasIpv6Address = 95,
};

// Values of enumerated attributes.
inline constexpr uint32_t kServiceTypeFramed = 2;
inline constexpr uint32_t kNasPortTypeVirtual = 5;
inline constexpr uint32_t kAcctAuthenticRadius = 1;
enum class AcctStatus : uint32_t { kStart = 1, kStop = 2, kInterimUpdate = 3 };
// RFC 2866 5.10 Acct-Terminate-Cause.
enum class TerminateCause : uint32_t {
  kUserRequest = 1,
  kLostCarrier = 2,
  kIdleTimeout = 4,
  kSessionTimeout = 5,
  kAdminReset = 6,
  kNasError = 9,
  kNasRequest = 10,
  kNasReboot = 11,
};
// Microsoft vendor types (RFC 2548).
inline constexpr uint8_t kMsMppeSendKey = 16;
inline constexpr uint8_t kMsMppeRecvKey = 17;

enum class ErrorCode : uint8_t {
  kTruncated,          // shorter than the header or than its Length field
  kBadLength,          // Length < 20 or > 4096; an attribute length < 2 or past the end
  kUnknownCode,        // a Code this NAS does not speak
  kBadAttribute,       // a value of the wrong size or format for its type
  kTooLarge,           // encoding: a value > 253 octets or a packet > 4096
  kBadAuthenticator,   // Response/Accounting Authenticator mismatch
  kBadMessageAuthenticator,      // Message-Authenticator mismatch or malformed
  kMissingMessageAuthenticator,  // required (EAP-Message present, RFC 3579 3.2)
  kCrypto,             // OpenSSL failed (MD5/HMAC-MD5 unavailable)
};
struct Error {
  ErrorCode code = ErrorCode::kBadAttribute;
  std::string detail;  // never contains secrets
};
std::string ToString(const Error& error);

struct Attribute {
  uint8_t type = 0;
  Bytes value;  // 0..253 octets
  friend bool operator==(const Attribute&, const Attribute&) = default;
};

struct Packet {
  Code code = Code::kAccessRequest;
  uint8_t id = 0;
  Authenticator authenticator{};
  std::vector<Attribute> attributes;  // in wire order

  void Add(Attr type, ByteView value);
  void AddString(Attr type, std::string_view value);
  void AddU32(Attr type, uint32_t value);
  // NAS-IP-Address / NAS-IPv6-Address or Framed-IP-Address by family.
  void AddAddress(Attr type, const IpAddress& address);
  // The first value of `type`, or null.
  const Bytes* Find(Attr type) const;
  std::optional<uint32_t> FindU32(Attr type) const;
  size_t Count(Attr type) const;

  friend bool operator==(const Packet&, const Packet&) = default;
};

// Structure only: header, Length (octets past it are padding and ignored,
// RFC 2865 3), attribute framing, a known Code, and the fixed sizes of
// Message-Authenticator (16) and at most one of it.
Result<Packet, Error> Decode(ByteView bytes);
// The exact inverse of Decode; fails on a value > 253 octets or > 4096 total.
Result<Bytes, Error> Encode(const Packet& packet);

// ---- building requests (the NAS side) ----

// Access-Request: `packet.authenticator` is the caller's random Request
// Authenticator. Appends (or refills) a Message-Authenticator, HMAC-MD5 over
// the packet keyed by the secret (RFC 3579 3.2).
Result<Bytes, Error> EncodeAccessRequest(Packet& packet, ByteView secret);
// Accounting-Request: sets the Request Authenticator to
// MD5(Code+Id+Length+16 zero octets+Attributes+Secret) (RFC 2866 3).
Result<Bytes, Error> EncodeAccountingRequest(Packet& packet, ByteView secret);

// ---- checking replies ----

// Checks a reply (`raw` as received, `packet` its decoding) to a request
// whose Request Authenticator was `request_auth`: the Response Authenticator
// MD5(Code+Id+Length+RequestAuth+Attributes+Secret) (RFC 2865 3), and the
// Message-Authenticator (RFC 3579 3.2), which must be present when the reply
// carries EAP-Message or `require_message_authenticator` is set.
Result<void, Error> VerifyResponse(ByteView raw, const Packet& packet, const Authenticator& request_auth,
                                   ByteView secret, bool require_message_authenticator = false);

// ---- the server side (tests, simulations) ----

// A reply to a request with `request_auth`: fills in the Message-Authenticator
// when `message_authenticator` (or an EAP-Message is present), then the
// Response Authenticator.
Result<Bytes, Error> EncodeResponse(Packet& packet, const Authenticator& request_auth, ByteView secret,
                                    bool message_authenticator);
// Checks an Access-Request's Message-Authenticator (required) or an
// Accounting-Request's Request Authenticator.
Result<void, Error> VerifyRequest(ByteView raw, const Packet& packet, ByteView secret);

// ---- attribute helpers ----

// EAP-Message (RFC 3579 3.1): one packet split over 253-octet attributes.
void AddEapMessage(Packet& packet, ByteView eap);
// The EAP-Message attributes joined; empty when there are none. An error when
// the joined bytes are not one EAP packet (header, Length == size).
Result<Bytes, Error> JoinEapMessage(const Packet& packet);

struct VendorAttribute {
  uint32_t vendor = 0;
  uint8_t type = 0;
  Bytes value;
  friend bool operator==(const VendorAttribute&, const VendorAttribute&) = default;
};
// The sub-attributes of one Vendor-Specific value (RFC 2865 5.26 format).
Result<std::vector<VendorAttribute>, Error> DecodeVendorSpecific(ByteView value);
Result<Bytes, Error> EncodeVendorSpecific(const std::vector<VendorAttribute>& attrs);

// User-Password hiding (RFC 2865 5.2), for PAP requests and the RFC vectors.
Result<Bytes, Error> HideUserPassword(ByteView password, const Authenticator& request_auth, ByteView secret);

// MS-MPPE-Send-Key / MS-MPPE-Recv-Key (RFC 2548 2.4.2, 2.4.3): `value` is
// Salt (2) + encrypted String; the key is decrypted with
// b(1) = MD5(S + R + A), b(i) = MD5(S + c(i-1)).
Result<SecretBytes, Error> DecryptMppeKey(ByteView value, const Authenticator& request_auth, ByteView secret);
// The inverse (server side, tests): salt's high bit is forced on.
Result<Bytes, Error> EncryptMppeKey(ByteView key, uint16_t salt, const Authenticator& request_auth,
                                    ByteView secret);
// The MSK of an Access-Accept: MS-MPPE-Recv-Key || MS-MPPE-Send-Key
// (RFC 3748 / RFC 5216 order, as strongSwan and Windows use it). Empty when
// the Accept carries neither key.
Result<SecretBytes, Error> ExtractMsk(const Packet& accept, const Authenticator& request_auth, ByteView secret);

// Framed-IP-Address as an address (an error when not 4 octets).
Result<std::optional<IpAddress>, Error> FramedIp(const Packet& packet);

}  // namespace ike::radius
