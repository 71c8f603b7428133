// ESP encapsulation and decapsulation for one SA (RFC 4303), tunnel and
// transport mode, over caller-provided buffers.
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |               Security Parameters Index (SPI)                 |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                      Sequence Number                          |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                    IV (8 bytes AEAD, 16 bytes CBC)            |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |        Payload (inner IP packet / transport payload) ...      |
//  +               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |               |     Padding (1, 2, 3, ...)                    |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                               |  Pad Length   | Next Header   |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |         Integrity Check Value (ICV) ...                       |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// The ESP packet here starts at the SPI: the outer IP (and UDP) header is
// the caller's business. Nothing here allocates per packet.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "libike/common/bytes.h"
#include "libike/common/result.h"
#include "xfrm/esp/drop_reason.h"
#include "xfrm/esp/esp_cipher.h"
#include "xfrm/esp/replay_window.h"

namespace ike::esp {

inline constexpr size_t kEspHeaderLen = 8;  // SPI + sequence number
// Worst case over the supported transforms: 16-byte IV, 15 bytes padding +
// 2 trailer bytes, 32-byte ICV.
inline constexpr size_t kMaxEspHeadroom = kEspHeaderLen + 16;
inline constexpr size_t kMaxEspTailroom = 15 + 2 + 32;

enum class EspMode : uint8_t { kTransport, kTunnel };

struct EspSaConfig {
  uint32_t spi = 0;  // host order
  EspMode mode = EspMode::kTunnel;
  TransformSpec transform;
  ByteView enc_key;    // AEAD: key | 4-byte salt
  ByteView integ_key;  // empty for AEAD
  bool esn = false;
  uint32_t replay_window = 32;  // inbound only; 0 disables
  // Outbound: the last sequence number already used (0 for a new SA).
  uint64_t initial_seq = 0;
};

// Sequence-number policy for outbound SAs: the soft signal (rekey now) comes
// this many packets before the space runs out; the SA never wraps.
inline constexpr uint64_t kSeqSoftMargin32 = uint64_t{1} << 28;  // ~268M packets
inline constexpr uint64_t kSeqSoftMargin64 = uint64_t{1} << 40;

class EspOutboundSa {
 public:
  static Result<std::unique_ptr<EspOutboundSa>, std::string> Create(const EspSaConfig& config);

  // Per-packet overhead bounds, for sizing buffers and the TUN MTU.
  size_t headroom() const { return kEspHeaderLen + cipher_->iv_len(); }
  size_t max_tailroom() const { return cipher_->pad_align() - 1 + 2 + cipher_->icv_len(); }

  // The payload is buf[offset, offset + len). On success the ESP packet (SPI
  // to ICV) occupies the returned span of `buf`, starting headroom() bytes
  // before `offset`. kNoRoom if buf lacks head- or tailroom, kSeqOverflow once
  // the sequence space is exhausted.
  Result<MutableByteView, DropReason> Encapsulate(MutableByteView buf, size_t offset, size_t len,
                                                  uint8_t next_header);

  uint32_t spi() const { return spi_; }
  EspMode mode() const { return mode_; }
  uint64_t seq() const { return seq_; }  // last sequence number used
  // True once the sequence number passed the soft margin: rekey now.
  bool seq_soft_limit_reached() const { return seq_ >= soft_limit_; }
  bool seq_exhausted() const { return seq_ >= max_seq_; }

 private:
  EspOutboundSa() = default;
  uint32_t spi_ = 0;
  EspMode mode_ = EspMode::kTunnel;
  bool esn_ = false;
  uint64_t seq_ = 0;
  uint64_t max_seq_ = 0;
  uint64_t soft_limit_ = 0;
  std::unique_ptr<EspCipher> cipher_;
};

struct DecapResult {
  // The inner IP packet (tunnel mode, trimmed to its length field so that
  // TFC padding is removed) or the transport payload, inside the input span.
  MutableByteView payload;
  uint8_t next_header = 0;
  uint64_t seq = 0;
};

class EspInboundSa {
 public:
  static Result<std::unique_ptr<EspInboundSa>, std::string> Create(const EspSaConfig& config);

  // Verifies and decrypts `packet` (SPI to ICV) in place. The caller has
  // looked up this SA by the packet's SPI. On a drop the per-reason counter
  // of this SA is incremented and the reason returned; a dummy packet
  // (next header 59) is dropped with kDummy after it advanced the window.
  Result<DecapResult, DropReason> Decapsulate(MutableByteView packet);

  uint32_t spi() const { return spi_; }
  EspMode mode() const { return mode_; }
  const DropCounters& drops() const {
    static const DropCounters kNone{};
    return drops_ ? *drops_ : kNone;
  }
  const ReplayWindow& window() const { return window_; }

 private:
  explicit EspInboundSa(uint32_t window, bool esn) : window_(window, esn) {}
  Result<DecapResult, DropReason> Drop(DropReason r) {
    if (!drops_) drops_ = std::make_unique<DropCounters>();
    drops_->Inc(r);
    return MakeUnexpected(r);
  }
  uint32_t spi_ = 0;
  EspMode mode_ = EspMode::kTunnel;
  bool esn_ = false;
  ReplayWindow window_;
  std::unique_ptr<EspCipher> cipher_;
  // Allocated on the first drop: most SAs never drop a packet, and 17
  // counters inline were 136 bytes of every tunnel.
  std::unique_ptr<DropCounters> drops_;
};

// The SPI of an ESP packet (host order), 0 if it is too short.
uint32_t PeekSpi(ByteView packet);

}  // namespace ike::esp
