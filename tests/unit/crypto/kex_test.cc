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
