// Virtual IP address pools (RFC 7296 3.15): the leases a gateway hands to
// roadwarriors in configuration payloads. Pure state, no I/O: the Engine
// owns one AddressPools, IKE_SAs acquire and release through it, and the
// host lists it (ipsecctl list-pools).
//
// A lease belongs to an identity. It is online while an IKE_SA holds it
// (reference-counted: a reauthentication holds it twice for a moment) and
// offline afterwards; an offline lease is kept for its identity, which gets
// the same address back on reconnect, and is only handed to someone else
// when the pool has no never-used address left (oldest first).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "libike/common/ip_address.h"
#include "libike/common/result.h"

namespace ike::engine {

struct PoolSpec {
  std::string name;
  IpAddress first;  // inclusive range
  IpAddress last;
  std::vector<IpAddress> dns;
  // Split tunnelling: networks announced as INTERNAL_IP4/6_SUBNET.
  std::vector<std::pair<IpAddress, uint8_t>> subnets;
  // A CIDR pool's prefix (INTERNAL_IP4_NETMASK); 0 for a range.
  uint8_t prefix = 0;
  // Size of the range (capped at 2^32 addresses).
  uint64_t size() const;
};

// A CIDR pool hands out neither its network nor (IPv4) its broadcast
// address; a range or a /31, /32 (/127, /128) is used as written.
PoolSpec PoolFromCidr(std::string name, const IpAddress& network, uint8_t prefix);

struct Lease {
  IpAddress address;
  std::string identity;
  unsigned refs = 0;        // IKE_SAs holding it; 0 = offline
  uint64_t released_at = 0; // order of release (for reuse, oldest first)
};

struct PoolStatus {
  std::string name;
  std::string range;  // "10.3.0.1-10.3.0.254"
  uint64_t size = 0;
  uint64_t online = 0;
  uint64_t offline = 0;
  std::vector<Lease> leases;
};

class AddressPools {
 public:
  // Replaces the pool definitions. A pool that keeps its name and range
  // keeps its leases; others start empty.
  void Configure(std::vector<PoolSpec> pools);

  // An address for `identity` of `family` from the first of `pools` that
  // has one: the identity's own lease, else `requested` when it is in the
  // pool and free, else a never-used address, else the oldest offline
  // lease. The error says why none was found (pool names, exhaustion).
  struct Grant {
    std::string pool;
    IpAddress address;
  };
  Result<Grant, std::string> Acquire(const std::vector<std::string>& pools, AddressFamily family,
                                     const std::string& identity,
                                     const std::optional<IpAddress>& requested);
  // Drops one reference; the lease goes offline at zero.
  void Release(const std::string& pool, const IpAddress& address);

  const PoolSpec* Find(const std::string& name) const;
  std::vector<PoolStatus> Status() const;

 private:
  struct Pool {
    PoolSpec spec;
    std::map<uint64_t, Lease> leases;            // by offset into the range
    std::map<std::string, uint64_t> by_identity; // identity -> offset
    uint64_t next_unused = 0;                    // never-used addresses start here
  };
  static std::optional<uint64_t> OffsetOf(const Pool& p, const IpAddress& a);
  static IpAddress AddressAt(const Pool& p, uint64_t offset);
  std::vector<Pool> pools_;
  uint64_t release_clock_ = 0;
};

}  // namespace ike::engine
