// Client-side virtual IPs with the kernel (netlink) data path, over
// rtnetlink (libmnl): the address the gateway assigned goes on the interface
// that routes towards the gateway (as a /32 or /128), and each outbound
// policy whose source is that address gets a route for its destination in a
// dedicated table (220 by default, looked up by a rule at priority 220, as
// strongSwan does) with the virtual IP as preferred source, so locally
// generated traffic to the remote selectors leaves from the virtual IP and
// matches the policy. Our own IKE packets are unaffected: they carry an
// explicit source address and their sockets have per-socket bypass policies.
//
// The message builders are pure (unit tested); RouteManager does the I/O and
// the reference counting, and removes whatever it installed when destroyed.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <tuple>

#include "libike/common/ip_address.h"
#include "xfrm/backend/backend.h"

struct mnl_socket;

namespace ike::xfrm::netlink {

// Builders: each writes one complete rtnetlink request (nlmsghdr with
// NLM_F_REQUEST | NLM_F_ACK, sequence 0) into `buf` and returns its length,
// or 0 when `buf` is too small.
size_t BuildAddressRequest(std::span<uint8_t> buf, bool add, int ifindex, const IpAddress& addr,
                           uint8_t prefix);
size_t BuildRouteRequest(std::span<uint8_t> buf, bool add, uint32_t table, const IpAddress& dst,
                         uint8_t prefix, int ifindex, const std::optional<IpAddress>& gateway,
                         const std::optional<IpAddress>& prefsrc);
// "from all lookup TABLE" at PRIORITY for one family.
size_t BuildRuleRequest(std::span<uint8_t> buf, bool add, AddressFamily family, uint32_t table,
                        uint32_t priority);
// RTM_GETROUTE for one destination (the kernel answers with the route it
// would use, like `ip route get`).
size_t BuildRouteGetRequest(std::span<uint8_t> buf, const IpAddress& dst);

// The route the kernel uses towards an address.
struct RouteInfo {
  int ifindex = 0;
  std::optional<IpAddress> gateway;
  std::optional<IpAddress> prefsrc;
};
// Parses an RTM_NEWROUTE message (a route get reply). nullopt when it is not
// one or names no output interface.
std::optional<RouteInfo> ParseRouteReply(std::span<const uint8_t> msg);

class RouteManager {
 public:
  struct Options {
    uint32_t table = 220;
    uint32_t priority = 220;
  };
  RouteManager() : RouteManager(Options{}) {}
  explicit RouteManager(Options options) : options_(options) {}
  ~RouteManager();
  RouteManager(const RouteManager&) = delete;
  RouteManager& operator=(const RouteManager&) = delete;

  BackendResult<void> Open();

  // Puts `vip` on the interface routing towards `peer` (lo when the peer is
  // local). Remembered for the routes below and for removal.
  BackendResult<void> AddVirtualIp(const IpAddress& vip, const IpAddress& peer);
  // Removes the address and every route still using it as source.
  BackendResult<void> RemoveVirtualIp(const IpAddress& vip);
  bool HasVirtualIp(const IpAddress& vip) const { return vips_.count(vip) != 0; }
  // The interface the address went on (0 when unknown).
  int VirtualIpInterface(const IpAddress& vip) const;

  // A route for dst/prefix via the virtual IP's interface with src = vip in
  // the table (and the rule for the family, on first use). Reference counted
  // per (dst, prefix, vip).
  BackendResult<void> AddRoute(const IpAddress& dst, uint8_t prefix, const IpAddress& vip);
  BackendResult<void> RemoveRoute(const IpAddress& dst, uint8_t prefix, const IpAddress& vip);

 private:
  struct Vip {
    RouteInfo via;
  };
  using RouteKey = std::tuple<IpAddress, uint8_t, IpAddress>;  // dst, prefix, vip

  BackendResult<void> Transact(std::span<uint8_t> msg, const std::string& what,
                               std::optional<RouteInfo>* reply = nullptr);
  BackendResult<RouteInfo> RouteTo(const IpAddress& peer);
  BackendResult<void> RuleRef(AddressFamily family, bool add);
  BackendResult<void> RouteOp(bool add, const RouteKey& key);

  Options options_;
  mnl_socket* nl_ = nullptr;
  uint32_t portid_ = 0;
  uint32_t seq_ = 1;
  std::map<IpAddress, Vip> vips_;
  std::map<RouteKey, int> routes_;
  std::map<AddressFamily, int> rules_;
};

}  // namespace ike::xfrm::netlink
