// Mode Config (draft-dukes-ike-mode-cfg) over Transaction exchanges, pull
// mode, after XAuth (or right after Phase 1 without it):
//
//   client (config.vips)                              gateway (config.pools)
//   HDR*, HASH, ATTR(REQUEST, INTERNAL_IP4_ADDRESS(), NETMASK(), DNS()) -->
//        <-- HDR*, HASH, ATTR(REPLY, INTERNAL_IP4_ADDRESS(a), NETMASK, DNS(d))
//
// HASH = prf(SKEYID_a, M-ID | ATTR), as for XAuth. The gateway leases from
// the Engine's AddressPools under the XAuth user name (else the peer's
// identity), like IKEv2's configuration payload, and narrows the peer's
// "dynamic" Quick Mode selector to the lease; the client installs the
// address (VirtualIp effect) and uses it as its own selector. Leases are
// released when the ISAKMP SA goes. A gateway that cannot serve answers
// with an empty REPLY (the client gives up) and reports why.
#include <algorithm>

#include "libike/engine/task/ike_config.h"
#include "libike/engine/v1/isakmp_sa.h"

namespace ike::engine::v1 {

namespace {

uint16_t Attr(isakmp::CfgAttr a) { return static_cast<uint16_t>(a); }

Bytes AddressBytes(const IpAddress& a) {
  ByteView b = a.bytes();
  return Bytes(b.begin(), b.end());
}

Bytes MaskOf(uint8_t prefix) {
  uint32_t m = prefix == 0 ? 0 : ~uint32_t{0} << (32 - std::min<uint8_t>(prefix, 32));
  return Bytes{static_cast<uint8_t>(m >> 24), static_cast<uint8_t>(m >> 16),
               static_cast<uint8_t>(m >> 8), static_cast<uint8_t>(m)};
}

}  // namespace

std::string IsakmpSa::LeaseId() const {
  if (!xauth_user_.empty()) return xauth_user_;
  return LeaseIdentity(ctx_);
}

// Our "dynamic" selector: our virtual IP once assigned, else our address.
TsList IsakmpSa::LocalTs(const ChildConfig& c) const {
  if (!ctx_.own_vips.empty()) return ResolveDynamic(c.local_ts, ctx_.own_vips.front());
  return ResolveDynamic(c.local_ts, ctx_.local.address);
}

// The peer's "dynamic" selector: the address we leased to it, if any.
TsList IsakmpSa::RemoteTs(const ChildConfig& c) const {
  if (!ctx_.peer_vips.empty()) return ResolveDynamic(c.remote_ts, ctx_.peer_vips.front().second);
  return ResolveDynamic(c.remote_ts, ctx_.remote.address);
}

void IsakmpSa::StartModeCfgClient() {
  // The XAuth ACK stays answerable should the gateway repeat its SET.
  tx_prev_mid_ = xauth_mid_;
  tx_prev_received_ = std::move(xauth_last_received_);
  tx_prev_sent_ = std::move(xauth_last_sent_);
  xauth_last_received_.clear();
  xauth_last_sent_.clear();
  xauth_mid_ = NewMessageId();
  Bytes id = ctx_.env.rng.Generate(2);
  xauth_identifier_ = static_cast<uint16_t>(id[0] << 8 | id[1]);
  auto iv = Phase2Iv(xauth_mid_);
  if (!iv) return;
  xauth_iv_ = std::move(*iv);
  isakmp::AttributePayload req;
  req.type = isakmp::CfgType::kRequest;
  req.identifier = xauth_identifier_;
  for (const IpAddress& vip : ctx_.config->vips) {
    if (vip.is_v4()) {
      req.attributes.push_back(isakmp::DataAttribute::Tlv(
          Attr(isakmp::CfgAttr::kInternalIp4Address),
          vip.IsUnspecified() ? Bytes{} : AddressBytes(vip)));
      req.attributes.push_back(
          isakmp::DataAttribute::Tlv(Attr(isakmp::CfgAttr::kInternalIp4Netmask), {}));
      req.attributes.push_back(
          isakmp::DataAttribute::Tlv(Attr(isakmp::CfgAttr::kInternalIp4Dns), {}));
    } else {
      req.attributes.push_back(
          isakmp::DataAttribute::Tlv(Attr(isakmp::CfgAttr::kInternalIp6Address), {}));
      req.attributes.push_back(
          isakmp::DataAttribute::Tlv(Attr(isakmp::CfgAttr::kInternalIp6Dns), {}));
    }
  }
  SendTransaction(xauth_mid_, xauth_iv_, std::move(req), /*expect_reply=*/true);
}

void IsakmpSa::ModeCfgRequest(const isakmp::AttributePayload& req, uint32_t mid) {
  xauth_mid_ = mid;
  isakmp::AttributePayload reply;
  reply.type = isakmp::CfgType::kReply;
  reply.identifier = req.identifier;
  std::optional<IpAddress> requested;
  bool want = false;
  bool netmask = false;
  for (const auto& a : req.attributes) {
    if (a.type == Attr(isakmp::CfgAttr::kInternalIp4Address)) {
      want = true;
      if (a.tlv_value.size() == 4) {
        auto addr = IpAddress::FromBytes(a.tlv_value);
        if (addr && !addr->IsUnspecified()) requested = *addr;
      }
    } else if (a.type == Attr(isakmp::CfgAttr::kInternalIp4Netmask)) {
      netmask = true;
    }
  }
  if (want && ctx_.pools && !ctx_.config->pools.empty()) {
    std::optional<std::pair<std::string, IpAddress>> lease;
    for (const auto& pv : ctx_.peer_vips) {
      if (pv.second.is_v4()) lease = pv;  // a repeated request: the same lease
    }
    std::string why;
    if (!lease) {
      auto grant = ctx_.pools->Acquire(ctx_.config->pools, AddressFamily::kIpv4, LeaseId(), requested);
      if (grant) {
        lease.emplace(grant->pool, grant->address);
        ctx_.peer_vips.push_back(*lease);
      } else {
        why = grant.error();
      }
    }
    if (lease) {
      reply.attributes.push_back(isakmp::DataAttribute::Tlv(
          Attr(isakmp::CfgAttr::kInternalIp4Address), AddressBytes(lease->second)));
      const PoolSpec* pool = ctx_.pools->Find(lease->first);
      if (pool && netmask) {
        reply.attributes.push_back(isakmp::DataAttribute::Tlv(
            Attr(isakmp::CfgAttr::kInternalIp4Netmask), MaskOf(pool->prefix ? pool->prefix : 32)));
      }
      for (const IpAddress& dns : pool ? pool->dns : std::vector<IpAddress>{}) {
        if (!dns.is_v4()) continue;
        reply.attributes.push_back(
            isakmp::DataAttribute::Tlv(Attr(isakmp::CfgAttr::kInternalIp4Dns), AddressBytes(dns)));
      }
    } else {
      ctx_.counters.Inc(Drop::kTaskFailed);
      ctx_.EmitEvent(EventKind::kChildDown, {}, 0, 0,
                     "Mode Config: no virtual IP for " + LeaseId() + ": " + why);
    }
  }
  SendTransaction(mid, xauth_iv_, std::move(reply), /*expect_reply=*/false);
}

void IsakmpSa::ModeCfgReply(const isakmp::AttributePayload& reply) {
  ctx_.CancelTimer(TimerKind::kRetransmit, xauth_mid_);
  for (const auto& a : reply.attributes) {
    std::optional<IpAddress> addr;
    if (a.tlv_value.size() == 4 || a.tlv_value.size() == 16) {
      addr = IpAddress::FromBytes(a.tlv_value);
    } else if (a.tlv_value.size() == 17) {
      addr = IpAddress::FromBytes(ByteView(a.tlv_value).first(16));
    }
    if (!addr) continue;
    if (a.type == Attr(isakmp::CfgAttr::kInternalIp4Address) ||
        a.type == Attr(isakmp::CfgAttr::kInternalIp6Address)) {
      if (addr->IsUnspecified()) continue;
      if (std::find(ctx_.own_vips.begin(), ctx_.own_vips.end(), *addr) != ctx_.own_vips.end()) {
        continue;
      }
      ctx_.own_vips.push_back(*addr);
      ctx_.Emit(VirtualIp{true, *addr, ctx_.config->name, ctx_.id});
    } else if (a.type == Attr(isakmp::CfgAttr::kInternalIp4Dns) ||
               a.type == Attr(isakmp::CfgAttr::kInternalIp6Dns)) {
      ctx_.received_dns.push_back(*addr);
    } else if (a.type == Attr(isakmp::CfgAttr::kInternalIp4Netmask) && addr->is_v4()) {
      ctx_.received_netmask = *addr;
    }
  }
  if (ctx_.own_vips.empty()) {
    Delete("Mode Config: no virtual IP in the gateway's reply");
    return;
  }
  modecfg_ = ModeCfg::kDone;
  SetupFinished();
}

}  // namespace ike::engine::v1
