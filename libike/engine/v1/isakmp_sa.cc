#include "libike/engine/v1/isakmp_sa.h"

#include <algorithm>

#include "libike/engine/sa/child_install.h"
#include "libike/engine/sa/codec.h"
#include "libike/engine/task/ike_auth.h"
#include "libike/engine/task/ike_config.h"

namespace ike::engine::v1 {

struct IsakmpSa::Scope {
  Scope(IsakmpSa& sa, TimePoint now, Effects& out) : sa_(sa) {
    sa_.ctx_.out = &out;
    sa_.ctx_.now = now;
  }
  ~Scope() { sa_.ctx_.out = nullptr; }
  IsakmpSa& sa_;
};

IsakmpSa::IsakmpSa(uint64_t id, Role role, std::shared_ptr<const PeerConfig> config, Env env,
                   const EngineSettings& settings, Counters& counters, uint32_t& next_reqid)
    : ctx_(id, role, std::move(config), env, settings, counters, next_reqid) {}

uint16_t IsakmpSa::AuthMethod() const { return AuthMethodFor(*ctx_.config, ctx_.role); }

uint16_t IsakmpSa::AuthMethodFor(const PeerConfig& config, Role role) {
  uint16_t base = static_cast<uint16_t>(isakmp::Phase1Auth::kPreSharedKey);
  if (config.local_auth.kind == AuthKind::kPubkey) {
    base = Ikev1SignatureMethod(config.local_auth)
               .value_or(static_cast<uint16_t>(isakmp::Phase1Auth::kRsaSignature));
  }
  bool client = config.xauth_local.enabled;
  if (!client && !config.xauth_remote.enabled) return base;
  // XAuthInit*: the initiator is the XAuth client; XAuthResp*: the responder.
  bool client_initiates = (role == Role::kInitiator) == client;
  if (base == 1) return client_initiates ? 65001 : 65002;
  if (base == 3) return client_initiates ? 65005 : 65006;
  // ECDSA has no XAuth method code (strongSwan 5.9 signs XAUTHInitRSA with
  // RSA keys only): between our own daemons the ECDSA method is negotiated
  // and XAuth follows as configured.
  return base;
}

uint32_t IsakmpSa::Phase1LifeSeconds() const {
  Duration soft = std::max(ctx_.config->rekey_time, ctx_.config->reauth_time);
  if (soft.count() <= 0) return 0;
  Duration over = ctx_.config->over_time.count() > 0 ? ctx_.config->over_time : soft / 10;
  return static_cast<uint32_t>((soft + over).count() / 1000);
}

const SecretBytes& IsakmpSa::Psk() const {
  return ctx_.config->remote_auth.psk.empty() ? ctx_.config->local_auth.psk
                                             : ctx_.config->remote_auth.psk;
}

void IsakmpSa::Initiate(const Endpoint& local, const Endpoint& remote, uint64_t cookie_i,
                        const std::vector<std::string>& children, TimePoint now, Effects& out) {
  Scope scope(*this, now, out);
  ctx_.local = local;
  ctx_.remote = remote;
  ctx_.spi_i = cookie_i;
  pending_children_ = children;
  pending_all_children_ = children.empty();
  aggressive_ = ctx_.config->aggressive;
  StartPhase1(now);
}

void IsakmpSa::Accept(const Endpoint& local, const Endpoint& remote, uint64_t cookie_i,
                      uint64_t cookie_r) {
  ctx_.local = local;
  ctx_.remote = remote;
  ctx_.spi_i = cookie_i;
  ctx_.spi_r = cookie_r;
  pending_all_children_ = false;
}

void IsakmpSa::InitiateChildren(const std::vector<std::string>& children, bool only_missing,
                                TimePoint now, Effects& out) {
  Scope scope(*this, now, out);
  if (!established()) return;
  if (SetupPending()) {
    for (const auto& c : children) pending_children_.push_back(c);
    if (children.empty()) pending_all_children_ = true;
    return;
  }
  for (const ChildConfig& c : ctx_.config->children) {
    if (!children.empty() &&
        std::find(children.begin(), children.end(), c.name) == children.end()) {
      continue;
    }
    if (only_missing) {
      bool up = false;
      for (const auto& ch : ctx_.children) up = up || ch.name == c.name;
      for (const auto& [mid, qm] : qms_) {
        up = up || (qm.config->name == c.name && qm.stage != QuickMode::Stage::kDone);
      }
      if (up) continue;
    }
    StartQuickMode(ChildOf(ctx_.config, c), 0, nullptr, nullptr);
  }
}

// --- crypto and transport helpers ---

isakmp::Header IsakmpSa::MakeHeader(isakmp::ExchangeType type, uint32_t mid) const {
  isakmp::Header h;
  h.initiator_cookie = ctx_.spi_i;
  h.responder_cookie = ctx_.spi_r;
  h.exchange_type = type;
  h.message_id = mid;
  return h;
}

Result<Bytes, std::string> IsakmpSa::Encrypt(isakmp::Message msg,
                                             const std::vector<isakmp::Payload>& payloads,
                                             Bytes& iv) {
  if (!cipher_) return MakeUnexpected(std::string("no keys"));
  Bytes plain = isakmp::EncodePayloadChain(payloads);
  size_t bs = cipher_->block_size();
  plain.resize(plain.size() + (bs - plain.size() % bs) % bs, 0);
  auto ct = cipher_->Encrypt(iv, plain);
  std::fill(plain.begin(), plain.end(), 0);
  if (!ct) return MakeUnexpected("encrypt: " + ct.error().detail);
  iv.assign(ct->end() - static_cast<std::ptrdiff_t>(bs), ct->end());
  msg.header.encrypted = true;
  msg.encrypted.first_payload = isakmp::FirstPayloadType(payloads);
  msg.encrypted.ciphertext = std::move(*ct);
  return isakmp::EncodeMessage(msg);
}

Result<IsakmpSa::Decrypted, std::string> IsakmpSa::Decrypt(const isakmp::Message& msg,
                                                           ByteView iv) const {
  if (!cipher_) return MakeUnexpected(std::string("no keys"));
  if (!msg.header.encrypted) return MakeUnexpected(std::string("not encrypted"));
  const Bytes& ct = msg.encrypted.ciphertext;
  size_t bs = cipher_->block_size();
  if (ct.empty() || ct.size() % bs != 0) return MakeUnexpected(std::string("bad length"));
  auto plain = cipher_->Decrypt(iv, ct);
  if (!plain) return MakeUnexpected("decrypt: " + plain.error().detail);
  auto body = isakmp::DecodeDecryptedBody(msg.encrypted.first_payload, *plain);
  if (!body) return MakeUnexpected("decode: " + body.error().detail);
  Decrypted d;
  d.next_iv.assign(ct.end() - static_cast<std::ptrdiff_t>(bs), ct.end());
  size_t chain_end = plain->size() - body->padding;
  if (plain->size() >= 4) {
    size_t first_len = size_t{(*plain)[2]} << 8 | (*plain)[3];
    if (first_len <= chain_end) {
      d.after_first.assign(plain->begin() + static_cast<std::ptrdiff_t>(first_len),
                           plain->begin() + static_cast<std::ptrdiff_t>(chain_end));
    }
  }
  std::fill(plain->begin(), plain->end(), 0);
  d.body = std::move(*body);
  return d;
}

Result<Bytes, std::string> IsakmpSa::Phase2Iv(uint32_t mid) const {
  if (!p1_ || !cipher_) return MakeUnexpected(std::string("no keys"));
  return v1::Phase2Iv(p1_->hash, p1_iv_, mid, cipher_->block_size());
}

void IsakmpSa::Send(const Bytes& datagram) {
  ctx_.Emit(SendDatagram{ctx_.local, ctx_.remote, WithMarker(datagram, ctx_.local.port != 500)});
}

uint32_t IsakmpSa::NewMessageId() {
  for (;;) {
    Bytes b = ctx_.env.rng.Generate(4);
    uint32_t v = uint32_t{b[0]} << 24 | uint32_t{b[1]} << 16 | uint32_t{b[2]} << 8 | b[3];
    if (v != 0 && qms_.count(v) == 0) return v;
  }
}

void IsakmpSa::ArmRetransmit(uint32_t mid, unsigned tries) {
  const RetransmitConfig& r = ctx_.config->retransmit;
  double t = static_cast<double>(r.timeout.count());
  for (unsigned i = 0; i < tries; ++i) t *= r.base;
  Duration d(static_cast<int64_t>(t));
  if (r.limit.count() > 0) d = std::min(d, r.limit);
  ctx_.ArmTimer(TimerKind::kRetransmit, d, mid);
}

Duration IsakmpSa::RetransmitSpan() const {
  const RetransmitConfig& r = ctx_.config->retransmit;
  double t = 0, step = static_cast<double>(r.timeout.count());
  for (unsigned i = 0; i <= r.tries; ++i) {
    double d = r.limit.count() > 0 ? std::min(step, static_cast<double>(r.limit.count())) : step;
    t += d;
    step *= r.base;
  }
  return Duration(static_cast<int64_t>(t)) + Duration(std::chrono::seconds(10));
}

void IsakmpSa::OnRetransmit(uint32_t mid) {
  const unsigned max_tries = ctx_.config->retransmit.tries;
  if (mid == 0) {
    if (p1_stage_ == P1Stage::kDone || p1_last_sent_.empty()) return;
    if (++p1_tries_ > max_tries) {
      Destroy("Phase 1: giving up after " + std::to_string(max_tries) + " " +
              std::string(kReasonRetransmit));
      return;
    }
    Send(p1_last_sent_);
    ArmRetransmit(0, p1_tries_);
    return;
  }
  if (mid == xauth_mid_ && SetupPending()) {
    if (xauth_last_sent_.empty()) return;
    if (++xauth_tries_ > max_tries) {
      Destroy(std::string(xauth_ == Xauth::kPending ? "XAuth" : "Mode Config") +
              ": giving up after " + std::to_string(max_tries) + " " +
              std::string(kReasonRetransmit));
      return;
    }
    Send(xauth_last_sent_);
    ArmRetransmit(mid, xauth_tries_);
    return;
  }
  auto it = qms_.find(mid);
  if (it == qms_.end() || it->second.stage == QuickMode::Stage::kDone) return;
  QuickMode& qm = it->second;
  if (++qm.tries > max_tries) {
    if (qm.role == Role::kInitiator) {
      // The peer stopped answering: as with IKEv2, the ISAKMP SA goes.
      Destroy("Quick Mode: giving up after " + std::to_string(max_tries) + " " +
              std::string(kReasonRetransmit));
    } else {
      QmFail(mid, "Quick Mode: no QM3");
    }
    return;
  }
  Send(qm.last_sent);
  ArmRetransmit(mid, qm.tries);
}

// --- inputs ---

void IsakmpSa::OnDatagram(const isakmp::Message& msg, ByteView raw, const Endpoint& from,
                          const Endpoint& to, TimePoint now, Effects& out) {
  Scope scope(*this, now, out);
  if (destroyed()) return;
  switch (msg.header.exchange_type) {
    case isakmp::ExchangeType::kIdentityProtection:
    case isakmp::ExchangeType::kAggressive: {
      bool aggressive = msg.header.exchange_type == isakmp::ExchangeType::kAggressive;
      if (msg.header.message_id != 0 || (aggressive != aggressive_ && p1_stage_ != P1Stage::kStart)) {
        ctx_.counters.Inc(Drop::kUnexpectedExchange);
        return;
      }
      if (!p1_last_received_.empty() && ByteView(p1_last_received_).size() == raw.size() &&
          std::equal(raw.begin(), raw.end(), p1_last_received_.begin())) {
        // A retransmitted message: our answer to it got lost.
        ctx_.counters.Inc(Drop::kRetransmittedRequest);
        if (!p1_last_sent_.empty()) Send(p1_last_sent_);
        if (!am_initial_contact_.empty()) Send(am_initial_contact_);
        return;
      }
      if (p1_stage_ == P1Stage::kDone) {
        ctx_.counters.Inc(Drop::kUnexpectedExchange);
        return;
      }
      // NAT-T (RFC 3947 4): the peer may float to port 4500 from message 5
      // of Main Mode on.
      if (to.port != 500 && natt_ != NatTraversal::kNone) {
        ctx_.local = to;
        ctx_.remote = from;
      }
      aggressive_ = aggressive;
      OnPhase1(msg, raw);
      return;
    }
    case isakmp::ExchangeType::kQuick:
      if (!established() || !msg.header.encrypted) {
        ctx_.counters.Inc(Drop::kUnexpectedExchange);
        return;
      }
      OnQuickMode(msg, raw);
      if (!destroyed() && ctx_.last_inbound == now && (from != ctx_.remote)) {
        ctx_.remote = from;  // NAT mapping changed (authenticated message)
      }
      return;
    case isakmp::ExchangeType::kInformational:
      OnInformational(msg, raw);
      return;
    case isakmp::ExchangeType::kTransaction:
      if (!established() || !msg.header.encrypted) {
        ctx_.counters.Inc(Drop::kUnexpectedExchange);
        return;
      }
      OnTransaction(msg, raw);
      return;
    default:
      ctx_.counters.Inc(Drop::kUnexpectedExchange);
      return;
  }
}

void IsakmpSa::OnTimer(const TimerId& id, TimePoint now, Effects& out) {
  Scope scope(*this, now, out);
  ctx_.TimerFired(id.kind, id.aux);
  if (destroyed()) return;
  switch (id.kind) {
    case TimerKind::kRetransmit:
      OnRetransmit(id.aux);
      break;
    case TimerKind::kHalfOpenTimeout:
      if (!established()) {
        Destroy("half-open timeout");
      } else if (modecfg_ == ModeCfg::kPending && ModeCfgClient()) {
        Delete("Mode Config: no SET from the gateway (it does not push? use pull = yes)");
      }
      break;
    case TimerKind::kDpd:
      OnDpdTimer();
      break;
    case TimerKind::kIkeRekey:
    case TimerKind::kIkeReauth:
      if (established()) wants_reestablish_ = true;
      break;
    case TimerKind::kIkeLifetime:
    case TimerKind::kIkeHardExpire:
      Delete("ISAKMP SA expired");
      break;
    case TimerKind::kChildRekey:
      OnChildExpire(id.aux, false, now, out);
      break;
    case TimerKind::kChildExpire:
      OnChildExpire(id.aux, true, now, out);
      break;
    case TimerKind::kDeleteGrace: {
      auto it = qms_.find(id.aux);
      if (it != qms_.end() && it->second.stage == QuickMode::Stage::kDone) qms_.erase(it);
      break;
    }
  }
}

void IsakmpSa::OnChildExpire(uint32_t spi_in, bool hard, TimePoint now, Effects& out) {
  Scope scope(*this, now, out);
  if (destroyed()) return;
  ChildSa* child = ctx_.FindChildByInbound(spi_in);
  if (!child) return;
  if (hard) {
    RemoveChild(spi_in, "expired", /*notify_peer=*/true);
    return;
  }
  if (child->state != ChildState::kInstalled || !established()) return;
  child->state = ChildState::kRekeying;
  TsList l = child->ts_local, r = child->ts_remote;
  ChildConfigRef cfg = child->config;
  for (const auto& c : ctx_.config->children) {
    if (c.name == cfg->name) cfg = ChildOf(ctx_.config, c);  // the configured lifetimes, not the negotiated
  }
  StartQuickMode(cfg, spi_in, &l, &r);
}

void IsakmpSa::OnCommand(const Command& cmd, TimePoint now, Effects& out) {
  Scope scope(*this, now, out);
  if (destroyed()) return;
  if (std::holds_alternative<TerminateIkeCommand>(cmd)) {
    Delete("terminated");
  } else if (const auto* tc = std::get_if<TerminateChildCommand>(&cmd)) {
    RemoveChild(tc->inbound_spi, "terminated", /*notify_peer=*/true);
  } else if (std::holds_alternative<RekeyIkeCommand>(cmd) ||
             std::holds_alternative<ReauthCommand>(cmd)) {
    if (established()) wants_reestablish_ = true;
  } else if (const auto* rc = std::get_if<RekeyChildCommand>(&cmd)) {
    Scope inner(*this, now, out);
    OnChildExpire(rc->inbound_spi, false, now, out);
  } else if (std::holds_alternative<DpdCommand>(cmd)) {
    if (established()) SendDpd();
  }
}

void IsakmpSa::Abort(const std::string& reason, TimePoint now, Effects& out) {
  Scope scope(*this, now, out);
  Destroy(reason);
}

void IsakmpSa::ArmChildTimers(const ChildSa& child, bool rekeyer, uint32_t life_s) {
  Duration life(int64_t{life_s} * 1000);
  if (life.count() <= 0) life = child.config->life_time;
  if (rekeyer && child.config->rekey_time.count() > 0) {
    Duration rekey = std::min(child.config->rekey_time, life * 9 / 10);
    Duration jitter = std::min(child.config->rand_time, rekey / 10);
    ctx_.ArmTimer(TimerKind::kChildRekey, rekey - ctx_.Jitter(jitter), child.spi_in);
  }
  if (life.count() > 0) ctx_.ArmTimer(TimerKind::kChildExpire, life, child.spi_in);
}

void IsakmpSa::RemoveChild(uint32_t spi_in, const std::string& reason, bool notify_peer) {
  auto it = std::find_if(ctx_.children.begin(), ctx_.children.end(),
                         [&](const ChildSa& c) { return c.spi_in == spi_in; });
  if (it == ctx_.children.end()) return;
  if (notify_peer && established()) SendDeleteChild(*it);
  UninstallChild(ctx_, *it);
  ctx_.CancelTimer(TimerKind::kChildRekey, spi_in);
  ctx_.CancelTimer(TimerKind::kChildExpire, spi_in);
  if (it->state != ChildState::kRekeyed) {
    ctx_.EmitEvent(EventKind::kChildDown, it->name, it->spi_in, it->spi_out, reason);
  }
  ctx_.children.erase(it);
}

void IsakmpSa::AdoptChildren(IsakmpSa& old, TimePoint now, Effects& out) {
  // The SAs stay in the kernel; only their owner (and timers) change.
  {
    Scope s(old, now, out);
    for (const ChildSa& c : old.ctx_.children) {
      old.ctx_.CancelTimer(TimerKind::kChildRekey, c.spi_in);
      old.ctx_.CancelTimer(TimerKind::kChildExpire, c.spi_in);
    }
  }
  Scope scope(*this, now, out);
  for (ChildSa& c : old.ctx_.children) {
    Duration age = now - c.established_at;
    Duration life = c.config->life_time;
    ChildSa moved = c;
    moved.state = ChildState::kInstalled;
    ctx_.children.push_back(moved);
    adopted_.push_back(c.spi_in);
    uint32_t left = life.count() > age.count()
                        ? static_cast<uint32_t>((life - age).count() / 1000)
                        : 1;
    bool rekeyer = c.config->rekey_time.count() > 0 && ctx_.role == Role::kInitiator;
    ArmChildTimers(ctx_.children.back(), rekeyer, std::max<uint32_t>(left, 1));
  }
  old.ctx_.children.clear();
}

void IsakmpSa::DropAdoptedChildren(const std::string& reason, TimePoint now, Effects& out) {
  Scope scope(*this, now, out);
  for (uint32_t spi_in : adopted_) RemoveChild(spi_in, reason, /*notify_peer=*/false);
  adopted_.clear();
}

void IsakmpSa::Delete(const std::string& reason) {
  if (destroyed()) return;
  if (established()) {
    for (const ChildSa& c : ctx_.children) SendDeleteChild(c);
    SendDeleteIsakmp();
  }
  Destroy(reason);
}

void IsakmpSa::Destroy(const std::string& reason) {
  if (destroyed()) return;
  bool was_up = established();
  ctx_.state = IkeState::kDestroyed;
  ctx_.down_reason = reason;
  while (!ctx_.children.empty()) RemoveChild(ctx_.children.front().spi_in, reason, false);
  for (auto& [mid, qm] : qms_) {
    if (qm.stage != QuickMode::Stage::kDone) ReleaseSpi(ctx_, ProtocolId::kEsp, qm.spi_in);
  }
  qms_.clear();
  ctx_.CancelAllTimers();
  ReleaseVirtualIps(ctx_);
  bool peer_dead = was_up && reason.find(kReasonRetransmit) != std::string::npos;
  Event e;
  e.kind = EventKind::kIkeDown;
  e.sa = ctx_.id;
  e.connection = ctx_.config->name;
  e.reason = reason;
  if (peer_dead) e.then = ctx_.config->dpd_action;
  ctx_.Emit(EmitEvent{std::move(e)});
  if (peer_dead && ctx_.role == Role::kInitiator && ctx_.config->dpd_action == DpdAction::kRestart) {
    wants_restart_ = true;
  }
}

}  // namespace ike::engine::v1
