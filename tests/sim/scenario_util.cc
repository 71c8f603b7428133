#include "tests/sim/scenario_util.h"

namespace ike::sim {

using engine::Proposal;
using engine::Transform;

engine::Proposal IkeProposal(EncrId encr, uint16_t bits, PrfId prf, IntegId integ,
                             std::vector<KeGroup> groups) {
  Proposal p;
  p.protocol = ProtocolId::kIke;
  p.transforms.push_back(Transform{TransformType::kEncr, static_cast<uint16_t>(encr), bits});
  if (integ != IntegId::kNone) {
    p.transforms.push_back(Transform{TransformType::kInteg, static_cast<uint16_t>(integ), 0});
  }
  p.transforms.push_back(Transform{TransformType::kPrf, static_cast<uint16_t>(prf), 0});
  for (KeGroup g : groups) {
    p.transforms.push_back(Transform{TransformType::kKe, static_cast<uint16_t>(g), 0});
  }
  return p;
}

engine::Proposal EspProposal(EncrId encr, uint16_t bits, IntegId integ, std::vector<KeGroup> pfs) {
  Proposal p;
  p.protocol = ProtocolId::kEsp;
  p.transforms.push_back(Transform{TransformType::kEncr, static_cast<uint16_t>(encr), bits});
  if (integ != IntegId::kNone) {
    p.transforms.push_back(Transform{TransformType::kInteg, static_cast<uint16_t>(integ), 0});
  }
  for (KeGroup g : pfs) {
    p.transforms.push_back(Transform{TransformType::kKe, static_cast<uint16_t>(g), 0});
  }
  p.transforms.push_back(Transform{TransformType::kEsn, static_cast<uint16_t>(EsnId::kNoEsn), 0});
  return p;
}

engine::ProposalList DefaultIke() {
  return {IkeProposal(EncrId::kAesGcm16, 256, PrfId::kHmacSha2_384, IntegId::kNone,
                      {KeGroup::kCurve25519, KeGroup::kEcp256}),
          IkeProposal(EncrId::kAesCbc, 128, PrfId::kHmacSha2_256, IntegId::kHmacSha2_256_128,
                      {KeGroup::kModp2048})};
}

engine::ProposalList DefaultEsp() {
  return {EspProposal(EncrId::kAesGcm16, 256, IntegId::kNone),
          EspProposal(EncrId::kAesCbc, 128, IntegId::kHmacSha2_256_128)};
}

engine::PeerConfig PskConfig(const PeerSpec& spec) {
  engine::PeerConfig c;
  c.name = spec.name;
  c.local = Endpoint{spec.local, 500};
  c.remote = Endpoint{spec.remote, 500};
  c.ike_proposals = DefaultIke();
  c.mobike = spec.mobike;
  c.local_auth.kind = engine::AuthKind::kPsk;
  c.local_auth.id = *engine::Identity::Parse(spec.local_id);
  c.local_auth.psk = SecretBytes(AsBytes(spec.psk));
  c.remote_auth.kind = engine::AuthKind::kPsk;
  c.remote_auth.id = *engine::Identity::Parse(spec.remote_id);
  c.remote_auth.psk = SecretBytes(AsBytes(spec.psk));
  engine::ChildConfig child;
  child.name = spec.name + "-net";
  child.local_ts = spec.local_ts;
  child.remote_ts = spec.remote_ts;
  child.mode = spec.mode;
  child.esp_proposals = DefaultEsp();
  c.children.push_back(child);
  return c;
}

PeerSpec MoonSpec() {
  PeerSpec s;
  s.name = "gw";
  s.local = Ip("192.0.2.1");
  s.remote = Ip("198.51.100.2");
  s.local_id = "moon.example.org";
  s.remote_id = "sun.example.org";
  s.local_ts = {Ts("10.1.0.0/16")};
  s.remote_ts = {Ts("10.2.0.0/16")};
  return s;
}

PeerSpec SunSpec() {
  PeerSpec s;
  s.name = "gw";
  s.local = Ip("198.51.100.2");
  s.remote = Ip("192.0.2.1");
  s.local_id = "sun.example.org";
  s.remote_id = "moon.example.org";
  s.local_ts = {Ts("10.2.0.0/16")};
  s.remote_ts = {Ts("10.1.0.0/16")};
  return s;
}

std::string CheckSaPairs(const xfrm::FakeBackend& a, const xfrm::FakeBackend& b) {
  auto check = [](const xfrm::FakeBackend& x, const xfrm::FakeBackend& y,
                  const char* name) -> std::string {
    for (const xfrm::SaParams* out : x.sas()) {
      if (out->direction != xfrm::Direction::kOut) continue;
      const xfrm::SaParams* in = y.FindSa(out->id.spi);
      std::string spi = std::to_string(out->id.spi);
      if (!in || in->direction != xfrm::Direction::kIn) {
        return std::string(name) + ": no peer inbound SA for SPI " + spi;
      }
      if (!ConstantTimeEqual(out->enc_key.view(), in->enc_key.view()) ||
          !ConstantTimeEqual(out->integ_key.view(), in->integ_key.view())) {
        return std::string(name) + ": keys differ for SPI " + spi;
      }
      if (out->encr != in->encr || out->integ != in->integ ||
          out->encr_key_bits != in->encr_key_bits || out->mode != in->mode) {
        return std::string(name) + ": algorithms differ for SPI " + spi;
      }
      if (out->enc_key.empty()) return std::string(name) + ": empty key for SPI " + spi;
    }
    return {};
  };
  std::string r = check(a, b, "a->b");
  if (!r.empty()) return r;
  return check(b, a, "b->a");
}

}  // namespace ike::sim
