// Endpoint <-> sockaddr conversions for the code that talks to sockets
// (the daemon's IKE and RADIUS sockets, the userspace ESP path). Plain
// struct conversions: no system calls.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>

#include "libike/common/ip_address.h"

namespace ike {

inline socklen_t ToSockaddr(const Endpoint& e, sockaddr_storage& ss) {
  std::memset(&ss, 0, sizeof(ss));
  if (e.address.is_v4()) {
    auto& sin = reinterpret_cast<sockaddr_in&>(ss);
    sin.sin_family = AF_INET;
    sin.sin_port = htons(e.port);
    std::memcpy(&sin.sin_addr, e.address.bytes().data(), 4);
    return sizeof(sin);
  }
  auto& sin6 = reinterpret_cast<sockaddr_in6&>(ss);
  sin6.sin6_family = AF_INET6;
  sin6.sin6_port = htons(e.port);
  std::memcpy(&sin6.sin6_addr, e.address.bytes().data(), 16);
  return sizeof(sin6);
}

// AF_INET, else AF_INET6 (the sockets these come from are of one of both).
inline Endpoint FromSockaddr(const sockaddr_storage& ss) {
  Endpoint e;
  if (ss.ss_family == AF_INET) {
    const auto& sin = reinterpret_cast<const sockaddr_in&>(ss);
    e.address = *IpAddress::FromBytes(ByteView(reinterpret_cast<const uint8_t*>(&sin.sin_addr), 4));
    e.port = ntohs(sin.sin_port);
  } else {
    const auto& sin6 = reinterpret_cast<const sockaddr_in6&>(ss);
    e.address = *IpAddress::FromBytes(ByteView(reinterpret_cast<const uint8_t*>(&sin6.sin6_addr), 16));
    e.port = ntohs(sin6.sin6_port);
  }
  return e;
}

}  // namespace ike
