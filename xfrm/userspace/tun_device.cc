#include "xfrm/userspace/tun_device.h"

#include <fcntl.h>
#include <net/if.h>
// After net/if.h, which it would otherwise conflict with.
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ike::xfrm {
namespace {

BackendError SysErr(const std::string& what) {
  BackendError e;
  e.code = errno == EPERM || errno == EACCES ? BackendError::Code::kPermission
                                             : BackendError::Code::kSystem;
  e.sys_errno = errno;
  e.detail = what;
  return e;
}

}  // namespace

TunDevice::~TunDevice() {
  for (int fd : fds_) close(fd);
}

BackendResult<void> TunDevice::Open(const std::string& name, int mtu, size_t queues,
                                    bool vnet_hdr) {
  if (name.size() >= IFNAMSIZ) {
    return MakeUnexpected(
        BackendError{BackendError::Code::kInvalidArgument, 0, "TUN name too long: " + name});
  }
  if (queues == 0) queues = 1;
  for (size_t q = 0; q < queues; ++q) {
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return MakeUnexpected(SysErr("open /dev/net/tun"));
    fds_.push_back(fd);
    ifreq ifr{};
    ifr.ifr_flags = static_cast<short>(IFF_TUN | IFF_NO_PI | (queues > 1 ? IFF_MULTI_QUEUE : 0) |
                                       (vnet_hdr ? IFF_VNET_HDR : 0));
    std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) return MakeUnexpected(SysErr("TUNSETIFF " + name));
    name_ = ifr.ifr_name;
  }
  vnet_hdr_ = vnet_hdr;
  if (vnet_hdr) {
    // TCP segmentation and checksum offload: the stack hands us 64 KB TCP
    // super-packets with partial checksums; the data plane segments them.
    offload_ = ioctl(fds_[0], TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6) == 0;
  }

  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return MakeUnexpected(SysErr("control socket"));
  ifreq req{};
  std::strncpy(req.ifr_name, name_.c_str(), IFNAMSIZ - 1);
  req.ifr_mtu = mtu;
  bool ok = ioctl(s, SIOCSIFMTU, &req) == 0;
  std::string what = "set MTU of " + name_;
  if (ok) {
    ok = ioctl(s, SIOCGIFFLAGS, &req) == 0;
    what = "bring up " + name_;
    if (ok) {
      req.ifr_flags = static_cast<short>(req.ifr_flags | IFF_UP);
      ok = ioctl(s, SIOCSIFFLAGS, &req) == 0;
    }
  }
  int saved = errno;
  close(s);
  errno = saved;
  if (!ok) return MakeUnexpected(SysErr(what));
  ifindex_ = static_cast<int>(if_nametoindex(name_.c_str()));
  if (ifindex_ == 0) return MakeUnexpected(SysErr("ifindex of " + name_));
  return {};
}

}  // namespace ike::xfrm
