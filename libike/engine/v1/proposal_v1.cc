#include "libike/engine/v1/proposal_v1.h"

#include "libike/crypto/key_exchange.h"

namespace ike::engine::v1 {

namespace isakmp = ::ike::v1;
using isakmp::DataAttribute;
using isakmp::IpsecAttr;
using isakmp::Phase1Attr;

namespace {

std::optional<isakmp::Phase1Hash> HashFromPrf(uint16_t prf) {
  switch (static_cast<PrfId>(prf)) {
    case PrfId::kHmacSha1: return isakmp::Phase1Hash::kSha1;
    case PrfId::kHmacSha2_256: return isakmp::Phase1Hash::kSha2_256;
    case PrfId::kHmacSha2_384: return isakmp::Phase1Hash::kSha2_384;
    case PrfId::kHmacSha2_512: return isakmp::Phase1Hash::kSha2_512;
    default: return std::nullopt;
  }
}

std::optional<isakmp::Phase1Hash> HashFromInteg(uint16_t integ) {
  switch (static_cast<IntegId>(integ)) {
    case IntegId::kHmacSha1_96: return isakmp::Phase1Hash::kSha1;
    case IntegId::kHmacSha2_256_128: return isakmp::Phase1Hash::kSha2_256;
    case IntegId::kHmacSha2_384_192: return isakmp::Phase1Hash::kSha2_384;
    case IntegId::kHmacSha2_512_256: return isakmp::Phase1Hash::kSha2_512;
    default: return std::nullopt;
  }
}

bool SupportedHash(uint16_t h) {
  return h == static_cast<uint16_t>(isakmp::Phase1Hash::kSha1) ||
         (h >= static_cast<uint16_t>(isakmp::Phase1Hash::kSha2_256) &&
          h <= static_cast<uint16_t>(isakmp::Phase1Hash::kSha2_512));
}

uint16_t U16(Phase1Attr a) { return static_cast<uint16_t>(a); }
uint16_t U16(IpsecAttr a) { return static_cast<uint16_t>(a); }

const char* HashName(isakmp::Phase1Hash h) {
  switch (h) {
    case isakmp::Phase1Hash::kSha1: return "SHA1";
    case isakmp::Phase1Hash::kSha2_256: return "SHA2_256";
    case isakmp::Phase1Hash::kSha2_384: return "SHA2_384";
    case isakmp::Phase1Hash::kSha2_512: return "SHA2_512";
    default: return "HASH?";
  }
}

// Life Type / Life Duration pairs (RFC 2409 appendix A, RFC 2407 4.5):
// the duration in seconds, if one was given.
std::optional<uint32_t> LifeSeconds(const std::vector<DataAttribute>& attrs, uint16_t type_attr,
                                    uint16_t duration_attr, bool* bad) {
  std::optional<uint32_t> secs;
  uint16_t life_type = 0;
  for (const auto& a : attrs) {
    if (a.type == type_attr) {
      life_type = a.tv_value;
    } else if (a.type == duration_attr) {
      auto v = a.IntegerValue();
      if (!v) {
        *bad = true;
        return std::nullopt;
      }
      if (life_type == static_cast<uint16_t>(isakmp::LifeType::kSeconds)) {
        secs = static_cast<uint32_t>(std::min<uint64_t>(*v, 0xffffffffu));
      }
    }
  }
  return secs;
}

}  // namespace

std::string Phase1Transform::ToString() const {
  std::string s = encr == isakmp::Phase1Encr::k3DesCbc ? "3DES_CBC"
                                                        : "AES_CBC_" + std::to_string(key_bits);
  s += "/";
  s += HashName(hash);
  s += "/GROUP_" + std::to_string(static_cast<unsigned>(group));
  return s;
}

std::vector<Phase1Transform> Phase1Offer(const ProposalList& ike, uint16_t auth_method,
                                         uint32_t life_s) {
  std::vector<Phase1Transform> out;
  for (const Proposal& p : ike) {
    std::vector<std::pair<isakmp::Phase1Encr, uint16_t>> encrs;
    std::vector<isakmp::Phase1Hash> hashes;
    std::vector<KeGroup> groups;
    for (const Transform& t : p.transforms) {
      if (t.type == TransformType::kEncr) {
        if (t.id == static_cast<uint16_t>(EncrId::kAesCbc)) {
          encrs.push_back({isakmp::Phase1Encr::kAesCbc, t.key_length ? t.key_length : 128});
        } else if (t.id == static_cast<uint16_t>(EncrId::k3Des)) {
          encrs.push_back({isakmp::Phase1Encr::k3DesCbc, 0});
        }
      } else if (t.type == TransformType::kPrf) {
        if (auto h = HashFromPrf(t.id)) hashes.push_back(*h);
      } else if (t.type == TransformType::kKe) {
        auto g = static_cast<KeGroup>(t.id);
        if (g != KeGroup::kNone && crypto::KeyExchange::IsSupported(g)) groups.push_back(g);
      }
    }
    if (hashes.empty()) {
      for (const Transform& t : p.transforms) {
        if (t.type != TransformType::kInteg) continue;
        if (auto h = HashFromInteg(t.id)) hashes.push_back(*h);
      }
    }
    for (auto [e, bits] : encrs) {
      for (auto h : hashes) {
        for (KeGroup g : groups) {
          Phase1Transform t{e, bits, h, auth_method, g, life_s};
          bool dup = false;
          for (const auto& o : out) dup = dup || o.SameSuite(t);
          if (!dup) out.push_back(t);
        }
      }
    }
  }
  return out;
}

isakmp::SaPayload EncodePhase1Sa(const std::vector<Phase1Transform>& offer) {
  isakmp::SaPayload sa;
  isakmp::Proposal prop;
  prop.number = 1;
  prop.protocol = isakmp::ProtocolId::kIsakmp;
  uint8_t n = 1;
  for (const auto& t : offer) {
    isakmp::Transform tr;
    tr.number = n++;
    tr.id = isakmp::kKeyIke;
    tr.attributes.push_back(
        DataAttribute::Tv(U16(Phase1Attr::kEncryptionAlgorithm), static_cast<uint16_t>(t.encr)));
    if (t.key_bits) tr.attributes.push_back(DataAttribute::Tv(U16(Phase1Attr::kKeyLength), t.key_bits));
    tr.attributes.push_back(
        DataAttribute::Tv(U16(Phase1Attr::kHashAlgorithm), static_cast<uint16_t>(t.hash)));
    tr.attributes.push_back(DataAttribute::Tv(U16(Phase1Attr::kAuthenticationMethod), t.auth));
    tr.attributes.push_back(
        DataAttribute::Tv(U16(Phase1Attr::kGroupDescription), static_cast<uint16_t>(t.group)));
    if (t.life_s) {
      tr.attributes.push_back(DataAttribute::Tv(
          U16(Phase1Attr::kLifeType), static_cast<uint16_t>(isakmp::LifeType::kSeconds)));
      tr.attributes.push_back(DataAttribute::Integer(U16(Phase1Attr::kLifeDuration), t.life_s));
    }
    prop.transforms.push_back(std::move(tr));
  }
  sa.proposals.push_back(std::move(prop));
  return sa;
}

std::optional<Phase1Transform> ParsePhase1Transform(const isakmp::Transform& t) {
  if (t.id != isakmp::kKeyIke) return std::nullopt;
  Phase1Transform out;
  bool have_encr = false, have_hash = false, have_auth = false, have_group = false;
  out.key_bits = 0;
  for (const auto& a : t.attributes) {
    switch (static_cast<Phase1Attr>(a.type)) {
      case Phase1Attr::kEncryptionAlgorithm:
        out.encr = static_cast<isakmp::Phase1Encr>(a.tv_value);
        have_encr = a.format == DataAttribute::Format::kTv;
        break;
      case Phase1Attr::kKeyLength: out.key_bits = a.tv_value; break;
      case Phase1Attr::kHashAlgorithm:
        out.hash = static_cast<isakmp::Phase1Hash>(a.tv_value);
        have_hash = SupportedHash(a.tv_value);
        break;
      case Phase1Attr::kAuthenticationMethod:
        out.auth = a.tv_value;
        have_auth = true;
        break;
      case Phase1Attr::kGroupDescription:
        out.group = static_cast<KeGroup>(a.tv_value);
        have_group = true;
        break;
      case Phase1Attr::kLifeType:
      case Phase1Attr::kLifeDuration:
        break;
      case Phase1Attr::kPrf:  // no PRF attribute is defined: unsupported
      default:
        if (a.type >= U16(Phase1Attr::kGroupType) && a.type <= U16(Phase1Attr::kGroupCurveB)) {
          return std::nullopt;  // private groups
        }
        if (a.type == U16(Phase1Attr::kPrf)) return std::nullopt;
        break;
    }
  }
  if (!have_encr || !have_hash || !have_auth || !have_group) return std::nullopt;
  if (out.encr == isakmp::Phase1Encr::kAesCbc) {
    if (out.key_bits == 0) out.key_bits = 128;
    if (out.key_bits != 128 && out.key_bits != 192 && out.key_bits != 256) return std::nullopt;
  } else if (out.encr == isakmp::Phase1Encr::k3DesCbc) {
    out.key_bits = 0;
  } else {
    return std::nullopt;
  }
  if (!crypto::KeyExchange::IsSupported(out.group)) return std::nullopt;
  bool bad = false;
  auto life = LifeSeconds(t.attributes, U16(Phase1Attr::kLifeType), U16(Phase1Attr::kLifeDuration),
                          &bad);
  if (bad) return std::nullopt;
  out.life_s = life.value_or(0);
  return out;
}

std::optional<Phase1Choice> SelectPhase1(const isakmp::SaPayload& offered,
                                         const std::vector<Phase1Transform>& ours) {
  if (offered.doi != isakmp::kDoiIpsec || offered.proposals.empty()) return std::nullopt;
  const isakmp::Proposal& prop = offered.proposals.front();
  if (prop.protocol != isakmp::ProtocolId::kIsakmp) return std::nullopt;
  for (const auto& mine : ours) {
    for (const auto& t : prop.transforms) {
      auto parsed = ParsePhase1Transform(t);
      if (!parsed || !parsed->SameSuite(mine)) continue;
      Phase1Choice c;
      c.chosen = *parsed;
      c.reply.doi = offered.doi;
      c.reply.situation = offered.situation;
      isakmp::Proposal rp;
      rp.number = prop.number;
      rp.protocol = prop.protocol;
      rp.spi = prop.spi;
      rp.transforms.push_back(t);
      c.reply.proposals.push_back(std::move(rp));
      return c;
    }
  }
  return std::nullopt;
}

std::optional<Phase1Transform> CheckPhase1Reply(const isakmp::SaPayload& reply,
                                                const std::vector<Phase1Transform>& ours) {
  if (reply.proposals.size() != 1 || reply.proposals[0].transforms.size() != 1) return std::nullopt;
  auto parsed = ParsePhase1Transform(reply.proposals[0].transforms[0]);
  if (!parsed) return std::nullopt;
  for (const auto& mine : ours) {
    if (mine.SameSuite(*parsed)) return parsed;
  }
  return std::nullopt;
}

std::optional<IntegId> IntegFromAuthAlg(uint16_t auth_alg) {
  switch (static_cast<isakmp::IpsecAuthAlg>(auth_alg)) {
    case isakmp::IpsecAuthAlg::kHmacMd5: return IntegId::kHmacMd5_96;
    case isakmp::IpsecAuthAlg::kHmacSha1: return IntegId::kHmacSha1_96;
    case isakmp::IpsecAuthAlg::kHmacSha2_256: return IntegId::kHmacSha2_256_128;
    case isakmp::IpsecAuthAlg::kHmacSha2_384: return IntegId::kHmacSha2_384_192;
    case isakmp::IpsecAuthAlg::kHmacSha2_512: return IntegId::kHmacSha2_512_256;
    case isakmp::IpsecAuthAlg::kAesXcbcMac: return IntegId::kAesXcbc96;
    default: return std::nullopt;
  }
}

std::optional<uint16_t> AuthAlgFromInteg(IntegId integ) {
  isakmp::IpsecAuthAlg a;
  switch (integ) {
    case IntegId::kHmacMd5_96: a = isakmp::IpsecAuthAlg::kHmacMd5; break;
    case IntegId::kHmacSha1_96: a = isakmp::IpsecAuthAlg::kHmacSha1; break;
    case IntegId::kHmacSha2_256_128: a = isakmp::IpsecAuthAlg::kHmacSha2_256; break;
    case IntegId::kHmacSha2_384_192: a = isakmp::IpsecAuthAlg::kHmacSha2_384; break;
    case IntegId::kHmacSha2_512_256: a = isakmp::IpsecAuthAlg::kHmacSha2_512; break;
    case IntegId::kAesXcbc96: a = isakmp::IpsecAuthAlg::kAesXcbcMac; break;
    default: return std::nullopt;
  }
  return static_cast<uint16_t>(a);
}

Proposal ChildProposal::ToEngine(uint32_t spi) const {
  Proposal p;
  p.number = proposal_number;
  p.protocol = ProtocolId::kEsp;
  p.spi = {static_cast<uint8_t>(spi >> 24), static_cast<uint8_t>(spi >> 16),
           static_cast<uint8_t>(spi >> 8), static_cast<uint8_t>(spi)};
  p.transforms.push_back(Transform{TransformType::kEncr, static_cast<uint16_t>(encr), key_bits});
  if (integ != IntegId::kNone) {
    p.transforms.push_back(Transform{TransformType::kInteg, static_cast<uint16_t>(integ), 0});
  }
  if (pfs != KeGroup::kNone) {
    p.transforms.push_back(Transform{TransformType::kKe, static_cast<uint16_t>(pfs), 0});
  }
  p.transforms.push_back(
      Transform{TransformType::kEsn, static_cast<uint16_t>(EsnId::kNoEsn), 0});
  return p;
}

namespace {
bool IsAeadEncr(EncrId e) {
  return e == EncrId::kAesGcm8 || e == EncrId::kAesGcm12 || e == EncrId::kAesGcm16;
}
bool SupportedChildEncr(EncrId e) {
  return e == EncrId::kAesCbc || e == EncrId::k3Des || e == EncrId::kAesCtr || IsAeadEncr(e);
}
}  // namespace

std::vector<ChildProposal> ChildOffer(const ProposalList& esp, uint16_t encap, uint32_t life_s) {
  std::vector<ChildProposal> out;
  uint8_t pn = 1;
  for (const Proposal& p : esp) {
    std::vector<std::pair<EncrId, uint16_t>> encrs;
    std::vector<IntegId> integs;
    KeGroup pfs = KeGroup::kNone;
    for (const Transform& t : p.transforms) {
      if (t.type == TransformType::kEncr && SupportedChildEncr(static_cast<EncrId>(t.id))) {
        encrs.push_back({static_cast<EncrId>(t.id), t.key_length});
      } else if (t.type == TransformType::kInteg && AuthAlgFromInteg(static_cast<IntegId>(t.id))) {
        integs.push_back(static_cast<IntegId>(t.id));
      } else if (t.type == TransformType::kKe && pfs == KeGroup::kNone &&
                 t.id != static_cast<uint16_t>(KeGroup::kNone)) {
        pfs = static_cast<KeGroup>(t.id);
      }
    }
    uint8_t tn = 1;
    size_t before = out.size();
    for (auto [e, bits] : encrs) {
      if (IsAeadEncr(e)) {
        out.push_back({e, bits, IntegId::kNone, pfs, encap, life_s, pn, tn++});
        continue;
      }
      for (IntegId i : integs) out.push_back({e, bits, i, pfs, encap, life_s, pn, tn++});
    }
    if (out.size() > before) ++pn;
  }
  return out;
}

namespace {
isakmp::Transform EncodeChildTransform(const ChildProposal& c) {
  isakmp::Transform tr;
  tr.number = c.transform_number;
  tr.id = static_cast<uint8_t>(c.encr);
  if (c.life_s) {
    tr.attributes.push_back(DataAttribute::Tv(U16(IpsecAttr::kSaLifeType),
                                              static_cast<uint16_t>(isakmp::LifeType::kSeconds)));
    tr.attributes.push_back(DataAttribute::Integer(U16(IpsecAttr::kSaLifeDuration), c.life_s));
  }
  if (c.pfs != KeGroup::kNone) {
    tr.attributes.push_back(
        DataAttribute::Tv(U16(IpsecAttr::kGroupDescription), static_cast<uint16_t>(c.pfs)));
  }
  tr.attributes.push_back(DataAttribute::Tv(U16(IpsecAttr::kEncapsulationMode), c.encap));
  if (c.integ != IntegId::kNone) {
    tr.attributes.push_back(DataAttribute::Tv(U16(IpsecAttr::kAuthAlgorithm), *AuthAlgFromInteg(c.integ)));
  }
  if (c.key_bits) tr.attributes.push_back(DataAttribute::Tv(U16(IpsecAttr::kKeyLength), c.key_bits));
  return tr;
}
}  // namespace

isakmp::SaPayload EncodeChildSa(const std::vector<ChildProposal>& offer, uint32_t spi) {
  isakmp::SaPayload sa;
  Bytes spi_b = {static_cast<uint8_t>(spi >> 24), static_cast<uint8_t>(spi >> 16),
                 static_cast<uint8_t>(spi >> 8), static_cast<uint8_t>(spi)};
  for (const auto& c : offer) {
    if (sa.proposals.empty() || sa.proposals.back().number != c.proposal_number) {
      isakmp::Proposal p;
      p.number = c.proposal_number;
      p.protocol = isakmp::ProtocolId::kEsp;
      p.spi = spi_b;
      sa.proposals.push_back(std::move(p));
    }
    sa.proposals.back().transforms.push_back(EncodeChildTransform(c));
  }
  return sa;
}

std::optional<ChildProposal> ParseChildTransform(const isakmp::Transform& t) {
  ChildProposal c;
  c.encr = static_cast<EncrId>(t.id);
  if (!SupportedChildEncr(c.encr)) return std::nullopt;
  c.key_bits = 0;
  c.integ = IntegId::kNone;
  c.encap = 0;
  c.transform_number = t.number;
  for (const auto& a : t.attributes) {
    switch (static_cast<IpsecAttr>(a.type)) {
      case IpsecAttr::kGroupDescription: c.pfs = static_cast<KeGroup>(a.tv_value); break;
      case IpsecAttr::kEncapsulationMode: c.encap = a.tv_value; break;
      case IpsecAttr::kAuthAlgorithm: {
        auto i = IntegFromAuthAlg(a.tv_value);
        if (!i) return std::nullopt;
        c.integ = *i;
        break;
      }
      case IpsecAttr::kKeyLength: c.key_bits = a.tv_value; break;
      case IpsecAttr::kSaLifeType:
      case IpsecAttr::kSaLifeDuration:
        break;
      case IpsecAttr::kExtendedSequenceNumber:
        if (a.tv_value != 0) return std::nullopt;
        break;
      default:
        return std::nullopt;
    }
  }
  if (c.encr == EncrId::kAesCbc || c.encr == EncrId::kAesCtr || IsAeadEncr(c.encr)) {
    if (c.key_bits == 0) c.key_bits = 128;
  }
  if (!IsAeadEncr(c.encr) && c.integ == IntegId::kNone) return std::nullopt;
  if (IsAeadEncr(c.encr) && c.integ != IntegId::kNone) return std::nullopt;
  bool bad = false;
  auto life = LifeSeconds(t.attributes, U16(IpsecAttr::kSaLifeType),
                          U16(IpsecAttr::kSaLifeDuration), &bad);
  if (bad) return std::nullopt;
  c.life_s = life.value_or(0);
  return c;
}

namespace {
bool SameMode(uint16_t a, uint16_t b) {
  auto norm = [](uint16_t m) -> uint16_t {
    switch (m) {
      case 3: case 61443: return 1;
      case 4: case 61444: return 2;
      default: return m;
    }
  };
  return norm(a) == norm(b);
}
}  // namespace

std::optional<ChildChoice> SelectChild(const isakmp::SaPayload& offered,
                                       const std::vector<ChildProposal>& ours) {
  if (offered.doi != isakmp::kDoiIpsec) return std::nullopt;
  for (const auto& mine : ours) {
    for (size_t i = 0; i < offered.proposals.size(); ++i) {
      const auto& prop = offered.proposals[i];
      // AND-ed suites (two proposals with one number) are not supported.
      bool anded = (i > 0 && offered.proposals[i - 1].number == prop.number) ||
                   (i + 1 < offered.proposals.size() && offered.proposals[i + 1].number == prop.number);
      if (anded || prop.protocol != isakmp::ProtocolId::kEsp || prop.spi.size() != 4) continue;
      for (const auto& t : prop.transforms) {
        auto parsed = ParseChildTransform(t);
        if (!parsed || !parsed->SameSuite(mine) || !SameMode(parsed->encap, mine.encap)) continue;
        ChildChoice c;
        c.chosen = *parsed;
        c.chosen.proposal_number = prop.number;
        c.peer_spi = uint32_t{prop.spi[0]} << 24 | uint32_t{prop.spi[1]} << 16 |
                     uint32_t{prop.spi[2]} << 8 | prop.spi[3];
        c.peer_proposal = prop;
        c.peer_proposal.transforms = {t};
        return c;
      }
    }
  }
  return std::nullopt;
}

std::optional<ChildChoice> CheckChildReply(const isakmp::SaPayload& reply,
                                           const std::vector<ChildProposal>& ours) {
  if (reply.proposals.size() != 1 || reply.proposals[0].transforms.size() != 1) return std::nullopt;
  const auto& prop = reply.proposals[0];
  if (prop.protocol != isakmp::ProtocolId::kEsp || prop.spi.size() != 4) return std::nullopt;
  auto parsed = ParseChildTransform(prop.transforms[0]);
  if (!parsed) return std::nullopt;
  for (const auto& mine : ours) {
    if (!mine.SameSuite(*parsed) || !SameMode(parsed->encap, mine.encap)) continue;
    ChildChoice c;
    c.chosen = *parsed;
    c.peer_spi = uint32_t{prop.spi[0]} << 24 | uint32_t{prop.spi[1]} << 16 |
                 uint32_t{prop.spi[2]} << 8 | prop.spi[3];
    c.peer_proposal = prop;
    return c;
  }
  return std::nullopt;
}

}  // namespace ike::engine::v1
