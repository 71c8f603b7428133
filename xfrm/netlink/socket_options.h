// Per-socket settings the daemon applies to its IKE sockets.
#pragma once

#include "libike/common/ip_address.h"
#include "xfrm/backend/backend.h"

namespace ike::xfrm::netlink {

// Turns a UDP socket (bound to port 4500) into an ESP-in-UDP receiver
// (RFC 3948): the kernel hands packets with a non-zero first word to XFRM
// and passes IKE packets (non-ESP marker 0) to the socket.
BackendResult<void> EnableUdpEncap(int fd);

// Installs per-socket bypass policies (XFRM_POLICY_ALLOW, inbound and
// outbound) so that IKE traffic on this socket is never caught by the IPsec
// policies we install. `family` is the socket's family. Needs CAP_NET_ADMIN.
BackendResult<void> SetSocketBypass(int fd, AddressFamily family);

}  // namespace ike::xfrm::netlink
