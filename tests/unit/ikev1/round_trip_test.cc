// Round trips of every sample message and every payload type, a byte-exact
// check of the encoder against a vector written from RFC 2408 by hand, and
// truncation of every realistic message at every byte.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>

#include "libike/common/bytes.h"
#include "libike/common/writer.h"
#include "libike/ikev1/message.h"
#include "tests/unit/ikev1/samples.h"

namespace ike::v1 {
namespace {

using testing::AllSamples;

TEST(V1RoundTrip, EverySampleMessage) {
  for (const auto& [name, m] : AllSamples()) {
    SCOPED_TRACE(name);
    Bytes bytes = EncodeMessage(m);
    auto decoded = DecodeMessage(bytes);
    ASSERT_TRUE(decoded.has_value()) << ToString(decoded.error());
    EXPECT_EQ(*decoded, m);
    EXPECT_EQ(EncodeMessage(*decoded), bytes);
  }
}

// Each payload alone in a chain, and all of them in one chain.
TEST(V1RoundTrip, EveryPayloadType) {
  std::vector<Payload> all;
  for (const auto& [name, m] : AllSamples()) {
    for (const Payload& p : m.payloads) all.push_back(p);
  }
  all.push_back(UnknownPayload{132, testing::Fill(12, 1)});  // IKE fragment: kept opaque
  all.push_back(UnknownPayload{15, {}});
  std::set<uint8_t> types;
  for (const Payload& p : all) {
    SCOPED_TRACE(static_cast<int>(TypeCodeOf(p)));
    types.insert(TypeCodeOf(p));
    Bytes chain = EncodePayloadChain({p});
    auto back = DecodePayloadChain(TypeCodeOf(p), chain);
    ASSERT_TRUE(back.has_value()) << ToString(back.error());
    ASSERT_EQ(back->size(), 1u);
    EXPECT_EQ(back->front(), p);
  }
  // SA KE ID CERT CR HASH SIG NONCE N D VID ATTR NAT-D NAT-OA (+drafts) unknown
  EXPECT_EQ(types, (std::set<uint8_t>{1, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 20, 21, 130,
                                      131, 132}));
  std::vector<Payload> first64(all.begin(), all.begin() + std::min(all.size(), kMaxPayloads));
  auto back = DecodePayloadChain(FirstPayloadType(first64), EncodePayloadChain(first64));
  ASSERT_TRUE(back.has_value()) << ToString(back.error());
  EXPECT_EQ(*back, first64);
}

// RFC 2408 3.1-3.6 / RFC 2409 appendix A, assembled by hand: a Main Mode
// message 1 with one proposal and one transform (AES-CBC-128, SHA1, PSK,
// MODP2048, lifetime 86400 s as a 4-octet TLV) and one VID.
TEST(V1RoundTrip, MatchesHandWrittenBytes) {
  std::string hex =
      "1122334455667788 0000000000000000"  // cookies
      "01 10 02 00 00000000 0000006c"       // next SA, v1.0, Main Mode, flags 0, MID 0, len 108
      // SA: next VID, len 60, DOI 1, situation 1
      "0d 00 003c 00000001 00000001"
      // Proposal: last, len 48, #1, ISAKMP, SPI size 0, 1 transform
      "00 00 0030 01 01 00 01"
      // Transform: last, len 40, #1, KEY_IKE, reserved
      "00 00 0028 01 01 0000"
      "8001 0007  800e 0080  8002 0002  8003 0001  8004 000e  800b 0001"
      "000c 0004 00015180"
      // VID: last, len 20, RFC 3947
      "00 00 0014 4a131c81070358455c5728f20e95452f";
  Message m;
  m.header.initiator_cookie = 0x1122334455667788ull;
  Transform t{1, kKeyIke,
              {DataAttribute::Tv(1, 7), DataAttribute::Tv(14, 128), DataAttribute::Tv(2, 2),
               DataAttribute::Tv(3, 1), DataAttribute::Tv(4, 14), DataAttribute::Tv(11, 1),
               DataAttribute::Integer(12, 86400)}};
  m.payloads = {SaPayload{1, 1, {Proposal{1, ProtocolId::kIsakmp, {}, {t}}}},
                VendorIdPayload{HexOrDie("4a131c81070358455c5728f20e95452f")}};
  EXPECT_EQ(ToHex(EncodeMessage(m)), ToHex(HexOrDie(hex)));
  auto decoded = DecodeMessage(HexOrDie(hex));
  ASSERT_TRUE(decoded.has_value()) << ToString(decoded.error());
  EXPECT_EQ(*decoded, m);
  const auto* sa = decoded->Find<SaPayload>();
  ASSERT_NE(sa, nullptr);
  const Transform& tr = sa->proposals[0].transforms[0];
  EXPECT_EQ(tr.Find(static_cast<uint16_t>(Phase1Attr::kLifeDuration))->IntegerValue(), 86400u);
  EXPECT_EQ(tr.Find(static_cast<uint16_t>(Phase1Attr::kKeyLength))->IntegerValue(), 128u);
  EXPECT_EQ(tr.Find(99), nullptr);
}

TEST(V1RoundTrip, FindersAndAccessors) {
  Message m = testing::InformationalMessage();
  ASSERT_NE(m.FindNotify(NotifyType::kDpdRUThere), nullptr);
  EXPECT_EQ(m.FindNotify(NotifyType::kDpdRUThere)->data, HexOrDie("0000002a"));
  EXPECT_EQ(m.FindNotify(NotifyType::kNoProposalChosen), nullptr);
  EXPECT_EQ(m.FindAll<DeletePayload>().size(), 2u);
  EXPECT_EQ(m.FindAll<IdPayload>().size(), 7u);
  Message cfg = testing::ModeConfigReply();
  const auto* attr = cfg.Find<AttributePayload>();
  ASSERT_NE(attr, nullptr);
  EXPECT_EQ(attr->Find(CfgAttr::kInternalIp4Address)->tlv_value, (Bytes{10, 3, 0, 1}));
  EXPECT_EQ(attr->Find(CfgAttr::kXauthStatus), nullptr);
  EXPECT_TRUE(IsXauthAuthMethod(65001));
  EXPECT_TRUE(IsXauthAuthMethod(65010));
  EXPECT_FALSE(IsXauthAuthMethod(65011));
  EXPECT_FALSE(IsXauthAuthMethod(1));
  EXPECT_EQ(PayloadTypeName(PayloadType::kNatOaDraft), "NAT-OA(draft)");
  EXPECT_EQ(PayloadTypeName(static_cast<PayloadType>(99)), "UNKNOWN");
}

TEST(V1RoundTrip, IntegerAttributes) {
  EXPECT_EQ(DataAttribute::Integer(12, 3600), DataAttribute::Tv(12, 3600));
  EXPECT_EQ(DataAttribute::Integer(12, 0x10000), DataAttribute::Tlv(12, HexOrDie("00010000")));
  EXPECT_EQ(DataAttribute::Integer(12, 0x100000000ull).tlv_value.size(), 8u);
  EXPECT_EQ(DataAttribute::Integer(12, 0x123456789aull).IntegerValue(), 0x123456789aull);
  EXPECT_EQ(DataAttribute::Tlv(12, {}).IntegerValue(), std::nullopt);
  EXPECT_EQ(DataAttribute::Tlv(12, Bytes(9, 1)).IntegerValue(), std::nullopt);
  EXPECT_EQ(DataAttribute::Tlv(12, {0x01, 0x02, 0x03}).IntegerValue(), 0x010203u);
}

TEST(V1RoundTrip, EncryptedMessageHandsOutCiphertext) {
  Message m = testing::QuickModeEncrypted();
  Bytes bytes = EncodeMessage(m);
  ASSERT_EQ(bytes.size(), kHeaderSize + 448);
  EXPECT_EQ(bytes[16], static_cast<uint8_t>(PayloadType::kHash));
  EXPECT_EQ(bytes[19], kFlagEncryption);
  auto decoded = DecodeMessage(bytes);
  ASSERT_TRUE(decoded.has_value()) << ToString(decoded.error());
  EXPECT_TRUE(decoded->header.encrypted);
  EXPECT_TRUE(decoded->payloads.empty());
  EXPECT_EQ(decoded->encrypted.first_payload, static_cast<uint8_t>(PayloadType::kHash));
  EXPECT_EQ(decoded->encrypted.ciphertext, testing::Fill(448, 14));
}

// After decryption: the plaintext chain plus block padding.
TEST(V1RoundTrip, DecryptedBodyWithPadding) {
  std::vector<Payload> inner = testing::QuickModeMessage1().payloads;
  Bytes plain = EncodePayloadChain(inner);
  size_t pad = 16 - plain.size() % 16;
  plain.insert(plain.end(), pad, 0);
  auto body = DecodeDecryptedBody(FirstPayloadType(inner), plain);
  ASSERT_TRUE(body.has_value()) << ToString(body.error());
  EXPECT_EQ(body->payloads, inner);
  EXPECT_EQ(body->padding, pad);
  // The strict chain decoder refuses the padding.
  auto strict = DecodePayloadChain(FirstPayloadType(inner), plain);
  ASSERT_FALSE(strict.has_value());
  EXPECT_EQ(strict.error().code, DecodeErrorCode::kTrailingData);
  plain.insert(plain.end(), kMaxPadding, 0);
  auto too_much = DecodeDecryptedBody(FirstPayloadType(inner), plain);
  ASSERT_FALSE(too_much.has_value());
  EXPECT_EQ(too_much.error().code, DecodeErrorCode::kTrailingData);
}

TEST(V1RoundTrip, HeaderFlagsAndPeek) {
  Message m = testing::MainModeMessage3();
  m.header.commit = true;
  m.header.auth_only = true;
  m.header.minor_version = 0;
  Bytes bytes = EncodeMessage(m);
  EXPECT_EQ(bytes[19], kFlagCommit | kFlagAuthOnly);
  auto peeked = PeekHeader(bytes);
  ASSERT_TRUE(peeked.has_value());
  EXPECT_EQ(peeked->header, m.header);
  EXPECT_EQ(peeked->next_payload, static_cast<uint8_t>(PayloadType::kKe));
  EXPECT_EQ(peeked->length, bytes.size());
  auto decoded = DecodeMessage(bytes);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, m);
}

// QUICHE idiom: every prefix of a realistic message is rejected, whether
// the header Length still says the full size, or is patched to the prefix
// (so only the payload lengths can notice), and every prefix of the chain
// alone is rejected too.
TEST(V1Truncation, EveryPrefixOfEveryRealisticMessageFails) {
  for (const auto& [name, m] : AllSamples()) {
    SCOPED_TRACE(name);
    Bytes bytes = EncodeMessage(m);
    for (size_t n = 0; n < bytes.size(); ++n) {
      ByteView prefix(bytes.data(), n);
      EXPECT_FALSE(DecodeMessage(prefix).has_value()) << "prefix " << n;
      if (n >= kHeaderSize) {
        Bytes patched(bytes.begin(), bytes.begin() + n);
        Writer w(patched);
        w.PatchU32(24, static_cast<uint32_t>(n));
        auto r = DecodeMessage(patched);
        // An encrypted body shortened stays a (shorter) opaque ciphertext.
        if (m.header.encrypted && n > kHeaderSize) {
          EXPECT_TRUE(r.has_value()) << "prefix " << n;
        } else {
          EXPECT_FALSE(r.has_value()) << "patched prefix " << n;
        }
      }
    }
    if (m.header.encrypted) continue;
    Bytes chain = EncodePayloadChain(m.payloads);
    for (size_t n = 0; n < chain.size(); ++n) {
      auto r = DecodePayloadChain(FirstPayloadType(m.payloads), ByteView(chain.data(), n));
      ASSERT_FALSE(r.has_value()) << "chain prefix " << n;
      EXPECT_TRUE(r.error().code == DecodeErrorCode::kTruncated ||
                  r.error().code == DecodeErrorCode::kBadLength)
          << "chain prefix " << n << ": " << ToString(r.error());
    }
  }
}

}  // namespace
}  // namespace ike::v1
