// IKE_SA_INIT core: SA, KE, Nonce (RFC 7296 1.2), INVALID_KE_PAYLOAD retry
// (1.2), COOKIE echo (2.6), NO_PROPOSAL_CHOSEN, and the SK_* derivation.
//
//   HDR, SA, KEi, Ni  -->
//                <--  HDR, SA, KEr, Nr
#pragma once

#include "libike/engine/task/task.h"

namespace ike::engine {

inline constexpr size_t kNonceSize = 32;

class IkeInit final : public Task {
 public:
  explicit IkeInit(Role role) : role_(role) {}
  TaskType type() const override { return TaskType::kIkeInit; }
  ExchangeType exchange() const override { return ExchangeType::kIkeSaInit; }
  TaskOutcome Build(wire::Message& msg, SaContext& ctx) override;
  TaskOutcome Process(const wire::Message& msg, SaContext& ctx) override;

 private:
  TaskOutcome BuildRequest(wire::Message& msg, SaContext& ctx);
  TaskOutcome ProcessResponse(const wire::Message& msg, SaContext& ctx);
  TaskOutcome ProcessRequest(const wire::Message& msg, SaContext& ctx);
  TaskOutcome BuildResponse(wire::Message& msg, SaContext& ctx);

  Role role_;
  unsigned retries_ = 0;
  Bytes peer_ke_;  // responder: the initiator's KE data
};

}  // namespace ike::engine
