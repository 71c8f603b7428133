#include "xfrm/userspace/route_netlink.h"

#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace ike::xfrm {
namespace {

uint8_t Af(const IpAddress& a) { return a.is_v4() ? AF_INET : AF_INET6; }

BackendError Err(int err, const std::string& what) {
  BackendError e;
  e.code = err == EPERM ? BackendError::Code::kPermission
           : err == EEXIST ? BackendError::Code::kExists
           : err == ENOENT || err == ESRCH ? BackendError::Code::kNotFound
                                            : BackendError::Code::kSystem;
  e.sys_errno = err;
  e.detail = what;
  return e;
}

}  // namespace

RouteNetlink::~RouteNetlink() {
  if (nl_ != nullptr) mnl_socket_close(nl_);
}

BackendResult<void> RouteNetlink::Open() {
  nl_ = mnl_socket_open(NETLINK_ROUTE);
  if (nl_ == nullptr) return MakeUnexpected(Err(errno, "rtnetlink socket"));
  if (mnl_socket_bind(nl_, 0, MNL_SOCKET_AUTOPID) < 0) {
    return MakeUnexpected(Err(errno, "rtnetlink bind"));
  }
  portid_ = mnl_socket_get_portid(nl_);
  return {};
}

BackendResult<void> RouteNetlink::Transact(void* buf, const std::string& what) {
  if (nl_ == nullptr) {
    return MakeUnexpected(BackendError{BackendError::Code::kInvalidArgument, 0,
                                       "rtnetlink not open: " + what});
  }
  auto* nlh = static_cast<nlmsghdr*>(buf);
  nlh->nlmsg_seq = seq_++;
  if (mnl_socket_sendto(nl_, nlh, nlh->nlmsg_len) < 0) {
    return MakeUnexpected(Err(errno, what));
  }
  std::vector<char> rx(MNL_SOCKET_BUFFER_SIZE);
  int n = static_cast<int>(mnl_socket_recvfrom(nl_, rx.data(), rx.size()));
  if (n < 0) return MakeUnexpected(Err(errno, what));
  int r = mnl_cb_run(rx.data(), n, nlh->nlmsg_seq, portid_, nullptr, nullptr);
  if (r < 0) return MakeUnexpected(Err(errno, what));
  return {};
}

BackendResult<void> RouteNetlink::Address(bool add, int ifindex, const IpAddress& addr,
                                          uint8_t prefix) {
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = add ? RTM_NEWADDR : RTM_DELADDR;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_REPLACE : 0);
  auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
  ifa->ifa_family = Af(addr);
  ifa->ifa_prefixlen = prefix;
  ifa->ifa_index = static_cast<uint32_t>(ifindex);
  ifa->ifa_scope = RT_SCOPE_UNIVERSE;
  ifa->ifa_flags = addr.is_v6() ? IFA_F_NODAD : 0;
  mnl_attr_put(nlh, IFA_LOCAL, addr.size(), addr.bytes().data());
  mnl_attr_put(nlh, IFA_ADDRESS, addr.size(), addr.bytes().data());
  return Transact(nlh, std::string(add ? "add" : "delete") + " address " + addr.ToString());
}

BackendResult<void> RouteNetlink::Route(bool add, uint32_t table, const IpAddress& dst,
                                        uint8_t prefix, int ifindex,
                                        const std::optional<IpAddress>& prefsrc) {
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = add ? RTM_NEWROUTE : RTM_DELROUTE;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_REPLACE : 0);
  auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
  rtm->rtm_family = Af(dst);
  rtm->rtm_dst_len = prefix;
  rtm->rtm_table = table < 256 ? static_cast<uint8_t>(table) : uint8_t{RT_TABLE_UNSPEC};
  rtm->rtm_protocol = RTPROT_STATIC;
  rtm->rtm_scope = RT_SCOPE_LINK;
  rtm->rtm_type = RTN_UNICAST;
  IpAddress net = dst.Masked(prefix);
  mnl_attr_put(nlh, RTA_DST, net.size(), net.bytes().data());
  mnl_attr_put_u32(nlh, RTA_OIF, static_cast<uint32_t>(ifindex));
  mnl_attr_put_u32(nlh, RTA_TABLE, table);
  if (prefsrc && prefsrc->family() == dst.family()) {
    mnl_attr_put(nlh, RTA_PREFSRC, prefsrc->size(), prefsrc->bytes().data());
  }
  return Transact(nlh, std::string(add ? "add" : "delete") + " route " + net.ToString() + "/" +
                           std::to_string(prefix));
}

BackendResult<void> RouteNetlink::Rule(bool add, AddressFamily family, uint32_t table,
                                       uint32_t priority, uint32_t mark, uint32_t mask) {
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = add ? RTM_NEWRULE : RTM_DELRULE;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_EXCL : 0);
  auto* frh = static_cast<fib_rule_hdr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(fib_rule_hdr)));
  frh->family = family == AddressFamily::kIpv4 ? AF_INET : AF_INET6;
  frh->table = table < 256 ? static_cast<uint8_t>(table) : uint8_t{RT_TABLE_UNSPEC};
  frh->action = FR_ACT_TO_TBL;
  frh->flags = FIB_RULE_INVERT;
  mnl_attr_put_u32(nlh, FRA_PRIORITY, priority);
  mnl_attr_put_u32(nlh, FRA_FWMARK, mark);
  mnl_attr_put_u32(nlh, FRA_FWMASK, mask);
  mnl_attr_put_u32(nlh, FRA_TABLE, table);
  return Transact(nlh, std::string(add ? "add" : "delete") + " rule for table " +
                           std::to_string(table));
}

}  // namespace ike::xfrm
