// The data-plane Backend interface (DESIGN.md principle 5). The IKE engine's
// effects (allocate SPI, install/delete SA and policy) are executed against a
// Backend; kernel events come back as BackendEvent values. Implementations:
// netlink (the kernel's XFRM), userspace (TUN + the project's ESP engine) and
// fake (tests). The engine cannot tell them apart.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "libike/common/ike_types.h"
#include "libike/common/ip_address.h"
#include "libike/common/result.h"
#include "libike/common/secret_bytes.h"

namespace ike::xfrm {

enum class Mode : uint8_t { kTransport, kTunnel };
enum class Direction : uint8_t { kIn, kOut, kFwd };

struct Mark {
  uint32_t value = 0;
  uint32_t mask = 0;  // 0: no mark
  friend bool operator==(const Mark&, const Mark&) = default;
};

// Identifies an installed SA: (destination, SPI, protocol), plus the mark the
// kernel keys SAs on.
struct SaId {
  IpAddress dst;
  uint32_t spi = 0;  // host order
  ProtocolId protocol = ProtocolId::kEsp;
  Mark mark;
  friend bool operator==(const SaId&, const SaId&) = default;
};

// A selector as the kernel matches it: prefixes and (optionally masked) ports.
// IKE traffic selector ranges are split into prefixes by the caller (see
// xfrm/backend/selector.h).
struct Selector {
  IpAddress src;  // network address
  uint8_t src_prefix = 0;
  IpAddress dst;
  uint8_t dst_prefix = 0;
  uint8_t proto = 0;  // 0 = any
  uint16_t src_port = 0, src_port_mask = 0;  // host order; mask 0 = any
  uint16_t dst_port = 0, dst_port_mask = 0;
  AddressFamily family() const { return src.family(); }
  friend bool operator==(const Selector&, const Selector&) = default;
};

struct Lifetime {
  uint64_t bytes = 0;    // 0 = unlimited
  uint64_t packets = 0;  // 0 = unlimited
  uint64_t seconds = 0;  // since installation; 0 = unlimited
};

// UDP encapsulation of ESP (RFC 3948).
struct Encap {
  uint16_t src_port = 4500;
  uint16_t dst_port = 4500;
};

enum class OffloadMode : uint8_t { kNone, kCrypto, kPacket };

struct SaParams {
  SaId id;            // id.dst is the outer destination
  IpAddress src;      // outer source
  Direction direction = Direction::kIn;  // kIn or kOut: which way the SA carries traffic
  Mode mode = Mode::kTunnel;
  uint32_t reqid = 0;
  // Algorithms in IKE registry terms; the backend maps them to its own names.
  // AEAD (AES-GCM, ChaCha20-Poly1305): integ = kNone and enc_key includes the
  // 4-byte salt at its end (RFC 4106 / RFC 7634 KEYMAT layout).
  EncrId encr = EncrId::kAesGcm16;
  uint16_t encr_key_bits = 128;  // without the salt
  IntegId integ = IntegId::kNone;
  SecretBytes enc_key;
  SecretBytes integ_key;
  bool esn = false;
  uint32_t replay_window = 32;  // packets; 0 disables replay protection
  std::optional<Encap> encap;
  Lifetime soft;
  Lifetime hard;
  // Traffic this SA may carry (transport mode and the kernel's SA selector);
  // unset means any.
  std::optional<Selector> selector;
  Mark mark;  // also in id.mark for inbound SAs
  uint32_t if_id = 0;
  OffloadMode offload = OffloadMode::kNone;
  std::string offload_dev;
  bool offload_inbound = false;
  // For an outbound SA after a rekey: start the sequence at this number.
  uint64_t initial_seq = 0;
  // Outbound tunnel mode: pad inner packets with TFC padding up to this
  // size, capped at the path MTU (0: none; 0xffffffff: the MTU).
  uint32_t tfc_pad = 0;

  // Everything, keys included (SecretBytes is move-only). `with_keys` false
  // leaves the keys empty, for records that must not hold them.
  SaParams Clone(bool with_keys = true) const {
    SaParams c;
    c.id = id;
    c.src = src;
    c.direction = direction;
    c.mode = mode;
    c.reqid = reqid;
    c.encr = encr;
    c.encr_key_bits = encr_key_bits;
    c.integ = integ;
    if (with_keys) {
      c.enc_key = enc_key.Clone();
      c.integ_key = integ_key.Clone();
    }
    c.esn = esn;
    c.replay_window = replay_window;
    c.encap = encap;
    c.soft = soft;
    c.hard = hard;
    c.selector = selector;
    c.mark = mark;
    c.if_id = if_id;
    c.offload = offload;
    c.offload_dev = offload_dev;
    c.offload_inbound = offload_inbound;
    c.initial_seq = initial_seq;
    c.tfc_pad = tfc_pad;
    return c;
  }
};

struct PolicyTemplate {
  ProtocolId protocol = ProtocolId::kEsp;
  Mode mode = Mode::kTunnel;
  IpAddress src;  // tunnel endpoints (tunnel mode only)
  IpAddress dst;
  uint32_t reqid = 0;
};

enum class PolicyAction : uint8_t { kProtect, kPass, kDrop };

struct PolicyParams {
  Selector selector;
  Direction direction = Direction::kOut;
  PolicyAction action = PolicyAction::kProtect;
  // 0: computed from selector specificity (ComputePriority).
  uint32_t priority = 0;
  std::vector<PolicyTemplate> templates;  // for kProtect: ESP and/or AH
  Mark mark;
  uint32_t if_id = 0;
  // A trap policy: installed with no SA yet; matching traffic raises an
  // Acquire event.
  bool trap = false;
};

struct PolicyId {
  Selector selector;
  Direction direction = Direction::kOut;
  Mark mark;
  uint32_t if_id = 0;
  friend bool operator==(const PolicyId&, const PolicyId&) = default;
};

struct SaUsage {
  uint64_t bytes = 0;
  uint64_t packets = 0;
  uint64_t add_time = 0;  // seconds since epoch the SA was added
  uint64_t use_time = 0;  // seconds since epoch of first use, 0 if unused
  uint32_t replay_window_drops = 0;
  uint32_t integrity_failures = 0;
};

// Events the backend raises for the engine.
struct AcquireEvent {
  uint32_t reqid = 0;
  Selector selector;  // the packet that triggered it
  uint32_t policy_index = 0;
  IpAddress src, dst;  // template endpoints
};
struct ExpireEvent {
  SaId sa;
  uint32_t reqid = 0;
  bool hard = false;
};
struct MappingEvent {  // NAT-T: the peer's port/address changed
  SaId sa;
  Endpoint old_peer;
  Endpoint new_peer;
};
struct PolicyExpireEvent {
  PolicyId policy;
  bool hard = false;
};
using BackendEvent = std::variant<AcquireEvent, ExpireEvent, MappingEvent, PolicyExpireEvent>;

struct BackendError {
  enum class Code : uint8_t {
    kPermission,        // no CAP_NET_ADMIN
    kNotSupported,      // e.g. ESP or an algorithm not in the kernel
    kAlgorithm,         // algorithm not available
    kExists,            // SPI collision, policy already exists
    kNotFound,
    kInvalidArgument,
    kSystem,            // any other errno
  };
  Code code = Code::kSystem;
  int sys_errno = 0;
  std::string detail;  // what it concerned, with the kernel's errno text; never keys
  std::string ToString() const;
};

template <typename T>
using BackendResult = Result<T, BackendError>;

struct BackendCapabilities {
  bool esp = false;  // ESP SAs can be installed
  bool ah = false;
  std::vector<std::string> notes;  // why not, for the log
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;

  // Reserves an inbound SPI for (src -> dst, protocol); the SA is added later
  // with UpdateSa/AddSa. reqid ties it to policies.
  virtual BackendResult<uint32_t> AllocateSpi(const IpAddress& src, const IpAddress& dst,
                                              ProtocolId protocol, uint32_t reqid) = 0;
  virtual BackendResult<void> AddSa(const SaParams& sa) = 0;
  virtual BackendResult<void> UpdateSa(const SaParams& sa) = 0;
  virtual BackendResult<void> DeleteSa(const SaId& sa) = 0;
  virtual BackendResult<SaUsage> QuerySa(const SaId& sa) = 0;
  // Moves the installed SA `old_id` to new outer addresses and UDP
  // encapsulation (MOBIKE, RFC 4555), keeping its keys, sequence numbers and
  // replay state: `sa` carries the new id (id.dst), src and encap; its keys
  // are not used. The default answers kNotSupported.
  virtual BackendResult<void> MigrateSa(const SaId& old_id, const SaParams& sa);

  virtual BackendResult<void> AddPolicy(const PolicyParams& policy) = 0;
  virtual BackendResult<void> UpdatePolicy(const PolicyParams& policy) = 0;
  virtual BackendResult<void> DeletePolicy(const PolicyId& policy) = 0;

  // Removes every SA and policy this backend instance installed (and nothing
  // else).
  virtual BackendResult<void> FlushOwned() = 0;

  // Events: the daemon polls fd() for readability and calls ProcessEvents(),
  // which invokes the handler for each decoded event. fd() is -1 when the
  // backend raises events synchronously from its own calls (fake).
  using EventHandler = std::function<void(const BackendEvent&)>;
  virtual void SetEventHandler(EventHandler handler) = 0;
  virtual int fd() const = 0;
  virtual void ProcessEvents() = 0;
};

// strongSwan-like policy priority: more specific selectors get a higher
// priority (a lower number in the kernel). Trap/pass policies are ordered per
// the same rule with their own base.
uint32_t ComputePriority(const Selector& selector, PolicyAction action, bool trap);

}  // namespace ike::xfrm
