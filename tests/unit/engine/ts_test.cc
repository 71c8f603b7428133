// Traffic selector narrowing (RFC 7296 2.9) and range-to-prefix splitting.
#include <gtest/gtest.h>

#include "libike/engine/ts/traffic_selector.h"

namespace ike::engine {
namespace {

TrafficSelector T(const char* cidr) { return *TrafficSelector::Parse(cidr); }
IpAddress A(const char* s) { return *IpAddress::Parse(s); }

TEST(TrafficSelector, ParseAndPrint) {
  EXPECT_EQ(T("10.1.0.0/16").ToString(), "10.1.0.0/16");
  EXPECT_EQ(T("10.1.2.3/16").start, A("10.1.0.0"));
  EXPECT_EQ(T("10.1.2.3/16").end, A("10.1.255.255"));
  EXPECT_EQ(T("2001:db8::/32").ToString(), "2001:db8::/32");
  EXPECT_EQ(T("192.0.2.7").ToString(), "192.0.2.7/32");
  EXPECT_FALSE(TrafficSelector::Parse("10.0.0.0/33"));
  EXPECT_FALSE(TrafficSelector::Parse("nonsense"));
  EXPECT_FALSE(TrafficSelector::Parse("10.0.0.0/"));
}

TEST(TrafficSelector, IntersectAddressesPortsProtocols) {
  auto i = Intersect(T("10.0.0.0/8"), T("10.2.0.0/16"));
  ASSERT_TRUE(i);
  EXPECT_EQ(*i, T("10.2.0.0/16"));
  EXPECT_FALSE(Intersect(T("10.1.0.0/16"), T("10.2.0.0/16")));
  EXPECT_FALSE(Intersect(T("10.1.0.0/16"), T("2001:db8::/32")));
  auto tcp = TrafficSelector::FromPrefix(A("10.0.0.0"), 8, 6, 80, 443);
  auto any = T("10.1.0.0/16");
  auto r = Intersect(tcp, any);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->ip_proto, 6);
  EXPECT_EQ(r->start_port, 80);
  EXPECT_EQ(r->end_port, 443);
  auto udp = TrafficSelector::FromPrefix(A("10.0.0.0"), 8, 17);
  EXPECT_FALSE(Intersect(tcp, udp));
  auto high = TrafficSelector::FromPrefix(A("10.0.0.0"), 8, 6, 1024, 65535);
  EXPECT_FALSE(Intersect(tcp, high));
}

TEST(TrafficSelector, NarrowKeepsOrderAndDropsDuplicates) {
  TsList received = {T("10.0.0.0/8"), T("192.168.0.0/16"), T("10.2.0.0/16")};
  TsList configured = {T("10.2.0.0/16"), T("10.3.0.0/16")};
  TsList n = Narrow(received, configured);
  ASSERT_EQ(n.size(), 2u);
  EXPECT_EQ(n[0], T("10.2.0.0/16"));
  EXPECT_EQ(n[1], T("10.3.0.0/16"));
  EXPECT_TRUE(Narrow({T("172.16.0.0/12")}, configured).empty());
}

TEST(TrafficSelector, SubsetCheckRejectsWidening) {
  EXPECT_TRUE(IsSubsetOf({T("10.2.0.0/16")}, {T("10.0.0.0/8")}));
  EXPECT_FALSE(IsSubsetOf({T("10.0.0.0/8")}, {T("10.2.0.0/16")}));
  EXPECT_FALSE(IsSubsetOf({}, {T("10.0.0.0/8")}));
}

TEST(TrafficSelector, DynamicResolvesToHost) {
  TrafficSelector dyn;
  dyn.start = IpAddress();
  dyn.end = IpAddress();
  TsList r = ResolveDynamic({dyn, T("10.0.0.0/8")}, A("192.0.2.1"));
  EXPECT_EQ(r[0], T("192.0.2.1/32"));
  EXPECT_EQ(r[1], T("10.0.0.0/8"));
}

TEST(TrafficSelector, RangeToPrefixes) {
  auto p = RangeToPrefixes(A("10.0.0.1"), A("10.0.0.6"));
  // 10.0.0.1/32, 10.0.0.2/31, 10.0.0.4/31, 10.0.0.6/32
  ASSERT_EQ(p.size(), 4u);
  EXPECT_EQ(p[0].first, A("10.0.0.1"));
  EXPECT_EQ(p[0].second, 32u);
  EXPECT_EQ(p[1].first, A("10.0.0.2"));
  EXPECT_EQ(p[1].second, 31u);
  EXPECT_EQ(p[3].first, A("10.0.0.6"));
  auto all = RangeToPrefixes(A("0.0.0.0"), A("255.255.255.255"));
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].second, 0u);
  auto v6 = RangeToPrefixes(A("2001:db8::"), A("2001:db8::ffff"));
  ASSERT_EQ(v6.size(), 1u);
  EXPECT_EQ(v6[0].second, 112u);
}

TEST(TrafficSelector, XfrmSelectorsCrossProductAndPorts) {
  auto s = ToXfrmSelectors(T("10.1.0.0/16"), TrafficSelector::FromPrefix(A("10.2.0.0"), 16, 6,
                                                                        443, 443));
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].src_prefix, 16);
  EXPECT_EQ(s[0].proto, 6);
  EXPECT_EQ(s[0].dst_port, 443);
  EXPECT_EQ(s[0].dst_port_mask, 0xffff);
  EXPECT_EQ(s[0].src_port_mask, 0);
  TrafficSelector odd;
  odd.start = A("10.0.0.1");
  odd.end = A("10.0.0.2");
  EXPECT_EQ(ToXfrmSelectors(odd, T("10.2.0.0/16")).size(), 2u);
}

}  // namespace
}  // namespace ike::engine
