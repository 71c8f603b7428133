// MOBIKE (RFC 4555): the roadwarrior (moon, the initiator) changes its
// address; the gateway (sun) follows on UPDATE_SA_ADDRESSES with the same
// IKE_SA and CHILD_SAs, its SAs and tunnel policies moved, no rekey.
#include <gtest/gtest.h>

#include "libike/engine/sa/ike_sa.h"
#include "libike/engine/task/ike_mobike.h"
#include "libike/engine/task/ike_natd.h"
#include "tests/sim/scenario_util.h"

namespace ike::engine {
// Test-only access (declared a friend in ike_sa.h).
class IkeSaPeer {
 public:
  static void ForceMobike(const IkeSa& sa) { const_cast<IkeSa&>(sa).ctx_.mobike = true; }
};
}  // namespace ike::engine

namespace ike::sim {
namespace {

using engine::Drop;
using engine::EventKind;

const IpAddress kMoonHome = Ip("192.0.2.1");
const IpAddress kMoonAway = Ip("203.0.113.5");

struct Roam {
  SimNet net;
  SimNode& moon;
  SimNode& sun;
  explicit Roam(uint64_t seed, bool sun_mobike = true)
      : net(seed),
        moon(net.AddNode("moon", {kMoonHome})),
        sun(net.AddNode("sun", {Ip("198.51.100.2")})) {
    PeerSpec rw = MoonSpec();
    rw.mobike = true;
    moon.engine().AddConfig(PskConfig(rw));
    PeerSpec gw = SunSpec();
    gw.remote = IpAddress();  // a roadwarrior gateway: any peer address
    gw.mobike = sun_mobike;
    engine::PeerConfig c = PskConfig(gw);
    sun.engine().AddConfig(std::move(c));
  }
  bool Up() {
    return moon.Established("gw") && sun.Established("gw") && moon.backend().sa_count() == 2 &&
           sun.backend().sa_count() == 2;
  }
  void Establish() {
    net.Initiate(moon, "gw");
    ASSERT_TRUE(net.RunUntil([&] { return Up(); }, std::chrono::seconds(10)));
  }
  // The host moves moon: the old address is gone, a new one is there.
  void Move(const IpAddress& to) {
    net.AddAddress(moon, to);
    net.RemoveAddress(kMoonHome);
    net.Input(moon, engine::Command{engine::MobikeUpdateCommand{moon.Established("gw")->id(), to}});
  }
};

const xfrm::SaParams* Outbound(const xfrm::FakeBackend& b) {
  for (const auto* sa : b.sas()) {
    if (sa->direction == xfrm::Direction::kOut) return sa;
  }
  return nullptr;
}
const xfrm::SaParams* Inbound(const xfrm::FakeBackend& b) {
  for (const auto* sa : b.sas()) {
    if (sa->direction == xfrm::Direction::kIn) return sa;
  }
  return nullptr;
}

TEST(Mobike, NegotiatedInIkeAuthOnPort4500) {
  Roam r(41);
  r.Establish();
  const auto* m = r.moon.Established("gw");
  const auto* s = r.sun.Established("gw");
  EXPECT_TRUE(m->mobike());
  EXPECT_TRUE(s->mobike());
  // RFC 4555 3.3: IKE_AUTH and everything after it on port 4500, no NAT.
  EXPECT_EQ(m->local().port, 4500);
  EXPECT_EQ(s->remote().port, 4500);
  EXPECT_FALSE(m->nat_detected());
  EXPECT_FALSE(Outbound(r.sun.backend())->encap.has_value());
}

TEST(Mobike, DisabledOnTheGatewayIsNotNegotiated) {
  Roam r(42, /*sun_mobike=*/false);
  r.Establish();
  EXPECT_FALSE(r.moon.Established("gw")->mobike());
  EXPECT_FALSE(r.sun.Established("gw")->mobike());
  size_t sent = r.net.captured().size();
  r.Move(kMoonAway);
  r.net.RunFor(std::chrono::seconds(1));
  EXPECT_EQ(r.net.captured().size(), sent);  // no UPDATE_SA_ADDRESSES
}

TEST(Mobike, GatewayFollowsUpdateSaAddressesWithoutRekey) {
  Roam r(43);
  r.Establish();
  const auto* s = r.sun.Established("gw");
  const uint64_t sa_id = s->id(), spi_i = s->spi_i(), spi_r = s->spi_r();
  const uint32_t child_in = s->children().front().spi_in;
  const uint32_t child_out = s->children().front().spi_out;
  const size_t child_ups = r.sun.CountEvents(EventKind::kChildUp);

  // HDR, SK { N(UPDATE_SA_ADDRESSES), N(NAT_DETECTION_SOURCE_IP),
  //           N(NAT_DETECTION_DESTINATION_IP), N(COOKIE2) } -->  (from 203.0.113.5)
  // <-- HDR, SK { N(NAT_DETECTION_*), N(COOKIE2) }
  r.Move(kMoonAway);
  r.net.RunFor(std::chrono::seconds(1));

  s = r.sun.Established("gw");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->id(), sa_id);
  EXPECT_EQ(s->spi_i(), spi_i);
  EXPECT_EQ(s->spi_r(), spi_r);
  EXPECT_EQ(s->remote().address, kMoonAway);
  EXPECT_EQ(s->remote().port, 4500);
  ASSERT_EQ(s->children().size(), 1u);
  EXPECT_EQ(s->children().front().spi_in, child_in);
  EXPECT_EQ(s->children().front().spi_out, child_out);
  EXPECT_EQ(r.sun.CountEvents(EventKind::kChildUp), child_ups);
  EXPECT_EQ(r.sun.CountEvents(EventKind::kChildRekeyed), 0u);
  EXPECT_EQ(r.sun.engine().sas().size(), 1u);

  // Sun's SAs and tunnel templates point at the new address.
  const auto* out = Outbound(r.sun.backend());
  const auto* in = Inbound(r.sun.backend());
  ASSERT_TRUE(out && in);
  EXPECT_EQ(out->id.dst, kMoonAway);
  EXPECT_EQ(out->id.spi, child_out);
  EXPECT_EQ(in->src, kMoonAway);
  EXPECT_EQ(in->id.spi, child_in);
  EXPECT_EQ(r.sun.backend().migrations(), 2u);
  for (const auto* p : r.sun.backend().policies()) {
    ASSERT_EQ(p->templates.size(), 1u);
    const auto& t = p->templates.front();
    EXPECT_TRUE(t.src == kMoonAway || t.dst == kMoonAway) << "template not moved";
  }
  EXPECT_EQ(r.sun.backend().policy_count(), 3u);  // out, in, fwd: replaced, not added
  // Moon moved its own side with the command.
  EXPECT_EQ(Outbound(r.moon.backend())->src, kMoonAway);
  EXPECT_EQ(Inbound(r.moon.backend())->id.dst, kMoonAway);
  EXPECT_EQ(CheckSaPairs(r.moon.backend(), r.sun.backend()), "");
  // COOKIE2 came back and NAT-D was answered: nothing counted as bad.
  EXPECT_EQ(r.moon.engine().counters().Get(Drop::kMobikeBadNotify), 0u);
  EXPECT_EQ(r.sun.engine().counters().Get(Drop::kMobikeBadNotify), 0u);
  EXPECT_EQ(r.moon.backend_errors() + r.sun.backend_errors(), 0u);

  // The IKE_SA works at the new address: a liveness check is answered.
  r.net.Input(r.moon, engine::Command{engine::DpdCommand{r.moon.Established("gw")->id()}});
  r.net.RunFor(std::chrono::seconds(30));
  EXPECT_TRUE(r.moon.Established("gw"));
  EXPECT_EQ(r.moon.Established("gw")->tasks().retransmissions(), 0u);
}

TEST(Mobike, NatAppearingAfterAMoveSwitchesToUdpEncapsulation) {
  Roam r(44);
  r.Establish();
  EXPECT_FALSE(Outbound(r.sun.backend())->encap.has_value());
  // Moon moves behind a NAT: 10.0.0.5 leaves as 203.0.113.99.
  const IpAddress inside = Ip("10.0.0.5"), outside = Ip("203.0.113.99");
  r.net.AddNat(inside, outside);
  r.Move(inside);
  r.net.RunFor(std::chrono::seconds(1));

  const auto* s = r.sun.Established("gw");
  ASSERT_NE(s, nullptr);
  EXPECT_TRUE(s->nat_detected());
  EXPECT_EQ(s->remote().address, outside);
  const auto* out = Outbound(r.sun.backend());
  ASSERT_TRUE(out && out->encap.has_value());
  EXPECT_EQ(out->id.dst, outside);
  EXPECT_EQ(out->encap->dst_port, s->remote().port);
  EXPECT_EQ(out->encap->src_port, 4500);
  EXPECT_TRUE(Inbound(r.sun.backend())->encap.has_value());
  // Moon learns of the NAT from the response's NAT-D and encapsulates too.
  const auto* m = r.moon.Established("gw");
  EXPECT_TRUE(m->nat_detected());
  EXPECT_TRUE(Outbound(r.moon.backend())->encap.has_value());
  EXPECT_TRUE(m->children().front().encap);
  EXPECT_EQ(r.sun.engine().sas().size(), 1u);

  // And back out of the NAT: encapsulation goes off again.
  r.net.AddAddress(r.moon, kMoonHome);
  r.net.Input(r.moon,
              engine::Command{engine::MobikeUpdateCommand{r.moon.Established("gw")->id(), kMoonHome}});
  r.net.RunFor(std::chrono::seconds(1));
  EXPECT_FALSE(r.sun.Established("gw")->nat_detected());
  EXPECT_FALSE(Outbound(r.sun.backend())->encap.has_value());
  EXPECT_FALSE(Outbound(r.moon.backend())->encap.has_value());
  EXPECT_EQ(r.sun.Established("gw")->remote().address, kMoonHome);
  EXPECT_EQ(r.moon.backend_errors() + r.sun.backend_errors(), 0u);
}

TEST(Mobike, UpdateWithoutMobikeNegotiatedIsIgnored) {
  Roam r(45, /*sun_mobike=*/false);
  r.Establish();
  // Moon believes in MOBIKE anyway and sends UPDATE_SA_ADDRESSES.
  engine::IkeSaPeer::ForceMobike(*r.moon.Established("gw"));
  r.Move(kMoonAway);
  r.net.RunFor(std::chrono::seconds(1));
  const auto* s = r.sun.Established("gw");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(r.sun.engine().counters().Get(Drop::kMobikeNotNegotiated), 1u);
  // No MOBIKE move of the CHILD_SAs (the IKE endpoint itself follows the
  // peer on port 4500 as RFC 7296 2.23 has it).
  EXPECT_EQ(Outbound(r.sun.backend())->id.dst, kMoonHome);
  EXPECT_EQ(r.sun.backend().migrations(), 0u);
  // The request was still answered (where it came from), without COOKIE2:
  // moon counts that, and both IKE_SAs stay up.
  EXPECT_EQ(r.moon.engine().counters().Get(Drop::kMobikeBadNotify), 1u);
  EXPECT_TRUE(r.moon.Established("gw"));
  EXPECT_EQ(r.moon.Established("gw")->tasks().retransmissions(), 0u);
}

TEST(Mobike, LostUpdateAndResponseAreRetransmitted) {
  Roam r(46);
  r.Establish();
  // The first UPDATE_SA_ADDRESSES request and the first response are lost.
  int requests = 0, responses = 0;
  r.net.AddFilter([&](const Packet& p) {
    bool drop = false;
    if (p.is(ExchangeType::kInformational, false) && ++requests == 1) drop = true;
    if (p.is(ExchangeType::kInformational, true) && ++responses == 1) drop = true;
    return FilterResult{drop ? Verdict::kDrop : Verdict::kPass, {}};
  });
  r.Move(kMoonAway);
  r.net.RunFor(std::chrono::seconds(30));
  const auto* s = r.sun.Established("gw");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->remote().address, kMoonAway);
  EXPECT_GE(requests, 3);  // original, one retransmit dropped the response, one answered
  EXPECT_GE(r.moon.Established("gw")->tasks().retransmissions(), 2u);
  // The retransmitted request got the cached response; the SAs moved once.
  EXPECT_EQ(r.sun.backend().migrations(), 2u);
  EXPECT_GE(r.sun.engine().counters().Get(Drop::kRetransmittedRequest), 1u);
  EXPECT_EQ(Outbound(r.sun.backend())->id.dst, kMoonAway);
  EXPECT_EQ(CheckSaPairs(r.moon.backend(), r.sun.backend()), "");
}

TEST(Mobike, SurvivesRandomLossWithTwoMoves) {
  Roam r(47);
  r.Establish();
  r.net.SetLoss(0.3);
  r.Move(kMoonAway);
  r.net.RunFor(std::chrono::seconds(40));
  const IpAddress third = Ip("203.0.113.77");
  r.net.AddAddress(r.moon, third);
  r.net.Input(r.moon,
              engine::Command{engine::MobikeUpdateCommand{r.moon.Established("gw")->id(), third}});
  r.net.SetLoss(0.0);
  r.net.RunFor(std::chrono::seconds(40));
  const auto* s = r.sun.Established("gw");
  ASSERT_NE(s, nullptr);
  ASSERT_TRUE(r.moon.Established("gw"));
  EXPECT_EQ(s->remote().address, third);
  EXPECT_EQ(Outbound(r.sun.backend())->id.dst, third);
  EXPECT_EQ(r.sun.engine().sas().size(), 1u);
  EXPECT_EQ(CheckSaPairs(r.moon.backend(), r.sun.backend()), "");
}

TEST(Mobike, StillMovesAfterAnIkeSaRekey) {
  Roam r(48);
  r.Establish();
  r.net.Input(r.moon, engine::Command{engine::RekeyIkeCommand{r.moon.Established("gw")->id()}});
  r.net.RunFor(std::chrono::seconds(10));
  const auto* m = r.moon.Established("gw");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(r.moon.CountEvents(EventKind::kIkeRekeyed), 1u);
  EXPECT_TRUE(m->mobike());  // the new IKE_SA keeps what IKE_AUTH negotiated
  EXPECT_TRUE(r.sun.Established("gw")->mobike());
  r.Move(kMoonAway);
  r.net.RunFor(std::chrono::seconds(1));
  EXPECT_EQ(r.sun.Established("gw")->remote().address, kMoonAway);
  EXPECT_EQ(Outbound(r.sun.backend())->id.dst, kMoonAway);
}

// The responder task alone, with hand-made (already decrypted) requests:
// malformed or missing MOBIKE notifies are counted, never fatal.
class MobikeResponderTask : public ::testing::Test {
 protected:
  MobikeResponderTask()
      : rng_(7),
        spis_(backend_),
        ctx_(1, Role::kResponder, PskConfig(SunSpec()), engine::Env{rng_, spis_}, settings_,
             counters_, next_reqid_) {
    ctx_.out = &out_;
    ctx_.state = engine::IkeState::kEstablished;
    ctx_.mobike = true;
    ctx_.spi_i = 0x1111;
    ctx_.spi_r = 0x2222;
    ctx_.local = Endpoint{Ip("198.51.100.2"), 4500};
    ctx_.remote = Endpoint{kMoonHome, 4500};
    engine::ChildSa child;
    child.name = "gw-net";
    child.spi_in = 0xc0000001;
    child.spi_out = 0xc0000002;
    child.reqid = 1;
    child.ts_local = {Ts("10.2.0.0/16")};
    child.ts_remote = {Ts("10.1.0.0/16")};
    ctx_.children.push_back(child);
  }
  // An INFORMATIONAL request from `from` with `payloads`.
  wire::Message Request(std::vector<wire::Payload> payloads, const Endpoint& from) {
    wire::Message m;
    m.header.spi_i = ctx_.spi_i;
    m.header.spi_r = ctx_.spi_r;
    m.header.exchange_type = ExchangeType::kInformational;
    m.header.initiator = true;
    m.header.message_id = 1;
    m.payloads = std::move(payloads);
    ctx_.request_path = std::make_pair(ctx_.local, from);
    return m;
  }
  wire::Payload Natd(wire::NotifyType type, const Endpoint& ep) {
    return wire::NotifyPayload::Make(type, engine::NatHash(ctx_.spi_i, ctx_.spi_r, ep));
  }
  size_t Migrations() const {
    size_t n = 0;
    for (const auto& e : out_) n += std::holds_alternative<engine::MigrateSa>(e);
    return n;
  }

  xfrm::FakeBackend backend_;
  crypto::DeterministicRng rng_;
  engine::BackendSpiAllocator spis_;
  engine::EngineSettings settings_;
  engine::Counters counters_;
  uint32_t next_reqid_ = 1;
  engine::Effects out_;
  engine::SaContext ctx_;
};

TEST_F(MobikeResponderTask, BadCookie2LengthIsCountedAndNotEchoed) {
  const Endpoint away{kMoonAway, 4500};
  for (size_t len : {size_t{0}, size_t{7}, size_t{65}}) {
    engine::MobikeResponder task;
    auto req = Request({wire::NotifyPayload::Make(wire::NotifyType::kCookie2, Bytes(len, 0x11))},
                       away);
    ASSERT_TRUE(task.Process(req, ctx_));
    wire::Message resp;
    ASSERT_TRUE(task.Build(resp, ctx_));
    EXPECT_FALSE(resp.FindNotify(wire::NotifyType::kCookie2)) << len;
  }
  EXPECT_EQ(counters_.Get(Drop::kMobikeBadNotify), 3u);
  EXPECT_EQ(ctx_.remote.address, kMoonHome);  // no UPDATE_SA_ADDRESSES: no move
}

TEST_F(MobikeResponderTask, Cookie2IsEchoedVerbatim) {
  engine::MobikeResponder task;
  Bytes cookie(64, 0x5a);
  auto req = Request({wire::NotifyPayload::Make(wire::NotifyType::kCookie2, cookie)},
                     Endpoint{kMoonHome, 4500});
  ASSERT_TRUE(task.Process(req, ctx_));
  wire::Message resp;
  ASSERT_TRUE(task.Build(resp, ctx_));
  const auto* echoed = resp.FindNotify(wire::NotifyType::kCookie2);
  ASSERT_NE(echoed, nullptr);
  EXPECT_EQ(echoed->data, cookie);
  EXPECT_EQ(counters_.Get(Drop::kMobikeBadNotify), 0u);
}

TEST_F(MobikeResponderTask, UpdateWithMalformedOrMissingNatdStillMoves) {
  const Endpoint away{kMoonAway, 4500};
  for (bool truncated : {true, false}) {
    std::vector<wire::Payload> p = {
        wire::NotifyPayload::Make(wire::NotifyType::kUpdateSaAddresses)};
    if (truncated) {
      p.push_back(wire::NotifyPayload::Make(wire::NotifyType::kNatDetectionSourceIp, Bytes(3, 1)));
      p.push_back(Natd(wire::NotifyType::kNatDetectionDestinationIp, ctx_.local));
    }
    engine::MobikeResponder task;
    auto req = Request(std::move(p), away);
    ASSERT_TRUE(task.Process(req, ctx_));
    wire::Message resp;
    ASSERT_TRUE(task.Build(resp, ctx_));
    EXPECT_FALSE(resp.FindNotify(wire::NotifyType::kNatDetectionSourceIp));
  }
  EXPECT_EQ(counters_.Get(Drop::kMobikeBadNotify), 2u);
  EXPECT_EQ(ctx_.remote, away);
  EXPECT_FALSE(ctx_.nat_detected());
  EXPECT_EQ(Migrations(), 2u);  // moved once; the second request changed nothing
}

TEST_F(MobikeResponderTask, NatWhereThePeerForbidsOneIsRefused) {
  const Endpoint away{kMoonAway, 4500};
  engine::MobikeResponder task;
  // NAT-D computed for another source: the peer is behind a NAT.
  auto req = Request({wire::NotifyPayload::Make(wire::NotifyType::kUpdateSaAddresses),
                      Natd(wire::NotifyType::kNatDetectionSourceIp, Endpoint{Ip("10.0.0.5"), 4500}),
                      Natd(wire::NotifyType::kNatDetectionDestinationIp, ctx_.local),
                      wire::NotifyPayload::Make(wire::NotifyType::kNoNatsAllowed, Bytes(12, 0))},
                     away);
  auto r = task.Process(req, ctx_);
  ASSERT_FALSE(r);
  EXPECT_FALSE(r.error().fatal);
  EXPECT_EQ(r.error().notify, wire::NotifyType::kUnexpectedNatDetected);
  EXPECT_EQ(ctx_.remote.address, kMoonHome);
  EXPECT_EQ(Migrations(), 0u);
}

TEST_F(MobikeResponderTask, NotNegotiatedIsCountedAndIgnored) {
  ctx_.mobike = false;
  engine::MobikeResponder task;
  auto req = Request({wire::NotifyPayload::Make(wire::NotifyType::kUpdateSaAddresses),
                      wire::NotifyPayload::Make(wire::NotifyType::kCookie2, Bytes(16, 1))},
                     Endpoint{kMoonAway, 4500});
  ASSERT_TRUE(task.Process(req, ctx_));
  wire::Message resp;
  ASSERT_TRUE(task.Build(resp, ctx_));
  EXPECT_TRUE(resp.payloads.empty());
  EXPECT_EQ(counters_.Get(Drop::kMobikeNotNegotiated), 1u);
  EXPECT_EQ(ctx_.remote.address, kMoonHome);
  EXPECT_TRUE(out_.empty());
}

}  // namespace
}  // namespace ike::sim
