#include "xfrm/netlink/socket_options.h"

#include <linux/xfrm.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace ike::xfrm::netlink {
namespace {

BackendError SocketError(int err, std::string detail) {
  BackendError e;
  e.code = err == EPERM || err == EACCES ? BackendError::Code::kPermission
           : err == ENOPROTOOPT          ? BackendError::Code::kNotSupported
                                         : BackendError::Code::kSystem;
  e.sys_errno = err;
  e.detail = std::move(detail);
  if (e.code == BackendError::Code::kPermission) e.detail += " (missing CAP_NET_ADMIN)";
  return e;
}

}  // namespace

BackendResult<void> EnableUdpEncap(int fd) {
  int type = UDP_ENCAP_ESPINUDP;
  if (setsockopt(fd, IPPROTO_UDP, UDP_ENCAP, &type, sizeof type) < 0) {
    return MakeUnexpected(SocketError(errno, "setsockopt(UDP_ENCAP, ESPINUDP) on fd " +
                                                 std::to_string(fd)));
  }
  return {};
}

BackendResult<void> SetSocketBypass(int fd, AddressFamily family) {
  int level = family == AddressFamily::kIpv4 ? IPPROTO_IP : IPPROTO_IPV6;
  int option = family == AddressFamily::kIpv4 ? IP_XFRM_POLICY : IPV6_XFRM_POLICY;
  for (uint8_t dir : {uint8_t{XFRM_POLICY_IN}, uint8_t{XFRM_POLICY_OUT}}) {
    xfrm_userpolicy_info policy;
    std::memset(&policy, 0, sizeof policy);
    policy.action = XFRM_POLICY_ALLOW;
    policy.dir = dir;
    policy.sel.family = family == AddressFamily::kIpv4 ? AF_INET : AF_INET6;
    std::memset(&policy.lft, 0xff, sizeof policy.lft);
    policy.lft.soft_add_expires_seconds = policy.lft.hard_add_expires_seconds = 0;
    policy.lft.soft_use_expires_seconds = policy.lft.hard_use_expires_seconds = 0;
    if (setsockopt(fd, level, option, &policy, sizeof policy) < 0) {
      return MakeUnexpected(SocketError(
          errno, std::string("per-socket bypass policy (") + (dir == XFRM_POLICY_IN ? "in" : "out") +
                     ") on fd " + std::to_string(fd)));
    }
  }
  return {};
}

}  // namespace ike::xfrm::netlink
