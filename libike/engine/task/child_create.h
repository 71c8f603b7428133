// CHILD_SA negotiation (RFC 7296 1.2, 1.3.1, 1.3.3), in IKE_AUTH or in a
// CREATE_CHILD_SA exchange, including the rekey of an existing CHILD_SA
// (REKEY_SA notify):
//
//   IKE_AUTH:        ... [N(USE_TRANSPORT_MODE)], SA, TSi, TSr  -->
//   CREATE_CHILD_SA: [N(REKEY_SA)], [N(USE_TRANSPORT_MODE)], SA, Ni, [KEi], TSi, TSr  -->
//                    <--  [N(USE_TRANSPORT_MODE)], SA, Nr, [KEr], TSi, TSr
//
// Responder-side failures (NO_PROPOSAL_CHOSEN, TS_UNACCEPTABLE,
// INVALID_KE_PAYLOAD) are answered with the notify and leave the IKE_SA up.
#pragma once

#include <optional>

#include "libike/engine/task/task.h"

namespace ike::engine {

class ChildCreate final : public Task {
 public:
  // Initiator: negotiate a CHILD_SA for `config`; `rekey_spi_in` names the
  // CHILD_SA (by our inbound SPI) this one replaces.
  static std::unique_ptr<ChildCreate> Initiator(ChildConfigRef config, bool in_ike_auth,
                                                uint32_t rekey_spi_in = 0);
  static std::unique_ptr<ChildCreate> Responder(bool in_ike_auth);

  TaskType type() const override {
    return rekey_spi_in_ ? TaskType::kChildRekey : TaskType::kChildCreate;
  }
  ExchangeType exchange() const override {
    return in_ike_auth_ ? ExchangeType::kIkeAuth : ExchangeType::kCreateChildSa;
  }
  TaskOutcome Build(wire::Message& msg, SaContext& ctx) override;
  TaskOutcome Process(const wire::Message& msg, SaContext& ctx) override;
  void Abort(SaContext& ctx) override;

  uint32_t rekey_spi_in() const { return rekey_spi_in_; }
  // The configured child this initiator task creates ("" for a responder).
  std::string child_name() const { return config_ ? config_->name : std::string(); }
  const Bytes& nonce() const { return own_nonce_; }

 private:
  ChildCreate(Role role, bool in_ike_auth) : role_(role), in_ike_auth_(in_ike_auth) {}

  TaskOutcome BuildRequest(wire::Message& msg, SaContext& ctx);
  TaskOutcome ProcessResponse(const wire::Message& msg, SaContext& ctx);
  void ProcessRequest(const wire::Message& msg, SaContext& ctx);
  TaskOutcome BuildResponse(wire::Message& msg, SaContext& ctx);
  // Derives KEYMAT, installs, records the CHILD_SA.
  Result<void, std::string> Complete(SaContext& ctx, bool exchange_initiator);
  static void RecordRekey(SaContext& ctx, uint32_t old_spi_in, bool ours, const Bytes& ni,
                          const Bytes& nr, uint32_t new_spi_in);
  void Reject(wire::NotifyType notify, std::string reason, Bytes data = {});
  void AddCapabilityNotifies(wire::Message& msg, const SaContext& ctx) const;
  static TsList LocalDynamic(const TsList& configured, const SaContext& ctx);
  static TsList RemoteDynamic(const TsList& configured, const SaContext& ctx);
  void ReadCapabilityNotifies(const wire::Message& msg);

  Role role_;
  bool in_ike_auth_;
  ChildConfigRef config_;  // null: a responder that has not picked one yet
  uint32_t rekey_spi_in_ = 0;  // ours; for a responder: the old child's inbound SPI
  uint32_t spi_in_ = 0;
  uint32_t spi_out_ = 0;
  uint32_t reqid_ = 0;
  xfrm::Mode mode_ = xfrm::Mode::kTunnel;
  TsList ts_i_, ts_r_;  // proposed (initiator) / narrowed (both, after processing)
  Proposal selected_;
  Bytes own_nonce_, peer_nonce_;
  std::optional<crypto::KeyExchange> ke_;
  Bytes peer_ke_;
  KeGroup pfs_group_ = KeGroup::kNone;
  std::optional<wire::NotifyType> error_;
  Bytes error_data_;
  bool installed_ = false;
  bool peer_refuses_tfc_ = false;
};

}  // namespace ike::engine
