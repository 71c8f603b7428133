// rtnetlink request building for client virtual IPs (route_manager.h): the
// bytes the kernel gets for the address, the table-220 route, the rule and a
// route lookup, and parsing of the lookup's answer.
#include "xfrm/netlink/route_manager.h"

#include <gtest/gtest.h>
#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cstring>
#include <map>
#include <vector>

namespace ike::xfrm::netlink {
namespace {

IpAddress Ip(const char* s) { return *IpAddress::Parse(s); }

struct Parsed {
  const nlmsghdr* nlh;
  std::map<uint16_t, std::vector<uint8_t>> attrs;
};

Parsed Parse(const std::vector<uint8_t>& buf, size_t len, size_t fixed) {
  Parsed p{reinterpret_cast<const nlmsghdr*>(buf.data()), {}};
  EXPECT_EQ(p.nlh->nlmsg_len, len);
  const auto* base = buf.data();
  size_t off = MNL_ALIGN(MNL_NLMSG_HDRLEN + fixed);
  while (off + sizeof(nlattr) <= len) {
    const auto* a = reinterpret_cast<const nlattr*>(base + off);
    EXPECT_GE(a->nla_len, sizeof(nlattr));
    if (a->nla_len < sizeof(nlattr)) break;
    const uint8_t* data = base + off + sizeof(nlattr);
    p.attrs[a->nla_type & NLA_TYPE_MASK] = std::vector<uint8_t>(data, data + a->nla_len - sizeof(nlattr));
    off += MNL_ALIGN(a->nla_len);
  }
  EXPECT_EQ(off, len);
  return p;
}

std::vector<uint8_t> Bytes4(uint32_t v) {
  std::vector<uint8_t> b(4);
  std::memcpy(b.data(), &v, 4);
  return b;
}
std::vector<uint8_t> AddrBytes(const char* s) {
  auto a = Ip(s);
  return std::vector<uint8_t>(a.bytes().begin(), a.bytes().end());
}

TEST(RouteManagerMessages, AddressAddIsAHostAddressOnTheInterface) {
  std::vector<uint8_t> buf(512);
  size_t len = BuildAddressRequest(buf, true, 7, Ip("10.3.0.2"), 32);
  ASSERT_GT(len, 0u);
  auto p = Parse(buf, len, sizeof(ifaddrmsg));
  EXPECT_EQ(p.nlh->nlmsg_type, RTM_NEWADDR);
  EXPECT_EQ(p.nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
  const auto* ifa = reinterpret_cast<const ifaddrmsg*>(buf.data() + MNL_NLMSG_HDRLEN);
  EXPECT_EQ(ifa->ifa_family, AF_INET);
  EXPECT_EQ(ifa->ifa_prefixlen, 32);
  EXPECT_EQ(ifa->ifa_index, 7u);
  EXPECT_EQ(p.attrs[IFA_LOCAL], AddrBytes("10.3.0.2"));
  EXPECT_EQ(p.attrs[IFA_ADDRESS], AddrBytes("10.3.0.2"));
  EXPECT_EQ(p.attrs.count(IFA_FLAGS), 0u);
}

TEST(RouteManagerMessages, Ipv6AddressDeleteSkipsDad) {
  std::vector<uint8_t> buf(512);
  size_t len = BuildAddressRequest(buf, false, 3, Ip("2001:db8::5"), 128);
  auto p = Parse(buf, len, sizeof(ifaddrmsg));
  EXPECT_EQ(p.nlh->nlmsg_type, RTM_DELADDR);
  EXPECT_EQ(p.nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
  EXPECT_EQ(p.attrs[IFA_LOCAL], AddrBytes("2001:db8::5"));
  EXPECT_EQ(p.attrs[IFA_FLAGS], Bytes4(IFA_F_NODAD));
}

TEST(RouteManagerMessages, RouteInTable220WithTheVirtualIpAsSource) {
  std::vector<uint8_t> buf(512);
  size_t len = BuildRouteRequest(buf, true, 220, Ip("192.0.2.77"), 24, 4, Ip("198.51.100.254"), Ip("10.3.0.2"));
  auto p = Parse(buf, len, sizeof(rtmsg));
  EXPECT_EQ(p.nlh->nlmsg_type, RTM_NEWROUTE);
  EXPECT_EQ(p.nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE);
  const auto* rtm = reinterpret_cast<const rtmsg*>(buf.data() + MNL_NLMSG_HDRLEN);
  EXPECT_EQ(rtm->rtm_family, AF_INET);
  EXPECT_EQ(rtm->rtm_dst_len, 24);
  EXPECT_EQ(rtm->rtm_table, 220);
  EXPECT_EQ(rtm->rtm_scope, RT_SCOPE_UNIVERSE);  // it has a next hop
  EXPECT_EQ(rtm->rtm_type, RTN_UNICAST);
  EXPECT_EQ(p.attrs[RTA_DST], AddrBytes("192.0.2.0"));  // the network, not the host
  EXPECT_EQ(p.attrs[RTA_TABLE], Bytes4(220));
  EXPECT_EQ(p.attrs[RTA_OIF], Bytes4(4));
  EXPECT_EQ(p.attrs[RTA_GATEWAY], AddrBytes("198.51.100.254"));
  EXPECT_EQ(p.attrs[RTA_PREFSRC], AddrBytes("10.3.0.2"));
}

TEST(RouteManagerMessages, DefaultRouteOnLinkAndItsDelete) {
  std::vector<uint8_t> buf(512);
  size_t len = BuildRouteRequest(buf, true, 1000, Ip("0.0.0.0"), 0, 2, std::nullopt, Ip("10.3.0.2"));
  auto p = Parse(buf, len, sizeof(rtmsg));
  const auto* rtm = reinterpret_cast<const rtmsg*>(buf.data() + MNL_NLMSG_HDRLEN);
  EXPECT_EQ(rtm->rtm_scope, RT_SCOPE_LINK);
  EXPECT_EQ(rtm->rtm_table, RT_TABLE_UNSPEC);  // > 255: only in RTA_TABLE
  EXPECT_EQ(p.attrs[RTA_TABLE], Bytes4(1000));
  EXPECT_EQ(p.attrs.count(RTA_DST), 0u);
  EXPECT_EQ(p.attrs.count(RTA_GATEWAY), 0u);
  len = BuildRouteRequest(buf, false, 220, Ip("0.0.0.0"), 0, 2, std::nullopt, Ip("10.3.0.2"));
  p = Parse(buf, len, sizeof(rtmsg));
  EXPECT_EQ(p.nlh->nlmsg_type, RTM_DELROUTE);
  EXPECT_EQ(reinterpret_cast<const rtmsg*>(buf.data() + MNL_NLMSG_HDRLEN)->rtm_scope, RT_SCOPE_NOWHERE);
}

TEST(RouteManagerMessages, RuleLooksUpTheTableAtItsPriority) {
  std::vector<uint8_t> buf(512);
  size_t len = BuildRuleRequest(buf, true, AddressFamily::kIpv6, 220, 220);
  auto p = Parse(buf, len, sizeof(fib_rule_hdr));
  EXPECT_EQ(p.nlh->nlmsg_type, RTM_NEWRULE);
  EXPECT_EQ(p.nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
  const auto* frh = reinterpret_cast<const fib_rule_hdr*>(buf.data() + MNL_NLMSG_HDRLEN);
  EXPECT_EQ(frh->family, AF_INET6);
  EXPECT_EQ(frh->action, FR_ACT_TO_TBL);
  EXPECT_EQ(frh->table, 220);
  EXPECT_EQ(p.attrs[FRA_PRIORITY], Bytes4(220));
  EXPECT_EQ(p.attrs[FRA_TABLE], Bytes4(220));
}

TEST(RouteManagerMessages, TooSmallBufferBuildsNothing) {
  std::vector<uint8_t> buf(64);
  EXPECT_EQ(BuildRouteGetRequest(buf, Ip("192.0.2.1")), 0u);
  EXPECT_EQ(BuildRuleRequest(buf, true, AddressFamily::kIpv4, 220, 220), 0u);
}

TEST(RouteManagerMessages, RouteGetAnswerGivesInterfaceAndGateway) {
  std::vector<uint8_t> buf(512);
  size_t len = BuildRouteGetRequest(buf, Ip("203.0.113.9"));
  auto p = Parse(buf, len, sizeof(rtmsg));
  EXPECT_EQ(p.nlh->nlmsg_type, RTM_GETROUTE);
  EXPECT_EQ(p.nlh->nlmsg_flags, NLM_F_REQUEST);
  EXPECT_EQ(p.attrs[RTA_DST], AddrBytes("203.0.113.9"));

  // The kernel's answer: the same layout with RTM_NEWROUTE.
  std::vector<uint8_t> reply(512);
  len = BuildRouteRequest(reply, true, 254, Ip("203.0.113.9"), 32, 5, Ip("198.51.100.254"), Ip("198.51.100.1"));
  auto info = ParseRouteReply(std::span<const uint8_t>(reply.data(), len));
  ASSERT_TRUE(info);
  EXPECT_EQ(info->ifindex, 5);
  EXPECT_EQ(info->gateway, Ip("198.51.100.254"));
  EXPECT_EQ(info->prefsrc, Ip("198.51.100.1"));
  // Truncated, or not a route, or no interface: nothing.
  EXPECT_FALSE(ParseRouteReply(std::span<const uint8_t>(reply.data(), 10)));
  len = BuildRouteRequest(reply, true, 254, Ip("203.0.113.9"), 32, 0, std::nullopt, std::nullopt);
  EXPECT_FALSE(ParseRouteReply(std::span<const uint8_t>(reply.data(), len)));
  len = BuildRuleRequest(reply, true, AddressFamily::kIpv4, 220, 220);
  EXPECT_FALSE(ParseRouteReply(std::span<const uint8_t>(reply.data(), len)));
}

}  // namespace
}  // namespace ike::xfrm::netlink
