// PSK site-to-site scenarios over SimNet (RFC 7296 1.2 flows).
#include <gtest/gtest.h>

#include "libike/wire/message.h"
#include "tests/sim/scenario_util.h"

namespace ike::sim {
namespace {

using engine::EventKind;

bool BothUp(SimNode* a, SimNode* b) {
  return a->Established("gw") && b->Established("gw") &&
         a->backend().sa_count() == 2 && b->backend().sa_count() == 2;
}

TEST(PskTunnel, EstablishesStepByStep) {
  Pair p;
  p.moon->engine().AddConfig(PskConfig(MoonSpec()));
  p.sun->engine().AddConfig(PskConfig(SunSpec()));
  p.net.Initiate(*p.moon, "gw");
  // HDR, SAi1, KEi, Ni, N(NATD_S), N(NATD_D), N(FRAG_SUP), N(SIG_HASH) -->
  ASSERT_TRUE(p.net.DeliverNext());
  EXPECT_EQ(p.sun->engine().sas().size(), 1u);
  // <-- HDR, SAr1, KEr, Nr, N(NATD_S), N(NATD_D), N(FRAG_SUP), N(SIG_HASH)
  ASSERT_TRUE(p.net.DeliverNext());
  EXPECT_FALSE(p.moon->Established("gw"));
  // HDR, SK {IDi, N(INITIAL_CONTACT), IDr, AUTH, SAi2, TSi, TSr} -->
  ASSERT_TRUE(p.net.DeliverNext());
  EXPECT_TRUE(p.sun->Established("gw"));
  EXPECT_EQ(p.sun->backend().sa_count(), 2u);
  // <-- HDR, SK {IDr, AUTH, SAr2, TSi, TSr}
  ASSERT_TRUE(p.net.DeliverNext());
  ASSERT_TRUE(p.moon->Established("gw"));
  EXPECT_EQ(p.moon->backend().sa_count(), 2u);
  EXPECT_EQ(CheckSaPairs(p.moon->backend(), p.sun->backend()), "");
  EXPECT_EQ(p.moon->CountEvents(EventKind::kIkeUp), 1u);
  EXPECT_EQ(p.moon->CountEvents(EventKind::kChildUp), 1u);
  EXPECT_EQ(p.sun->CountEvents(EventKind::kChildUp), 1u);
  // Tunnel mode: out, in and fwd policies on each side.
  EXPECT_EQ(p.moon->backend().policy_count(), 3u);
  EXPECT_EQ(p.sun->backend().policy_count(), 3u);
  const auto* sa = p.moon->Established("gw");
  ASSERT_EQ(sa->children().size(), 1u);
  EXPECT_EQ(sa->children()[0].ts_local, engine::TsList{Ts("10.1.0.0/16")});
  EXPECT_EQ(sa->children()[0].ts_remote, engine::TsList{Ts("10.2.0.0/16")});
  EXPECT_EQ(sa->peer_id()->ToString(), "sun.example.org");
  // AES-GCM-256 preferred (both sides' first proposal).
  auto encr = sa->ike_proposal()->Get(TransformType::kEncr);
  EXPECT_EQ(encr->id, static_cast<uint16_t>(EncrId::kAesGcm16));
  EXPECT_EQ(p.moon->engine().counters().Total(), 0u) << p.moon->engine().counters().ToString();
  EXPECT_EQ(p.sun->engine().counters().Total(), 0u) << p.sun->engine().counters().ToString();
}

TEST(PskTunnel, WrongPskFailsCleanlyOnBothSides) {
  Pair p;
  auto sun = SunSpec();
  sun.psk = "a-different-secret";
  p.moon->engine().AddConfig(PskConfig(MoonSpec()));
  p.sun->engine().AddConfig(PskConfig(sun));
  p.net.Initiate(*p.moon, "gw");
  p.net.RunFor(std::chrono::seconds(60));
  EXPECT_FALSE(p.moon->Established("gw"));
  EXPECT_FALSE(p.sun->Established("gw"));
  EXPECT_TRUE(p.moon->engine().sas().empty());
  EXPECT_TRUE(p.sun->engine().sas().empty());
  EXPECT_EQ(p.moon->backend().sa_count(), 0u);
  EXPECT_EQ(p.sun->backend().sa_count(), 0u);
  EXPECT_EQ(p.moon->backend().larval_count(), 0u);
  EXPECT_EQ(p.sun->backend().larval_count(), 0u);
  ASSERT_EQ(p.moon->CountEvents(EventKind::kIkeDown), 1u);
  EXPECT_NE(p.moon->events().back().reason.find("AUTHENTICATION_FAILED"), std::string::npos)
      << p.moon->events().back().reason;
  EXPECT_EQ(p.sun->CountEvents(EventKind::kIkeDown), 1u);
}

TEST(PskTunnel, ProposalMismatchNoProposalChosen) {
  Pair p;
  auto moon = PskConfig(MoonSpec());
  auto sun = PskConfig(SunSpec());
  moon.ike_proposals = {IkeProposal(EncrId::kAesCbc, 128, PrfId::kHmacSha2_256,
                                    IntegId::kHmacSha2_256_128, {KeGroup::kModp2048})};
  sun.ike_proposals = {IkeProposal(EncrId::kAesGcm16, 256, PrfId::kHmacSha2_384, IntegId::kNone,
                                   {KeGroup::kEcp384})};
  p.moon->engine().AddConfig(std::move(moon));
  p.sun->engine().AddConfig(std::move(sun));
  p.net.Initiate(*p.moon, "gw");
  p.net.RunFor(std::chrono::seconds(5));
  EXPECT_TRUE(p.moon->engine().sas().empty());
  EXPECT_TRUE(p.sun->engine().sas().empty());
  ASSERT_EQ(p.moon->CountEvents(EventKind::kIkeDown), 1u);
  EXPECT_NE(p.moon->events().back().reason.find("NO_PROPOSAL_CHOSEN"), std::string::npos)
      << p.moon->events().back().reason;
}

TEST(PskTunnel, InvalidKeRetryWithRequestedGroup) {
  Pair p;
  auto moon = PskConfig(MoonSpec());
  auto sun = PskConfig(SunSpec());
  // moon guesses x25519 first, sun only accepts ecp384 (which moon also offers).
  moon.ike_proposals = {IkeProposal(EncrId::kAesGcm16, 256, PrfId::kHmacSha2_384, IntegId::kNone,
                                    {KeGroup::kCurve25519, KeGroup::kEcp384})};
  sun.ike_proposals = {IkeProposal(EncrId::kAesGcm16, 256, PrfId::kHmacSha2_384, IntegId::kNone,
                                   {KeGroup::kEcp384})};
  p.moon->engine().AddConfig(std::move(moon));
  p.sun->engine().AddConfig(std::move(sun));
  p.net.Initiate(*p.moon, "gw");
  // HDR, SAi1, KEi(x25519), Ni -->
  // <-- HDR, N(INVALID_KE_PAYLOAD, ecp384)
  // HDR, SAi1, KEi(ecp384), Ni -->
  ASSERT_TRUE(p.net.RunUntil([&] { return BothUp(p.moon, p.sun); }, std::chrono::seconds(10)));
  EXPECT_EQ(p.moon->Established("gw")->ike_proposal()->ke(), KeGroup::kEcp384);
  EXPECT_EQ(CheckSaPairs(p.moon->backend(), p.sun->backend()), "");
  EXPECT_EQ(p.sun->engine().sas().size(), 1u);  // the rejected attempt left no state
  // The retried request repeats every notify of the first one.
  int inits = 0;
  for (const auto& pkt : p.net.captured()) {
    if (!pkt.is(ExchangeType::kIkeSaInit, false)) continue;
    auto m = wire::DecodeMessage(pkt.bytes);
    ASSERT_TRUE(m);
    ++inits;
    EXPECT_TRUE(m->FindNotify(wire::NotifyType::kNatDetectionSourceIp)) << inits;
    EXPECT_TRUE(m->FindNotify(wire::NotifyType::kIkev2FragmentationSupported)) << inits;
    EXPECT_TRUE(m->FindNotify(wire::NotifyType::kSignatureHashAlgorithms)) << inits;
  }
  EXPECT_EQ(inits, 2);
}

TEST(PskTunnel, TrafficSelectorNarrowing) {
  Pair p;
  auto moon = MoonSpec();
  moon.remote_ts = {Ts("10.0.0.0/8")};  // moon asks for more than sun allows
  p.moon->engine().AddConfig(PskConfig(moon));
  p.sun->engine().AddConfig(PskConfig(SunSpec()));
  p.net.Initiate(*p.moon, "gw");
  ASSERT_TRUE(p.net.RunUntil([&] { return BothUp(p.moon, p.sun); }, std::chrono::seconds(10)));
  const auto& child = p.moon->Established("gw")->children().at(0);
  EXPECT_EQ(child.ts_remote, engine::TsList{Ts("10.2.0.0/16")});
  EXPECT_EQ(child.ts_local, engine::TsList{Ts("10.1.0.0/16")});
}

TEST(PskTunnel, TsUnacceptableKeepsIkeSa) {
  Pair p;
  auto moon = MoonSpec();
  moon.remote_ts = {Ts("172.16.0.0/12")};
  p.moon->engine().AddConfig(PskConfig(moon));
  p.sun->engine().AddConfig(PskConfig(SunSpec()));
  p.net.Initiate(*p.moon, "gw");
  p.net.RunFor(std::chrono::seconds(5));
  ASSERT_TRUE(p.moon->Established("gw"));
  ASSERT_TRUE(p.sun->Established("gw"));
  EXPECT_EQ(p.moon->backend().sa_count(), 0u);
  EXPECT_EQ(p.sun->backend().sa_count(), 0u);
  EXPECT_EQ(p.moon->backend().larval_count(), 0u);
  EXPECT_EQ(p.sun->backend().larval_count(), 0u);
  ASSERT_EQ(p.moon->CountEvents(EventKind::kChildDown), 1u);
  EXPECT_NE(p.moon->events().back().reason.find("TS_UNACCEPTABLE"), std::string::npos);
}

TEST(PskTunnel, TransportMode) {
  Pair p;
  auto moon = MoonSpec();
  auto sun = SunSpec();
  moon.mode = sun.mode = xfrm::Mode::kTransport;
  moon.local_ts = sun.remote_ts = {Ts("192.0.2.1/32")};
  moon.remote_ts = sun.local_ts = {Ts("198.51.100.2/32")};
  p.moon->engine().AddConfig(PskConfig(moon));
  p.sun->engine().AddConfig(PskConfig(sun));
  p.net.Initiate(*p.moon, "gw");
  ASSERT_TRUE(p.net.RunUntil([&] { return BothUp(p.moon, p.sun); }, std::chrono::seconds(10)));
  for (const auto* sa : p.moon->backend().sas()) EXPECT_EQ(sa->mode, xfrm::Mode::kTransport);
  for (const auto* sa : p.sun->backend().sas()) EXPECT_EQ(sa->mode, xfrm::Mode::kTransport);
  EXPECT_EQ(p.moon->backend().policy_count(), 2u);  // no fwd policy in transport mode
  EXPECT_EQ(CheckSaPairs(p.moon->backend(), p.sun->backend()), "");
}

TEST(PskTunnel, NatDetectedFloatsTo4500AndEncapsulates) {
  SimNet net(3);
  SimNode& moon = net.AddNode("moon", {Ip("10.9.0.5")});
  SimNode& sun = net.AddNode("sun", {Ip("198.51.100.2")});
  net.AddNat(Ip("10.9.0.5"), Ip("203.0.113.9"));
  auto mspec = MoonSpec();
  mspec.local = Ip("10.9.0.5");
  auto sspec = SunSpec();
  sspec.remote = IpAddress();  // any: the peer appears behind the NAT
  moon.engine().AddConfig(PskConfig(mspec));
  sun.engine().AddConfig(PskConfig(sspec));
  net.Initiate(moon, "gw");
  ASSERT_TRUE(net.RunUntil([&] { return BothUp(&moon, &sun); }, std::chrono::seconds(10)));
  const auto* m = moon.Established("gw");
  const auto* s = sun.Established("gw");
  EXPECT_TRUE(m->nat_detected());
  EXPECT_TRUE(s->nat_detected());
  EXPECT_EQ(m->local().port, 4500);
  EXPECT_EQ(m->remote().port, 4500);
  EXPECT_EQ(s->local().port, 4500);
  EXPECT_EQ(s->remote().address, Ip("203.0.113.9"));
  for (const auto* sa : moon.backend().sas()) EXPECT_TRUE(sa->encap.has_value());
  for (const auto* sa : sun.backend().sas()) {
    ASSERT_TRUE(sa->encap.has_value());
    EXPECT_NE(sa->encap->src_port == 4500 ? sa->encap->dst_port : sa->encap->src_port, 4500);
  }
  // IKE_AUTH went over 4500 with the non-ESP marker.
  bool saw_4500 = false;
  for (const auto& pkt : net.captured()) {
    if (pkt.is(ExchangeType::kIkeAuth, false)) {
      saw_4500 = pkt.to.port == 4500;
      EXPECT_EQ(pkt.bytes[0] | pkt.bytes[1] | pkt.bytes[2] | pkt.bytes[3], 0);
    }
  }
  EXPECT_TRUE(saw_4500);
}

}  // namespace
}  // namespace ike::sim

namespace ike::sim {
namespace {

// Two roadwarrior connections on the responder, both for any address,
// told apart only by the peer's identity (and PSK): IKE_AUTH switches to
// the one whose remote id matches IDi, and an unknown identity fails.
TEST(ResponderConfig, ChosenByPeerIdentity) {
  for (const char* who : {"alice.example.org", "bob.example.org", "carol.example.org"}) {
    Pair p(5);
    PeerSpec m = MoonSpec();
    m.local_id = who;
    m.psk = std::string("secret-of-") + who;
    p.moon->engine().AddConfig(PskConfig(m));
    for (const char* rw : {"alice.example.org", "bob.example.org"}) {
      PeerSpec s = SunSpec();
      s.name = std::string("rw-") + rw;
      s.remote = IpAddress();
      s.remote_id = rw;
      s.psk = std::string("secret-of-") + rw;
      auto c = PskConfig(s);
      c.children[0].name = "gw-net";
      p.sun->engine().AddConfig(std::move(c));
    }
    p.net.Initiate(*p.moon, "gw");
    p.net.RunFor(std::chrono::seconds(10));
    const auto sas = p.sun->engine().sas();
    if (std::string(who) == "carol.example.org") {
      EXPECT_TRUE(sas.empty()) << who;
      EXPECT_EQ(p.moon->Established("gw"), nullptr) << who;
      continue;
    }
    ASSERT_EQ(sas.size(), 1u) << who;
    EXPECT_TRUE(sas[0]->established()) << who;
    EXPECT_EQ(sas[0]->config().name, std::string("rw-") + who);
    ASSERT_TRUE(p.moon->Established("gw")) << who;
    EXPECT_EQ(p.sun->backend().sa_count(), 2u) << who;
  }
}

}  // namespace
}  // namespace ike::sim

namespace ike::sim {
namespace {

struct VipPair : Pair {
  // sun is a gateway with pool 10.3.0.0/30 (.1, .2) and a DNS server; moon
  // asks for an address; the gateway's remote selector is "dynamic".
  explicit VipPair(const char* moon_id = "moon.example.org", uint64_t seed = 7) : Pair(seed) {
    PeerSpec m = MoonSpec();
    m.local_id = moon_id;
    m.local_ts = {};  // dynamic
    auto mc = PskConfig(m);
    mc.children[0].local_ts = {engine::TrafficSelector{0, 0, 65535, IpAddress::Any(AddressFamily::kIpv4),
                                                       IpAddress::Any(AddressFamily::kIpv4)}};
    mc.vips = {IpAddress::Any(AddressFamily::kIpv4)};
    moon->engine().AddConfig(std::move(mc));
    PeerSpec s = SunSpec();
    s.name = "rw";
    s.remote = IpAddress();
    s.remote_id = "%any";
    auto sc = PskConfig(s);
    sc.remote_auth.id = engine::Identity();
    sc.children[0].name = "gw-net";
    sc.children[0].remote_ts = {engine::TrafficSelector{0, 0, 65535, IpAddress::Any(AddressFamily::kIpv4),
                                                        IpAddress::Any(AddressFamily::kIpv4)}};
    sc.pools = {"rw-pool"};
    sun->engine().AddConfig(std::move(sc));
    engine::PoolSpec pool = engine::PoolFromCidr("rw-pool", Ip("10.3.0.0"), 30);
    pool.dns = {Ip("10.2.0.53")};
    pool.subnets = {{Ip("10.2.0.0"), 16}};
    sun->engine().SetPools({pool});
  }
};

TEST(VirtualIp, GatewayLeasesAddressAndNarrowsSelectors) {
  VipPair p;
  p.net.Initiate(*p.moon, "gw");
  ASSERT_TRUE(p.net.RunUntil([&] { return p.moon->Established("gw") && p.moon->backend().sa_count() == 2; },
                             std::chrono::seconds(10)));
  const auto* m = p.moon->Established("gw");
  ASSERT_EQ(m->own_vips().size(), 1u);
  EXPECT_EQ(m->own_vips()[0].ToString(), "10.3.0.1");
  const auto* s = p.sun->engine().sas().at(0);
  ASSERT_EQ(s->peer_vips().size(), 1u);
  EXPECT_EQ(s->peer_vips()[0].second.ToString(), "10.3.0.1");
  // The CHILD_SA carries the virtual IP, not the IKE address.
  ASSERT_EQ(m->children().size(), 1u);
  EXPECT_EQ(m->children()[0].ts_local.at(0).ToString(), "10.3.0.1/32");
  EXPECT_EQ(s->children().at(0).ts_remote.at(0).ToString(), "10.3.0.1/32");
  EXPECT_EQ(CheckSaPairs(p.moon->backend(), p.sun->backend()), "");
  auto st = p.sun->engine().pools().Status();
  ASSERT_EQ(st.size(), 1u);
  EXPECT_EQ(st[0].online, 1u);
  // Disconnect: the lease goes offline; reconnect: the same address.
  p.net.Input(*p.moon, engine::Command{engine::TerminateIkeCommand{m->id()}});
  p.net.RunFor(std::chrono::seconds(3));
  st = p.sun->engine().pools().Status();
  EXPECT_EQ(st[0].online, 0u);
  EXPECT_EQ(st[0].offline, 1u);
  p.net.Initiate(*p.moon, "gw");
  ASSERT_TRUE(p.net.RunUntil([&] { return p.moon->Established("gw") && p.moon->backend().sa_count() == 2; },
                             std::chrono::seconds(10)));
  EXPECT_EQ(p.moon->Established("gw")->own_vips().at(0).ToString(), "10.3.0.1");
  // An IKE_SA rekey keeps the lease online (it moves with the SA).
  p.net.Input(*p.moon, engine::Command{engine::RekeyIkeCommand{p.moon->Established("gw")->id()}});
  p.net.RunFor(std::chrono::seconds(3));
  st = p.sun->engine().pools().Status();
  EXPECT_EQ(st[0].online, 1u);
  EXPECT_EQ(p.moon->Established("gw")->own_vips().at(0).ToString(), "10.3.0.1");
}

// Two roadwarriors on one gateway connection: their CHILD_SAs need their own
// reqids, since an outbound packet finds its SA through the policy's reqid
// (with one shared reqid, traffic to both went out on the newer SA).
TEST(VirtualIp, TwoRoadwarriorsGetTheirOwnReqids) {
  VipPair p;
  p.net.Initiate(*p.moon, "gw");
  ASSERT_TRUE(p.net.RunUntil([&] { return p.moon->Established("gw") && p.moon->backend().sa_count() == 2; },
                             std::chrono::seconds(10)));
  SimNode& mars = p.net.AddNode("mars", {Ip("192.0.2.7")});
  PeerSpec ms = MoonSpec();
  ms.local = Ip("192.0.2.7");
  ms.local_id = "mars.example.org";
  auto mc = PskConfig(ms);
  mc.children[0].local_ts = {engine::TrafficSelector{0, 0, 65535, IpAddress::Any(AddressFamily::kIpv4),
                                                     IpAddress::Any(AddressFamily::kIpv4)}};
  mc.vips = {IpAddress::Any(AddressFamily::kIpv4)};
  mars.engine().AddConfig(std::move(mc));
  p.net.Initiate(mars, "gw");
  ASSERT_TRUE(p.net.RunUntil([&] { return mars.Established("gw") && mars.backend().sa_count() == 2; },
                             std::chrono::seconds(10)));
  ASSERT_EQ(p.sun->engine().sas().size(), 2u);
  const auto& a = p.sun->engine().sas().at(0)->children().at(0);
  const auto& b = p.sun->engine().sas().at(1)->children().at(0);
  EXPECT_NE(a.reqid, b.reqid);
  EXPECT_NE(a.ts_remote.at(0).ToString(), b.ts_remote.at(0).ToString());
}

TEST(VirtualIp, ExhaustedPoolAnswersInternalAddressFailure) {
  VipPair p;
  engine::PoolSpec tiny = engine::PoolFromCidr("rw-pool", Ip("10.3.0.9"), 32);
  p.sun->engine().SetPools({tiny});
  // First client takes the only address...
  p.net.Initiate(*p.moon, "gw");
  ASSERT_TRUE(p.net.RunUntil([&] { return p.moon->Established("gw") && p.moon->backend().sa_count() == 2; },
                             std::chrono::seconds(10)));
  // ...a second identity from another host finds the pool exhausted.
  SimNode& mars = p.net.AddNode("mars", {Ip("192.0.2.7")});
  PeerSpec ms = MoonSpec();
  ms.local = Ip("192.0.2.7");
  ms.local_id = "mars.example.org";
  auto mc = PskConfig(ms);
  mc.children[0].local_ts = {engine::TrafficSelector{0, 0, 65535, IpAddress::Any(AddressFamily::kIpv4),
                                                     IpAddress::Any(AddressFamily::kIpv4)}};
  mc.vips = {IpAddress::Any(AddressFamily::kIpv4)};
  mars.engine().AddConfig(std::move(mc));
  size_t before = p.net.captured().size();
  p.net.Initiate(mars, "gw");
  p.net.RunFor(std::chrono::seconds(10));
  EXPECT_EQ(mars.Established("gw"), nullptr);
  EXPECT_EQ(mars.backend().sa_count(), 0u);
  // The gateway answered IKE_AUTH with INTERNAL_ADDRESS_FAILURE and no
  // CHILD_SA; mars then deleted the IKE_SA, so only moon's remains.
  EXPECT_EQ(p.sun->engine().sas().size(), 1u);
  EXPECT_EQ(p.sun->backend().sa_count(), 2u);
  bool deleted = false;
  for (size_t i = before; i < p.net.captured().size(); ++i) {
    const Packet& pkt = p.net.captured()[i];
    deleted |= pkt.is(ExchangeType::kInformational, false) && pkt.from.address == Ip("192.0.2.7");
  }
  EXPECT_TRUE(deleted);
  bool reported = false;
  for (const auto& e : p.sun->events()) {
    reported |= e.kind == EventKind::kChildDown && e.reason.find("exhausted") != std::string::npos;
  }
  EXPECT_TRUE(reported);
}

}  // namespace
}  // namespace ike::sim

namespace ike::sim {
namespace {

// swanctl.conf `unique`: the same identity connects from a second host
// (a client that lost its state and came back from elsewhere), without or
// with INITIAL_CONTACT; sun's policy decides which IKE_SAs remain.
size_t SunSasAfterSecondConnect(engine::UniquePolicy policy, bool initial_contact,
                                uint64_t* first_id_kept = nullptr) {
  Pair p(11);
  SimNode& moon2 = p.net.AddNode("moon2", {Ip("192.0.2.5")});
  auto m = PskConfig(MoonSpec());
  m.send_initial_contact = initial_contact;
  p.moon->engine().AddConfig(std::move(m));
  PeerSpec m2 = MoonSpec();
  m2.local = Ip("192.0.2.5");
  auto m2c = PskConfig(m2);
  m2c.send_initial_contact = initial_contact;
  moon2.engine().AddConfig(std::move(m2c));
  auto s = PskConfig(SunSpec());
  s.remote = Endpoint{IpAddress(), 500};  // any address
  s.unique = policy;
  p.sun->engine().AddConfig(std::move(s));
  p.net.Initiate(*p.moon, "gw");
  p.net.RunFor(std::chrono::seconds(3));
  const engine::IkeSa* first = p.sun->Established("gw");
  if (!first) return 99;
  uint64_t first_id = first->id();
  p.net.Initiate(moon2, "gw");
  p.net.RunFor(std::chrono::seconds(5));
  size_t n = 0;
  bool kept = false;
  for (const auto* sa : p.sun->engine().sas()) {
    if (!sa->established()) continue;
    ++n;
    kept |= sa->id() == first_id;
  }
  if (first_id_kept) *first_id_kept = kept;
  // A deleted duplicate is gone on the client's side too (INITIAL_CONTACT
  // drops silently: there the stale client SA stays until its own DPD).
  if (!initial_contact) {
    size_t clients = 0;
    for (SimNode* node : {p.moon, &moon2}) {
      for (const auto* sa : node->engine().sas()) clients += sa->established();
    }
    EXPECT_EQ(clients, n);
  }
  return n;
}

TEST(Unique, PolicyDecidesAboutDuplicates) {
  uint64_t kept = 0;
  EXPECT_EQ(SunSasAfterSecondConnect(engine::UniquePolicy::kNo, false), 2u);
  EXPECT_EQ(SunSasAfterSecondConnect(engine::UniquePolicy::kNever, false), 2u);
  EXPECT_EQ(SunSasAfterSecondConnect(engine::UniquePolicy::kReplace, false, &kept), 1u);
  EXPECT_EQ(kept, 0u);  // the newcomer replaced the first
  EXPECT_EQ(SunSasAfterSecondConnect(engine::UniquePolicy::kKeep, false, &kept), 1u);
  EXPECT_EQ(kept, 1u);  // the first stayed
  // INITIAL_CONTACT replaces with the default policy, but not with never.
  EXPECT_EQ(SunSasAfterSecondConnect(engine::UniquePolicy::kNo, true, &kept), 1u);
  EXPECT_EQ(kept, 0u);
  EXPECT_EQ(SunSasAfterSecondConnect(engine::UniquePolicy::kNever, true), 2u);
  // keep refuses the newcomer even with INITIAL_CONTACT; the first stays.
  EXPECT_EQ(SunSasAfterSecondConnect(engine::UniquePolicy::kKeep, true, &kept), 1u);
  EXPECT_EQ(kept, 1u);
}

}  // namespace
}  // namespace ike::sim
