#include "libike/engine/task/ike_config.h"

#include "libike/wire/cp_eap_payload.h"

namespace ike::engine {

namespace {

using wire::CfgAttribute;
using wire::CfgAttributeType;

Bytes AddressValue(const IpAddress& a, bool with_prefix, uint8_t prefix) {
  ByteView b = a.bytes();
  Bytes v(b.begin(), b.end());
  if (with_prefix) v.push_back(prefix);
  return v;
}

Bytes MaskOf(uint8_t prefix) {
  uint32_t m = prefix == 0 ? 0 : ~uint32_t{0} << (32 - std::min<uint8_t>(prefix, 32));
  return Bytes{static_cast<uint8_t>(m >> 24), static_cast<uint8_t>(m >> 16),
               static_cast<uint8_t>(m >> 8), static_cast<uint8_t>(m)};
}

}  // namespace

std::string LeaseIdentity(const SaContext& ctx) {
  if (ctx.peer_id) return ctx.peer_id->ToString();
  return ctx.remote.address.ToString();
}

void ReleaseVirtualIps(SaContext& ctx) {
  if (ctx.pools) {
    for (const auto& [pool, address] : ctx.peer_vips) ctx.pools->Release(pool, address);
  }
  ctx.peer_vips.clear();
  for (const IpAddress& a : ctx.own_vips) {
    ctx.Emit(VirtualIp{false, a, ctx.config->name, ctx.id});
  }
  ctx.own_vips.clear();
}

std::vector<VipAttribute> LeaseVipAttributes(SaContext& ctx, const std::vector<IpAddress>& requested,
                                             bool netmask, const std::string& lease_id,
                                             std::string& failures) {
  std::vector<VipAttribute> out;
  auto add = [&out](CfgAttributeType t, Bytes v) { out.push_back({static_cast<uint16_t>(t), std::move(v)}); };
  if (!ctx.pools) return out;
  for (const IpAddress& want : requested) {
    std::optional<std::pair<std::string, IpAddress>> lease;
    for (const auto& pv : ctx.peer_vips) {
      if (pv.second.family() == want.family()) lease = pv;  // asked again: the same lease
    }
    if (!lease) {
      std::optional<IpAddress> wish;
      if (!want.IsUnspecified()) wish = want;
      auto grant = ctx.pools->Acquire(ctx.config->pools, want.family(), lease_id, wish);
      if (!grant) {
        failures += (failures.empty() ? "" : "; ") + grant.error();
        continue;
      }
      lease.emplace(grant->pool, grant->address);
      ctx.peer_vips.push_back(*lease);
    }
    const IpAddress& address = lease->second;
    bool v4 = address.is_v4();
    add(v4 ? CfgAttributeType::kInternalIp4Address : CfgAttributeType::kInternalIp6Address,
        AddressValue(address, !v4, 128));
    const PoolSpec* pool = ctx.pools->Find(lease->first);
    if (!pool) continue;
    if (v4 && netmask) {
      // RFC 7296 3.15.1: the netmask of the internal network the address
      // is on (a range pool: the address alone).
      add(CfgAttributeType::kInternalIp4Netmask, MaskOf(pool->prefix ? pool->prefix : 32));
    }
    for (const IpAddress& dns : pool->dns) {
      if (dns.family() != address.family()) continue;
      add(v4 ? CfgAttributeType::kInternalIp4Dns : CfgAttributeType::kInternalIp6Dns,
          AddressValue(dns, false, 0));
    }
    for (const auto& [net, prefix] : pool->subnets) {
      if (net.family() != address.family()) continue;
      Bytes v = AddressValue(net, false, 0);
      if (v4) {
        Bytes m = MaskOf(prefix);
        v.insert(v.end(), m.begin(), m.end());
      } else {
        v.push_back(prefix);
      }
      add(v4 ? CfgAttributeType::kInternalIp4Subnet : CfgAttributeType::kInternalIp6Subnet, std::move(v));
    }
  }
  return out;
}

TaskOutcome IkeConfig::Build(wire::Message& msg, SaContext& ctx) {
  if (role_ == Role::kInitiator) {
    if (ctx.config->vips.empty()) return TaskResult::kDone;
    wire::CpPayload cp;
    cp.cfg_type = wire::CfgType::kRequest;
    for (const IpAddress& vip : ctx.config->vips) {
      bool v4 = vip.is_v4();
      if (vip.IsUnspecified()) {
        cp.attributes.push_back(CfgAttribute::Make(
            v4 ? CfgAttributeType::kInternalIp4Address : CfgAttributeType::kInternalIp6Address));
      } else {
        cp.attributes.push_back(CfgAttribute::Make(
            v4 ? CfgAttributeType::kInternalIp4Address : CfgAttributeType::kInternalIp6Address,
            AddressValue(vip, !v4, 128)));
      }
      cp.attributes.push_back(CfgAttribute::Make(v4 ? CfgAttributeType::kInternalIp4Dns
                                                    : CfgAttributeType::kInternalIp6Dns));
      // As Windows clients do; the gateway may answer with its pool's mask.
      if (v4) cp.attributes.push_back(CfgAttribute::Make(CfgAttributeType::kInternalIp4Netmask));
    }
    msg.payloads.push_back(std::move(cp));
    return TaskResult::kDone;
  }
  // Responder: the reply prepared in Process.
  if (ctx.vip_failed) {
    // RFC 7296 3.15.4: the IKE_SA stands, the CHILD_SA is not created.
    msg.payloads.push_back(wire::NotifyPayload::Make(wire::NotifyType::kInternalAddressFailure));
  } else if (reply_) {
    msg.payloads.push_back(std::move(*reply_));
    reply_.reset();
  }
  return TaskResult::kDone;
}

void IkeConfig::Assign(SaContext& ctx) {
  wire::CpPayload cp;
  cp.cfg_type = wire::CfgType::kReply;
  std::string failures;
  if (ctx.eap && ctx.eap->framed_ip) {
    // The AAA backend chose the address (RADIUS Framed-IP-Address); DNS
    // servers still come from the connection's first pool, if any.
    const IpAddress& a = *ctx.eap->framed_ip;
    bool v4 = a.is_v4();
    ctx.peer_vips.emplace_back("", a);
    cp.attributes.push_back(CfgAttribute::Make(
        v4 ? CfgAttributeType::kInternalIp4Address : CfgAttributeType::kInternalIp6Address,
        AddressValue(a, !v4, 128)));
    const PoolSpec* pool =
        ctx.pools && !ctx.config->pools.empty() ? ctx.pools->Find(ctx.config->pools.front()) : nullptr;
    for (const IpAddress& dns : pool ? pool->dns : std::vector<IpAddress>{}) {
      if (dns.family() != a.family()) continue;
      cp.attributes.push_back(CfgAttribute::Address(
          v4 ? CfgAttributeType::kInternalIp4Dns : CfgAttributeType::kInternalIp6Dns, dns));
    }
    reply_ = std::move(cp);
    return;
  }
  for (VipAttribute& a : LeaseVipAttributes(ctx, requested_, netmask_requested_, LeaseIdentity(ctx),
                                            failures)) {
    cp.attributes.push_back(CfgAttribute::Make(static_cast<CfgAttributeType>(a.type), std::move(a.value)));
  }
  if (ctx.peer_vips.empty()) {
    ctx.vip_failed = true;
    vip_error_ = "no virtual IP for " + LeaseIdentity(ctx) + ": " + failures;
    ctx.EmitEvent(EventKind::kChildDown, {}, 0, 0, vip_error_);
    return;
  }
  reply_ = std::move(cp);
}

TaskOutcome IkeConfig::Process(const wire::Message& msg, SaContext& ctx) {
  const auto* cp = msg.Find<wire::CpPayload>();
  if (role_ == Role::kResponder) {
    if (!cp || cp->cfg_type != wire::CfgType::kRequest) return TaskResult::kDone;
    for (const auto& a : cp->attributes) {
      auto t = static_cast<CfgAttributeType>(a.type);
      if (t == CfgAttributeType::kInternalIp4Address) {
        auto addr = a.value.size() == 4 ? IpAddress::FromBytes(a.value) : std::nullopt;
        requested_.push_back(addr ? *addr : IpAddress::Any(AddressFamily::kIpv4));
      } else if (t == CfgAttributeType::kInternalIp4Netmask) {
        netmask_requested_ = true;
      } else if (t == CfgAttributeType::kInternalIp6Address) {
        auto addr = a.value.size() == 17 ? IpAddress::FromBytes(ByteView(a.value).first(16))
                                         : std::nullopt;
        requested_.push_back(addr ? *addr : IpAddress::Any(AddressFamily::kIpv6));
      }
    }
    // IKE_AUTH verified the peer just before (it runs first); without a
    // verified identity there is nothing to lease. No pools configured:
    // no CP at all, the CHILD_SA uses the peer's IKE address.
    bool framed = ctx.eap && ctx.eap->framed_ip;
    if (!requested_.empty() && ctx.peer_id &&
        (framed || (ctx.pools && !ctx.config->pools.empty()))) {
      Assign(ctx);
    }
    return TaskResult::kDone;
  }
  // Initiator: the response.
  if (ctx.config->vips.empty()) return TaskResult::kDone;
  // Without the address we asked for the tunnel is useless: the IKE_SA
  // (established on the gateway's side) is deleted properly.
  auto give_up = [&](std::string why) -> TaskOutcome {
    ctx.delete_after = why;
    return Fail(why, std::nullopt, {}, false);
  };
  if (msg.FindNotify(wire::NotifyType::kInternalAddressFailure)) {
    return give_up("the gateway could not assign a virtual IP (INTERNAL_ADDRESS_FAILURE)");
  }
  if (!cp || cp->cfg_type != wire::CfgType::kReply) {
    return give_up("no virtual IP assigned (no CP reply)");
  }
  for (const auto& a : cp->attributes) {
    auto t = static_cast<CfgAttributeType>(a.type);
    std::optional<IpAddress> addr;
    if (a.value.size() == 4 || a.value.size() == 16) addr = IpAddress::FromBytes(a.value);
    if (a.value.size() == 17) addr = IpAddress::FromBytes(ByteView(a.value).first(16));
    if (!addr) continue;
    if (t == CfgAttributeType::kInternalIp4Address || t == CfgAttributeType::kInternalIp6Address) {
      if (addr->IsUnspecified()) continue;
      ctx.own_vips.push_back(*addr);
      ctx.Emit(VirtualIp{true, *addr, ctx.config->name, ctx.id});
    } else if (t == CfgAttributeType::kInternalIp4Dns || t == CfgAttributeType::kInternalIp6Dns) {
      ctx.received_dns.push_back(*addr);
    } else if (t == CfgAttributeType::kInternalIp4Netmask && addr->is_v4()) {
      ctx.received_netmask = *addr;
    }
  }
  if (ctx.own_vips.empty()) return give_up("no virtual IP in the gateway's CP reply");
  return TaskResult::kDone;
}

}  // namespace ike::engine
