// NetlinkBackend against this machine's kernel, inside a fresh network
// namespace the test process creates (unshare(CLONE_NEWNET)): whatever the
// tests install vanishes with the process. The host kernel has XFRM but may
// lack ESP: SA installs are expected to come back with the kernel's error,
// cleanly reported.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/xfrm.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "xfrm/backend/install_transaction.h"
#include "xfrm/netlink/kernel_probe.h"
#include "xfrm/netlink/netlink_backend.h"
#include "xfrm/netlink/socket_options.h"

namespace ike::xfrm::netlink {
namespace {

IpAddress Ip(const char* s) { return *IpAddress::Parse(s); }

bool InCi() {
  const char* ci = std::getenv("CI");
  return ci && std::string(ci) == "true";
}

// Enters a private network namespace once per process; "" on success, else
// the reason.
std::string EnterNamespace() {
  static std::string reason = [] {
    if (geteuid() != 0) return std::string("not root");
    if (unshare(CLONE_NEWNET) != 0) return std::string("unshare(CLONE_NEWNET): ") + strerror(errno);
    // Bring lo up for the event test.
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    ifreq ifr{};
    std::strcpy(ifr.ifr_name, "lo");
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
      ifr.ifr_flags |= IFF_UP;
      ioctl(fd, SIOCSIFFLAGS, &ifr);
    }
    close(fd);
    return std::string();
  }();
  return reason;
}

#define REQUIRE_NETNS()                                                        \
  do {                                                                         \
    std::string why = EnterNamespace();                                        \
    if (!why.empty()) {                                                        \
      if (InCi()) FAIL() << "CI=true but no network namespace: " << why;      \
      GTEST_SKIP() << "needs root and network namespaces: " << why;           \
    }                                                                          \
  } while (0)

class NetlinkNetns : public ::testing::Test {
 protected:
  void SetUp() override {
    REQUIRE_NETNS();
    auto b = NetlinkBackend::Open();
    ASSERT_TRUE(b) << b.error().ToString();
    backend_ = std::move(*b);
  }
  void TearDown() override {
    if (backend_) {
      auto r = backend_->FlushOwned();
      EXPECT_TRUE(r) << r.error().ToString();
      auto policies = backend_->ListPolicies();
      ASSERT_TRUE(policies);
      EXPECT_TRUE(policies->empty()) << policies->size() << " policies left behind";
    }
  }

  static PolicyParams OutPolicy(const char* src, uint8_t sp, const char* dst, uint8_t dp,
                                uint32_t reqid = 1) {
    PolicyParams p;
    p.selector.src = Ip(src);
    p.selector.src_prefix = sp;
    p.selector.dst = Ip(dst);
    p.selector.dst_prefix = dp;
    p.direction = Direction::kOut;
    p.templates.push_back(PolicyTemplate{ProtocolId::kEsp, Mode::kTunnel, Ip("192.0.2.1"),
                                         Ip("192.0.2.2"), reqid});
    return p;
  }
  static PolicyId IdOf(const PolicyParams& p) {
    return PolicyId{p.selector, p.direction, p.mark, p.if_id};
  }
  std::optional<PolicyInfo> Find(const PolicyParams& p) {
    auto list = backend_->ListPolicies();
    if (!list) return std::nullopt;
    for (auto& info : *list) {
      if (info.params.selector == p.selector && info.params.direction == p.direction &&
          info.params.mark == p.mark && info.params.if_id == p.if_id) {
        return info;
      }
    }
    return std::nullopt;
  }

  std::unique_ptr<NetlinkBackend> backend_;
};

TEST_F(NetlinkNetns, PolicyAddUpdateListDelete) {
  PolicyParams p = OutPolicy("10.0.0.0", 24, "10.1.0.0", 24, 5);
  ASSERT_TRUE(backend_->AddPolicy(p));
  auto found = Find(p);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->params.priority, ComputePriority(p.selector, PolicyAction::kProtect, false));
  ASSERT_EQ(found->params.templates.size(), 1u);
  EXPECT_EQ(found->params.templates[0].reqid, 5u);
  EXPECT_EQ(found->params.templates[0].dst, Ip("192.0.2.2"));

  // Adding it again: the kernel's EEXIST, reported as "policy exists".
  auto dup = backend_->AddPolicy(p);
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, BackendError::Code::kExists);
  EXPECT_NE(dup.error().ToString().find("policy out 10.0.0.0/24->10.1.0.0/24"), std::string::npos)
      << dup.error().ToString();

  // Update: new priority and reqid.
  p.priority = 1234;
  p.templates[0].reqid = 6;
  ASSERT_TRUE(backend_->UpdatePolicy(p));
  auto got = backend_->GetPolicy(IdOf(p));
  ASSERT_TRUE(got) << got.error().ToString();
  EXPECT_EQ(got->params.priority, 1234u);
  EXPECT_EQ(got->params.templates[0].reqid, 6u);

  ASSERT_TRUE(backend_->DeletePolicy(IdOf(p)));
  EXPECT_FALSE(Find(p));
  auto again = backend_->DeletePolicy(IdOf(p));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, BackendError::Code::kNotFound);
  EXPECT_EQ(backend_->owned_policy_count(), 0u);
}

TEST_F(NetlinkNetns, PrioritiesFollowSpecificity) {
  PolicyParams wide = OutPolicy("10.0.0.0", 8, "10.0.0.0", 8);
  PolicyParams narrow = OutPolicy("10.0.1.0", 24, "10.0.2.0", 24);
  PolicyParams pass = OutPolicy("10.0.1.0", 24, "10.0.3.0", 24);
  pass.action = PolicyAction::kPass;
  pass.templates.clear();
  PolicyParams trap = OutPolicy("10.0.1.0", 24, "10.0.4.0", 24);
  trap.trap = true;
  for (auto* p : {&wide, &narrow, &pass, &trap}) ASSERT_TRUE(backend_->AddPolicy(*p));
  uint32_t w = Find(wide)->params.priority, n = Find(narrow)->params.priority;
  uint32_t ps = Find(pass)->params.priority, t = Find(trap)->params.priority;
  EXPECT_LT(n, w);   // more specific first
  EXPECT_LT(ps, n);  // bypass before protect
  EXPECT_GT(t, n);   // trap yields to installed policies
  EXPECT_EQ(Find(pass)->params.action, PolicyAction::kPass);
}

TEST_F(NetlinkNetns, MarksAndInterfaceIds) {
  PolicyParams a = OutPolicy("10.0.0.0", 24, "10.1.0.0", 24);
  PolicyParams b = a, c = a;
  a.mark = Mark{1, 0xff};
  b.mark = Mark{2, 0xff};
  c.if_id = 7;
  for (auto* p : {&a, &b, &c}) ASSERT_TRUE(backend_->AddPolicy(*p)) << Describe(IdOf(*p));
  auto list = backend_->ListPolicies();
  ASSERT_TRUE(list);
  EXPECT_EQ(list->size(), 3u);
  auto got = backend_->GetPolicy(IdOf(b));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->params.mark, (Mark{2, 0xff}));
  auto gc = backend_->GetPolicy(IdOf(c));
  ASSERT_TRUE(gc);
  EXPECT_EQ(gc->params.if_id, 7u);
  ASSERT_TRUE(backend_->DeletePolicy(IdOf(a)));
  EXPECT_TRUE(backend_->GetPolicy(IdOf(b)));
}

TEST_F(NetlinkNetns, IPv6PolicyAndTransportTemplate) {
  PolicyParams p;
  p.selector.src = Ip("2001:db8:1::");
  p.selector.src_prefix = 64;
  p.selector.dst = Ip("2001:db8:2::");
  p.selector.dst_prefix = 64;
  p.selector.proto = IPPROTO_TCP;
  p.selector.dst_port = 443;
  p.selector.dst_port_mask = 0xffff;
  p.direction = Direction::kIn;
  p.templates.push_back(PolicyTemplate{ProtocolId::kEsp, Mode::kTransport, {}, {}, 3});
  ASSERT_TRUE(backend_->AddPolicy(p));
  auto got = backend_->GetPolicy(IdOf(p));
  ASSERT_TRUE(got) << got.error().ToString();
  EXPECT_EQ(got->params.selector, p.selector);
  EXPECT_EQ(got->params.templates[0].mode, Mode::kTransport);
}

TEST_F(NetlinkNetns, BatchWithPerRequestAcks) {
  std::vector<PolicyParams> batch;
  for (int i = 0; i < 150; ++i) {
    std::string dst = "10.2." + std::to_string(i) + ".0";
    batch.push_back(OutPolicy("10.0.0.0", 24, dst.c_str(), 24));
  }
  batch.push_back(batch[42]);  // a duplicate inside the batch
  auto results = backend_->AddPolicies(batch);
  ASSERT_EQ(results.size(), 151u);
  for (int i = 0; i < 150; ++i) EXPECT_TRUE(results[i]) << i;
  ASSERT_FALSE(results[150]);
  EXPECT_EQ(results[150].error().code, BackendError::Code::kExists);
  EXPECT_NE(results[150].error().detail.find("10.2.42.0/24"), std::string::npos);
  EXPECT_EQ(backend_->owned_policy_count(), 150u);
}

TEST_F(NetlinkNetns, FlushRemovesOnlyOwnEntries) {
  auto other = NetlinkBackend::Open(NetlinkBackendOptions{.events = false});
  ASSERT_TRUE(other);
  PolicyParams foreign = OutPolicy("10.9.0.0", 16, "10.8.0.0", 16);
  ASSERT_TRUE((*other)->AddPolicy(foreign));
  PolicyParams mine = OutPolicy("10.7.0.0", 16, "10.6.0.0", 16);
  ASSERT_TRUE(backend_->AddPolicy(mine));
  ASSERT_TRUE(backend_->FlushOwned());
  EXPECT_FALSE(Find(mine));
  EXPECT_TRUE(Find(foreign));
  ASSERT_TRUE((*other)->FlushOwned());
}

TEST_F(NetlinkNetns, AllocateSpiGivesDistinctLarvalSas) {
  auto a = backend_->AllocateSpi(Ip("192.0.2.2"), Ip("192.0.2.1"), ProtocolId::kEsp, 11);
  auto b = backend_->AllocateSpi(Ip("192.0.2.2"), Ip("192.0.2.1"), ProtocolId::kEsp, 12);
  auto c = backend_->AllocateSpi(Ip("2001:db8::2"), Ip("2001:db8::1"), ProtocolId::kAh, 13);
  ASSERT_TRUE(a) << a.error().ToString();
  ASSERT_TRUE(b);
  ASSERT_TRUE(c) << c.error().ToString();
  EXPECT_NE(*a, *b);
  EXPECT_GE(*a, 0x100u);
  auto info = backend_->GetSa(SaId{Ip("192.0.2.1"), *a, ProtocolId::kEsp, {}});
  ASSERT_TRUE(info) << info.error().ToString();
  EXPECT_EQ(info->reqid, 11u);
  EXPECT_EQ(info->src, Ip("192.0.2.2"));
  EXPECT_EQ(backend_->owned_sa_count(), 3u);
  ASSERT_TRUE(backend_->FlushOwned());
  auto sas = backend_->ListSas();
  ASSERT_TRUE(sas);
  EXPECT_TRUE(sas->empty());
}

TEST_F(NetlinkNetns, EspSaAnsweredWithTheKernelsOwnError) {
  SaParams sa;
  sa.id = SaId{Ip("192.0.2.2"), 0xc0de0001, ProtocolId::kEsp, {}};
  sa.src = Ip("192.0.2.1");
  sa.encr = EncrId::kAesGcm16;
  sa.encr_key_bits = 128;
  sa.enc_key = SecretBytes(20);
  for (size_t i = 0; i < 20; ++i) sa.enc_key[i] = static_cast<uint8_t>(0xa0 + i);
  auto r = backend_->AddSa(sa);
  if (r) {
    // This kernel has ESP: the SA is there; nothing else to check here.
    auto usage = backend_->QuerySa(sa.id);
    EXPECT_TRUE(usage);
    GTEST_SKIP() << "this kernel has ESP; the error path is exercised only without it";
  }
  const std::string text = r.error().ToString();
  EXPECT_TRUE(r.error().code == BackendError::Code::kAlgorithm ||
              r.error().code == BackendError::Code::kNotSupported)
      << text;
  EXPECT_NE(r.error().sys_errno, 0);
  EXPECT_NE(text.find("NEWSA SA esp spi 0xc0de0001 dst 192.0.2.2"), std::string::npos) << text;
  EXPECT_NE(text.find("kernel says"), std::string::npos) << text;
  EXPECT_EQ(text.find("a0a1a2"), std::string::npos) << "key bytes in an error: " << text;
  EXPECT_EQ(backend_->owned_sa_count(), 0u);
}

TEST_F(NetlinkNetns, ProbeLeavesNothingBehind) {
  auto result = ProbeKernel(*backend_);
  EXPECT_EQ(result.algorithms.size(), 8u);
  if (!result.capabilities.esp) {
    ASSERT_FALSE(result.capabilities.notes.empty());
    EXPECT_NE(result.capabilities.notes[0].find("kernel ESP unavailable"), std::string::npos);
  }
  for (const auto& a : result.algorithms) {
    EXPECT_TRUE(a.available || !a.reason.empty()) << a.name;
  }
  auto sas = backend_->ListSas();
  ASSERT_TRUE(sas);
  EXPECT_TRUE(sas->empty()) << sas->size() << " probe SAs left behind";
  // And the /proc/crypto listing works on this kernel.
  auto algs = ListKernelAlgorithms();
  EXPECT_EQ(algs.size(), 7u);
}

TEST_F(NetlinkNetns, TransactionRollsBackAfterKernelError) {
  PolicyParams p1 = OutPolicy("10.3.0.0", 16, "10.4.0.0", 16);
  PolicyParams p2 = OutPolicy("10.3.0.0", 16, "10.5.0.0", 16);
  SaParams bad;  // ESP-less kernels refuse it; others refuse the wrong key size
  bad.id = SaId{Ip("192.0.2.2"), 0xbad, ProtocolId::kEsp, {}};
  bad.src = Ip("192.0.2.1");
  bad.enc_key = SecretBytes(3);
  {
    InstallTransaction tx(*backend_);
    ASSERT_TRUE(tx.AddPolicy(p1));
    ASSERT_TRUE(tx.AddPolicy(p2));
    ASSERT_FALSE(tx.AddSa(bad));
  }
  EXPECT_FALSE(Find(p1));
  EXPECT_FALSE(Find(p2));
}

TEST_F(NetlinkNetns, MissingCapNetAdminIsReportedAsSuch) {
  // A child without privileges (uid nobody has no CAP_NET_ADMIN) asks the
  // kernel for a policy and runs the probe.
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (setgid(65534) != 0 || setuid(65534) != 0) _exit(10);
    auto b = NetlinkBackend::Open(NetlinkBackendOptions{.events = false});
    if (!b) _exit(11);
    auto r = (*b)->AddPolicy(OutPolicy("10.0.0.0", 24, "10.1.0.0", 24));
    if (r) _exit(12);
    if (r.error().code != BackendError::Code::kPermission) _exit(13);
    if (r.error().ToString().find("CAP_NET_ADMIN") == std::string::npos) _exit(14);
    auto probe = ProbeKernel(**b);
    if (probe.capabilities.esp) _exit(15);
    bool said = false;
    for (auto& n : probe.capabilities.notes) said |= n.find("CAP_NET_ADMIN") != std::string::npos;
    _exit(said ? 0 : 16);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "child check failed at step " << WEXITSTATUS(status);
}

TEST_F(NetlinkNetns, SocketHelpers) {
  int v4 = socket(AF_INET, SOCK_DGRAM, 0);
  int v6 = socket(AF_INET6, SOCK_DGRAM, 0);
  ASSERT_GE(v4, 0);
  ASSERT_GE(v6, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(4500);
  ASSERT_EQ(bind(v4, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  auto encap = EnableUdpEncap(v4);
  EXPECT_TRUE(encap) << encap.error().ToString();
  auto by4 = SetSocketBypass(v4, AddressFamily::kIpv4);
  EXPECT_TRUE(by4) << by4.error().ToString();
  auto by6 = SetSocketBypass(v6, AddressFamily::kIpv6);
  EXPECT_TRUE(by6) << by6.error().ToString();
  close(v4);
  close(v6);
}

TEST_F(NetlinkNetns, TrapPolicyRaisesAcquire) {
  // A trap policy for 192.0.2.2 behind a veth; a UDP packet to it makes the
  // kernel ask for an SA (XFRM_MSG_ACQUIRE), which must reach our handler.
  // (Loopback traffic never looks up XFRM policies, hence the veth.)
  ASSERT_EQ(std::system("ip link add nltv0 type veth peer name nltv1 && ip link set nltv0 up && "
                        "ip link set nltv1 up && ip addr add 192.0.2.1/24 dev nltv0"),
            0);
  PolicyParams trap;
  trap.selector.src = Ip("192.0.2.1");
  trap.selector.src_prefix = 32;
  trap.selector.dst = Ip("192.0.2.2");
  trap.selector.dst_prefix = 32;
  trap.direction = Direction::kOut;
  trap.trap = true;
  trap.templates.push_back(PolicyTemplate{ProtocolId::kEsp, Mode::kTransport, {}, {}, 77});
  ASSERT_TRUE(backend_->AddPolicy(trap));
  std::vector<BackendEvent> events;
  backend_->SetEventHandler([&](const BackendEvent& ev) { events.push_back(ev); });
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in dst{};
  dst.sin_family = AF_INET;
  dst.sin_port = htons(9);
  inet_pton(AF_INET, "192.0.2.2", &dst.sin_addr);
  sendto(s, "x", 1, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&dst), sizeof dst);
  close(s);
  for (int i = 0; i < 50 && events.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    backend_->ProcessEvents();
  }
  ASSERT_FALSE(events.empty()) << "no ACQUIRE";
  auto* acq = std::get_if<AcquireEvent>(&events[0]);
  ASSERT_NE(acq, nullptr);
  EXPECT_EQ(acq->reqid, 77u);
  EXPECT_EQ(acq->selector.dst, Ip("192.0.2.2"));
  EXPECT_EQ(acq->dst, Ip("192.0.2.2"));
  EXPECT_EQ(acq->selector.proto, IPPROTO_UDP);
  EXPECT_TRUE(backend_->TakeEventErrors().empty());
}

}  // namespace
}  // namespace ike::xfrm::netlink
