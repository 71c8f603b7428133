// Maps the loaded configuration (conf::Config, the swanctl.conf model) to the
// engine's per-connection PeerConfig: proposals into IANA transform lists,
// identities into ID payload values, secrets and certificates into the auth
// material, children into selectors, lifetimes and marks.
#pragma once

#include <string>
#include <vector>

#include "conf/config.h"
#include "libike/engine/sa/config.h"
#include "libike/engine/sa/pools.h"

namespace ike::charon {

struct MappedConnection {
  engine::PeerConfig peer;
  std::vector<std::string> start_children;  // start_action = start
  std::vector<std::string> trap_children;   // start_action = trap
  std::vector<std::string> notes;           // what was not carried over, and why
};

// The connections the engine can run: IKEv2, IKEv1 (version = 1, with
// Aggressive Mode and XAuth rounds) or both (version = 0: initiate IKEv2,
// accept either). Connections it cannot run (an unsupported EAP method or
// XAuth backend, Aggressive Mode with certificates, a secret missing, ...)
// are reported in `skipped` with the reason.
struct MapOptions {
  // Whether the engine runs XAuth rounds (it does, with Mode Config). A
  // caller that cannot run them gets connections with an XAuth round
  // skipped: a gateway would otherwise let a client in on the group PSK
  // alone, without its user name and password.
  bool engine_runs_xauth = true;
};
std::vector<MappedConnection> MapConfig(const conf::Config& config, std::vector<std::string>& skipped,
                                        const MapOptions& options = {});

// The address pools (virtual IPs) of the configuration.
std::vector<engine::PoolSpec> MapPools(const conf::Config& config);

engine::ProposalList MapProposals(const std::vector<Proposal>& proposals, ProtocolId protocol);
engine::Identity MapIdentity(const conf::Identity& id);

}  // namespace ike::charon
