#include "xfrm/netlink/route_manager.h"

#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace ike::xfrm::netlink {
namespace {

// Every request here is a header, a fixed struct and at most five small
// attributes.
constexpr size_t kMaxRequest = 256;

uint8_t Af(AddressFamily f) { return f == AddressFamily::kIpv4 ? AF_INET : AF_INET6; }
uint8_t Af(const IpAddress& a) { return Af(a.family()); }
uint8_t HostPrefix(const IpAddress& a) { return a.is_v4() ? 32 : 128; }

void PutAddr(nlmsghdr* nlh, uint16_t type, const IpAddress& a) {
  mnl_attr_put(nlh, type, a.size(), a.bytes().data());
}

nlmsghdr* Header(std::span<uint8_t> buf, uint16_t type, uint16_t flags) {
  if (buf.size() < kMaxRequest) return nullptr;
  std::memset(buf.data(), 0, kMaxRequest);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = type;
  nlh->nlmsg_flags = flags;
  return nlh;
}

BackendError Err(int err, const std::string& what) {
  BackendError e;
  e.code = err == EPERM ? BackendError::Code::kPermission
           : err == EEXIST ? BackendError::Code::kExists
           : err == ENOENT || err == ESRCH || err == EADDRNOTAVAIL ? BackendError::Code::kNotFound
                                                                    : BackendError::Code::kSystem;
  e.sys_errno = err;
  e.detail = what;
  return e;
}

}  // namespace

size_t BuildAddressRequest(std::span<uint8_t> buf, bool add, int ifindex, const IpAddress& addr,
                           uint8_t prefix) {
  nlmsghdr* nlh = Header(buf, add ? RTM_NEWADDR : RTM_DELADDR,
                         NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_EXCL : 0));
  if (nlh == nullptr) return 0;
  auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
  ifa->ifa_family = Af(addr);
  ifa->ifa_prefixlen = prefix;
  ifa->ifa_scope = RT_SCOPE_UNIVERSE;
  ifa->ifa_index = static_cast<uint32_t>(ifindex);
  PutAddr(nlh, IFA_LOCAL, addr);
  PutAddr(nlh, IFA_ADDRESS, addr);
  if (addr.is_v6()) mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);
  return nlh->nlmsg_len;
}

size_t BuildRouteRequest(std::span<uint8_t> buf, bool add, uint32_t table, const IpAddress& dst,
                         uint8_t prefix, int ifindex, const std::optional<IpAddress>& gateway,
                         const std::optional<IpAddress>& prefsrc) {
  nlmsghdr* nlh = Header(buf, add ? RTM_NEWROUTE : RTM_DELROUTE,
                         NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_REPLACE : 0));
  if (nlh == nullptr) return 0;
  auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
  rtm->rtm_family = Af(dst);
  rtm->rtm_dst_len = prefix;
  rtm->rtm_table = static_cast<uint8_t>(table < 256 ? table : RT_TABLE_UNSPEC);
  rtm->rtm_protocol = RTPROT_STATIC;
  // A delete matches any scope; an added route is on-link unless it has a
  // next hop.
  rtm->rtm_scope = !add ? RT_SCOPE_NOWHERE : gateway ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
  rtm->rtm_type = RTN_UNICAST;
  if (prefix > 0) PutAddr(nlh, RTA_DST, dst.Masked(prefix));
  mnl_attr_put_u32(nlh, RTA_TABLE, table);
  if (ifindex > 0) mnl_attr_put_u32(nlh, RTA_OIF, static_cast<uint32_t>(ifindex));
  if (gateway) PutAddr(nlh, RTA_GATEWAY, *gateway);
  if (prefsrc) PutAddr(nlh, RTA_PREFSRC, *prefsrc);
  return nlh->nlmsg_len;
}

size_t BuildRuleRequest(std::span<uint8_t> buf, bool add, AddressFamily family, uint32_t table,
                        uint32_t priority) {
  nlmsghdr* nlh = Header(buf, add ? RTM_NEWRULE : RTM_DELRULE,
                         NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_EXCL : 0));
  if (nlh == nullptr) return 0;
  auto* frh = static_cast<fib_rule_hdr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(fib_rule_hdr)));
  frh->family = Af(family);
  frh->table = static_cast<uint8_t>(table < 256 ? table : RT_TABLE_UNSPEC);
  frh->action = FR_ACT_TO_TBL;
  mnl_attr_put_u32(nlh, FRA_PRIORITY, priority);
  mnl_attr_put_u32(nlh, FRA_TABLE, table);
  return nlh->nlmsg_len;
}

size_t BuildRouteGetRequest(std::span<uint8_t> buf, const IpAddress& dst) {
  nlmsghdr* nlh = Header(buf, RTM_GETROUTE, NLM_F_REQUEST);
  if (nlh == nullptr) return 0;
  auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
  rtm->rtm_family = Af(dst);
  rtm->rtm_dst_len = HostPrefix(dst);
  PutAddr(nlh, RTA_DST, dst);
  return nlh->nlmsg_len;
}

std::optional<RouteInfo> ParseRouteReply(std::span<const uint8_t> msg) {
  if (msg.size() < sizeof(nlmsghdr)) return std::nullopt;
  const auto* nlh = reinterpret_cast<const nlmsghdr*>(msg.data());
  if (!mnl_nlmsg_ok(nlh, static_cast<int>(msg.size())) || nlh->nlmsg_type != RTM_NEWROUTE ||
      nlh->nlmsg_len < mnl_nlmsg_size(sizeof(rtmsg))) {
    return std::nullopt;
  }
  const auto* rtm = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(nlh));
  const size_t alen = rtm->rtm_family == AF_INET ? 4 : rtm->rtm_family == AF_INET6 ? 16 : 0;
  if (alen == 0) return std::nullopt;
  RouteInfo info;
  for (const auto* attr = reinterpret_cast<const nlattr*>(static_cast<const uint8_t*>(mnl_nlmsg_get_payload(nlh)) +
                                                          MNL_ALIGN(sizeof(rtmsg)));
       mnl_attr_ok(attr, static_cast<int>(static_cast<const uint8_t*>(mnl_nlmsg_get_payload_tail(nlh)) -
                                          reinterpret_cast<const uint8_t*>(attr)));
       attr = mnl_attr_next(attr)) {
    const uint16_t type = mnl_attr_get_type(attr);
    const uint16_t len = mnl_attr_get_payload_len(attr);
    const auto* data = static_cast<const uint8_t*>(mnl_attr_get_payload(attr));
    if (type == RTA_OIF && len == 4) {
      info.ifindex = static_cast<int>(mnl_attr_get_u32(attr));
    } else if ((type == RTA_GATEWAY || type == RTA_PREFSRC) && len == alen) {
      auto a = IpAddress::FromBytes(ByteView(data, len));
      if (type == RTA_GATEWAY) info.gateway = a; else info.prefsrc = a;
    }
  }
  if (info.ifindex <= 0) return std::nullopt;
  return info;
}

RouteManager::~RouteManager() {
  if (nl_ == nullptr) return;
  // Whatever is still installed goes with the daemon.
  std::vector<IpAddress> vips;
  for (const auto& [vip, v] : vips_) vips.push_back(vip);
  for (const auto& vip : vips) (void)RemoveVirtualIp(vip);
  mnl_socket_close(nl_);
}

BackendResult<void> RouteManager::Open() {
  nl_ = mnl_socket_open(NETLINK_ROUTE);
  if (nl_ == nullptr) return MakeUnexpected(Err(errno, "rtnetlink socket"));
  if (mnl_socket_bind(nl_, 0, MNL_SOCKET_AUTOPID) < 0) return MakeUnexpected(Err(errno, "rtnetlink bind"));
  portid_ = mnl_socket_get_portid(nl_);
  return {};
}

BackendResult<void> RouteManager::Transact(std::span<uint8_t> msg, const std::string& what,
                                           std::optional<RouteInfo>* reply) {
  if (nl_ == nullptr || msg.size() < sizeof(nlmsghdr)) {
    return MakeUnexpected(BackendError{BackendError::Code::kInvalidArgument, 0, "rtnetlink not open: " + what});
  }
  auto* nlh = reinterpret_cast<nlmsghdr*>(msg.data());
  nlh->nlmsg_seq = seq_++;
  if (mnl_socket_sendto(nl_, nlh, nlh->nlmsg_len) < 0) return MakeUnexpected(Err(errno, what));
  std::vector<uint8_t> rx(MNL_SOCKET_BUFFER_SIZE);
  ssize_t n = mnl_socket_recvfrom(nl_, rx.data(), rx.size());
  if (n < 0) return MakeUnexpected(Err(errno, what));
  auto cb = [](const nlmsghdr* m, void* data) -> int {
    auto* out = static_cast<std::optional<RouteInfo>*>(data);
    if (out != nullptr && m->nlmsg_type == RTM_NEWROUTE) {
      *out = ParseRouteReply(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(m), m->nlmsg_len));
    }
    return MNL_CB_OK;
  };
  if (mnl_cb_run(rx.data(), static_cast<size_t>(n), nlh->nlmsg_seq, portid_, cb, reply) < 0) {
    return MakeUnexpected(Err(errno, what));
  }
  return {};
}

BackendResult<RouteInfo> RouteManager::RouteTo(const IpAddress& peer) {
  uint8_t buf[kMaxRequest];
  size_t len = BuildRouteGetRequest(buf, peer);
  std::optional<RouteInfo> info;
  IKE_TRY(Transact(std::span<uint8_t>(buf, len), "route get " + peer.ToString(), &info));
  if (!info) {
    return MakeUnexpected(BackendError{BackendError::Code::kNotFound, 0, "no route to " + peer.ToString()});
  }
  return *info;
}

int RouteManager::VirtualIpInterface(const IpAddress& vip) const {
  auto it = vips_.find(vip);
  return it == vips_.end() ? 0 : it->second.via.ifindex;
}

BackendResult<void> RouteManager::AddVirtualIp(const IpAddress& vip, const IpAddress& peer) {
  if (vips_.count(vip)) return {};
  IKE_ASSIGN_OR_RETURN(RouteInfo via, RouteTo(peer));
  uint8_t buf[kMaxRequest];
  size_t len = BuildAddressRequest(buf, true, via.ifindex, vip, HostPrefix(vip));
  auto r = Transact(std::span<uint8_t>(buf, len), "add address " + vip.ToString());
  if (!r && r.error().code != BackendError::Code::kExists) return r;
  vips_[vip] = Vip{via};
  return {};
}

BackendResult<void> RouteManager::RemoveVirtualIp(const IpAddress& vip) {
  auto it = vips_.find(vip);
  if (it == vips_.end()) return {};
  for (auto r = routes_.begin(); r != routes_.end();) {
    if (std::get<2>(r->first) == vip) {
      (void)RouteOp(false, r->first);
      (void)RuleRef(vip.family(), false);
      r = routes_.erase(r);
    } else {
      ++r;
    }
  }
  uint8_t buf[kMaxRequest];
  size_t len = BuildAddressRequest(buf, false, it->second.via.ifindex, vip, HostPrefix(vip));
  vips_.erase(it);
  auto r = Transact(std::span<uint8_t>(buf, len), "delete address " + vip.ToString());
  if (!r && r.error().code != BackendError::Code::kNotFound) return r;
  return {};
}

BackendResult<void> RouteManager::RuleRef(AddressFamily family, bool add) {
  int& refs = rules_[family];
  if (add && refs++ > 0) return {};
  if (!add) {
    if (refs == 0 || --refs > 0) return {};
    rules_.erase(family);
  }
  uint8_t buf[kMaxRequest];
  size_t len = BuildRuleRequest(buf, add, family, options_.table, options_.priority);
  auto r = Transact(std::span<uint8_t>(buf, len), std::string(add ? "add" : "delete") + " rule lookup " +
                                                      std::to_string(options_.table));
  if (!r && r.error().code == (add ? BackendError::Code::kExists : BackendError::Code::kNotFound)) return {};
  if (!r && add) rules_.erase(family);
  return r;
}

BackendResult<void> RouteManager::RouteOp(bool add, const RouteKey& key) {
  const auto& [dst, prefix, vip] = key;
  const auto& via = vips_.at(vip).via;
  uint8_t buf[kMaxRequest];
  size_t len = BuildRouteRequest(buf, add, options_.table, dst, prefix, via.ifindex, via.gateway, vip);
  return Transact(std::span<uint8_t>(buf, len), std::string(add ? "add" : "delete") + " route " +
                                                    dst.ToString() + "/" + std::to_string(prefix) + " src " +
                                                    vip.ToString());
}

BackendResult<void> RouteManager::AddRoute(const IpAddress& dst, uint8_t prefix, const IpAddress& vip) {
  if (!vips_.count(vip) || dst.family() != vip.family()) {
    return MakeUnexpected(BackendError{BackendError::Code::kInvalidArgument, 0,
                                       "no virtual IP " + vip.ToString() + " for a route"});
  }
  RouteKey key{dst.Masked(prefix), prefix, vip};
  int& refs = routes_[key];
  if (refs++ > 0) return {};
  auto rule = RuleRef(vip.family(), true);
  if (!rule) {
    routes_.erase(key);
    return rule;
  }
  auto r = RouteOp(true, key);
  if (!r) {
    routes_.erase(key);
    (void)RuleRef(vip.family(), false);
  }
  return r;
}

BackendResult<void> RouteManager::RemoveRoute(const IpAddress& dst, uint8_t prefix, const IpAddress& vip) {
  RouteKey key{dst.Masked(prefix), prefix, vip};
  auto it = routes_.find(key);
  if (it == routes_.end()) return {};
  if (--it->second > 0) return {};
  routes_.erase(it);
  auto r = RouteOp(false, key);
  (void)RuleRef(vip.family(), false);
  if (!r && r.error().code != BackendError::Code::kNotFound) return r;
  return {};
}

}  // namespace ike::xfrm::netlink
