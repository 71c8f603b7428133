// AddressPools: lease order, reuse per identity, reference counts,
// exhaustion and reconfiguration.
#include "libike/engine/sa/pools.h"

#include <gtest/gtest.h>

namespace ike::engine {
namespace {

IpAddress Ip(const char* s) { return *IpAddress::Parse(s); }

TEST(Pools, CidrSkipsNetworkAndBroadcast) {
  PoolSpec p = PoolFromCidr("p", Ip("10.3.0.77"), 24);
  EXPECT_EQ(p.first.ToString(), "10.3.0.1");
  EXPECT_EQ(p.last.ToString(), "10.3.0.254");
  EXPECT_EQ(p.size(), 254u);
  PoolSpec h = PoolFromCidr("h", Ip("192.0.2.9"), 32);
  EXPECT_EQ(h.first.ToString(), "192.0.2.9");
  EXPECT_EQ(h.size(), 1u);
  PoolSpec v6 = PoolFromCidr("v6", Ip("2001:db8:1::"), 120);
  EXPECT_EQ(v6.first.ToString(), "2001:db8:1::1");
  EXPECT_EQ(v6.last.ToString(), "2001:db8:1::ff");
  EXPECT_EQ(PoolFromCidr("big", Ip("2001:db8::"), 64).size(), uint64_t{1} << 32);
}

TEST(Pools, SameIdentityGetsSameAddressAndRequestsAreHonoured) {
  AddressPools pools;
  pools.Configure({PoolFromCidr("rw", Ip("10.3.0.0"), 29)});  // .1 - .6
  auto a = pools.Acquire({"rw"}, AddressFamily::kIpv4, "alice", std::nullopt);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->address.ToString(), "10.3.0.1");
  EXPECT_EQ(a->pool, "rw");
  auto b = pools.Acquire({"rw"}, AddressFamily::kIpv4, "bob", Ip("10.3.0.5"));
  ASSERT_TRUE(b);
  EXPECT_EQ(b->address.ToString(), "10.3.0.5");
  // carol asks for bob's address: she gets a free one instead.
  auto c = pools.Acquire({"rw"}, AddressFamily::kIpv4, "carol", Ip("10.3.0.5"));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->address.ToString(), "10.3.0.2");
  // alice reconnects after a disconnect: same address.
  pools.Release("rw", a->address);
  auto status = pools.Status();
  ASSERT_EQ(status.size(), 1u);
  EXPECT_EQ(status[0].online, 2u);
  EXPECT_EQ(status[0].offline, 1u);
  auto a2 = pools.Acquire({"rw"}, AddressFamily::kIpv4, "alice", std::nullopt);
  ASSERT_TRUE(a2);
  EXPECT_EQ(a2->address, a->address);
  // A reauthentication holds it twice; one release keeps it online.
  auto a3 = pools.Acquire({"rw"}, AddressFamily::kIpv4, "alice", std::nullopt);
  ASSERT_TRUE(a3);
  pools.Release("rw", a->address);
  EXPECT_EQ(pools.Status()[0].online, 3u);
  pools.Release("rw", a->address);
  EXPECT_EQ(pools.Status()[0].online, 2u);
  pools.Release("rw", a->address);  // one too many: ignored
  EXPECT_EQ(pools.Status()[0].offline, 1u);
}

TEST(Pools, ExhaustionReusesOldestOfflineThenFails) {
  AddressPools pools;
  pools.Configure({PoolFromCidr("tiny", Ip("10.9.0.0"), 30)});  // .1 .2
  auto a = pools.Acquire({"tiny"}, AddressFamily::kIpv4, "a", std::nullopt);
  auto b = pools.Acquire({"tiny"}, AddressFamily::kIpv4, "b", std::nullopt);
  ASSERT_TRUE(a && b);
  auto c = pools.Acquire({"tiny"}, AddressFamily::kIpv4, "c", std::nullopt);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().find("exhausted"), std::string::npos) << c.error();
  pools.Release("tiny", b->address);
  pools.Release("tiny", a->address);
  auto c2 = pools.Acquire({"tiny"}, AddressFamily::kIpv4, "c", std::nullopt);
  ASSERT_TRUE(c2);
  EXPECT_EQ(c2->address, b->address);  // b released first
  // b lost its old lease and gets a's (the only offline one left).
  auto b2 = pools.Acquire({"tiny"}, AddressFamily::kIpv4, "b", std::nullopt);
  ASSERT_TRUE(b2);
  EXPECT_EQ(b2->address, a->address);
}

TEST(Pools, FamiliesUnknownPoolsAndFallThrough) {
  AddressPools pools;
  pools.Configure({PoolFromCidr("one", Ip("10.1.0.0"), 32), PoolFromCidr("v6", Ip("2001:db8::"), 126),
                   PoolFromCidr("two", Ip("10.2.0.0"), 30)});
  auto x = pools.Acquire({"one", "two"}, AddressFamily::kIpv4, "x", std::nullopt);
  auto y = pools.Acquire({"one", "two"}, AddressFamily::kIpv4, "y", std::nullopt);
  ASSERT_TRUE(x && y);
  EXPECT_EQ(x->pool, "one");
  EXPECT_EQ(y->pool, "two");
  auto z = pools.Acquire({"v6"}, AddressFamily::kIpv6, "z", std::nullopt);
  ASSERT_TRUE(z);
  EXPECT_EQ(z->address.ToString(), "2001:db8::1");
  auto none = pools.Acquire({"nope"}, AddressFamily::kIpv4, "w", std::nullopt);
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().find("nope"), std::string::npos);
  EXPECT_FALSE(pools.Acquire({"v6"}, AddressFamily::kIpv4, "w", std::nullopt));
}

TEST(Pools, ReconfigureKeepsLeasesOfUnchangedPools) {
  AddressPools pools;
  pools.Configure({PoolFromCidr("keep", Ip("10.1.0.0"), 29), PoolFromCidr("move", Ip("10.2.0.0"), 29)});
  ASSERT_TRUE(pools.Acquire({"keep"}, AddressFamily::kIpv4, "a", std::nullopt));
  ASSERT_TRUE(pools.Acquire({"move"}, AddressFamily::kIpv4, "b", std::nullopt));
  pools.Configure({PoolFromCidr("keep", Ip("10.1.0.0"), 29), PoolFromCidr("move", Ip("10.7.0.0"), 29)});
  auto st = pools.Status();
  ASSERT_EQ(st.size(), 2u);
  EXPECT_EQ(st[0].online, 1u);
  EXPECT_EQ(st[1].online, 0u);
}

}  // namespace
}  // namespace ike::engine
