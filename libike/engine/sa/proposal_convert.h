// From libike/proposal's keyword-parsed proposals ("aes256gcm16-prfsha384-
// ecp384") to the engine's transform lists.
#pragma once

#include <vector>

#include "libike/engine/sa/proposal.h"
#include "libike/proposal/proposal.h"

namespace ike::engine {

Proposal FromConfigProposal(const ike::Proposal& p);
ProposalList FromConfigProposals(const std::vector<ike::Proposal>& list);

}  // namespace ike::engine
