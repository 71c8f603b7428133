// The ISAKMP header (RFC 2408 3.1).
#pragma once

#include <cstdint>

#include "libike/common/bytes.h"
#include "libike/common/result.h"
#include "libike/common/writer.h"
#include "libike/ikev1/ikev1_types.h"
#include "libike/wire/decode_error.h"

namespace ike::v1 {

//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// !                          Initiator                            !
// !                            Cookie                             !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// !                          Responder                            !
// !                            Cookie                             !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// !  Next Payload ! MjVer ! MnVer ! Exchange Type !     Flags     !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// !                          Message ID                           !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// !                            Length                             !
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// Flags: |X|X|X|X|X|A|C|E|  (E = encryption, C = commit, A = authentication
// only); the X bits must be zero (else INVALID-FLAGS).
// Next Payload and Length are derived when encoding; PeekHeader() returns
// them for a raw datagram.
inline constexpr size_t kHeaderSize = 28;
inline constexpr uint8_t kFlagEncryption = 0x01;
inline constexpr uint8_t kFlagCommit = 0x02;
inline constexpr uint8_t kFlagAuthOnly = 0x04;
inline constexpr uint8_t kKnownFlags = kFlagEncryption | kFlagCommit | kFlagAuthOnly;

struct Header {
  uint64_t initiator_cookie = 0;
  uint64_t responder_cookie = 0;  // 0 in the first message
  uint8_t major_version = 1;
  uint8_t minor_version = 0;
  ExchangeType exchange_type = ExchangeType::kIdentityProtection;
  bool encrypted = false;  // E: everything after the header is ciphertext
  bool commit = false;     // C
  bool auth_only = false;  // A
  uint32_t message_id = 0;

  uint8_t flags() const {
    return static_cast<uint8_t>((encrypted ? kFlagEncryption : 0) | (commit ? kFlagCommit : 0) |
                                (auth_only ? kFlagAuthOnly : 0));
  }
  friend bool operator==(const Header&, const Header&) = default;
};

// The fixed fields, read without looking further (cookie demultiplexing,
// IKEv1/IKEv2 dispatch on major_version). Checks only that 28 octets are
// present; `flags` holds the raw octet (unknown bits included).
struct PeekedHeader {
  Header header;
  uint8_t next_payload = 0;
  uint8_t flags = 0;
  uint32_t length = 0;
};
Result<PeekedHeader, wire::DecodeError> PeekHeader(ByteView datagram);

void EncodeHeader(const Header& header, uint8_t next_payload, uint32_t length, Writer& w);

}  // namespace ike::v1
