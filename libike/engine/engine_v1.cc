// The Engine's IKEv1 side: ISAKMP datagram demultiplexing by cookie pair,
// responder ISAKMP SAs for new Main/Aggressive Mode requests (counted
// against the same half-open limit as IKEv2), commands, kernel events and
// the bookkeeping after each input (INITIAL-CONTACT, Phase 1
// re-establishment adopting the IPsec SAs, restarts, reaping).
#include <algorithm>

#include "libike/engine/engine.h"

namespace ike::engine {

std::vector<const v1::IsakmpSa*> Engine::v1_sas() const {
  std::vector<const v1::IsakmpSa*> out;
  for (const auto& [id, sa] : v1_sas_) out.push_back(sa.get());
  return out;
}

const v1::IsakmpSa* Engine::FindV1Sa(uint64_t id) const {
  auto it = v1_sas_.find(id);
  return it == v1_sas_.end() ? nullptr : it->second.get();
}

v1::IsakmpSa* Engine::FindV1ById(uint64_t id) { return const_cast<v1::IsakmpSa*>(FindV1Sa(id)); }

const v1::IsakmpSa* Engine::FindEstablishedV1(const std::string& connection) const {
  for (const auto& [id, sa] : v1_sas_) {
    if (sa->established() && sa->config().name == connection) return sa.get();
  }
  return nullptr;
}

bool Engine::CookieInUse(uint64_t cookie) const { return v1_by_cookie_.count(cookie) != 0; }

v1::IsakmpSa* Engine::TouchV1(v1::IsakmpSa* sa) {
  if (sa) v1_touched_.push_back(sa->id());
  return sa;
}

void Engine::OnV1Datagram(const Datagram& dg, ByteView raw, TimePoint now, Effects& out) {
  auto msg = ::ike::v1::DecodeMessage(raw);
  if (!msg) {
    counters_.Inc(Drop::kMalformed);
    return;
  }
  const ::ike::v1::Header& h = msg->header;
  v1::IsakmpSa* sa = nullptr;
  // Our cookie is the responder cookie of SAs we answer, the initiator
  // cookie of SAs we started.
  if (h.responder_cookie != 0) {
    auto it = v1_by_cookie_.find(h.responder_cookie);
    if (it != v1_by_cookie_.end()) {
      v1::IsakmpSa* c = FindV1ById(it->second);
      if (c && c->role() == Role::kResponder && c->cookie_i() == h.initiator_cookie) sa = c;
    }
  }
  if (!sa) {
    auto it = v1_by_cookie_.find(h.initiator_cookie);
    if (it != v1_by_cookie_.end()) {
      v1::IsakmpSa* c = FindV1ById(it->second);
      if (c && c->role() == Role::kInitiator &&
          (c->cookie_r() == 0 || h.responder_cookie == 0 || c->cookie_r() == h.responder_cookie)) {
        sa = c;
      }
    }
  }
  if (!sa && h.responder_cookie == 0) {
    auto it = v1_half_open_index_.find({h.initiator_cookie, dg.from.ToString()});
    if (it != v1_half_open_index_.end()) sa = FindV1ById(it->second);
  }
  if (sa) {
    TouchV1(sa)->OnDatagram(*msg, raw, dg.from, dg.to, now, out);
    return;
  }
  bool phase1 = h.exchange_type == ::ike::v1::ExchangeType::kIdentityProtection ||
                h.exchange_type == ::ike::v1::ExchangeType::kAggressive;
  if (h.responder_cookie != 0 || !phase1 || h.message_id != 0 || h.encrypted) {
    counters_.Inc(Drop::kUnknownSpi);
    return;
  }
  // A new Main or Aggressive Mode request.
  if (half_open() >= settings_.half_open_limit) {
    counters_.Inc(Drop::kHalfOpenLimit);
    return;
  }
  const PeerConfig* config = nullptr;
  int best = -1;
  for (const auto& shared : configs_) {
    const PeerConfig& c = *shared;
    if (c.version != 1 && c.version != 0) continue;
    int score = AddressMatch(c, dg.to, dg.from);
    if (score > best) {
      best = score;
      config = &c;
    }
  }
  if (!config) {
    counters_.Inc(Drop::kNoConfig);
    return;
  }
  uint64_t id = next_id_++;
  uint64_t cookie_r = NewSpi();
  auto fresh = std::make_unique<v1::IsakmpSa>(id, Role::kResponder, SharedConfig(*config), env_,
                                              settings_, counters_, next_reqid_);
  fresh->Accept(dg.to, dg.from, h.initiator_cookie, cookie_r);
  fresh->SetReqidRegistry(&reqids_);
  fresh->SetAddressPools(&pools_);
  fresh->SetConfigCandidates(&configs_);
  std::string key = dg.from.ToString();
  fresh->set_half_open_key(key);
  v1::IsakmpSa& ref = *fresh;
  v1_sas_[id] = std::move(fresh);
  v1_by_cookie_[cookie_r] = id;
  v1_half_open_index_[{h.initiator_cookie, key}] = id;
  v1_half_open_ids_.insert(id);
  TouchV1(&ref)->OnDatagram(*msg, raw, dg.from, dg.to, now, out);
}

v1::IsakmpSa& Engine::InitiateV1(const PeerConfig& config, const std::vector<std::string>& children,
                                 TimePoint now, Effects& out) {
  uint64_t id = next_id_++;
  uint64_t cookie_i = NewSpi();
  auto sa = std::make_unique<v1::IsakmpSa>(id, Role::kInitiator, SharedConfig(config), env_, settings_,
                                           counters_, next_reqid_);
  v1::IsakmpSa& ref = *sa;
  v1_sas_[id] = std::move(sa);
  v1_by_cookie_[cookie_i] = id;
  ref.SetReqidRegistry(&reqids_);
  ref.SetAddressPools(&pools_);
  Endpoint local = config.local;
  if (local.address.IsUnspecified() && env_.sources && !config.remote.address.IsUnspecified()) {
    if (auto a = env_.sources->SourceFor(config.remote.address)) local.address = *a;
  }
  TouchV1(&ref)->Initiate(local, config.remote, cookie_i, children, now, out);
  return ref;
}

bool Engine::OnV1Kernel(const KernelEvent& ev, TimePoint now, Effects& out) {
  if (const auto* exp = std::get_if<xfrm::ExpireEvent>(&ev.event)) {
    for (auto& [id, sa] : v1_sas_) {
      for (const auto& c : sa->children()) {
        if (c.spi_in == exp->sa.spi || c.spi_out == exp->sa.spi) {
          TouchV1(sa.get())->OnChildExpire(c.spi_in, exp->hard, now, out);
          return true;
        }
      }
    }
    return false;
  }
  if (const auto* acq = std::get_if<xfrm::AcquireEvent>(&ev.event)) {
    for (const auto& shared : configs_) {
      const PeerConfig& config = *shared;
      if (config.version != 1) continue;
      for (const auto& child : config.children) {
        if (child.reqid == 0 || child.reqid != acq->reqid) continue;
        if (auto* up = const_cast<v1::IsakmpSa*>(FindEstablishedV1(config.name))) {
          TouchV1(up)->InitiateChildren({child.name}, /*only_missing=*/true, now, out);
        } else {
          bool connecting = false;
          for (const auto& [id, sa] : v1_sas_) {
            connecting = connecting || (sa->role() == Role::kInitiator && !sa->established() &&
                                        !sa->destroyed() && sa->config().name == config.name);
          }
          if (!connecting) InitiateV1(config, {child.name}, now, out);
        }
        return true;
      }
    }
  }
  return false;
}

void Engine::V1Housekeeping(TimePoint now, Effects& out) {
  if (v1_touched_.empty()) return;
  std::vector<uint64_t> ids;
  ids.swap(v1_touched_);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  auto same_peer = [&](const v1::IsakmpSa& a, const v1::IsakmpSa& b) {
    return a.config().name == b.config().name && a.remote().address == b.remote().address;
  };
  // INITIAL-CONTACT speaks for the peer's identity (an address may hide
  // several peers behind a NAT; a peer may come back from a new address).
  // Only a certificate binds the ID to one peer: with a PSK (often a group
  // PSK whose clients share one ID) the address must match too, and with
  // XAuth the user name, so one client never clears another's SAs.
  auto same_identity = [&](const v1::IsakmpSa& a, const v1::IsakmpSa& b) {
    if (a.config().name != b.config().name) return false;
    if (a.xauth_server() && a.xauth_user() != b.xauth_user()) return false;
    const bool same_address = a.remote().address == b.remote().address;
    if (!a.peer_id() || !b.peer_id()) return same_address;
    if (!(*a.peer_id() == *b.peer_id())) return false;
    return (a.signature_auth() && b.signature_auth()) || same_address;
  };
  // Before XAuth has passed, the peer has shown only the (group) PSK or its
  // certificate: what it claims about older SAs waits until the user is known.
  auto may_clear = [](const v1::IsakmpSa& sa) {
    return !sa.xauth_server() || (sa.xauth_done() && !sa.xauth_user().empty());
  };
  std::vector<const PeerConfig*> restart;
  for (uint64_t id : ids) {
    v1::IsakmpSa* sa = FindV1ById(id);
    if (!sa) continue;
    if (!sa->destroyed() && sa->established() && sa->housekept() && sa->initial_contact() &&
        may_clear(*sa)) {
      // INITIAL-CONTACT in an Informational exchange after Phase 1 (some
      // peers send it there rather than in MM5 / AM3): the same as below,
      // and the IPsec SAs adopted from them meanwhile go too.
      sa->clear_initial_contact();
      sa->DropAdoptedChildren("replaced (INITIAL-CONTACT)", now, out);
      for (auto& [oid, other] : v1_sas_) {
        if (oid >= sa->id() || other->destroyed() || !same_identity(*sa, *other)) continue;
        TouchV1(other.get())->Abort("replaced (INITIAL-CONTACT)", now, out);
      }
    }
    // An XAuth peer's SA is taken as the peer's (INITIAL-CONTACT, adopting
    // its older IPsec SAs) only once its user has passed.
    if (!sa->destroyed() && sa->established() && !sa->housekept() && may_clear(*sa)) {
      sa->set_housekept();
      if (sa->initial_contact()) {
        // RFC 2407 4.6.3.3: the peer forgot every SA with us.
        sa->clear_initial_contact();
        for (auto& [oid, other] : v1_sas_) {
          if (other.get() == sa || other->destroyed() || !same_identity(*sa, *other)) continue;
          TouchV1(other.get())->Abort("replaced (INITIAL-CONTACT)", now, out);
        }
      } else {
        // Phase 1 re-established: the IPsec SAs of older ISAKMP SAs with
        // this peer move here (RFC 2409 does not tie them to Phase 1).
        for (auto& [oid, other] : v1_sas_) {
          if (other.get() == sa || other->destroyed() || !other->established() ||
              !same_peer(*sa, *other) || !same_identity(*sa, *other) ||
              other->children().empty()) {
            continue;
          }
          sa->AdoptChildren(*other, now, out);
        }
      }
      if (uint64_t old = sa->reestablish_of()) {
        sa->set_reestablish_of(0);
        if (v1::IsakmpSa* o = TouchV1(FindV1ById(old))) {
          o->OnCommand(Command{TerminateIkeCommand{old}}, now, out);
        }
      }
    }
    if (!sa->destroyed() && sa->wants_reestablish()) {
      sa->clear_wants_reestablish();
      if (const PeerConfig* c = FindConfig(sa->config().name)) {
        v1::IsakmpSa& fresh = InitiateV1(*c, {}, now, out);
        fresh.set_reestablish_of(sa->id());
      }
    }
    if (sa->role() == Role::kResponder && !sa->established() && !sa->destroyed()) {
      v1_half_open_ids_.insert(id);
    } else {
      v1_half_open_ids_.erase(id);
      if (!sa->half_open_key().empty()) {
        v1_half_open_index_.erase({sa->cookie_i(), sa->half_open_key()});
        sa->set_half_open_key({});
      }
    }
    if (sa->destroyed()) {
      if (sa->wants_restart()) {
        if (const PeerConfig* c = FindConfig(sa->config().name)) restart.push_back(c);
      }
      v1_by_cookie_.erase(sa->local_cookie());
      v1_sas_.erase(id);
    }
  }
  for (const PeerConfig* c : restart) InitiateV1(*c, {}, now, out);
  if (!v1_touched_.empty()) V1Housekeeping(now, out);
}

}  // namespace ike::engine
