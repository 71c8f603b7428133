#include <gtest/gtest.h>

#include "libike/common/bytes.h"
#include "libike/common/reader.h"
#include "libike/common/result.h"
#include "libike/common/secret_bytes.h"
#include "libike/common/writer.h"

namespace ike {
namespace {

TEST(Hex, RoundTrip) {
  Bytes b;
  ASSERT_TRUE(FromHex("00 ff:10\nAb", b));
  EXPECT_EQ(ToHex(b), "00ff10ab");
  EXPECT_FALSE(FromHex("abc", b));
  EXPECT_FALSE(FromHex("zz", b));
}

TEST(Reader, NeverReadsPastTheEnd) {
  Bytes data = HexOrDie("0102030405");
  Reader r(data);
  uint32_t v32 = 0;
  ASSERT_TRUE(r.ReadU32(v32));
  EXPECT_EQ(v32, 0x01020304u);
  uint16_t v16 = 0;
  EXPECT_FALSE(r.ReadU16(v16));
  EXPECT_EQ(r.remaining(), 1u);  // a failed read does not move the cursor
  ByteView view;
  EXPECT_FALSE(r.ReadBytes(2, view));
  uint8_t v8 = 0;
  ASSERT_TRUE(r.ReadU8(v8));
  EXPECT_EQ(v8, 5);
  EXPECT_TRUE(r.empty());
  uint64_t v64 = 0;
  EXPECT_FALSE(r.ReadU64(v64));
}

TEST(Writer, WritesAndPatches) {
  Bytes out;
  Writer w(out);
  w.WriteU8(1);
  w.WriteU16(0);
  w.WriteU24(0x030405);
  w.WriteU64(0x0102030405060708ull);
  w.PatchU16(1, 0xbeef);
  EXPECT_EQ(ToHex(out), "01beef0304050102030405060708");
}

Result<int, std::string> Half(int x) {
  if (x % 2) return MakeUnexpected(std::string("odd"));
  return x / 2;
}
Result<int, std::string> Quarter(int x) {
  IKE_ASSIGN_OR_RETURN(int h, Half(x));
  return Half(h);
}

TEST(Result, ValueAndError) {
  EXPECT_EQ(*Quarter(8), 2);
  auto r = Quarter(6);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), "odd");
  Result<void, std::string> ok;
  EXPECT_TRUE(ok);
  Result<void, std::string> bad = MakeUnexpected(std::string("x"));
  EXPECT_FALSE(bad);
  EXPECT_EQ(bad.error(), "x");
}

TEST(SecretBytes, MoveLeavesSourceEmptyAndCompareIsConstantTime) {
  SecretBytes a(AsBytes("key material"));
  SecretBytes b = std::move(a);
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): defined state
  EXPECT_EQ(b.size(), 12u);
  b.Append(AsBytes("!"));
  EXPECT_TRUE(ConstantTimeEqual(b.view(), AsBytes("key material!")));
  EXPECT_FALSE(ConstantTimeEqual(b.view(), AsBytes("key material?")));
  EXPECT_FALSE(ConstantTimeEqual(b.view(), AsBytes("short")));
  SecretBytes s = b.Slice(4, 8);
  EXPECT_TRUE(ConstantTimeEqual(s.view(), AsBytes("material")));
  SecretBytes c = s.Clone();
  EXPECT_TRUE(ConstantTimeEqual(c.view(), s.view()));
}

}  // namespace
}  // namespace ike

#include "libike/common/ip_address.h"

namespace ike {
namespace {

TEST(IpAddress, ParseFormatAndPrefixes) {
  auto a = IpAddress::Parse("192.0.2.77");
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->is_v4());
  EXPECT_EQ(a->Masked(24).ToString(), "192.0.2.0");
  EXPECT_EQ(a->LastInPrefix(28).ToString(), "192.0.2.79");
  EXPECT_EQ(a->Next().ToString(), "192.0.2.78");
  auto b = IpAddress::Parse("2001:db8::1");
  ASSERT_TRUE(b);
  EXPECT_TRUE(b->is_v6());
  EXPECT_EQ(b->Masked(32).ToString(), "2001:db8::");
  EXPECT_EQ(b->Prev().ToString(), "2001:db8::");
  EXPECT_LT(*a, *b);
  EXPECT_FALSE(IpAddress::Parse("192.0.2.300"));
  EXPECT_EQ(IpAddress::Max(AddressFamily::kIpv4).Next().ToString(), "255.255.255.255");
  EXPECT_EQ((Endpoint{*a, 500}.ToString()), "192.0.2.77[500]");
  EXPECT_FALSE(IpAddress::FromBytes(HexOrDie("0102")));
}

}  // namespace
}  // namespace ike
