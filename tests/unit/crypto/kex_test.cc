// Key exchange (RFC 7296 transform type 4): agreement, validation, vectors.
#include <gtest/gtest.h>

#include "libike/crypto/algorithms.h"
#include "libike/crypto/key_exchange.h"
#include "libike/crypto/sk_cipher.h"

namespace ike::crypto {
namespace {

class KexGroup : public ::testing::TestWithParam<KeGroup> {};

TEST_P(KexGroup, TwoPartiesAgree) {
  DeterministicRng rng_a(10), rng_b(11);
  auto a = KeyExchange::Create(GetParam(), rng_a);
  auto b = KeyExchange::Create(GetParam(), rng_b);
  ASSERT_TRUE(a.has_value()) << a.error().detail;
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(a->PublicValue().size(), *KeyExchange::PublicValueSize(GetParam()));
  auto ab = a->ComputeShared(b->PublicValue());
  auto ba = b->ComputeShared(a->PublicValue());
  ASSERT_TRUE(ab.has_value()) << ab.error().detail;
  ASSERT_TRUE(ba.has_value());
  EXPECT_EQ(ab->size(), *KeyExchange::SharedSecretSize(GetParam()));
  EXPECT_TRUE(ConstantTimeEqual(ab->view(), ba->view()));
}

TEST_P(KexGroup, SeededRngIsReproducible) {
  DeterministicRng r1(42), r2(42);
  auto a = KeyExchange::Create(GetParam(), r1);
  auto b = KeyExchange::Create(GetParam(), r2);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->PublicValue(), b->PublicValue());
}

TEST_P(KexGroup, RejectsWrongLength) {
  DeterministicRng rng(5);
  auto a = KeyExchange::Create(GetParam(), rng);
  ASSERT_TRUE(a.has_value());
  Bytes peer = a->PublicValue();
  peer.push_back(0);
  EXPECT_EQ(a->ComputeShared(peer).error().code, CryptoErrc::kInvalidPublicValue);
  peer.resize(peer.size() - 2);
  EXPECT_EQ(a->ComputeShared(peer).error().code, CryptoErrc::kInvalidPublicValue);
  EXPECT_EQ(a->ComputeShared({}).error().code, CryptoErrc::kInvalidPublicValue);
}

INSTANTIATE_TEST_SUITE_P(Groups, KexGroup,
                         ::testing::Values(KeGroup::kModp1024, KeGroup::kModp1536, KeGroup::kModp2048,
                                           KeGroup::kModp3072, KeGroup::kModp4096, KeGroup::kEcp256,
                                           KeGroup::kEcp384, KeGroup::kEcp521, KeGroup::kCurve25519,
                                           KeGroup::kCurve448));

TEST(Kex, ModpRangeChecks) {
  DeterministicRng rng(7);
  auto a = KeyExchange::Create(KeGroup::kModp2048, rng);
  ASSERT_TRUE(a.has_value());
  Bytes zero(256, 0), one(256, 0), p_minus_1(256, 0xff), all_ff(256, 0xff);
  one[255] = 1;
  EXPECT_EQ(a->ComputeShared(zero).error().code, CryptoErrc::kInvalidPublicValue);
  EXPECT_EQ(a->ComputeShared(one).error().code, CryptoErrc::kInvalidPublicValue);
  EXPECT_EQ(a->ComputeShared(all_ff).error().code, CryptoErrc::kInvalidPublicValue);  // > p
  Bytes two(256, 0);
  two[255] = 2;
  EXPECT_TRUE(a->ComputeShared(two).has_value());
}

TEST(Kex, EcpPointNotOnCurveRejected) {
  DeterministicRng rng(8);
  for (KeGroup g : {KeGroup::kEcp256, KeGroup::kEcp384, KeGroup::kEcp521}) {
    auto a = KeyExchange::Create(g, rng);
    ASSERT_TRUE(a.has_value());
    Bytes peer = a->PublicValue();
    peer.back() ^= 1;  // y changed: off the curve
    EXPECT_EQ(a->ComputeShared(peer).error().code, CryptoErrc::kInvalidPublicValue);
    Bytes zeros(peer.size(), 0);
    EXPECT_EQ(a->ComputeShared(zeros).error().code, CryptoErrc::kInvalidPublicValue);
  }
}

TEST(Kex, X25519AllZeroResultRejected) {
  DeterministicRng rng(9);
  auto a = KeyExchange::Create(KeGroup::kCurve25519, rng);
  ASSERT_TRUE(a.has_value());
  // u = 0 and u = 1 are small-order points: the result is all zero.
  Bytes zero(32, 0), one(32, 0);
  one[0] = 1;
  EXPECT_EQ(a->ComputeShared(zero).error().code, CryptoErrc::kInvalidPublicValue);
  EXPECT_EQ(a->ComputeShared(one).error().code, CryptoErrc::kInvalidPublicValue);
}

// RFC 7296 / SP 800-56A 5.6.2.3: the checks that replace OpenSSL's full
// public-key validation of the peer's value.
TEST(KexValidation, ModpRejectsOneAndPMinusOneInEveryGroup) {
  DeterministicRng rng(21);
  for (KeGroup g : {KeGroup::kModp1024, KeGroup::kModp2048, KeGroup::kModp3072}) {
    auto a = KeyExchange::Create(g, rng);
    ASSERT_TRUE(a.has_value());
    Bytes p = *KeyExchange::ModpPrime(g);
    ASSERT_EQ(p.size(), a->PublicValue().size());
    const size_t last = p.size() - 1;
    Bytes p_minus_1 = p, p_minus_2 = p;
    ASSERT_EQ(p[last], 0xff);  // MODP primes end in ...ff: no borrow
    p_minus_1[last] = 0xfe;
    p_minus_2[last] = 0xfd;
    Bytes one(p.size(), 0);
    one[last] = 1;
    EXPECT_EQ(a->ComputeShared(one).error().code, CryptoErrc::kInvalidPublicValue);
    EXPECT_EQ(a->ComputeShared(p_minus_1).error().code, CryptoErrc::kInvalidPublicValue);
    EXPECT_EQ(a->ComputeShared(p).error().code, CryptoErrc::kInvalidPublicValue);
    EXPECT_EQ(a->ComputeShared(Bytes(p.size(), 0)).error().code, CryptoErrc::kInvalidPublicValue);
    // The largest value in range is accepted.
    EXPECT_TRUE(a->ComputeShared(p_minus_2).has_value());
  }
}

TEST(KexValidation, EcpRejectsOffCurveIdentityAndOutOfRange) {
  DeterministicRng rng(22);
  for (KeGroup g : {KeGroup::kEcp256, KeGroup::kEcp384, KeGroup::kEcp521}) {
    auto a = KeyExchange::Create(g, rng);
    auto b = KeyExchange::Create(g, rng);
    ASSERT_TRUE(a && b);
    const size_t half = b->PublicValue().size() / 2;
    Bytes off = b->PublicValue();
    off[half - 1] ^= 1;  // x changed, y kept: off the curve
    EXPECT_EQ(a->ComputeShared(off).error().code, CryptoErrc::kInvalidPublicValue);
    // The identity has no affine coordinates; (0, 0) is what a careless
    // encoder would send for it.
    EXPECT_EQ(a->ComputeShared(Bytes(2 * half, 0)).error().code, CryptoErrc::kInvalidPublicValue);
    Bytes ones(2 * half, 0xff);  // coordinates >= p
    EXPECT_EQ(a->ComputeShared(ones).error().code, CryptoErrc::kInvalidPublicValue);
    EXPECT_TRUE(a->ComputeShared(b->PublicValue()).has_value());
  }
}

TEST(KexValidation, EcpRejectsNonCanonicalCoordinate) {
  // P-521: p = 2^521 - 1 fits the 66-byte field with room to spare, so
  // x + p encodes the same residue as x; it must still be refused.
  DeterministicRng rng(23);
  auto a = KeyExchange::Create(KeGroup::kEcp521, rng);
  auto b = KeyExchange::Create(KeGroup::kEcp521, rng);
  ASSERT_TRUE(a && b);
  Bytes v = b->PublicValue();
  // Add p = 2^521 - 1 to the big-endian x in v[0..66): add 2^521, subtract 1.
  unsigned borrow = 1;
  for (size_t i = 66; i-- > 0 && borrow;) {
    borrow = v[i] == 0 ? 1 : 0;
    v[i] = static_cast<uint8_t>(v[i] - 1);
  }
  ASSERT_EQ(borrow, 0u);
  v[0] = static_cast<uint8_t>(v[0] + 2);  // bit 521 = bit 1 of the first byte
  EXPECT_EQ(a->ComputeShared(v).error().code, CryptoErrc::kInvalidPublicValue);
}

TEST(KexValidation, X25519AndX448SmallOrderPointsRejected) {
  DeterministicRng rng(24);
  auto x25519 = KeyExchange::Create(KeGroup::kCurve25519, rng);
  auto x448 = KeyExchange::Create(KeGroup::kCurve448, rng);
  ASSERT_TRUE(x25519 && x448);
  // u = p - 1 (order 2) on Curve25519, little-endian: ec ff .. ff 7f.
  Bytes p_minus_1(32, 0xff);
  p_minus_1[0] = 0xec;
  p_minus_1[31] = 0x7f;
  EXPECT_EQ(x25519->ComputeShared(p_minus_1).error().code, CryptoErrc::kInvalidPublicValue);
  Bytes zero(56, 0), one(56, 0);
  one[0] = 1;
  EXPECT_EQ(x448->ComputeShared(zero).error().code, CryptoErrc::kInvalidPublicValue);
  EXPECT_EQ(x448->ComputeShared(one).error().code, CryptoErrc::kInvalidPublicValue);
  auto peer = KeyExchange::Create(KeGroup::kCurve448, rng);
  EXPECT_TRUE(x448->ComputeShared(peer->PublicValue()).has_value());
}

TEST(Kex, EveryListedGroupWorks) {
  DeterministicRng rng(3);
  for (KeGroup g : SupportedKeGroups()) {
    EXPECT_TRUE(KeyExchange::IsSupported(g));
    auto a = KeyExchange::Create(g, rng);
    auto b = KeyExchange::Create(g, rng);
    ASSERT_TRUE(a && b) << static_cast<int>(g);
    EXPECT_TRUE(ConstantTimeEqual(a->ComputeShared(b->PublicValue())->view(),
                                  b->ComputeShared(a->PublicValue())->view()));
  }
  for (const EncrCapability& e : SupportedEncr()) EXPECT_TRUE(SkCipher::IsSupported(e.id));
}

TEST(Kex, UnsupportedGroup) {
  DeterministicRng rng(1);
  EXPECT_EQ(KeyExchange::Create(KeGroup::kEcp224Bp, rng).error().code, CryptoErrc::kUnsupportedAlgorithm);
  EXPECT_FALSE(KeyExchange::IsSupported(KeGroup::kMlKem768));
}

}  // namespace
}  // namespace ike::crypto
