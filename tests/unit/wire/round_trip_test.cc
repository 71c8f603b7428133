// Round-trip and hand-written vector tests for the IKEv2 wire codec.
#include <gtest/gtest.h>

#include "libike/common/bytes.h"
#include "libike/wire/message.h"
#include "tests/unit/wire/sample_messages.h"

namespace ike::wire {
namespace {

using testing::Fill;

IpAddress Ip(const char* text) { return *IpAddress::Parse(text); }

Message WithPayloads(std::vector<Payload> payloads) {
  Message m;
  m.header.spi_i = 0xa1a2a3a4a5a6a7a8ull;
  m.header.spi_r = 0xb1b2b3b4b5b6b7b8ull;
  m.header.exchange_type = ExchangeType::kInformational;
  m.header.initiator = true;
  m.header.message_id = 5;
  m.payloads = std::move(payloads);
  return m;
}

// Encode -> decode gives the same message, and re-encoding gives the same bytes.
void ExpectRoundTrip(const Message& m) {
  Bytes bytes = EncodeMessage(m);
  auto decoded = DecodeMessage(bytes);
  ASSERT_TRUE(decoded.has_value()) << ToString(decoded.error());
  EXPECT_EQ(*decoded, m);
  EXPECT_EQ(EncodeMessage(*decoded), bytes);
}

TEST(WireRoundTrip, Sa) {
  Proposal ike{1, ProtocolId::kIke, Fill(8, 1), {}};
  ike.transforms = {Transform::EncrWithKeyLength(EncrId::kAesCbc, 256),
                    Transform::Make(TransformType::kPrf, 7),
                    Transform::Make(TransformType::kInteg, 14),
                    Transform::Make(TransformType::kKe, 31)};
  ike.transforms[1].attributes.push_back(TransformAttr::Tlv(0x1234, Bytes{1, 2, 3}));
  Proposal esp{2, ProtocolId::kEsp, Fill(4, 9), {Transform::Make(TransformType::kEsn, 0)}};
  Proposal empty{3, ProtocolId::kAh, {}, {}};
  ExpectRoundTrip(WithPayloads({SaPayload{{ike, esp, empty}}}));
}

TEST(WireRoundTrip, KeAndNonce) {
  ExpectRoundTrip(WithPayloads({KePayload{KeGroup::kCurve25519, Fill(32, 3)},
                                NoncePayload{Fill(16, 4)}, NoncePayload{Fill(256, 5)},
                                KePayload{KeGroup::kNone, {}}}));
}

TEST(WireRoundTrip, IdentitiesOfEveryType) {
  ExpectRoundTrip(WithPayloads({
      IdPayload::FromIp(Role::kInitiator, Ip("192.0.2.1")),
      IdPayload::FromIp(Role::kResponder, Ip("2001:db8::1")),
      IdPayload::FromFqdn(Role::kInitiator, "a.example"),
      IdPayload::FromRfc822(Role::kInitiator, "user@example.org"),
      IdPayload::FromKeyId(Role::kResponder, Fill(8, 6)),
      IdPayload::FromDn(Role::kResponder, Fill(30, 7)),
      IdPayload{Role::kInitiator, IdType::kDerAsn1Gn, Fill(5, 8)},
      IdPayload{Role::kInitiator, static_cast<IdType>(13), {}},  // ID_NULL: kept raw
  }));
}

TEST(WireRoundTrip, CertCertReqAuth) {
  ExpectRoundTrip(WithPayloads({
      CertPayload{CertEncoding::kX509Signature, Fill(100, 1)},
      CertReqPayload::FromCaKeyHashes({Fill(20, 2), Fill(20, 3)}),
      CertReqPayload{CertEncoding::kX509Signature, {}},
      AuthPayload{AuthMethod::kDigitalSignature, Fill(70, 4)},
      AuthPayload{AuthMethod::kPsk, Fill(32, 5)},
  }));
}

TEST(WireRoundTrip, NotifyDeleteVendorId) {
  ExpectRoundTrip(WithPayloads({
      NotifyPayload::Make(NotifyType::kCookie, Fill(32, 1)),
      NotifyPayload::ForChildSa(NotifyType::kRekeySa, ProtocolId::kEsp, 0x01020304),
      NotifyPayload{ProtocolId::kIke, Fill(8, 2), NotifyType::kInvalidIkeSpi, {}},
      NotifyPayload{ProtocolId::kNone, {}, static_cast<NotifyType>(40000), Fill(3, 3)},
      DeletePayload{ProtocolId::kEsp, {1, 2, 3}},
      DeletePayload{ProtocolId::kAh, {}},
      DeletePayload{ProtocolId::kIke, {}},
      VendorIdPayload{Fill(20, 4)},
      VendorIdPayload{{}},
  }));
}

TEST(WireRoundTrip, TrafficSelectors) {
  ExpectRoundTrip(WithPayloads({
      TsPayload{Role::kInitiator,
                {TrafficSelector::Any(AddressFamily::kIpv4), TrafficSelector::Any(AddressFamily::kIpv6)}},
      TsPayload{Role::kResponder,
                {TrafficSelector::Range(Ip("198.51.100.0"), Ip("198.51.100.127"), 17, 53, 53)}},
  }));
}

TEST(WireRoundTrip, ConfigAndEap) {
  ExpectRoundTrip(WithPayloads({
      CpPayload{CfgType::kRequest,
                {CfgAttribute::Make(CfgAttributeType::kInternalIp4Address),
                 CfgAttribute{true, 0x7fff, Fill(3, 1)}}},
      CpPayload{CfgType::kAck, {}},
      EapPayload{EapCode::kRequest, 1, 1, {}},
      EapPayload{EapCode::kResponse, 1, 26, Fill(40, 2)},
      EapPayload{EapCode::kSuccess, 2, 0, {}},
      EapPayload{EapCode::kFailure, 3, 0, {}},
  }));
}

TEST(WireRoundTrip, UnknownNonCriticalPayloadIsKept) {
  ExpectRoundTrip(WithPayloads({NoncePayload{Fill(20, 1)}, UnknownPayload{200, false, Fill(7, 2)},
                                UnknownPayload{49, false, {}}}));
}

TEST(WireRoundTrip, SkAndSkf) {
  ExpectRoundTrip(WithPayloads({NotifyPayload::Make(NotifyType::kCookie2, Fill(8, 1)),
                                SkPayload{PayloadType::kIdInitiator, Fill(64, 2)}}));
  ExpectRoundTrip(WithPayloads({SkPayload{PayloadType::kNone, {}}}));
  ExpectRoundTrip(WithPayloads({SkfPayload{PayloadType::kNone, 2, 2, Fill(30, 3)}}));
}

TEST(WireRoundTrip, EmptyMessage) { ExpectRoundTrip(WithPayloads({})); }

TEST(WireRoundTrip, SampleMessages) {
  ExpectRoundTrip(testing::IkeSaInitRequest());
  ExpectRoundTrip(testing::IkeSaInitResponse());
  ExpectRoundTrip(testing::IkeAuthEncrypted());
  ExpectRoundTrip(testing::ClearPayloadsMessage());
  ExpectRoundTrip(testing::SkfFragment());
}

TEST(WireRoundTrip, InnerChain) {
  std::vector<Payload> inner = testing::IkeAuthInnerPayloads();
  Bytes plain = EncodePayloadChain(inner);
  ASSERT_EQ(FirstPayloadType(inner), PayloadType::kIdInitiator);
  auto decoded = DecodePayloadChain(PayloadType::kIdInitiator, plain);
  ASSERT_TRUE(decoded.has_value()) << ToString(decoded.error());
  EXPECT_EQ(*decoded, inner);
  EXPECT_EQ(EncodePayloadChain(*decoded), plain);
  // An empty chain is NONE with no bytes.
  auto empty = DecodePayloadChain(PayloadType::kNone, {});
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(empty->empty());
}

// --- Hand-written vectors, laid out field by field from RFC 7296 section 3.

TEST(WireVectors, IkeSaInitRequestByHand) {
  Bytes wire = HexOrDie(
      // IKE header (3.1)
      "0102030405060708"  // SPIi
      "0000000000000000"  // SPIr
      "21"                // next payload: SA
      "20"                // version 2.0
      "22"                // IKE_SA_INIT
      "08"                // flags: I
      "00000000"          // message ID
      "0000006c"          // length 108
      // SA (3.3), 48 octets
      "22 00 0030"        // next KE, length 48
      "00 00 002c"        // last proposal, length 44
      "01 01 00 04"       // proposal 1, IKE, SPI size 0, 4 transforms
      "03 00 000c 01 00 0014 800e 0100"  // ENCR AES-GCM-16, key length 256 (TV)
      "03 00 0008 02 00 0005"            // PRF HMAC-SHA2-256
      "03 00 0008 04 00 001f"            // KE Curve25519
      "00 00 0008 03 00 000c"            // INTEG HMAC-SHA2-256-128 (last)
      // KE (3.4), 12 octets
      "28 00 000c"        // next Nonce
      "001f 0000"         // group 31, reserved
      "aabbccdd"          // (short) key exchange data
      // Nonce (3.9), 20 octets
      "00 00 0014"
      "000102030405060708090a0b0c0d0e0f");
  auto m = DecodeMessage(wire);
  ASSERT_TRUE(m.has_value()) << ToString(m.error());
  EXPECT_EQ(m->header.spi_i, 0x0102030405060708ull);
  EXPECT_EQ(m->header.exchange_type, ExchangeType::kIkeSaInit);
  EXPECT_TRUE(m->header.initiator);
  EXPECT_FALSE(m->header.response);
  ASSERT_EQ(m->payloads.size(), 3u);
  const SaPayload* sa = m->Find<SaPayload>();
  ASSERT_NE(sa, nullptr);
  ASSERT_EQ(sa->proposals.size(), 1u);
  const Proposal& p = sa->proposals[0];
  EXPECT_EQ(p.protocol, ProtocolId::kIke);
  ASSERT_EQ(p.transforms.size(), 4u);
  EXPECT_EQ(p.transforms[0].id, static_cast<uint16_t>(EncrId::kAesGcm16));
  EXPECT_EQ(p.transforms[0].key_length(), 256);
  EXPECT_EQ(p.transforms[2].type, TransformType::kKe);
  EXPECT_EQ(p.transforms[2].id, 31);
  EXPECT_EQ(m->Find<KePayload>()->group, KeGroup::kCurve25519);
  EXPECT_EQ(m->Find<KePayload>()->data, HexOrDie("aabbccdd"));
  EXPECT_EQ(m->Find<NoncePayload>()->data.size(), 16u);
  EXPECT_EQ(EncodeMessage(*m), wire);
}

TEST(WireVectors, NotifyTsDeleteByHand) {
  Bytes chain = HexOrDie(
      // N(REKEY_SA) for ESP SPI 0x11223344 (3.10)
      "2c 00 000c  03 04 4009  11223344"
      // TSi (3.13): one IPv4 selector, TCP ports 1..65535, 192.0.2.0-192.0.2.255
      "2a 00 0018  01 000000  07 06 0010 0001 ffff c0000200 c00002ff"
      // Delete (3.11): ESP, SPI size 4, 2 SPIs
      "00 00 0010  03 04 0002  aaaaaaaa bbbbbbbb");
  auto payloads = DecodePayloadChain(PayloadType::kNotify, chain);
  ASSERT_TRUE(payloads.has_value()) << ToString(payloads.error());
  ASSERT_EQ(payloads->size(), 3u);
  const auto& n = std::get<NotifyPayload>((*payloads)[0]);
  EXPECT_EQ(n.type, NotifyType::kRekeySa);
  EXPECT_EQ(n.ChildSpi(), 0x11223344u);
  const auto& ts = std::get<TsPayload>((*payloads)[1]);
  EXPECT_EQ(ts.role, Role::kInitiator);
  ASSERT_EQ(ts.selectors.size(), 1u);
  EXPECT_EQ(ts.selectors[0].ip_protocol, 6);
  EXPECT_EQ(ts.selectors[0].start_address, Ip("192.0.2.0"));
  EXPECT_EQ(ts.selectors[0].end_address, Ip("192.0.2.255"));
  EXPECT_EQ(ts.selectors[0].start_port, 1);
  const auto& del = std::get<DeletePayload>((*payloads)[2]);
  EXPECT_EQ(del.spis, (std::vector<uint32_t>{0xaaaaaaaa, 0xbbbbbbbb}));
  EXPECT_EQ(EncodePayloadChain(*payloads), chain);
}

TEST(WireVectors, SkfAndEapByHand) {
  Bytes skf = HexOrDie("23 00 000c  0001 0002  deadbeef");  // first inner IDi, frag 1/2
  auto p = DecodePayloadChain(PayloadType::kSkf, skf, /*allow_encrypted=*/true);
  ASSERT_TRUE(p.has_value()) << ToString(p.error());
  const auto& f = std::get<SkfPayload>((*p)[0]);
  EXPECT_EQ(f.first_inner, PayloadType::kIdInitiator);
  EXPECT_EQ(f.fragment_number, 1);
  EXPECT_EQ(f.total_fragments, 2);
  EXPECT_EQ(f.body, HexOrDie("deadbeef"));

  Bytes eap = HexOrDie("00 00 000e  02 07 000a 01 616c696365");  // Response/Identity "alice"
  auto e = DecodePayloadChain(PayloadType::kEap, eap);
  ASSERT_TRUE(e.has_value()) << ToString(e.error());
  const auto& ep = std::get<EapPayload>((*e)[0]);
  EXPECT_EQ(ep.code, EapCode::kResponse);
  EXPECT_EQ(ep.identifier, 7);
  EXPECT_EQ(ep.type, 1);
  EXPECT_EQ(EncodePayloadChain(*e), eap);
}

// --- SK layout helpers used by the engine for AAD / ICV.

TEST(WireSkLayout, OffsetsAndPatch) {
  Message m = testing::IkeAuthEncrypted();
  m.payloads.insert(m.payloads.begin(), NotifyPayload::Make(NotifyType::kCookie2, Fill(8, 1)));
  EncodedMessage enc = EncodeMessageWithLayout(m);
  ASSERT_TRUE(enc.sk.has_value());
  EXPECT_EQ(enc.sk->payload_offset, kHeaderSize + 4 + 4 + 8);
  EXPECT_EQ(enc.sk->body_offset, enc.sk->payload_offset + 4);
  EXPECT_EQ(enc.bytes.size() - enc.sk->body_offset, 128u);
  EXPECT_EQ(LocateSk(enc.bytes)->body_offset, enc.sk->body_offset);
  // Append a 16-octet ICV and patch: the datagram decodes with the longer body.
  enc.bytes.insert(enc.bytes.end(), 16, 0xee);
  ASSERT_TRUE(PatchLengths(enc.bytes, *enc.sk));
  auto d = DecodeMessage(enc.bytes);
  ASSERT_TRUE(d.has_value()) << ToString(d.error());
  EXPECT_EQ(d->Find<SkPayload>()->body.size(), 144u);
  EXPECT_FALSE(PatchLengths(enc.bytes, SkLayout{enc.bytes.size(), enc.bytes.size()}));

  EncodedMessage frag = EncodeMessageWithLayout(testing::SkfFragment());
  ASSERT_TRUE(frag.sk.has_value());
  EXPECT_EQ(frag.sk->payload_offset, kHeaderSize);
  EXPECT_EQ(frag.sk->body_offset, kHeaderSize + 8);
  EXPECT_EQ(LocateSk(frag.bytes)->body_offset, kHeaderSize + 8);
  EXPECT_FALSE(EncodeMessageWithLayout(testing::IkeSaInitRequest()).sk.has_value());
  EXPECT_FALSE(LocateSk(EncodeMessage(testing::IkeSaInitRequest())).has_value());
}

// --- Helpers.

TEST(WireHelpers, PeekHeader) {
  Bytes init = EncodeMessage(testing::IkeSaInitResponse());
  auto h = PeekHeader(init);
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->header, testing::IkeSaInitResponse().header);
  EXPECT_EQ(h->next_payload, 33);
  EXPECT_EQ(h->length, init.size());
  EXPECT_TRUE(h->header.response);
  EXPECT_EQ(h->header.flags(), kFlagResponse);
  // An IKEv1 header peeks fine (for dispatch) but does not decode as IKEv2.
  init[17] = 0x10;
  ASSERT_TRUE(PeekHeader(init).has_value());
  EXPECT_EQ(PeekHeader(init)->header.major_version, 1);
  EXPECT_FALSE(PeekHeader(ByteView(init).first(27)).has_value());
}

TEST(WireHelpers, IdAccessors) {
  EXPECT_EQ(IdPayload::FromIp(Role::kInitiator, Ip("2001:db8::5")).AsIp(), Ip("2001:db8::5"));
  EXPECT_EQ(IdPayload::FromFqdn(Role::kInitiator, "x.example").AsString(), "x.example");
  EXPECT_FALSE(IdPayload::FromKeyId(Role::kInitiator, Fill(3, 1)).AsString().has_value());
  EXPECT_EQ(EncodeIdBody(IdPayload::FromIp(Role::kResponder, Ip("192.0.2.9"))),
            HexOrDie("01000000c0000209"));
}

TEST(WireHelpers, NotifyAndCertReqAccessors) {
  auto n = NotifyPayload::SignatureHashAlgorithms({HashAlgorithm::kSha2_256, HashAlgorithm::kIdentity});
  EXPECT_EQ(n.data, HexOrDie("00020005"));
  EXPECT_EQ(n.HashAlgorithms()->size(), 2u);
  auto req = CertReqPayload::FromCaKeyHashes({Fill(20, 1), Fill(20, 2)});
  ASSERT_TRUE(req.CaKeyHashes().has_value());
  EXPECT_EQ((*req.CaKeyHashes())[1], Fill(20, 2));
  req.authorities.push_back(0);
  EXPECT_FALSE(req.CaKeyHashes().has_value());
  auto ke = NotifyPayload::WithU16(NotifyType::kInvalidKePayload, 19);
  EXPECT_EQ(ke.data, HexOrDie("0013"));
  EXPECT_EQ(ke.DataAsU16(), 19);
  EXPECT_FALSE(NotifyPayload::Make(NotifyType::kCookie, Bytes{1}).DataAsU16().has_value());
  DecodeError crit{DecodeErrorCode::kUnsupportedCriticalPayload, "x", 77};
  EXPECT_EQ(NotifyPayloadForError(crit),
            NotifyPayload::Make(NotifyType::kUnsupportedCriticalPayload, Bytes{77}));
  EXPECT_TRUE(IsErrorNotify(NotifyType::kNoProposalChosen));
  EXPECT_FALSE(IsErrorNotify(NotifyType::kCookie));
  EXPECT_EQ(NotifyTypeName(NotifyType::kIkev2FragmentationSupported), "IKEV2_FRAGMENTATION_SUPPORTED");
  EXPECT_EQ(static_cast<uint16_t>(NotifyType::kSignatureHashAlgorithms), 16431);
}

TEST(WireHelpers, PayloadTypeNames) {
  EXPECT_TRUE(IsKnownPayloadType(33));
  EXPECT_TRUE(IsKnownPayloadType(48));
  EXPECT_TRUE(IsKnownPayloadType(53));
  EXPECT_FALSE(IsKnownPayloadType(49));
  EXPECT_FALSE(IsKnownPayloadType(0));
  EXPECT_EQ(PayloadTypeName(PayloadType::kTsResponder), "TSr");
  EXPECT_EQ(PayloadTypeName(static_cast<PayloadType>(99)), "UNKNOWN");
  EXPECT_EQ(DecodeErrorCodeName(DecodeErrorCode::kPayloadAfterSk), "kPayloadAfterSk");
}

TEST(WireHelpers, FindersByRole) {
  Message m = testing::ClearPayloadsMessage();
  EXPECT_EQ(m.FindId(Role::kResponder)->AsString(), "gw.example.net");
  EXPECT_EQ(m.FindTs(Role::kResponder)->selectors.size(), 1u);
  EXPECT_NE(m.FindNotify(NotifyType::kRekeySa), nullptr);
  EXPECT_EQ(m.FindNotify(NotifyType::kCookie), nullptr);
  EXPECT_EQ(m.FindAll<DeletePayload>().size(), 2u);
}

}  // namespace
}  // namespace ike::wire
