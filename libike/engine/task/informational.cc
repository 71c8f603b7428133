#include "libike/engine/task/informational.h"

#include <algorithm>

#include "libike/engine/sa/child_install.h"

namespace ike::engine {

void RemoveChild(SaContext& ctx, uint32_t spi_in, const std::string& reason) {
  auto it = std::find_if(ctx.children.begin(), ctx.children.end(),
                         [&](const ChildSa& c) { return c.spi_in == spi_in; });
  if (it == ctx.children.end()) return;
  bool rekeyed = it->state == ChildState::kRekeyed;
  // Another CHILD_SA of the same reqid (a rekey successor, or the winner of
  // a rekey collision) keeps using the policies.
  bool successor = std::any_of(ctx.children.begin(), ctx.children.end(), [&](const ChildSa& c) {
    return c.spi_in != spi_in && c.reqid == it->reqid;
  });
  UninstallChild(ctx, *it, successor);
  ctx.CancelTimer(TimerKind::kChildRekey, spi_in);
  ctx.CancelTimer(TimerKind::kChildExpire, spi_in);
  if (!rekeyed && !successor) ctx.EmitEvent(EventKind::kChildDown, it->name, it->spi_in, it->spi_out, reason);
  ctx.children.erase(it);
}

TaskOutcome ChildDelete::Build(wire::Message& msg, SaContext& ctx) {
  ChildSa* child = ctx.FindChildByInbound(spi_in_);
  if (!child) return TaskResult::kDone;  // already gone: send an empty INFORMATIONAL
  if (child->state != ChildState::kRekeyed) child->state = ChildState::kDeleting;
  wire::DeletePayload del;
  del.protocol = child->protocol;
  del.spis.push_back(spi_in_);
  msg.payloads.push_back(del);
  return TaskResult::kDone;
}

TaskOutcome ChildDelete::Process(const wire::Message& msg, SaContext& ctx) {
  // The peer answers with its inbound SPI; either way the CHILD_SA is gone.
  RemoveChild(ctx, spi_in_, reason_);
  return TaskResult::kDone;
}

TaskOutcome IkeDelete::Build(wire::Message& msg, SaContext& ctx) {
  ctx.state = IkeState::kDeleting;
  wire::DeletePayload del;
  del.protocol = ProtocolId::kIke;
  msg.payloads.push_back(del);
  return TaskResult::kDone;
}

TaskOutcome IkeDelete::Process(const wire::Message& msg, SaContext& ctx) {
  ctx.destroy_after = reason_;
  return TaskResult::kDone;
}

TaskOutcome InformationalResponder::Process(const wire::Message& msg, SaContext& ctx) {
  // A peer that gives up during IKE_AUTH (e.g. an EAP client refusing our
  // MSCHAPv2 failure) says AUTHENTICATION_FAILED in an INFORMATIONAL.
  if (!ctx.established() && msg.FindNotify(wire::NotifyType::kAuthenticationFailed)) {
    std::string who;
    if (ctx.eap && !ctx.eap->identity.empty()) {
      who = " during EAP authentication of '" +
            std::string(ctx.eap->identity.begin(), ctx.eap->identity.end()) + "'";
    }
    peer_gave_up_ = "peer reported AUTHENTICATION_FAILED" + who;
  }
  // RFC 7296 3.10.1: INVALID_SPI carries the SPI of an SA the peer does
  // not know (in the notify data); our CHILD_SA sending with it is useless.
  for (const auto* n : msg.FindAll<wire::NotifyPayload>()) {
    if (n->type != wire::NotifyType::kInvalidSpi) continue;
    ByteView spi = n->data.size() == 4 ? ByteView(n->data) : ByteView(n->spi);
    if (spi.size() != 4) continue;
    uint32_t v = uint32_t{spi[0]} << 24 | uint32_t{spi[1]} << 16 | uint32_t{spi[2]} << 8 | spi[3];
    if (ChildSa* child = ctx.FindChildByOutbound(v)) invalid_spi_in_.push_back(child->spi_in);
  }
  for (const auto* del : msg.FindAll<wire::DeletePayload>()) {
    if (del->protocol == ProtocolId::kIke) {
      delete_ike_ = true;
      continue;
    }
    for (uint32_t spi : del->spis) {
      ChildSa* child = ctx.FindChildByOutbound(spi);
      if (!child || child->protocol != del->protocol) continue;
      // A CHILD_SA we are deleting ourselves (collision, RFC 7296 1.4.1)
      // is still answered and removed here.
      deleted_in_.emplace_back(child->protocol, child->spi_in);
    }
  }
  return TaskResult::kDone;
}

TaskOutcome InformationalResponder::Build(wire::Message& msg, SaContext& ctx) {
  if (!peer_gave_up_.empty()) {
    ctx.destroy_after = peer_gave_up_;
    return TaskResult::kDone;  // empty response
  }
  if (delete_ike_) {
    ctx.destroy_after = std::string(kReasonDeletedByPeer);
    return TaskResult::kDone;  // empty response
  }
  for (uint32_t spi : invalid_spi_in_) RemoveChild(ctx, spi, "peer reported INVALID_SPI");
  wire::DeletePayload esp{ProtocolId::kEsp, {}}, ah{ProtocolId::kAh, {}};
  for (const auto& [proto, spi] : deleted_in_) {
    (proto == ProtocolId::kAh ? ah : esp).spis.push_back(spi);
    RemoveChild(ctx, spi, std::string(kReasonDeletedByPeer));
  }
  if (!esp.spis.empty()) msg.payloads.push_back(esp);
  if (!ah.spis.empty()) msg.payloads.push_back(ah);
  return TaskResult::kDone;
}

}  // namespace ike::engine
