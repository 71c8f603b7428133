// Retransmission, message-ID window and drop counters (RFC 7296 2.1, 2.2)
// under a lossy, duplicating SimNet.
#include <gtest/gtest.h>

#include "libike/wire/message.h"
#include "tests/sim/scenario_util.h"

namespace ike::sim {
namespace {

using engine::Drop;
using engine::EventKind;

bool BothUp(Pair& p) {
  return p.moon->Established("gw") && p.sun->Established("gw") &&
         p.moon->backend().sa_count() == 2 && p.sun->backend().sa_count() == 2;
}

void Configure(Pair& p, unsigned tries = 5) {
  auto moon = PskConfig(MoonSpec());
  auto sun = PskConfig(SunSpec());
  moon.retransmit.tries = sun.retransmit.tries = tries;
  p.moon->engine().AddConfig(std::move(moon));
  p.sun->engine().AddConfig(std::move(sun));
}

class Lossy : public ::testing::TestWithParam<uint64_t> {};

TEST_P(Lossy, ThirtyPercentLossStillConverges) {
  Pair p(GetParam());
  Configure(p, 10);
  p.net.SetLoss(0.30);
  p.net.Initiate(*p.moon, "gw");
  ASSERT_TRUE(p.net.RunUntil([&] { return BothUp(p); }, std::chrono::minutes(10)))
      << "seed " << GetParam() << " moon: " << p.moon->engine().counters().ToString();
  EXPECT_EQ(CheckSaPairs(p.moon->backend(), p.sun->backend()), "");
  EXPECT_EQ(p.moon->backend_errors() + p.sun->backend_errors(), 0u);
  // Let retransmits settle: nothing may change any more.
  p.net.RunFor(std::chrono::minutes(5));
  EXPECT_TRUE(BothUp(p));
  EXPECT_EQ(p.moon->engine().sas().size(), 1u);
  EXPECT_EQ(p.sun->engine().sas().size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Seeds, Lossy, ::testing::Range<uint64_t>(1, 21));

TEST(Reliability, DuplicatedPacketsAreAnsweredFromCacheOrDropped) {
  Pair p;
  Configure(p);
  p.net.AddFilter([](const Packet&) { return FilterResult{Verdict::kDuplicate, {}}; });
  p.net.Initiate(*p.moon, "gw");
  ASSERT_TRUE(p.net.RunUntil([&] { return BothUp(p); }, std::chrono::seconds(10)));
  p.net.RunFor(std::chrono::seconds(30));
  EXPECT_TRUE(BothUp(p));
  // Every duplicated request got the cached response again; every
  // duplicated response found no request outstanding.
  EXPECT_EQ(p.sun->engine().counters().Get(Drop::kRetransmittedRequest), 2u);
  EXPECT_GE(p.moon->engine().counters().Get(Drop::kUnexpectedResponse), 2u);
  EXPECT_EQ(p.sun->engine().sas().size(), 1u);
}

TEST(Reliability, RetransmitsWithExponentialBackoffThenGivesUp) {
  Pair p;
  Configure(p);
  // sun is silent.
  p.net.AddFilter([](const Packet& pkt) {
    return FilterResult{pkt.from.address == Ip("198.51.100.2") ? Verdict::kDrop : Verdict::kPass,
                        {}};
  });
  p.net.Initiate(*p.moon, "gw");
  p.net.RunFor(std::chrono::minutes(5));
  std::vector<int64_t> sent;
  for (const auto& pkt : p.net.captured()) {
    if (pkt.is(ExchangeType::kIkeSaInit, false)) sent.push_back(pkt.sent.count());
  }
  // strongSwan's defaults: 4s * 1.8^n, 5 retransmits.
  ASSERT_EQ(sent.size(), 6u);
  std::vector<int64_t> expect = {0, 4000, 11200, 24160, 47488, 89478};
  for (size_t i = 0; i < sent.size(); ++i) EXPECT_NEAR(sent[i], expect[i], 2) << i;
  ASSERT_EQ(p.moon->CountEvents(EventKind::kIkeDown), 1u);
  EXPECT_NE(p.moon->events().back().reason.find("retransmit"), std::string::npos);
  EXPECT_TRUE(p.moon->engine().sas().empty());
  // The half-open SA on sun times out too.
  EXPECT_TRUE(p.sun->engine().sas().empty());
}

TEST(Reliability, LostAuthResponseIsReplayedNotReprocessed) {
  Pair p;
  Configure(p);
  int dropped = 0;
  p.net.AddFilter([&](const Packet& pkt) {
    if (pkt.is(ExchangeType::kIkeAuth, true) && dropped < 2) {
      ++dropped;
      return FilterResult{Verdict::kDrop, {}};
    }
    return FilterResult{};
  });
  p.net.Initiate(*p.moon, "gw");
  ASSERT_TRUE(p.net.RunUntil([&] { return BothUp(p); }, std::chrono::seconds(60)));
  EXPECT_EQ(p.sun->engine().counters().Get(Drop::kRetransmittedRequest), 2u);
  EXPECT_EQ(p.sun->CountEvents(EventKind::kChildUp), 1u);  // installed once
  EXPECT_EQ(CheckSaPairs(p.moon->backend(), p.sun->backend()), "");
}

// Injects a datagram into a node as if it came from the peer.
void Inject(SimNet& net, SimNode& node, const Packet& pkt, Bytes bytes) {
  net.Input(node, engine::Datagram{pkt.from, pkt.to, std::move(bytes)});
}

const Packet* FindPacket(const SimNet& net, ExchangeType x, bool response) {
  for (const auto& pkt : net.captured()) {
    if (pkt.is(x, response)) return &pkt;
  }
  return nullptr;
}

TEST(Reliability, MalformedAndUnexpectedMessagesAreCountedAndHarmless) {
  Pair p;
  Configure(p);
  p.net.Initiate(*p.moon, "gw");
  ASSERT_TRUE(p.net.RunUntil([&] { return BothUp(p); }, std::chrono::seconds(10)));
  const Packet auth = *FindPacket(p.net, ExchangeType::kIkeAuth, false);
  const Packet init = *FindPacket(p.net, ExchangeType::kIkeSaInit, true);
  const auto& counters = p.sun->engine().counters();

  // Bad ICV: a flipped bit in the encrypted body.
  Bytes bad = auth.bytes;
  bad[bad.size() - 5] ^= 0x01;
  Inject(p.net, *p.sun, auth, bad);
  EXPECT_EQ(counters.Get(Drop::kBadIcv), 1u);

  // Truncated / garbage.
  Inject(p.net, *p.sun, auth, Bytes(auth.bytes.begin(), auth.bytes.begin() + 20));
  Inject(p.net, *p.sun, auth, Bytes(100, 0xab));
  EXPECT_EQ(counters.Get(Drop::kMalformed), 2u);

  // A replayed (old) IKE_AUTH request gets the cached response.
  Inject(p.net, *p.sun, auth, auth.bytes);
  EXPECT_EQ(counters.Get(Drop::kRetransmittedRequest), 1u);

  // An unencrypted INFORMATIONAL on the established SA.
  auto decoded = wire::DecodeMessage(auth.bytes);
  ASSERT_TRUE(decoded);
  wire::Message plain;
  plain.header = decoded->header;
  plain.header.exchange_type = ExchangeType::kInformational;
  plain.header.message_id = 1;
  Inject(p.net, *p.sun, auth, wire::EncodeMessage(plain));
  EXPECT_EQ(counters.Get(Drop::kMissingSk), 1u);

  // IKE_SA_INIT on an established SA (right SPIs).
  wire::Message reinit;
  reinit.header = decoded->header;
  reinit.header.exchange_type = ExchangeType::kIkeSaInit;
  reinit.header.message_id = 0;
  auto init_decoded = wire::DecodeMessage(init.bytes);
  reinit.payloads = init_decoded->payloads;
  Inject(p.net, *p.sun, auth, wire::EncodeMessage(reinit));
  EXPECT_EQ(counters.Get(Drop::kRetransmittedRequest) + counters.Get(Drop::kStaleRequest) +
                counters.Get(Drop::kUnexpectedExchange),
            2u)
      << counters.ToString();

  // Unknown SPI.
  wire::Message stray = plain;
  stray.header.spi_r ^= 0xffff;
  Inject(p.net, *p.sun, auth, wire::EncodeMessage(stray));
  EXPECT_EQ(counters.Get(Drop::kUnknownSpi), 1u);

  // Responses nobody asked for, to moon.
  Packet resp = *FindPacket(p.net, ExchangeType::kIkeAuth, true);
  Inject(p.net, *p.moon, resp, resp.bytes);
  EXPECT_EQ(p.moon->engine().counters().Get(Drop::kUnexpectedResponse), 1u);

  // Still up and answering: a DPD round trip works.
  p.net.RunFor(std::chrono::seconds(1));
  ASSERT_TRUE(BothUp(p));
  p.net.Input(*p.moon, engine::Command{engine::DpdCommand{p.moon->Established("gw")->id()}});
  p.net.RunFor(std::chrono::seconds(1));
  EXPECT_TRUE(BothUp(p));
  EXPECT_EQ(p.moon->Established("gw")->tasks().next_mid(), 3u);  // INIT, AUTH, DPD
}

}  // namespace
}  // namespace ike::sim
