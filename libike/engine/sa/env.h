// Env: what the engine gets injected (STYLE.md): randomness and SPI
// allocation. Crypto algorithms are used directly through libike/crypto's
// value types (Prf, SkCipher, KeyExchange), which are pure functions of
// their inputs; only randomness needs injecting for a seed to replay a run.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "libike/common/ike_types.h"
#include "libike/common/ip_address.h"
#include "libike/common/result.h"
#include "libike/crypto/rng.h"

namespace ike::engine {

// Allocates inbound CHILD_SA SPIs. The daemon binds this to
// xfrm::Backend::AllocateSpi; tests use the fake backend or a counter.
class SpiAllocator {
 public:
  virtual ~SpiAllocator() = default;
  virtual Result<uint32_t, std::string> AllocateSpi(const IpAddress& src, const IpAddress& dst,
                                                     ProtocolId protocol, uint32_t reqid) = 0;
};

// Wall-clock time for certificate validity checks only (protocol timing
// uses the TimePoint passed to Handle).
class WallClock {
 public:
  virtual ~WallClock() = default;
  virtual int64_t UnixSeconds() const = 0;
};

// The host's route lookup: our source address towards `peer`, nullopt
// without a route. For initiators configured without a local address
// (local_addrs = %any, a roadwarrior client).
class SourceResolver {
 public:
  virtual ~SourceResolver() = default;
  virtual std::optional<IpAddress> SourceFor(const IpAddress& peer) const = 0;
};

struct Env {
  crypto::Rng& rng;
  SpiAllocator& spis;
  // nullptr: certificate validity is checked against OpenSSL's notion of now.
  const WallClock* wall_clock = nullptr;
  // nullptr: an unspecified local address stays unspecified.
  const SourceResolver* sources = nullptr;
};

}  // namespace ike::engine
