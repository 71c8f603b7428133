#include "xfrm/userspace/spd.h"

namespace ike::xfrm {

bool PrefixContains(const IpAddress& net, uint8_t prefix, const IpAddress& addr) {
  if (net.family() != addr.family()) return false;
  return addr.Masked(prefix) == net.Masked(prefix);
}

bool SelectorMatches(const Selector& sel, const esp::PacketInfo& packet) {
  if (!PrefixContains(sel.src, sel.src_prefix, packet.src)) return false;
  if (!PrefixContains(sel.dst, sel.dst_prefix, packet.dst)) return false;
  if (sel.proto != 0 && sel.proto != packet.proto) return false;
  if (sel.src_port_mask != 0 &&
      (packet.src_port & sel.src_port_mask) != (sel.src_port & sel.src_port_mask)) {
    return false;
  }
  if (sel.dst_port_mask != 0 &&
      (packet.dst_port & sel.dst_port_mask) != (sel.dst_port & sel.dst_port_mask)) {
    return false;
  }
  return true;
}

PolicyId IdOf(const PolicyParams& p) {
  return PolicyId{p.selector, p.direction, p.mark, p.if_id};
}

std::vector<PolicyEntry>::iterator PolicyTable::Find(const PolicyId& id) {
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (IdOf(it->params) == id) return it;
  }
  return entries_.end();
}

BackendResult<void> PolicyTable::Add(const PolicyParams& policy) {
  if (Find(IdOf(policy)) != entries_.end()) {
    return MakeUnexpected(BackendError{BackendError::Code::kExists, 0, "policy already installed"});
  }
  PolicyEntry e;
  e.params = policy;
  e.priority = policy.priority != 0 ? policy.priority
                                    : ComputePriority(policy.selector, policy.action, policy.trap);
  e.index = next_index_++;
  entries_.push_back(std::move(e));
  return {};
}

BackendResult<void> PolicyTable::Update(const PolicyParams& policy, bool allow_add) {
  auto it = Find(IdOf(policy));
  if (it == entries_.end()) {
    if (allow_add) return Add(policy);
    return MakeUnexpected(BackendError{BackendError::Code::kNotFound, 0, "no such policy"});
  }
  it->params = policy;
  it->priority = policy.priority != 0
                     ? policy.priority
                     : ComputePriority(policy.selector, policy.action, policy.trap);
  it->last_acquire_ms = 0;
  return {};
}

BackendResult<void> PolicyTable::Delete(const PolicyId& id) {
  auto it = Find(id);
  if (it == entries_.end()) {
    return MakeUnexpected(BackendError{BackendError::Code::kNotFound, 0, "no such policy"});
  }
  entries_.erase(it);
  return {};
}

PolicyEntry* PolicyTable::Lookup(Direction dir, const esp::PacketInfo& packet) {
  PolicyEntry* best = nullptr;
  for (auto& e : entries_) {
    if (e.params.direction != dir || !SelectorMatches(e.params.selector, packet)) continue;
    if (best == nullptr || e.priority < best->priority ||
        (e.priority == best->priority &&
         e.params.selector.src_prefix + e.params.selector.dst_prefix >
             best->params.selector.src_prefix + best->params.selector.dst_prefix)) {
      best = &e;
    }
  }
  return best;
}

}  // namespace ike::xfrm
