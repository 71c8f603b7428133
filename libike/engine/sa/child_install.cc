#include "libike/engine/sa/child_install.h"

namespace ike::engine {

namespace {

xfrm::SaParams BaseParams(const SaContext& ctx, const ChildSa& child) {
  xfrm::SaParams p;
  p.mode = child.mode;
  p.reqid = child.reqid;
  auto e = child.proposal.Get(TransformType::kEncr);
  auto i = child.proposal.Get(TransformType::kInteg);
  auto esn = child.proposal.Get(TransformType::kEsn);
  p.encr = e ? static_cast<EncrId>(e->id) : EncrId::kNull;
  p.encr_key_bits = e ? e->key_length : 0;
  if (p.encr == EncrId::kChaCha20Poly1305 && p.encr_key_bits == 0) p.encr_key_bits = 256;
  p.integ = i ? static_cast<IntegId>(i->id) : IntegId::kNone;
  p.esn = esn && esn->id == static_cast<uint16_t>(EsnId::kEsn);
  p.replay_window = child.config->replay_window;
  if (child.encap) {
    p.encap = xfrm::Encap{};
  }
  // The kernel's own lifetimes back up the engine's timers.
  p.hard.seconds = static_cast<uint64_t>(child.config->life_time.count() / 1000);
  p.hard.bytes = child.config->life_bytes;
  p.hard.packets = child.config->life_packets;
  p.soft.bytes = child.config->life_bytes ? child.config->life_bytes * 9 / 10 : 0;
  p.soft.packets = child.config->life_packets ? child.config->life_packets * 9 / 10 : 0;
  (void)ctx;
  return p;
}

}  // namespace

uint32_t AssignReqid(SaContext& ctx, const ChildConfig& config, const TsList* remote_ts) {
  if (config.reqid != 0) return config.reqid;
  if (!ctx.reqid_by_child) return ctx.next_reqid++;
  // One reqid per connection and child, so trap policies and the SAs of a
  // reauthentication share it (their policies are installed once; a rekey
  // inherits its predecessor's). A connection open to any peer (a
  // roadwarrior gateway) has one per remote selector set too: outbound
  // packets find their SA through the policy's reqid, and each peer's
  // CHILD_SA has its own selectors (its virtual IP), while a peer that
  // reconnects with the same address shares the policies and so the reqid.
  std::string key = ctx.config->name + "/" + config.name;
  if (ctx.config->remote.address.IsUnspecified()) {
    if (!remote_ts) return ctx.next_reqid++;
    for (const auto& ts : *remote_ts) key += " " + ts.ToString();
  }
  uint32_t& r = (*ctx.reqid_by_child)[key];
  if (r == 0) r = ctx.next_reqid++;
  return r;
}

xfrm::SaParams ChildSaParams(const SaContext& ctx, const ChildSa& child, bool inbound) {
  xfrm::SaParams p = BaseParams(ctx, child);
  if (inbound) {
    p.id = xfrm::SaId{ctx.local.address, child.spi_in, child.protocol, child.config->mark_in};
    p.src = ctx.remote.address;
    p.direction = xfrm::Direction::kIn;
    p.mark = child.config->mark_in;
    p.if_id = child.config->if_id_in;
    if (p.encap) *p.encap = xfrm::Encap{ctx.remote.port, ctx.local.port};
  } else {
    p.id = xfrm::SaId{ctx.remote.address, child.spi_out, child.protocol, child.config->mark_out};
    p.src = ctx.local.address;
    p.direction = xfrm::Direction::kOut;
    p.mark = child.config->mark_out;
    p.if_id = child.config->if_id_out;
    if (p.encap) *p.encap = xfrm::Encap{ctx.local.port, ctx.remote.port};
    // TFC padding (RFC 4303 2.4) only where the inner length is recoverable
    // from the inner IP header (tunnel mode), and only if the peer takes it.
    if (child.mode == xfrm::Mode::kTunnel && child.protocol == ProtocolId::kEsp &&
        !child.peer_refuses_tfc) {
      p.tfc_pad = child.config->tfc_padding;
    }
  }
  if (child.mode == xfrm::Mode::kTransport && !child.ts_local.empty() &&
      !child.ts_remote.empty()) {
    auto sel = inbound ? ToXfrmSelectors(child.ts_remote.front(), child.ts_local.front())
                       : ToXfrmSelectors(child.ts_local.front(), child.ts_remote.front());
    if (sel.size() == 1) p.selector = sel.front();
  }
  return p;
}

std::vector<xfrm::PolicyParams> ChildPolicies(const SaContext& ctx, const ChildSa& child) {
  std::vector<xfrm::PolicyParams> out;
  auto policy = [&](const xfrm::Selector& sel, xfrm::Direction dir) {
    xfrm::PolicyParams pp;
    pp.selector = sel;
    pp.direction = dir;
    pp.action = xfrm::PolicyAction::kProtect;
    xfrm::PolicyTemplate t;
    t.protocol = child.protocol;
    t.mode = child.mode;
    bool outbound = dir == xfrm::Direction::kOut;
    if (child.mode == xfrm::Mode::kTunnel) {
      t.src = outbound ? ctx.local.address : ctx.remote.address;
      t.dst = outbound ? ctx.remote.address : ctx.local.address;
    }
    t.reqid = child.reqid;
    pp.templates.push_back(t);
    pp.mark = outbound ? child.config->mark_out : child.config->mark_in;
    pp.if_id = outbound ? child.config->if_id_out : child.config->if_id_in;
    pp.priority = xfrm::ComputePriority(sel, pp.action, false);
    out.push_back(std::move(pp));
  };
  for (const auto& l : child.ts_local) {
    for (const auto& r : child.ts_remote) {
      if (l.family() != r.family()) continue;
      for (const auto& sel : ToXfrmSelectors(l, r)) policy(sel, xfrm::Direction::kOut);
      for (const auto& sel : ToXfrmSelectors(r, l)) {
        policy(sel, xfrm::Direction::kIn);
        if (child.mode == xfrm::Mode::kTunnel) policy(sel, xfrm::Direction::kFwd);
      }
    }
  }
  return out;
}

void InstallChild(SaContext& ctx, const ChildSa& child, const crypto::ChildSaKeys& keys,
                  bool exchange_initiator, bool install_policies) {
  bool initiator = exchange_initiator;
  const SecretBytes& out_e = initiator ? keys.encr_i : keys.encr_r;
  const SecretBytes& out_a = initiator ? keys.integ_i : keys.integ_r;
  const SecretBytes& in_e = initiator ? keys.encr_r : keys.encr_i;
  const SecretBytes& in_a = initiator ? keys.integ_r : keys.integ_i;

  xfrm::SaParams in = ChildSaParams(ctx, child, /*inbound=*/true);
  in.enc_key = in_e.Clone();
  in.integ_key = in_a.Clone();
  xfrm::SaParams out = ChildSaParams(ctx, child, /*inbound=*/false);
  out.enc_key = out_e.Clone();
  out.integ_key = out_a.Clone();
  ctx.Emit(InstallSa{std::move(in)});
  ctx.Emit(InstallSa{std::move(out)});

  if (install_policies) {
    for (auto& pp : ChildPolicies(ctx, child)) ctx.Emit(InstallPolicy{std::move(pp)});
  }
  ctx.EmitEvent(EventKind::kChildUp, child.name, child.spi_in, child.spi_out);
}

void UninstallChild(SaContext& ctx, const ChildSa& child, bool keep_policies) {
  ctx.Emit(DeleteSa{xfrm::SaId{ctx.local.address, child.spi_in, child.protocol,
                               child.config->mark_in}});
  ctx.Emit(DeleteSa{xfrm::SaId{ctx.remote.address, child.spi_out, child.protocol,
                               child.config->mark_out}});
  if (keep_policies) return;
  for (const auto& l : child.ts_local) {
    for (const auto& r : child.ts_remote) {
      if (l.family() != r.family()) continue;
      for (const auto& sel : ToXfrmSelectors(l, r)) {
        ctx.Emit(DeletePolicy{xfrm::PolicyId{sel, xfrm::Direction::kOut, child.config->mark_out,
                                             child.config->if_id_out}});
      }
      for (const auto& sel : ToXfrmSelectors(r, l)) {
        ctx.Emit(DeletePolicy{xfrm::PolicyId{sel, xfrm::Direction::kIn, child.config->mark_in,
                                             child.config->if_id_in}});
        if (child.mode == xfrm::Mode::kTunnel) {
          ctx.Emit(DeletePolicy{xfrm::PolicyId{sel, xfrm::Direction::kFwd,
                                               child.config->mark_in, child.config->if_id_in}});
        }
      }
    }
  }
}

void ReleaseSpi(SaContext& ctx, ProtocolId protocol, uint32_t spi) {
  if (spi == 0) return;
  ctx.Emit(DeleteSa{xfrm::SaId{ctx.local.address, spi, protocol, {}}});
}

}  // namespace ike::engine
