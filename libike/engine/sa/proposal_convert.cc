#include "libike/engine/sa/proposal_convert.h"

namespace ike::engine {

Proposal FromConfigProposal(const ike::Proposal& p) {
  Proposal out;
  out.protocol = p.kind == ProposalKind::kIke   ? ProtocolId::kIke
                 : p.kind == ProposalKind::kAh ? ProtocolId::kAh
                                               : ProtocolId::kEsp;
  auto add = [&](TransformType type, uint16_t id, uint16_t bits = 0) {
    out.transforms.push_back(Transform{type, id, bits});
  };
  for (const auto& e : p.encr) add(TransformType::kEncr, static_cast<uint16_t>(e.id), e.key_bits);
  for (IntegId i : p.integ) add(TransformType::kInteg, static_cast<uint16_t>(i));
  for (PrfId f : p.prf) add(TransformType::kPrf, static_cast<uint16_t>(f));
  for (KeGroup g : p.ke) add(TransformType::kKe, static_cast<uint16_t>(g));
  if (out.protocol != ProtocolId::kIke) {
    if (p.esn.empty()) add(TransformType::kEsn, static_cast<uint16_t>(EsnId::kNoEsn));
    for (EsnId e : p.esn) add(TransformType::kEsn, static_cast<uint16_t>(e));
  }
  return out;
}

ProposalList FromConfigProposals(const std::vector<ike::Proposal>& list) {
  ProposalList out;
  for (const auto& p : list) out.push_back(FromConfigProposal(p));
  return out;
}

}  // namespace ike::engine
