// MOBIKE (RFC 4555): an IKE_SA and its CHILD_SAs move to new addresses
// without a new IKE_SA or a rekey.
//
// IKE_AUTH (3.2), both sides announce it:
//   HDR, SK { IDi, ..., N(MOBIKE_SUPPORTED), SA, TSi, TSr }  -->
//                 <--  HDR, SK { IDr, ..., N(MOBIKE_SUPPORTED), SA, TSi, TSr }
//
// INFORMATIONAL (3.5, 3.7), from the initiator's new address:
//   HDR, SK { N(UPDATE_SA_ADDRESSES), N(NAT_DETECTION_SOURCE_IP),
//             N(NAT_DETECTION_DESTINATION_IP), N(COOKIE2) }  -->
//                 <--  HDR, SK { N(NAT_DETECTION_SOURCE_IP),
//                                N(NAT_DETECTION_DESTINATION_IP), N(COOKIE2) }
//
// The responder takes the request's addresses (IP header) as the IKE_SA's
// new endpoints, redoes NAT detection with the NAT-D notifies (UDP
// encapsulation on or off) and moves every CHILD_SA: MigrateSa for both SAs
// (keys and sequence numbers stay in the backend) and UpdatePolicy for the
// tunnel templates. The initiator does the same for its side when the host
// tells it that its address changed (MobikeUpdateCommand), and again when
// the response's NAT-D notifies change the NAT state.
//
// Not sent: additional addresses (ADDITIONAL_IP4/6_ADDRESS,
// NO_ADDITIONAL_ADDRESSES are ignored on receipt), NO_NATS_ALLOWED.
#pragma once

#include <optional>

#include "libike/engine/task/task.h"

namespace ike::engine {

// MOBIKE_SUPPORTED in IKE_AUTH. The initiator also floats to port 4500
// for IKE_AUTH (RFC 4555 3.3), so a NAT that appears later is no trouble.
class IkeMobike final : public Task {
 public:
  explicit IkeMobike(Role role) : role_(role) {}
  TaskType type() const override { return TaskType::kIkeMobike; }
  ExchangeType exchange() const override { return ExchangeType::kIkeAuth; }
  TaskOutcome Build(wire::Message& msg, SaContext& ctx) override;
  TaskOutcome Process(const wire::Message& msg, SaContext& ctx) override;

 private:
  Role role_;
  bool sent_ = false;
};

// Initiator: UPDATE_SA_ADDRESSES after our address changed (the IkeSa has
// already moved the IKE_SA and our SAs to it).
class MobikeUpdate final : public Task {
 public:
  TaskType type() const override { return TaskType::kIkeMobike; }
  ExchangeType exchange() const override { return ExchangeType::kInformational; }
  TaskOutcome Build(wire::Message& msg, SaContext& ctx) override;
  TaskOutcome Process(const wire::Message& msg, SaContext& ctx) override;
  bool started() const { return !cookie2_.empty(); }

 private:
  Bytes cookie2_;
};

// Responder: the MOBIKE notifies of any INFORMATIONAL request.
class MobikeResponder final : public Task {
 public:
  TaskType type() const override { return TaskType::kIkeMobike; }
  ExchangeType exchange() const override { return ExchangeType::kInformational; }
  TaskOutcome Build(wire::Message& msg, SaContext& ctx) override;
  TaskOutcome Process(const wire::Message& msg, SaContext& ctx) override;

 private:
  std::optional<Bytes> cookie2_;
  bool answer_natd_ = false;
};

// Moves the IKE_SA to `local`/`remote` and every CHILD_SA with it (the
// current NAT state decides UDP encapsulation): MigrateSa and UpdatePolicy
// effects for what changed.
void MoveIkeSa(SaContext& ctx, const Endpoint& local, const Endpoint& remote);

}  // namespace ike::engine
