// Building blocks for simulation scenarios: addresses, proposals and PSK
// connection configs mirroring a strongSwan swanctl.conf pair.
#pragma once

#include <string>

#include "libike/engine/sa/config.h"
#include "tests/sim/sim_net.h"

namespace ike::sim {

inline IpAddress Ip(const char* text) { return *IpAddress::Parse(text); }
inline engine::TrafficSelector Ts(const char* cidr) {
  return *engine::TrafficSelector::Parse(cidr);
}

// IKE proposal: ENCR (+ key bits), PRF, INTEG (kNone for AEAD), KE groups.
engine::Proposal IkeProposal(EncrId encr, uint16_t bits, PrfId prf, IntegId integ,
                             std::vector<KeGroup> groups);
// ESP proposal: ENCR (+ key bits), INTEG (kNone for AEAD), optional PFS groups, no ESN.
engine::Proposal EspProposal(EncrId encr, uint16_t bits, IntegId integ,
                             std::vector<KeGroup> pfs = {});

// strongSwan-like defaults: aes256gcm16-prfsha384-x25519-ecp256 / aes128-sha256-modp2048
engine::ProposalList DefaultIke();
engine::ProposalList DefaultEsp();

struct PeerSpec {
  std::string name = "conn";
  IpAddress local;
  IpAddress remote;  // unspecified: accept any
  std::string local_id;
  std::string remote_id;
  std::string psk = "0123456789abcdef-secret";
  std::vector<engine::TrafficSelector> local_ts;
  std::vector<engine::TrafficSelector> remote_ts;
  xfrm::Mode mode = xfrm::Mode::kTunnel;
  // Off in scenarios unless asked for: MOBIKE moves IKE_AUTH to port 4500
  // (RFC 4555 3.3), and most scenarios inspect port-500 packets.
  bool mobike = false;
};

engine::PeerConfig PskConfig(const PeerSpec& spec);

// The classic moon/sun site-to-site pair (strongSwan's test network, in
// documentation addresses): moon 192.0.2.1 with 10.1.0.0/16 behind it, sun
// 198.51.100.2 with 10.2.0.0/16.
struct Pair {
  SimNet net;
  SimNode* moon;
  SimNode* sun;
  explicit Pair(uint64_t seed = 1) : net(seed) {
    moon = &net.AddNode("moon", {Ip("192.0.2.1")});
    sun = &net.AddNode("sun", {Ip("198.51.100.2")});
  }
};
PeerSpec MoonSpec();
PeerSpec SunSpec();

// Do the installed SAs of two nodes pair up (each outbound SA has the
// peer's inbound SA with the same SPI, keys and algorithms)? Returns an
// empty string if so, else what differs.
std::string CheckSaPairs(const xfrm::FakeBackend& a, const xfrm::FakeBackend& b);

}  // namespace ike::sim
