// PRF, prf+, integrity and key derivation (RFC 7296 2.13/2.14/2.17/2.18).
#include <gtest/gtest.h>

#include "libike/crypto/algorithms.h"
#include "libike/crypto/integ.h"
#include "libike/crypto/key_derivation.h"
#include "libike/crypto/prf.h"

namespace ike::crypto {
namespace {

Prf MakePrf(PrfId id) {
  auto prf = Prf::Create(id);
  EXPECT_TRUE(prf.has_value());
  return *prf;
}

TEST(Prf, SupportedIdsAndSizes) {
  for (PrfId id : {PrfId::kHmacSha1, PrfId::kHmacSha2_256, PrfId::kHmacSha2_384,
                   PrfId::kHmacSha2_512, PrfId::kAes128Xcbc, PrfId::kAes128Cmac}) {
    auto prf = Prf::Create(id);
    ASSERT_TRUE(prf.has_value());
    EXPECT_EQ(prf->output_size(), *PrfOutputSize(id));
    EXPECT_EQ(prf->key_size(), *PrfKeySize(id));
  }
  auto md5 = Prf::Create(PrfId::kHmacMd5);
  ASSERT_FALSE(md5.has_value());
  EXPECT_EQ(md5.error().code, CryptoErrc::kUnsupportedAlgorithm);
}

TEST(Prf, PartsEqualConcatenation) {
  Prf prf = MakePrf(PrfId::kHmacSha2_256);
  Bytes key = HexOrDie("0102030405");
  auto whole = prf.Compute(key, AsBytes("abcdef"));
  auto parts = prf.Compute(key, {AsBytes("ab"), AsBytes(""), AsBytes("cdef")});
  ASSERT_TRUE(whole && parts);
  EXPECT_TRUE(ConstantTimeEqual(whole->view(), parts->view()));
}

// prf+ (RFC 7296 2.13) against a direct construction of T1 | T2 | T3.
TEST(PrfPlus, MatchesDefinition) {
  for (PrfId id : {PrfId::kHmacSha1, PrfId::kHmacSha2_512, PrfId::kAes128Xcbc, PrfId::kAes128Cmac}) {
    Prf prf = MakePrf(id);
    Bytes key(prf.key_size(), 0x42);
    Bytes seed = HexOrDie("00112233445566778899");
    const size_t len = prf.output_size() * 2 + 5;
    auto stream = prf.PrfPlus(key, seed, len);
    ASSERT_TRUE(stream.has_value());
    ASSERT_EQ(stream->size(), len);
    const uint8_t one[] = {1}, two[] = {2}, three[] = {3};
    auto t1 = prf.Compute(key, {seed, one});
    auto t2 = prf.Compute(key, {t1->view(), seed, two});
    auto t3 = prf.Compute(key, {t2->view(), seed, three});
    SecretBytes expected;
    expected.Append(t1->view());
    expected.Append(t2->view());
    expected.Append(t3->view());
    expected.Resize(len);
    EXPECT_TRUE(ConstantTimeEqual(stream->view(), expected.view())) << static_cast<int>(id);
  }
}

TEST(PrfPlus, RejectsMoreThan255Blocks) {
  Prf prf = MakePrf(PrfId::kHmacSha1);
  EXPECT_TRUE(prf.PrfPlus(HexOrDie("00"), {}, 255 * 20).has_value());
  auto too_long = prf.PrfPlus(HexOrDie("00"), {}, 255 * 20 + 1);
  ASSERT_FALSE(too_long.has_value());
  EXPECT_EQ(too_long.error().code, CryptoErrc::kInvalidInput);
}

TEST(Integ, SignVerifyAndTamper) {
  for (IntegId id : {IntegId::kHmacSha1_96, IntegId::kHmacSha2_256_128, IntegId::kHmacSha2_384_192,
                     IntegId::kHmacSha2_512_256, IntegId::kAesXcbc96, IntegId::kAesCmac96}) {
    Bytes key(*IntegKeySize(id), 0x0b);
    auto integ = Integ::Create(id, key);
    ASSERT_TRUE(integ.has_value());
    auto icv = integ->Sign(AsBytes("message"));
    ASSERT_TRUE(icv.has_value());
    EXPECT_EQ(icv->size(), *IntegIcvSize(id));
    EXPECT_TRUE(integ->Verify(AsBytes("message"), *icv).has_value());
    Bytes bad = *icv;
    bad[0] ^= 1;
    auto r = integ->Verify(AsBytes("message"), bad);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, CryptoErrc::kIntegrityCheckFailed);
    EXPECT_FALSE(integ->Verify(AsBytes("message"), ByteView(*icv).first(icv->size() - 1)).has_value());
  }
  EXPECT_EQ(Integ::Create(IntegId::kHmacSha2_256_128, Bytes(31)).error().code, CryptoErrc::kInvalidKeyLength);
}

TEST(KeyDerivation, Lengths) {
  auto gcm = IkeSaKeyLengthsFor(PrfId::kHmacSha2_256, EncrId::kAesGcm16, 256, IntegId::kNone);
  ASSERT_TRUE(gcm.has_value());
  EXPECT_EQ(gcm->sk_d, 32u);
  EXPECT_EQ(gcm->sk_a, 0u);
  EXPECT_EQ(gcm->sk_e, 36u);
  EXPECT_EQ(gcm->sk_p, 32u);
  auto cbc = IkeSaKeyLengthsFor(PrfId::kAes128Xcbc, EncrId::kAesCbc, 192, IntegId::kHmacSha2_384_192);
  ASSERT_TRUE(cbc.has_value());
  EXPECT_EQ(cbc->sk_d, 16u);
  EXPECT_EQ(cbc->sk_a, 48u);
  EXPECT_EQ(cbc->sk_e, 24u);
  auto chacha = IkeSaKeyLengthsFor(PrfId::kHmacSha2_512, EncrId::kChaCha20Poly1305, 0, IntegId::kNone);
  ASSERT_TRUE(chacha.has_value());
  EXPECT_EQ(chacha->sk_e, 36u);
  EXPECT_FALSE(IkeSaKeyLengthsFor(PrfId::kHmacSha1, EncrId::kAesGcm16, 128, IntegId::kHmacSha1_96));
  EXPECT_FALSE(IkeSaKeyLengthsFor(PrfId::kHmacSha1, EncrId::kAesCbc, 128, IntegId::kNone));
  EXPECT_FALSE(IkeSaKeyLengthsFor(PrfId::kHmacSha1, EncrId::kAesCbc, 100, IntegId::kHmacSha1_96));
}

// SKEYSEED = prf(Ni | Nr, g^ir); SK_* = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr),
// checked against the definition computed by hand with Prf primitives.
TEST(KeyDerivation, IkeSaKeysFollowRfc7296) {
  Prf prf = MakePrf(PrfId::kHmacSha2_256);
  Bytes ni(32, 0x11), nr(32, 0x22), gir(256, 0x33);
  Bytes spi_i = HexOrDie("0102030405060708"), spi_r = HexOrDie("a1a2a3a4a5a6a7a8");
  auto skeyseed = ComputeSkeyseed(prf, ni, nr, gir);
  ASSERT_TRUE(skeyseed.has_value());
  Bytes ni_nr = ni;
  ni_nr.insert(ni_nr.end(), nr.begin(), nr.end());
  auto manual_seed = prf.Compute(ni_nr, gir);
  EXPECT_TRUE(ConstantTimeEqual(skeyseed->view(), manual_seed->view()));

  auto lengths = IkeSaKeyLengthsFor(PrfId::kHmacSha2_256, EncrId::kAesCbc, 128, IntegId::kHmacSha2_256_128);
  auto keys = DeriveIkeSaKeys(prf, skeyseed->view(), ni, nr, spi_i, spi_r, *lengths);
  ASSERT_TRUE(keys.has_value());
  Bytes s = ni;
  s.insert(s.end(), nr.begin(), nr.end());
  s.insert(s.end(), spi_i.begin(), spi_i.end());
  s.insert(s.end(), spi_r.begin(), spi_r.end());
  auto stream = prf.PrfPlus(skeyseed->view(), s, 32 + 2 * 32 + 2 * 16 + 2 * 32);
  size_t off = 0;
  for (const SecretBytes* k : {&keys->sk_d, &keys->sk_ai, &keys->sk_ar, &keys->sk_ei, &keys->sk_er,
                               &keys->sk_pi, &keys->sk_pr}) {
    EXPECT_TRUE(ConstantTimeEqual(k->view(), stream->view().subspan(off, k->size())));
    off += k->size();
  }
  EXPECT_EQ(off, stream->size());
  EXPECT_EQ(keys->sk_ei.size(), 16u);
  EXPECT_EQ(keys->sk_ai.size(), 32u);
}

// RFC 7296 2.14: for fixed-key PRFs the SKEYSEED key is the first half of
// the key size taken from Ni and the second half from Nr.
TEST(KeyDerivation, SkeyseedFixedKeyPrfUsesNoncePrefixes) {
  for (PrfId id : {PrfId::kAes128Xcbc, PrfId::kAes128Cmac}) {
    Prf prf = MakePrf(id);
    Bytes ni = HexOrDie("000102030405060708090a0b0c0d0e0f1011");
    Bytes nr = HexOrDie("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
    Bytes gir(32, 0x5a);
    auto skeyseed = ComputeSkeyseed(prf, ni, nr, gir);
    ASSERT_TRUE(skeyseed.has_value());
    auto manual = prf.Compute(HexOrDie("0001020304050607f0f1f2f3f4f5f6f7"), gir);
    EXPECT_TRUE(ConstantTimeEqual(skeyseed->view(), manual->view()));
    EXPECT_FALSE(ComputeSkeyseed(prf, HexOrDie("0011"), nr, gir).has_value());
  }
}

TEST(KeyDerivation, ChildSaKeysWithAndWithoutPfs) {
  Prf prf = MakePrf(PrfId::kHmacSha2_384);
  Bytes sk_d(48, 0x07), ni(32, 0x01), nr(24, 0x02), gir(97, 0x03);
  ChildSaKeyLengths lengths{*EncrKeyMaterialSize(EncrId::kAesCbc, 256), *IntegKeySize(IntegId::kHmacSha2_256_128)};
  auto no_pfs = DeriveChildSaKeys(prf, sk_d, std::nullopt, ni, nr, lengths);
  auto pfs = DeriveChildSaKeys(prf, sk_d, ByteView(gir), ni, nr, lengths);
  ASSERT_TRUE(no_pfs && pfs);
  // KEYMAT = prf+(SK_d, Ni | Nr): encr_i | integ_i | encr_r | integ_r.
  Bytes seed = ni;
  seed.insert(seed.end(), nr.begin(), nr.end());
  auto keymat = prf.PrfPlus(sk_d, seed, 2 * (32 + 32));
  EXPECT_TRUE(ConstantTimeEqual(no_pfs->encr_i.view(), keymat->view().subspan(0, 32)));
  EXPECT_TRUE(ConstantTimeEqual(no_pfs->integ_i.view(), keymat->view().subspan(32, 32)));
  EXPECT_TRUE(ConstantTimeEqual(no_pfs->encr_r.view(), keymat->view().subspan(64, 32)));
  EXPECT_TRUE(ConstantTimeEqual(no_pfs->integ_r.view(), keymat->view().subspan(96, 32)));
  // With PFS: prf+(SK_d, g^ir (new) | Ni | Nr).
  Bytes pfs_seed = gir;
  pfs_seed.insert(pfs_seed.end(), seed.begin(), seed.end());
  auto pfs_keymat = prf.PrfPlus(sk_d, pfs_seed, 2 * (32 + 32));
  EXPECT_TRUE(ConstantTimeEqual(pfs->encr_i.view(), pfs_keymat->view().subspan(0, 32)));
  EXPECT_FALSE(ConstantTimeEqual(pfs->encr_i.view(), no_pfs->encr_i.view()));
  // AEAD: no integrity keys.
  ChildSaKeyLengths gcm{*EncrKeyMaterialSize(EncrId::kAesGcm16, 128), 0};
  auto aead = DeriveChildSaKeys(prf, sk_d, std::nullopt, ni, nr, gcm);
  ASSERT_TRUE(aead.has_value());
  EXPECT_EQ(aead->encr_i.size(), 20u);
  EXPECT_TRUE(aead->integ_i.empty());
  EXPECT_TRUE(ConstantTimeEqual(aead->encr_r.view(), keymat->view().subspan(20, 20)));
}

TEST(KeyDerivation, RekeySkeyseed) {
  Prf old_prf = MakePrf(PrfId::kHmacSha1);
  Bytes sk_d(20, 0x99), gir(32, 0x01), ni(16, 0x02), nr(16, 0x03);
  auto s = ComputeRekeySkeyseed(old_prf, sk_d, gir, ni, nr);
  ASSERT_TRUE(s.has_value());
  Bytes data = gir;
  data.insert(data.end(), ni.begin(), ni.end());
  data.insert(data.end(), nr.begin(), nr.end());
  auto manual = old_prf.Compute(sk_d, data);
  EXPECT_TRUE(ConstantTimeEqual(s->view(), manual->view()));
  EXPECT_EQ(s->size(), 20u);
}

}  // namespace
}  // namespace ike::crypto

namespace ike::crypto {
namespace {

// The capability lists agree with what the factories accept.
TEST(Capabilities, ListsMatchFactories) {
  for (PrfId id : SupportedPrf()) EXPECT_TRUE(Prf::IsSupported(id)) << static_cast<int>(id);
  for (IntegId id : SupportedInteg()) {
    EXPECT_TRUE(Integ::Create(id, Bytes(*IntegKeySize(id))).has_value()) << static_cast<int>(id);
  }
  for (const EncrCapability& e : SupportedEncr()) {
    for (uint16_t bits : e.key_bits) {
      EXPECT_TRUE(EncrKeyMaterialSize(e.id, bits).has_value()) << static_cast<int>(e.id) << "/" << bits;
    }
  }
  EXPECT_EQ(SupportedKeGroups().size(), 13u);  // each checked in kex_test
}

}  // namespace
}  // namespace ike::crypto
