// The IKE header (RFC 7296 3.1).
#pragma once

#include <cstdint>

#include "libike/common/bytes.h"
#include "libike/common/ike_types.h"
#include "libike/common/result.h"
#include "libike/common/writer.h"
#include "libike/wire/decode_error.h"
#include "libike/wire/payload_type.h"

namespace ike::wire {

//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                       IKE SA Initiator's SPI                  |
// |                                                               |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                       IKE SA Responder's SPI                  |
// |                                                               |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |  Next Payload | MjVer | MnVer | Exchange Type |     Flags     |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                          Message ID                           |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                            Length                             |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// Flags: |X|X|R|V|I|X|X|X|  (R = response, V = higher version, I = initiator)
//
// Next Payload and Length are derived from the payloads when encoding, so
// they are not members; PeekHeader() returns them for a raw datagram.
inline constexpr size_t kHeaderSize = 28;
inline constexpr uint8_t kFlagInitiator = 0x08;
inline constexpr uint8_t kFlagVersion = 0x10;
inline constexpr uint8_t kFlagResponse = 0x20;

struct Header {
  uint64_t spi_i = 0;
  uint64_t spi_r = 0;
  uint8_t major_version = 2;
  uint8_t minor_version = 0;
  ExchangeType exchange_type = ExchangeType::kIkeSaInit;
  bool initiator = false;  // I flag: sent by the original initiator of the IKE SA
  bool version = false;    // V flag
  bool response = false;   // R flag
  uint32_t message_id = 0;

  uint8_t flags() const {
    return static_cast<uint8_t>((initiator ? kFlagInitiator : 0) | (version ? kFlagVersion : 0) |
                                (response ? kFlagResponse : 0));
  }
  friend bool operator==(const Header&, const Header&) = default;
};

// The fixed fields of a datagram, read without looking at the payloads (for
// demultiplexing by SPI before a full decode). Checks only that 28 bytes are
// present: version and length are checked by DecodeMessage.
struct PeekedHeader {
  Header header;
  uint8_t next_payload = 0;
  uint32_t length = 0;
};
Result<PeekedHeader, DecodeError> PeekHeader(ByteView datagram);

// Writes the 28-byte header; `length` is usually patched later.
void EncodeHeader(const Header& header, PayloadType next_payload, uint32_t length, Writer& w);

}  // namespace ike::wire
