// NAT detection (RFC 7296 2.23): NAT_DETECTION_SOURCE_IP and
// NAT_DETECTION_DESTINATION_IP in IKE_SA_INIT, each
// SHA-1(SPIi | SPIr | IP | Port). On a mismatch the initiator floats to
// port 4500 and CHILD_SAs use UDP encapsulation.
#pragma once

#include "libike/engine/task/task.h"

namespace ike::engine {

// SHA-1(SPIi | SPIr | address | port) as in the NAT_DETECTION_* notifies.
Bytes NatHash(uint64_t spi_i, uint64_t spi_r, const Endpoint& ep);

class IkeNatd final : public Task {
 public:
  explicit IkeNatd(Role role) : role_(role) {}
  TaskType type() const override { return TaskType::kIkeNatd; }
  ExchangeType exchange() const override { return ExchangeType::kIkeSaInit; }
  TaskOutcome Build(wire::Message& msg, SaContext& ctx) override;
  TaskOutcome Process(const wire::Message& msg, SaContext& ctx) override;

 private:
  Role role_;
  bool peer_sent_ = false;  // responder: answer only if the initiator asked
};

// IKEV2_FRAGMENTATION_SUPPORTED (RFC 7383) and SIGNATURE_HASH_ALGORITHMS
// (RFC 7427) in IKE_SA_INIT.
class IkeFeatures final : public Task {
 public:
  explicit IkeFeatures(Role role) : role_(role) {}
  TaskType type() const override { return TaskType::kIkeFeatures; }
  ExchangeType exchange() const override { return ExchangeType::kIkeSaInit; }
  TaskOutcome Build(wire::Message& msg, SaContext& ctx) override;
  TaskOutcome Process(const wire::Message& msg, SaContext& ctx) override;

 private:
  Role role_;
  bool peer_frag_ = false;
  bool peer_hashes_ = false;
};

}  // namespace ike::engine
