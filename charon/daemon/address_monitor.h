// AddressMonitor: watches the host's addresses, links and routes
// (rtnetlink RTM_NEWADDR/RTM_DELADDR/RTM_NEWROUTE/RTM_DELROUTE/RTM_NEWLINK)
// and reports that something changed, debounced: a roaming laptop's
// address changes come in bursts. The daemon then re-checks, per IKE_SA
// with MOBIKE (RFC 4555), which source address reaches the peer now.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "charon/daemon/event_loop.h"
#include "libike/common/ip_address.h"
#include "libike/common/result.h"
#include "libike/engine/sa/env.h"

namespace ike::charon {

class AddressMonitor {
 public:
  AddressMonitor(EventLoop& loop, std::chrono::milliseconds debounce,
                 std::function<void()> on_change);
  ~AddressMonitor();
  AddressMonitor(const AddressMonitor&) = delete;
  AddressMonitor& operator=(const AddressMonitor&) = delete;

  // Opens the rtnetlink socket (no privileges needed) and joins the loop.
  Result<void, std::string> Start();
  uint64_t events() const { return events_; }

  // Route lookup: the source address the host uses towards `peer` (a
  // connect()ed UDP socket, marked with `fwmark` when non-zero so that the
  // userspace data path's tunnel routes are bypassed like IKE's own
  // packets). nullopt: no route.
  static std::optional<IpAddress> SourceFor(const IpAddress& peer, uint32_t fwmark);

 private:
  void OnReadable();

  EventLoop& loop_;
  std::chrono::milliseconds debounce_;
  std::function<void()> on_change_;
  int fd_ = -1;
  EventLoop::TimerId timer_ = 0;
  uint64_t events_ = 0;
};

// The engine's route lookup (initiators with local_addrs = %any).
class RouteSourceResolver final : public engine::SourceResolver {
 public:
  explicit RouteSourceResolver(uint32_t fwmark) : fwmark_(fwmark) {}
  std::optional<IpAddress> SourceFor(const IpAddress& peer) const override {
    return AddressMonitor::SourceFor(peer, fwmark_);
  }

 private:
  uint32_t fwmark_;
};

}  // namespace ike::charon
