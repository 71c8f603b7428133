// Malformed-input table: each case names the exact DecodeError code.
#include <gtest/gtest.h>

#include <string>

#include "libike/common/bytes.h"
#include "libike/common/writer.h"
#include "libike/ikev1/message.h"
#include "tests/unit/ikev1/samples.h"

namespace ike::v1 {
namespace {

using Code = DecodeErrorCode;

// An ISAKMP datagram with a correct header in front of `chain` (hex).
Bytes Datagram(uint8_t first, std::string_view chain_hex, uint8_t version = 0x10,
               uint8_t flags = 0) {
  Bytes chain = HexOrDie(chain_hex);
  Bytes out;
  Writer w(out);
  w.WriteU64(0x1122334455667788ull);
  w.WriteU64(0);
  w.WriteU8(first);
  w.WriteU8(version);
  w.WriteU8(2);  // Main Mode
  w.WriteU8(flags);
  w.WriteU32(0);
  w.WriteU32(static_cast<uint32_t>(kHeaderSize + chain.size()));
  w.WriteBytes(chain);
  return out;
}

Result<Message, DecodeError> Decode(const Bytes& b) { return DecodeMessage(b); }

struct ChainCase {
  const char* name;
  uint8_t first;
  const char* chain;
  Code want;
};

#define DOI_SIT "00000001 00000001"
#define TRANSFORM_OK "00 00 0008 01 01 0000"
#define PROPOSAL_OK "00 00 0010 01 01 00 01" TRANSFORM_OK

const ChainCase kChainCases[] = {
    // Generic payload header and chain.
    {"payload length 0 (would loop)", 13, "00 00 0000 aabbccdd", Code::kBadLength},
    {"payload length 3", 13, "00 00 0003 aabbccdd", Code::kBadLength},
    {"payload length past message end", 13, "00 00 0010 aabbccdd", Code::kBadLength},
    {"chain ends (NONE) while bytes remain", 13, "00 00 0008 aabbccdd 0d000004",
     Code::kTrailingData},
    {"chain announces a payload, no bytes", 13, "0d 00 0008 aabbccdd", Code::kTruncated},
    {"chain ends inside a generic header", 13, "0d 00 0008 aabbccdd 00 00", Code::kTruncated},
    {"proposal outside an SA", 2, "00 00 000c 01 01 00 01 00000000", Code::kInvalidSyntax},
    {"transform outside an SA", 3, TRANSFORM_OK, Code::kInvalidSyntax},
    // SA / Proposal / Transform nesting.
    {"SA shorter than DOI + situation", 1, "00 00 0008 00000001", Code::kBadLength},
    {"SA without proposals", 1, "00 00 000c " DOI_SIT, Code::kInvalidSyntax},
    {"labeled situation", 1, "00 00 001c 00000001 00000002" PROPOSAL_OK, Code::kInvalidSyntax},
    {"proposal says 2 transforms, has 1", 1, "00 00 001c" DOI_SIT "00 00 0010 01 01 00 02" TRANSFORM_OK,
     Code::kInvalidSyntax},
    {"proposal says 1 transform, has 2", 1,
     "00 00 0024" DOI_SIT "00 00 0018 01 01 00 01  03 00 0008 01 01 0000  00 00 0008 02 01 0000",
     Code::kInvalidSyntax},
    {"proposal with 0 transforms", 1, "00 00 0014" DOI_SIT "00 00 0008 01 01 00 00",
     Code::kInvalidSyntax},
    {"last transform links to another", 1, "00 00 001c" DOI_SIT "00 00 0010 01 01 00 01 03 00 0008 01 01 0000",
     Code::kInvalidSyntax},
    {"last proposal links to another", 1, "00 00 001c" DOI_SIT "02 00 0010 01 01 00 01" TRANSFORM_OK,
     Code::kInvalidSyntax},
    {"proposal Next Payload 5", 1, "00 00 001c" DOI_SIT "05 00 0010 01 01 00 01" TRANSFORM_OK,
     Code::kInvalidSyntax},
    {"transform Next Payload 2", 1, "00 00 001c" DOI_SIT "00 00 0010 01 01 00 01 02 00 0008 01 01 0000",
     Code::kInvalidSyntax},
    {"bytes after the last proposal", 1, "00 00 0020" DOI_SIT PROPOSAL_OK "00000000",
     Code::kInvalidSyntax},
    {"proposal length past SA end", 1, "00 00 001c" DOI_SIT "00 00 0011 01 01 00 01" TRANSFORM_OK,
     Code::kBadLength},
    {"proposal length below 8", 1, "00 00 001c" DOI_SIT "00 00 0004 01 01 00 01" TRANSFORM_OK,
     Code::kBadLength},
    {"transform length below 8", 1, "00 00 001c" DOI_SIT "00 00 0010 01 01 00 01 00 00 0004 01 01 0000",
     Code::kBadLength},
    {"transform length past proposal end", 1,
     "00 00 001c" DOI_SIT "00 00 0010 01 01 00 01 00 00 000c 01 01 0000", Code::kBadLength},
    {"ESP SPI size 8", 1,
     "00 00 0024" DOI_SIT "00 00 0018 01 03 08 01 0102030405060708 00 00 0008 01 0c 0000",
     Code::kInvalidSyntax},
    {"ISAKMP SPI size 4", 1, "00 00 0020" DOI_SIT "00 00 0014 01 01 04 01 01020304" TRANSFORM_OK,
     Code::kInvalidSyntax},
    {"SPI past proposal end", 1, "00 00 001c" DOI_SIT "00 00 0010 01 01 10 01" TRANSFORM_OK,
     Code::kBadLength},
    {"TLV attribute length past transform end", 1,
     "00 00 0020" DOI_SIT "00 00 0014 01 01 00 01 00 00 000c 01 01 0000 000c 0004",
     Code::kBadLength},
    {"attribute header cut by transform end", 1,
     "00 00 001e" DOI_SIT "00 00 0012 01 01 00 01 00 00 000a 01 01 0000 8001", Code::kBadLength},
    {"proposal numbers decrease", 1,
     "00 00 002c" DOI_SIT "02 00 0010 02 01 00 01" TRANSFORM_OK PROPOSAL_OK, Code::kInvalidSyntax},
    // KE, HASH, SIG, NONCE.
    {"empty KE", 4, "00 00 0004", Code::kInvalidSyntax},
    {"empty HASH", 8, "00 00 0004", Code::kInvalidSyntax},
    {"empty SIG", 9, "00 00 0004", Code::kInvalidSyntax},
    {"nonce of 7 octets", 10, "00 00 000b 01020304050607", Code::kInvalidSyntax},
    // ID.
    {"ID shorter than 4", 5, "00 00 0007 010000", Code::kBadLength},
    {"IPV4_ADDR of 5 octets", 5, "00 00 000d 01 00 0000 0a00000100", Code::kInvalidSyntax},
    {"IPV6_ADDR_SUBNET of 16 octets", 5,
     "00 00 0018 06 00 0000 20010db8000000000000000000000000", Code::kInvalidSyntax},
    {"IPV4_ADDR_RANGE of 4 octets", 5, "00 00 000c 07 00 0000 0a000001", Code::kInvalidSyntax},
    {"ID type 0", 5, "00 00 000c 00 00 0000 0a000001", Code::kInvalidSyntax},
    {"ID type 12", 5, "00 00 000c 0c 00 0000 0a000001", Code::kInvalidSyntax},
    {"empty FQDN", 5, "00 00 0008 02 11 01f4", Code::kInvalidSyntax},
    // CERT, CR.
    {"CERT without encoding", 6, "00 00 0004", Code::kBadLength},
    {"CERT without data", 6, "00 00 0005 04", Code::kInvalidSyntax},
    {"CR without type", 7, "00 00 0004", Code::kBadLength},
    // Notification.
    {"notification shorter than 8", 11, "00 00 0008 00000001", Code::kBadLength},
    {"notification SPI size 17", 11, "00 00 000c 00000001 01 11 6002", Code::kInvalidSyntax},
    {"notification SPI past payload end", 11, "00 00 000c 00000001 01 10 6002", Code::kBadLength},
    // Delete.
    {"delete shorter than 8", 12, "00 00 0009 00000001 03", Code::kBadLength},
    {"delete SPI size 0", 12, "00 00 000c 00000001 03 00 0001", Code::kInvalidSyntax},
    {"delete SPI size 17", 12, "00 00 000c 00000001 03 11 0001", Code::kInvalidSyntax},
    {"delete without SPIs", 12, "00 00 000c 00000001 03 04 0000", Code::kInvalidSyntax},
    {"delete: 2 SPIs announced, 1 present", 12, "00 00 0010 00000001 03 04 0002 c1a2b3c4",
     Code::kBadLength},
    {"delete: bytes after the SPIs", 12, "00 00 0012 00000001 03 04 0001 c1a2b3c4 0000",
     Code::kBadLength},
    // NAT-D, NAT-OA.
    {"empty NAT-D", 20, "00 00 0004", Code::kInvalidSyntax},
    {"empty NAT-D (draft 130)", 130, "00 00 0004", Code::kInvalidSyntax},
    {"NAT-OA ID type FQDN", 21, "00 00 000c 02 000000 0a000001", Code::kInvalidSyntax},
    {"NAT-OA IPv4 of 16 octets", 21, "00 00 0018 01 000000 20010db8000000000000000000000000",
     Code::kInvalidSyntax},
    {"NAT-OA shorter than 4", 131, "00 00 0006 01 00", Code::kBadLength},
    // Attribute payload (Mode Config / XAuth).
    {"attribute payload type 0", 14, "00 00 0008 00 00 0001", Code::kInvalidSyntax},
    {"attribute payload type 5", 14, "00 00 0008 05 00 0001", Code::kInvalidSyntax},
    {"attribute payload shorter than 4", 14, "00 00 0006 01 00", Code::kBadLength},
    {"config TLV past payload end", 14, "00 00 000c 02 00 0001 0001 0004", Code::kBadLength},
    {"config attribute header cut", 14, "00 00 000a 02 00 0001 8001", Code::kBadLength},
};

class V1ChainMalformed : public ::testing::TestWithParam<ChainCase> {};

TEST_P(V1ChainMalformed, RejectedWithTheExpectedCode) {
  const ChainCase& c = GetParam();
  auto m = Decode(Datagram(c.first, c.chain));
  ASSERT_FALSE(m.has_value()) << c.name;
  EXPECT_EQ(m.error().code, c.want) << c.name << ": " << ToString(m.error());
  if (c.want != Code::kTrailingData) {
    EXPECT_EQ(m.error().payload_type, c.first) << c.name;
  }
  EXPECT_EQ(IsakmpNotifyForError(m.error()), NotifyType::kPayloadMalformed);
}

std::string CaseName(const ::testing::TestParamInfo<ChainCase>& info) {
  std::string out;
  for (const char* p = info.param.name; *p != '\0'; ++p) {
    char ch = *p;
    bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
    if (alnum) {
      out += ch;
    } else if (!out.empty() && out.back() != '_') {
      out += '_';
    }
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  return out;
}

INSTANTIATE_TEST_SUITE_P(Table, V1ChainMalformed, ::testing::ValuesIn(kChainCases), CaseName);

// Sanity: the building blocks of the table decode when intact.
TEST(V1Malformed, TableBuildingBlocksAreValid) {
  EXPECT_TRUE(Decode(Datagram(1, "00 00 001c" DOI_SIT PROPOSAL_OK)).has_value());
  EXPECT_TRUE(Decode(Datagram(13, "00 00 0008 aabbccdd")).has_value());
  EXPECT_TRUE(Decode(Datagram(12, "00 00 0010 00000001 03 04 0001 c1a2b3c4")).has_value());
  EXPECT_TRUE(Decode(Datagram(11, "00 00 000c 00000001 01 00 6002")).has_value());
  EXPECT_TRUE(Decode(Datagram(14, "00 00 000c 02 00 0001 0001 0000")).has_value());
  EXPECT_TRUE(Decode(Datagram(21, "00 00 000c 01 000000 0a000001")).has_value());
  EXPECT_TRUE(Decode(Datagram(10, "00 00 000c 0102030405060708")).has_value());
}

struct HeaderCase {
  const char* name;
  Bytes datagram;
  Code want;
};

TEST(V1Malformed, Header) {
  Bytes ok = Datagram(13, "00 00 0008 aabbccdd");
  Bytes long_length = ok;
  long_length[27] += 1;
  Bytes short_length = ok;
  short_length[27] -= 1;
  Bytes tiny_length = ok;
  tiny_length[27] = 20;
  Bytes with_extra = ok;
  with_extra.push_back(0);
  const HeaderCase cases[] = {
      {"empty datagram", {}, Code::kTruncated},
      {"27 octets", Bytes(ok.begin(), ok.begin() + 27), Code::kTruncated},
      {"major version 2 (IKEv2)", Datagram(13, "00 00 0008 aabbccdd", 0x20), Code::kInvalidMajorVersion},
      {"major version 0", Datagram(13, "00 00 0008 aabbccdd", 0x00), Code::kInvalidMajorVersion},
      {"unknown flag 0x08", Datagram(13, "00 00 0008 aabbccdd", 0x10, 0x08), Code::kInvalidSyntax},
      {"unknown flag 0x80", Datagram(13, "00 00 0008 aabbccdd", 0x10, 0x80), Code::kInvalidSyntax},
      {"header length past datagram", long_length, Code::kTruncated},
      {"header length short of datagram", short_length, Code::kBadLength},
      {"header length below 28", tiny_length, Code::kBadLength},
      {"octet after the announced length", with_extra, Code::kBadLength},
      {"E flag without ciphertext", Datagram(8, "", 0x10, kFlagEncryption), Code::kInvalidSyntax},
  };
  for (const HeaderCase& c : cases) {
    auto m = DecodeMessage(c.datagram);
    ASSERT_FALSE(m.has_value()) << c.name;
    EXPECT_EQ(m.error().code, c.want) << c.name << ": " << ToString(m.error());
  }
  auto v2 = DecodeMessage(Datagram(13, "00 00 0008 aabbccdd", 0x20));
  EXPECT_EQ(IsakmpNotifyForError(v2.error()), NotifyType::kInvalidMajorVersion);
  EXPECT_TRUE(DecodeMessage(ok).has_value());
}

DecodeErrorCode ErrorOf(const Message& m) {
  auto r = DecodeMessage(EncodeMessage(m));
  if (r.has_value()) {
    ADD_FAILURE() << "decoded, expected an error";
    return Code::kInvalidSyntax;
  }
  return r.error().code;
}

TEST(V1Malformed, TooManyPayloads) {
  std::string chain;
  for (size_t i = 0; i < kMaxPayloads + 1; ++i) chain += i + 1 < kMaxPayloads + 1 ? "0d000004" : "00000004";
  auto r = Decode(Datagram(13, chain));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Code::kTooManyPayloads);
  std::string ok;
  for (size_t i = 0; i < kMaxPayloads; ++i) ok += i + 1 < kMaxPayloads ? "0d000004" : "00000004";
  EXPECT_TRUE(Decode(Datagram(13, ok)).has_value());
}

TEST(V1Malformed, TooManyItems) {
  Transform t{1, kKeyIke, {}};
  SaPayload sa;
  for (size_t i = 0; i < kMaxProposals + 1; ++i) {
    sa.proposals.push_back(Proposal{1, ProtocolId::kIsakmp, {}, {t}});
  }
  Message m;
  m.payloads = {sa};
  EXPECT_EQ(ErrorOf(m), Code::kTooManyItems);
  sa.proposals.resize(1);
  sa.proposals[0].transforms.resize(kMaxTransforms + 1, t);
  m.payloads = {sa};
  EXPECT_EQ(ErrorOf(m), Code::kTooManyItems);
  sa.proposals[0].transforms.resize(1);
  sa.proposals[0].transforms[0].attributes.resize(kMaxSaAttributes + 1, DataAttribute::Tv(1, 5));
  m.payloads = {sa};
  EXPECT_EQ(ErrorOf(m), Code::kTooManyItems);
  sa.proposals[0].transforms[0].attributes.resize(kMaxSaAttributes);
  m.payloads = {sa};
  EXPECT_TRUE(DecodeMessage(EncodeMessage(m)).has_value());

  AttributePayload cfg{CfgType::kRequest, 1, {}};
  cfg.attributes.resize(kMaxCfgAttributes + 1, DataAttribute::Tlv(1, {}));
  m.payloads = {cfg};
  EXPECT_EQ(ErrorOf(m), Code::kTooManyItems);
  DeletePayload del{kDoiIpsec, ProtocolId::kEsp, 4, std::vector<Bytes>(kMaxDeleteSpis + 1, Bytes(4, 7))};
  m.payloads = {del};
  EXPECT_EQ(ErrorOf(m), Code::kTooManyItems);
}

TEST(V1Malformed, ErrorDetailNamesThePayload) {
  auto r = Decode(Datagram(1, "00 00 000c " DOI_SIT));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(ToString(r.error()), "kInvalidSyntax: SA: SA without proposals");
  auto u = Decode(Datagram(99, "00 00 0003"));
  ASSERT_FALSE(u.has_value());
  EXPECT_NE(ToString(u.error()).find("payload 99"), std::string::npos);
}

TEST(V1Malformed, DecryptedBodyErrors) {
  auto truncated = DecodeDecryptedBody(8, HexOrDie("0a 00 0008 aabbccdd"));
  ASSERT_FALSE(truncated.has_value());
  EXPECT_EQ(truncated.error().code, Code::kTruncated);
  auto bad = DecodeDecryptedBody(8, HexOrDie("00 00 0004 00000000"));
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, Code::kInvalidSyntax);  // empty HASH
}

}  // namespace
}  // namespace ike::v1
