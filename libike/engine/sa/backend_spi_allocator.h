// Binds the engine's SpiAllocator to an xfrm::Backend (the daemon's and the
// simulation's choice).
#pragma once

#include "libike/engine/sa/env.h"
#include "xfrm/backend/backend.h"

namespace ike::engine {

class BackendSpiAllocator final : public SpiAllocator {
 public:
  explicit BackendSpiAllocator(xfrm::Backend& backend) : backend_(backend) {}
  Result<uint32_t, std::string> AllocateSpi(const IpAddress& src, const IpAddress& dst,
                                            ProtocolId protocol, uint32_t reqid) override {
    auto r = backend_.AllocateSpi(src, dst, protocol, reqid);
    if (!r) return MakeUnexpected(r.error().ToString());
    return *r;
  }

 private:
  xfrm::Backend& backend_;
};

}  // namespace ike::engine
