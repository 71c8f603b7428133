// IKE_SA rekey with CREATE_CHILD_SA (RFC 7296 1.3.2, 2.18):
//
//   HDR, SK {SA(IKE, SPIi'), Ni, KEi}  -->
//                     <--  HDR, SK {SA(IKE, SPIr'), Nr, KEr}
//   then the rekey initiator deletes the old IKE_SA; the CHILD_SAs move over.
//
// A rekey request while our own IKE_SA rekey is in flight is answered with
// TEMPORARY_FAILURE (RFC 7296 2.25); the initiator retries after a random
// delay, so simultaneous rekeys converge on one new IKE_SA.
#pragma once

#include <optional>

#include "libike/engine/task/task.h"

namespace ike::engine {

class IkeRekey final : public Task {
 public:
  explicit IkeRekey(Role role, bool reject = false) : role_(role), reject_(reject) {}
  TaskType type() const override { return TaskType::kIkeRekey; }
  ExchangeType exchange() const override { return ExchangeType::kCreateChildSa; }
  TaskOutcome Build(wire::Message& msg, SaContext& ctx) override;
  TaskOutcome Process(const wire::Message& msg, SaContext& ctx) override;

 private:
  Role role_;
  bool reject_;
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
