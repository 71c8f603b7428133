#include "charon/daemon/address_monitor.h"

#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace ike::charon {

AddressMonitor::AddressMonitor(EventLoop& loop, std::chrono::milliseconds debounce,
                               std::function<void()> on_change)
    : loop_(loop), debounce_(debounce), on_change_(std::move(on_change)) {}

AddressMonitor::~AddressMonitor() {
  if (timer_) loop_.CancelTimer(timer_);
  if (fd_ >= 0) {
    loop_.RemoveFd(fd_);
    close(fd_);
  }
}

Result<void, std::string> AddressMonitor::Start() {
  fd_ = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd_ < 0) return MakeUnexpected(std::string("rtnetlink socket: ") + std::strerror(errno));
  sockaddr_nl sa{};
  sa.nl_family = AF_NETLINK;
  sa.nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR | RTMGRP_IPV4_ROUTE |
                 RTMGRP_IPV6_ROUTE;
  if (bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) < 0) {
    std::string err = std::string("rtnetlink bind: ") + std::strerror(errno);
    close(fd_);
    fd_ = -1;
    return MakeUnexpected(err);
  }
  return loop_.AddFd(fd_, EPOLLIN, [this](uint32_t) { OnReadable(); });
}

void AddressMonitor::OnReadable() {
  // The messages themselves do not matter: any change means "look again".
  // An overrun (ENOBUFS) lost some, which means the same.
  std::array<uint8_t, 16384> buf;
  bool changed = false;
  for (;;) {
    ssize_t n = recv(fd_, buf.data(), buf.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOBUFS) {
        changed = true;
        continue;
      }
      break;  // EAGAIN: drained
    }
    if (n == 0) break;
    size_t len = static_cast<size_t>(n);
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf.data()); NLMSG_OK(h, len);
         h = NLMSG_NEXT(h, len)) {
      switch (h->nlmsg_type) {
        case RTM_NEWADDR:
        case RTM_DELADDR:
        case RTM_NEWROUTE:
        case RTM_DELROUTE:
        case RTM_NEWLINK:
        case RTM_DELLINK:
          changed = true;
          break;
        default:
          break;
      }
    }
  }
  if (!changed) return;
  ++events_;
  if (timer_) loop_.CancelTimer(timer_);
  timer_ = loop_.AddTimerIn(debounce_, [this] {
    timer_ = 0;
    on_change_();
  });
}

std::optional<IpAddress> AddressMonitor::SourceFor(const IpAddress& peer, uint32_t fwmark) {
  int family = peer.is_v4() ? AF_INET : AF_INET6;
  int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::nullopt;
  if (fwmark != 0) {
    // Best effort: without CAP_NET_ADMIN the main table is asked unmarked.
    (void)setsockopt(fd, SOL_SOCKET, SO_MARK, &fwmark, sizeof(fwmark));
  }
  sockaddr_storage ss{};
  socklen_t len = 0;
  ByteView a = peer.bytes();
  if (peer.is_v4()) {
    auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
    s4->sin_family = AF_INET;
    s4->sin_port = htons(500);
    std::memcpy(&s4->sin_addr, a.data(), 4);
    len = sizeof(sockaddr_in);
  } else {
    auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(500);
    std::memcpy(&s6->sin6_addr, a.data(), 16);
    len = sizeof(sockaddr_in6);
  }
  std::optional<IpAddress> out;
  if (connect(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0) {
    sockaddr_storage local{};
    socklen_t llen = sizeof(local);
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &llen) == 0) {
      if (local.ss_family == AF_INET) {
        const auto* l4 = reinterpret_cast<const sockaddr_in*>(&local);
        out = IpAddress::FromBytes(ByteView(reinterpret_cast<const uint8_t*>(&l4->sin_addr), 4));
      } else if (local.ss_family == AF_INET6) {
        const auto* l6 = reinterpret_cast<const sockaddr_in6*>(&local);
        out = IpAddress::FromBytes(ByteView(reinterpret_cast<const uint8_t*>(&l6->sin6_addr), 16));
      }
    }
  }
  close(fd);
  if (out && out->IsUnspecified()) out.reset();
  return out;
}

}  // namespace ike::charon
