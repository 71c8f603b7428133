#include "libike/engine/task/ike_rekey.h"

#include "libike/engine/sa/keymat.h"
#include "libike/engine/sa/wire_convert.h"
#include "libike/engine/task/ike_init.h"

namespace ike::engine {

namespace {

uint64_t U64(ByteView b) {
  uint64_t v = 0;
  for (uint8_t x : b) v = v << 8 | x;
  return v;
}

uint64_t FreshSpi(SaContext& ctx) {
  for (;;) {
    uint64_t v = U64(ctx.env.rng.Generate(8));
    if (v != 0) return v;
  }
}

Result<IkeRekeyResult, std::string> Derive(SaContext& ctx, Role role, uint64_t spi_i,
                                           uint64_t spi_r, const Bytes& ni, const Bytes& nr,
                                           const Proposal& proposal, crypto::KeyExchange& ke,
                                           ByteView peer_ke) {
  auto shared = ke.ComputeShared(peer_ke);
  if (!shared) return MakeUnexpected("invalid KE: " + shared.error().detail);
  IKE_ASSIGN_OR_RETURN(IkeKeys keys,
                       DeriveIkeKeysFor(role, proposal, ni, nr, spi_i, spi_r, shared->view(),
                                        &*ctx.keys.prf, ctx.keys.sk_d.view()));
  IkeRekeyResult r;
  r.role = role;
  r.spi_i = spi_i;
  r.spi_r = spi_r;
  r.nonce_i = ni;
  r.nonce_r = nr;
  r.proposal = proposal;
  r.proposal.spi.clear();
  r.keys = std::move(keys);
  return r;
}

}  // namespace

TaskOutcome IkeRekey::Build(wire::Message& msg, SaContext& ctx) {
  if (role_ == Role::kInitiator) {
    if (!ctx.established()) return Fail("IKE_SA not established", std::nullopt, {}, false);
    if (ctx.rekeyed_away || ctx.rekeyed || ctx.rekey_collision) {
      // The peer rekeyed this IKE_SA before our queued rekey got its turn.
      return Fail("IKE_SA already rekeyed", std::nullopt, {}, false);
    }
    ctx.state = IkeState::kRekeying;
    if (new_spi_ == 0) new_spi_ = FreshSpi(ctx);
    own_nonce_ = ctx.env.rng.Generate(kNonceSize);
    if (group_ == KeGroup::kNone) group_ = ctx.ike_proposal->ke();
    auto ke = crypto::KeyExchange::Create(group_, ctx.env.rng);
    if (!ke) return Fail("key exchange: " + ke.error().detail, std::nullopt, {}, false);
    ke_.emplace(std::move(*ke));
    ProposalList proposals = ctx.config->ike_proposals;
    Finalize(proposals, ProtocolId::kIke, SpiBytes(new_spi_));
    msg.payloads.push_back(ToWireSa(proposals));
    msg.payloads.push_back(wire::NoncePayload{own_nonce_});
    msg.payloads.push_back(wire::KePayload{group_, ke_->PublicValue()});
    return TaskResult::kDone;
  }
  if (error_) {
    msg.payloads.push_back(wire::NotifyPayload::Make(*error_, error_data_));
    return TaskResult::kDone;
  }
  new_spi_ = FreshSpi(ctx);
  own_nonce_ = ctx.env.rng.Generate(kNonceSize);
  auto ke = crypto::KeyExchange::Create(group_, ctx.env.rng);
  if (!ke) return Fail("key exchange: " + ke.error().detail, wire::NotifyType::kNoProposalChosen,
                       {}, false);
  ke_.emplace(std::move(*ke));
  auto result = Derive(ctx, Role::kResponder, peer_spi_, new_spi_, peer_nonce_, own_nonce_,
                       selected_, *ke_, peer_ke_);
  if (!result) return Fail(result.error(), wire::NotifyType::kNoProposalChosen, {}, false);
  Proposal answer = selected_;
  answer.spi = SpiBytes(new_spi_);
  msg.payloads.push_back(ToWireSa({answer}));
  msg.payloads.push_back(wire::NoncePayload{own_nonce_});
  msg.payloads.push_back(wire::KePayload{group_, ke_->PublicValue()});
  if (mode_ == Mode::kCollision) {
    ctx.rekey_collision = std::make_unique<IkeRekeyResult>(std::move(*result));
  } else {
    ctx.rekeyed = std::make_unique<IkeRekeyResult>(std::move(*result));
  }
  return TaskResult::kDone;
}

TaskOutcome IkeRekey::Process(const wire::Message& msg, SaContext& ctx) {
  if (role_ == Role::kResponder) {
    if (mode_ == Mode::kReject || !ctx.established() || ctx.rekeyed || ctx.rekey_collision) {
      error_ = wire::NotifyType::kTemporaryFailure;
      return TaskResult::kDone;
    }
    const auto* sa = msg.Find<wire::SaPayload>();
    const auto* nonce = msg.Find<wire::NoncePayload>();
    const auto* ke = msg.Find<wire::KePayload>();
    if (!sa || !nonce || !ke) {
      error_ = wire::NotifyType::kInvalidSyntax;
      return TaskResult::kDone;
    }
    ProposalList configured = ctx.config->ike_proposals;
    Finalize(configured, ProtocolId::kIke, {});
    auto selected = SelectProposal(FromWireSa(*sa), configured);
    if (!selected || selected->spi.size() != 8) {
      error_ = wire::NotifyType::kNoProposalChosen;
      return TaskResult::kDone;
    }
    if (selected->ke() != ke->group) {
      uint16_t g = static_cast<uint16_t>(selected->ke());
      error_ = wire::NotifyType::kInvalidKePayload;
      error_data_ = Bytes{static_cast<uint8_t>(g >> 8), static_cast<uint8_t>(g)};
      return TaskResult::kDone;
    }
    selected_ = *selected;
    group_ = ke->group;
    peer_spi_ = U64(selected->spi);
    peer_nonce_ = nonce->data;
    peer_ke_ = ke->data;
    return TaskResult::kDone;
  }
  // Initiator: the response.
  auto retry_later = [&](std::string why) -> TaskOutcome {
    ctx.state = IkeState::kEstablished;
    // RFC 7296 2.25: try again after a random delay.
    ctx.ArmTimer(TimerKind::kIkeRekey, Duration(1000) + ctx.Jitter(Duration(10000)));
    return Fail("IKE_SA rekey " + why, std::nullopt, {}, false);
  };
  if (const auto* n = msg.FindNotify(wire::NotifyType::kInvalidKePayload);
      n && n->data.size() == 2) {
    auto g = static_cast<KeGroup>(n->data[0] << 8 | n->data[1]);
    if (g != group_ && OffersGroup(ctx.config->ike_proposals, g) &&
        crypto::KeyExchange::IsSupported(g)) {
      group_ = g;
      return TaskResult::kNeedMore;
    }
  }
  if (const auto* err = FirstErrorNotify(msg)) {
    return retry_later("refused: " + std::string(wire::NotifyTypeName(err->type)));
  }
  const auto* sa = msg.Find<wire::SaPayload>();
  const auto* nonce = msg.Find<wire::NoncePayload>();
  const auto* ke = msg.Find<wire::KePayload>();
  if (!sa || !nonce || !ke || sa->proposals.size() != 1) return retry_later("bad response");
  Proposal selected = FromWire(sa->proposals.front());
  ProposalList offered = ctx.config->ike_proposals;
  Finalize(offered, ProtocolId::kIke, SpiBytes(new_spi_));
  if (!ValidateSelected(selected, offered) || selected.spi.size() != 8 ||
      ke->group != group_ || selected.ke() != group_) {
    return retry_later("response does not match the request");
  }
  auto result = Derive(ctx, Role::kInitiator, new_spi_, U64(selected.spi), own_nonce_,
                       nonce->data, selected, *ke_, ke->data);
  if (!result) return retry_later(result.error());
  ctx.rekeyed = std::make_unique<IkeRekeyResult>(std::move(*result));
  return TaskResult::kDone;
}

}  // namespace ike::engine
