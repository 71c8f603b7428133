// The RADIUS codec: RFC 2865 section 7 packets byte for byte, round trips,
// EAP-Message splitting, Message-Authenticator, accounting authenticators,
// MS-MPPE keys, and a malformed-input table.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <cctype>
#include <string>

#include "libike/common/bytes.h"
#include "libike/eap/radius.h"

namespace ike::radius {
namespace {

ByteView Str(std::string_view s) { return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size()); }

Authenticator Auth(std::string_view hex) {
  Bytes b = HexOrDie(hex);
  Authenticator a{};
  std::copy(b.begin(), b.end(), a.begin());
  return a;
}

// RFC 2865 7.1: "nemo" / "arctangent" telnets to 192.168.1.3; secret "xyzzy5461".
constexpr std::string_view kSecret71 = "xyzzy5461";
constexpr std::string_view kRequest71 =
    "010000380f403f9473978057bd83d5cb98f4227a"
    "01066e656d6f"
    "02120dbe708d93d413ce3196e43f782a0aee"
    "0406c0a80110"
    "050600000003";
constexpr std::string_view kAccept71 =
    "0200002686fe220e7624ba2a1005f6bf9b55e0b2"
    "060600000001"
    "0f0600000000"
    "0e06c0a80103";

TEST(RadiusRfc2865, AccessRequestDecodesAndEncodesExactly) {
  Bytes raw = HexOrDie(kRequest71);
  auto p = Decode(raw);
  ASSERT_TRUE(p) << ToString(p.error());
  EXPECT_EQ(p->code, Code::kAccessRequest);
  EXPECT_EQ(p->id, 0);
  ASSERT_EQ(p->attributes.size(), 4u);
  EXPECT_EQ(*p->Find(Attr::kUserName), Bytes(Str("nemo").begin(), Str("nemo").end()));
  EXPECT_EQ(*p->FindU32(Attr::kNasPort), 3u);
  EXPECT_EQ(*p->Find(Attr::kNasIpAddress), HexOrDie("c0a80110"));
  auto again = Encode(*p);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, raw);
}

TEST(RadiusRfc2865, UserPasswordHiding) {
  auto hidden = HideUserPassword(Str("arctangent"), Auth("0f403f9473978057bd83d5cb98f4227a"), Str(kSecret71));
  ASSERT_TRUE(hidden);
  EXPECT_EQ(ToHex(*hidden), "0dbe708d93d413ce3196e43f782a0aee");
}

TEST(RadiusRfc2865, AccessAcceptResponseAuthenticator) {
  Bytes raw = HexOrDie(kAccept71);
  auto p = Decode(raw);
  ASSERT_TRUE(p) << ToString(p.error());
  EXPECT_EQ(p->code, Code::kAccessAccept);
  Authenticator request = Auth("0f403f9473978057bd83d5cb98f4227a");
  EXPECT_TRUE(VerifyResponse(raw, *p, request, Str(kSecret71)));
  // The same reply under another secret or for another request is rejected.
  auto wrong = VerifyResponse(raw, *p, request, Str("xyzzy5462"));
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, ErrorCode::kBadAuthenticator);
  request[0] ^= 1;
  EXPECT_FALSE(VerifyResponse(raw, *p, request, Str(kSecret71)));
  // Rebuilding it as a server gives the RFC's bytes.
  Packet rebuilt = *p;
  auto enc = EncodeResponse(rebuilt, Auth("0f403f9473978057bd83d5cb98f4227a"), Str(kSecret71), false);
  ASSERT_TRUE(enc);
  EXPECT_EQ(ToHex(*enc), ToHex(raw));
}

TEST(RadiusAccessRequest, MessageAuthenticatorVerifies) {
  Packet p;
  p.id = 7;
  p.authenticator = Auth("00112233445566778899aabbccddeeff");
  p.AddString(Attr::kUserName, "carol");
  AddEapMessage(p, HexOrDie("0201000a01636172 6f6c"));
  auto raw = EncodeAccessRequest(p, Str("s3cret"));
  ASSERT_TRUE(raw);
  auto d = Decode(*raw);
  ASSERT_TRUE(d);
  EXPECT_EQ(*d, p);
  EXPECT_EQ(d->Count(Attr::kMessageAuthenticator), 1u);
  EXPECT_TRUE(VerifyRequest(*raw, *d, Str("s3cret")));
  auto bad = VerifyRequest(*raw, *d, Str("s3cres"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kBadMessageAuthenticator);
  // Encoding twice refills the one Message-Authenticator.
  auto raw2 = EncodeAccessRequest(p, Str("s3cret"));
  ASSERT_TRUE(raw2);
  EXPECT_EQ(*raw2, *raw);
}

TEST(RadiusResponse, MessageAuthenticatorRequiredWithEap) {
  Authenticator req = Auth("0102030405060708090a0b0c0d0e0f10");
  Packet challenge;
  challenge.code = Code::kAccessChallenge;
  challenge.id = 9;
  AddEapMessage(challenge, HexOrDie("010200060d20"));
  challenge.Add(Attr::kState, HexOrDie("aabbcc"));
  auto raw = EncodeResponse(challenge, req, Str("k"), false);
  ASSERT_TRUE(raw);
  auto d = Decode(*raw);
  ASSERT_TRUE(d);
  EXPECT_TRUE(VerifyResponse(*raw, *d, req, Str("k")));
  // Strip the Message-Authenticator and re-sign: still rejected (RFC 3579 3.2).
  Packet stripped = *d;
  std::erase_if(stripped.attributes,
                [](const Attribute& a) { return a.type == static_cast<uint8_t>(Attr::kMessageAuthenticator); });
  Bytes enc = *Encode(stripped);
  Packet resigned = stripped;
  // A server that forgot it: compute only the Response Authenticator.
  auto raw2 = EncodeResponse(resigned, req, Str("k"), false);
  ASSERT_TRUE(raw2);  // EncodeResponse adds it back when EAP is present
  EXPECT_EQ(Decode(*raw2)->Count(Attr::kMessageAuthenticator), 1u);
  (void)enc;
  // Tampering with the Message-Authenticator only (Response Authenticator recomputed).
  Bytes tampered = *raw;
  size_t pos = kHeaderSize;
  while (tampered[pos] != static_cast<uint8_t>(Attr::kMessageAuthenticator)) pos += tampered[pos + 1];
  tampered[pos + 2] ^= 0x40;
  auto td = Decode(tampered);
  ASSERT_TRUE(td);
  auto r = VerifyResponse(tampered, *td, req, Str("k"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kBadAuthenticator);  // the outer check sees it first
}

TEST(RadiusResponse, MissingMessageAuthenticatorRejected) {
  Authenticator req = Auth("0102030405060708090a0b0c0d0e0f10");
  Packet reject;
  reject.code = Code::kAccessReject;
  reject.id = 1;
  reject.Add(Attr::kEapMessage, HexOrDie("04010004"));
  reject.authenticator = req;
  // A server that signs the Response Authenticator but omits the
  // Message-Authenticator: MD5(Code+Id+Length+RequestAuth+Attributes+Secret).
  Bytes raw = *Encode(reject);
  Bytes input = raw;
  input.push_back('k');
  unsigned int len = 0;
  ASSERT_EQ(EVP_Digest(input.data(), input.size(), raw.data() + 4, &len, EVP_md5(), nullptr), 1);
  auto d = Decode(raw);
  ASSERT_TRUE(d);
  auto r = VerifyResponse(raw, *d, req, Str("k"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kMissingMessageAuthenticator);
  // Without EAP-Message it is only required on request.
  Packet plain;
  plain.code = Code::kAccessReject;
  plain.authenticator = req;
  Bytes raw2 = *Encode(plain);
  Bytes input2 = raw2;
  input2.push_back('k');
  ASSERT_EQ(EVP_Digest(input2.data(), input2.size(), raw2.data() + 4, &len, EVP_md5(), nullptr), 1);
  auto d2 = Decode(raw2);
  EXPECT_TRUE(VerifyResponse(raw2, *d2, req, Str("k")));
  EXPECT_FALSE(VerifyResponse(raw2, *d2, req, Str("k"), true));
}

TEST(RadiusAccounting, RequestAuthenticator) {
  Packet p;
  p.id = 3;
  p.AddU32(Attr::kAcctStatusType, static_cast<uint32_t>(AcctStatus::kStart));
  p.AddString(Attr::kAcctSessionId, "00000001");
  p.AddString(Attr::kUserName, "carol");
  auto raw = EncodeAccountingRequest(p, Str("acct"));
  ASSERT_TRUE(raw);
  auto d = Decode(*raw);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->code, Code::kAccountingRequest);
  EXPECT_TRUE(VerifyRequest(*raw, *d, Str("acct")));
  EXPECT_FALSE(VerifyRequest(*raw, *d, Str("acct2")));
  // The response is checked against the request's authenticator.
  Packet resp;
  resp.code = Code::kAccountingResponse;
  resp.id = 3;
  auto rr = EncodeResponse(resp, p.authenticator, Str("acct"), false);
  ASSERT_TRUE(rr);
  EXPECT_TRUE(VerifyResponse(*rr, *Decode(*rr), p.authenticator, Str("acct")));
}

TEST(RadiusEapMessage, SplitAndJoin) {
  for (size_t n : {4u, 252u, 253u, 254u, 506u, 1000u, 1400u}) {
    Bytes eap(n, 0x5a);
    eap[0] = 1;
    eap[2] = static_cast<uint8_t>(n >> 8);
    eap[3] = static_cast<uint8_t>(n);
    Packet p;
    p.AddString(Attr::kUserName, "u");
    AddEapMessage(p, eap);
    EXPECT_EQ(p.Count(Attr::kEapMessage), (n + 252) / 253) << n;
    auto raw = EncodeAccessRequest(p, Str("x"));
    ASSERT_TRUE(raw);
    auto d = Decode(*raw);
    ASSERT_TRUE(d);
    auto joined = JoinEapMessage(*d);
    ASSERT_TRUE(joined) << ToString(joined.error());
    EXPECT_EQ(*joined, eap);
  }
}

TEST(RadiusEapMessage, InconsistentLengthRejected) {
  Packet p;
  p.Add(Attr::kEapMessage, HexOrDie("0201000801"));  // says 8, has 5
  EXPECT_FALSE(JoinEapMessage(p));
  Packet q;
  q.Add(Attr::kEapMessage, HexOrDie("0201"));
  EXPECT_FALSE(JoinEapMessage(q));
  Packet none;
  auto empty = JoinEapMessage(none);
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
}

TEST(RadiusMppe, EncryptDecryptRoundTripAndMsk) {
  Authenticator req = Auth("a1a2a3a4a5a6a7a8a9aaabacadaeaf00");
  Bytes send_key(32), recv_key(32);
  for (size_t i = 0; i < 32; ++i) {
    send_key[i] = static_cast<uint8_t>(i);
    recv_key[i] = static_cast<uint8_t>(0x80 + i);
  }
  auto enc_send = EncryptMppeKey(send_key, 0x1234, req, Str("testing123"));
  auto enc_recv = EncryptMppeKey(recv_key, 0x0042, req, Str("testing123"));
  ASSERT_TRUE(enc_send && enc_recv);
  EXPECT_EQ(enc_send->size(), 2u + 48u);
  EXPECT_EQ((*enc_recv)[0] & 0x80, 0x80);
  auto dec = DecryptMppeKey(*enc_send, req, Str("testing123"));
  ASSERT_TRUE(dec);
  EXPECT_EQ(Bytes(dec->view().begin(), dec->view().end()), send_key);

  Packet accept;
  accept.code = Code::kAccessAccept;
  auto vsa = EncodeVendorSpecific({{kVendorMicrosoft, kMsMppeRecvKey, *enc_recv}, {kVendorMicrosoft, kMsMppeSendKey, *enc_send}});
  ASSERT_TRUE(vsa);
  accept.Add(Attr::kVendorSpecific, *vsa);
  auto msk = ExtractMsk(accept, req, Str("testing123"));
  ASSERT_TRUE(msk);
  Bytes expected = recv_key;
  expected.insert(expected.end(), send_key.begin(), send_key.end());
  EXPECT_EQ(Bytes(msk->view().begin(), msk->view().end()), expected);
  // A wrong secret gives a different key (or a bad length), never the MSK.
  auto wrong = ExtractMsk(accept, req, Str("testing124"));
  if (wrong) {
    EXPECT_FALSE(ConstantTimeEqual(wrong->view(), expected));
  }
}

TEST(RadiusMppe, MalformedKeys) {
  Authenticator req{};
  EXPECT_FALSE(DecryptMppeKey(HexOrDie("8000"), req, Str("s")));               // no String
  EXPECT_FALSE(DecryptMppeKey(Bytes(2 + 15, 0x80), req, Str("s")));          // not a multiple of 16
  Bytes no_high_bit(2 + 16, 0);
  EXPECT_FALSE(DecryptMppeKey(no_high_bit, req, Str("s")));                  // salt without its high bit
  Packet one_key;
  auto vsa = EncodeVendorSpecific({{kVendorMicrosoft, kMsMppeSendKey, *EncryptMppeKey(Bytes(32, 1), 1, req, Str("s"))}});
  one_key.Add(Attr::kVendorSpecific, *vsa);
  EXPECT_FALSE(ExtractMsk(one_key, req, Str("s")));
  Packet none;
  none.Add(Attr::kVendorSpecific, HexOrDie("0000000901057878 78"));  // Cisco, unrelated
  auto empty = ExtractMsk(none, req, Str("s"));
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
}

TEST(RadiusVendorSpecific, RoundTrip) {
  std::vector<VendorAttribute> in = {{311, 16, HexOrDie("0102")}, {311, 17, {}}};
  auto enc = EncodeVendorSpecific(in);
  ASSERT_TRUE(enc);
  EXPECT_EQ(ToHex(*enc), "00000137" "10" "04" "0102" "11" "02");
  auto dec = DecodeVendorSpecific(*enc);
  ASSERT_TRUE(dec);
  EXPECT_EQ(*dec, in);
  EXPECT_FALSE(DecodeVendorSpecific(HexOrDie("000001")));
  EXPECT_FALSE(DecodeVendorSpecific(HexOrDie("00000137")));
  EXPECT_FALSE(DecodeVendorSpecific(HexOrDie("000001371001")));
  EXPECT_FALSE(DecodeVendorSpecific(HexOrDie("00000137100501")));
}

TEST(RadiusFramedIp, Parsed) {
  Packet p;
  p.AddAddress(Attr::kFramedIpAddress, *IpAddress::Parse("10.3.0.7"));
  auto ip = FramedIp(p);
  ASSERT_TRUE(ip && *ip);
  EXPECT_EQ((*ip)->ToString(), "10.3.0.7");
  Packet bad;
  bad.Add(Attr::kFramedIpAddress, HexOrDie("0a0300"));
  EXPECT_FALSE(FramedIp(bad));
}

TEST(RadiusEncode, Limits) {
  Packet p;
  p.Add(Attr::kClass, Bytes(254, 1));
  auto r = Encode(p);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kTooLarge);
  Packet big;
  for (int i = 0; i < 17; ++i) big.Add(Attr::kClass, Bytes(253, 1));
  auto r2 = Encode(big);
  ASSERT_FALSE(r2);
  EXPECT_EQ(r2.error().code, ErrorCode::kTooLarge);
  Packet fits;
  for (int i = 0; i < 15; ++i) fits.Add(Attr::kClass, Bytes(253, 1));
  fits.Add(Attr::kClass, Bytes(4096 - 20 - 15 * 255 - 2, 1));
  auto r3 = Encode(fits);
  ASSERT_TRUE(r3);
  EXPECT_EQ(r3->size(), kMaxPacketSize);
}

TEST(RadiusDecode, TrailingPaddingIgnored) {
  Bytes raw = HexOrDie(kAccept71);
  raw.push_back(0);
  raw.push_back(0xff);
  auto p = Decode(raw);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->attributes.size(), 3u);
  EXPECT_TRUE(VerifyResponse(raw, *p, Auth("0f403f9473978057bd83d5cb98f4227a"), Str(kSecret71)));
}

struct Malformed {
  const char* name;
  const char* hex;
  ErrorCode code;
};

class RadiusMalformed : public ::testing::TestWithParam<Malformed> {};

TEST_P(RadiusMalformed, Rejected) {
  Bytes raw = HexOrDie(GetParam().hex);
  auto p = Decode(raw);
  ASSERT_FALSE(p) << GetParam().name;
  EXPECT_EQ(p.error().code, GetParam().code) << GetParam().name << ": " << ToString(p.error());
}

constexpr char kAuth0[] = "00000000000000000000000000000000";
#define RADIUS_HDR(code, len) code "00" len "00000000000000000000000000000000"

std::string CaseName(const ::testing::TestParamInfo<Malformed>& info) {
  std::string out;
  for (const char* c = info.param.name; *c; ++c) out += std::isalnum(static_cast<unsigned char>(*c)) ? *c : '_';
  return out;
}

INSTANTIATE_TEST_SUITE_P(
    Table, RadiusMalformed,
    ::testing::Values(
        Malformed{"empty", "", ErrorCode::kTruncated},
        Malformed{"three octets", "020000", ErrorCode::kTruncated},
        Malformed{"length below header", RADIUS_HDR("02", "0013"), ErrorCode::kBadLength},
        Malformed{"length above 4096", RADIUS_HDR("02", "1001"), ErrorCode::kBadLength},
        Malformed{"length past datagram", RADIUS_HDR("02", "0015"), ErrorCode::kTruncated},
        Malformed{"header cut", "0200001400000000", ErrorCode::kTruncated},
        Malformed{"unknown code 0", RADIUS_HDR("00", "0014"), ErrorCode::kUnknownCode},
        Malformed{"unknown code 6", RADIUS_HDR("06", "0014"), ErrorCode::kUnknownCode},
        Malformed{"CoA not spoken", RADIUS_HDR("2b", "0014"), ErrorCode::kUnknownCode},
        Malformed{"attribute length 0", RADIUS_HDR("02", "0016") "0100", ErrorCode::kBadLength},
        Malformed{"attribute length 1", RADIUS_HDR("02", "0016") "0101", ErrorCode::kBadLength},
        Malformed{"attribute past end", RADIUS_HDR("02", "0017") "010561", ErrorCode::kBadLength},
        Malformed{"lone type octet", RADIUS_HDR("02", "0015") "01", ErrorCode::kBadLength},
        Malformed{"attribute past Length (padding follows)", RADIUS_HDR("02", "0016") "0104" "6161",
                  ErrorCode::kBadLength},
        Malformed{"Message-Authenticator of 15", RADIUS_HDR("02", "0025") "5011" "000000000000000000000000000000",
                  ErrorCode::kBadMessageAuthenticator},
        Malformed{"two Message-Authenticators",
                  RADIUS_HDR("02", "0038") "5012" "00000000000000000000000000000000" "5012"
                                           "00000000000000000000000000000000",
                  ErrorCode::kBadMessageAuthenticator}), CaseName);

TEST(RadiusDecode, EveryTruncationOfAValidPacketFails) {
  Bytes raw = HexOrDie(kRequest71);
  for (size_t n = 0; n < raw.size(); ++n) {
    auto p = Decode(ByteView(raw).first(n));
    EXPECT_FALSE(p) << n;
  }
  // Shrinking only the Length field: every cut inside an attribute is an error.
  for (size_t len = kHeaderSize; len < raw.size(); ++len) {
    Bytes copy = raw;
    copy[2] = static_cast<uint8_t>(len >> 8);
    copy[3] = static_cast<uint8_t>(len);
    auto p = Decode(copy);
    bool boundary = len == 20 || len == 26 || len == 44 || len == 50;
    EXPECT_EQ(p.has_value(), boundary) << len;
  }
  (void)kAuth0;
}

}  // namespace
}  // namespace ike::radius
