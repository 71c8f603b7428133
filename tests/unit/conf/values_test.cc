#include "conf/values.h"

#include <gtest/gtest.h>

namespace ike::conf {
namespace {

TEST(Values, Times) {
  EXPECT_EQ(*ParseTime("30"), Seconds(30));
  EXPECT_EQ(*ParseTime("30s"), Seconds(30));
  EXPECT_EQ(*ParseTime("5m"), Seconds(300));
  EXPECT_EQ(*ParseTime("4h"), Seconds(14400));
  EXPECT_EQ(*ParseTime("1d"), Seconds(86400));
  EXPECT_EQ(*ParseTime(" 2 h "), Seconds(7200));
  EXPECT_FALSE(ParseTime("").has_value());
  EXPECT_FALSE(ParseTime("1.5h").has_value());
  EXPECT_FALSE(ParseTime("-1s").has_value());
  EXPECT_FALSE(ParseTime("5w").has_value());
  EXPECT_FALSE(ParseTime("99999999999999999999d").has_value());
  EXPECT_EQ(ParseTime("5w").error(), "invalid time '5w' (expected e.g. 30s, 5m, 4h, 1d)");
}

TEST(Values, Counts) {
  EXPECT_EQ(*ParseCount("1000"), 1000u);
  EXPECT_EQ(*ParseCount("10k"), 10240u);
  EXPECT_EQ(*ParseCount("5m"), 5u * 1024 * 1024);
  EXPECT_EQ(*ParseCount("2g"), 2ull * 1024 * 1024 * 1024);
  EXPECT_EQ(*ParseCount("2G"), 2ull * 1024 * 1024 * 1024);
  EXPECT_FALSE(ParseCount("2t").has_value());
  EXPECT_FALSE(ParseCount("k").has_value());
  EXPECT_FALSE(ParseCount("99999999999999999g").has_value());
}

TEST(Values, Booleans) {
  for (const char* t : {"yes", "true", "YES", "enabled", "on", "1"}) EXPECT_TRUE(*ParseBool(t)) << t;
  for (const char* f : {"no", "false", "disabled", "off", "0", "No"}) EXPECT_FALSE(*ParseBool(f)) << f;
  EXPECT_FALSE(ParseBool("maybe").has_value());
}

TEST(Values, AddressRanges) {
  auto cidr = ParseAddressRange("10.1.2.3/16");
  ASSERT_TRUE(cidr.has_value());
  EXPECT_EQ(cidr->from.ToString(), "10.1.0.0");
  EXPECT_EQ(cidr->to.ToString(), "10.1.255.255");
  EXPECT_EQ(cidr->ToString(), "10.1.0.0/16");
  auto range = ParseAddressRange("10.0.0.1-10.0.0.9");
  ASSERT_TRUE(range.has_value());
  EXPECT_EQ(range->ToString(), "10.0.0.1-10.0.0.9");
  EXPECT_FALSE(range->prefix.has_value());
  EXPECT_TRUE(range->Contains(*IpAddress::Parse("10.0.0.5")));
  EXPECT_FALSE(range->Contains(*IpAddress::Parse("10.0.0.10")));
  EXPECT_EQ(ParseAddressRange("2001:db8::/32")->to.ToString(), "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff");
  EXPECT_EQ(ParseAddressRange("10.0.0.0/33").error(), "invalid subnet '10.0.0.0/33': bad prefix length");
  EXPECT_EQ(ParseAddressRange("10.0.0.300/8").error(), "invalid subnet '10.0.0.300/8': bad address");
  EXPECT_EQ(ParseAddressRange("10.0.0.9-10.0.0.1").error(), "address range '10.0.0.9-10.0.0.1' is reversed");
  EXPECT_EQ(ParseAddressRange("10.0.0.1-::1").error(), "address range '10.0.0.1-::1' mixes IPv4 and IPv6");
}

TEST(Values, AddressSpecs) {
  EXPECT_EQ(ParseAddressSpec("%any")->kind, AddressSpec::Kind::kAny);
  EXPECT_EQ(ParseAddressSpec("%any4")->kind, AddressSpec::Kind::kAny4);
  EXPECT_EQ(ParseAddressSpec("%any6")->kind, AddressSpec::Kind::kAny6);
  auto ip = ParseAddressSpec("192.0.2.1");
  EXPECT_TRUE(ip->IsSingleAddress());
  EXPECT_EQ(ParseAddressSpec("2001:db8::1")->ToString(), "2001:db8::1");
  EXPECT_EQ(ParseAddressSpec("198.51.100.0/24")->ToString(), "198.51.100.0/24");
  EXPECT_EQ(ParseAddressSpec("198.51.100.1-198.51.100.9")->kind, AddressSpec::Kind::kRange);
  auto host = ParseAddressSpec("vpn.example.org");
  ASSERT_TRUE(host.has_value());
  EXPECT_EQ(host->kind, AddressSpec::Kind::kHostname);
  EXPECT_EQ(host->hostname, "vpn.example.org");
  EXPECT_FALSE(ParseAddressSpec("1.2.3.400").has_value());
  EXPECT_FALSE(ParseAddressSpec("bad host!").has_value());
}

TEST(Values, TrafficSelectors) {
  auto ts = ParseTrafficSelector("10.0.0.0/8[tcp/80]");
  ASSERT_TRUE(ts.has_value());
  ASSERT_EQ(ts->size(), 1u);
  EXPECT_EQ((*ts)[0].protocol, 6);
  EXPECT_EQ((*ts)[0].from_port, 80);
  EXPECT_EQ((*ts)[0].to_port, 80);
  EXPECT_EQ((*ts)[0].ToString(), "10.0.0.0/8[tcp/80]");
  auto dyn = ParseTrafficSelector("dynamic[udp/1701]");
  EXPECT_TRUE((*dyn)[0].dynamic);
  EXPECT_EQ((*dyn)[0].protocol, 17);
  EXPECT_EQ((*dyn)[0].ToString(), "dynamic[udp/1701]");
  auto range = ParseTrafficSelector("10.1.0.1-10.1.0.9[17/1024-2048]");
  EXPECT_EQ((*range)[0].from_port, 1024);
  EXPECT_EQ((*range)[0].to_port, 2048);
  EXPECT_EQ((*range)[0].ToString(), "10.1.0.1-10.1.0.9[udp/1024-2048]");
  auto proto_only = ParseTrafficSelector("::/0[ipv6-icmp]");
  EXPECT_EQ((*proto_only)[0].protocol, 58);
  EXPECT_EQ((*proto_only)[0].from_port, 0);
  EXPECT_EQ((*proto_only)[0].to_port, 0xffff);
  auto named = ParseTrafficSelector("0.0.0.0/0[tcp/https]");
  EXPECT_EQ((*named)[0].from_port, 443);
  auto any = ParseTrafficSelector("%any");
  ASSERT_EQ(any->size(), 2u);
  EXPECT_EQ((*any)[0].ToString(), "0.0.0.0/0");
  EXPECT_EQ((*any)[1].ToString(), "::/0");
  auto opaque = ParseTrafficSelector("10.0.0.0/8[udp/%opaque]");
  EXPECT_TRUE((*opaque)[0].opaque_port);
  auto port_only = ParseTrafficSelector("10.0.0.0/8[/53]");
  EXPECT_EQ((*port_only)[0].protocol, 0);
  EXPECT_EQ((*port_only)[0].from_port, 53);
  EXPECT_EQ(ParseTrafficSelector("10.0.0.0/8[tcp/80").error(),
            "invalid traffic selector '10.0.0.0/8[tcp/80': missing ']'");
  EXPECT_EQ(ParseTrafficSelector("10.0.0.0/8[foo]").error(),
            "invalid protocol 'foo' in traffic selector '10.0.0.0/8[foo]'");
  EXPECT_EQ(ParseTrafficSelector("10.0.0.0/8[tcp/99999]").error(),
            "invalid port '99999' in traffic selector '10.0.0.0/8[tcp/99999]'");
  EXPECT_EQ(ParseTrafficSelector("10.0.0/8").error(),
            "invalid traffic selector '10.0.0/8': invalid subnet '10.0.0/8': bad address");
}

TEST(Values, IdentitiesAreTyped) {
  auto fqdn = ParseIdentity("vpn.example.org");
  EXPECT_EQ(fqdn->kind, Identity::Kind::kFqdn);
  EXPECT_EQ(fqdn->id_type(), IdType::kFqdn);
  EXPECT_EQ(fqdn->encoding, Bytes(AsBytes("vpn.example.org").begin(), AsBytes("vpn.example.org").end()));
  auto at_fqdn = ParseIdentity("@vpn.example.org");
  EXPECT_EQ(at_fqdn->kind, Identity::Kind::kFqdn);
  EXPECT_EQ(at_fqdn->ToString(), "vpn.example.org");
  auto email = ParseIdentity("carol@example.org");
  EXPECT_EQ(email->kind, Identity::Kind::kEmail);
  EXPECT_EQ(email->id_type(), IdType::kRfc822Addr);
  EXPECT_EQ(ParseIdentity("@@carol@example.org")->kind, Identity::Kind::kEmail);
  auto v4 = ParseIdentity("192.0.2.1");
  EXPECT_EQ(v4->kind, Identity::Kind::kIpv4);
  EXPECT_EQ(v4->encoding, (Bytes{192, 0, 2, 1}));
  auto v6 = ParseIdentity("2001:db8::1");
  EXPECT_EQ(v6->kind, Identity::Kind::kIpv6);
  EXPECT_EQ(v6->encoding.size(), 16u);
  auto keyid = ParseIdentity("@#0a0B0c");
  EXPECT_EQ(keyid->kind, Identity::Kind::kKeyId);
  EXPECT_EQ(keyid->encoding, (Bytes{0x0a, 0x0b, 0x0c}));
  EXPECT_EQ(keyid->ToString(), "@#0a0b0c");
  EXPECT_EQ(ParseIdentity("%any")->kind, Identity::Kind::kAny);
  EXPECT_EQ(ParseIdentity("%any6")->kind, Identity::Kind::kAny);
  EXPECT_EQ(ParseIdentity("fqdn:192.0.2.1")->kind, Identity::Kind::kFqdn);
  EXPECT_EQ(ParseIdentity("email:carol")->kind, Identity::Kind::kEmail);
  EXPECT_EQ(ParseIdentity("ipv4:192.0.2.1")->kind, Identity::Kind::kIpv4);
  EXPECT_FALSE(ParseIdentity("ipv4:2001:db8::1").has_value());
  EXPECT_EQ(ParseIdentity("*.example.org")->has_wildcards, true);
  EXPECT_FALSE(ParseIdentity("@#zz").has_value());
}

TEST(Values, DistinguishedNames) {
  auto dn = ParseIdentity("C=CH, O=strongSwan Project, CN=moon.strongswan.org");
  ASSERT_TRUE(dn.has_value()) << dn.error();
  EXPECT_EQ(dn->kind, Identity::Kind::kDn);
  EXPECT_EQ(dn->id_type(), IdType::kDerAsn1Dn);
  EXPECT_EQ(dn->ToString(), "C=CH, O=strongSwan Project, CN=moon.strongswan.org");
  // DER: SEQUENCE { SET { SEQUENCE { OID 2.5.4.6, PrintableString "CH" } } ... }
  ASSERT_GT(dn->encoding.size(), 13u);
  EXPECT_EQ(dn->encoding[0], 0x30);
  EXPECT_EQ(Bytes(dn->encoding.begin() + 2, dn->encoding.begin() + 15),
            (Bytes{0x31, 0x0b, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x06, 0x13, 0x02, 'C', 'H'}));
  // The OpenSSL slash form and aliases give the same DER.
  auto slash = ParseIdentity("/C=CH/O=strongSwan Project/CN=moon.strongswan.org");
  EXPECT_EQ(slash->encoding, dn->encoding);
  auto mixed = ParseIdentity("c=CH,o=strongSwan Project,cn=moon.strongswan.org");
  EXPECT_EQ(mixed->encoding, dn->encoding);
  auto many = ParseIdentity(
      "C=US, ST=CA, L=Town, O=Org, OU=Unit, CN=host, E=a@b.c, DC=example, serialNumber=42");
  ASSERT_TRUE(many.has_value()) << many.error();
  EXPECT_EQ(many->ToString(),
            "C=US, ST=CA, L=Town, O=Org, OU=Unit, CN=host, E=a@b.c, DC=example, serialNumber=42");
  auto quoted = ParseIdentity(R"(O="Example, Inc.", CN=gw)");
  ASSERT_TRUE(quoted.has_value()) << quoted.error();
  EXPECT_EQ(quoted->ToString(), "O=Example, Inc., CN=gw");
  auto escaped = ParseIdentity(R"(O=Example\, Inc., CN=gw)");
  EXPECT_EQ(escaped->encoding, quoted->encoding);
  auto oid = ParseIdentity("2.5.4.3=gw");
  EXPECT_EQ(oid->ToString(), "CN=gw");
  EXPECT_TRUE(ParseIdentity("C=CH, O=Org, CN=*")->has_wildcards);
  EXPECT_EQ(ParseIdentity("C=CH, XX=1").error(), "invalid DN 'C=CH, XX=1': unknown attribute type 'XX'");
  EXPECT_EQ(ParseIdentity("C=CHE, CN=x").error(), "invalid DN 'C=CHE, CN=x': bad value for 'C'");
  EXPECT_EQ(ParseIdentity("CN=, O=x").error(), "invalid DN 'CN=, O=x': empty value for 'CN'");
}

TEST(Values, Marks) {
  auto m = ParseMark("42", false);
  EXPECT_EQ(m->value, 42u);
  EXPECT_EQ(m->mask, 0xffffffffu);
  auto hex = ParseMark("0x100/0xff00", false);
  EXPECT_EQ(hex->value, 0x100u);
  EXPECT_EQ(hex->mask, 0xff00u);
  EXPECT_EQ(ParseMark("%unique", false)->special, Mark::Special::kUnique);
  EXPECT_EQ(ParseMark("%unique-dir", false)->special, Mark::Special::kUniqueDir);
  EXPECT_FALSE(ParseMark("%same", false).has_value());
  EXPECT_EQ(ParseMark("%same", true)->special, Mark::Special::kSame);
  EXPECT_FALSE(ParseMark("0x1ffffffff", false).has_value());
  EXPECT_EQ(ParseIfId("%unique")->special, Mark::Special::kUnique);
  EXPECT_EQ(ParseIfId("7")->value, 7u);
  EXPECT_FALSE(ParseIfId("x").has_value());
}

TEST(Values, SecretForms) {
  auto plain = DecodeSecretValue("hello");
  EXPECT_TRUE(ConstantTimeEqual(plain->view(), AsBytes("hello")));
  auto hex = DecodeSecretValue("0x0102ff");
  EXPECT_TRUE(ConstantTimeEqual(hex->view(), Bytes{1, 2, 0xff}));
  auto b64 = DecodeSecretValue("0saGVsbG8=");
  EXPECT_TRUE(ConstantTimeEqual(b64->view(), AsBytes("hello")));
  auto b64b = DecodeSecretValue("0sAAEC");
  EXPECT_TRUE(ConstantTimeEqual(b64b->view(), Bytes{0, 1, 2}));
  EXPECT_FALSE(DecodeSecretValue("0xzz").has_value());
  EXPECT_FALSE(DecodeSecretValue("0s!!!").has_value());
  EXPECT_FALSE(DecodeSecretValue("0sabc").has_value());
  EXPECT_FALSE(DecodeSecretValue("0s====").has_value());
  EXPECT_FALSE(DecodeSecretValue("0s=").has_value());
}

TEST(Values, Lists) {
  EXPECT_EQ(SplitList(" a, b ,,c "), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(SplitList("").empty());
}

}  // namespace
}  // namespace ike::conf

namespace ike::conf {
namespace {

TEST(Values, IdentityMatching) {
  auto any = *ParseIdentity("%any");
  EXPECT_TRUE(any.Matches(IdType::kFqdn, AsBytes("x")));
  auto fqdn = *ParseIdentity("vpn.example.org");
  EXPECT_TRUE(fqdn.Matches(IdType::kFqdn, AsBytes("VPN.example.org")));
  EXPECT_FALSE(fqdn.Matches(IdType::kRfc822Addr, AsBytes("vpn.example.org")));
  auto wild = *ParseIdentity("*.example.org");
  EXPECT_TRUE(wild.Matches(IdType::kFqdn, AsBytes("a.example.org")));
  EXPECT_FALSE(wild.Matches(IdType::kFqdn, AsBytes("a.example.com")));
  auto mail = *ParseIdentity("*@example.org");
  EXPECT_TRUE(mail.Matches(IdType::kRfc822Addr, AsBytes("carol@example.org")));
  auto ip = *ParseIdentity("192.0.2.1");
  EXPECT_TRUE(ip.Matches(IdType::kIpv4Addr, Bytes{192, 0, 2, 1}));
  EXPECT_FALSE(ip.Matches(IdType::kIpv4Addr, Bytes{192, 0, 2, 2}));
  // DNs match semantically: case and string type do not matter.
  auto dn = *ParseIdentity("C=CH, O=Example, CN=gw.example.org");
  auto other_case = *ParseIdentity("C=ch, O=EXAMPLE, CN=gw.example.org");
  EXPECT_TRUE(dn.Matches(IdType::kDerAsn1Dn, other_case.encoding));
  auto different = *ParseIdentity("C=CH, O=Example, CN=other.example.org");
  EXPECT_FALSE(dn.Matches(IdType::kDerAsn1Dn, different.encoding));
  auto wildcard_dn = *ParseIdentity("C=CH, O=Example, CN=*");
  EXPECT_TRUE(wildcard_dn.Matches(IdType::kDerAsn1Dn, dn.encoding));
  EXPECT_TRUE(wildcard_dn.Matches(IdType::kDerAsn1Dn, different.encoding));
  auto shorter = *ParseIdentity("C=CH, CN=gw.example.org");
  EXPECT_FALSE(wildcard_dn.Matches(IdType::kDerAsn1Dn, shorter.encoding));
  EXPECT_FALSE(dn.Matches(IdType::kDerAsn1Dn, AsBytes("garbage")));
}

}  // namespace
}  // namespace ike::conf
