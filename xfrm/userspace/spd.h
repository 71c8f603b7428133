// The in-process Security Policy Database of the userspace backend: policy
// lookup by selector, the lowest priority value winning (ComputePriority
// makes more specific selectors win by default), ties going to the longer
// combined prefix and then to the older policy, like the kernel.
#pragma once

#include <array>
#include <cstdint>
#include <list>
#include <optional>
#include <string_view>
#include <unordered_map>
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
  // The installed policy with this id, or nullptr.
  const PolicyEntry* Get(const PolicyId& id) const;
  // Oldest first.
  const std::list<PolicyEntry>& entries() const { return entries_; }
  void Clear();

 private:
  using Ref = std::list<PolicyEntry>::iterator;
  std::optional<Ref> Find(const PolicyId& id) const;
  void IndexAdd(Ref e);
  void IndexRemove(Ref e);

  // A list, so that the lookup index can point at entries and a removal
  // does not move the others.
  std::list<PolicyEntry> entries_;
  // Lookup index per direction. A gateway's policies name one host on one
  // side (a roadwarrior's virtual IP: dst /32 out, src /32 in and fwd), so
  // a packet is checked against the policies for its own addresses plus
  // the few without a host side, not against every policy (a linear scan
  // cost ~300 us per packet with 10,000 tunnels).
  struct AddressHash {
    size_t operator()(const IpAddress& a) const noexcept {
      ByteView b = a.bytes();
      return std::hash<std::string_view>{}(
          std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
    }
  };
  using HostIndex = std::unordered_map<IpAddress, std::vector<Ref>, AddressHash>;
  struct DirectionIndex {
    HostIndex by_dst;        // dst prefix is a whole address
    HostIndex by_src;        // else src prefix is a whole address
    std::vector<Ref> other;  // neither
  };
  // The index list a policy with this selector is (or would be) in.
  const std::vector<Ref>* BucketOf(Direction dir, const Selector& s) const;
  std::array<DirectionIndex, 3> index_;  // by Direction
  uint32_t next_index_ = 1;
};

PolicyId IdOf(const PolicyParams& p);

}  // namespace ike::xfrm
