// DecodeError: what the wire decoders return for bytes they reject, with the
// IKE notification a responder answers with (RFC 7296 2.21).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "libike/common/bytes.h"
#include "libike/wire/payload_type.h"

namespace ike::wire {

enum class DecodeErrorCode : uint8_t {
  // The datagram ends before the IKE header (28 bytes) or before the length
  // the header announces, or a chain announces a payload after its last byte.
  kTruncated,
  // A length field is impossible: IKE header length != datagram length, a
  // payload or substructure length below its minimum or past its container,
  // or a body too short for the fixed fields of its type.
  kBadLength,
  // A field value the RFC forbids (bad SPI size, Nonce length outside
  // 16..256, wrong transform count, unknown ID/TS/EAP format, ...).
  kInvalidSyntax,
  // An unknown payload type with the critical bit set; payload_type says which.
  kUnsupportedCriticalPayload,
  // Major version other than 2.
  kInvalidMajorVersion,
  // Bytes follow an SK or SKF payload, or SK/SKF appears inside SK.
  kPayloadAfterSk,
  // More payloads in one chain than kMaxPayloads.
  kTooManyPayloads,
  // More proposals, transforms, attributes, selectors, SPIs or CP attributes
  // than their cap (see limits in message.h).
  kTooManyItems,
  // A chain ended (next payload NONE) while bytes remain.
  kTrailingData,
};

struct DecodeError {
  DecodeErrorCode code = DecodeErrorCode::kInvalidSyntax;
  std::string detail;        // human-readable, never contains secrets
  uint8_t payload_type = 0;  // the offending payload type, when known

  friend bool operator==(const DecodeError&, const DecodeError&) = default;
};

std::string_view DecodeErrorCodeName(DecodeErrorCode code);  // "kTruncated"...
std::string ToString(const DecodeError& error);  // "kBadLength: SA: ..."

// The notify to answer a request that failed to decode with:
// UNSUPPORTED_CRITICAL_PAYLOAD, INVALID_MAJOR_VERSION, or INVALID_SYNTAX.
// (RFC 7296 2.21.2: INVALID_SYNTAX is only sent inside a protected message;
// the caller decides whether to answer at all.)
NotifyType NotifyForError(const DecodeError& error);
// The notification data to send with it: the one-octet payload type for
// UNSUPPORTED_CRITICAL_PAYLOAD, empty otherwise (for INVALID_MAJOR_VERSION
// the supported version goes in the reply's header, RFC 7296 2.5).
Bytes NotifyDataForError(const DecodeError& error);

}  // namespace ike::wire
