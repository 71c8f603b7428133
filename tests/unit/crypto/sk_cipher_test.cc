// SK payload protection (RFC 7296 3.14, RFC 5282, RFC 7634).
#include <gtest/gtest.h>

#include <openssl/evp.h>

#include "libike/crypto/algorithms.h"
#include "libike/crypto/sk_cipher.h"

namespace ike::crypto {
namespace {

struct Suite {
  EncrId encr;
  uint16_t key_bits;
  IntegId integ;
};

class SkCipherSuite : public ::testing::TestWithParam<Suite> {
 protected:
  SkCipher Make(uint8_t fill) {
    const Suite& s = GetParam();
    Bytes sk_e(*EncrKeyMaterialSize(s.encr, s.key_bits), fill);
    Bytes sk_a(*IntegKeySize(s.integ), static_cast<uint8_t>(fill + 1));
    auto c = SkCipher::Create(s.encr, s.key_bits, s.integ, sk_e, sk_a);
    EXPECT_TRUE(c.has_value());
    return std::move(c).value();
  }
};

TEST_P(SkCipherSuite, RoundTripEverySize) {
  SkCipher c = Make(0x10);
  DeterministicRng rng(1);
  Bytes aad = HexOrDie("00112233445566778899aabbccddeeff2e20230800000000000000502e00002c");
  for (size_t n = 0; n < 70; ++n) {
    Bytes inner(n);
    for (size_t i = 0; i < n; ++i) inner[i] = static_cast<uint8_t>(i * 7);
    auto body = c.Protect(aad, inner, rng);
    ASSERT_TRUE(body.has_value());
    EXPECT_EQ(body->size(), c.BodySize(n));
    EXPECT_LE(body->size(), n + c.Overhead());
    EXPECT_GE(c.MaxInnerSize(body->size()), n);
    auto plain = c.Unprotect(aad, *body);
    ASSERT_TRUE(plain.has_value()) << n << ": " << plain.error().detail;
    EXPECT_EQ(*plain, inner);
  }
}

TEST_P(SkCipherSuite, EveryBitFlipIsAnIntegrityError) {
  SkCipher c = Make(0x20);
  DeterministicRng rng(2);
  Bytes aad = HexOrDie("a0a1a2a3a4a5a6a7b0b1b2b3b4b5b6b72e202308000000010000004c2100002c");
  Bytes inner = HexOrDie("2900000c010000000a0000012700000c0100000061626364");
  auto body = c.Protect(aad, inner, rng);
  ASSERT_TRUE(body.has_value());
  for (size_t i = 0; i < body->size() * 8; i += 5) {
    Bytes bad = *body;
    bad[i / 8] ^= static_cast<uint8_t>(1u << (i % 8));
    auto r = c.Unprotect(aad, bad);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, CryptoErrc::kIntegrityCheckFailed) << i;
  }
  Bytes bad_aad = aad;
  bad_aad[20] ^= 0x80;
  auto r = c.Unprotect(bad_aad, *body);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, CryptoErrc::kIntegrityCheckFailed);
  // The other direction's key does not open it.
  SkCipher other = Make(0x21);
  EXPECT_EQ(other.Unprotect(aad, *body).error().code, CryptoErrc::kIntegrityCheckFailed);
}

TEST_P(SkCipherSuite, TruncatedBodyIsInvalidInput) {
  SkCipher c = Make(0x30);
  for (size_t n = 0; n < c.iv_size() + c.icv_size() + c.block_size(); ++n) {
    auto r = c.Unprotect({}, Bytes(n));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, CryptoErrc::kInvalidInput) << n;
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllSuites, SkCipherSuite,
    ::testing::Values(Suite{EncrId::kAesCbc, 128, IntegId::kHmacSha1_96},
                      Suite{EncrId::kAesCbc, 192, IntegId::kHmacSha2_256_128},
                      Suite{EncrId::kAesCbc, 256, IntegId::kHmacSha2_384_192},
                      Suite{EncrId::kAesCbc, 256, IntegId::kHmacSha2_512_256},
                      Suite{EncrId::kAesCbc, 128, IntegId::kAesXcbc96},
                      Suite{EncrId::kAesCbc, 128, IntegId::kAesCmac96},
                      Suite{EncrId::kAesGcm8, 128, IntegId::kNone},
                      Suite{EncrId::kAesGcm12, 192, IntegId::kNone},
                      Suite{EncrId::kAesGcm16, 256, IntegId::kNone},
                      Suite{EncrId::kAesGcm16, 128, IntegId::kNone},
                      Suite{EncrId::kChaCha20Poly1305, 0, IntegId::kNone},
                      Suite{EncrId::kChaCha20Poly1305, 256, IntegId::kNone}));

TEST(SkCipher, SizesPerAlgorithm) {
  auto cbc = SkCipher::Create(EncrId::kAesCbc, 128, IntegId::kHmacSha2_256_128, Bytes(16), Bytes(32));
  ASSERT_TRUE(cbc.has_value());
  EXPECT_EQ(cbc->iv_size(), 16u);
  EXPECT_EQ(cbc->icv_size(), 16u);
  EXPECT_EQ(cbc->block_size(), 16u);
  EXPECT_EQ(cbc->BodySize(0), 16u + 16u + 16u);
  EXPECT_EQ(cbc->BodySize(15), 16u + 16u + 16u);
  EXPECT_EQ(cbc->BodySize(16), 16u + 32u + 16u);
  EXPECT_EQ(cbc->MaxInnerSize(64), 31u);
  auto gcm8 = SkCipher::Create(EncrId::kAesGcm8, 256, IntegId::kNone, Bytes(36), {});
  ASSERT_TRUE(gcm8.has_value());
  EXPECT_EQ(gcm8->iv_size(), 8u);
  EXPECT_EQ(gcm8->icv_size(), 8u);
  EXPECT_EQ(gcm8->BodySize(10), 8u + 11u + 8u);
  EXPECT_EQ(gcm8->MaxInnerSize(27), 10u);
}

TEST(SkCipher, RejectsBadConfigurations) {
  EXPECT_EQ(SkCipher::Create(EncrId::kAesCbc, 128, IntegId::kNone, Bytes(16), {}).error().code,
            CryptoErrc::kUnsupportedAlgorithm);
  EXPECT_EQ(SkCipher::Create(EncrId::kAesGcm16, 128, IntegId::kHmacSha1_96, Bytes(20), Bytes(20)).error().code,
            CryptoErrc::kUnsupportedAlgorithm);
  EXPECT_EQ(SkCipher::Create(EncrId::kAesGcm16, 128, IntegId::kNone, Bytes(16), {}).error().code,
            CryptoErrc::kInvalidKeyLength);
  EXPECT_EQ(SkCipher::Create(EncrId::k3Des, 192, IntegId::kHmacSha1_96, Bytes(24), Bytes(20)).error().code,
            CryptoErrc::kUnsupportedAlgorithm);
}

// A correctly authenticated body whose decrypted pad length exceeds the
// data: built independently with OpenSSL (AES-CBC + HMAC-SHA2-256-128).
TEST(SkCipher, BadPaddingRejectedAfterIcv) {
  Bytes sk_e(16, 0x44), sk_a(32, 0x55), iv(16, 0x66);
  Bytes aad = HexOrDie("0102030405060708090a0b0c0d0e0f102e20230800000001000000502e000034");
  Bytes plain(16, 0xab);
  plain[15] = 0x20;  // claims 32 bytes of padding in a 16-byte block
  Bytes ct(16);
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  int len = 0;
  ASSERT_EQ(EVP_EncryptInit_ex(ctx, EVP_aes_128_cbc(), nullptr, sk_e.data(), iv.data()), 1);
  EVP_CIPHER_CTX_set_padding(ctx, 0);
  ASSERT_EQ(EVP_EncryptUpdate(ctx, ct.data(), &len, plain.data(), 16), 1);
  EVP_CIPHER_CTX_free(ctx);
  Bytes body = iv;
  body.insert(body.end(), ct.begin(), ct.end());
  auto integ = Integ::Create(IntegId::kHmacSha2_256_128, sk_a);
  const ByteView parts[] = {aad, body};
  auto icv = integ->Sign(parts);
  body.insert(body.end(), icv->begin(), icv->end());

  auto c = SkCipher::Create(EncrId::kAesCbc, 128, IntegId::kHmacSha2_256_128, sk_e, sk_a);
  ASSERT_TRUE(c.has_value());
  auto r = c->Unprotect(aad, body);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, CryptoErrc::kBadPadding);

  // Pad length 15 (the whole block is padding) is valid: empty inner.
  plain.assign(16, 0);
  plain[15] = 15;
  ctx = EVP_CIPHER_CTX_new();
  ASSERT_EQ(EVP_EncryptInit_ex(ctx, EVP_aes_128_cbc(), nullptr, sk_e.data(), iv.data()), 1);
  EVP_CIPHER_CTX_set_padding(ctx, 0);
  ASSERT_EQ(EVP_EncryptUpdate(ctx, ct.data(), &len, plain.data(), 16), 1);
  EVP_CIPHER_CTX_free(ctx);
  body = iv;
  body.insert(body.end(), ct.begin(), ct.end());
  const ByteView parts2[] = {aad, body};
  icv = integ->Sign(parts2);
  body.insert(body.end(), icv->begin(), icv->end());
  auto ok = c->Unprotect(aad, body);
  ASSERT_TRUE(ok.has_value());
  EXPECT_TRUE(ok->empty());
}

}  // namespace
}  // namespace ike::crypto
