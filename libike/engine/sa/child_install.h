// Turning a negotiated CHILD_SA into backend effects: two SAs (inbound and
// outbound) and, for the traffic selectors, out/in/fwd policies; and the
// reverse on delete.
#pragma once

#include "libike/crypto/key_derivation.h"
#include "libike/engine/sa/sa_context.h"

namespace ike::engine {

// Emits InstallSa (in, out) and InstallPolicy effects and the ChildUp event.
// `keys` is KEYMAT split per RFC 7296 2.17 (the i->r keys first).
// `exchange_initiator`: we initiated the exchange that created it (the i->r
// keys are then our outbound keys).
void InstallChild(SaContext& ctx, const ChildSa& child, const crypto::ChildSaKeys& keys,
                  bool exchange_initiator, bool install_policies = true);
// Emits DeleteSa for both SAs and, unless `keep_policies` (a rekeyed child
// whose successor uses the same policies), DeletePolicy effects.
void UninstallChild(SaContext& ctx, const ChildSa& child, bool keep_policies = false);
// The SA parameters (no keys) of an installed CHILD_SA at the IKE_SA's
// current endpoints, and its policies (out, in, and fwd in tunnel mode).
xfrm::SaParams ChildSaParams(const SaContext& ctx, const ChildSa& child, bool inbound);
std::vector<xfrm::PolicyParams> ChildPolicies(const SaContext& ctx, const ChildSa& child);
// Releases an allocated but never installed inbound SPI.
void ReleaseSpi(SaContext& ctx, ProtocolId protocol, uint32_t spi);

// The reqid for a new CHILD_SA of `config` (configured or fresh).
// `remote_ts`: the narrowed remote selectors, when known (responder).
uint32_t AssignReqid(SaContext& ctx, const ChildConfig& config, const TsList* remote_ts = nullptr);

}  // namespace ike::engine
