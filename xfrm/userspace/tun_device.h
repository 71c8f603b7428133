// A Linux TUN device (IFF_TUN | IFF_NO_PI): the userspace data plane reads
// the packets the routing table sends to it and writes decapsulated ones.
#pragma once

#include <string>
#include <vector>

#include "xfrm/backend/backend.h"

namespace ike::xfrm {

class TunDevice {
 public:
  TunDevice() = default;
  ~TunDevice();
  TunDevice(const TunDevice&) = delete;
  TunDevice& operator=(const TunDevice&) = delete;

  // Creates (or attaches to) the device with `queues` queues
  // (IFF_MULTI_QUEUE when more than one), sets its MTU and brings it up.
  // The fds are non-blocking.
  // With vnet_hdr every packet carries a struct virtio_net_hdr (VnetHdr) and
  // TSO/checksum offload is requested (TUNSETOFFLOAD); offload() says
  // whether the kernel accepted it.
  BackendResult<void> Open(const std::string& name, int mtu, size_t queues = 1,
                           bool vnet_hdr = false);
  bool vnet_hdr() const { return vnet_hdr_; }
  bool offload() const { return offload_; }
  int fd(size_t queue = 0) const { return queue < fds_.size() ? fds_[queue] : -1; }
  size_t queues() const { return fds_.size(); }
  int ifindex() const { return ifindex_; }
  const std::string& name() const { return name_; }

 private:
  std::vector<int> fds_;
  bool vnet_hdr_ = false;
  bool offload_ = false;
  int ifindex_ = 0;
  std::string name_;
};

}  // namespace ike::xfrm
