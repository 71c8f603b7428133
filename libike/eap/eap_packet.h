// EAP packets (RFC 3748 4): Code, Identifier, Length, and for Request and
// Response a Type and type data. Strict: the Length field must equal the
// bytes given, Success/Failure carry nothing else.
#pragma once

#include <cstdint>
#include <string>

#include "libike/common/bytes.h"
#include "libike/common/result.h"

namespace ike::eap {

enum class Code : uint8_t { kRequest = 1, kResponse = 2, kSuccess = 3, kFailure = 4 };

// Method types (IANA "Method Types").
enum class Type : uint8_t {
  kNone = 0,  // Success / Failure
  kIdentity = 1,
  kNotification = 2,
  kNak = 3,
  kMd5 = 4,
  kTls = 13,
  kMschapv2 = 26,
};
const char* TypeName(Type type);

struct Packet {
  Code code = Code::kRequest;
  uint8_t id = 0;
  Type type = Type::kNone;  // Request / Response only
  Bytes data;               // type data

  static Packet Request(uint8_t id, Type type, Bytes data) {
    return {Code::kRequest, id, type, std::move(data)};
  }
  static Packet Response(uint8_t id, Type type, Bytes data) {
    return {Code::kResponse, id, type, std::move(data)};
  }
  static Packet Success(uint8_t id) { return {Code::kSuccess, id, Type::kNone, {}}; }
  static Packet Failure(uint8_t id) { return {Code::kFailure, id, Type::kNone, {}}; }
};

// The largest EAP packet we accept (an IKE message carries it anyway).
inline constexpr size_t kMaxPacket = 16384;

Result<Packet, std::string> Decode(ByteView bytes);
Bytes Encode(const Packet& packet);

}  // namespace ike::eap
