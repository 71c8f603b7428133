// Conversions between libike/wire payload structs and the engine's types.
#pragma once

#include "libike/engine/sa/config.h"
#include "libike/engine/sa/proposal.h"
#include "libike/engine/ts/traffic_selector.h"
#include "libike/wire/message.h"

namespace ike::engine {

wire::Proposal ToWire(const Proposal& p);
Proposal FromWire(const wire::Proposal& p);
wire::SaPayload ToWireSa(const ProposalList& list);
ProposalList FromWireSa(const wire::SaPayload& sa);

wire::TsPayload ToWireTs(Role role, const TsList& list);
TsList FromWireTs(const wire::TsPayload& ts);

wire::IdPayload ToWireId(Role role, const Identity& id);
Identity FromWireId(const wire::IdPayload& id);

// Finds the first payload of a type in a decoded chain.
template <typename T>
const T* FindIn(const std::vector<wire::Payload>& payloads) {
  for (const auto& p : payloads) {
    if (const T* t = std::get_if<T>(&p)) return t;
  }
  return nullptr;
}
const wire::NotifyPayload* FirstErrorNotify(const wire::Message& msg);

}  // namespace ike::engine
