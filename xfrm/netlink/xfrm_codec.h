// Pure NETLINK_XFRM message construction and parsing: no sockets, no files.
// The socket side (netlink_socket.h) sends what these functions build and
// hands back what the kernel answers; these are unit tested against
// hand-checked byte layouts and fuzzed (tests/fuzz/xfrm_netlink_fuzz.cc).
//
// A request is one netlink message:
//   struct nlmsghdr (16 bytes) | fixed xfrm struct | attributes (struct nlattr + data, 4-aligned)
// The buffer that holds it is a SecretBytes, so key material written into
// XFRMA_ALG_* attributes is wiped when the request goes away.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "libike/common/bytes.h"
#include "libike/common/result.h"
#include "libike/common/secret_bytes.h"
#include "xfrm/backend/backend.h"

namespace ike::xfrm::netlink {

// Kernel names and key/ICV lengths for one SA's algorithms.
struct KernelAlgorithms {
  std::string aead;        // XFRMA_ALG_AEAD, e.g. "rfc4106(gcm(aes))"
  uint32_t aead_icv_bits = 0;
  std::string crypt;       // XFRMA_ALG_CRYPT, e.g. "cbc(aes)"
  std::string auth;        // XFRMA_ALG_AUTH_TRUNC, e.g. "hmac(sha256)"
  uint32_t auth_trunc_bits = 0;
  size_t enc_key_bytes = 0;    // expected enc_key size (AEAD: with salt)
  size_t integ_key_bytes = 0;  // expected integ_key size
};

// Maps IKE algorithm identifiers (SaParams) to kernel algorithm names.
// Key sizes are checked against SaParams' keys.
BackendResult<KernelAlgorithms> MapAlgorithms(ProtocolId protocol, EncrId encr,
                                              uint16_t encr_key_bits, IntegId integ);

// A human description of an object for error messages, e.g.
// "SA esp spi 0x0000c001 dst 192.0.2.2" or "policy out 10.0.0.0/24->10.1.0.0/24".
// Never contains key material.
std::string Describe(const SaId& sa);
std::string Describe(const PolicyId& policy);
std::string Describe(const Selector& selector);

// One encoded request. Holds its own zeroizing buffer.
class Request {
 public:
  static constexpr size_t kDefaultCapacity = 2048;
  Request(uint16_t type, uint16_t flags, std::string what, size_t capacity = kDefaultCapacity);
  Request(Request&&) noexcept = default;
  Request& operator=(Request&&) noexcept = default;

  // Appends the fixed-size header struct right after the nlmsghdr (zeroed
  // copy of `value`). Call once, before any attribute.
  void PutFixed(const void* value, size_t len);
  // Appends one attribute; marks the request overflowed if it does not fit.
  void PutAttr(uint16_t type, const void* data, size_t len);
  void PutU32(uint16_t type, uint32_t value) { PutAttr(type, &value, sizeof value); }

  void set_seq(uint32_t seq);
  uint32_t seq() const;
  uint16_t type() const;
  uint16_t flags() const;
  bool overflowed() const { return overflowed_; }
  // The message: nlmsg_len bytes.
  ByteView bytes() const;
  // What the request concerns, for errors ("SA esp spi 0x... dst ...").
  const std::string& what() const { return what_; }

 private:
  SecretBytes buf_;
  std::string what_;
  bool overflowed_ = false;
};

// Options resolved by the socket layer (I/O) before encoding.
struct SaEncodeOptions {
  int offload_ifindex = 0;  // for SaParams::offload != kNone
};

// XFRM_MSG_NEWSA (update=false) or XFRM_MSG_UPDSA (update=true).
BackendResult<Request> EncodeSa(const SaParams& sa, bool update,
                                const SaEncodeOptions& options = {});
Request EncodeDeleteSa(const SaId& sa);
Request EncodeGetSa(const SaId& sa);
// XFRM_MSG_ALLOCSPI for an SA src -> dst; the kernel picks an SPI in
// [min_spi, max_spi] and creates a larval SA.
Request EncodeAllocSpi(const IpAddress& src, const IpAddress& dst, ProtocolId protocol,
                       uint32_t reqid, uint32_t min_spi = 0x100, uint32_t max_spi = 0xffffffff);
// XFRM_MSG_NEWPOLICY or XFRM_MSG_UPDPOLICY. priority 0 -> ComputePriority.
BackendResult<Request> EncodePolicy(const PolicyParams& policy, bool update);
Request EncodeDeletePolicy(const PolicyId& policy);
Request EncodeGetPolicy(const PolicyId& policy);
// Dump requests (NLM_F_DUMP) for listing: XFRM_MSG_GETSA or XFRM_MSG_GETPOLICY.
Request EncodeDump(uint16_t type);

// ---- Parsing -------------------------------------------------------------

struct DecodeError {
  std::string detail;
};
template <typename T>
using DecodeResult = Result<T, DecodeError>;

// One netlink message inside a received datagram; views into that buffer.
struct MessageView {
  uint16_t type = 0;
  uint16_t flags = 0;
  uint32_t seq = 0;
  uint32_t pid = 0;
  ByteView payload;  // after the 16-byte header
};

// Splits a datagram into messages. Fails on a truncated or inconsistent
// header (length smaller than the header or beyond the datagram).
DecodeResult<std::vector<MessageView>> SplitMessages(ByteView datagram);

// NLMSG_ERROR: error 0 is an ACK. `extack` is the kernel's extended-ack
// message (NLMSGERR_ATTR_MSG) when present.
struct Ack {
  int error = 0;  // negative errno as the kernel sends it, 0 for success
  uint32_t request_seq = 0;
  uint16_t request_type = 0;
  std::string extack;
};
DecodeResult<Ack> DecodeAck(const MessageView& message);

// The state of an SA as the kernel reports it (XFRM_MSG_NEWSA replies to
// GETSA/ALLOCSPI and dumps). Key bytes are never copied out.
struct SaInfo {
  SaId id;
  IpAddress src;
  Mode mode = Mode::kTunnel;
  uint32_t reqid = 0;
  uint32_t replay_window = 0;
  bool esn = false;
  SaUsage usage;
  Lifetime soft, hard;
  Selector selector;
  std::string aead, crypt, auth;  // algorithm names
  uint32_t icv_bits = 0, auth_trunc_bits = 0;
  std::optional<Encap> encap;
  uint32_t if_id = 0;
  uint64_t output_seq = 0;
  uint32_t tfc_pad = 0;
};
DecodeResult<SaInfo> DecodeSa(const MessageView& message);
// MOBIKE: the SA in `current` (the kernel's GETSA answer, keys and replay
// state included) as XFRM_MSG_NEWSA at the new outer addresses and
// encapsulation of `to` (its id.dst, src, encap; keys unused).
BackendResult<Request> EncodeMovedSa(const MessageView& current, const SaParams& to);

// A policy as the kernel reports it (NEWPOLICY replies and dumps).
struct PolicyInfo {
  PolicyParams params;  // priority as installed
  uint32_t index = 0;
};
DecodeResult<PolicyInfo> DecodePolicy(const MessageView& message);

// Multicast events: XFRM_MSG_ACQUIRE, EXPIRE, MAPPING, POLEXPIRE.
// Returns nullopt for message types that are not events.
DecodeResult<std::optional<BackendEvent>> DecodeEvent(const MessageView& message);

// Maps a kernel errno (positive) answering `request_type` to a BackendError
// with the kernel's text and the object concerned.
BackendError MapKernelError(int err, uint16_t request_type, std::string_view what,
                            std::string_view extack);

// Name of an XFRM message type ("NEWSA"), for messages and logs.
std::string_view MessageTypeName(uint16_t type);

}  // namespace ike::xfrm::netlink
