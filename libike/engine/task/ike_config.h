// Virtual IPs through the configuration payload in IKE_AUTH (RFC 7296
// 2.19, 3.15):
//
//   initiator:  CP(CFG_REQUEST) {INTERNAL_IP4_ADDRESS(), INTERNAL_IP4_DNS()}
//   responder:  CP(CFG_REPLY) {INTERNAL_IP4_ADDRESS(a), INTERNAL_IP4_DNS(d),
//                              INTERNAL_IP4_SUBNET(split networks)}
//               or N(INTERNAL_ADDRESS_FAILURE) when no pool can serve it.
//
// The responder leases from the Engine's AddressPools (by the peer's
// identity) and narrows the CHILD_SA's "dynamic" remote selector to the
// lease; the initiator proposes the whole family as its own selector,
// accepts the narrowed one and asks the host to configure the address.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "libike/engine/task/task.h"
#include "libike/wire/cp_eap_payload.h"

namespace ike::engine {

class IkeConfig final : public Task {
 public:
  explicit IkeConfig(Role role) : role_(role) {}
  TaskType type() const override { return TaskType::kIkeConfig; }
  ExchangeType exchange() const override { return ExchangeType::kIkeAuth; }
  TaskOutcome Build(wire::Message& msg, SaContext& ctx) override;
  TaskOutcome Process(const wire::Message& msg, SaContext& ctx) override;

 private:
  Role role_;
  // Responder: the families the initiator asked an address of, with the
  // address it would like (unspecified: any).
  std::vector<IpAddress> requested_;
  bool netmask_requested_ = false;  // INTERNAL_IP4_NETMASK in the request
  std::optional<wire::CpPayload> reply_;
  std::string vip_error_;
  void Assign(SaContext& ctx);
};

// A configuration attribute as both versions carry it: IKEv2's CP and
// IKEv1's Mode Config attribute payload share the type numbers and value
// encodings (INTERNAL_IP6_ADDRESS with its prefix octet, subnets as
// address+mask or address+prefix).
struct VipAttribute {
  uint16_t type = 0;
  Bytes value;
};

// Leases one address per entry of `requested` (unspecified: any address of
// that family) from the connection's pools under `lease_id`, or reuses the
// lease ctx.peer_vips already holds for the family, and returns the reply's
// attributes: the address, the pool's netmask (IPv4, if `netmask`), its DNS
// servers and its split networks (INTERNAL_IP4/6_SUBNET). `failures` says
// why a family got nothing.
std::vector<VipAttribute> LeaseVipAttributes(SaContext& ctx, const std::vector<IpAddress>& requested,
                                             bool netmask, const std::string& lease_id,
                                             std::string& failures);

// The identity string a lease is kept under.
std::string LeaseIdentity(const SaContext& ctx);
// Releases the peer's leases and removes our own virtual IPs (IKE_SA gone).
void ReleaseVirtualIps(SaContext& ctx);

}  // namespace ike::engine
