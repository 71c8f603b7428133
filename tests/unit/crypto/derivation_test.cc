// Key derivation with fixed inputs, and two endpoints deriving the same SA.
#include <gtest/gtest.h>

#include <algorithm>

#include "libike/crypto/algorithms.h"
#include "libike/crypto/key_derivation.h"
#include "libike/crypto/key_exchange.h"
#include "libike/crypto/sk_cipher.h"

namespace ike::crypto {
namespace {

Bytes Range(int from, int to) {
  Bytes b;
  for (int i = from; i < to; ++i) b.push_back(static_cast<uint8_t>(i));
  return b;
}

// Expected values were computed independently with Python's hmac/hashlib
// modules (a separate HMAC and prf+ implementation), for
// Ni = 00..1f, Nr = a0..bf, g^ir = 00..ff, SPIi = 0102..08, SPIr = 1112..18,
// PRF HMAC-SHA2-256, AES-CBC-256, HMAC-SHA2-256-128.
TEST(KeyDerivationFixed, IkeSaKeysHmacSha256) {
  auto prf = Prf::Create(PrfId::kHmacSha2_256);
  const Bytes ni = Range(0x00, 0x20), nr = Range(0xa0, 0xc0), gir = Range(0, 256);
  auto skeyseed = ComputeSkeyseed(*prf, ni, nr, gir);
  ASSERT_TRUE(skeyseed.has_value());
  EXPECT_EQ(ToHex(skeyseed->view()), "d9f86415b32a477ae5ef08cf3318e2ec1ad5df8b2e0214834dfa20ab2be95d59");
  auto lengths = IkeSaKeyLengthsFor(PrfId::kHmacSha2_256, EncrId::kAesCbc, 256, IntegId::kHmacSha2_256_128);
  auto keys = DeriveIkeSaKeys(*prf, skeyseed->view(), ni, nr, HexOrDie("0102030405060708"),
                              HexOrDie("1112131415161718"), *lengths);
  ASSERT_TRUE(keys.has_value());
  EXPECT_EQ(ToHex(keys->sk_d.view()), "99c7d1b64f854e369c139ce34b58f33c8be2b1a3597398efd4d84b7cf3515c3e");
  EXPECT_EQ(ToHex(keys->sk_ai.view()), "c4c07025c38f55275b9e3f644516db8047783bcbea0049ea30673b4429548f2f");
  EXPECT_EQ(ToHex(keys->sk_ar.view()), "17d48380ccf18af4f26d7402989c06c12b815dfaabe904635e65422c96e69c22");
  EXPECT_EQ(ToHex(keys->sk_ei.view()), "4292fde316c35cafda5e6db72c39f90d2c66d9a958632a11663d15d7384d2d0f");
  EXPECT_EQ(ToHex(keys->sk_er.view()), "292f774cead568e30ac96bf74de0dd558cccf52bacb5c617f69014af7fa6b680");
  EXPECT_EQ(ToHex(keys->sk_pi.view()), "3c8993fed7ea81a2997072bbc3b10d5579ed2796b9e19d689cf43a01fb90d7e1");
  EXPECT_EQ(ToHex(keys->sk_pr.view()), "4aba40232978f0369887fcb99419335ec03991373748217c9901fed2e10385f4");

  // CHILD_SA KEYMAT for AES-GCM-16-256 (36-byte keys incl. salt), no PFS.
  ChildSaKeyLengths gcm{*EncrKeyMaterialSize(EncrId::kAesGcm16, 256), 0};
  auto child = DeriveChildSaKeys(*prf, keys->sk_d.view(), std::nullopt, ni, nr, gcm);
  ASSERT_TRUE(child.has_value());
  EXPECT_EQ(ToHex(child->encr_i.view()), "ec0b78df5b2c5610bb90df7b584a3fc9c9e6bae045c6c89469ded151e5bc78af57a8c293");
  EXPECT_EQ(ToHex(child->encr_r.view()), "8f8cd0ae0ab6f6a6f00d363f4f48a93c88099ee340e91353be33744d2a51966a8080c1e4");
  // With PFS, g^ir (new) = ff..00.
  Bytes gir_new = Range(0, 256);
  std::reverse(gir_new.begin(), gir_new.end());
  auto pfs = DeriveChildSaKeys(*prf, keys->sk_d.view(), ByteView(gir_new), ni, nr, gcm);
  EXPECT_EQ(ToHex(pfs->encr_i.view()), "bca483b815769f2adefc71bceb4861fb6c235785f8e90e2f378ffa1dc4e3bfeaa05e7289");
  // IKE SA rekey: SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr).
  auto rekey = ComputeRekeySkeyseed(*prf, keys->sk_d.view(), gir_new, ni, nr);
  EXPECT_EQ(ToHex(rekey->view()), "71bc13f94d4edeea48f2bb4d6c5acbf8586e95a8f87cc9e2360ca19a1b3fe6cf");
}

struct Proposal {
  PrfId prf;
  EncrId encr;
  uint16_t bits;
  IntegId integ;
  KeGroup group;
};

class TwoEndpoints : public ::testing::TestWithParam<Proposal> {};

// Initiator and responder, each with only its own private key and the
// peer's public values, derive the same SA: a message protected by one
// opens at the other, in both directions; the CHILD_SA keys agree too.
TEST_P(TwoEndpoints, DeriveTheSameKeys) {
  const Proposal& p = GetParam();
  DeterministicRng rng_i(100), rng_r(200);
  auto prf = Prf::Create(p.prf);
  ASSERT_TRUE(prf.has_value());
  const Bytes ni = rng_i.Generate(32), nr = rng_r.Generate(32);
  const Bytes spi_i = rng_i.Generate(8), spi_r = rng_r.Generate(8);
  auto ke_i = KeyExchange::Create(p.group, rng_i);
  auto ke_r = KeyExchange::Create(p.group, rng_r);
  ASSERT_TRUE(ke_i && ke_r);
  auto lengths = IkeSaKeyLengthsFor(p.prf, p.encr, p.bits, p.integ);
  ASSERT_TRUE(lengths.has_value());

  auto derive = [&](const KeyExchange& own, const Bytes& peer_public) {
    auto gir = own.ComputeShared(peer_public);
    EXPECT_TRUE(gir.has_value());
    auto seed = ComputeSkeyseed(*prf, ni, nr, gir->view());
    return std::move(DeriveIkeSaKeys(*prf, seed->view(), ni, nr, spi_i, spi_r, *lengths)).value();
  };
  IkeSaKeys keys_i = derive(*ke_i, ke_r->PublicValue());
  IkeSaKeys keys_r = derive(*ke_r, ke_i->PublicValue());
  EXPECT_TRUE(ConstantTimeEqual(keys_i.sk_d.view(), keys_r.sk_d.view()));
  EXPECT_TRUE(ConstantTimeEqual(keys_i.sk_pr.view(), keys_r.sk_pr.view()));

  auto ciphers_i = CreateSkCiphers(keys_i, Role::kInitiator, p.encr, p.bits, p.integ);
  auto ciphers_r = CreateSkCiphers(keys_r, Role::kResponder, p.encr, p.bits, p.integ);
  ASSERT_TRUE(ciphers_i && ciphers_r);
  const Bytes header = HexOrDie("000102030405060708090a0b0c0d0e0f2e202308000000010000004c2b000030");
  const Bytes inner = HexOrDie("2400000c01000000c0000201270000080200000100000008");
  // IKE_AUTH request -->
  auto request = ciphers_i->outbound.Protect(header, inner, rng_i);
  auto at_responder = ciphers_r->inbound.Unprotect(header, *request);
  ASSERT_TRUE(at_responder.has_value());
  EXPECT_EQ(*at_responder, inner);
  // A message is not accepted by the direction that sent it.
  EXPECT_EQ(ciphers_i->inbound.Unprotect(header, *request).error().code, CryptoErrc::kIntegrityCheckFailed);
  // <-- IKE_AUTH response
  auto response = ciphers_r->outbound.Protect(header, inner, rng_r);
  auto at_initiator = ciphers_i->inbound.Unprotect(header, *response);
  ASSERT_TRUE(at_initiator.has_value());
  EXPECT_EQ(*at_initiator, inner);

  ChildSaKeyLengths child{*EncrKeyMaterialSize(EncrId::kAesGcm16, 128), 0};
  auto child_i = DeriveChildSaKeys(*prf, keys_i.sk_d.view(), std::nullopt, ni, nr, child);
  auto child_r = DeriveChildSaKeys(*prf, keys_r.sk_d.view(), std::nullopt, ni, nr, child);
  EXPECT_TRUE(ConstantTimeEqual(child_i->encr_i.view(), child_r->encr_i.view()));
  EXPECT_TRUE(ConstantTimeEqual(child_i->encr_r.view(), child_r->encr_r.view()));
}

INSTANTIATE_TEST_SUITE_P(
    Proposals, TwoEndpoints,
    ::testing::Values(Proposal{PrfId::kHmacSha2_256, EncrId::kAesGcm16, 256, IntegId::kNone, KeGroup::kCurve25519},
                      Proposal{PrfId::kHmacSha2_384, EncrId::kAesCbc, 256, IntegId::kHmacSha2_384_192,
                               KeGroup::kEcp384},
                      Proposal{PrfId::kAes128Xcbc, EncrId::kAesCbc, 128, IntegId::kAesXcbc96, KeGroup::kModp2048},
                      Proposal{PrfId::kAes128Cmac, EncrId::kAesCbc, 128, IntegId::kAesCmac96, KeGroup::kEcp256},
                      Proposal{PrfId::kHmacSha2_512, EncrId::kChaCha20Poly1305, 0, IntegId::kNone,
                               KeGroup::kCurve448},
                      Proposal{PrfId::kHmacSha1, EncrId::kAesCbc, 128, IntegId::kHmacSha1_96, KeGroup::kModp3072}));

}  // namespace
}  // namespace ike::crypto
