#include "libike/engine/task/ike_init.h"

#include "libike/engine/sa/keymat.h"
#include "libike/engine/task/ike_auth.h"
#include "libike/engine/sa/wire_convert.h"

namespace ike::engine {

namespace {

constexpr unsigned kMaxRetries = 5;

// Restricts every offered proposal's KE transforms to `group` (drops those
// that do not offer it), so a proposal usable with the KE payload we got is
// preferred over one that would force an INVALID_KE_PAYLOAD round trip.
ProposalList RestrictToGroup(const ProposalList& offered, KeGroup group) {
  ProposalList out;
  for (const auto& p : offered) {
    if (!p.Has(TransformType::kKe, static_cast<uint16_t>(group))) continue;
    Proposal q = WithoutKe(p);
    q.transforms.push_back(Transform{TransformType::kKe, static_cast<uint16_t>(group), 0});
    out.push_back(std::move(q));
  }
  return out;
}

bool Supported(const Proposal& p) {
  auto e = p.Get(TransformType::kEncr);
  auto f = p.Get(TransformType::kPrf);
  auto i = p.Get(TransformType::kInteg);
  if (!e || !f || !crypto::SkCipher::IsSupported(static_cast<EncrId>(e->id)) ||
      !crypto::Prf::IsSupported(static_cast<PrfId>(f->id)) ||
      !crypto::KeyExchange::IsSupported(p.ke())) {
    return false;
  }
  if (i && i->id != 0 && !crypto::Integ::IsSupported(static_cast<IntegId>(i->id))) return false;
  return true;
}

ProposalList SupportedOnly(const ProposalList& configured) {
  // Drop transforms this build cannot run, keeping the order.
  ProposalList out;
  for (const auto& p : configured) {
    Proposal q = p;
    q.transforms.clear();
    for (const auto& t : p.transforms) {
      bool ok = true;
      switch (t.type) {
        case TransformType::kEncr:
          ok = crypto::SkCipher::IsSupported(static_cast<EncrId>(t.id));
          break;
        case TransformType::kPrf:
          ok = crypto::Prf::IsSupported(static_cast<PrfId>(t.id));
          break;
        case TransformType::kInteg:
          ok = t.id == 0 || crypto::Integ::IsSupported(static_cast<IntegId>(t.id));
          break;
        case TransformType::kKe:
          ok = crypto::KeyExchange::IsSupported(static_cast<KeGroup>(t.id));
          break;
        default:
          break;
      }
      if (ok) q.transforms.push_back(t);
    }
    out.push_back(std::move(q));
  }
  return out;
}

}  // namespace

TaskOutcome IkeInit::Build(wire::Message& msg, SaContext& ctx) {
  return role_ == Role::kInitiator ? BuildRequest(msg, ctx) : BuildResponse(msg, ctx);
}

TaskOutcome IkeInit::Process(const wire::Message& msg, SaContext& ctx) {
  return role_ == Role::kInitiator ? ProcessResponse(msg, ctx) : ProcessRequest(msg, ctx);
}

TaskOutcome IkeInit::BuildRequest(wire::Message& msg, SaContext& ctx) {
  ctx.state = IkeState::kConnecting;
  if (ctx.nonce_i.empty()) ctx.nonce_i = ctx.env.rng.Generate(kNonceSize);
  if (ctx.ke_group == KeGroup::kNone) {
    for (const auto& p : ctx.config->ike_proposals) {
      auto groups = p.KeGroups();
      if (!groups.empty()) {
        ctx.ke_group = groups.front();
        break;
      }
    }
  }
  if (!ctx.ke || ctx.ke->group() != ctx.ke_group) {
    auto ke = crypto::KeyExchange::Create(ctx.ke_group, ctx.env.rng);
    if (!ke) return Fail("key exchange: " + ke.error().detail);
    ctx.ke.emplace(std::move(*ke));
  }
  if (!ctx.cookie.empty()) {
    // RFC 7296 2.6: the COOKIE notify comes first.
    msg.payloads.insert(msg.payloads.begin(),
                        wire::NotifyPayload::Make(wire::NotifyType::kCookie, ctx.cookie));
  }
  ProposalList proposals = ctx.config->ike_proposals;
  Finalize(proposals, ProtocolId::kIke, {});
  msg.payloads.push_back(ToWireSa(proposals));
  msg.payloads.push_back(wire::KePayload{ctx.ke_group, ctx.ke->PublicValue()});
  msg.payloads.push_back(wire::NoncePayload{ctx.nonce_i});
  return TaskResult::kDone;
}

TaskOutcome IkeInit::ProcessResponse(const wire::Message& msg, SaContext& ctx) {
  if (const auto* cookie = msg.FindNotify(wire::NotifyType::kCookie)) {
    if (++retries_ > kMaxRetries) return Fail("too many COOKIE rounds");
    ctx.cookie = cookie->data;
    ctx.spi_r = 0;
    return TaskResult::kNeedMore;
  }
  if (const auto* ike = msg.FindNotify(wire::NotifyType::kInvalidKePayload)) {
    if (ike->data.size() != 2) return Fail("malformed INVALID_KE_PAYLOAD");
    auto group = static_cast<KeGroup>(ike->data[0] << 8 | ike->data[1]);
    if (group == ctx.ke_group || !OffersGroup(ctx.config->ike_proposals, group) ||
        !crypto::KeyExchange::IsSupported(group) || ++retries_ > kMaxRetries) {
      return Fail("peer requested unacceptable KE group " +
                  std::to_string(static_cast<unsigned>(group)));
    }
    ctx.ke_group = group;
    ctx.ke.reset();
    ctx.spi_r = 0;
    return TaskResult::kNeedMore;
  }
  if (const auto* err = FirstErrorNotify(msg)) {
    return Fail("peer answered " + std::string(wire::NotifyTypeName(err->type)));
  }
  const auto* sa = msg.Find<wire::SaPayload>();
  const auto* ke = msg.Find<wire::KePayload>();
  const auto* nonce = msg.Find<wire::NoncePayload>();
  if (!sa || !ke || !nonce) return Fail("IKE_SA_INIT response lacks SA, KE or Nonce");
  if (sa->proposals.size() != 1) return Fail("response must contain exactly one proposal");
  Proposal selected = FromWire(sa->proposals.front());
  if (!ValidateSelected(selected, ctx.config->ike_proposals)) {
    return Fail("peer selected a proposal we did not offer: " + selected.ToString());
  }
  if (selected.ke() != ctx.ke_group || ke->group != ctx.ke_group) {
    return Fail("peer's KE group does not match the selected proposal");
  }
  if (msg.header.spi_r == 0) return Fail("responder SPI is zero");
  ctx.spi_r = msg.header.spi_r;
  ctx.nonce_r = nonce->data;
  ctx.ike_proposal = selected;
  auto shared = ctx.ke->ComputeShared(ke->data);
  if (!shared) return Fail("invalid KE payload: " + shared.error().detail);
  auto keys = DeriveIkeKeys(ctx, shared->view());
  if (!keys) return Fail(keys.error());
  return TaskResult::kDone;
}

TaskOutcome IkeInit::ProcessRequest(const wire::Message& msg, SaContext& ctx) {
  ctx.state = IkeState::kConnecting;
  const auto* sa = msg.Find<wire::SaPayload>();
  const auto* ke = msg.Find<wire::KePayload>();
  const auto* nonce = msg.Find<wire::NoncePayload>();
  if (!sa || !ke || !nonce) {
    return Fail("IKE_SA_INIT request lacks SA, KE or Nonce", wire::NotifyType::kInvalidSyntax);
  }
  ProposalList offered = FromWireSa(*sa);
  ProposalList configured = SupportedOnly(ctx.config->ike_proposals);
  auto selected = SelectProposal(RestrictToGroup(offered, ke->group), configured);
  if (!selected || !Supported(*selected)) {
    selected = SelectProposal(offered, configured);
    if (!selected || !Supported(*selected)) {
      return Fail("no acceptable IKE proposal", wire::NotifyType::kNoProposalChosen);
    }
    if (selected->ke() != ke->group) {
      uint16_t g = static_cast<uint16_t>(selected->ke());
      return Fail("initiator used KE group " + std::to_string(static_cast<unsigned>(ke->group)) +
                      ", requesting " + std::to_string(g),
                  wire::NotifyType::kInvalidKePayload,
                  Bytes{static_cast<uint8_t>(g >> 8), static_cast<uint8_t>(g)});
    }
  }
  ctx.ike_proposal = *selected;
  ctx.ke_group = selected->ke();
  ctx.nonce_i = nonce->data;
  peer_ke_ = ke->data;
  return TaskResult::kDone;
}

TaskOutcome IkeInit::BuildResponse(wire::Message& msg, SaContext& ctx) {
  ctx.nonce_r = ctx.env.rng.Generate(kNonceSize);
  auto ke = crypto::KeyExchange::Create(ctx.ke_group, ctx.env.rng);
  if (!ke) return Fail("key exchange: " + ke.error().detail, wire::NotifyType::kNoProposalChosen);
  ctx.ke.emplace(std::move(*ke));
  auto shared = ctx.ke->ComputeShared(peer_ke_);
  if (!shared) {
    return Fail("invalid KE payload: " + shared.error().detail, wire::NotifyType::kInvalidSyntax);
  }
  auto keys = DeriveIkeKeys(ctx, shared->view());
  if (!keys) return Fail(keys.error(), wire::NotifyType::kNoProposalChosen);
  Proposal selected = *ctx.ike_proposal;
  selected.spi.clear();
  msg.payloads.push_back(ToWireSa({selected}));
  msg.payloads.push_back(wire::KePayload{ctx.ke_group, ctx.ke->PublicValue()});
  msg.payloads.push_back(wire::NoncePayload{ctx.nonce_r});
  if (auto certreq = OwnCertReq(ctx)) msg.payloads.push_back(std::move(*certreq));
  return TaskResult::kDone;
}

}  // namespace ike::engine
