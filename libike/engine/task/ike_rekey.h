// IKE_SA rekey with CREATE_CHILD_SA (RFC 7296 1.3.2, 2.18):
//
//   HDR, SK {SA(IKE, SPIi'), Ni, KEi}  -->
//                     <--  HDR, SK {SA(IKE, SPIr'), Nr, KEr}
//   then the rekey initiator deletes the old IKE_SA; the CHILD_SAs move over.
//
// Simultaneous rekeys (RFC 7296 2.8.2): a rekey request that arrives while
// our own is in flight is answered normally and kept aside; when our own
// exchange ends, the new IKE_SA made with the lowest of the four nonces is
// redundant and its initiator deletes it; the other one replaces the old
// IKE_SA, which the initiator of the surviving exchange deletes. A rekey
// request on an IKE_SA already replaced (or replaced-to-be) gets
// TEMPORARY_FAILURE (RFC 7296 2.25).
#pragma once

#include <optional>

#include "libike/engine/task/task.h"

namespace ike::engine {

class IkeRekey final : public Task {
 public:
  // How a responder answers: normally, as one half of a collision, or with
  // TEMPORARY_FAILURE.
  enum class Mode : uint8_t { kNormal, kCollision, kReject };
  explicit IkeRekey(Role role, Mode mode = Mode::kNormal) : role_(role), mode_(mode) {}
  TaskType type() const override { return TaskType::kIkeRekey; }
  ExchangeType exchange() const override { return ExchangeType::kCreateChildSa; }
  TaskOutcome Build(wire::Message& msg, SaContext& ctx) override;
  TaskOutcome Process(const wire::Message& msg, SaContext& ctx) override;

 private:
  Role role_;
  Mode mode_;
  uint64_t new_spi_ = 0;
  Bytes own_nonce_, peer_nonce_;
  KeGroup group_ = KeGroup::kNone;
  std::optional<crypto::KeyExchange> ke_;
  Bytes peer_ke_;
  uint64_t peer_spi_ = 0;
  Proposal selected_;
  std::optional<wire::NotifyType> error_;
  Bytes error_data_;
};

}  // namespace ike::engine
