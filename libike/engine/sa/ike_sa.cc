#include "libike/engine/sa/ike_sa.h"

#include <algorithm>

#include "libike/engine/sa/child_install.h"
#include "libike/engine/sa/codec.h"
#include "libike/engine/task/child_create.h"
#include "libike/engine/task/ike_auth.h"
#include "libike/engine/task/ike_config.h"
#include "libike/engine/task/ike_init.h"
#include "libike/engine/task/ike_mobike.h"
#include "libike/engine/task/ike_natd.h"
#include "libike/engine/task/ike_rekey.h"
#include "libike/engine/task/informational.h"

namespace ike::engine {

namespace {
constexpr uint16_t kMaxFragments = 64;
}  // namespace

struct IkeSa::Scope {
  Scope(IkeSa& sa, TimePoint now, Effects& out) : sa_(sa), was_(sa.ctx_.established()) {
    sa_.ctx_.out = &out;
    sa_.ctx_.now = now;
  }
  ~Scope() {
    sa_.AfterInput(was_);
    sa_.ctx_.out = nullptr;
  }
  IkeSa& sa_;
  bool was_;
};

IkeSa::IkeSa(uint64_t id, Role role, std::shared_ptr<const PeerConfig> config, Env env, const EngineSettings& settings,
             Counters& counters, uint32_t& next_reqid)
    : ctx_(id, role, std::move(config), env, settings, counters, next_reqid),
      tm_(ctx_, *this) {}

void IkeSa::Initiate(const Endpoint& local, const Endpoint& remote, uint64_t spi_i,
                     const std::vector<std::string>& children, TimePoint now, Effects& out) {
  Scope scope(*this, now, out);
  ctx_.local = local;
  ctx_.remote = remote;
  ctx_.spi_i = spi_i;
  tm_.Queue(std::make_unique<IkeInit>(Role::kInitiator));
  tm_.Queue(std::make_unique<IkeNatd>(Role::kInitiator));
  tm_.Queue(std::make_unique<IkeFeatures>(Role::kInitiator));
  tm_.Queue(std::make_unique<IkeAuth>(Role::kInitiator));
  tm_.Queue(std::make_unique<IkeConfig>(Role::kInitiator));
  tm_.Queue(std::make_unique<IkeMobike>(Role::kInitiator));
  bool first = true;
  for (const auto& c : ctx_.config->children) {
    if (!children.empty() &&
        std::find(children.begin(), children.end(), c.name) == children.end()) {
      continue;
    }
    tm_.Queue(ChildCreate::Initiator(ChildOf(ctx_.config, c), first));
    first = false;
  }
}

void IkeSa::InitiateChildren(const std::vector<std::string>& children, bool only_missing,
                             TimePoint now, Effects& out) {
  Scope scope(*this, now, out);
  if (destroyed() || !ctx_.established()) return;
  for (const auto& c : ctx_.config->children) {
    if (!children.empty() &&
        std::find(children.begin(), children.end(), c.name) == children.end()) {
      continue;
    }
    if (only_missing && std::any_of(ctx_.children.begin(), ctx_.children.end(),
                                    [&](const ChildSa& x) { return x.name == c.name; })) {
      continue;
    }
    if (only_missing && tm_.AnyTask([&](const Task& t) {
          const auto* cc = dynamic_cast<const ChildCreate*>(&t);
          return cc && cc->type() == TaskType::kChildCreate && cc->child_name() == c.name;
        })) {
      continue;  // already on its way
    }
    tm_.Queue(ChildCreate::Initiator(ChildOf(ctx_.config, c), false));
  }
}

void IkeSa::Accept(const Endpoint& local, const Endpoint& remote, uint64_t spi_i,
                   uint64_t spi_r) {
  ctx_.local = local;
  ctx_.remote = remote;
  ctx_.spi_i = spi_i;
  ctx_.spi_r = spi_r;
}

std::vector<std::unique_ptr<Task>> IkeSa::ResponderTasks(const wire::Message& request) {
  std::vector<std::unique_ptr<Task>> tasks;
  switch (request.header.exchange_type) {
    case ExchangeType::kIkeSaInit:
      if (ctx_.state != IkeState::kCreated) break;
      tasks.push_back(std::make_unique<IkeInit>(Role::kResponder));
      tasks.push_back(std::make_unique<IkeNatd>(Role::kResponder));
      tasks.push_back(std::make_unique<IkeFeatures>(Role::kResponder));
      break;
    case ExchangeType::kIkeAuth:
      if (ctx_.state != IkeState::kConnecting || !ctx_.keys.in) break;
      // EAP (RFC 7296 2.16): the rounds before the final AUTH are IkeAuth's
      // alone; the final one answers the first request's payloads.
      if (IkeAuth::InEapRounds(ctx_)) {
        auto final_input = IkeAuth::FinalRoundInput(ctx_, request);
        if (!final_input) {
          tasks.push_back(std::make_unique<IkeAuth>(Role::kResponder));
          break;
        }
        tm_.SubstituteNextRequest(std::move(*final_input));
      } else if (!request.Find<wire::AuthPayload>()) {
        tasks.push_back(std::make_unique<IkeAuth>(Role::kResponder));
        break;
      }
      tasks.push_back(std::make_unique<IkeAuth>(Role::kResponder));
      tasks.push_back(std::make_unique<IkeConfig>(Role::kResponder));
      tasks.push_back(std::make_unique<IkeMobike>(Role::kResponder));
      tasks.push_back(ChildCreate::Responder(true));
      break;
    case ExchangeType::kCreateChildSa: {
      if (!ctx_.established()) break;
      // A KE without REKEY_SA and an IKE proposal would be an IKE_SA rekey.
      const auto* sa = request.Find<wire::SaPayload>();
      bool ike_rekey = sa && !sa->proposals.empty() &&
                       sa->proposals.front().protocol == ProtocolId::kIke;
      if (ike_rekey) {
        auto active = tm_.active_types();
        bool ours = std::find(active.begin(), active.end(), TaskType::kIkeRekey) != active.end();
        IkeRekey::Mode mode = ctx_.rekeyed_away || ctx_.rekeyed || ctx_.rekey_collision
                                  ? IkeRekey::Mode::kReject
                              : ours ? IkeRekey::Mode::kCollision
                                     : IkeRekey::Mode::kNormal;
        tasks.push_back(std::make_unique<IkeRekey>(Role::kResponder, mode));
        break;
      }
      tasks.push_back(ChildCreate::Responder(false));
      break;
    }
    case ExchangeType::kInformational:
      if (ctx_.state == IkeState::kCreated || !ctx_.keys.in) break;
      tasks.push_back(std::make_unique<InformationalResponder>());
      tasks.push_back(std::make_unique<MobikeResponder>());
      break;
    default:
      break;
  }
  return tasks;
}

void IkeSa::OnDatagram(const wire::Message& outer, ByteView raw, const Endpoint& from,
                       const Endpoint& to, TimePoint now, Effects& out) {
  Scope scope(*this, now, out);
  if (destroyed()) return;
  if (ctx_.role == Role::kResponder && ctx_.state == IkeState::kCreated) {
    ctx_.ArmTimer(TimerKind::kHalfOpenTimeout, ctx_.settings.half_open_timeout);
  }
  if (outer.header.exchange_type == ExchangeType::kIkeSaInit) {
    ctx_.last_inbound = now;
    tm_.OnMessage(outer, raw);
    return;
  }
  if (!ctx_.keys.in) {
    ctx_.counters.Inc(Drop::kUnexpectedExchange);
    return;
  }
  auto plain = Unprotect(outer, raw, *ctx_.keys.in);
  if (!plain) {
    ctx_.counters.Inc(plain.error() == UnprotectError::kIntegrity ? Drop::kBadIcv
                      : plain.error() == UnprotectError::kNotEncrypted ? Drop::kMissingSk
                                                                       : Drop::kMalformed);
    return;
  }
  ctx_.last_inbound = now;
  // RFC 7296 2.23: with a NAT in the path, follow the peer's address. With
  // MOBIKE only UPDATE_SA_ADDRESSES moves the IKE_SA (RFC 4555 3.5).
  if (!ctx_.mobike && (ctx_.nat_detected() || to.port != 500)) {
    ctx_.remote = from;
    ctx_.local = to;
  }
  // A request is answered where it came from (RFC 7296 2.11).
  if (!outer.header.response) ctx_.request_path = std::make_pair(to, from);
  if (plain->fragment) {
    HandleFragment(*plain->fragment, std::move(plain->fragment_plain), outer, raw);
  } else {
    tm_.OnMessage(plain->message, raw);
  }
  ctx_.request_path.reset();
}

void IkeSa::HandleFragment(const wire::SkfPayload& frag, Bytes plain, const wire::Message& outer,
                           ByteView raw) {
  const auto& h = outer.header;
  if (!h.response && tm_.IsRetransmit(h.message_id)) {
    // A retransmitted fragmented request: answer once per first fragment.
    if (frag.fragment_number == 1) tm_.ReplayResponse();
    return;
  }
  if (frag.total_fragments == 0 || frag.total_fragments > kMaxFragments ||
      frag.fragment_number == 0 || frag.fragment_number > frag.total_fragments) {
    ctx_.counters.Inc(Drop::kFragment);
    return;
  }
  if (!reassembly_ || reassembly_->mid != h.message_id || reassembly_->response != h.response ||
      reassembly_->total != frag.total_fragments) {
    reassembly_ = std::make_unique<Reassembly>(Reassembly{
        h.message_id, h.response, frag.total_fragments, wire::PayloadType::kNone,
        std::vector<Bytes>(frag.total_fragments), std::vector<bool>(frag.total_fragments, false),
        0});
  }
  Reassembly& r = *reassembly_;
  size_t index = frag.fragment_number - 1;
  if (r.got[index]) {
    ctx_.counters.Inc(Drop::kFragment);  // duplicate
    return;
  }
  if (frag.fragment_number == 1) r.first = frag.first_inner;
  r.parts[index] = std::move(plain);
  r.got[index] = true;
  if (++r.have < r.total) return;
  Bytes whole;
  for (const auto& p : r.parts) whole.insert(whole.end(), p.begin(), p.end());
  wire::PayloadType first = r.first;
  reassembly_.reset();
  auto chain = wire::DecodePayloadChain(first, whole);
  if (!chain) {
    ctx_.counters.Inc(Drop::kMalformed);
    return;
  }
  wire::Message msg;
  msg.header = h;
  msg.payloads = std::move(*chain);
  tm_.OnMessage(msg, raw);
}

void IkeSa::OnTimer(const TimerId& id, TimePoint now, Effects& out) {
  Scope scope(*this, now, out);
  if (destroyed()) return;
  switch (id.kind) {
    case TimerKind::kRetransmit:
      tm_.OnRetransmitTimer();
      break;
    case TimerKind::kDpd: {
      ctx_.TimerFired(id.kind, id.aux);
      Duration idle = now - ctx_.last_inbound;
      if (idle >= ctx_.config->dpd_delay && !tm_.HasTask(TaskType::kIkeDpd)) {
        tm_.Queue(std::make_unique<IkeDpd>());
      }
      Duration next = ctx_.config->dpd_delay - std::min(idle, ctx_.config->dpd_delay);
      ctx_.ArmTimer(TimerKind::kDpd, next.count() > 0 ? next : ctx_.config->dpd_delay);
      break;
    }
    case TimerKind::kChildRekey:
      ctx_.TimerFired(id.kind, id.aux);
      QueueChildRekey(id.aux);
      break;
    case TimerKind::kChildExpire:
      ctx_.TimerFired(id.kind, id.aux);
      if (ctx_.FindChildByInbound(id.aux)) {
        tm_.Queue(std::make_unique<ChildDelete>(id.aux, "hard lifetime expired"));
      }
      break;
    case TimerKind::kHalfOpenTimeout:
      ctx_.TimerFired(id.kind, id.aux);
      if (!ctx_.established()) Destroy("half-open timeout");
      break;
    case TimerKind::kIkeRekey:
      ctx_.TimerFired(id.kind, id.aux);
      if (ctx_.established() && !tm_.HasTask(TaskType::kIkeRekey)) {
        tm_.Queue(std::make_unique<IkeRekey>(Role::kInitiator));
      }
      break;
    case TimerKind::kIkeReauth:
      ctx_.TimerFired(id.kind, id.aux);
      if (ctx_.established()) wants_reauth_ = true;
      break;
    case TimerKind::kIkeHardExpire:
      ctx_.TimerFired(id.kind, id.aux);
      Destroy("IKE_SA lifetime expired");
      break;
    case TimerKind::kIkeLifetime:
      ctx_.TimerFired(id.kind, id.aux);
      // Rekeying or reauthentication did not succeed within over_time: the
      // keys are used up. Delete it properly (the peer is told).
      if (ctx_.established() && !tm_.HasTask(TaskType::kIkeDelete)) {
        tm_.Queue(std::make_unique<IkeDelete>("IKE_SA hard lifetime reached"));
      }
      break;
    default:
      ctx_.TimerFired(id.kind, id.aux);
      break;
  }
}

void IkeSa::QueueChildRekey(uint32_t spi_in) {
  ChildSa* child = ctx_.FindChildByInbound(spi_in);
  if (!child || child->state != ChildState::kInstalled) return;
  child->state = ChildState::kRekeying;
  tm_.Queue(ChildCreate::Initiator(child->config, false, spi_in));
}

void IkeSa::OnChildExpire(uint32_t spi_in, bool hard, TimePoint now, Effects& out) {
  Scope scope(*this, now, out);
  if (destroyed() || !ctx_.established()) return;
  if (hard) {
    RemoveChild(ctx_, spi_in, "hard lifetime expired");
  } else {
    QueueChildRekey(spi_in);
  }
}

void IkeSa::OnEapBackendReply(const EapBackendReply& reply, TimePoint now, Effects& out) {
  Scope scope(*this, now, out);
  if (destroyed() || !ctx_.eap || !ctx_.eap->awaiting_backend || !tm_.deferred()) {
    ctx_.counters.Inc(Drop::kUnexpectedEapReply);
    return;
  }
  EapBackendReply copy;
  copy.sa = reply.sa;
  copy.kind = reply.kind;
  copy.eap_message = reply.eap_message;
  copy.msk = reply.msk.Clone();
  copy.framed_ip = reply.framed_ip;
  copy.reason = reply.reason;
  ctx_.eap->backend_reply = std::move(copy);
  tm_.ResumeDeferred();
}

void IkeSa::OnCommand(const Command& cmd, TimePoint now, Effects& out) {
  Scope scope(*this, now, out);
  if (destroyed()) return;
  if (std::holds_alternative<TerminateIkeCommand>(cmd)) {
    if (!ctx_.established()) {
      Destroy("terminated");
    } else if (!tm_.HasTask(TaskType::kIkeDelete)) {
      tm_.Queue(std::make_unique<IkeDelete>("terminated"));
    }
  } else if (const auto* tc = std::get_if<TerminateChildCommand>(&cmd)) {
    if (ctx_.FindChildByInbound(tc->inbound_spi)) {
      tm_.Queue(std::make_unique<ChildDelete>(tc->inbound_spi, "terminated"));
    }
  } else if (const auto* rc = std::get_if<RekeyChildCommand>(&cmd)) {
    QueueChildRekey(rc->inbound_spi);
  } else if (std::holds_alternative<RekeyIkeCommand>(cmd)) {
    if (ctx_.established() && !tm_.HasTask(TaskType::kIkeRekey)) {
      tm_.Queue(std::make_unique<IkeRekey>(Role::kInitiator));
    }
  } else if (const auto* is = std::get_if<InvalidSpiCommand>(&cmd)) {
    if (ctx_.established()) tm_.Queue(std::make_unique<InvalidSpiNotify>(is->spi));
  } else if (std::holds_alternative<ReauthCommand>(cmd)) {
    if (ctx_.established() && ctx_.role == Role::kInitiator) wants_reauth_ = true;
  } else if (std::holds_alternative<DpdCommand>(cmd)) {
    if (ctx_.established()) tm_.Queue(std::make_unique<IkeDpd>());
  } else if (const auto* mu = std::get_if<MobikeUpdateCommand>(&cmd)) {
    if (!ctx_.established() || !ctx_.mobike || mu->local.IsUnspecified()) return;
    if (mu->local.family() != ctx_.remote.address.family()) return;
    // RFC 4555 3.5: our SAs move at once (the old address is gone); the
    // peer follows on UPDATE_SA_ADDRESSES, sent from the new address.
    MoveIkeSa(ctx_, Endpoint{mu->local, ctx_.local.port}, ctx_.remote);
    bool queued = tm_.AnyTask([](const Task& t) {
      const auto* u = dynamic_cast<const MobikeUpdate*>(&t);
      return u && !u->started();
    });
    if (!queued) tm_.Queue(std::make_unique<MobikeUpdate>());
  }
}

void IkeSa::Abort(const std::string& reason, TimePoint now, Effects& out) {
  Scope scope(*this, now, out);
  Destroy(reason);
}

void IkeSa::Destroy(const std::string& reason) {
  if (destroyed()) return;
  bool was_up = ctx_.established();
  ctx_.state = IkeState::kDestroyed;
  ctx_.down_reason = reason;
  tm_.AbortAll();
  while (!ctx_.children.empty()) {
    RemoveChild(ctx_, ctx_.children.front().spi_in, reason);
  }
  ctx_.CancelAllTimers();
  ReleaseVirtualIps(ctx_);
  // The peer stopped answering an established SA: dpd_action applies.
  bool peer_dead = was_up && reason.find(kReasonRetransmit) != std::string::npos;
  if (!ctx_.rekeyed_away) {
    Event e;
    e.kind = EventKind::kIkeDown;
    e.sa = ctx_.id;
    e.connection = ctx_.config->name;
    e.reason = reason;
    if (peer_dead) e.then = ctx_.config->dpd_action;
    ctx_.Emit(EmitEvent{std::move(e)});
  }
  if (peer_dead && ctx_.role == Role::kInitiator && ctx_.config->dpd_action == DpdAction::kRestart) {
    wants_restart_ = true;
  }
}

void IkeSa::OnEstablished() {
  // Our key pair, the IKE_SA_INIT messages and nonces, SK_pi/SK_pr and the
  // peer's signature hashes served the keys and the AUTH payloads (and the
  // CHILD_SA of IKE_AUTH); an established IKE_SA never reads them again
  // (rekeys make new ones), so they do not stay for its lifetime.
  ctx_.ke.reset();
  ctx_.init_request = Bytes();
  ctx_.init_response = Bytes();
  ctx_.cookie = Bytes();
  ctx_.nonce_i = Bytes();
  ctx_.nonce_r = Bytes();
  ctx_.keys.sk_pi = SecretBytes();
  ctx_.keys.sk_pr = SecretBytes();
  ctx_.peer_hash_algorithms = {};
  if (ctx_.eap) ctx_.eap->ReleaseAfterAuth();
  if (ctx_.rekeyed_away) return;  // a redundant SA of a rekey collision
  if (ctx_.config->dpd_delay.count() > 0) ctx_.ArmTimer(TimerKind::kDpd, ctx_.config->dpd_delay);
  if (ctx_.config->rekey_time.count() > 0) {
    Duration jitter = ctx_.config->rand_time.count() > 0 ? ctx_.config->rand_time
                                                        : ctx_.config->rekey_time / 10;
    ctx_.ArmTimer(TimerKind::kIkeRekey, ctx_.config->rekey_time - ctx_.Jitter(jitter));
  }
  if (ctx_.config->reauth_time.count() > 0 && ctx_.role == Role::kInitiator) {
    Duration jitter = ctx_.config->rand_time.count() > 0 ? ctx_.config->rand_time
                                                        : ctx_.config->reauth_time / 10;
    ctx_.ArmTimer(TimerKind::kIkeReauth, ctx_.config->reauth_time - ctx_.Jitter(jitter));
  }
  // Hard lifetime: the later of rekey and reauth time plus over_time (10%
  // of it when unset), as strongSwan computes it.
  Duration soft = std::max(ctx_.config->rekey_time, ctx_.config->reauth_time);
  if (soft.count() > 0) {
    Duration over = ctx_.config->over_time.count() > 0 ? ctx_.config->over_time : soft / 10;
    ctx_.ArmTimer(TimerKind::kIkeLifetime, soft + over);
  }
  ctx_.CancelTimer(TimerKind::kHalfOpenTimeout);
}

void IkeSa::AfterInput(bool was_established) {
  if (destroyed()) return;
  if (!was_established && ctx_.established()) OnEstablished();
  for (uint32_t spi : ctx_.pending_child_deletes) {
    tm_.Queue(std::make_unique<ChildDelete>(spi, "rekeyed"));
  }
  ctx_.pending_child_deletes.clear();
  if (ctx_.delete_after) {
    if (!tm_.HasTask(TaskType::kIkeDelete)) tm_.Queue(std::make_unique<IkeDelete>(*ctx_.delete_after));
    ctx_.delete_after.reset();
  }
  if (ctx_.destroy_after && ctx_.rekey_collision) {
    // The peer deleted this IKE_SA while the rekey it initiated (and we
    // answered) waits on ours: its rekey is the survivor. The Engine adopts
    // it now and then lets this SA go (see TakeRekey).
    tm_.AbortAll();
    return;
  }
  if (ctx_.destroy_after) {
    std::string reason = *ctx_.destroy_after;
    ctx_.destroy_after.reset();
    Destroy(reason);
    return;
  }
  tm_.InitiateNext();
}

}  // namespace ike::engine

namespace ike::engine {

std::optional<IkeSa::RekeyOutcome> IkeSa::TakeRekey() {
  if (ctx_.rekey_collision) {
    auto active = tm_.active_types();
    bool ours_in_flight =
        std::find(active.begin(), active.end(), TaskType::kIkeRekey) != active.end();
    bool deleted_by_peer = ctx_.destroy_after.has_value();
    if (!ctx_.rekeyed && ours_in_flight && !deleted_by_peer) return std::nullopt;  // wait for ours
    RekeyOutcome outcome;
    if (!ctx_.rekeyed || deleted_by_peer) {
      // Our own rekey failed, or the peer already settled on its own: the
      // peer's stands alone.
      outcome.adopt = std::move(*ctx_.rekey_collision);
    } else {
      // RFC 7296 2.8.2: the SA created with the lowest of the four nonces
      // is redundant.
      IkeRekeyResult ours = std::move(*ctx_.rekeyed);
      IkeRekeyResult theirs = std::move(*ctx_.rekey_collision);
      bool ours_lowest =
          HoldsLowestNonce(ours.nonce_i, ours.nonce_r, theirs.nonce_i, theirs.nonce_r);
      outcome.adopt = ours_lowest ? std::move(theirs) : std::move(ours);
      outcome.redundant = ours_lowest ? std::move(ours) : std::move(theirs);
    }
    ctx_.rekeyed.reset();
    ctx_.rekey_collision.reset();
    return outcome;
  }
  if (!ctx_.rekeyed) return std::nullopt;
  RekeyOutcome outcome{std::move(*ctx_.rekeyed), std::nullopt};
  ctx_.rekeyed.reset();
  return outcome;
}

// The new IKE_SA of a rekey: keys and SPIs from `result`, endpoints and
// what we know of the peer from `old`.
void IkeSa::TakeOver(const IkeSa& old, IkeRekeyResult& result, TimePoint now) {
  const SaContext& o = old.ctx_;
  ctx_.local = o.local;
  ctx_.remote = o.remote;
  ctx_.spi_i = result.spi_i;
  ctx_.spi_r = result.spi_r;
  ctx_.nonce_i = std::move(result.nonce_i);
  ctx_.nonce_r = std::move(result.nonce_r);
  ctx_.ike_proposal = result.proposal;
  ctx_.ke_group = result.proposal.ke();
  ctx_.keys = std::move(result.keys);
  ctx_.nat_here = o.nat_here;
  ctx_.nat_there = o.nat_there;
  ctx_.peer_supports_fragmentation = o.peer_supports_fragmentation;
  ctx_.mobike = o.mobike;
  ctx_.peer_hash_algorithms = o.peer_hash_algorithms;
  ctx_.peer_id = o.peer_id;
  ctx_.last_inbound = now;
  ctx_.established_at = now;
}

void IkeSa::AdoptRedundant(IkeSa& old, IkeRekeyResult result, TimePoint now, Effects& out) {
  Scope scope(*this, now, out);
  TakeOver(old, result, now);
  // No events and no timers of a live SA: it exists only to be deleted.
  ctx_.rekeyed_away = true;
  ctx_.state = IkeState::kEstablished;
  if (result.role == Role::kInitiator) {
    tm_.Queue(std::make_unique<IkeDelete>("redundant after a rekey collision"));
  } else {
    // The peer created it and deletes it; give up waiting after a while.
    ctx_.ArmTimer(TimerKind::kIkeHardExpire, ctx_.settings.delete_grace * 6);
  }
}

void IkeSa::AdoptFrom(IkeSa& old, IkeRekeyResult result, TimePoint now, Effects& out) {
  {
    Scope scope(*this, now, out);
    SaContext& o = old.ctx_;
    TakeOver(old, result, now);
    ctx_.state = IkeState::kEstablished;
    ctx_.children = std::move(o.children);
    o.children.clear();
    // The virtual IPs (leases, or ours) belong to the new SA now.
    ctx_.own_vips = std::move(o.own_vips);
    ctx_.peer_vips = std::move(o.peer_vips);
    ctx_.received_dns = std::move(o.received_dns);
    ctx_.received_netmask = o.received_netmask;
    o.own_vips.clear();
    o.peer_vips.clear();
    for (const ChildSa& c : ctx_.children) {
      // The CHILD_SAs keep their schedule: re-arm what is left of it here.
      Duration age = now - c.established_at;
      if (c.config->rekey_time.count() > 0 && c.state == ChildState::kInstalled) {
        Duration left = c.config->rekey_time - age;
        ctx_.ArmTimer(TimerKind::kChildRekey, left.count() > 0 ? left : Duration(1000), c.spi_in);
      }
      if (c.config->life_time.count() > 0) {
        Duration left = c.config->life_time - age;
        ctx_.ArmTimer(TimerKind::kChildExpire, left.count() > 0 ? left : Duration(1000),
                      c.spi_in);
      }
    }
    ctx_.EmitEvent(EventKind::kIkeRekeyed);
  }
  Scope old_scope(old, now, out);
  for (const ChildSa& c : ctx_.children) {
    old.ctx_.CancelTimer(TimerKind::kChildRekey, c.spi_in);
    old.ctx_.CancelTimer(TimerKind::kChildExpire, c.spi_in);
  }
  old.ctx_.CancelTimer(TimerKind::kDpd);
  old.ctx_.CancelTimer(TimerKind::kIkeRekey);
  old.ctx_.CancelTimer(TimerKind::kIkeLifetime);
  old.ctx_.rekeyed_away = true;
  if (old.ctx_.destroy_after) {
    // The peer has deleted the old IKE_SA already; the CHILD_SAs moved.
    std::string reason = *old.ctx_.destroy_after;
    old.ctx_.destroy_after.reset();
    old.Destroy(reason);
  } else if (result.role == Role::kInitiator) {
    old.tm_.Queue(std::make_unique<IkeDelete>("rekeyed"));
  } else {
    // The peer deletes the old IKE_SA; give up on it after a while anyway.
    old.ctx_.ArmTimer(TimerKind::kIkeHardExpire, ctx_.settings.delete_grace * 6);
  }
}

}  // namespace ike::engine
