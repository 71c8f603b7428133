#include "tests/unit/ikev1/samples.h"

namespace ike::v1::testing {
namespace {

uint16_t U(auto e) { return static_cast<uint16_t>(e); }

DataAttribute P1(Phase1Attr type, uint16_t value) { return DataAttribute::Tv(U(type), value); }
DataAttribute Ipsec(IpsecAttr type, uint16_t value) { return DataAttribute::Tv(U(type), value); }

Transform Phase1(uint8_t number, Phase1Encr encr, uint16_t key_bits, Phase1Hash hash,
                 uint16_t auth, Group group, uint64_t lifetime_s) {
  Transform t{number, kKeyIke, {P1(Phase1Attr::kEncryptionAlgorithm, U(encr))}};
  if (key_bits != 0) t.attributes.push_back(P1(Phase1Attr::kKeyLength, key_bits));
  t.attributes.push_back(P1(Phase1Attr::kHashAlgorithm, U(hash)));
  t.attributes.push_back(P1(Phase1Attr::kAuthenticationMethod, auth));
  t.attributes.push_back(P1(Phase1Attr::kGroupDescription, U(group)));
  t.attributes.push_back(P1(Phase1Attr::kLifeType, U(LifeType::kSeconds)));
  t.attributes.push_back(DataAttribute::Integer(U(Phase1Attr::kLifeDuration), lifetime_s));
  return t;
}

Bytes Ip(std::initializer_list<uint8_t> b) { return Bytes(b); }

// DER of the distinguished name "CN=<cn>" (cn shorter than 100 octets).
Bytes DnCn(std::string_view cn) {
  uint8_t n = static_cast<uint8_t>(cn.size());
  Bytes b = {0x30, static_cast<uint8_t>(n + 11), 0x31, static_cast<uint8_t>(n + 9), 0x30,
             static_cast<uint8_t>(n + 7), 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, n};
  for (char ch : cn) b.push_back(static_cast<uint8_t>(ch));
  return b;
}

Header MakeHeader(ExchangeType type, uint64_t ri, uint32_t mid) {
  Header h;
  h.initiator_cookie = 0x1122334455667788ull;
  h.responder_cookie = ri;
  h.exchange_type = type;
  h.message_id = mid;
  return h;
}

// A self-signed X.509 certificate (EC P-256, CN=moon.example.org), DER.
const char kCertHex[] =
    "3082018c30820131a003020102021471f7b9d4d0afdce3d151d6700bb669284729a49e300a06082a8648ce3d04030230"
    "1b3119301706035504030c106d6f6f6e2e6578616d706c652e6f7267301e170d3236313133303039323833385a170d33"
    "36313132373039323833385a301b3119301706035504030c106d6f6f6e2e6578616d706c652e6f72673059301306072a"
    "8648ce3d020106082a8648ce3d0301070342000404c9c57ffb27bbb1d3534dce59a63b4a534add149227198659163a5d"
    "023320fc110a278d79615a857fc14fb12832b5b5bd34ee81858d11de8e5b182d9b9a8e2da3533051301d0603551d0e04"
    "1604149bdb891075248092012adc911abc701efb2705cb301f0603551d230418301680149bdb891075248092012adc91"
    "1abc701efb2705cb300f0603551d130101ff040530030101ff300a06082a8648ce3d0403020349003046022100e8d33a"
    "92a1209a38dc90240197153c1627aae96818fb01adac14649fc2b3c2a2022100a0ca107589e8d34a90b64eb759497aed"
    "d7fd6187bc2db0ef02d725972fa49955";

std::vector<Payload> StandardVids() {
  return {
      VendorIdPayload{HexOrDie("4a131c81070358455c5728f20e95452f")},  // RFC 3947
      VendorIdPayload{HexOrDie("cd60464335df21f87cfdb2fc68b6a448")},  // draft-ietf-ipsec-nat-t-ike-02
      VendorIdPayload{HexOrDie("afcad71368a1f1c96b8696fc77570100")},  // DPD (RFC 3706)
      VendorIdPayload{HexOrDie("09002689dfd6b712")},                  // XAuth
  };
}

}  // namespace

Bytes Fill(size_t n, uint8_t seed) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(seed + i * 7);
  return b;
}

Message MainModeMessage1() {
  Message m;
  m.header = MakeHeader(ExchangeType::kIdentityProtection, 0, 0);
  Proposal p{1, ProtocolId::kIsakmp, {}, {}};
  p.transforms = {
      Phase1(1, Phase1Encr::kAesCbc, 256, Phase1Hash::kSha2_256, U(Phase1Auth::kRsaSignature),
             Group::kModp2048, 86400),
      Phase1(2, Phase1Encr::kAesCbc, 256, Phase1Hash::kSha2_256, U(Phase1Auth::kPreSharedKey),
             Group::kModp2048, 28800),
      Phase1(3, Phase1Encr::kAesCbc, 128, Phase1Hash::kSha1, U(Phase1Auth::kPreSharedKey),
             Group::kModp1024, 28800),
      Phase1(4, Phase1Encr::k3DesCbc, 0, Phase1Hash::kSha1, U(Phase1Auth::kPreSharedKey),
             Group::kModp1024, 86400),
      Phase1(5, Phase1Encr::kAesCbc, 256, Phase1Hash::kSha2_256,
             U(Phase1Auth::kXauthInitPreShared), Group::kModp2048, 28800),
  };
  m.payloads.push_back(SaPayload{kDoiIpsec, kSitIdentityOnly, {p}});
  for (Payload& v : StandardVids()) m.payloads.push_back(std::move(v));
  return m;
}

Message MainModeMessage3() {
  Message m;
  m.header = MakeHeader(ExchangeType::kIdentityProtection, 0x99aabbccddeeff00ull, 0);
  m.payloads = {
      KePayload{Fill(256, 3)},
      NoncePayload{Fill(32, 4)},
      CertReqPayload{CertEncoding::kX509Signature, DnCn("Example Root CA")},
      NatDPayload{Fill(32, 6), false},
      NatDPayload{Fill(32, 7), false},
  };
  return m;
}

Message AggressiveMessage1() {
  Message m;
  m.header = MakeHeader(ExchangeType::kAggressive, 0, 0);
  Proposal p{1, ProtocolId::kIsakmp, {}, {}};
  p.transforms = {Phase1(1, Phase1Encr::kAesCbc, 256, Phase1Hash::kSha2_256,
                         U(Phase1Auth::kPreSharedKey), Group::kModp2048, 3600)};
  m.payloads = {
      SaPayload{kDoiIpsec, kSitIdentityOnly, {p}},
      KePayload{Fill(256, 9)},
      NoncePayload{Fill(20, 10)},
      IdPayload{IdType::kFqdn, 17, 500, Bytes{'c', 'l', 'i', 'e', 'n', 't', '.', 'e', 'x', 'a',
                                              'm', 'p', 'l', 'e', '.', 'o', 'r', 'g'}},
  };
  for (Payload& v : StandardVids()) m.payloads.push_back(std::move(v));
  return m;
}

Message QuickModeMessage1() {
  Message m;
  m.header = MakeHeader(ExchangeType::kQuick, 0x99aabbccddeeff00ull, 0x5a5a0001);
  Transform aes{1, static_cast<uint8_t>(EspTransform::kAesCbc),
                {Ipsec(IpsecAttr::kSaLifeType, U(LifeType::kSeconds)),
                 Ipsec(IpsecAttr::kSaLifeDuration, 3600),
                 Ipsec(IpsecAttr::kSaLifeType, U(LifeType::kKilobytes)),
                 DataAttribute::Integer(U(IpsecAttr::kSaLifeDuration), 4608000),
                 Ipsec(IpsecAttr::kGroupDescription, U(Group::kModp2048)),
                 Ipsec(IpsecAttr::kEncapsulationMode, U(EncapsulationMode::kUdpTunnel)),
                 Ipsec(IpsecAttr::kAuthAlgorithm, U(IpsecAuthAlg::kHmacSha2_256)),
                 Ipsec(IpsecAttr::kKeyLength, 256)}};
  Transform gcm{1, static_cast<uint8_t>(EspTransform::kAesGcm16),
                {Ipsec(IpsecAttr::kEncapsulationMode, U(EncapsulationMode::kTunnel)),
                 Ipsec(IpsecAttr::kGroupDescription, U(Group::kModp2048)),
                 Ipsec(IpsecAttr::kKeyLength, 256)}};
  Transform des{1, static_cast<uint8_t>(EspTransform::k3Des),
                {Ipsec(IpsecAttr::kEncapsulationMode, U(EncapsulationMode::kUdpTunnelDraft)),
                 Ipsec(IpsecAttr::kGroupDescription, U(Group::kModp2048)),
                 Ipsec(IpsecAttr::kAuthAlgorithm, U(IpsecAuthAlg::kHmacSha1))}};
  SaPayload sa{kDoiIpsec, kSitIdentityOnly,
               {Proposal{1, ProtocolId::kEsp, HexOrDie("c1a2b3c4"), {aes}},
                Proposal{2, ProtocolId::kEsp, HexOrDie("c1a2b3c4"), {gcm}},
                Proposal{3, ProtocolId::kEsp, HexOrDie("c1a2b3c4"), {des}}}};
  m.payloads = {
      HashPayload{Fill(32, 11)},
      sa,
      NoncePayload{Fill(32, 12)},
      KePayload{Fill(256, 13)},
      IdPayload{IdType::kIpv4AddrSubnet, 0, 0, Ip({10, 1, 0, 0, 255, 255, 0, 0})},
      IdPayload{IdType::kIpv4AddrSubnet, 0, 0, Ip({10, 2, 0, 0, 255, 255, 0, 0})},
      NatOaPayload{IdType::kIpv4Addr, Ip({192, 168, 1, 10}), false},
      NatOaPayload{IdType::kIpv4Addr, Ip({198, 51, 100, 7}), false},
  };
  return m;
}

Message QuickModeEncrypted() {
  Message m;
  m.header = MakeHeader(ExchangeType::kQuick, 0x99aabbccddeeff00ull, 0x5a5a0001);
  m.header.encrypted = true;
  m.encrypted = EncryptedBody{static_cast<uint8_t>(PayloadType::kHash), Fill(448, 14)};
  return m;
}

Message ModeConfigReply() {
  Message m;
  m.header = MakeHeader(ExchangeType::kTransaction, 0x99aabbccddeeff00ull, 0x0badcafe);
  AttributePayload attr{CfgType::kReply, 0x1234, {}};
  auto add = [&attr](CfgAttr type, Bytes value) {
    attr.attributes.push_back(DataAttribute::Tlv(U(type), std::move(value)));
  };
  add(CfgAttr::kInternalIp4Address, Ip({10, 3, 0, 1}));
  add(CfgAttr::kInternalIp4Netmask, Ip({255, 255, 255, 255}));
  add(CfgAttr::kInternalIp4Dns, Ip({10, 3, 255, 53}));
  add(CfgAttr::kInternalIp4Dns, Ip({10, 3, 255, 54}));
  add(CfgAttr::kInternalIp4Nbns, Ip({10, 3, 255, 137}));
  add(CfgAttr::kInternalIp4Subnet, Ip({10, 4, 0, 0, 255, 255, 0, 0}));
  add(CfgAttr::kInternalIp6Address, HexOrDie("20010db8000000000000000000000001" "40"));
  m.payloads = {HashPayload{Fill(20, 15)}, attr};
  return m;
}

Message XauthRequest() {
  Message m;
  m.header = MakeHeader(ExchangeType::kTransaction, 0x99aabbccddeeff00ull, 0x0badbeef);
  AttributePayload attr{CfgType::kRequest, 0x0042,
                        {DataAttribute::Tv(U(CfgAttr::kXauthType), 0),
                         DataAttribute::Tlv(U(CfgAttr::kXauthUserName), {}),
                         DataAttribute::Tlv(U(CfgAttr::kXauthUserPassword), {}),
                         DataAttribute::Tlv(U(CfgAttr::kXauthMessage),
                                            Bytes{'L', 'o', 'g', 'i', 'n'})}};
  m.payloads = {HashPayload{Fill(20, 16)}, attr};
  return m;
}

Message InformationalMessage() {
  Message m;
  m.header = MakeHeader(ExchangeType::kInformational, 0x99aabbccddeeff00ull, 0x77665544);
  Bytes cookies = HexOrDie("112233445566778899aabbccddeeff00");
  m.payloads = {
      HashPayload{Fill(32, 17)},
      NotifyPayload{kDoiIpsec, ProtocolId::kIsakmp, NotifyType::kInitialContact, cookies, {}},
      DeletePayload{kDoiIpsec, ProtocolId::kEsp, 4, {HexOrDie("c1a2b3c4"), HexOrDie("d1d2d3d4")}},
      DeletePayload{kDoiIpsec, ProtocolId::kIsakmp, 16, {cookies}},
      NotifyPayload{kDoiIpsec, ProtocolId::kIsakmp, NotifyType::kDpdRUThere, cookies,
                    HexOrDie("0000002a")},
      IdPayload{IdType::kIpv4Addr, 17, 500, Ip({192, 0, 2, 1})},
      IdPayload{IdType::kIpv6Addr, 0, 0, HexOrDie("20010db8000000000000000000000002")},
      IdPayload{IdType::kIpv6AddrSubnet, 0, 0,
                HexOrDie("20010db8000100000000000000000000" "ffffffffffffffff0000000000000000")},
      IdPayload{IdType::kIpv4AddrRange, 6, 80, Ip({10, 0, 0, 1, 10, 0, 0, 99})},
      IdPayload::UserFqdn("alice@example.org"),
      IdPayload::Make(IdType::kKeyId, Fill(8, 18)),
      IdPayload::Make(IdType::kDerAsn1Dn, DnCn("moon.example.org")),
      CertPayload{CertEncoding::kX509Signature, HexOrDie(kCertHex)},
      SigPayload{Fill(256, 21)},
      NatDPayload{Fill(20, 22), true},
      NatOaPayload{IdType::kIpv6Addr, HexOrDie("20010db8000000000000000000000003"), true},
  };
  return m;
}

std::vector<NamedMessage> AllSamples() {
  return {
      {"main_mode_1", MainModeMessage1()},     {"main_mode_3", MainModeMessage3()},
      {"aggressive_1", AggressiveMessage1()},  {"quick_mode_1", QuickModeMessage1()},
      {"quick_mode_encrypted", QuickModeEncrypted()}, {"mode_config_reply", ModeConfigReply()},
      {"xauth_request", XauthRequest()},       {"informational", InformationalMessage()},
  };
}

}  // namespace ike::v1::testing
