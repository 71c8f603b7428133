#include "libike/engine/engine.h"

#include <openssl/evp.h>

#include <algorithm>
#include <tuple>

#include "libike/engine/sa/codec.h"
#include "libike/engine/sa/keymat.h"

namespace ike::engine {

Engine::Engine(Env env, EngineSettings settings)
    : env_(env), settings_(settings), cookie_secret_(env.rng.Generate(32)) {}

namespace {
// Certificates and keys are parsed once per configuration, not per IKE_SA.
void Prepare(PeerConfig& config) {
  PreparePubkeyMaterial(config.local_auth);
  PreparePubkeyMaterial(config.remote_auth);
}
}  // namespace

void Engine::AddConfig(PeerConfig config) {
  Prepare(config);
  configs_.push_back(std::make_shared<const PeerConfig>(std::move(config)));
  config_index_.emplace(configs_.back()->name, configs_.size() - 1);
}

void Engine::SetConfigs(std::vector<PeerConfig> configs) {
  configs_.clear();
  for (PeerConfig& c : configs) {
    Prepare(c);
    configs_.push_back(std::make_shared<const PeerConfig>(std::move(c)));
  }
  IndexConfigs();
}

void Engine::IndexConfigs() {
  config_index_.clear();
  for (size_t i = 0; i < configs_.size(); ++i) config_index_.emplace(configs_[i]->name, i);
}

const PeerConfig* Engine::FindConfig(const std::string& name) const {
  auto it = config_index_.find(name);
  return it == config_index_.end() ? nullptr : configs_[it->second].get();
}

std::shared_ptr<const PeerConfig> Engine::SharedConfig(const PeerConfig& config) const {
  auto it = config_index_.find(config.name);
  if (it != config_index_.end() && configs_[it->second].get() == &config) return configs_[it->second];
  for (const auto& c : configs_) {
    if (c.get() == &config) return c;
  }
  return std::make_shared<const PeerConfig>(config.Clone());
}

std::vector<const IkeSa*> Engine::sas() const {
  std::vector<const IkeSa*> out;
  for (const auto& [spi, sa] : by_spi_) out.push_back(sa.get());
  std::sort(out.begin(), out.end(),
            [](const IkeSa* a, const IkeSa* b) { return a->id() < b->id(); });
  return out;
}

const IkeSa* Engine::FindSa(uint64_t id) const {
  auto it = id_to_spi_.find(id);
  if (it == id_to_spi_.end()) return nullptr;
  auto s = by_spi_.find(it->second);
  return s == by_spi_.end() ? nullptr : s->second.get();
}

size_t Engine::child_sa_count() const {
  size_t n = 0;
  for (const auto& [spi, sa] : by_spi_) n += sa->children().size();
  for (const auto& [id, sa] : v1_sas_) n += sa->children().size();
  return n;
}

IkeSa* Engine::FindById(uint64_t id) { return const_cast<IkeSa*>(FindSa(id)); }

const IkeSa* Engine::FindEstablished(const std::string& connection) const {
  // by_connection_ holds every established SA (Housekeeping indexes the SAs
  // an input touched), in id order as sas() lists them.
  auto b = by_connection_.find(connection);
  if (b == by_connection_.end()) return nullptr;
  for (uint64_t id : b->second) {
    const IkeSa* sa = FindSa(id);
    if (sa && sa->established() && !sa->rekeyed_away() && sa->config().name == connection) return sa;
  }
  return nullptr;
}

bool Engine::Connecting(const std::string& connection) const {
  for (const auto& [spi, sa] : by_spi_) {
    if (sa->role() == Role::kInitiator && !sa->established() && !sa->destroyed() &&
        sa->config().name == connection) {
      return true;
    }
  }
  return false;
}

size_t Engine::half_open() const { return half_open_ids_.size() + v1_half_open_ids_.size(); }

IkeSa* Engine::Touch(IkeSa* sa) {
  if (sa) {
    pending_adopt_.push_back(sa->id());
    pending_house_.push_back(sa->id());
    pending_reap_.push_back(sa->id());
  }
  return sa;
}

std::vector<IkeSa*> Engine::TakePending(std::vector<uint64_t>& pending) {
  std::vector<uint64_t> ids;
  ids.swap(pending);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  std::vector<IkeSa*> out;
  out.reserve(ids.size());
  for (uint64_t id : ids) {
    if (IkeSa* sa = FindById(id)) out.push_back(sa);
  }
  // The order a scan of by_spi_ had.
  std::sort(out.begin(), out.end(),
            [](const IkeSa* a, const IkeSa* b) { return a->local_spi() < b->local_spi(); });
  return out;
}

std::string Engine::PeerKey(const IkeSa& sa) {
  std::string key = sa.config().name;
  key.push_back('\0');
  if (sa.peer_id()) {
    key.push_back(static_cast<char>(sa.peer_id()->type));
    key.append(sa.peer_id()->data.begin(), sa.peer_id()->data.end());
  }
  return key;
}

void Engine::IndexPeer(IkeSa& sa) {
  std::string key = PeerKey(sa);
  auto it = peer_key_of_.find(sa.id());
  if (it != peer_key_of_.end()) {
    if (*it->second == key) return;
    UnindexPeer(sa.id());
  }
  auto [slot, added] = by_peer_.try_emplace(std::move(key));
  slot->second.push_back(sa.id());
  by_connection_[sa.config().name].insert(sa.id());
  peer_key_of_[sa.id()] = &slot->first;
}

void Engine::UnindexPeer(uint64_t id) {
  auto it = peer_key_of_.find(id);
  if (it == peer_key_of_.end()) return;
  // The key starts with the connection name, up to a NUL.
  const std::string& key = *it->second;
  auto c = by_connection_.find(key.substr(0, key.find('\0')));
  if (c != by_connection_.end()) {
    c->second.erase(id);
    if (c->second.empty()) by_connection_.erase(c);
  }
  auto b = by_peer_.find(key);  // last: erasing it frees `key`
  if (b != by_peer_.end()) {
    auto& ids = b->second;
    ids.erase(std::remove(ids.begin(), ids.end(), id), ids.end());
    if (ids.empty()) by_peer_.erase(b);
  }
  peer_key_of_.erase(it);
}

// Established SAs indexed under the same (connection, peer identity) as
// `sa` (itself included), in SPI order as a scan of by_spi_ would find them.
std::vector<IkeSa*> Engine::SamePeer(const IkeSa& sa) {
  std::vector<IkeSa*> out;
  auto b = by_peer_.find(PeerKey(sa));
  if (b == by_peer_.end()) return out;
  for (uint64_t id : b->second) {
    if (IkeSa* o = FindById(id)) out.push_back(o);
  }
  std::sort(out.begin(), out.end(),
            [](const IkeSa* a, const IkeSa* b) { return a->local_spi() < b->local_spi(); });
  return out;
}

uint64_t Engine::NewSpi() {
  for (;;) {
    Bytes b = env_.rng.Generate(8);
    uint64_t v = 0;
    for (uint8_t x : b) v = v << 8 | x;
    if (v != 0 && by_spi_.count(v) == 0 && !CookieInUse(v)) return v;
  }
}

Effects Engine::Handle(const Input& input, TimePoint now) {
  Effects out;
  if (const auto* dg = std::get_if<Datagram>(&input)) {
    OnDatagram(*dg, now, out);
  } else if (const auto* t = std::get_if<TimerFired>(&input)) {
    if (v1::IsakmpSa* v1sa = TouchV1(FindV1ById(t->id.sa))) {
      v1sa->OnTimer(t->id, now, out);
    } else if (IkeSa* sa = Touch(FindById(t->id.sa))) {
      sa->OnTimer(t->id, now, out);
    }
  } else if (const auto* c = std::get_if<Command>(&input)) {
    OnCommand(*c, now, out);
  } else if (const auto* k = std::get_if<KernelEvent>(&input)) {
    OnKernel(*k, now, out);
  } else if (const auto* r = std::get_if<EapBackendReply>(&input)) {
    if (IkeSa* sa = Touch(FindById(r->sa))) {
      sa->OnEapBackendReply(*r, now, out);
    } else {
      counters_.Inc(Drop::kUnexpectedEapReply);
    }
  }
  AdoptRekeys(now, out);
  Housekeeping(now, out);
  Reap(now, out);
  V1Housekeeping(now, out);
  FilterPolicies(out);
  return out;
}

bool Engine::PolicyKey::operator<(const PolicyKey& o) const {
  auto t = [](const PolicyKey& k) {
    const xfrm::Selector& s = k.selector;
    return std::make_tuple(s.src, s.src_prefix, s.dst, s.dst_prefix, s.proto, s.src_port,
                           s.src_port_mask, s.dst_port, s.dst_port_mask,
                           static_cast<int>(k.direction), k.mark.value, k.mark.mask, k.if_id);
  };
  return t(*this) < t(o);
}

void Engine::FilterPolicies(Effects& out) {
  Effects kept;
  kept.reserve(out.size());
  for (auto& e : out) {
    if (auto* ip = std::get_if<InstallPolicy>(&e)) {
      const auto& p = ip->params;
      if (policy_refs_[PolicyKey{p.selector, p.direction, p.mark, p.if_id}]++ > 0) continue;
    } else if (auto* dp = std::get_if<DeletePolicy>(&e)) {
      const auto& p = dp->id;
      auto it = policy_refs_.find(PolicyKey{p.selector, p.direction, p.mark, p.if_id});
      if (it != policy_refs_.end() && --it->second > 0) continue;
      if (it != policy_refs_.end()) policy_refs_.erase(it);
    }
    kept.push_back(std::move(e));
  }
  out = std::move(kept);
}

void Engine::Housekeeping(TimePoint now, Effects& out) {
  std::vector<IkeSa*> reauth, contact, replaced, fresh_up;
  std::vector<IkeSa*> touched = TakePending(pending_house_);
  for (IkeSa* sa : touched) {
    if (sa->destroyed()) continue;
    if (sa->established()) IndexPeer(*sa);
  }
  for (IkeSa* sa : touched) {
    if (sa->destroyed()) continue;
    if (sa->wants_reauth()) reauth.push_back(sa);
    if (sa->initial_contact() && sa->established()) contact.push_back(sa);
    if (sa->reauth_of() && sa->established()) replaced.push_back(sa);
    if (sa->established() && !sa->unique_checked()) fresh_up.push_back(sa);
  }
  for (IkeSa* sa : fresh_up) {
    sa->set_unique_checked();
    UniquePolicy policy = sa->config().unique;
    if (sa->rekeyed_away() || !sa->peer_id() ||
        (policy != UniquePolicy::kReplace && policy != UniquePolicy::kKeep)) {
      continue;
    }
    for (IkeSa* o : SamePeer(*sa)) {
      if (o == sa || o->destroyed() || !o->established() || o->rekeyed_away()) continue;
      if (o->config().name != sa->config().name || o->peer_id() != sa->peer_id()) continue;
      if (sa->reauth_of() == o->id() || o->reauth_of() == sa->id()) continue;  // make-before-break
      if (policy == UniquePolicy::kReplace) {
        Touch(o)->OnCommand(Command{TerminateIkeCommand{o->id()}}, now, out);
      } else {
        Touch(sa)->OnCommand(Command{TerminateIkeCommand{sa->id()}}, now, out);
        break;
      }
    }
  }
  for (IkeSa* old : reauth) {
    old->clear_wants_reauth();
    const PeerConfig* c = FindConfig(old->config().name);
    if (!c) continue;
    IkeSa& fresh = Initiate(*c, {}, now, out);
    fresh.set_reauth_of(old->id());
  }
  for (IkeSa* sa : replaced) {
    // Make-before-break: the new SA is up, the old one goes.
    uint64_t old_id = sa->reauth_of();
    sa->set_reauth_of(0);
    if (IkeSa* old = Touch(FindById(old_id))) {
      old->OnCommand(Command{TerminateIkeCommand{old_id}}, now, out);
    }
  }
  for (IkeSa* sa : contact) {
    // RFC 7296 2.4: INITIAL_CONTACT: the peer forgot every other IKE_SA
    // with us; drop them without notifying it (unless unique = never, or
    // keep: there the newcomer was refused above and the old SA stays).
    sa->clear_initial_contact();
    if (sa->config().unique == UniquePolicy::kNever || sa->config().unique == UniquePolicy::kKeep) continue;
    for (IkeSa* other : SamePeer(*sa)) {
      if (other == sa || other->destroyed() || !other->established()) continue;
      if (other->config().name == sa->config().name && other->peer_id() == sa->peer_id() &&
          other->role() == Role::kResponder) {
        Touch(other)->Abort("replaced (INITIAL_CONTACT)", now, out);
      }
    }
  }
}

void Engine::AdoptRekeys(TimePoint now, Effects& out) {
  std::vector<std::pair<IkeSa*, IkeSa::RekeyOutcome>> done;
  for (IkeSa* sa : TakePending(pending_adopt_)) {
    if (auto r = sa->TakeRekey()) done.emplace_back(sa, std::move(*r));
  }
  auto make = [&](IkeSa& old, const IkeRekeyResult& result) -> IkeSa* {
    uint64_t our_spi = result.role == Role::kInitiator ? result.spi_i : result.spi_r;
    if (our_spi == 0 || by_spi_.count(our_spi)) return nullptr;  // SPI clash
    uint64_t id = next_id_++;
    auto sa = std::make_unique<IkeSa>(id, result.role, old.shared_config(), env_, settings_,
                                      counters_, next_reqid_);
    IkeSa* ref = sa.get();
    by_spi_[our_spi] = std::move(sa);
    id_to_spi_[id] = our_spi;
    ref->SetReqidRegistry(&reqids_);
    ref->SetAddressPools(&pools_);
    return ref;
  };
  for (auto& [old, outcome] : done) {
    IkeSa* fresh = make(*old, outcome.adopt);
    if (!fresh) continue;  // SPI clash: keep the old SA
    fresh->set_unique_checked();  // the same IKE_SA, rekeyed
    Touch(old);
    Touch(fresh)->AdoptFrom(*old, std::move(outcome.adopt), now, out);
    if (outcome.redundant) {
      if (IkeSa* loser = Touch(make(*old, *outcome.redundant))) {
        loser->AdoptRedundant(*old, std::move(*outcome.redundant), now, out);
      }
    }
  }
}

void Engine::OnDatagram(const Datagram& dg, TimePoint now, Effects& out) {
  ByteView raw(dg.bytes);
  if (dg.to.port != 500) {
    // RFC 3948 2.2: IKE on the NAT-T port carries a 4-octet zero marker.
    if (raw.size() < kNonEspMarkerSize || raw[0] || raw[1] || raw[2] || raw[3]) {
      counters_.Inc(Drop::kMissingNonEspMarker);
      return;
    }
    raw = raw.subspan(kNonEspMarkerSize);
  }
  // The version octet tells ISAKMP (major 1) from IKEv2 (major 2).
  if (raw.size() >= 18 && (raw[17] >> 4) == 1) {
    OnV1Datagram(dg, raw, now, out);
    return;
  }
  auto msg = wire::DecodeMessage(raw);
  if (!msg) {
    counters_.Inc(Drop::kMalformed);
    return;
  }
  const wire::Header& h = msg->header;
  bool from_original_initiator = h.initiator;
  uint64_t our_spi = from_original_initiator ? h.spi_r : h.spi_i;
  if (from_original_initiator && h.spi_r == 0) {
    if (h.exchange_type != ExchangeType::kIkeSaInit || h.response || h.message_id != 0) {
      counters_.Inc(Drop::kUnknownSpi);
      return;
    }
    auto it = half_open_index_.find({h.spi_i, dg.from.ToString()});
    if (it == half_open_index_.end()) {
      NewResponder(*msg, raw, dg, now, out);
      return;
    }
    our_spi = it->second;
  }
  auto it = by_spi_.find(our_spi);
  if (it == by_spi_.end()) {
    counters_.Inc(Drop::kUnknownSpi);
    return;
  }
  IkeSa& sa = *it->second;
  bool expect_initiator_flag = sa.role() == Role::kResponder;
  if (from_original_initiator != expect_initiator_flag || sa.spi_i() != h.spi_i ||
      (sa.spi_r() != 0 && h.spi_r != 0 && sa.spi_r() != h.spi_r)) {
    counters_.Inc(Drop::kBadFlags);
    return;
  }
  Touch(sa).OnDatagram(*msg, raw, dg.from, dg.to, now, out);
}

const PeerConfig* Engine::MatchResponderConfig(const Endpoint& local,
                                               const Endpoint& remote) const {
  // The most specific address match: a named peer before %any.
  const PeerConfig* best = nullptr;
  int best_score = -1;
  for (const auto& c : configs_) {
    if (c->version == 1) continue;  // IKEv1 only: not for IKE_SA_INIT
    int score = AddressMatch(*c, local, remote);
    if (score > best_score) {
      best = c.get();
      best_score = score;
    }
  }
  return best;
}

Bytes Engine::Cookie(ByteView nonce, const IpAddress& peer, uint64_t spi_i) const {
  // RFC 7296 2.6: Cookie = <VersionIDofSecret> | Hash(Ni | IPi | SPIi | <secret>)
  Bytes data(nonce.begin(), nonce.end());
  auto a = peer.bytes();
  data.insert(data.end(), a.begin(), a.end());
  Bytes s = SpiBytes(spi_i);
  data.insert(data.end(), s.begin(), s.end());
  data.insert(data.end(), cookie_secret_.begin(), cookie_secret_.end());
  Bytes out(4 + 32, 0);
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out.data() + 4, &len, EVP_sha256(), nullptr);
  return out;
}

bool Engine::CheckCookie(const wire::Message& msg, const Datagram& dg, Effects& out) {
  const auto* nonce = msg.Find<wire::NoncePayload>();
  if (!nonce) return true;  // the IKE_SA_INIT task rejects it
  Bytes expect = Cookie(nonce->data, dg.from.address, msg.header.spi_i);
  const wire::NotifyPayload* first = msg.payloads.empty()
                                         ? nullptr
                                         : std::get_if<wire::NotifyPayload>(&msg.payloads[0]);
  if (first && first->type == wire::NotifyType::kCookie) {
    if (first->data == expect) return true;
    counters_.Inc(Drop::kInvalidCookie);
  } else {
    counters_.Inc(Drop::kCookieRequired);
  }
  wire::Message resp;
  resp.header = msg.header;
  resp.header.spi_r = 0;
  resp.header.response = true;
  resp.header.initiator = false;
  resp.payloads.push_back(wire::NotifyPayload::Make(wire::NotifyType::kCookie, expect));
  out.push_back(SendDatagram{dg.to, dg.from, WithMarker(EncodePlain(resp), dg.to.port != 500)});
  return false;
}

void Engine::NewResponder(const wire::Message& msg, ByteView raw, const Datagram& dg,
                          TimePoint now, Effects& out) {
  size_t open = half_open();
  if (open >= settings_.half_open_limit) {
    counters_.Inc(Drop::kHalfOpenLimit);
    return;
  }
  if (open >= settings_.cookie_threshold && !CheckCookie(msg, dg, out)) return;
  const PeerConfig* config = MatchResponderConfig(dg.to, dg.from);
  if (!config) {
    counters_.Inc(Drop::kNoConfig);
    return;
  }
  uint64_t id = next_id_++;
  uint64_t spi_r = NewSpi();
  auto sa = std::make_unique<IkeSa>(id, Role::kResponder, SharedConfig(*config), env_, settings_,
                                    counters_, next_reqid_);
  sa->Accept(dg.to, dg.from, msg.header.spi_i, spi_r);
  sa->SetReqidRegistry(&reqids_);
  sa->SetAddressPools(&pools_);
  sa->SetConfigCandidates(&configs_);
  IkeSa& ref = *sa;
  by_spi_[spi_r] = std::move(sa);
  id_to_spi_[id] = spi_r;
  std::string from = dg.from.ToString();
  half_open_index_[{msg.header.spi_i, from}] = spi_r;
  ref.set_half_open_key(std::move(from));
  half_open_ids_.insert(id);
  Touch(ref).OnDatagram(msg, raw, dg.from, dg.to, now, out);
}

IkeSa& Engine::Initiate(const PeerConfig& config, const std::vector<std::string>& children,
                        TimePoint now, Effects& out) {
  uint64_t id = next_id_++;
  uint64_t spi_i = NewSpi();
  auto sa = std::make_unique<IkeSa>(id, Role::kInitiator, SharedConfig(config), env_, settings_,
                                    counters_, next_reqid_);
  IkeSa& ref = *sa;
  by_spi_[spi_i] = std::move(sa);
  id_to_spi_[id] = spi_i;
  ref.SetReqidRegistry(&reqids_);
  ref.SetAddressPools(&pools_);
  Endpoint local = config.local;
  // local_addrs = %any: the route towards the peer picks our address.
  if (local.address.IsUnspecified() && env_.sources && !config.remote.address.IsUnspecified()) {
    if (auto a = env_.sources->SourceFor(config.remote.address)) local.address = *a;
  }
  Touch(ref).Initiate(local, config.remote, spi_i, children, now, out);
  return ref;
}

void Engine::OnCommand(const Command& cmd, TimePoint now, Effects& out) {
  if (const auto* init = std::get_if<InitiateCommand>(&cmd)) {
    const PeerConfig* config = FindConfig(init->connection);
    if (!config) return;
    std::vector<std::string> children;
    if (!init->child.empty()) children.push_back(init->child);
    if (config->version == 1) {
      if (auto* up = const_cast<v1::IsakmpSa*>(FindEstablishedV1(config->name))) {
        TouchV1(up)->InitiateChildren(children, /*only_missing=*/children.empty(), now, out);
        return;
      }
      InitiateV1(*config, children, now, out);
      return;
    }
    // As with swanctl --initiate: an IKE_SA that is up carries the new
    // CHILD_SA (CREATE_CHILD_SA); otherwise a new IKE_SA is set up.
    if (IkeSa* up = const_cast<IkeSa*>(FindEstablished(config->name))) {
      Touch(up)->InitiateChildren(children, /*only_missing=*/children.empty(), now, out);
      return;
    }
    Initiate(*config, children, now, out);
    return;
  }
  uint64_t id = std::visit(
      [](const auto& c) -> uint64_t {
        if constexpr (std::is_same_v<std::decay_t<decltype(c)>, InitiateCommand>) {
          return 0;
        } else {
          return c.sa;
        }
      },
      cmd);
  if (v1::IsakmpSa* v1sa = TouchV1(FindV1ById(id))) {
    v1sa->OnCommand(cmd, now, out);
    return;
  }
  if (IkeSa* sa = Touch(FindById(id))) sa->OnCommand(cmd, now, out);
}

void Engine::OnKernel(const KernelEvent& ev, TimePoint now, Effects& out) {
  if (OnV1Kernel(ev, now, out)) return;
  if (const auto* exp = std::get_if<xfrm::ExpireEvent>(&ev.event)) {
    for (auto& [spi, sa] : by_spi_) {
      for (const auto& c : sa->children()) {
        if (c.spi_in == exp->sa.spi || c.spi_out == exp->sa.spi) {
          Touch(sa.get())->OnChildExpire(c.spi_in, exp->hard, now, out);
          return;
        }
      }
    }
    return;
  }
  if (const auto* acq = std::get_if<xfrm::AcquireEvent>(&ev.event)) {
    for (const auto& shared : configs_) {
      const PeerConfig& config = *shared;
      for (const auto& child : config.children) {
        if (child.reqid == 0 || child.reqid != acq->reqid) continue;
        if (IkeSa* up = const_cast<IkeSa*>(FindEstablished(config.name))) {
          // The IKE_SA survived (e.g. the peer closed only this CHILD_SA).
          Touch(up)->InitiateChildren({child.name}, /*only_missing=*/true, now, out);
        } else if (!Connecting(config.name)) {
          Initiate(config, {child.name}, now, out);
        }
        return;
      }
    }
  }
}

void Engine::Reap(TimePoint now, Effects& out) {
  std::vector<const PeerConfig*> restart;
  for (IkeSa* p : TakePending(pending_reap_)) {
    IkeSa& sa = *p;
    // Leaving the half-open state: drop the index entry, under the endpoint
    // it was made with (the peer may have floated to 4500 since).
    if (!sa.half_open_key().empty() && (sa.established() || sa.destroyed())) {
      half_open_index_.erase({sa.spi_i(), sa.half_open_key()});
      sa.set_half_open_key({});
    }
    if (sa.role() == Role::kResponder && !sa.established() && !sa.destroyed()) {
      half_open_ids_.insert(sa.id());
    } else {
      half_open_ids_.erase(sa.id());
    }
    if (!sa.destroyed()) continue;
    if (sa.wants_restart()) {
      if (const PeerConfig* c = FindConfig(sa.config().name)) restart.push_back(c);
    }
    uint64_t id = sa.id();
    UnindexPeer(id);
    auto spi = id_to_spi_.find(id);
    if (spi != id_to_spi_.end()) {
      by_spi_.erase(spi->second);
      id_to_spi_.erase(spi);
    }
  }
  for (const PeerConfig* c : restart) Initiate(*c, {}, now, out);
}

}  // namespace ike::engine
