// Mode Config (draft-dukes-ike-mode-cfg) over Transaction exchanges,
// after XAuth (or right after Phase 1 without it), in one of two modes:
//
// pull (the default, swanctl.conf `pull = yes`):
//   client (config.vips)                              gateway (config.pools)
//   HDR*, HASH, ATTR(REQUEST, INTERNAL_IP4_ADDRESS(), NETMASK(), DNS()) -->
//        <-- HDR*, HASH, ATTR(REPLY, INTERNAL_IP4_ADDRESS(a), NETMASK, DNS(d),
//                                    INTERNAL_IP4_SUBNET(split networks))
// push (`pull = no` on both sides, config.modecfg_push):
//        <-- HDR*, HASH, ATTR(SET, INTERNAL_IP4_ADDRESS(a), NETMASK, DNS, SUBNET)
//   HDR*, HASH, ATTR(ACK, INTERNAL_IP4_ADDRESS(), ...the types it took) -->
//
// HASH = prf(SKEYID_a, M-ID | ATTR), as for XAuth. The gateway leases from
// the Engine's AddressPools under the XAuth user name (else the peer's
// identity) through the same LeaseVipAttributes as IKEv2's configuration
// payload (IPv4 and IPv6, DNS, split networks), and narrows the peer's
// "dynamic" Quick Mode selector to the lease; the client installs the
// address (VirtualIp effect), uses it as its own selector and records the
// split networks (list-sas). Leases are released when the ISAKMP SA goes.
// A gateway that cannot serve answers with an empty REPLY or SET (the
// client gives up) and reports why. The gateway retransmits its SET like
// any request; the client answers a repeated SET with its ACK again.
#include <algorithm>
#include <bit>

#include "libike/engine/task/ike_config.h"
#include "libike/engine/v1/isakmp_sa.h"

namespace ike::engine::v1 {

namespace {

uint16_t Attr(isakmp::CfgAttr a) { return static_cast<uint16_t>(a); }

Bytes AddressBytes(const IpAddress& a) {
  ByteView b = a.bytes();
  return Bytes(b.begin(), b.end());
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

// The XAuth exchange just finished stays answerable (a repeated SET gets
// its ACK again) while Mode Config takes over the Transaction state.
void IsakmpSa::StartModeCfg() {
  tx_prev_mid_ = xauth_mid_;
  tx_prev_received_ = std::move(xauth_last_received_);
  tx_prev_sent_ = std::move(xauth_last_sent_);
  xauth_last_received_.clear();
  xauth_last_sent_.clear();
  if (ModeCfgPush()) {
    StartModeCfgPush();
  } else if (ModeCfgClient() && !ctx_.config->modecfg_push) {
    StartModeCfgClient();
  } else if (ModeCfgClient()) {
    // A push client waits for the gateway's SET, as long as a gateway
    // would retransmit it.
    ctx_.ArmTimer(TimerKind::kHalfOpenTimeout, RetransmitSpan());
  }
}

void IsakmpSa::StartModeCfgClient() {
  if (!BeginTransaction(/*new_identifier=*/true)) return;
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
  // A pushing gateway whose client asks anyway answers the REQUEST (with
  // the lease its SET carried) instead of repeating the SET.
  bool answers_push = modecfg_ == ModeCfg::kPending && ModeCfgPush();
  if (answers_push) ctx_.CancelTimer(TimerKind::kRetransmit, xauth_mid_);
  xauth_mid_ = mid;
  isakmp::AttributePayload reply;
  reply.type = isakmp::CfgType::kReply;
  reply.identifier = req.identifier;
  std::vector<IpAddress> requested;
  bool netmask = false;
  for (const auto& a : req.attributes) {
    if (a.type == Attr(isakmp::CfgAttr::kInternalIp4Address)) {
      auto addr = a.tlv_value.size() == 4 ? IpAddress::FromBytes(a.tlv_value) : std::nullopt;
      requested.push_back(addr ? *addr : IpAddress::Any(AddressFamily::kIpv4));
    } else if (a.type == Attr(isakmp::CfgAttr::kInternalIp6Address)) {
      std::optional<IpAddress> addr;
      if (a.tlv_value.size() == 16 || a.tlv_value.size() == 17) {
        addr = IpAddress::FromBytes(ByteView(a.tlv_value).first(16));
      }
      requested.push_back(addr ? *addr : IpAddress::Any(AddressFamily::kIpv6));
    } else if (a.type == Attr(isakmp::CfgAttr::kInternalIp4Netmask)) {
      netmask = true;
    }
  }
  if (!requested.empty() && ctx_.pools && !ctx_.config->pools.empty()) {
    std::string why;
    for (VipAttribute& a : LeaseVipAttributes(ctx_, requested, netmask, LeaseId(), why)) {
      reply.attributes.push_back(isakmp::DataAttribute::Tlv(a.type, std::move(a.value)));
    }
    if (!why.empty()) {
      ctx_.counters.Inc(Drop::kTaskFailed);
      ctx_.EmitEvent(EventKind::kChildDown, {}, 0, 0,
                     "Mode Config: no virtual IP for " + LeaseId() + ": " + why);
    }
  }
  SendTransaction(mid, xauth_iv_, std::move(reply), /*expect_reply=*/false);
  if (answers_push) {
    modecfg_ = ModeCfg::kDone;
    SetupFinished();
  }
}

void IsakmpSa::StartModeCfgPush() {
  if (!BeginTransaction(/*new_identifier=*/true)) return;
  // One address of each family the connection's pools serve.
  std::vector<IpAddress> families;
  for (const std::string& name : ctx_.config->pools) {
    const PoolSpec* pool = ctx_.pools->Find(name);
    if (!pool) continue;
    IpAddress any = IpAddress::Any(pool->first.family());
    if (std::find(families.begin(), families.end(), any) == families.end()) families.push_back(any);
  }
  isakmp::AttributePayload set;
  set.type = isakmp::CfgType::kSet;
  set.identifier = xauth_identifier_;
  std::string why;
  for (VipAttribute& a : LeaseVipAttributes(ctx_, families, /*netmask=*/true, LeaseId(), why)) {
    set.attributes.push_back(isakmp::DataAttribute::Tlv(a.type, std::move(a.value)));
  }
  if (ctx_.peer_vips.empty() && why.empty()) why = "no pool of this connection is configured";
  if (!why.empty()) {
    ctx_.counters.Inc(Drop::kTaskFailed);
    ctx_.EmitEvent(EventKind::kChildDown, {}, 0, 0,
                   "Mode Config: no virtual IP for " + LeaseId() + ": " + why);
  }
  SendTransaction(xauth_mid_, xauth_iv_, std::move(set), /*expect_reply=*/true);
}

std::vector<uint16_t> IsakmpSa::TakeModeCfg(const isakmp::AttributePayload& attrs) {
  std::vector<uint16_t> taken;
  auto take = [&taken](uint16_t t) {
    if (std::find(taken.begin(), taken.end(), t) == taken.end()) taken.push_back(t);
  };
  for (const auto& a : attrs.attributes) {
    const Bytes& v = a.tlv_value;
    if (a.type == Attr(isakmp::CfgAttr::kInternalIp4Subnet) && v.size() == 8) {
      // Address and netmask; a non-contiguous mask is not a subnet.
      uint32_t mask = uint32_t{v[4]} << 24 | uint32_t{v[5]} << 16 | uint32_t{v[6]} << 8 | v[7];
      uint8_t prefix = static_cast<uint8_t>(std::countl_one(mask));
      if (prefix < 32 && (mask << prefix) != 0) continue;
      auto net = IpAddress::FromBytes(ByteView(v).first(4));
      if (!net) continue;
      split_networks_.emplace_back(*net, prefix);
      take(a.type);
      continue;
    }
    if (a.type == Attr(isakmp::CfgAttr::kInternalIp6Subnet) && v.size() == 17 && v[16] <= 128) {
      auto net = IpAddress::FromBytes(ByteView(v).first(16));
      if (!net) continue;
      split_networks_.emplace_back(*net, v[16]);
      take(a.type);
      continue;
    }
    std::optional<IpAddress> addr;
    if (v.size() == 4 || v.size() == 16) {
      addr = IpAddress::FromBytes(v);
    } else if (v.size() == 17) {
      addr = IpAddress::FromBytes(ByteView(v).first(16));
    }
    if (!addr) continue;
    if (a.type == Attr(isakmp::CfgAttr::kInternalIp4Address) ||
        a.type == Attr(isakmp::CfgAttr::kInternalIp6Address)) {
      if (addr->IsUnspecified()) continue;
      take(a.type);
      if (std::find(ctx_.own_vips.begin(), ctx_.own_vips.end(), *addr) != ctx_.own_vips.end()) {
        continue;
      }
      ctx_.own_vips.push_back(*addr);
      ctx_.Emit(VirtualIp{true, *addr, ctx_.config->name, ctx_.id});
    } else if (a.type == Attr(isakmp::CfgAttr::kInternalIp4Dns) ||
               a.type == Attr(isakmp::CfgAttr::kInternalIp6Dns)) {
      ctx_.received_dns.push_back(*addr);
      take(a.type);
    } else if (a.type == Attr(isakmp::CfgAttr::kInternalIp4Netmask) && addr->is_v4()) {
      ctx_.received_netmask = *addr;
      take(a.type);
    }
  }
  return taken;
}

void IsakmpSa::ModeCfgReply(const isakmp::AttributePayload& reply) {
  ctx_.CancelTimer(TimerKind::kRetransmit, xauth_mid_);
  TakeModeCfg(reply);
  if (ctx_.own_vips.empty()) {
    Delete("Mode Config: no virtual IP in the gateway's reply");
    return;
  }
  modecfg_ = ModeCfg::kDone;
  SetupFinished();
}

void IsakmpSa::ModeCfgSet(const isakmp::AttributePayload& set, uint32_t mid) {
  ctx_.CancelTimer(TimerKind::kHalfOpenTimeout);
  xauth_mid_ = mid;
  isakmp::AttributePayload ack;
  ack.type = isakmp::CfgType::kAck;
  ack.identifier = set.identifier;
  for (uint16_t t : TakeModeCfg(set)) ack.attributes.push_back(isakmp::DataAttribute::Tlv(t, {}));
  SendTransaction(mid, xauth_iv_, std::move(ack), /*expect_reply=*/false);
  if (ctx_.own_vips.empty()) {
    Delete("Mode Config: no virtual IP in the gateway's SET");
    return;
  }
  modecfg_ = ModeCfg::kDone;
  SetupFinished();
}

void IsakmpSa::ModeCfgAck() {
  ctx_.CancelTimer(TimerKind::kRetransmit, xauth_mid_);
  modecfg_ = ModeCfg::kDone;
  SetupFinished();
}

}  // namespace ike::engine::v1
