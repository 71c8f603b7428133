// The in-process Security Policy Database of the userspace backend: policy
// lookup by selector, the lowest priority value winning (ComputePriority
// makes more specific selectors win by default), ties going to the longer
// combined prefix and then to the older policy, like the kernel.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "xfrm/backend/backend.h"
#include "xfrm/esp/ip_packet.h"

namespace ike::xfrm {

// True when the address lies in net/prefix (same family required).
bool PrefixContains(const IpAddress& net, uint8_t prefix, const IpAddress& addr);
bool SelectorMatches(const Selector& sel, const esp::PacketInfo& packet);

struct PolicyEntry {
  PolicyParams params;
  uint32_t priority = 0;  // effective (computed when params.priority is 0)
  uint32_t index = 0;     // insertion order, also the AcquireEvent policy_index
  uint64_t last_acquire_ms = 0;  // trap policies: acquire rate limit
};

class PolicyTable {
 public:
  // kExists if a policy with the same id (selector, direction, mark, if_id)
  // is installed.
  BackendResult<void> Add(const PolicyParams& policy);
  // Replaces an existing policy (kNotFound if absent) or adds it when
  // allow_add.
  BackendResult<void> Update(const PolicyParams& policy, bool allow_add);
  BackendResult<void> Delete(const PolicyId& id);
  // The best matching policy for a packet in `dir`, or nullptr.
  PolicyEntry* Lookup(Direction dir, const esp::PacketInfo& packet);
  const std::vector<PolicyEntry>& entries() const { return entries_; }
  void Clear() { entries_.clear(); }

 private:
  std::vector<PolicyEntry>::iterator Find(const PolicyId& id);
  std::vector<PolicyEntry> entries_;
  uint32_t next_index_ = 1;
};

PolicyId IdOf(const PolicyParams& p);

}  // namespace ike::xfrm
