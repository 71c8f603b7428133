// ESP encapsulation/decapsulation (RFC 4303) for every supported transform,
// checked against an independent one-shot OpenSSL construction of the
// RFC 4106 / RFC 7634 nonce and AAD and the RFC 4868 truncated HMAC, plus the
// malformed-packet drops with their per-reason counters.
#include "xfrm/esp/esp_sa.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstring>
#include <string>
#include <vector>

#include "xfrm/esp/ip_packet.h"

namespace ike::esp {
namespace {

struct Case {
  const char* name;
  TransformSpec spec;
  size_t enc_key_len;
  size_t integ_key_len;
};

const Case kCases[] = {
    {"AesGcm16_128", {EncrId::kAesGcm16, 128, IntegId::kNone}, 20, 0},
    {"AesGcm16_256", {EncrId::kAesGcm16, 256, IntegId::kNone}, 36, 0},
    {"AesGcm12_128", {EncrId::kAesGcm12, 128, IntegId::kNone}, 20, 0},
    {"AesGcm8_192", {EncrId::kAesGcm8, 192, IntegId::kNone}, 28, 0},
    {"ChaCha20Poly1305", {EncrId::kChaCha20Poly1305, 256, IntegId::kNone}, 36, 0},
    {"AesCbc128_Sha1", {EncrId::kAesCbc, 128, IntegId::kHmacSha1_96}, 16, 20},
    {"AesCbc128_Sha256", {EncrId::kAesCbc, 128, IntegId::kHmacSha2_256_128}, 16, 32},
    {"AesCbc192_Sha384", {EncrId::kAesCbc, 192, IntegId::kHmacSha2_384_192}, 24, 48},
    {"AesCbc256_Sha512", {EncrId::kAesCbc, 256, IntegId::kHmacSha2_512_256}, 32, 64},
};

Bytes Pattern(size_t n, uint8_t seed) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(seed + i * 7);
  return b;
}

// An IPv4 or IPv6 packet with a UDP-ish payload.
Bytes InnerPacket(bool v6, size_t payload_len) {
  Bytes pkt(64 + payload_len);
  auto src = v6 ? *IpAddress::Parse("2001:db8:1::1") : *IpAddress::Parse("192.0.2.1");
  auto dst = v6 ? *IpAddress::Parse("2001:db8:2::1") : *IpAddress::Parse("203.0.113.1");
  size_t h = WriteIpHeader(pkt.data(), src, dst, kProtoUdp, payload_len);
  Bytes p = Pattern(payload_len, 3);
  std::memcpy(pkt.data() + h, p.data(), p.size());
  pkt.resize(h + payload_len);
  return pkt;
}

struct Pair {
  Bytes enc_key, integ_key;
  std::unique_ptr<EspOutboundSa> out;
  std::unique_ptr<EspInboundSa> in;
};

Pair MakePair(const Case& c, bool esn, EspMode mode, uint32_t window = 64, uint64_t initial_seq = 0) {
  Pair p;
  p.enc_key = Pattern(c.enc_key_len, 0x11);
  p.integ_key = Pattern(c.integ_key_len, 0x55);
  EspSaConfig cfg;
  cfg.spi = 0xc0ffee01;
  cfg.mode = mode;
  cfg.transform = c.spec;
  cfg.enc_key = p.enc_key;
  cfg.integ_key = p.integ_key;
  cfg.esn = esn;
  cfg.replay_window = window;
  cfg.initial_seq = initial_seq;
  auto out = EspOutboundSa::Create(cfg);
  auto in = EspInboundSa::Create(cfg);
  EXPECT_TRUE(out.has_value()) << (out ? "" : out.error());
  EXPECT_TRUE(in.has_value()) << (in ? "" : in.error());
  p.out = std::move(*out);
  p.in = std::move(*in);
  return p;
}

// Encapsulates `payload` into a fresh buffer; returns the ESP packet bytes.
Bytes Encap(EspOutboundSa& sa, ByteView payload, uint8_t nh) {
  Bytes buf(kMaxEspHeadroom + payload.size() + kMaxEspTailroom);
  std::memcpy(buf.data() + kMaxEspHeadroom, payload.data(), payload.size());
  auto r = sa.Encapsulate(buf, kMaxEspHeadroom, payload.size(), nh);
  EXPECT_TRUE(r.has_value());
  if (!r) return {};
  return Bytes(r->begin(), r->end());
}

// The reference: decrypt with one-shot OpenSSL calls built from the RFCs.
Bytes ReferenceOpen(const Case& c, const Pair& p, ByteView esp, bool esn, uint32_t seq_hi) {
  const bool aead = c.spec.integ == IntegId::kNone;
  const size_t iv_len = aead ? 8 : 16;
  size_t icv_len = 16;
  if (c.spec.encr == EncrId::kAesGcm8) icv_len = 8;
  if (c.spec.encr == EncrId::kAesGcm12) icv_len = 12;
  if (c.spec.integ == IntegId::kHmacSha1_96) icv_len = 12;
  if (c.spec.integ == IntegId::kHmacSha2_384_192) icv_len = 24;
  if (c.spec.integ == IntegId::kHmacSha2_512_256) icv_len = 32;
  const size_t ct_len = esp.size() - 8 - iv_len - icv_len;
  const uint8_t* iv = esp.data() + 8;
  const uint8_t* ct = iv + iv_len;
  const uint8_t* icv = ct + ct_len;
  Bytes pt(ct_len + 16);
  int outl = 0, fin = 0;
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (aead) {
    const size_t key_len = c.spec.key_bits / 8;
    Bytes nonce(p.enc_key.begin() + key_len, p.enc_key.end());  // salt
    nonce.insert(nonce.end(), iv, iv + 8);
    Bytes aad(esp.begin(), esp.begin() + 4);
    if (esn) {
      for (int i = 3; i >= 0; --i) aad.push_back(static_cast<uint8_t>(seq_hi >> (8 * i)));
    }
    aad.insert(aad.end(), esp.begin() + 4, esp.begin() + 8);
    const EVP_CIPHER* cipher = c.spec.encr == EncrId::kChaCha20Poly1305 ? EVP_chacha20_poly1305()
                               : key_len == 16                          ? EVP_aes_128_gcm()
                               : key_len == 24                          ? EVP_aes_192_gcm()
                                                                        : EVP_aes_256_gcm();
    EXPECT_EQ(EVP_DecryptInit_ex(ctx, cipher, nullptr, p.enc_key.data(), nonce.data()), 1);
    EXPECT_EQ(EVP_DecryptUpdate(ctx, nullptr, &outl, aad.data(), static_cast<int>(aad.size())), 1);
    EXPECT_EQ(EVP_DecryptUpdate(ctx, pt.data(), &outl, ct, static_cast<int>(ct_len)), 1);
    EXPECT_EQ(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, static_cast<int>(icv_len),
                                  const_cast<uint8_t*>(icv)), 1);
    EXPECT_EQ(EVP_DecryptFinal_ex(ctx, pt.data() + outl, &fin), 1) << "reference ICV mismatch";
  } else {
    const EVP_MD* md = c.spec.integ == IntegId::kHmacSha1_96        ? EVP_sha1()
                       : c.spec.integ == IntegId::kHmacSha2_256_128 ? EVP_sha256()
                       : c.spec.integ == IntegId::kHmacSha2_384_192 ? EVP_sha384()
                                                                    : EVP_sha512();
    Bytes mac_input(esp.begin(), esp.end() - icv_len);
    if (esn) {
      for (int i = 3; i >= 0; --i) mac_input.push_back(static_cast<uint8_t>(seq_hi >> (8 * i)));
    }
    uint8_t full[64];
    unsigned full_len = 0;
    HMAC(md, p.integ_key.data(), static_cast<int>(p.integ_key.size()), mac_input.data(),
         mac_input.size(), full, &full_len);
    EXPECT_EQ(ToHex(ByteView(full, icv_len)), ToHex(ByteView(icv, icv_len)));
    const EVP_CIPHER* cipher = c.spec.key_bits == 128   ? EVP_aes_128_cbc()
                               : c.spec.key_bits == 192 ? EVP_aes_192_cbc()
                                                        : EVP_aes_256_cbc();
    EXPECT_EQ(EVP_DecryptInit_ex(ctx, cipher, nullptr, p.enc_key.data(), iv), 1);
    EVP_CIPHER_CTX_set_padding(ctx, 0);
    EXPECT_EQ(EVP_DecryptUpdate(ctx, pt.data(), &outl, ct, static_cast<int>(ct_len)), 1);
    EXPECT_EQ(EVP_DecryptFinal_ex(ctx, pt.data() + outl, &fin), 1);
  }
  EVP_CIPHER_CTX_free(ctx);
  pt.resize(static_cast<size_t>(outl + fin));
  return pt;
}

// For drop checks only: the payload view dies with the copy.
DropReason DropOf(EspInboundSa& sa, Bytes packet) {
  auto r = sa.Decapsulate(packet);
  return r ? DropReason::kCount : r.error();
}

class EspTransformTest : public ::testing::TestWithParam<std::tuple<Case, bool>> {};

TEST_P(EspTransformTest, TunnelRoundTripMatchesReference) {
  const auto& [c, esn] = GetParam();
  // ESN: start near the 2^32 boundary so that seq_hi is non-zero soon.
  const uint64_t start = esn ? 0xfffffffeull : 0;
  Pair p = MakePair(c, esn, EspMode::kTunnel, 64, start);
  for (int i = 0; i < 4; ++i) {
    const bool v6 = i % 2 == 1;
    Bytes inner = InnerPacket(v6, 1 + 97 * i);
    Bytes esp = Encap(*p.out, inner, v6 ? kProtoIpv6 : kProtoIpv4);
    ASSERT_FALSE(esp.empty());
    const uint64_t seq = start + 1 + i;
    EXPECT_EQ(PeekSpi(esp), 0xc0ffee01u);
    EXPECT_EQ(esp[7], static_cast<uint8_t>(seq));

    // Independent decryption: payload | 1,2,3.. | pad length | next header.
    Bytes pt = ReferenceOpen(c, p, esp, esn, static_cast<uint32_t>(seq >> 32));
    ASSERT_GE(pt.size(), inner.size() + 2);
    EXPECT_EQ(Bytes(pt.begin(), pt.begin() + inner.size()), inner);
    EXPECT_EQ(pt.back(), v6 ? kProtoIpv6 : kProtoIpv4);
    const uint8_t pad_len = pt[pt.size() - 2];
    EXPECT_EQ(pt.size(), inner.size() + pad_len + 2);
    for (uint8_t k = 0; k < pad_len; ++k) EXPECT_EQ(pt[inner.size() + k], k + 1);
    const size_t align = c.spec.integ == IntegId::kNone ? 4 : 16;
    EXPECT_EQ(pt.size() % align, 0u);
    EXPECT_LT(pad_len, align);

    auto r = p.in->Decapsulate(esp);
    ASSERT_TRUE(r.has_value()) << DropReasonName(r.error());
    EXPECT_EQ(Bytes(r->payload.begin(), r->payload.end()), inner);
    EXPECT_EQ(r->seq, seq);
  }
}

TEST_P(EspTransformTest, TransportRoundTrip) {
  const auto& [c, esn] = GetParam();
  Pair p = MakePair(c, esn, EspMode::kTransport);
  Bytes payload = Pattern(333, 9);
  Bytes esp = Encap(*p.out, payload, kProtoTcp);
  auto r = p.in->Decapsulate(esp);
  ASSERT_TRUE(r.has_value()) << DropReasonName(r.error());
  EXPECT_EQ(r->next_header, kProtoTcp);
  EXPECT_EQ(Bytes(r->payload.begin(), r->payload.end()), payload);
}

TEST_P(EspTransformTest, TamperedIcvDroppedWindowUnchanged) {
  const auto& [c, esn] = GetParam();
  Pair p = MakePair(c, esn, EspMode::kTunnel);
  Bytes inner = InnerPacket(false, 40);
  Bytes esp = Encap(*p.out, inner, kProtoIpv4);
  for (size_t pos : {size_t{3}, size_t{8}, esp.size() / 2, esp.size() - 1}) {
    Bytes bad = esp;
    bad[pos] ^= 0x01;
    auto r = p.in->Decapsulate(bad);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error(), pos == 3 ? DropReason::kUnknownSpi : DropReason::kBadIcv);
  }
  EXPECT_EQ(p.in->drops()[DropReason::kBadIcv], 3u);
  EXPECT_EQ(p.in->window().top(), 0u);
  // The genuine packet still passes: the forgeries did not move the window.
  EXPECT_TRUE(p.in->Decapsulate(esp).has_value());
}

std::string CaseName(const ::testing::TestParamInfo<std::tuple<Case, bool>>& info) {
  return std::string(std::get<0>(info.param).name) + (std::get<1>(info.param) ? "_Esn" : "");
}

INSTANTIATE_TEST_SUITE_P(All, EspTransformTest,
                         ::testing::Combine(::testing::ValuesIn(kCases), ::testing::Bool()),
                         CaseName);

const Case& Gcm() { return kCases[0]; }
const Case& Cbc() { return kCases[6]; }

TEST(EspMalformed, ShortPacketsDropped) {
  Pair p = MakePair(Gcm(), false, EspMode::kTunnel);
  Bytes esp = Encap(*p.out, InnerPacket(false, 20), kProtoIpv4);
  for (size_t n = 0; n < 8 + 8 + 2 + 16; ++n) {
    Bytes cut(esp.begin(), esp.begin() + n);
    auto r = p.in->Decapsulate(cut);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error(), DropReason::kShort) << n;
  }
  EXPECT_EQ(p.in->drops()[DropReason::kShort], 34u);
}

TEST(EspMalformed, TruncatedAtEveryByteNeverCrashes) {
  Pair p = MakePair(Cbc(), true, EspMode::kTunnel);
  Bytes esp = Encap(*p.out, InnerPacket(true, 100), kProtoIpv6);
  for (size_t n = 0; n < esp.size(); ++n) {
    Bytes cut(esp.begin(), esp.begin() + n);
    EXPECT_FALSE(p.in->Decapsulate(cut).has_value()) << n;
  }
  EXPECT_EQ(p.in->drops()[DropReason::kShort] + p.in->drops()[DropReason::kBadLength] +
                p.in->drops()[DropReason::kBadIcv],
            esp.size());
}

TEST(EspMalformed, CbcUnalignedCiphertext) {
  Pair p = MakePair(Cbc(), false, EspMode::kTunnel);
  Bytes esp = Encap(*p.out, InnerPacket(false, 30), kProtoIpv4);
  esp.insert(esp.end() - 16, 0x00);  // one byte more ciphertext
  EXPECT_EQ(p.in->Decapsulate(esp).error(), DropReason::kBadLength);
}

TEST(EspMalformed, ReplayedAndOutsideWindow) {
  Pair p = MakePair(Gcm(), false, EspMode::kTunnel, 32);
  std::vector<Bytes> packets;
  for (int i = 0; i < 40; ++i) packets.push_back(Encap(*p.out, InnerPacket(false, 10), kProtoIpv4));
  Bytes first = packets[0];
  ASSERT_TRUE(p.in->Decapsulate(packets[0]).has_value());
  EXPECT_EQ(p.in->Decapsulate(first).error(), DropReason::kReplayed);
  Bytes second = packets[1];
  ASSERT_TRUE(p.in->Decapsulate(packets[39]).has_value());  // seq 40
  EXPECT_EQ(p.in->Decapsulate(second).error(), DropReason::kOutsideWindow);  // seq 2
  EXPECT_TRUE(p.in->Decapsulate(packets[20]).has_value());
  EXPECT_EQ(p.in->drops()[DropReason::kReplayed], 1u);
  EXPECT_EQ(p.in->drops()[DropReason::kOutsideWindow], 1u);
}

// Builds an ESP packet with a chosen (possibly invalid) trailer, authentic
// under the SA's keys, by sealing raw bytes with a second outbound cipher.
Bytes SealRaw(const Pair& p, const Case& c, const Bytes& body_plain, uint32_t seq) {
  auto cipher = EspCipher::Create(c.spec, p.enc_key, p.integ_key, CipherDirection::kEncrypt);
  EXPECT_TRUE(cipher.has_value());
  const size_t iv_len = (*cipher)->iv_len();
  Bytes pkt(8 + iv_len + body_plain.size() + (*cipher)->icv_len());
  pkt[0] = 0xc0, pkt[1] = 0xff, pkt[2] = 0xee, pkt[3] = 0x01;
  pkt[4] = static_cast<uint8_t>(seq >> 24), pkt[5] = static_cast<uint8_t>(seq >> 16);
  pkt[6] = static_cast<uint8_t>(seq >> 8), pkt[7] = static_cast<uint8_t>(seq);
  std::memcpy(pkt.data() + 8 + iv_len, body_plain.data(), body_plain.size());
  EXPECT_TRUE((*cipher)->Seal(pkt.data(), 0, false, seq, pkt.data() + 8, pkt.data() + 8 + iv_len,
                              body_plain.size(), pkt.data() + 8 + iv_len + body_plain.size()));
  return pkt;
}

TEST(EspMalformed, BadPaddingDropped) {
  Pair p = MakePair(Gcm(), false, EspMode::kTunnel);
  Bytes inner = InnerPacket(false, 10);  // 30 bytes
  Bytes body = inner;
  body.insert(body.end(), {1, 2, 9, 4, 4, kProtoIpv4});  // padding 1,2,9,4 is wrong
  EXPECT_EQ(DropOf(*p.in, SealRaw(p, Gcm(), body, 1)), DropReason::kBadPadding);
  Bytes body2 = {1, 2, 200, kProtoIpv4};  // pad length beyond the body
  EXPECT_EQ(DropOf(*p.in, SealRaw(p, Gcm(), body2, 2)), DropReason::kBadPadding);
  EXPECT_EQ(p.in->drops()[DropReason::kBadPadding], 2u);
  // Authentic, so the window moved past them.
  EXPECT_EQ(p.in->window().top(), 2u);
}

TEST(EspMalformed, DummyPacketDroppedSilently) {
  Pair p = MakePair(Gcm(), false, EspMode::kTunnel);
  EXPECT_EQ(DropOf(*p.in, Encap(*p.out, Pattern(16, 1), kProtoNoNext)), DropReason::kDummy);
  EXPECT_EQ(p.in->drops()[DropReason::kDummy], 1u);
}

TEST(EspMalformed, TunnelNextHeaderAndInnerChecked) {
  Pair p = MakePair(Gcm(), false, EspMode::kTunnel);
  EXPECT_EQ(DropOf(*p.in, Encap(*p.out, Pattern(40, 1), kProtoTcp)),
            DropReason::kBadNextHeader);
  // Claims IPv4 but carries an IPv6 packet.
  EXPECT_EQ(DropOf(*p.in, Encap(*p.out, InnerPacket(true, 8), kProtoIpv4)),
            DropReason::kBadInner);
  Bytes garbage = Pattern(12, 0x40);
  EXPECT_EQ(DropOf(*p.in, Encap(*p.out, garbage, kProtoIpv4)), DropReason::kBadInner);
}

TEST(EspTunnel, TfcPaddingAfterInnerPacketIsRemoved) {
  Pair p = MakePair(Gcm(), false, EspMode::kTunnel);
  Bytes inner = InnerPacket(false, 20);
  Bytes padded = inner;
  padded.resize(inner.size() + 37, 0);
  Bytes esp = Encap(*p.out, padded, kProtoIpv4);
  auto r = p.in->Decapsulate(esp);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(Bytes(r->payload.begin(), r->payload.end()), inner);
}

TEST(EspOutbound, NoRoomRefused) {
  Pair p = MakePair(Gcm(), false, EspMode::kTunnel);
  Bytes buf(100);
  EXPECT_EQ(p.out->Encapsulate(buf, 4, 20, kProtoIpv4).error(), DropReason::kNoRoom);
  EXPECT_EQ(p.out->Encapsulate(buf, 16, 70, kProtoIpv4).error(), DropReason::kNoRoom);
  EXPECT_EQ(p.out->seq(), 0u);  // nothing consumed
  EXPECT_TRUE(p.out->Encapsulate(buf, 16, 60, kProtoIpv4).has_value());
}

TEST(EspOutbound, SequenceNeverWraps) {
  Pair p = MakePair(Gcm(), false, EspMode::kTunnel, 32, 0xffffffffull - kSeqSoftMargin32 - 1);
  EXPECT_FALSE(p.out->seq_soft_limit_reached());
  Bytes buf(200);
  ASSERT_TRUE(p.out->Encapsulate(buf, 16, 40, kProtoIpv4).has_value());
  EXPECT_TRUE(p.out->seq_soft_limit_reached());

  Pair q = MakePair(Gcm(), false, EspMode::kTunnel, 32, 0xfffffffeull);
  ASSERT_TRUE(q.out->Encapsulate(buf, 16, 40, kProtoIpv4).has_value());  // seq 2^32-1
  EXPECT_TRUE(q.out->seq_exhausted());
  EXPECT_EQ(q.out->Encapsulate(buf, 16, 40, kProtoIpv4).error(), DropReason::kSeqOverflow);
  EXPECT_EQ(q.out->seq(), 0xffffffffull);
}

TEST(EspCipher, RejectsWrongKeyLengths) {
  Bytes k16(16), k20(20);
  EXPECT_FALSE(EspCipher::Create({EncrId::kAesGcm16, 128, IntegId::kNone}, k16, {},
                                 CipherDirection::kEncrypt).has_value());
  EXPECT_FALSE(EspCipher::Create({EncrId::kAesCbc, 128, IntegId::kHmacSha2_256_128}, k16, k20,
                                 CipherDirection::kEncrypt).has_value());
  EXPECT_FALSE(EspCipher::Create({EncrId::kAesCbc, 128, IntegId::kNone}, k16, {},
                                 CipherDirection::kEncrypt).has_value());
  EXPECT_FALSE(EspCipher::Create({EncrId::k3Des, 192, IntegId::kHmacSha1_96}, Bytes(24), k20,
                                 CipherDirection::kEncrypt).has_value());
  EXPECT_TRUE(EspCipher::Create({EncrId::kAesGcm16, 128, IntegId::kNone}, k20, {},
                                CipherDirection::kEncrypt).has_value());
}

TEST(IpPacket, ParsesSelectorsFields) {
  Bytes v4 = InnerPacket(false, 8);
  auto info = ParseIpPacket(v4);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->src.ToString(), "192.0.2.1");
  EXPECT_EQ(info->proto, kProtoUdp);
  EXPECT_EQ(Ipv4HeaderChecksum(v4.data(), 20), 0);
  Bytes v6 = InnerPacket(true, 8);
  info = ParseIpPacket(v6);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->dst.ToString(), "2001:db8:2::1");
  EXPECT_EQ(info->total_len, 48u);
  v6.pop_back();
  EXPECT_FALSE(ParseIpPacket(v6).has_value());
}

}  // namespace
}  // namespace ike::esp
