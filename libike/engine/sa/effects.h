// Inputs and effects of the sans-IO engine (DESIGN.md principle 1).
//
// The daemon (or the simulation) feeds Input values with the current time and
// executes the Effect values it gets back: SendDatagram -> sendmsg,
// ArmTimer -> timerfd, InstallSa -> xfrm::Backend::AddSa, and so on.
//
// SPIs for CHILD_SAs are allocated synchronously through Env::spis (a
// SpiAllocator, which the daemon binds to xfrm::Backend::AllocateSpi): the
// kernel call is cheap and synchronous anyway, and a synchronous answer keeps
// the tasks linear. Every allocated SPI that is not installed in the end is
// released with a DeleteSa effect.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "libike/common/bytes.h"
#include "libike/common/ip_address.h"
#include "libike/common/secret_bytes.h"
#include "xfrm/backend/backend.h"

namespace ike::engine {

// Milliseconds on the caller's monotonic clock; the engine never reads a clock.
using Duration = std::chrono::milliseconds;
using TimePoint = std::chrono::milliseconds;

// --- Inputs ---

struct Datagram {
  Endpoint from;  // the peer
  Endpoint to;    // our address and port it arrived on
  Bytes bytes;    // as received; on port 4500 including the non-ESP marker
};

enum class TimerKind : uint8_t {
  kRetransmit,
  kHalfOpenTimeout,
  kDpd,
  kIkeRekey,
  kIkeReauth,
  kIkeHardExpire,
  kChildRekey,   // aux = inbound SPI
  kChildExpire,  // aux = inbound SPI
  kDeleteGrace,
  kIkeLifetime,  // the hard end of an IKE_SA that was neither rekeyed nor reauthenticated
};
struct TimerId {
  uint64_t sa = 0;  // the engine-unique IKE_SA id
  TimerKind kind = TimerKind::kRetransmit;
  uint32_t aux = 0;
  friend bool operator==(const TimerId&, const TimerId&) = default;
  friend bool operator<(const TimerId& a, const TimerId& b) {
    if (a.sa != b.sa) return a.sa < b.sa;
    if (a.kind != b.kind) return a.kind < b.kind;
    return a.aux < b.aux;
  }
};
struct TimerFired {
  TimerId id;
};

struct KernelEvent {
  xfrm::BackendEvent event;
};

struct InitiateCommand {
  std::string connection;
  std::string child;  // empty: all children of the connection
};
struct TerminateIkeCommand {
  uint64_t sa = 0;
};
struct TerminateChildCommand {
  uint64_t sa = 0;
  uint32_t inbound_spi = 0;
};
struct RekeyIkeCommand {
  uint64_t sa = 0;
};
struct RekeyChildCommand {
  uint64_t sa = 0;
  uint32_t inbound_spi = 0;
};
struct DpdCommand {  // send a liveness check now
  uint64_t sa = 0;
};
struct ReauthCommand {  // make-before-break reauthentication
  uint64_t sa = 0;
};
struct InvalidSpiCommand {  // ESP arrived for an unknown SPI: tell the peer
  uint64_t sa = 0;
  uint32_t spi = 0;
};
// MOBIKE (RFC 4555 3.5), initiator: our address towards the peer changed
// and `local` is the new one (the host's route lookup chose it). An IKE_SA
// with MOBIKE moves there and tells the peer with UPDATE_SA_ADDRESSES; the
// port stays ours (500 or 4500 as in use).
struct MobikeUpdateCommand {
  uint64_t sa = 0;
  IpAddress local;
};
using Command = std::variant<InitiateCommand, TerminateIkeCommand, TerminateChildCommand,
                             RekeyIkeCommand, RekeyChildCommand, DpdCommand, ReauthCommand,
                             InvalidSpiCommand, MobikeUpdateCommand>;

// The AAA backend's answer to an EapBackendRequest (RFC 3579: RADIUS
// Access-Challenge / Access-Accept / Access-Reject, or no server answered).
struct EapBackendReply {
  enum class Kind : uint8_t { kChallenge, kAccept, kReject, kUnavailable };
  uint64_t sa = 0;
  Kind kind = Kind::kUnavailable;
  Bytes eap_message;  // the EAP packet for the peer (Request, Success, Failure)
  SecretBytes msk;    // kAccept: MS-MPPE-Recv-Key || MS-MPPE-Send-Key (RFC 2548)
  std::optional<IpAddress> framed_ip;  // kAccept: the peer's virtual IP, if assigned
  std::string reason;                  // kReject / kUnavailable: for the log
};

using Input = std::variant<Datagram, TimerFired, KernelEvent, Command, EapBackendReply>;

// --- Effects ---

struct SendDatagram {
  Endpoint from;
  Endpoint to;
  Bytes bytes;  // ready for the wire (non-ESP marker included on port 4500)
};
struct ArmTimer {
  TimerId id;
  Duration after;  // from the `now` of the Handle call; re-arming replaces
};
struct CancelTimer {
  TimerId id;
};
struct InstallSa {
  xfrm::SaParams params;
};
struct DeleteSa {
  xfrm::SaId id;
};
struct InstallPolicy {
  xfrm::PolicyParams params;
};
struct DeletePolicy {
  xfrm::PolicyId id;
};
// MOBIKE (RFC 4555): an installed SA moves to new outer addresses and/or
// UDP encapsulation without a rekey. `params` holds the new id (id.dst),
// src and encap and everything else as installed, but no keys: the backend
// keeps keys, sequence numbers and replay state (xfrm::Backend::MigrateSa).
struct MigrateSa {
  xfrm::SaId old_id;
  xfrm::SaParams params;
};
// An installed policy (same selector, direction, mark) with new templates
// (the tunnel endpoints after a MOBIKE move): xfrm::Backend::UpdatePolicy.
struct UpdatePolicy {
  xfrm::PolicyParams params;
};

enum class EventKind : uint8_t {
  kIkeUp,
  kIkeDown,
  kIkeRekeyed,
  kChildUp,
  kChildDown,
  kChildRekeyed,
};
// What to do when a peer stops answering (dpd_action) or closes a
// CHILD_SA (close_action).
enum class DpdAction : uint8_t { kNone, kClear, kRestart, kTrap };

struct Event {
  EventKind kind = EventKind::kIkeUp;
  uint64_t sa = 0;  // the engine-unique IKE_SA id
  std::string connection;
  std::string child;
  uint32_t spi_in = 0;  // CHILD_SA events
  uint32_t spi_out = 0;
  std::string reason;  // why it went down / failed ("" when up)
  // On a down event: what the configuration asks for now. kTrap: install
  // trap policies so traffic brings the SA back (the host does this);
  // kRestart: bring it up again (the engine does this for an IKE_SA whose
  // peer died; the host re-initiates a CHILD_SA the peer closed).
  // Set from dpd_action when the peer stopped answering, and from the
  // child's close_action when the peer deleted the CHILD_SA or IKE_SA.
  DpdAction then = DpdAction::kNone;
};
struct EmitEvent {
  Event event;
};
// Initiator: a virtual IP the gateway assigned to us, to be configured on
// the host (add) or taken away again (remove, when the IKE_SA goes).
struct VirtualIp {
  bool add = true;
  IpAddress address;
  std::string connection;
  uint64_t sa = 0;
};

// Responder delegating EAP to an AAA backend (`auth = eap-radius`): one EAP
// packet from the peer to forward (RFC 3579). The host answers with an
// EapBackendReply input for the same `sa`; until then the IKE_AUTH request
// stays unanswered (retransmits of it are dropped). `first` starts a new
// backend conversation (a new RADIUS State).
struct EapBackendRequest {
  uint64_t sa = 0;
  std::string connection;
  Bytes identity;     // the peer's EAP identity (RADIUS User-Name)
  Bytes eap_message;  // the peer's EAP Response packet
  bool first = false;
  Endpoint local;   // our IKE endpoint (NAS-IP-Address, Called-Station-Id)
  Endpoint remote;  // the peer's (Calling-Station-Id)
};

using Effect = std::variant<SendDatagram, ArmTimer, CancelTimer, InstallSa, DeleteSa,
                            InstallPolicy, DeletePolicy, EmitEvent, VirtualIp,
                            EapBackendRequest, MigrateSa, UpdatePolicy>;
using Effects = std::vector<Effect>;

}  // namespace ike::engine
