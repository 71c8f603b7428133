// The userspace backend's SPD: selector matching and most-specific-wins.
#include "xfrm/userspace/spd.h"

#include <gtest/gtest.h>

namespace ike::xfrm {
namespace {

Selector Sel(const char* src, uint8_t sp, const char* dst, uint8_t dp, uint8_t proto = 0) {
  Selector s;
  s.src = *IpAddress::Parse(src);
  s.src_prefix = sp;
  s.dst = *IpAddress::Parse(dst);
  s.dst_prefix = dp;
  s.proto = proto;
  return s;
}

esp::PacketInfo Pkt(const char* src, const char* dst, uint8_t proto = 6, uint16_t sport = 1234,
                    uint16_t dport = 80) {
  esp::PacketInfo p;
  p.src = *IpAddress::Parse(src);
  p.dst = *IpAddress::Parse(dst);
  p.proto = proto;
  p.src_port = sport;
  p.dst_port = dport;
  return p;
}

PolicyParams Pol(Selector sel, uint32_t reqid, PolicyAction action = PolicyAction::kProtect) {
  PolicyParams p;
  p.selector = sel;
  p.direction = Direction::kOut;
  p.action = action;
  p.templates.push_back(PolicyTemplate{ProtocolId::kEsp, Mode::kTunnel, {}, {}, reqid});
  return p;
}

TEST(Spd, SelectorMatching) {
  Selector s = Sel("192.0.2.0", 24, "203.0.113.0", 24, 6);
  s.dst_port = 80;
  s.dst_port_mask = 0xffff;
  EXPECT_TRUE(SelectorMatches(s, Pkt("192.0.2.7", "203.0.113.9")));
  EXPECT_FALSE(SelectorMatches(s, Pkt("192.0.3.7", "203.0.113.9")));
  EXPECT_FALSE(SelectorMatches(s, Pkt("192.0.2.7", "203.0.113.9", 17)));
  EXPECT_FALSE(SelectorMatches(s, Pkt("192.0.2.7", "203.0.113.9", 6, 1, 443)));
  EXPECT_FALSE(SelectorMatches(s, Pkt("2001:db8::1", "2001:db8::2")));
  EXPECT_TRUE(SelectorMatches(Sel("::", 0, "2001:db8:2::", 48), Pkt("2001:db8::1", "2001:db8:2::5")));
}

TEST(Spd, MostSpecificWins) {
  PolicyTable t;
  ASSERT_TRUE(t.Add(Pol(Sel("0.0.0.0", 0, "203.0.113.0", 24), 1)).has_value());
  ASSERT_TRUE(t.Add(Pol(Sel("0.0.0.0", 0, "203.0.113.128", 25), 2)).has_value());
  ASSERT_TRUE(t.Add(Pol(Sel("0.0.0.0", 0, "203.0.113.200", 32, 6), 3)).has_value());
  EXPECT_EQ(t.Lookup(Direction::kOut, Pkt("192.0.2.1", "203.0.113.5"))->params.templates[0].reqid, 1u);
  EXPECT_EQ(t.Lookup(Direction::kOut, Pkt("192.0.2.1", "203.0.113.129"))->params.templates[0].reqid, 2u);
  EXPECT_EQ(t.Lookup(Direction::kOut, Pkt("192.0.2.1", "203.0.113.200"))->params.templates[0].reqid, 3u);
  EXPECT_EQ(t.Lookup(Direction::kOut, Pkt("192.0.2.1", "203.0.113.200", 17))->params.templates[0].reqid, 2u);
  EXPECT_EQ(t.Lookup(Direction::kIn, Pkt("192.0.2.1", "203.0.113.5")), nullptr);
  EXPECT_EQ(t.Lookup(Direction::kOut, Pkt("192.0.2.1", "198.51.100.1")), nullptr);
}

TEST(Spd, ExplicitPriorityAndPassWins) {
  PolicyTable t;
  ASSERT_TRUE(t.Add(Pol(Sel("0.0.0.0", 0, "203.0.113.0", 24), 1)).has_value());
  ASSERT_TRUE(t.Add(Pol(Sel("0.0.0.0", 0, "0.0.0.0", 0), 9, PolicyAction::kPass)).has_value());
  // A bypass policy outranks protection (ComputePriority bases).
  EXPECT_EQ(t.Lookup(Direction::kOut, Pkt("192.0.2.1", "203.0.113.5"))->params.action,
            PolicyAction::kPass);
  PolicyParams prio = Pol(Sel("192.0.2.0", 24, "203.0.113.0", 24), 7);
  prio.priority = 10;
  ASSERT_TRUE(t.Add(prio).has_value());
  EXPECT_EQ(t.Lookup(Direction::kOut, Pkt("192.0.2.1", "203.0.113.5"))->params.templates[0].reqid, 7u);
}

TEST(Spd, AddUpdateDelete) {
  PolicyTable t;
  PolicyParams p = Pol(Sel("192.0.2.0", 24, "203.0.113.0", 24), 1);
  ASSERT_TRUE(t.Add(p).has_value());
  EXPECT_EQ(t.Add(p).error().code, BackendError::Code::kExists);
  p.templates[0].reqid = 5;
  ASSERT_TRUE(t.Update(p, false).has_value());
  EXPECT_EQ(t.Lookup(Direction::kOut, Pkt("192.0.2.1", "203.0.113.5"))->params.templates[0].reqid, 5u);
  ASSERT_TRUE(t.Delete(IdOf(p)).has_value());
  EXPECT_EQ(t.Delete(IdOf(p)).error().code, BackendError::Code::kNotFound);
  EXPECT_EQ(t.Update(p, false).error().code, BackendError::Code::kNotFound);
}

// The indexed lookup gives what a scan of every policy in age order gives
// (lowest priority value, then longer combined prefix, then older), for
// host, subnet and wildcard selectors on either side, across deletions.
TEST(Spd, IndexedLookupEqualsScan) {
  PolicyTable t;
  const char* hosts[] = {"192.0.2.1", "192.0.2.2", "203.0.113.5", "203.0.113.6"};
  struct Side { const char* net; uint8_t len; };
  const Side sides[] = {{"0.0.0.0", 0}, {"192.0.2.0", 24}, {"203.0.113.0", 24},
                        {"192.0.2.1", 32}, {"192.0.2.2", 32}, {"203.0.113.5", 32}, {"203.0.113.6", 32}};
  uint32_t reqid = 1;
  std::vector<PolicyParams> added;
  for (const Side& a : sides) {
    for (const Side& b : sides) {
      for (Direction d : {Direction::kOut, Direction::kIn}) {
        PolicyParams p = Pol(Sel(a.net, a.len, b.net, b.len), reqid++);
        p.direction = d;
        if (reqid % 5 == 0) p.priority = 100 + reqid % 3;  // some explicit ties
        ASSERT_TRUE(t.Add(p).has_value());
        added.push_back(p);
      }
    }
  }
  auto scan = [&](Direction dir, const esp::PacketInfo& pk) -> const PolicyEntry* {
    const PolicyEntry* best = nullptr;
    for (const PolicyEntry& e : t.entries()) {
      if (e.params.direction != dir || !SelectorMatches(e.params.selector, pk)) continue;
      if (best == nullptr || e.priority < best->priority ||
          (e.priority == best->priority &&
           e.params.selector.src_prefix + e.params.selector.dst_prefix >
               best->params.selector.src_prefix + best->params.selector.dst_prefix)) {
        best = &e;
      }
    }
    return best;
  };
  auto check_all = [&] {
    for (const char* src : hosts) {
      for (const char* dst : hosts) {
        for (Direction d : {Direction::kOut, Direction::kIn, Direction::kFwd}) {
          auto pk = Pkt(src, dst);
          EXPECT_EQ(t.Lookup(d, pk), scan(d, pk)) << src << " -> " << dst;
        }
      }
    }
  };
  check_all();
  for (size_t i = 0; i < added.size(); i += 3) ASSERT_TRUE(t.Delete(IdOf(added[i])).has_value());
  check_all();
  t.Clear();
  EXPECT_EQ(t.Lookup(Direction::kOut, Pkt("192.0.2.1", "203.0.113.5")), nullptr);
}

}  // namespace
}  // namespace ike::xfrm
