// Feeds arbitrary datagrams into IKE engines: a fresh responder, and both
// ends of an established IKE_SA (with the SPIs patched in so the input
// reaches the SA's decryption and exchange logic). Nothing may crash, and
// an established SA must survive whatever arrives.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <deque>

#include "libike/crypto/rng.h"
#include "libike/engine/engine.h"

namespace {

using namespace ike;
using namespace ike::engine;

class CountingSpis final : public SpiAllocator {
 public:
  Result<uint32_t, std::string> AllocateSpi(const IpAddress&, const IpAddress&, ProtocolId,
                                            uint32_t) override {
    return next_++;
  }
  uint32_t next_ = 0xc0000001;
};

Proposal Make(ProtocolId proto, std::vector<Transform> t) {
  return Proposal{1, proto, {}, std::move(t)};
}

PeerConfig Config(const char* local, const char* remote, const char* lid, const char* rid) {
  PeerConfig c;
  c.name = "gw";
  c.local = Endpoint{*IpAddress::Parse(local), 500};
  c.remote = Endpoint{*IpAddress::Parse(remote), 500};
  c.ike_proposals = {Make(ProtocolId::kIke,
                          {{TransformType::kEncr, static_cast<uint16_t>(EncrId::kAesGcm16), 128},
                           {TransformType::kPrf, static_cast<uint16_t>(PrfId::kHmacSha2_256), 0},
                           {TransformType::kKe, static_cast<uint16_t>(KeGroup::kCurve25519), 0}})};
  c.local_auth.id = *Identity::Parse(lid);
  c.local_auth.psk = SecretBytes(AsBytes("fuzz-secret-fuzz-secret"));
  c.remote_auth.id = *Identity::Parse(rid);
  c.remote_auth.psk = SecretBytes(AsBytes("fuzz-secret-fuzz-secret"));
  ChildConfig child;
  child.name = "net";
  child.local_ts = {*TrafficSelector::Parse(local)};
  child.remote_ts = {*TrafficSelector::Parse(remote)};
  child.esp_proposals = {Make(ProtocolId::kEsp,
                              {{TransformType::kEncr, static_cast<uint16_t>(EncrId::kAesGcm16), 128},
                               {TransformType::kEsn, 0, 0}})};
  c.children.push_back(child);
  return c;
}

struct Node {
  explicit Node(uint64_t seed) : rng(seed), engine(Env{rng, spis}) {}
  crypto::DeterministicRng rng;
  CountingSpis spis;
  Engine engine;
};

struct World {
  Node a{1}, b{2};
  TimePoint now{0};
  World() {
    a.engine.AddConfig(Config("192.0.2.1", "198.51.100.2", "a.example", "b.example"));
    b.engine.AddConfig(Config("198.51.100.2", "192.0.2.1", "b.example", "a.example"));
    std::deque<std::pair<Node*, Datagram>> q;
    auto run = [&](Node& from, Effects fx) {
      for (auto& e : fx) {
        if (auto* s = std::get_if<SendDatagram>(&e)) {
          q.emplace_back(&from == &a ? &b : &a, Datagram{s->from, s->to, s->bytes});
        }
      }
    };
    run(a, a.engine.Handle(Command{InitiateCommand{"gw", ""}}, now));
    for (int i = 0; i < 10 && !q.empty(); ++i) {
      auto [to, dg] = q.front();
      q.pop_front();
      run(*to, to->engine.Handle(dg, now));
    }
    if (!a.engine.FindEstablished("gw") || !b.engine.FindEstablished("gw")) std::abort();
  }
};

void Patch(Bytes& d, size_t offset, const IkeSa& sa, bool to_responder) {
  if (d.size() < offset + 28) return;
  for (int i = 0; i < 8; ++i) {
    d[offset + i] = static_cast<uint8_t>(sa.spi_i() >> (56 - 8 * i));
    d[offset + 8 + i] = static_cast<uint8_t>(sa.spi_r() >> (56 - 8 * i));
  }
  d[offset + 17] = 0x20;  // version 2.0
  uint8_t flags = d[offset + 19] & ~0x08;
  if (to_responder) flags |= 0x08;
  d[offset + 19] = flags;
  uint32_t len = static_cast<uint32_t>(d.size() - offset);
  d[offset + 24] = static_cast<uint8_t>(len >> 24);
  d[offset + 25] = static_cast<uint8_t>(len >> 16);
  d[offset + 26] = static_cast<uint8_t>(len >> 8);
  d[offset + 27] = static_cast<uint8_t>(len);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  uint8_t mode = data[0];
  Bytes body(data + 1, data + size);
  World w;
  bool to_b = !(mode & 1);
  Node& target = to_b ? w.b : w.a;
  const IkeSa* sa = target.engine.FindEstablished("gw");
  bool nat_t = mode & 4;
  Bytes dg;
  if (nat_t) dg.assign(4, 0);
  size_t offset = dg.size();
  dg.insert(dg.end(), body.begin(), body.end());
  if (mode & 2) Patch(dg, offset, *sa, to_b);
  Endpoint from{*IpAddress::Parse(to_b ? "192.0.2.1" : "198.51.100.2"),
                static_cast<uint16_t>(nat_t ? 4500 : 500)};
  Endpoint to{*IpAddress::Parse(to_b ? "198.51.100.2" : "192.0.2.1"),
              static_cast<uint16_t>(nat_t ? 4500 : 500)};
  (void)target.engine.Handle(Datagram{from, to, dg}, TimePoint(1));
  // Nothing unauthenticated may take an established IKE_SA down.
  if (!target.engine.FindEstablished("gw")) std::abort();
  // Drive any timers the input may have armed to completion.
  for (int i = 0; i < 3; ++i) {
    for (const IkeSa* s : target.engine.sas()) {
      (void)target.engine.Handle(TimerFired{TimerId{s->id(), TimerKind::kRetransmit, 0}},
                                 TimePoint(100000 * (i + 1)));
    }
  }
  return 0;
}
