// rtnetlink requests the userspace backend needs: addresses on the TUN
// device, routes for the remote traffic selectors in a dedicated table, and
// the rule that sends unmarked traffic to that table (our own ESP/UDP
// sockets carry the mark and so bypass it). Startup/teardown only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "libike/common/ip_address.h"
#include "xfrm/backend/backend.h"

struct mnl_socket;

namespace ike::xfrm {

class RouteNetlink {
 public:
  RouteNetlink() = default;
  ~RouteNetlink();
  RouteNetlink(const RouteNetlink&) = delete;
  RouteNetlink& operator=(const RouteNetlink&) = delete;

  BackendResult<void> Open();

  BackendResult<void> Address(bool add, int ifindex, const IpAddress& addr, uint8_t prefix);
  BackendResult<void> Route(bool add, uint32_t table, const IpAddress& dst, uint8_t prefix,
                            int ifindex, const std::optional<IpAddress>& prefsrc);
  // "not fwmark mark/mask lookup table" at `priority`.
  BackendResult<void> Rule(bool add, AddressFamily family, uint32_t table, uint32_t priority,
                           uint32_t mark, uint32_t mask);

 private:
  BackendResult<void> Transact(void* nlh, const std::string& what);
  mnl_socket* nl_ = nullptr;
  uint32_t seq_ = 1;
  uint32_t portid_ = 0;
};

}  // namespace ike::xfrm
