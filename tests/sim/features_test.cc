// IKE_SA_INIT cookies (RFC 7296 2.6) and IKE fragmentation (RFC 7383).
#include <gtest/gtest.h>

#include "libike/wire/message.h"
#include "tests/sim/scenario_util.h"

namespace ike::sim {
namespace {

using engine::Drop;

bool BothUp(SimNode& a, SimNode& b) {
  return a.Established("gw") && b.Established("gw") && a.backend().sa_count() == 2 &&
         b.backend().sa_count() == 2;
}

TEST(Cookie, ChallengeUnderLoadThenEstablish) {
  SimNet net(5);
  engine::EngineSettings busy;
  busy.cookie_threshold = 0;  // demand a cookie from everyone
  SimNode& moon = net.AddNode("moon", {Ip("192.0.2.1")});
  SimNode& sun = net.AddNode("sun", {Ip("198.51.100.2")}, busy);
  moon.engine().AddConfig(PskConfig(MoonSpec()));
  sun.engine().AddConfig(PskConfig(SunSpec()));
  net.Initiate(moon, "gw");
  // HDR(A,0), SAi1, KEi, Ni -->
  net.DeliverNext();
  // No state on sun yet: the challenge is stateless.
  EXPECT_TRUE(sun.engine().sas().empty());
  EXPECT_EQ(sun.engine().counters().Get(Drop::kCookieRequired), 1u);
  // <-- HDR(A,0), N(COOKIE)
  net.DeliverNext();
  // HDR(A,0), N(COOKIE), SAi1, KEi, Ni -->
  net.DeliverNext();
  EXPECT_EQ(sun.engine().sas().size(), 1u);
  ASSERT_TRUE(net.RunUntil([&] { return BothUp(moon, sun); }, std::chrono::seconds(10)));
  EXPECT_EQ(CheckSaPairs(moon.backend(), sun.backend()), "");
  // The first payload of the retried request is the COOKIE notify.
  int inits = 0;
  for (const auto& pkt : net.captured()) {
    if (!pkt.is(ExchangeType::kIkeSaInit, false)) continue;
    if (++inits == 2) {
      auto m = wire::DecodeMessage(pkt.bytes);
      ASSERT_TRUE(m);
      const auto* n = std::get_if<wire::NotifyPayload>(&m->payloads.front());
      ASSERT_NE(n, nullptr);
      EXPECT_EQ(n->type, wire::NotifyType::kCookie);
      // ...and it still carries everything the first one did (strongSwan
      // needs NAT-D to agree on ESP-in-UDP, for instance).
      EXPECT_TRUE(m->FindNotify(wire::NotifyType::kNatDetectionSourceIp));
      EXPECT_TRUE(m->FindNotify(wire::NotifyType::kNatDetectionDestinationIp));
      EXPECT_TRUE(m->FindNotify(wire::NotifyType::kIkev2FragmentationSupported));
      EXPECT_TRUE(m->FindNotify(wire::NotifyType::kSignatureHashAlgorithms));
    }
  }
  EXPECT_EQ(inits, 2);
}

TEST(Cookie, ForgedCookieIsChallengedAgain) {
  SimNet net(6);
  engine::EngineSettings busy;
  busy.cookie_threshold = 0;
  SimNode& moon = net.AddNode("moon", {Ip("192.0.2.1")});
  SimNode& sun = net.AddNode("sun", {Ip("198.51.100.2")}, busy);
  moon.engine().AddConfig(PskConfig(MoonSpec()));
  sun.engine().AddConfig(PskConfig(SunSpec()));
  net.AddFilter([](const Packet& pkt) {
    return FilterResult{pkt.is(ExchangeType::kIkeSaInit, true) ? Verdict::kDrop : Verdict::kPass,
                        {}};
  });
  net.Initiate(moon, "gw");
  net.RunFor(std::chrono::milliseconds(50));
  const Packet first = net.captured().front();
  auto m = wire::DecodeMessage(first.bytes);
  ASSERT_TRUE(m);
  m->payloads.insert(m->payloads.begin(),
                     wire::NotifyPayload::Make(wire::NotifyType::kCookie, Bytes(36, 0x42)));
  net.Input(sun, engine::Datagram{first.from, first.to, wire::EncodeMessage(*m)});
  EXPECT_EQ(sun.engine().counters().Get(Drop::kInvalidCookie), 1u);
  EXPECT_TRUE(sun.engine().sas().empty());
}

TEST(HalfOpen, LimitDropsNewInitiators) {
  SimNet net(7);
  engine::EngineSettings tight;
  tight.half_open_limit = 1;
  tight.cookie_threshold = 100;
  SimNode& moon = net.AddNode("moon", {Ip("192.0.2.1")});
  SimNode& sun = net.AddNode("sun", {Ip("198.51.100.2")}, tight);
  moon.engine().AddConfig(PskConfig(MoonSpec()));
  sun.engine().AddConfig(PskConfig(SunSpec()));
  // Only IKE_SA_INIT requests get through: SAs stay half-open.
  net.AddFilter([](const Packet& pkt) {
    return FilterResult{pkt.is(ExchangeType::kIkeSaInit, false) ? Verdict::kPass : Verdict::kDrop,
                        {}};
  });
  net.Initiate(moon, "gw");
  net.Initiate(moon, "gw");
  net.RunFor(std::chrono::milliseconds(50));
  EXPECT_EQ(sun.engine().half_open(), 1u);
  EXPECT_EQ(sun.engine().counters().Get(Drop::kHalfOpenLimit), 1u);
  // Half-open SAs expire.
  net.RunFor(std::chrono::seconds(40));
  EXPECT_EQ(sun.engine().half_open(), 0u);
}

TEST(Fragmentation, SmallFragmentSizeStillEstablishes) {
  Pair p(8);
  auto m = PskConfig(MoonSpec());
  auto s = PskConfig(SunSpec());
  m.fragment_size = s.fragment_size = 160;
  p.moon->engine().AddConfig(std::move(m));
  p.sun->engine().AddConfig(std::move(s));
  p.net.Initiate(*p.moon, "gw");
  ASSERT_TRUE(p.net.RunUntil([&] { return BothUp(*p.moon, *p.sun); }, std::chrono::seconds(10)));
  EXPECT_EQ(CheckSaPairs(p.moon->backend(), p.sun->backend()), "");
  int fragments = 0;
  for (const auto& pkt : p.net.captured()) {
    if (!pkt.is(ExchangeType::kIkeAuth, false)) continue;
    EXPECT_LE(pkt.bytes.size(), 160u);
    auto h = wire::PeekHeader(pkt.bytes);
    ASSERT_TRUE(h);
    EXPECT_EQ(h->next_payload, static_cast<uint8_t>(wire::PayloadType::kSkf));
    ++fragments;
  }
  EXPECT_GE(fragments, 2);
}

TEST(Fragmentation, LossyFragmentsConverge) {
  Pair p(9);
  auto m = PskConfig(MoonSpec());
  auto s = PskConfig(SunSpec());
  m.fragment_size = s.fragment_size = 160;
  m.retransmit.tries = s.retransmit.tries = 12;
  p.moon->engine().AddConfig(std::move(m));
  p.sun->engine().AddConfig(std::move(s));
  p.net.SetLoss(0.2);
  p.net.AddFilter([](const Packet&) { return FilterResult{Verdict::kDuplicate, {}}; });
  p.net.Initiate(*p.moon, "gw");
  ASSERT_TRUE(p.net.RunUntil([&] { return BothUp(*p.moon, *p.sun); }, std::chrono::minutes(10)));
  EXPECT_EQ(CheckSaPairs(p.moon->backend(), p.sun->backend()), "");
}

TEST(Fragmentation, NotUsedWithoutPeerSupport) {
  Pair p(10);
  auto m = PskConfig(MoonSpec());
  auto s = PskConfig(SunSpec());
  m.fragment_size = 160;
  s.fragmentation = false;
  p.moon->engine().AddConfig(std::move(m));
  p.sun->engine().AddConfig(std::move(s));
  p.net.Initiate(*p.moon, "gw");
  ASSERT_TRUE(p.net.RunUntil([&] { return BothUp(*p.moon, *p.sun); }, std::chrono::seconds(10)));
  for (const auto& pkt : p.net.captured()) {
    if (pkt.is(ExchangeType::kIkeAuth, false)) {
      EXPECT_EQ(wire::PeekHeader(pkt.bytes)->next_payload,
                static_cast<uint8_t>(wire::PayloadType::kSk));
    }
  }
}

}  // namespace
}  // namespace ike::sim

namespace ike::sim {
namespace {

// ESP_TFC_PADDING_NOT_SUPPORTED (RFC 7296 3.10.1): sun's data plane takes
// no TFC padding and says so in IKE_AUTH and in CREATE_CHILD_SA; moon then
// installs its outbound SA without padding, while sun still pads towards
// moon, which said nothing.
TEST(TfcPadding, PeerRefusalTurnsOffPaddingTowardsIt) {
  SimNet net(3);
  engine::EngineSettings no_tfc;
  no_tfc.accept_tfc_padding = false;
  SimNode& moon = net.AddNode("moon", {Ip("192.0.2.1")});
  SimNode& sun = net.AddNode("sun", {Ip("198.51.100.2")}, no_tfc);
  auto m = PskConfig(MoonSpec());
  auto s = PskConfig(SunSpec());
  m.children[0].tfc_padding = 1000;
  s.children[0].tfc_padding = engine::ChildConfig::kTfcMtu;
  moon.engine().AddConfig(std::move(m));
  sun.engine().AddConfig(std::move(s));
  net.Initiate(moon, "gw");
  auto both_up = [&] {
    return moon.Established("gw") && sun.Established("gw") && moon.backend().sa_count() == 2 &&
           sun.backend().sa_count() == 2;
  };
  ASSERT_TRUE(net.RunUntil(both_up, std::chrono::seconds(10)));
  auto check = [&](const char* when) {
    const auto& mc = moon.Established("gw")->children().at(0);
    const auto& sc = sun.Established("gw")->children().at(0);
    const xfrm::SaParams* moon_out = moon.backend().FindSa(mc.spi_out);
    const xfrm::SaParams* sun_out = sun.backend().FindSa(sc.spi_out);
    const xfrm::SaParams* moon_in = moon.backend().FindSa(mc.spi_in);
    ASSERT_TRUE(moon_out && sun_out && moon_in) << when;
    EXPECT_TRUE(mc.peer_refuses_tfc) << when;
    EXPECT_FALSE(sc.peer_refuses_tfc) << when;
    EXPECT_EQ(moon_out->tfc_pad, 0u) << when;
    EXPECT_EQ(sun_out->tfc_pad, engine::ChildConfig::kTfcMtu) << when;
    EXPECT_EQ(moon_in->tfc_pad, 0u) << when;  // only outbound SAs pad
  };
  check("after IKE_AUTH");
  // The same after a CHILD_SA rekey, initiated by each side in turn.
  net.Input(moon, engine::Command{engine::RekeyChildCommand{
                      moon.Established("gw")->id(), moon.Established("gw")->children()[0].spi_in}});
  net.RunFor(std::chrono::seconds(3));
  check("after moon's rekey");
  net.Input(sun, engine::Command{engine::RekeyChildCommand{
                     sun.Established("gw")->id(), sun.Established("gw")->children()[0].spi_in}});
  net.RunFor(std::chrono::seconds(3));
  check("after sun's rekey");
}

}  // namespace
}  // namespace ike::sim
