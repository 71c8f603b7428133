#include "libike/engine/task/child_create.h"

#include <algorithm>

#include "libike/engine/sa/child_install.h"
#include "libike/engine/sa/keymat.h"
#include "libike/engine/sa/wire_convert.h"
#include "libike/engine/task/ike_init.h"

namespace ike::engine {

std::unique_ptr<ChildCreate> ChildCreate::Initiator(ChildConfigRef config, bool in_ike_auth,
                                                    uint32_t rekey_spi_in) {
  std::unique_ptr<ChildCreate> t(new ChildCreate(Role::kInitiator, in_ike_auth));
  t->config_ = std::move(config);
  t->rekey_spi_in_ = rekey_spi_in;
  return t;
}

std::unique_ptr<ChildCreate> ChildCreate::Responder(bool in_ike_auth) {
  return std::unique_ptr<ChildCreate>(new ChildCreate(Role::kResponder, in_ike_auth));
}

TaskOutcome ChildCreate::Build(wire::Message& msg, SaContext& ctx) {
  return role_ == Role::kInitiator ? BuildRequest(msg, ctx) : BuildResponse(msg, ctx);
}

TaskOutcome ChildCreate::Process(const wire::Message& msg, SaContext& ctx) {
  if (role_ == Role::kInitiator) return ProcessResponse(msg, ctx);
  ProcessRequest(msg, ctx);
  return TaskResult::kDone;
}

void ChildCreate::Reject(wire::NotifyType notify, std::string reason, Bytes data) {
  error_ = notify;
  error_data_ = std::move(data);
  (void)reason;
}

// ESP_TFC_PADDING_NOT_SUPPORTED (RFC 7296 3.10.1) when our data plane
// cannot take TFC padding. NON_FIRST_FRAGMENTS_ALSO is never offered or
// echoed: a Linux XFRM policy cannot select non-first fragments apart from
// the rest of a protocol's traffic, so we do not agree to carry them over a
// port-specific CHILD_SA (RFC 4301 7.1); without ports they match anyway.
void ChildCreate::AddCapabilityNotifies(wire::Message& msg, const SaContext& ctx) const {
  if (!ctx.settings.accept_tfc_padding && config_ && config_->protocol == ProtocolId::kEsp) {
    msg.payloads.push_back(wire::NotifyPayload::Make(wire::NotifyType::kEspTfcPaddingNotSupported));
  }
}

void ChildCreate::ReadCapabilityNotifies(const wire::Message& msg) {
  peer_refuses_tfc_ = msg.FindNotify(wire::NotifyType::kEspTfcPaddingNotSupported) != nullptr;
}

namespace {

// `configured` with each "dynamic" entry replaced by one host selector per
// address in `hosts` (the entry's protocol and ports kept).
TsList Substitute(const TsList& configured, const std::vector<IpAddress>& hosts) {
  TsList out;
  for (const auto& ts : configured) {
    if (!(ts.start.IsUnspecified() && ts.end.IsUnspecified())) {
      out.push_back(ts);
      continue;
    }
    for (const IpAddress& h : hosts) {
      TsList one = ResolveDynamic({ts}, h);
      out.insert(out.end(), one.begin(), one.end());
    }
  }
  return out;
}

}  // namespace

// Our "dynamic" selector: our virtual IPs once assigned; while we still ask
// for them (IKE_AUTH), the whole family, for the gateway to narrow to the
// lease; otherwise our IKE address.
TsList ChildCreate::LocalDynamic(const TsList& configured, const SaContext& ctx) {
  if (!ctx.own_vips.empty()) return Substitute(configured, ctx.own_vips);
  if (!ctx.config->vips.empty() && ctx.role == Role::kInitiator && !ctx.established()) {
    TsList out;
    for (const auto& ts : configured) {
      if (!(ts.start.IsUnspecified() && ts.end.IsUnspecified())) {
        out.push_back(ts);
        continue;
      }
      for (const IpAddress& vip : ctx.config->vips) {
        TrafficSelector any = TrafficSelector::Any(vip.family());
        any.ip_proto = ts.ip_proto;
        any.start_port = ts.start_port;
        any.end_port = ts.end_port;
        out.push_back(any);
      }
    }
    return out;
  }
  return ResolveDynamic(configured, ctx.local.address);
}

// The peer's "dynamic" selector: the virtual IPs we leased to it, if any.
TsList ChildCreate::RemoteDynamic(const TsList& configured, const SaContext& ctx) {
  if (!ctx.peer_vips.empty()) {
    std::vector<IpAddress> hosts;
    for (const auto& [pool, a] : ctx.peer_vips) hosts.push_back(a);
    return Substitute(configured, hosts);
  }
  return ResolveDynamic(configured, ctx.remote.address);
}

void ChildCreate::Abort(SaContext& ctx) {
  if (!installed_ && spi_in_ != 0) {
    ReleaseSpi(ctx, config_ ? config_->protocol : ProtocolId::kEsp, spi_in_);
    spi_in_ = 0;
  }
}

TaskOutcome ChildCreate::BuildRequest(wire::Message& msg, SaContext& ctx) {
  if (in_ike_auth_ && ctx.state == IkeState::kDestroyed) return TaskResult::kDone;
  const ChildConfig& cfg = *config_;
  if (reqid_ == 0) {
    if (rekey_spi_in_) {
      if (ChildSa* old = ctx.FindChildByInbound(rekey_spi_in_)) reqid_ = old->reqid;
    }
    if (reqid_ == 0) reqid_ = AssignReqid(ctx, cfg);
  }
  if (spi_in_ == 0) {
    auto spi = ctx.env.spis.AllocateSpi(ctx.remote.address, ctx.local.address, cfg.protocol,
                                        reqid_);
    if (!spi) return Fail("SPI allocation failed: " + spi.error(), std::nullopt, {}, false);
    spi_in_ = *spi;
  }
  if (rekey_spi_in_) {
    msg.payloads.push_back(wire::NotifyPayload::ForChildSa(wire::NotifyType::kRekeySa,
                                                           cfg.protocol, rekey_spi_in_));
  }
  if (cfg.mode == xfrm::Mode::kTransport) {
    msg.payloads.push_back(wire::NotifyPayload::Make(wire::NotifyType::kUseTransportMode));
  }
  AddCapabilityNotifies(msg, ctx);
  ProposalList proposals = cfg.esp_proposals;
  if (in_ike_auth_) {
    for (auto& p : proposals) p = WithoutKe(p);
  }
  Finalize(proposals, cfg.protocol, SpiBytes32(spi_in_));
  msg.payloads.push_back(ToWireSa(proposals));
  if (!in_ike_auth_) {
    if (own_nonce_.empty()) own_nonce_ = ctx.env.rng.Generate(kNonceSize);
    msg.payloads.push_back(wire::NoncePayload{own_nonce_});
    if (pfs_group_ == KeGroup::kNone) {
      for (const auto& p : cfg.esp_proposals) {
        auto g = p.KeGroups();
        if (!g.empty()) {
          pfs_group_ = g.front();
          break;
        }
      }
    }
    if (pfs_group_ != KeGroup::kNone) {
      if (!ke_ || ke_->group() != pfs_group_) {
        auto ke = crypto::KeyExchange::Create(pfs_group_, ctx.env.rng);
        if (!ke) return Fail("PFS key exchange: " + ke.error().detail, std::nullopt, {}, false);
        ke_.emplace(std::move(*ke));
      }
      msg.payloads.push_back(wire::KePayload{pfs_group_, ke_->PublicValue()});
    }
  }
  ts_i_ = LocalDynamic(cfg.local_ts, ctx);
  ts_r_ = RemoteDynamic(cfg.remote_ts, ctx);
  msg.payloads.push_back(ToWireTs(Role::kInitiator, ts_i_));
  msg.payloads.push_back(ToWireTs(Role::kResponder, ts_r_));
  return TaskResult::kDone;
}

TaskOutcome ChildCreate::ProcessResponse(const wire::Message& msg, SaContext& ctx) {
  const ChildConfig& cfg = *config_;
  auto fail = [&](std::string reason) -> TaskOutcome {
    ReleaseSpi(ctx, cfg.protocol, spi_in_);
    spi_in_ = 0;
    ctx.EmitEvent(EventKind::kChildDown, cfg.name, 0, 0, "CHILD_SA failed: " + reason);
    if (ChildSa* old = rekey_spi_in_ ? ctx.FindChildByInbound(rekey_spi_in_) : nullptr) {
      old->state = ChildState::kInstalled;
    }
    return Fail(reason, std::nullopt, {}, false);
  };
  if (ctx.state == IkeState::kDestroyed) return TaskResult::kDone;
  if (const auto* ike = msg.FindNotify(wire::NotifyType::kInvalidKePayload);
      ike && !in_ike_auth_ && ike->data.size() == 2) {
    auto group = static_cast<KeGroup>(ike->data[0] << 8 | ike->data[1]);
    bool offered = false;
    for (const auto& p : cfg.esp_proposals) {
      offered |= p.Has(TransformType::kKe, static_cast<uint16_t>(group));
    }
    if (offered && group != pfs_group_ && crypto::KeyExchange::IsSupported(group)) {
      pfs_group_ = group;
      ke_.reset();
      own_nonce_.clear();
      return TaskResult::kNeedMore;  // retried in a new CREATE_CHILD_SA
    }
  }
  for (const auto& p : msg.payloads) {
    if (const auto* n = std::get_if<wire::NotifyPayload>(&p)) {
      if (wire::IsErrorNotify(n->type)) {
        return fail("peer answered " + std::string(wire::NotifyTypeName(n->type)));
      }
    }
  }
  const auto* sa = msg.Find<wire::SaPayload>();
  const auto* tsi = msg.FindTs(Role::kInitiator);
  const auto* tsr = msg.FindTs(Role::kResponder);
  if (!sa || !tsi || !tsr) return fail("response lacks SA, TSi or TSr");
  if (sa->proposals.size() != 1) return fail("response must contain exactly one proposal");
  Proposal selected = FromWire(sa->proposals.front());
  ProposalList offered = cfg.esp_proposals;
  Finalize(offered, cfg.protocol, SpiBytes32(spi_in_));
  if (!ValidateSelected(selected, offered, in_ike_auth_)) {
    return fail("peer selected a proposal we did not offer: " + selected.ToString());
  }
  auto spi_out = SpiFromBytes(selected.spi);
  if (!spi_out || *spi_out == 0) return fail("invalid SPI in response");
  TsList narrowed_i = FromWireTs(*tsi);
  TsList narrowed_r = FromWireTs(*tsr);
  if (!IsSubsetOf(narrowed_i, ts_i_) || !IsSubsetOf(narrowed_r, ts_r_)) {
    return fail("peer widened the traffic selectors");
  }
  bool transport = msg.FindNotify(wire::NotifyType::kUseTransportMode) != nullptr;
  if (cfg.mode == xfrm::Mode::kTransport && !transport) {
    return fail("peer did not accept transport mode");
  }
  mode_ = transport ? xfrm::Mode::kTransport : xfrm::Mode::kTunnel;
  ReadCapabilityNotifies(msg);
  if (!in_ike_auth_) {
    const auto* nonce = msg.Find<wire::NoncePayload>();
    if (!nonce) return fail("response lacks Nr");
    peer_nonce_ = nonce->data;
    if (selected.ke() != KeGroup::kNone) {
      const auto* ke = msg.Find<wire::KePayload>();
      if (!ke || !ke_ || ke->group != ke_->group()) return fail("PFS KE payload mismatch");
      peer_ke_ = ke->data;
    }
  }
  selected_ = selected;
  spi_out_ = *spi_out;
  ts_i_ = narrowed_i;
  ts_r_ = narrowed_r;
  auto done = Complete(ctx, true);
  if (!done) return fail(done.error());
  return TaskResult::kDone;
}

void ChildCreate::ProcessRequest(const wire::Message& msg, SaContext& ctx) {
  const auto* sa = msg.Find<wire::SaPayload>();
  const auto* tsi = msg.FindTs(Role::kInitiator);
  const auto* tsr = msg.FindTs(Role::kResponder);
  if (!sa || !tsi || !tsr) {
    // IKE_AUTH without a CHILD_SA (RFC 6023 style) is fine; otherwise syntax.
    if (!in_ike_auth_) Reject(wire::NotifyType::kInvalidSyntax, "missing SA/TS");
    return;
  }
  if (in_ike_auth_ && !ctx.peer_id) {
    return;  // authentication failed: no CHILD_SA
  }
  if (in_ike_auth_ && ctx.vip_failed) {
    return;  // INTERNAL_ADDRESS_FAILURE: no CHILD_SA (RFC 7296 3.15.4)
  }
  TsList rx_i = FromWireTs(*tsi), rx_r = FromWireTs(*tsr);
  if (const auto* rekey = msg.FindNotify(wire::NotifyType::kRekeySa)) {
    auto spi = rekey->ChildSpi();
    ChildSa* old = spi ? ctx.FindChildByOutbound(*spi) : nullptr;
    if (!old) {
      Reject(wire::NotifyType::kChildSaNotFound, "rekeyed CHILD_SA not found");
      return;
    }
    config_ = old->config;
    rekey_spi_in_ = old->spi_in;
    reqid_ = old->reqid;
  }
  // Pick the first child config whose selectors overlap (strongSwan).
  ChildConfigRef chosen;
  TsList local_ts, remote_ts;
  auto try_config = [&](const ChildConfigRef& c) {
    TsList l = Narrow(rx_r, LocalDynamic(c->local_ts, ctx));
    TsList r = Narrow(rx_i, RemoteDynamic(c->remote_ts, ctx));
    if (l.empty() || r.empty()) return false;
    chosen = c;
    local_ts = std::move(l);
    remote_ts = std::move(r);
    return true;
  };
  if (config_) {
    try_config(config_);
  } else {
    for (const auto& c : ctx.config->children) {
      if (try_config(ChildOf(ctx.config, c))) break;
    }
  }
  if (!chosen) {
    Reject(wire::NotifyType::kTsUnacceptable, "no matching traffic selectors");
    return;
  }
  config_ = chosen;
  ProposalList offered = FromWireSa(*sa);
  ProposalList configured = chosen->esp_proposals;
  Finalize(configured, chosen->protocol, {});
  SelectOptions opts;
  opts.ignore_ke = in_ike_auth_;
  auto selected = SelectProposal(offered, configured, opts);
  if (!selected) {
    Reject(wire::NotifyType::kNoProposalChosen, "no acceptable CHILD_SA proposal");
    return;
  }
  auto spi_out = SpiFromBytes(selected->spi);
  if (!spi_out || *spi_out == 0) {
    Reject(wire::NotifyType::kInvalidSyntax, "bad SPI");
    return;
  }
  if (!in_ike_auth_) {
    const auto* nonce = msg.Find<wire::NoncePayload>();
    if (!nonce) {
      Reject(wire::NotifyType::kInvalidSyntax, "missing Ni");
      return;
    }
    peer_nonce_ = nonce->data;
    if (selected->ke() != KeGroup::kNone) {
      const auto* ke = msg.Find<wire::KePayload>();
      if (!ke || ke->group != selected->ke()) {
        uint16_t g = static_cast<uint16_t>(selected->ke());
        Reject(wire::NotifyType::kInvalidKePayload, "PFS group mismatch",
               Bytes{static_cast<uint8_t>(g >> 8), static_cast<uint8_t>(g)});
        return;
      }
      peer_ke_ = ke->data;
      pfs_group_ = selected->ke();
    }
  }
  bool transport_requested = msg.FindNotify(wire::NotifyType::kUseTransportMode) != nullptr;
  ReadCapabilityNotifies(msg);
  mode_ = transport_requested && chosen->mode == xfrm::Mode::kTransport ? xfrm::Mode::kTransport
                                                                         : xfrm::Mode::kTunnel;
  selected_ = *selected;
  spi_out_ = *spi_out;
  ts_i_ = remote_ts;
  ts_r_ = local_ts;
}

TaskOutcome ChildCreate::BuildResponse(wire::Message& msg, SaContext& ctx) {
  if (in_ike_auth_ && ctx.state != IkeState::kEstablished) return TaskResult::kDone;
  if (!config_ && !error_) return TaskResult::kDone;  // no CHILD_SA requested
  if (!error_) {
    if (reqid_ == 0) reqid_ = AssignReqid(ctx, *config_, &ts_i_);
    auto spi = ctx.env.spis.AllocateSpi(ctx.remote.address, ctx.local.address,
                                        config_->protocol, reqid_);
    if (!spi) {
      Reject(wire::NotifyType::kNoAdditionalSas, "SPI allocation failed");
    } else {
      spi_in_ = *spi;
    }
  }
  if (!error_ && !in_ike_auth_) {
    own_nonce_ = ctx.env.rng.Generate(kNonceSize);
    if (pfs_group_ != KeGroup::kNone) {
      auto ke = crypto::KeyExchange::Create(pfs_group_, ctx.env.rng);
      if (!ke) {
        Reject(wire::NotifyType::kNoProposalChosen, "PFS group unavailable");
      } else {
        ke_.emplace(std::move(*ke));
      }
    }
  }
  if (!error_) {
    auto done = Complete(ctx, false);
    if (!done) Reject(wire::NotifyType::kNoProposalChosen, done.error());
  }
  if (error_) {
    Abort(ctx);
    msg.payloads.push_back(wire::NotifyPayload::Make(*error_, error_data_));
    return TaskResult::kDone;
  }
  if (mode_ == xfrm::Mode::kTransport) {
    msg.payloads.push_back(wire::NotifyPayload::Make(wire::NotifyType::kUseTransportMode));
  }
  AddCapabilityNotifies(msg, ctx);
  Proposal answer = selected_;
  answer.spi = SpiBytes32(spi_in_);
  msg.payloads.push_back(ToWireSa({answer}));
  if (!in_ike_auth_) {
    msg.payloads.push_back(wire::NoncePayload{own_nonce_});
    if (ke_) msg.payloads.push_back(wire::KePayload{ke_->group(), ke_->PublicValue()});
  }
  msg.payloads.push_back(ToWireTs(Role::kInitiator, ts_i_));
  msg.payloads.push_back(ToWireTs(Role::kResponder, ts_r_));
  return TaskResult::kDone;
}

void ChildCreate::RecordRekey(SaContext& ctx, uint32_t old_spi_in, bool ours, const Bytes& ni,
                              const Bytes& nr, uint32_t new_spi_in) {
  SaContext::RekeyRecord& r = ctx.child_rekeys[old_spi_in];
  if (ours) {
    r.ours_done = true;
    r.ours_ni = ni;
    r.ours_nr = nr;
    r.ours_new_spi_in = new_spi_in;
  } else {
    r.theirs_done = true;
    r.theirs_ni = ni;
    r.theirs_nr = nr;
  }
  if (!r.ours_done || !r.theirs_done || r.resolved) return;
  r.resolved = true;
  // RFC 7296 2.8.1: the SA created by the exchange holding the lowest nonce
  // is redundant and deleted by the side that initiated that exchange.
  if (HoldsLowestNonce(r.ours_ni, r.ours_nr, r.theirs_ni, r.theirs_nr)) {
    if (ChildSa* redundant = ctx.FindChildByInbound(r.ours_new_spi_in)) {
      redundant->state = ChildState::kRekeyed;  // no ChildDown event for it
      ctx.pending_child_deletes.push_back(r.ours_new_spi_in);
    }
  }
}

Result<void, std::string> ChildCreate::Complete(SaContext& ctx, bool exchange_initiator) {
  std::optional<SecretBytes> shared;
  if (ke_ && !peer_ke_.empty()) {
    auto s = ke_->ComputeShared(peer_ke_);
    if (!s) return MakeUnexpected("PFS: " + s.error().detail);
    shared.emplace(std::move(*s));
  }
  const Bytes& ni = in_ike_auth_ ? ctx.nonce_i : (exchange_initiator ? own_nonce_ : peer_nonce_);
  const Bytes& nr = in_ike_auth_ ? ctx.nonce_r : (exchange_initiator ? peer_nonce_ : own_nonce_);
  std::optional<ByteView> g;
  if (shared) g = shared->view();
  IKE_ASSIGN_OR_RETURN(crypto::ChildSaKeys keys, DeriveChildKeys(ctx, selected_, g, ni, nr));

  ChildSa child;
  child.name = config_->name;
  child.config = config_;
  child.reqid = reqid_;
  child.protocol = config_->protocol;
  child.mode = mode_;
  child.spi_in = spi_in_;
  child.spi_out = spi_out_;
  child.proposal = selected_;
  bool we_are_i = exchange_initiator;
  child.ts_local = we_are_i ? ts_i_ : ts_r_;
  child.ts_remote = we_are_i ? ts_r_ : ts_i_;
  child.encap = ctx.use_encap();
  child.established_at = ctx.now;
  child.pfs_group = pfs_group_;
  child.peer_refuses_tfc = peer_refuses_tfc_;

  ChildSa* old = rekey_spi_in_ ? ctx.FindChildByInbound(rekey_spi_in_) : nullptr;
  // A rekeyed CHILD_SA keeps the policies of its predecessor.
  InstallChild(ctx, child, keys, exchange_initiator, old == nullptr);
  installed_ = true;
  if (old) {
    old->state = ChildState::kRekeyed;
    ctx.EmitEvent(EventKind::kChildRekeyed, child.name, child.spi_in, child.spi_out);
    ctx.CancelTimer(TimerKind::kChildRekey, old->spi_in);
    if (exchange_initiator) ctx.pending_child_deletes.push_back(old->spi_in);
  }
  uint32_t old_spi_in = old ? old->spi_in : 0;
  uint32_t new_spi_in = child.spi_in;
  Duration rekey = child.config->rekey_time - ctx.Jitter(child.config->rand_time);
  if (child.config->rekey_time.count() > 0) {
    ctx.ArmTimer(TimerKind::kChildRekey, rekey, child.spi_in);
  }
  if (child.config->life_time.count() > 0) {
    ctx.ArmTimer(TimerKind::kChildExpire, child.config->life_time, child.spi_in);
  }
  ctx.children.push_back(std::move(child));
  if (old_spi_in) RecordRekey(ctx, old_spi_in, exchange_initiator, ni, nr, new_spi_in);
  return {};
}

}  // namespace ike::engine
