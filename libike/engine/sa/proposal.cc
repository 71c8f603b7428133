#include "libike/engine/sa/proposal.h"

#include <algorithm>
#include <array>

namespace ike::engine {

std::optional<Transform> Proposal::Get(TransformType type) const {
  for (const auto& t : transforms) {
    if (t.type == type) return t;
  }
  return std::nullopt;
}

bool Proposal::Has(TransformType type, uint16_t id) const {
  return std::any_of(transforms.begin(), transforms.end(),
                     [&](const Transform& t) { return t.type == type && t.id == id; });
}

std::vector<KeGroup> Proposal::KeGroups() const {
  std::vector<KeGroup> out;
  for (const auto& t : transforms) {
    if (t.type == TransformType::kKe && t.id != 0) out.push_back(static_cast<KeGroup>(t.id));
  }
  return out;
}

KeGroup Proposal::ke() const {
  auto t = Get(TransformType::kKe);
  return t ? static_cast<KeGroup>(t->id) : KeGroup::kNone;
}

std::string Proposal::ToString() const {
  static constexpr const char* kProto[] = {"NONE", "IKE", "AH", "ESP"};
  static constexpr const char* kType[] = {"?", "ENCR", "PRF", "INTEG", "KE", "ESN"};
  std::string out = static_cast<unsigned>(protocol) < 4 ? kProto[static_cast<unsigned>(protocol)]
                                                        : "?";
  out += ":";
  bool first = true;
  for (const auto& t : transforms) {
    if (!first) out += "/";
    first = false;
    unsigned ty = static_cast<unsigned>(t.type);
    out += ty < 6 ? kType[ty] : "?";
    out += "_" + std::to_string(t.id);
    if (t.key_length) out += "_" + std::to_string(t.key_length);
  }
  return out;
}

namespace {

constexpr std::array<TransformType, 5> kTypes = {TransformType::kEncr, TransformType::kPrf,
                                                 TransformType::kInteg, TransformType::kKe,
                                                 TransformType::kEsn};

// Transforms of one type, with the implicit "NONE" defaults RFC 7296 allows
// to be omitted (no integrity with AEAD, no KE for a child without PFS, no
// ESN).
std::vector<Transform> OfType(const Proposal& p, TransformType type, bool ignore_ke) {
  std::vector<Transform> out;
  if (type == TransformType::kKe && ignore_ke) return out;
  for (const auto& t : p.transforms) {
    if (t.type == type) out.push_back(t);
  }
  if (out.empty() && p.protocol != ProtocolId::kIke) {
    if (type == TransformType::kInteg || type == TransformType::kKe ||
        type == TransformType::kEsn) {
      out.push_back(Transform{type, 0, 0});
    }
  }
  if (out.empty() && p.protocol == ProtocolId::kIke && type == TransformType::kInteg) {
    out.push_back(Transform{type, 0, 0});  // AEAD IKE proposals carry no INTEG
  }
  return out;
}

std::optional<Proposal> Match(const Proposal& ours, const Proposal& theirs, bool ignore_ke,
                              bool prefer_ours) {
  if (ours.protocol != theirs.protocol) return std::nullopt;
  Proposal sel;
  sel.number = theirs.number;
  sel.protocol = theirs.protocol;
  sel.spi = theirs.spi;
  for (TransformType type : kTypes) {
    auto a = OfType(ours, type, ignore_ke);
    auto b = OfType(theirs, type, ignore_ke);
    if (a.empty() && b.empty()) continue;
    const auto& first = prefer_ours ? a : b;
    const auto& second = prefer_ours ? b : a;
    std::optional<Transform> chosen;
    for (const auto& t : first) {
      if (std::find(second.begin(), second.end(), t) != second.end()) {
        chosen = t;
        break;
      }
    }
    if (!chosen) return std::nullopt;
    // Implicit NONE values are not echoed, except ESN which ESP always
    // carries (strongSwan does the same).
    bool implicit_none = chosen->id == 0 && (type == TransformType::kInteg ||
                                             type == TransformType::kKe);
    if (!implicit_none) sel.transforms.push_back(*chosen);
  }
  return sel;
}

}  // namespace

std::optional<Proposal> SelectProposal(const ProposalList& offered,
                                       const ProposalList& configured,
                                       const SelectOptions& options) {
  if (options.prefer_configured) {
    for (const auto& ours : configured) {
      for (const auto& theirs : offered) {
        if (auto m = Match(ours, theirs, options.ignore_ke, true)) return m;
      }
    }
  } else {
    for (const auto& theirs : offered) {
      for (const auto& ours : configured) {
        if (auto m = Match(ours, theirs, options.ignore_ke, false)) return m;
      }
    }
  }
  return std::nullopt;
}

std::optional<size_t> ValidateSelected(const Proposal& selected, const ProposalList& offered,
                                       bool ignore_ke) {
  for (size_t i = 0; i < offered.size(); ++i) {
    const Proposal& p = offered[i];
    if (p.number != selected.number || p.protocol != selected.protocol) continue;
    // Exactly one transform of each type, each of which we offered.
    for (TransformType type : kTypes) {
      auto got = OfType(selected, type, ignore_ke);
      auto ours = OfType(p, type, ignore_ke);
      if (got.size() > 1) return std::nullopt;
      if (got.empty() && ours.empty()) continue;
      if (got.empty() || std::find(ours.begin(), ours.end(), got[0]) == ours.end()) {
        return std::nullopt;
      }
    }
    return i;
  }
  return std::nullopt;
}

Proposal WithoutKe(const Proposal& p) {
  Proposal out = p;
  out.transforms.erase(std::remove_if(out.transforms.begin(), out.transforms.end(),
                                      [](const Transform& t) { return t.type == TransformType::kKe; }),
                       out.transforms.end());
  return out;
}

bool OffersGroup(const ProposalList& configured, KeGroup group) {
  return std::any_of(configured.begin(), configured.end(), [&](const Proposal& p) {
    return p.Has(TransformType::kKe, static_cast<uint16_t>(group));
  });
}

void Finalize(ProposalList& list, ProtocolId protocol, ByteView spi) {
  uint8_t n = 1;
  for (auto& p : list) {
    p.number = n++;
    p.protocol = protocol;
    p.spi.assign(spi.begin(), spi.end());
  }
}

}  // namespace ike::engine
