#include "xfrm/userspace/spd.h"

#include <algorithm>

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

namespace {

bool WholeAddress(const IpAddress& a, uint8_t prefix) { return prefix == a.size() * 8; }

}  // namespace

void PolicyTable::IndexAdd(Ref e) {
  DirectionIndex& d = index_.at(static_cast<size_t>(e->params.direction));
  const Selector& s = e->params.selector;
  if (WholeAddress(s.dst, s.dst_prefix)) {
    d.by_dst[s.dst].push_back(e);
  } else if (WholeAddress(s.src, s.src_prefix)) {
    d.by_src[s.src].push_back(e);
  } else {
    d.other.push_back(e);
  }
}

void PolicyTable::IndexRemove(Ref e) {
  DirectionIndex& d = index_.at(static_cast<size_t>(e->params.direction));
  const Selector& s = e->params.selector;
  auto from = [&](HostIndex& m, const IpAddress& a) {
    auto it = m.find(a);
    if (it == m.end()) return;
    std::erase(it->second, e);
    if (it->second.empty()) m.erase(it);
  };
  if (WholeAddress(s.dst, s.dst_prefix)) {
    from(d.by_dst, s.dst);
  } else if (WholeAddress(s.src, s.src_prefix)) {
    from(d.by_src, s.src);
  } else {
    std::erase(d.other, e);
  }
}

const std::vector<PolicyTable::Ref>* PolicyTable::BucketOf(Direction dir, const Selector& s) const {
  const DirectionIndex& d = index_.at(static_cast<size_t>(dir));
  auto in = [](const HostIndex& m, const IpAddress& a) -> const std::vector<Ref>* {
    auto it = m.find(a);
    return it == m.end() ? nullptr : &it->second;
  };
  if (WholeAddress(s.dst, s.dst_prefix)) return in(d.by_dst, s.dst);
  if (WholeAddress(s.src, s.src_prefix)) return in(d.by_src, s.src);
  return &d.other;
}

void PolicyTable::Clear() {
  entries_.clear();
  for (auto& d : index_) d = DirectionIndex{};
}

// Through the index: an id's selector says which list holds it.
std::optional<PolicyTable::Ref> PolicyTable::Find(const PolicyId& id) const {
  if (static_cast<size_t>(id.direction) >= index_.size()) return std::nullopt;
  const std::vector<Ref>* bucket = BucketOf(id.direction, id.selector);
  if (bucket == nullptr) return std::nullopt;
  for (Ref r : *bucket) {
    if (IdOf(r->params) == id) return r;
  }
  return std::nullopt;
}

const PolicyEntry* PolicyTable::Get(const PolicyId& id) const {
  std::optional<Ref> r = Find(id);
  if (!r) return nullptr;
  const Ref it = *r;  // the entry lives in entries_, not in the optional
  return &*it;
}

BackendResult<void> PolicyTable::Add(const PolicyParams& policy) {
  if (Find(IdOf(policy))) {
    return MakeUnexpected(BackendError{BackendError::Code::kExists, 0, "policy already installed"});
  }
  PolicyEntry e;
  e.params = policy;
  e.priority = policy.priority != 0 ? policy.priority
                                    : ComputePriority(policy.selector, policy.action, policy.trap);
  e.index = next_index_++;
  entries_.push_back(std::move(e));
  IndexAdd(std::prev(entries_.end()));
  return {};
}

BackendResult<void> PolicyTable::Update(const PolicyParams& policy, bool allow_add) {
  auto found = Find(IdOf(policy));
  if (!found) {
    if (allow_add) return Add(policy);
    return MakeUnexpected(BackendError{BackendError::Code::kNotFound, 0, "no such policy"});
  }
  Ref it = *found;  // same id: same selector and direction, same index list
  it->params = policy;
  it->priority = policy.priority != 0
                     ? policy.priority
                     : ComputePriority(policy.selector, policy.action, policy.trap);
  it->last_acquire_ms = 0;
  return {};
}

BackendResult<void> PolicyTable::Delete(const PolicyId& id) {
  auto it = Find(id);
  if (!it) {
    return MakeUnexpected(BackendError{BackendError::Code::kNotFound, 0, "no such policy"});
  }
  IndexRemove(*it);
  entries_.erase(*it);
  return {};
}

PolicyEntry* PolicyTable::Lookup(Direction dir, const esp::PacketInfo& packet) {
  // Every policy that can match is in one of the three candidate lists
  // (one with a whole-address side matches only that address). Among the
  // matches: the lowest priority value, then the longer combined prefix,
  // then the older policy (the smaller insertion index).
  const DirectionIndex& d = index_.at(static_cast<size_t>(dir));
  PolicyEntry* best = nullptr;
  auto consider = [&](Ref r) {
    PolicyEntry* e = &*r;
    if (!SelectorMatches(e->params.selector, packet)) return;
    if (best == nullptr || e->priority < best->priority) {
      best = e;
      return;
    }
    if (e->priority != best->priority) return;
    int len = e->params.selector.src_prefix + e->params.selector.dst_prefix;
    int best_len = best->params.selector.src_prefix + best->params.selector.dst_prefix;
    if (len > best_len || (len == best_len && e->index < best->index)) best = e;
  };
  if (auto it = d.by_dst.find(packet.dst); it != d.by_dst.end()) {
    for (Ref r : it->second) consider(r);
  }
  if (auto it = d.by_src.find(packet.src); it != d.by_src.end()) {
    for (Ref r : it->second) consider(r);
  }
  for (Ref r : d.other) consider(r);
  return best;
}

}  // namespace ike::xfrm
