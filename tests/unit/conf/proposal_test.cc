#include "libike/proposal/proposal.h"

#include <gtest/gtest.h>

namespace ike {
namespace {

Proposal One(std::string_view text, ProposalKind kind) {
  auto r = ParseProposal(text, kind);
  EXPECT_TRUE(r.has_value()) << text << ": " << (r ? "" : r.error().message);
  return r ? *r : Proposal{};
}

TEST(Proposal, IkeCbcWithIntegrityImpliesPrf) {
  Proposal p = One("aes256-sha256-modp2048", ProposalKind::kIke);
  ASSERT_EQ(p.encr.size(), 1u);
  EXPECT_EQ(p.encr[0], (EncrTransform{EncrId::kAesCbc, 256}));
  EXPECT_EQ(p.integ, std::vector<IntegId>{IntegId::kHmacSha2_256_128});
  EXPECT_EQ(p.prf, std::vector<PrfId>{PrfId::kHmacSha2_256});
  EXPECT_EQ(p.ke, std::vector<KeGroup>{KeGroup::kModp2048});
  EXPECT_TRUE(p.esn.empty());
  EXPECT_FALSE(p.IsAead());
}

TEST(Proposal, IkeExplicitPrfWins) {
  Proposal p = One("aes128-sha1-prfsha384-ecp256", ProposalKind::kIke);
  EXPECT_EQ(p.prf, std::vector<PrfId>{PrfId::kHmacSha2_384});
  EXPECT_EQ(p.integ, std::vector<IntegId>{IntegId::kHmacSha1_96});
}

TEST(Proposal, IkeAeadIntegrityKeywordBecomesPrf) {
  Proposal p = One("aes256gcm16-sha384-ecp384", ProposalKind::kIke);
  EXPECT_TRUE(p.IsAead());
  EXPECT_TRUE(p.integ.empty());
  EXPECT_EQ(p.prf, std::vector<PrfId>{PrfId::kHmacSha2_384});
  EXPECT_EQ(p.encr[0], (EncrTransform{EncrId::kAesGcm16, 256}));
}

TEST(Proposal, GcmAndCcmAliases) {
  EXPECT_EQ(One("aes128gcm8", ProposalKind::kEsp).encr[0], (EncrTransform{EncrId::kAesGcm8, 128}));
  EXPECT_EQ(One("aes128gcm64", ProposalKind::kEsp).encr[0], (EncrTransform{EncrId::kAesGcm8, 128}));
  EXPECT_EQ(One("aes192gcm12", ProposalKind::kEsp).encr[0], (EncrTransform{EncrId::kAesGcm12, 192}));
  EXPECT_EQ(One("aes192gcm96", ProposalKind::kEsp).encr[0], (EncrTransform{EncrId::kAesGcm12, 192}));
  EXPECT_EQ(One("aes256gcm128", ProposalKind::kEsp).encr[0], (EncrTransform{EncrId::kAesGcm16, 256}));
  EXPECT_EQ(One("aes256ccm16", ProposalKind::kEsp).encr[0], (EncrTransform{EncrId::kAesCcm16, 256}));
  EXPECT_EQ(One("chacha20poly1305", ProposalKind::kEsp).encr[0],
            (EncrTransform{EncrId::kChaCha20Poly1305, 0}));
  EXPECT_EQ(One("aes128ctr-sha256", ProposalKind::kEsp).encr[0],
            (EncrTransform{EncrId::kAesCtr, 128}));
  EXPECT_EQ(One("3des-sha1", ProposalKind::kEsp).encr[0], (EncrTransform{EncrId::k3Des, 0}));
  EXPECT_EQ(One("aes256gmac", ProposalKind::kEsp).encr[0],
            (EncrTransform{EncrId::kNullAuthAesGmac, 256}));
}

TEST(Proposal, KeyExchangeKeywords) {
  Proposal p = One("aes128-sha256-x25519-curve448-ecp521-modp4096-modp3072", ProposalKind::kIke);
  EXPECT_EQ(p.ke, (std::vector<KeGroup>{KeGroup::kCurve25519, KeGroup::kCurve448,
                                        KeGroup::kEcp521, KeGroup::kModp4096,
                                        KeGroup::kModp3072}));
  EXPECT_EQ(One("aes128-sha256-curve25519", ProposalKind::kIke).ke[0], KeGroup::kCurve25519);
  EXPECT_EQ(One("aes128-sha256-x448", ProposalKind::kIke).ke[0], KeGroup::kCurve448);
}

TEST(Proposal, AdditionalKeyExchanges) {
  Proposal p = One("aes256gcm16-prfsha256-x25519-ke1_mlkem768-ke2_none", ProposalKind::kIke);
  EXPECT_EQ(p.additional_ke[0], std::vector<KeGroup>{KeGroup::kMlKem768});
  EXPECT_EQ(p.additional_ke[1], std::vector<KeGroup>{KeGroup::kNone});
  EXPECT_EQ(ToString(p), "aes256gcm16-prfsha256-x25519-ke1_mlkem768-ke2_none");
}

TEST(Proposal, PrfKeywords) {
  Proposal p = One("aes128-aesxcbc-prfaesxcbc-prfaescmac-prfsha512-prfsha1-modp2048",
                   ProposalKind::kIke);
  EXPECT_EQ(p.prf, (std::vector<PrfId>{PrfId::kAes128Xcbc, PrfId::kAes128Cmac,
                                       PrfId::kHmacSha2_512, PrfId::kHmacSha1}));
  EXPECT_EQ(p.integ, std::vector<IntegId>{IntegId::kAesXcbc96});
  EXPECT_EQ(One("aes128-aescmac-modp2048", ProposalKind::kIke).prf,
            std::vector<PrfId>{PrfId::kAes128Cmac});
}

TEST(Proposal, EspEsnDefaultsToNoEsn) {
  Proposal p = One("aes128-sha256", ProposalKind::kEsp);
  EXPECT_EQ(p.esn, std::vector<EsnId>{EsnId::kNoEsn});
  Proposal q = One("aes128gcm16-esn-noesn-modp2048", ProposalKind::kEsp);
  EXPECT_EQ(q.esn, (std::vector<EsnId>{EsnId::kEsn, EsnId::kNoEsn}));
  EXPECT_EQ(q.ke, std::vector<KeGroup>{KeGroup::kModp2048});  // PFS group
}

TEST(Proposal, EspAeadDropsIntegrityKeywords) {
  Proposal p = One("aes128gcm16-sha256-modp2048", ProposalKind::kEsp);
  EXPECT_TRUE(p.integ.empty());
  EXPECT_EQ(ToString(p), "aes128gcm16-modp2048");
}

TEST(Proposal, AhIntegrityOnly) {
  Proposal p = One("sha256-sha512-aes128gmac", ProposalKind::kAh);
  EXPECT_EQ(p.integ, (std::vector<IntegId>{IntegId::kHmacSha2_256_128,
                                           IntegId::kHmacSha2_512_256, IntegId::kAes128Gmac}));
  EXPECT_TRUE(p.encr.empty());
}

struct BadCase {
  const char* text;
  ProposalKind kind;
  const char* keyword;
  const char* message;
};

TEST(Proposal, ErrorsNameTheKeyword) {
  const BadCase cases[] = {
      {"aes257-sha256-modp2048", ProposalKind::kIke, "aes257", "unknown algorithm keyword 'aes257'"},
      {"aes128-sha256-modp2047", ProposalKind::kIke, "modp2047", "unknown algorithm keyword 'modp2047'"},
      {"aes128-sha256", ProposalKind::kIke, "aes128-sha256",
       "IKE proposal 'aes128-sha256' has no key exchange method"},
      {"aes128-modp2048", ProposalKind::kIke, "aes128-modp2048",
       "IKE proposal 'aes128-modp2048' has no integrity algorithm"},
      {"aes128gcm16-modp2048", ProposalKind::kIke, "aes128gcm16-modp2048",
       "IKE proposal 'aes128gcm16-modp2048' has no PRF"},
      {"aes128-prfsha256", ProposalKind::kEsp, "prfsha256", "'prfsha256' is not valid in ESP proposals"},
      {"aes128", ProposalKind::kEsp, "aes128", "ESP proposal 'aes128' has no integrity algorithm"},
      {"aes128-sha256", ProposalKind::kAh, "aes128", "encryption algorithm 'aes128' is not valid in AH proposals"},
      {"aes128-sha256-esn-modp2048", ProposalKind::kIke, "esn", "'esn' is not valid in IKE proposals"},
      {"aes128-sha256-ke1_foo-modp2048", ProposalKind::kIke, "ke1_foo",
       "unknown key exchange method 'foo' in 'ke1_foo'"},
      {"aes128--sha256", ProposalKind::kEsp, "aes128--sha256", "empty algorithm keyword in 'aes128--sha256'"},
      {"aes128-aes128gcm16-sha256", ProposalKind::kEsp, "aes128-aes128gcm16-sha256",
       "proposal 'aes128-aes128gcm16-sha256' mixes AEAD and non-AEAD encryption algorithms"},
  };
  for (const auto& c : cases) {
    auto r = ParseProposal(c.text, c.kind);
    ASSERT_FALSE(r.has_value()) << c.text;
    EXPECT_EQ(r.error().keyword, c.keyword) << c.text;
    EXPECT_EQ(r.error().message, c.message) << c.text;
  }
}

TEST(Proposal, ListWithDefault) {
  auto r = ParseProposals("aes256gcm16-prfsha256-x25519, default", ProposalKind::kIke);
  ASSERT_TRUE(r.has_value());
  auto defaults = DefaultProposals(ProposalKind::kIke);
  ASSERT_EQ(r->size(), 1 + defaults.size());
  EXPECT_EQ((*r)[1], defaults[0]);
  EXPECT_TRUE(defaults[0].IsAead());
  EXPECT_FALSE(defaults[1].IsAead());
  for (auto kind : {ProposalKind::kIke, ProposalKind::kEsp, ProposalKind::kAh}) {
    for (const auto& p : DefaultProposals(kind)) {
      // Defaults print in keyword notation and parse back to themselves.
      auto back = ParseProposal(ToString(p), kind);
      ASSERT_TRUE(back.has_value()) << ToString(p);
      EXPECT_EQ(*back, p) << ToString(p);
    }
  }
}

TEST(Proposal, ListErrors) {
  EXPECT_FALSE(ParseProposals("", ProposalKind::kEsp).has_value());
  auto r = ParseProposals("aes128-sha256, aes128-sha257", ProposalKind::kEsp);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().keyword, "sha257");
  auto d = ParseProposals("aes128-default", ProposalKind::kEsp);
  ASSERT_FALSE(d.has_value());
  EXPECT_EQ(d.error().keyword, "default");
}

TEST(Proposal, StrictSuffix) {
  std::string list = "aes256-sha256-modp2048!, aes128-sha1-modp2048 !";
  EXPECT_TRUE(StripStrictSuffix(list));
  EXPECT_EQ(list, "aes256-sha256-modp2048, aes128-sha1-modp2048 ");
  std::string clean = "aes256-sha256-modp2048";
  EXPECT_FALSE(StripStrictSuffix(clean));
  auto r = ParseProposal("aes256-sha256-modp2048!", ProposalKind::kIke);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().keyword, "modp2048!");
}

TEST(Proposal, ToStringRoundTrip) {
  const char* texts[] = {"aes128-sha256-prfsha256-modp2048",
                         "aes256gcm16-aes128gcm16-prfsha384-ecp384-x25519",
                         "aes128ctr-aes256-sha512-sha1-prfsha1-ecp256bp",
                         "chacha20poly1305-prfsha256-x448-ke1_mlkem768"};
  for (const char* t : texts) {
    Proposal p = One(t, ProposalKind::kIke);
    EXPECT_EQ(ToString(p), t);
  }
  Proposal esp = One("aes128gcm16-esn", ProposalKind::kEsp);
  EXPECT_EQ(ToString(esp), "aes128gcm16-esn");
  Proposal sha = One("aes-sha-modp2048", ProposalKind::kIke);
  EXPECT_EQ(ToString(sha), "aes128-sha1-prfsha1-modp2048");
  EXPECT_EQ(ToString(std::vector<Proposal>{sha, esp}),
            "aes128-sha1-prfsha1-modp2048, aes128gcm16-esn");
}

TEST(Proposal, KeywordsAreCaseInsensitive) {
  Proposal p = One("AES256-SHA256-MODP2048", ProposalKind::kIke);
  EXPECT_EQ(p.encr[0], (EncrTransform{EncrId::kAesCbc, 256}));
}

}  // namespace
}  // namespace ike
