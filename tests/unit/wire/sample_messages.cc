#include "tests/unit/wire/sample_messages.h"

namespace ike::wire::testing {

Bytes Fill(size_t n, uint8_t seed) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(seed + i * 7);
  return b;
}

namespace {

IpAddress Ip(const char* text) { return *IpAddress::Parse(text); }

// A self-signed Ed25519 certificate for CN=gw.example.net (DER), so that
// dissectors that parse X.509 see a real certificate.
Bytes SampleCertificate() {
  return HexOrDie(
    "308201463081f9a0030201020214602b18440fd5891d64e1153bff302348f11d"
    "3312300506032b657030193117301506035504030c0e67772e6578616d706c65"
    "2e6e6574301e170d3236313133303032333031395a170d333631313237303233"
    "3031395a30193117301506035504030c0e67772e6578616d706c652e6e657430"
    "2a300506032b6570032100550ec1a7d92e92ad9da8d0c657fc923c8c04acbf82"
    "5f68e3c1760f62f5067d38a3533051301d0603551d0e04160414a8a32ff6f55c"
    "122171c60468adf4ce0dca4aa322301f0603551d23041830168014a8a32ff6f5"
    "5c122171c60468adf4ce0dca4aa322300f0603551d130101ff040530030101ff"
    "300506032b6570034100518bc246d42a38a14670fbcc04ed8e90e335a96707cd"
    "08a7799d168da8c28762ed0da36949b8262cb660d1690bbf6a717b342bad5361"
    "a73a18ce52ff17856508");
}

SaPayload IkeProposals() {
  Proposal gcm{1, ProtocolId::kIke, {}, {}};
  gcm.transforms = {Transform::EncrWithKeyLength(EncrId::kAesGcm16, 256),
                    Transform::Make(TransformType::kPrf, static_cast<uint16_t>(PrfId::kHmacSha2_256)),
                    Transform::Make(TransformType::kKe, static_cast<uint16_t>(KeGroup::kEcp256)),
                    Transform::Make(TransformType::kKe, static_cast<uint16_t>(KeGroup::kCurve25519))};
  Proposal cbc{2, ProtocolId::kIke, {}, {}};
  cbc.transforms = {
      Transform::EncrWithKeyLength(EncrId::kAesCbc, 128),
      Transform::Make(TransformType::kPrf, static_cast<uint16_t>(PrfId::kHmacSha2_256)),
      Transform::Make(TransformType::kInteg, static_cast<uint16_t>(IntegId::kHmacSha2_256_128)),
      Transform::Make(TransformType::kKe, static_cast<uint16_t>(KeGroup::kModp2048))};
  return SaPayload{{gcm, cbc}};
}

Header InitHeader(bool response) {
  Header h;
  h.spi_i = 0x0102030405060708ull;
  h.spi_r = response ? 0x1112131415161718ull : 0;
  h.exchange_type = ExchangeType::kIkeSaInit;
  h.initiator = !response;
  h.response = response;
  h.message_id = 0;
  return h;
}

}  // namespace

Message IkeSaInitRequest() {
  Message m;
  m.header = InitHeader(false);
  m.payloads = {
      IkeProposals(),
      KePayload{KeGroup::kEcp256, Fill(64, 0x40)},
      NoncePayload{Fill(32, 0x11)},
      NotifyPayload::Make(NotifyType::kNatDetectionSourceIp, Fill(20, 0x21)),
      NotifyPayload::Make(NotifyType::kNatDetectionDestinationIp, Fill(20, 0x31)),
      NotifyPayload::Make(NotifyType::kIkev2FragmentationSupported),
      NotifyPayload::SignatureHashAlgorithms(
          {HashAlgorithm::kSha2_256, HashAlgorithm::kSha2_384, HashAlgorithm::kSha2_512}),
      VendorIdPayload{Fill(16, 0x55)},
  };
  return m;
}

Message IkeSaInitResponse() {
  Message m;
  m.header = InitHeader(true);
  SaPayload sa = IkeProposals();
  sa.proposals.resize(1);
  sa.proposals[0].transforms.pop_back();  // the chosen group only
  m.payloads = {
      sa,
      KePayload{KeGroup::kEcp256, Fill(64, 0x80)},
      NoncePayload{Fill(32, 0x91)},
      NotifyPayload::Make(NotifyType::kNatDetectionSourceIp, Fill(20, 0xa1)),
      NotifyPayload::Make(NotifyType::kNatDetectionDestinationIp, Fill(20, 0xb1)),
      CertReqPayload::FromCaKeyHashes({Fill(20, 0xc1), Fill(20, 0xd1)}),
      NotifyPayload::Make(NotifyType::kIkev2FragmentationSupported),
      NotifyPayload::SignatureHashAlgorithms({HashAlgorithm::kSha2_256}),
      VendorIdPayload{Fill(16, 0x66)},
  };
  return m;
}

Message IkeAuthEncrypted() {
  Message m;
  m.header = InitHeader(false);
  m.header.spi_r = 0x1112131415161718ull;
  m.header.exchange_type = ExchangeType::kIkeAuth;
  m.header.message_id = 1;
  // IV (16) + ciphertext (96) + ICV (16): opaque to the codec.
  m.payloads = {SkPayload{PayloadType::kIdInitiator, Fill(128, 0xe0)}};
  return m;
}

std::vector<Payload> IkeAuthInnerPayloads() {
  Proposal esp{1, ProtocolId::kEsp, {0xc0, 0x01, 0xca, 0xfe}, {}};
  esp.transforms = {Transform::EncrWithKeyLength(EncrId::kAesGcm16, 256),
                    Transform::Make(TransformType::kEsn, static_cast<uint16_t>(EsnId::kNoEsn))};
  return {
      IdPayload::FromFqdn(Role::kInitiator, "moon.example.org"),
      NotifyPayload::Make(NotifyType::kInitialContact),
      IdPayload::FromFqdn(Role::kResponder, "sun.example.org"),
      AuthPayload{AuthMethod::kPsk, Fill(32, 0x01)},
      CpPayload{CfgType::kRequest,
                {CfgAttribute::Make(CfgAttributeType::kInternalIp4Address),
                 CfgAttribute::Make(CfgAttributeType::kInternalIp4Dns)}},
      SaPayload{{esp}},
      TsPayload{Role::kInitiator, {TrafficSelector::Any(AddressFamily::kIpv4)}},
      TsPayload{Role::kResponder, {TrafficSelector::Any(AddressFamily::kIpv4)}},
      NotifyPayload::Make(NotifyType::kMobikeSupported),
  };
}

Message ClearPayloadsMessage() {
  Message m;
  m.header = InitHeader(false);
  m.header.spi_r = 0x1112131415161718ull;
  m.header.exchange_type = ExchangeType::kInformational;
  m.header.message_id = 7;
  m.payloads = {
      IdPayload::FromIp(Role::kInitiator, Ip("192.0.2.1")),
      IdPayload::FromFqdn(Role::kResponder, "gw.example.net"),
      CertPayload{CertEncoding::kX509Signature, SampleCertificate()},
      AuthPayload{AuthMethod::kPsk, Fill(32, 0x42)},
      CpPayload{CfgType::kReply,
                {CfgAttribute::Address(CfgAttributeType::kInternalIp4Address, Ip("198.51.100.7")),
                 CfgAttribute::Address(CfgAttributeType::kInternalIp4Dns, Ip("198.51.100.1")),
                 CfgAttribute::Address(CfgAttributeType::kInternalIp6Dns, Ip("2001:db8::53"))}},
      TsPayload{Role::kInitiator,
                {TrafficSelector::Range(Ip("192.0.2.0"), Ip("192.0.2.255")),
                 TrafficSelector::Range(Ip("2001:db8:1::"), Ip("2001:db8:1::ffff"), 6, 80, 443)}},
      TsPayload{Role::kResponder,
                {TrafficSelector::Range(Ip("203.0.113.0"), Ip("203.0.113.255"), 17, 500, 500)}},
      DeletePayload{ProtocolId::kEsp, {0xc0010001u, 0xc0010002u}},
      DeletePayload{ProtocolId::kIke, {}},
      EapPayload{EapCode::kResponse, 3, 1, Bytes{'a', 'l', 'i', 'c', 'e'}},
      NotifyPayload::ForChildSa(NotifyType::kRekeySa, ProtocolId::kEsp, 0xc0010001u),
  };
  return m;
}

Message SkfFragment() {
  Message m = IkeAuthEncrypted();
  m.payloads = {SkfPayload{PayloadType::kIdInitiator, 1, 3, Fill(80, 0x70)}};
  return m;
}

}  // namespace ike::wire::testing
