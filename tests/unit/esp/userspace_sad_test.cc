// The userspace backend's SAD/SPD bookkeeping without a data plane (no
// Start(): no TUN device, no root needed).
#include <gtest/gtest.h>

#include "xfrm/userspace/userspace_backend.h"

namespace ike::xfrm {
namespace {

SaParams Sa(Direction dir, uint32_t spi) {
  SaParams sa;
  sa.id.dst = *IpAddress::Parse(dir == Direction::kIn ? "198.51.100.1" : "198.51.100.2");
  sa.id.spi = spi;
  sa.src = *IpAddress::Parse(dir == Direction::kIn ? "198.51.100.2" : "198.51.100.1");
  sa.direction = dir;
  sa.reqid = 3;
  sa.encr = EncrId::kAesGcm16;
  sa.encr_key_bits = 128;
  sa.enc_key = SecretBytes(20);
  return sa;
}

TEST(UserspaceSad, AddQueryUpdateDeleteWithoutDataPlane) {
  UserspaceBackend b(UserspaceOptions{});
  EXPECT_EQ(b.name(), "userspace");
  ASSERT_TRUE(b.AddSa(Sa(Direction::kIn, 0xc0000001)).has_value());
  ASSERT_TRUE(b.AddSa(Sa(Direction::kOut, 0xc0000002)).has_value());
  EXPECT_EQ(b.AddSa(Sa(Direction::kIn, 0xc0000001)).error().code, BackendError::Code::kExists);
  auto usage = b.QuerySa(Sa(Direction::kIn, 0xc0000001).id);
  ASSERT_TRUE(usage.has_value());
  EXPECT_EQ(usage->packets, 0u);
  EXPECT_GT(usage->add_time, 0u);
  SaParams moved = Sa(Direction::kOut, 0xc0000002);
  moved.src = *IpAddress::Parse("198.51.100.9");  // MOBIKE-style address update
  EXPECT_TRUE(b.UpdateSa(moved).has_value());
  EXPECT_TRUE(b.DeleteSa(Sa(Direction::kIn, 0xc0000001).id).has_value());
  EXPECT_EQ(b.QuerySa(Sa(Direction::kIn, 0xc0000001).id).error().code,
            BackendError::Code::kNotFound);
  EXPECT_TRUE(b.FlushOwned().has_value());
  EXPECT_EQ(b.QuerySa(moved.id).error().code, BackendError::Code::kNotFound);
}

TEST(UserspaceSad, BadAlgorithmsAndDirectionsRefused) {
  UserspaceBackend b(UserspaceOptions{});
  SaParams bad = Sa(Direction::kIn, 0xc0000003);
  bad.enc_key = SecretBytes(16);  // GCM needs the 4-byte salt
  EXPECT_EQ(b.AddSa(bad).error().code, BackendError::Code::kAlgorithm);
  SaParams des = Sa(Direction::kIn, 0xc0000004);
  des.encr = EncrId::k3Des;
  EXPECT_EQ(b.AddSa(des).error().code, BackendError::Code::kAlgorithm);
  SaParams ah = Sa(Direction::kIn, 0xc0000005);
  ah.id.protocol = ProtocolId::kAh;
  EXPECT_EQ(b.AddSa(ah).error().code, BackendError::Code::kNotSupported);
  EXPECT_EQ(b.AddSa(Sa(Direction::kFwd, 0xc0000006)).error().code,
            BackendError::Code::kInvalidArgument);
}

TEST(UserspaceSad, PoliciesWithoutDataPlane) {
  UserspaceOptions opt;
  UserspaceBackend b(opt);
  PolicyParams p;
  p.selector.src = *IpAddress::Parse("192.0.2.0");
  p.selector.src_prefix = 24;
  p.selector.dst = *IpAddress::Parse("203.0.113.0");
  p.selector.dst_prefix = 24;
  p.templates.push_back(PolicyTemplate{});
  // Routes cannot be installed before Start(); the SPD still works.
  ASSERT_TRUE(b.AddPolicy(p).has_value());
  EXPECT_EQ(b.AddPolicy(p).error().code, BackendError::Code::kExists);
  EXPECT_TRUE(b.UpdatePolicy(p).has_value());
  EXPECT_TRUE(b.DeletePolicy(PolicyId{p.selector, p.direction, {}, 0}).has_value());
  EXPECT_EQ(b.DeletePolicy(PolicyId{p.selector, p.direction, {}, 0}).error().code,
            BackendError::Code::kNotFound);
  EXPECT_EQ(b.fd() >= 0, true);  // events arrive through an eventfd
}

}  // namespace
}  // namespace ike::xfrm
