#include "charon/daemon/ike_socket.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "libike/common/sockaddr.h"

namespace ike::charon {
namespace {

constexpr uint8_t kNonEspMarker[4] = {0, 0, 0, 0};
constexpr size_t kMaxDatagram = 65536;

}  // namespace

IkeSockets::~IkeSockets() { Close(); }

void IkeSockets::Close() {
  for (auto& s : socks_) {
    if (loop_) loop_->RemoveFd(s.fd);
    close(s.fd);
  }
  socks_.clear();
}

Result<void, std::string> IkeSockets::Open(const Options& options, EventLoop& loop, IkeHandler on_ike,
                                           EspHandler on_esp, std::vector<std::string>& notes) {
  options_ = options;
  loop_ = &loop;
  on_ike_ = std::move(on_ike);
  on_esp_ = std::move(on_esp);
  for (auto [port, natt] : {std::pair{options.port, false}, std::pair{options.natt_port, true}}) {
    if (natt && options.natt_external) continue;
    if (options.ipv4) IKE_TRY(OpenOne(AddressFamily::kIpv4, port, natt, loop));
    if (options.ipv6) {
      auto r = OpenOne(AddressFamily::kIpv6, port, natt, loop);
      if (!r) {
        notes.push_back("IPv6 IKE socket on port " + std::to_string(port) + " not opened: " + r.error());
      }
    }
  }
  if (socks_.empty()) return MakeUnexpected(std::string("no IKE socket could be opened"));
  return {};
}

Result<void, std::string> IkeSockets::OpenOne(AddressFamily family, uint16_t port, bool natt, EventLoop& loop) {
  int af = family == AddressFamily::kIpv4 ? AF_INET : AF_INET6;
  int fd = socket(af, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return MakeUnexpected(std::string("socket: ") + std::strerror(errno));
  int on = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
  if (family == AddressFamily::kIpv4) {
    setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on));
  } else {
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on));
  }
  sockaddr_storage ss;
  socklen_t len = ToSockaddr(Endpoint{IpAddress::Any(family), port}, ss);
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    int err = errno;
    close(fd);
    return MakeUnexpected("bind " + std::string(family == AddressFamily::kIpv4 ? "0.0.0.0" : "[::]") + ":" +
                          std::to_string(port) + ": " + std::strerror(err));
  }
  socks_.push_back(Sock{fd, family, port, natt});
  Sock copy = socks_.back();
  return loop.AddFd(fd, EPOLLIN, [this, copy](uint32_t) { OnReadable(copy); });
}

void IkeSockets::OnReadable(const Sock& s) {
  static thread_local uint8_t buf[kMaxDatagram];
  for (int budget = 0; budget < 64; ++budget) {
    sockaddr_storage from{};
    alignas(cmsghdr) uint8_t control[256];
    iovec iov{buf, sizeof(buf)};
    msghdr msg{};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof(from);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    ssize_t n = recvmsg(s.fd, &msg, 0);
    if (n < 0) return;  // EAGAIN (or an ICMP error report): nothing more now
    Endpoint local{IpAddress::Any(s.family), s.port};
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
        in_pktinfo info;
        std::memcpy(&info, CMSG_DATA(c), sizeof(info));
        local.address = *IpAddress::FromBytes(ByteView(reinterpret_cast<const uint8_t*>(&info.ipi_addr), 4));
      } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
        in6_pktinfo info;
        std::memcpy(&info, CMSG_DATA(c), sizeof(info));
        local.address = *IpAddress::FromBytes(ByteView(reinterpret_cast<const uint8_t*>(&info.ipi6_addr), 16));
      }
    }
    Endpoint remote = FromSockaddr(from);
    ByteView data(buf, static_cast<size_t>(n));
    if (s.natt) {
      if (data.size() == 1 && data[0] == 0xff) {
        ++stats_.keepalives_received;
        continue;
      }
      if (data.size() < 4) {
        ++stats_.dropped_short;
        continue;
      }
      if (std::memcmp(data.data(), kNonEspMarker, 4) != 0) {
        ++stats_.esp_in_udp;
        if (on_esp_) on_esp_(data, remote, local);
        continue;
      }
    }
    ++stats_.received;
    if (on_ike_) on_ike_(ReceivedDatagram{Bytes(data.begin(), data.end()), local, remote});
  }
}

bool IkeSockets::SendRaw(const Endpoint& local, const Endpoint& remote, ByteView prefix, ByteView data,
                         bool natt) {
  const Sock* sock = nullptr;
  const auto& pool = natt && options_.natt_external ? external_natt_ : socks_;
  for (const auto& s : pool) {
    if (s.family == remote.address.family() && s.natt == natt && s.port == local.port) sock = &s;
  }
  if (!sock) {
    for (const auto& s : pool) {
      if (s.family == remote.address.family() && s.natt == natt) sock = &s;
    }
  }
  if (!sock) {
    ++stats_.send_errors;
    return false;
  }
  sockaddr_storage to;
  socklen_t to_len = ToSockaddr(remote, to);
  iovec iov[2] = {{const_cast<uint8_t*>(prefix.data()), prefix.size()},
                  {const_cast<uint8_t*>(data.data()), data.size()}};
  msghdr msg{};
  msg.msg_name = &to;
  msg.msg_namelen = to_len;
  msg.msg_iov = prefix.empty() ? iov + 1 : iov;
  msg.msg_iovlen = prefix.empty() ? 1 : 2;
  alignas(cmsghdr) uint8_t control[CMSG_SPACE(sizeof(in6_pktinfo))] = {};
  if (!local.address.IsUnspecified()) {
    msg.msg_control = control;
    cmsghdr* c = reinterpret_cast<cmsghdr*>(control);
    if (local.address.is_v4()) {
      msg.msg_controllen = CMSG_SPACE(sizeof(in_pktinfo));
      c->cmsg_level = IPPROTO_IP;
      c->cmsg_type = IP_PKTINFO;
      c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
      in_pktinfo info{};
      std::memcpy(&info.ipi_spec_dst, local.address.bytes().data(), 4);
      std::memcpy(CMSG_DATA(c), &info, sizeof(info));
    } else {
      msg.msg_controllen = CMSG_SPACE(sizeof(in6_pktinfo));
      c->cmsg_level = IPPROTO_IPV6;
      c->cmsg_type = IPV6_PKTINFO;
      c->cmsg_len = CMSG_LEN(sizeof(in6_pktinfo));
      in6_pktinfo info{};
      std::memcpy(&info.ipi6_addr, local.address.bytes().data(), 16);
      std::memcpy(CMSG_DATA(c), &info, sizeof(info));
    }
  }
  if (sendmsg(sock->fd, &msg, MSG_DONTWAIT) < 0) {
    ++stats_.send_errors;
    return false;
  }
  ++stats_.sent;
  return true;
}

bool IkeSockets::Send(const Endpoint& local, const Endpoint& remote, ByteView datagram) {
  bool natt = local.port == options_.natt_port;
  return SendRaw(local, remote, ByteView(), datagram, natt);
}

bool IkeSockets::SendKeepalive(const Endpoint& local, const Endpoint& remote) {
  static constexpr uint8_t kKeepalive = 0xff;
  return SendRaw(local, remote, ByteView(), ByteView(&kKeepalive, 1), true);
}

bool IkeSockets::SendEspInUdp(const Endpoint& local, const Endpoint& remote, ByteView esp) {
  return SendRaw(local, remote, ByteView(), esp, true);
}

void IkeSockets::SetExternalNattSocket(AddressFamily family, int fd) {
  if (fd < 0) return;
  external_natt_.push_back(Sock{fd, family, options_.natt_port, true});
}

void IkeSockets::InjectNatt(ByteView ike_without_marker, const Endpoint& from, const Endpoint& to) {
  ++stats_.received;
  Bytes data(kNonEspMarker, kNonEspMarker + 4);
  data.insert(data.end(), ike_without_marker.begin(), ike_without_marker.end());
  if (on_ike_) on_ike_(ReceivedDatagram{std::move(data), to, from});
}

std::vector<int> IkeSockets::natt_fds() const {
  std::vector<int> out;
  for (const auto& s : socks_) {
    if (s.natt) out.push_back(s.fd);
  }
  return out;
}

std::vector<int> IkeSockets::all_fds() const {
  std::vector<int> out;
  for (const auto& s : socks_) out.push_back(s.fd);
  return out;
}

}  // namespace ike::charon
