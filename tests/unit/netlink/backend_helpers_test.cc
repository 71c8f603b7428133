// Selector splitting, InstallTransaction rollback and /proc/crypto parsing.
#include <gtest/gtest.h>

#include <map>

#include "xfrm/backend/install_transaction.h"
#include "xfrm/backend/selector.h"
#include "xfrm/netlink/kernel_probe.h"

namespace ike::xfrm {
namespace {

IpAddress Ip(const char* s) { return *IpAddress::Parse(s); }

TEST(RangeToPrefixes, SinglePrefix) {
  auto p = RangeToPrefixes(Ip("10.0.0.0"), Ip("10.0.0.255"));
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0], (Prefix{Ip("10.0.0.0"), 24}));
}

TEST(RangeToPrefixes, UnalignedRange) {
  // 10.0.0.1 - 10.0.0.6 = .1/32 .2/31 .4/31 .6/32
  auto p = RangeToPrefixes(Ip("10.0.0.1"), Ip("10.0.0.6"));
  ASSERT_EQ(p.size(), 4u);
  EXPECT_EQ(p[0], (Prefix{Ip("10.0.0.1"), 32}));
  EXPECT_EQ(p[1], (Prefix{Ip("10.0.0.2"), 31}));
  EXPECT_EQ(p[2], (Prefix{Ip("10.0.0.4"), 31}));
  EXPECT_EQ(p[3], (Prefix{Ip("10.0.0.6"), 32}));
}

TEST(RangeToPrefixes, WholeSpaces) {
  auto v4 = RangeToPrefixes(Ip("0.0.0.0"), Ip("255.255.255.255"));
  ASSERT_EQ(v4.size(), 1u);
  EXPECT_EQ(v4[0].length, 0);
  auto v6 = RangeToPrefixes(Ip("::"), IpAddress::Max(AddressFamily::kIpv6));
  ASSERT_EQ(v6.size(), 1u);
  EXPECT_EQ(v6[0].length, 0);
  auto top = RangeToPrefixes(Ip("255.255.255.254"), Ip("255.255.255.255"));
  ASSERT_EQ(top.size(), 1u);
  EXPECT_EQ(top[0].length, 31);
  auto one6 = RangeToPrefixes(Ip("2001:db8::1"), Ip("2001:db8::1"));
  ASSERT_EQ(one6.size(), 1u);
  EXPECT_EQ(one6[0].length, 128);
  EXPECT_TRUE(RangeToPrefixes(Ip("10.0.0.2"), Ip("10.0.0.1")).empty());
  EXPECT_TRUE(RangeToPrefixes(Ip("10.0.0.2"), Ip("::1")).empty());
}

TEST(PortRangeToMasks, Cases) {
  EXPECT_EQ(PortRangeToMasks(0, 65535), (std::vector<PortMask>{{0, 0}}));
  EXPECT_EQ(PortRangeToMasks(500, 500), (std::vector<PortMask>{{500, 0xffff}}));
  EXPECT_EQ(PortRangeToMasks(1024, 2047), (std::vector<PortMask>{{1024, 0xfc00}}));
  auto m = PortRangeToMasks(1, 4);  // 1, 2-3, 4
  EXPECT_EQ(m, (std::vector<PortMask>{{1, 0xffff}, {2, 0xfffe}, {4, 0xffff}}));
}

TEST(SelectorsFor, CrossProduct) {
  TsRange src{Ip("10.0.0.1"), Ip("10.0.0.2"), 6, 0, 65535};  // 2 prefixes
  TsRange dst{Ip("10.1.0.0"), Ip("10.1.0.255"), 6, 80, 80};
  auto s = SelectorsFor(src, dst);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].proto, 6);
  EXPECT_EQ(s[0].dst_port, 80);
  EXPECT_EQ(s[0].dst_port_mask, 0xffff);
  EXPECT_EQ(s[0].src_port_mask, 0);
  EXPECT_EQ(s[1].src, Ip("10.0.0.2"));
}

TEST(ComputePriority, MoreSpecificWins) {
  Selector wide{Ip("10.0.0.0"), 8, Ip("10.0.0.0"), 8};
  Selector narrow{Ip("10.0.0.0"), 24, Ip("10.1.0.0"), 24};
  EXPECT_LT(ComputePriority(narrow, PolicyAction::kProtect, false),
            ComputePriority(wide, PolicyAction::kProtect, false));
  EXPECT_LT(ComputePriority(wide, PolicyAction::kPass, false),
            ComputePriority(narrow, PolicyAction::kProtect, false));
  EXPECT_GT(ComputePriority(narrow, PolicyAction::kProtect, true),
            ComputePriority(narrow, PolicyAction::kProtect, false));
}

// A Backend that records calls and fails on demand.
class RecordingBackend : public Backend {
 public:
  std::string name() const override { return "recording"; }
  BackendResult<uint32_t> AllocateSpi(const IpAddress&, const IpAddress&, ProtocolId,
                                      uint32_t) override {
    return 1u;
  }
  BackendResult<void> AddSa(const SaParams& sa) override { return Step("add-sa", sa.id.spi); }
  BackendResult<void> UpdateSa(const SaParams& sa) override { return Step("upd-sa", sa.id.spi); }
  BackendResult<void> DeleteSa(const SaId& sa) override { return Step("del-sa", sa.spi); }
  BackendResult<SaUsage> QuerySa(const SaId&) override { return SaUsage{}; }
  BackendResult<void> AddPolicy(const PolicyParams& p) override {
    return Step("add-pol", p.selector.dst_prefix);
  }
  BackendResult<void> UpdatePolicy(const PolicyParams&) override { return {}; }
  BackendResult<void> DeletePolicy(const PolicyId& p) override {
    return Step("del-pol", p.selector.dst_prefix);
  }
  BackendResult<void> FlushOwned() override { return {}; }
  void SetEventHandler(EventHandler) override {}
  int fd() const override { return -1; }
  void ProcessEvents() override {}

  std::vector<std::string> log;
  std::string fail_on;

 private:
  BackendResult<void> Step(const std::string& what, uint32_t n) {
    std::string entry = what + ":" + std::to_string(n);
    log.push_back(entry);
    if (entry == fail_on) {
      return MakeUnexpected(BackendError{BackendError::Code::kExists, 17, entry});
    }
    return {};
  }
};

TEST(InstallTransaction, FailureRollsBackInReverseOrder) {
  RecordingBackend b;
  b.fail_on = "add-pol:24";
  SaParams in, out;
  in.id.spi = 1;
  out.id.spi = 2;
  PolicyParams p1, p2;
  p1.selector.dst_prefix = 16;
  p2.selector.dst_prefix = 24;
  {
    InstallTransaction tx(b);
    ASSERT_TRUE(tx.UpdateSa(in));
    ASSERT_TRUE(tx.AddSa(out));
    ASSERT_TRUE(tx.AddPolicy(p1));
    auto r = tx.AddPolicy(p2);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, BackendError::Code::kExists);
  }  // destructor rolls back
  EXPECT_EQ(b.log, (std::vector<std::string>{"upd-sa:1", "add-sa:2", "add-pol:16", "add-pol:24",
                                             "del-pol:16", "del-sa:2", "del-sa:1"}));
}

TEST(InstallTransaction, CommitKeeps) {
  RecordingBackend b;
  SaParams sa;
  sa.id.spi = 5;
  {
    InstallTransaction tx(b);
    ASSERT_TRUE(tx.AddSa(sa));
    tx.Commit();
  }
  EXPECT_EQ(b.log, (std::vector<std::string>{"add-sa:5"}));
}

TEST(InstallTransaction, RollbackReportsUndoFailures) {
  RecordingBackend b;
  b.fail_on = "del-sa:5";
  SaParams sa;
  sa.id.spi = 5;
  InstallTransaction tx(b);
  ASSERT_TRUE(tx.AddSa(sa));
  auto errors = tx.Rollback();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(tx.size(), 0u);
}

TEST(ProcCrypto, ParsesAndPicksHighestPriority) {
  const char* text =
      "name         : gcm(aes)\n"
      "driver       : generic-gcm-aes\n"
      "module       : kernel\n"
      "priority     : 100\n"
      "selftest     : passed\n"
      "type         : aead\n"
      "\n"
      "name         : rfc4106(gcm(aes))\n"
      "driver       : rfc4106-gcm-aesni\n"
      "module       : aesni_intel\n"
      "priority     : 400\n"
      "selftest     : passed\n"
      "type         : aead\n"
      "\n"
      "name         : rfc4106(gcm(aes))\n"
      "driver       : rfc4106(gcm_base(ctr(aes-generic),ghash-generic))\n"
      "module       : kernel\n"
      "priority     : 100\n"
      "selftest     : passed\n"
      "\n"
      "name         : hmac(sha256)\n"
      "driver       : hmac(sha256-generic)\n"
      "priority     : 100\n"
      "selftest     : unknown\n";
  auto drivers = netlink::ParseProcCrypto(text);
  ASSERT_EQ(drivers.size(), 4u);
  EXPECT_EQ(drivers[1].module, "aesni_intel");
  EXPECT_EQ(drivers[1].priority, 400);
  EXPECT_FALSE(drivers[3].selftest_passed);
  auto algs = netlink::MatchKernelAlgorithms(drivers);
  std::map<std::string, netlink::KernelAlgorithm> by_kernel;
  for (auto& a : algs) by_kernel[a.kernel_name] = a;
  EXPECT_TRUE(by_kernel["rfc4106(gcm(aes))"].present);
  EXPECT_EQ(by_kernel["rfc4106(gcm(aes))"].driver, "rfc4106-gcm-aesni");
  EXPECT_FALSE(by_kernel["rfc7539esp(chacha20,poly1305)"].present);
  EXPECT_FALSE(by_kernel["hmac(sha256)"].present);  // self-test not passed
  EXPECT_FALSE(by_kernel["cbc(aes)"].note.empty());
}

}  // namespace
}  // namespace ike::xfrm
