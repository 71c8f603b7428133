// Dropping privileges after start-up. Once every socket is bound, the data
// path is opened and the control socket listens, the daemon needs only
// CAP_NET_ADMIN: XFRM netlink (SAs, policies, events), routes and addresses
// of the userspace path's TUN device. Everything else is dropped from the
// effective, permitted, inheritable, ambient and bounding sets, and
// PR_SET_NO_NEW_PRIVS is set. The uid stays 0 (files the daemon reads on
// reload are root's own, so DAC still lets it read them).
//
// Capability sets are per thread on Linux: DropCapabilities must run while
// the process has one thread (the daemon starts the userspace data path's
// workers afterwards). It refuses to run otherwise.
#pragma once

#include <cstdint>
#include <string>

#include "libike/common/result.h"

namespace ike::charon {

// A set of capabilities, bit N = capability N (linux/capability.h numbers).
using CapMask = uint64_t;

constexpr CapMask CapBit(int cap) { return CapMask{1} << cap; }

struct CapState {
  CapMask effective = 0;
  CapMask permitted = 0;
  CapMask inheritable = 0;
  CapMask bounding = 0;
  CapMask ambient = 0;
};

// What the daemon needs at runtime (after start-up): CAP_NET_ADMIN for
// either backend. Raw ESP sockets (userspace path) and the privileged IKE
// ports are opened before the drop and need nothing afterwards.
CapMask RuntimeCapabilities();

struct CapPlan {
  CapMask keep = 0;            // effective = permitted = keep afterwards
  CapMask drop_bounding = 0;   // removed from the bounding set
  bool can_drop_bounding = false;  // CAP_SETPCAP is permitted
  bool nothing_to_do = false;  // no capability held beyond `keep`
};

// Pure: the plan for a process in `state` that needs `needed`. Keeps only
// what it holds of `needed`; bounding entries outside `needed` are dropped
// when CAP_SETPCAP is permitted (the bounding set cannot shrink otherwise).
CapPlan PlanDrop(const CapState& state, CapMask needed);

// "cap_net_admin,cap_net_raw" ("none" for 0); unknown bits as "cap_N".
std::string CapNames(CapMask mask);

// The calling thread's capability state (capget + PR_CAPBSET_READ +
// PR_CAP_AMBIENT_IS_SET).
Result<CapState, std::string> ReadCapState();

struct CapDropReport {
  CapState before;
  CapState after;
  bool bounding_dropped = false;
};

// Applies PlanDrop(ReadCapState(), needed) to the process (single-threaded
// only) and sets PR_SET_NO_NEW_PRIVS; verifies the result by reading back.
Result<CapDropReport, std::string> DropCapabilities(CapMask needed);

// Threads of this process (from /proc/self/task), or -1 when unknown.
int ThreadCount();

}  // namespace ike::charon
