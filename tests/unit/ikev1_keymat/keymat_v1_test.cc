// Known answers for the IKEv1 key material (RFC 2409 5, appendix B). The
// expected values were computed independently with Python's hmac/hashlib
// from the formulas in the RFC (script in the commit message's spirit:
// prf = HMAC-SHA1, inputs below).
#include <gtest/gtest.h>

#include "libike/crypto/cbc_cipher.h"
#include "libike/engine/v1/keymat_v1.h"

namespace ike::engine::v1 {
namespace {

constexpr char kSkeyid[] = "2f66cd326c9bd2c6aec32a8966f7942b4135d542";
constexpr char kSkeyidD[] = "2a74d73d224ef7c97079faf8411a16562d9019e7";
constexpr char kSkeyidA[] = "2a618079a6bc968756c08457f854022a403a1285";
constexpr char kSkeyidE[] = "861240b0f2a54f4d06e0e5acbf60d26fb4c72c72";
constexpr char kEnc[] = "069eb4986c02cec2db09dcbcb5ab6ce93fd00c64ce418f3a9e8cfb74b81a071b";
constexpr char kIv1[] = "c7d13555e7838730562d59385afe0b00";
constexpr char kIv2[] = "bc3d3c8f6906a67eeb09f021e36265ed";
constexpr char kHashI[] = "301049720b81a6afc04d5014f87509162bc1a44f";
constexpr char kHashR[] = "074d8abe578d870d748c457f347f4e9aa7262e0f";
constexpr char kH1[] = "df6ab753582cecdb277e9d30c2ecea76403280cc";
constexpr char kH2[] = "daed990bfa0d6640c627440ef6f6929dde38df0d";
constexpr char kH3[] = "1a8f58c33b933147ad481434e44e54ceb42a5593";
constexpr char kKeymat[] =
    "347e81eab6a1efbee113e9e1d741e315b7a2aa2a8a8f8be6fe5f45da95616e6ff5e162cc9191c58a69c119a6"
    "644eb7a7171d91c7";
constexpr char kKeymatPfs[] =
    "f40a3c367c9ae7e15d8e5a4d1ec46b2f2bc24b6fa1bb4a636645028692bde088d3e159b3";
constexpr char kSkeyidSig256[] =
    "bd0acf29abfc44fd17e29e6b34659ad930fe70a44ae6aff1d4b8961fded09d49";

struct Inputs {
  Bytes psk;
  Bytes ni, nr;
  Bytes gxy = Bytes(128, 0x03), gxi = Bytes(128, 0x04), gxr = Bytes(128, 0x05);
  uint64_t ci = 0x1111111111111111ULL, cr = 0x2222222222222222ULL;
  Inputs() {
    ByteView p = AsBytes("ikev1-test-secret");
    psk.assign(p.begin(), p.end());
    for (int i = 1; i <= 16; ++i) ni.push_back(static_cast<uint8_t>(i));
    for (int i = 0x20; i < 0x30; ++i) nr.push_back(static_cast<uint8_t>(i));
  }
};

Bytes B(std::string_view s) {
  ByteView v = AsBytes(s);
  return Bytes(v.begin(), v.end());
}

std::string Hex(const SecretBytes& s) { return ToHex(s.view()); }

crypto::Prf Sha1Prf() { return *crypto::Prf::Create(PrfId::kHmacSha1); }

TEST(Ikev1Keymat, PskSkeyidAndDerivatives) {
  Inputs in;
  crypto::Prf prf = Sha1Prf();
  auto skeyid = SkeyidPsk(prf, in.psk, in.ni, in.nr);
  ASSERT_TRUE(skeyid);
  EXPECT_EQ(Hex(*skeyid), kSkeyid);
  // AES-256 with SHA1: SKEYID_e (20 octets) is extended to Ka = K1 | K2.
  auto keys = DerivePhase1Keys(prf, std::move(*skeyid), in.gxy, in.ci, in.cr, 32);
  ASSERT_TRUE(keys);
  EXPECT_EQ(Hex(keys->skeyid), kSkeyid);
  EXPECT_EQ(Hex(keys->skeyid_d), kSkeyidD);
  EXPECT_EQ(Hex(keys->skeyid_a), kSkeyidA);
  EXPECT_EQ(Hex(keys->skeyid_e), kSkeyidE);
  EXPECT_EQ(Hex(keys->enc_key), kEnc);
  // AES-128: a prefix of SKEYID_e itself.
  auto short_key = EncryptionKey(prf, keys->skeyid_e.view(), 16);
  ASSERT_TRUE(short_key);
  EXPECT_EQ(Hex(*short_key), std::string(kSkeyidE).substr(0, 32));
}

TEST(Ikev1Keymat, SignatureSkeyid) {
  Inputs in;
  crypto::Prf prf = *crypto::Prf::Create(PrfId::kHmacSha2_256);
  auto skeyid = SkeyidSig(prf, in.ni, in.nr, in.gxy);
  ASSERT_TRUE(skeyid);
  EXPECT_EQ(Hex(*skeyid), kSkeyidSig256);
}

TEST(Ikev1Keymat, Ivs) {
  Inputs in;
  auto iv1 = Phase1Iv(Phase1Hash::kSha1, in.gxi, in.gxr, 16);
  ASSERT_TRUE(iv1);
  EXPECT_EQ(ToHex(*iv1), kIv1);
  auto iv2 = Phase2Iv(Phase1Hash::kSha1, Bytes(16, 0xaa), 0x01020304, 16);
  ASSERT_TRUE(iv2);
  EXPECT_EQ(ToHex(*iv2), kIv2);
  auto iv3des = Phase1Iv(Phase1Hash::kSha1, in.gxi, in.gxr, 8);
  ASSERT_TRUE(iv3des);
  EXPECT_EQ(ToHex(*iv3des), std::string(kIv1).substr(0, 16));
}

TEST(Ikev1Keymat, MainModeHashes) {
  Inputs in;
  crypto::Prf prf = Sha1Prf();
  SecretBytes skeyid(HexOrDie(kSkeyid));
  Bytes sai = {0, 0, 0, 1, 0, 0, 0, 1, 'S', 'A', 'I', 'B', 'O', 'D', 'Y'};
  Bytes idi = HexOrDie("01000000c0000201");
  Bytes idr = HexOrDie("01000000c6336402");
  auto hi = PhaseOneHash(prf, skeyid.view(), true, in.gxi, in.gxr, in.ci, in.cr, sai, idi);
  auto hr = PhaseOneHash(prf, skeyid.view(), false, in.gxi, in.gxr, in.ci, in.cr, sai, idr);
  ASSERT_TRUE(hi && hr);
  EXPECT_EQ(ToHex(*hi), kHashI);
  EXPECT_EQ(ToHex(*hr), kHashR);
}

TEST(Ikev1Keymat, QuickModeHashesAndKeymat) {
  Inputs in;
  crypto::Prf prf = Sha1Prf();
  Bytes a = HexOrDie(kSkeyidA), d = HexOrDie(kSkeyidD);
  Bytes rest = B("REST-OF-MESSAGE");
  uint32_t mid = 0x01020304;
  EXPECT_EQ(ToHex(*Hash1(prf, a, mid, rest)), kH1);
  EXPECT_EQ(ToHex(*Hash2(prf, a, mid, in.ni, rest)), kH2);
  EXPECT_EQ(ToHex(*Hash3(prf, a, mid, in.ni, in.nr)), kH3);
  // ESP AES-256 + HMAC-SHA1: 52 octets, three PRF blocks.
  auto km = Keymat(prf, d, {}, 3, 0xc0ffee01, in.ni, in.nr, 52);
  ASSERT_TRUE(km);
  EXPECT_EQ(Hex(*km), kKeymat);
  // With PFS: g(qm)^xy first.
  auto kp = Keymat(prf, d, Bytes(32, 0x06), 3, 0xc0ffee01, in.ni, in.nr, 36);
  ASSERT_TRUE(kp);
  EXPECT_EQ(Hex(*kp), kKeymatPfs);
}

TEST(Ikev1Keymat, CbcChainsAcrossCalls) {
  auto aes = crypto::CbcCipher::Create(crypto::CbcAlgorithm::kAes, Bytes(16, 0x42));
  ASSERT_TRUE(aes);
  Bytes iv(16, 0x01), plain(48, 0x5a);
  auto whole = aes->Encrypt(iv, plain);
  ASSERT_TRUE(whole);
  // Encrypting in two parts, the second with the last block of the first as
  // IV, gives the same ciphertext (the appendix B chaining).
  auto p1 = aes->Encrypt(iv, ByteView(plain).subspan(0, 16));
  auto p2 = aes->Encrypt(ByteView(*p1).subspan(0, 16), ByteView(plain).subspan(16));
  ASSERT_TRUE(p1 && p2);
  Bytes joined = *p1;
  joined.insert(joined.end(), p2->begin(), p2->end());
  EXPECT_EQ(joined, *whole);
  EXPECT_EQ(*aes->Decrypt(iv, *whole), plain);
  EXPECT_FALSE(aes->Encrypt(iv, Bytes(15, 0)));
  auto des = crypto::CbcCipher::Create(crypto::CbcAlgorithm::k3Des, Bytes(24, 0x17));
  ASSERT_TRUE(des);
  EXPECT_EQ(des->block_size(), 8u);
  EXPECT_EQ(*des->Decrypt(Bytes(8, 0), *des->Encrypt(Bytes(8, 0), Bytes(16, 9))), Bytes(16, 9));
}

}  // namespace
}  // namespace ike::engine::v1
