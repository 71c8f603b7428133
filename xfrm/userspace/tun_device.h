// A Linux TUN device (IFF_TUN | IFF_NO_PI): the userspace data plane reads
// the packets the routing table sends to it and writes decapsulated ones.
#pragma once

#include <string>

#include "xfrm/backend/backend.h"

namespace ike::xfrm {

class TunDevice {
 public:
  TunDevice() = default;
  ~TunDevice();
  TunDevice(const TunDevice&) = delete;
  TunDevice& operator=(const TunDevice&) = delete;

  // Creates (or attaches to) the device, sets its MTU and brings it up.
  // The fd is non-blocking.
  BackendResult<void> Open(const std::string& name, int mtu);
  int fd() const { return fd_; }
  int ifindex() const { return ifindex_; }
  const std::string& name() const { return name_; }

 private:
  int fd_ = -1;
  int ifindex_ = 0;
  std::string name_;
};

}  // namespace ike::xfrm
