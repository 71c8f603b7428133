// Malformed input table: each case has the exact DecodeError code expected.
#include <gtest/gtest.h>

#include <string>

#include "libike/common/bytes.h"
#include "libike/common/writer.h"
#include "libike/wire/message.h"
#include "tests/unit/wire/sample_messages.h"

namespace ike::wire {
namespace {

// A datagram with a correct IKE header in front of `chain` (hex).
Bytes Datagram(uint8_t first, std::string_view chain_hex, uint8_t version = 0x20) {
  Bytes chain = HexOrDie(chain_hex);
  Bytes out;
  Writer w(out);
  w.WriteU64(0x0102030405060708ull);
  w.WriteU64(0);
  w.WriteU8(first);
  w.WriteU8(version);
  w.WriteU8(34);
  w.WriteU8(0x08);
  w.WriteU32(0);
  w.WriteU32(static_cast<uint32_t>(kHeaderSize + chain.size()));
  w.WriteBytes(chain);
  return out;
}

DecodeErrorCode ErrorOf(ByteView datagram) {
  auto m = DecodeMessage(datagram);
  if (m.has_value()) {
    ADD_FAILURE() << "decoded, expected an error";
    return DecodeErrorCode::kInvalidSyntax;
  }
  return m.error().code;
}

struct ChainCase {
  const char* name;
  uint8_t first;
  const char* chain;
  DecodeErrorCode want;
};

// Nonce body of 16 octets, used to pad valid chains.
#define NONCE16 "000102030405060708090a0b0c0d0e0f"

const ChainCase kChainCases[] = {
    {"payload length 0 (would loop)", 40, "00 00 0000" NONCE16, DecodeErrorCode::kBadLength},
    {"payload length 3", 40, "00 00 0003" NONCE16, DecodeErrorCode::kBadLength},
    {"payload length past message end", 40, "00 00 0015" NONCE16, DecodeErrorCode::kBadLength},
    {"chain ends early (NONE, bytes left)", 40, "00 00 0014" NONCE16 "2b 00 0004",
     DecodeErrorCode::kTrailingData},
    {"chain announces a payload, no bytes", 40, "2b 00 0014" NONCE16, DecodeErrorCode::kTruncated},
    {"chain ends inside a generic header", 40, "2b 00 0014" NONCE16 "00 00",
     DecodeErrorCode::kTruncated},
    {"zero-length SA", 33, "00 00 0004", DecodeErrorCode::kInvalidSyntax},
    {"proposal says 2 transforms, has 1", 33,
     "00 00 0014  00 00 0010 01 01 00 02  00 00 0008 01 00 000c", DecodeErrorCode::kInvalidSyntax},
    {"proposal says 1 transform, has 2", 33,
     "00 00 001c  00 00 0018 01 01 00 01  03 00 0008 01 00 000c  00 00 0008 02 00 0005",
     DecodeErrorCode::kInvalidSyntax},
    {"last transform marked 'more'", 33,
     "00 00 0014  00 00 0010 01 01 00 01  03 00 0008 01 00 000c", DecodeErrorCode::kInvalidSyntax},
    {"last proposal marked 'more'", 33, "00 00 0014  02 00 0010 01 01 00 01  00 00 0008 01 00 000c",
     DecodeErrorCode::kInvalidSyntax},
    {"proposal Last Substruc 3", 33, "00 00 0014  03 00 0010 01 01 00 01  00 00 0008 01 00 000c",
     DecodeErrorCode::kInvalidSyntax},
    {"bytes after the last proposal", 33,
     "00 00 0018  00 00 0010 01 01 00 01  00 00 0008 01 00 000c  00000000",
     DecodeErrorCode::kInvalidSyntax},
    {"proposal length past SA end", 33, "00 00 0014  00 00 0011 01 01 00 01  00 00 0008 01 00 000c",
     DecodeErrorCode::kBadLength},
    {"proposal length below 8", 33, "00 00 0014  00 00 0004 01 01 00 01  00 00 0008 01 00 000c",
     DecodeErrorCode::kBadLength},
    {"transform length below 8", 33,
     "00 00 0014  00 00 0010 01 01 00 01  00 00 0004 01 00 000c", DecodeErrorCode::kBadLength},
    {"transform length past proposal end", 33,
     "00 00 0014  00 00 0010 01 01 00 01  00 00 0009 01 00 000c", DecodeErrorCode::kBadLength},
    {"TLV attribute past transform end", 33,
     "00 00 0018  00 00 0014 01 01 00 01  00 00 000c 01 00 000c 000e 0004",
     DecodeErrorCode::kBadLength},
    {"attribute header cut", 33, "00 00 0016  00 00 0012 01 01 00 01  00 00 000a 01 00 000c 800e",
     DecodeErrorCode::kBadLength},
    {"proposal SPI size 3", 33, "00 00 0017  00 00 0013 01 03 03 01 aabbcc  00 00 0008 01 00 000c",
     DecodeErrorCode::kInvalidSyntax},
    {"proposal SPI past proposal end", 33, "00 00 000c  00 00 0008 01 03 04 00",
     DecodeErrorCode::kBadLength},
    {"KE body of 3 octets", 34, "00 00 0007 001f00", DecodeErrorCode::kBadLength},
    {"nonce of 15 octets", 40, "00 00 0013 000102030405060708090a0b0c0d0e",
     DecodeErrorCode::kInvalidSyntax},
    {"ID_IPV4_ADDR of 5 octets", 35, "00 00 000d 01 000000 c000020101", DecodeErrorCode::kInvalidSyntax},
    {"ID_IPV6_ADDR of 4 octets", 36, "00 00 000c 05 000000 c0000201", DecodeErrorCode::kInvalidSyntax},
    {"empty FQDN", 35, "00 00 0008 02 000000", DecodeErrorCode::kInvalidSyntax},
    {"ID body of 2 octets", 35, "00 00 0006 0200", DecodeErrorCode::kBadLength},
    {"AUTH body of 3 octets", 39, "00 00 0007 020000", DecodeErrorCode::kBadLength},
    {"empty CERT body", 37, "00 00 0004", DecodeErrorCode::kBadLength},
    {"empty CERTREQ body", 38, "00 00 0004", DecodeErrorCode::kBadLength},
    {"Notify SPI size 5", 41, "00 00 000d 03 05 4009 0102030405", DecodeErrorCode::kInvalidSyntax},
    {"Notify SPI past payload end", 41, "00 00 000a 03 04 4009 0102", DecodeErrorCode::kBadLength},
    {"Delete count larger than body", 42, "00 00 000c 03 04 0002 aaaaaaaa", DecodeErrorCode::kBadLength},
    {"Delete count smaller than body", 42, "00 00 0010 03 04 0001 aaaaaaaa bbbbbbbb",
     DecodeErrorCode::kBadLength},
    {"Delete IKE with an SPI size", 42, "00 00 000c 01 04 0001 aaaaaaaa",
     DecodeErrorCode::kInvalidSyntax},
    {"Delete ESP with SPI size 8", 42, "00 00 0010 03 08 0001 aaaaaaaabbbbbbbb",
     DecodeErrorCode::kInvalidSyntax},
    {"Delete for protocol 9", 42, "00 00 0008 09 04 0000", DecodeErrorCode::kInvalidSyntax},
    {"TS with zero selectors", 44, "00 00 0008 00 000000", DecodeErrorCode::kInvalidSyntax},
    {"TS count 2, one selector", 44, "00 00 0018 02 000000 07 00 0010 0000 ffff 00000000 ffffffff",
     DecodeErrorCode::kBadLength},
    {"TS bytes after the selectors", 45,
     "00 00 001c 01 000000 07 00 0010 0000 ffff 00000000 ffffffff 00000000",
     DecodeErrorCode::kInvalidSyntax},
    {"IPv4 selector length 40", 44, "00 00 0018 01 000000 07 00 0028 0000 ffff 00000000 ffffffff",
     DecodeErrorCode::kBadLength},
    {"IPv6 selector cut short", 44, "00 00 0018 01 000000 08 00 0028 0000 ffff 00000000 ffffffff",
     DecodeErrorCode::kBadLength},
    {"unknown TS type 9", 44, "00 00 0018 01 000000 09 00 0010 0000 ffff 00000000 ffffffff",
     DecodeErrorCode::kInvalidSyntax},
    {"CP attribute past payload end", 47, "00 00 000c 01 000000 0001 0004", DecodeErrorCode::kBadLength},
    {"CP attribute header cut", 47, "00 00 000a 01 000000 0001", DecodeErrorCode::kBadLength},
    {"EAP Length != payload", 48, "00 00 000a 02 01 0005 01 61", DecodeErrorCode::kBadLength},
    {"EAP code 9", 48, "00 00 0009 09 01 0005 01", DecodeErrorCode::kInvalidSyntax},
    {"EAP Response without Type", 48, "00 00 0008 02 01 0004", DecodeErrorCode::kInvalidSyntax},
    {"EAP Success with data", 48, "00 00 0009 03 01 0005 00", DecodeErrorCode::kInvalidSyntax},
    {"SKF fragment 0", 53, "00 00 000c 0000 0002 aabbccdd", DecodeErrorCode::kInvalidSyntax},
    {"SKF fragment 3 of 2", 53, "00 00 000c 0003 0002 aabbccdd", DecodeErrorCode::kInvalidSyntax},
    {"SKF body of 3 octets", 53, "00 00 0007 000100", DecodeErrorCode::kBadLength},
    {"SK not last", 46, "28 00 0008 aabbccdd  00 00 0014" NONCE16, DecodeErrorCode::kPayloadAfterSk},
    {"SKF not last", 53, "00 00 000c 0001 0001 aabbccdd  2b 00 0004",
     DecodeErrorCode::kPayloadAfterSk},
    {"unknown critical payload", 200, "00 80 0008 01020304",
     DecodeErrorCode::kUnsupportedCriticalPayload},
    {"critical GSPM (not modelled)", 49, "00 80 0004", DecodeErrorCode::kUnsupportedCriticalPayload},
};

class MalformedChain : public ::testing::TestWithParam<ChainCase> {};

TEST_P(MalformedChain, ExactError) {
  const ChainCase& c = GetParam();
  Bytes datagram = Datagram(c.first, c.chain);
  auto m = DecodeMessage(datagram);
  ASSERT_FALSE(m.has_value()) << c.name;
  EXPECT_EQ(m.error().code, c.want) << c.name << " -> " << ToString(m.error());
  EXPECT_FALSE(m.error().detail.empty());
}

INSTANTIATE_TEST_SUITE_P(Table, MalformedChain, ::testing::ValuesIn(kChainCases),
                         [](const auto& info) { return "Case" + std::to_string(info.index); });

TEST(Malformed, TruncatedAtEveryByteOfIkeSaInit) {
  Bytes full = EncodeMessage(testing::IkeSaInitRequest());
  ASSERT_TRUE(DecodeMessage(full).has_value());
  for (size_t n = 0; n < full.size(); ++n) {
    EXPECT_EQ(ErrorOf(ByteView(full).first(n)), DecodeErrorCode::kTruncated) << "at " << n;
  }
}

// Truncated at every byte with the header length fixed up to match: the
// chain itself is cut, in a generic header (kTruncated) or a body (kBadLength).
TEST(Malformed, ChainCutAtEveryByteWithConsistentHeader) {
  for (const Message& msg : {testing::IkeSaInitRequest(), testing::IkeSaInitResponse(),
                             testing::ClearPayloadsMessage()}) {
    Bytes full = EncodeMessage(msg);
    std::vector<size_t> starts;  // payload starts relative to the chain
    for (size_t off = kHeaderSize; off < full.size(); off += (full[off + 2] << 8 | full[off + 3])) {
      starts.push_back(off);
    }
    for (size_t n = kHeaderSize; n < full.size(); ++n) {
      Bytes cut(full.begin(), full.begin() + n);
      Writer(cut).PatchU32(24, static_cast<uint32_t>(n));
      bool in_header = false;
      for (size_t s : starts) in_header |= n >= s && n < s + kGenericHeaderSize;
      EXPECT_EQ(ErrorOf(cut), in_header ? DecodeErrorCode::kTruncated : DecodeErrorCode::kBadLength)
          << "at " << n;
    }
  }
}

std::vector<Payload> EveryPayload() {
  std::vector<Payload> all;
  for (const Message& m : {testing::IkeSaInitRequest(), testing::IkeSaInitResponse(),
                           testing::ClearPayloadsMessage(), testing::IkeAuthEncrypted(),
                           testing::SkfFragment()}) {
    all.insert(all.end(), m.payloads.begin(), m.payloads.end());
  }
  for (const Payload& p : testing::IkeAuthInnerPayloads()) all.push_back(p);
  return all;
}

// Each payload alone, its chain cut at every byte: the generic header cut is
// kTruncated, anything later kBadLength (the length runs past the end).
TEST(Malformed, EveryPayloadCutAtEveryByte) {
  for (const Payload& p : EveryPayload()) {
    Bytes full = EncodePayloadChain({p});
    for (size_t n = 0; n < full.size(); ++n) {
      auto r = DecodePayloadChain(TypeOf(p), ByteView(full).first(n), true);
      ASSERT_FALSE(r.has_value()) << PayloadTypeName(TypeOf(p)) << " at " << n;
      EXPECT_EQ(r.error().code, n < kGenericHeaderSize ? DecodeErrorCode::kTruncated
                                                       : DecodeErrorCode::kBadLength)
          << PayloadTypeName(TypeOf(p)) << " at " << n;
    }
  }
}

// Each payload's body cut at every byte with the payload length made to
// match: the decoder rejects it or returns something that re-encodes to the
// same bytes (opaque bodies such as VID stay valid when shorter).
TEST(Malformed, EveryPayloadBodyCutWithConsistentLength) {
  for (const Payload& p : EveryPayload()) {
    Bytes full = EncodePayloadChain({p});
    for (size_t n = kGenericHeaderSize; n < full.size(); ++n) {
      Bytes cut(full.begin(), full.begin() + n);
      Writer(cut).PatchU16(2, static_cast<uint16_t>(n));
      auto r = DecodePayloadChain(TypeOf(p), cut, true);
      if (r.has_value()) {
        EXPECT_EQ(EncodePayloadChain(*r), cut) << PayloadTypeName(TypeOf(p)) << " at " << n;
      } else {
        EXPECT_NE(r.error().code, DecodeErrorCode::kTruncated);
      }
    }
  }
}

TEST(Malformed, HeaderLengthMismatch) {
  Bytes d = Datagram(40, "00 00 0014" NONCE16);
  Bytes longer = d;
  Writer(longer).PatchU32(24, static_cast<uint32_t>(d.size() + 1));
  EXPECT_EQ(ErrorOf(longer), DecodeErrorCode::kTruncated);
  Bytes shorter = d;
  Writer(shorter).PatchU32(24, static_cast<uint32_t>(d.size() - 1));
  EXPECT_EQ(ErrorOf(shorter), DecodeErrorCode::kBadLength);
  Bytes tiny = d;
  Writer(tiny).PatchU32(24, 20);
  EXPECT_EQ(ErrorOf(tiny), DecodeErrorCode::kBadLength);
  Bytes trailing = d;
  trailing.push_back(0);  // datagram longer than the header says
  EXPECT_EQ(ErrorOf(trailing), DecodeErrorCode::kBadLength);
}

TEST(Malformed, WrongMajorVersion) {
  EXPECT_EQ(ErrorOf(Datagram(40, "00 00 0014" NONCE16, 0x10)), DecodeErrorCode::kInvalidMajorVersion);
  EXPECT_EQ(ErrorOf(Datagram(40, "00 00 0014" NONCE16, 0x30)), DecodeErrorCode::kInvalidMajorVersion);
  // A minor version other than 0 is accepted (RFC 7296 2.5).
  EXPECT_TRUE(DecodeMessage(Datagram(40, "00 00 0014" NONCE16, 0x21)).has_value());
  auto m = DecodeMessage(Datagram(40, "", 0x30));
  ASSERT_FALSE(m.has_value());
  EXPECT_EQ(NotifyForError(m.error()), NotifyType::kInvalidMajorVersion);
}

TEST(Malformed, UnknownCriticalPayloadNamesItsType) {
  auto m = DecodeMessage(Datagram(40, "c8 00 0014" NONCE16 "00 80 0005 ff"));
  ASSERT_FALSE(m.has_value());
  EXPECT_EQ(m.error().code, DecodeErrorCode::kUnsupportedCriticalPayload);
  EXPECT_EQ(m.error().payload_type, 200);
  EXPECT_EQ(NotifyForError(m.error()), NotifyType::kUnsupportedCriticalPayload);
  EXPECT_EQ(NotifyDataForError(m.error()), Bytes{200});
}

TEST(Malformed, NonCriticalUnknownPayloadIsSkipped) {
  auto m = DecodeMessage(Datagram(40, "c8 00 0014" NONCE16 "2b 00 0005 ff  00 00 0008 01020304"));
  ASSERT_TRUE(m.has_value()) << ToString(m.error());
  ASSERT_EQ(m->payloads.size(), 3u);
  EXPECT_EQ(std::get<UnknownPayload>(m->payloads[1]).type, 200);
  EXPECT_NE(m->Find<VendorIdPayload>(), nullptr);
}

TEST(Malformed, KnownPayloadWithCriticalBitIsAccepted) {
  // RFC 7296 2.5: the critical bit is ignored for understood payload types.
  EXPECT_TRUE(DecodeMessage(Datagram(40, "00 80 0014" NONCE16)).has_value());
}

TEST(Malformed, ErrorsMapToInvalidSyntax) {
  auto m = DecodeMessage(Datagram(33, "00 00 0004"));
  ASSERT_FALSE(m.has_value());
  EXPECT_EQ(NotifyForError(m.error()), NotifyType::kInvalidSyntax);
  EXPECT_TRUE(NotifyDataForError(m.error()).empty());
  EXPECT_EQ(m.error().payload_type, 33);
  EXPECT_NE(ToString(m.error()).find("SA"), std::string::npos);
}

TEST(Malformed, NonceLongerThan256) {
  Bytes chain(4 + 257, 0xab);
  chain[0] = 0;
  chain[1] = 0;
  chain[2] = static_cast<uint8_t>(chain.size() >> 8);
  chain[3] = static_cast<uint8_t>(chain.size());
  EXPECT_EQ(ErrorOf(Datagram(40, ToHex(chain))), DecodeErrorCode::kInvalidSyntax);
}

TEST(Malformed, TooManyPayloads) {
  std::string chain;
  for (size_t i = 0; i < kMaxPayloads + 1; ++i) chain += i + 1 < kMaxPayloads + 1 ? "2b000004" : "00000004";
  EXPECT_EQ(ErrorOf(Datagram(43, chain)), DecodeErrorCode::kTooManyPayloads);
  std::string ok;
  for (size_t i = 0; i < kMaxPayloads; ++i) ok += i + 1 < kMaxPayloads ? "2b000004" : "00000004";
  EXPECT_TRUE(DecodeMessage(Datagram(43, ok)).has_value());
}

TEST(Malformed, TooManyProposalsAndTransforms) {
  SaPayload sa;
  for (size_t i = 0; i < kMaxProposals + 1; ++i) {
    sa.proposals.push_back(Proposal{1, ProtocolId::kEsp, {}, {Transform::Make(TransformType::kEsn, 0)}});
  }
  Message m;
  m.payloads = {sa};
  EXPECT_EQ(ErrorOf(EncodeMessage(m)), DecodeErrorCode::kTooManyItems);
  sa.proposals.resize(1);
  sa.proposals[0].transforms.resize(kMaxTransforms + 1, Transform::Make(TransformType::kEsn, 0));
  m.payloads = {sa};
  EXPECT_EQ(ErrorOf(EncodeMessage(m)), DecodeErrorCode::kTooManyItems);
  sa.proposals[0].transforms.resize(1);
  sa.proposals[0].transforms[0].attributes.resize(kMaxTransformAttributes + 1);
  m.payloads = {sa};
  EXPECT_EQ(ErrorOf(EncodeMessage(m)), DecodeErrorCode::kTooManyItems);
}

TEST(Malformed, TooManyDeleteSpisAndCpAttributes) {
  Message m;
  m.payloads = {DeletePayload{ProtocolId::kEsp, std::vector<uint32_t>(kMaxDeleteSpis + 1, 7)}};
  EXPECT_EQ(ErrorOf(EncodeMessage(m)), DecodeErrorCode::kTooManyItems);
  CpPayload cp;
  cp.attributes.resize(kMaxCfgAttributes + 1);
  m.payloads = {cp};
  EXPECT_EQ(ErrorOf(EncodeMessage(m)), DecodeErrorCode::kTooManyItems);
}

TEST(Malformed, EncryptedPayloadInsideInnerChain) {
  auto r = DecodePayloadChain(PayloadType::kNotify,
                              HexOrDie("2e 00 0008 00004006  00 00 0008 aabbccdd"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, DecodeErrorCode::kPayloadAfterSk);
  auto sk_first = DecodePayloadChain(PayloadType::kSk, HexOrDie("00 00 0008 aabbccdd"));
  ASSERT_FALSE(sk_first.has_value());
  EXPECT_EQ(sk_first.error().code, DecodeErrorCode::kPayloadAfterSk);
}

TEST(Malformed, InnerChainErrors) {
  auto trailing = DecodePayloadChain(PayloadType::kNone, HexOrDie("00"));
  ASSERT_FALSE(trailing.has_value());
  EXPECT_EQ(trailing.error().code, DecodeErrorCode::kTrailingData);
  auto truncated = DecodePayloadChain(PayloadType::kNonce, {});
  ASSERT_FALSE(truncated.has_value());
  EXPECT_EQ(truncated.error().code, DecodeErrorCode::kTruncated);
}

}  // namespace
}  // namespace ike::wire
