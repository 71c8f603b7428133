// RouteManager (client virtual IPs with the kernel data path) against this
// machine's kernel, inside a fresh network namespace the test process
// creates: the address on the interface towards the gateway, the table-220
// route with the virtual IP as source, the rule, for IPv4 and IPv6, and all
// of it gone after removal or when the manager is destroyed. The "gateway"
// is behind one end of a veth pair; the state is read back with iproute2.
#include "xfrm/netlink/route_manager.h"

#include <gtest/gtest.h>
#include <sched.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace ike::xfrm::netlink {
namespace {

IpAddress Ip(const char* s) { return *IpAddress::Parse(s); }

bool InCi() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string(ci) == "true";
}

std::string Sh(const std::string& cmd) {
  std::string out;
  FILE* f = popen((cmd + " 2>&1").c_str(), "r");
  if (f == nullptr) return "popen failed";
  char buf[512];
  while (fgets(buf, sizeof(buf), f) != nullptr) out += buf;
  pclose(f);
  return out;
}

// A private namespace with lo up and a veth "uplink" towards 198.51.100.1
// and 2001:db8:ff::1 (via a gateway for IPv6, on-link for IPv4).
std::string EnterNamespace() {
  static std::string reason = [] {
    if (geteuid() != 0) return std::string("not root");
    if (unshare(CLONE_NEWNET) != 0) return std::string("unshare(CLONE_NEWNET): ") + strerror(errno);
    std::string out = Sh(
        "ip link set lo up && ip link add uplink type veth peer name uplink-peer && ip link set uplink-peer up && ip link set uplink up && "
        "ip addr add 198.51.100.2/24 dev uplink && ip addr add 2001:db8:1::2/64 dev uplink nodad && "
        "ip -6 route add 2001:db8:ff::/48 via 2001:db8:1::1 dev uplink && echo ok");
    if (out.find("ok") == std::string::npos) return "setting up the namespace: " + out;
    return std::string();
  }();
  return reason;
}

class RouteManagerNetns : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why = EnterNamespace();
    if (!why.empty()) {
      if (InCi()) FAIL() << "CI=true but no network namespace: " << why;
      GTEST_SKIP() << "needs root and network namespaces: " << why;
    }
  }
};

TEST_F(RouteManagerNetns, Ipv4VirtualIpRouteAndRuleComeAndGo) {
  RouteManager rm;
  ASSERT_TRUE(rm.Open());
  auto r = rm.AddVirtualIp(Ip("10.3.0.7"), Ip("198.51.100.1"));
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_NE(Sh("ip -4 -o addr show dev uplink").find("inet 10.3.0.7/32"), std::string::npos);
  ASSERT_TRUE(rm.AddRoute(Ip("192.0.2.0"), 24, Ip("10.3.0.7")));
  ASSERT_TRUE(rm.AddRoute(Ip("0.0.0.0"), 0, Ip("10.3.0.7")));
  ASSERT_TRUE(rm.AddRoute(Ip("192.0.2.0"), 24, Ip("10.3.0.7")));  // a second reference
  std::string routes = Sh("ip -4 route show table 220");
  EXPECT_NE(routes.find("192.0.2.0/24 dev uplink proto static scope link src 10.3.0.7"), std::string::npos)
      << routes;
  EXPECT_NE(routes.find("default dev uplink proto static scope link src 10.3.0.7"), std::string::npos) << routes;
  EXPECT_NE(Sh("ip -4 rule show").find("220:\tfrom all lookup 220"), std::string::npos);
  // Locally generated traffic to the remote selectors leaves from the VIP.
  EXPECT_NE(Sh("ip -4 route get 192.0.2.9").find("src 10.3.0.7"), std::string::npos);
  EXPECT_NE(Sh("ip -4 route get 203.0.113.9").find("src 10.3.0.7"), std::string::npos);

  ASSERT_TRUE(rm.RemoveRoute(Ip("192.0.2.0"), 24, Ip("10.3.0.7")));
  EXPECT_NE(Sh("ip -4 route show table 220").find("192.0.2.0/24"), std::string::npos);  // one ref left
  ASSERT_TRUE(rm.RemoveRoute(Ip("192.0.2.0"), 24, Ip("10.3.0.7")));
  EXPECT_EQ(Sh("ip -4 route show table 220").find("192.0.2.0/24"), std::string::npos);
  // Removing the address takes the remaining route and the rule along.
  ASSERT_TRUE(rm.RemoveVirtualIp(Ip("10.3.0.7")));
  EXPECT_EQ(Sh("ip -4 route show table 220"), "");
  EXPECT_EQ(Sh("ip -4 rule show").find("lookup 220"), std::string::npos);
  EXPECT_EQ(Sh("ip -4 addr show dev uplink").find("10.3.0.7"), std::string::npos);
}

TEST_F(RouteManagerNetns, Ipv6ViaGatewayAndCleanupOnDestruction) {
  {
    RouteManager rm;
    ASSERT_TRUE(rm.Open());
    auto r = rm.AddVirtualIp(Ip("2001:db8:5::9"), Ip("2001:db8:ff::1"));
    ASSERT_TRUE(r) << r.error().ToString();
    EXPECT_NE(Sh("ip -6 -o addr show dev uplink").find("inet6 2001:db8:5::9/128"), std::string::npos);
    auto a = rm.AddRoute(Ip("2001:db8:ff::"), 48, Ip("2001:db8:5::9"));
    ASSERT_TRUE(a) << a.error().ToString();
    std::string routes = Sh("ip -6 route show table 220");
    EXPECT_NE(routes.find("2001:db8:ff::/48 via 2001:db8:1::1 dev uplink proto static src 2001:db8:5::9"),
              std::string::npos)
        << routes;
    EXPECT_NE(Sh("ip -6 rule show").find("lookup 220"), std::string::npos);
    // A family mismatch is refused, not sent.
    EXPECT_FALSE(rm.AddRoute(Ip("192.0.2.0"), 24, Ip("2001:db8:5::9")));
  }
  EXPECT_EQ(Sh("ip -6 route show table 220"), "");
  EXPECT_EQ(Sh("ip -6 rule show").find("lookup 220"), std::string::npos);
  EXPECT_EQ(Sh("ip -6 addr show dev uplink").find("2001:db8:5::9"), std::string::npos);
}

TEST_F(RouteManagerNetns, UnreachablePeerIsReported) {
  RouteManager rm;
  ASSERT_TRUE(rm.Open());
  auto r = rm.AddVirtualIp(Ip("10.3.0.8"), Ip("203.0.113.77"));  // no route there
  ASSERT_FALSE(r);
  EXPECT_FALSE(rm.HasVirtualIp(Ip("10.3.0.8")));
}

}  // namespace
}  // namespace ike::xfrm::netlink
