// Proposal selection (RFC 7296 2.7, 3.3.6) with strongSwan's preference for
// the configured order.
#include <gtest/gtest.h>

#include "libike/engine/sa/proposal.h"

namespace ike::engine {
namespace {

Transform E(EncrId id, uint16_t bits) {
  return Transform{TransformType::kEncr, static_cast<uint16_t>(id), bits};
}
Transform P(PrfId id) { return Transform{TransformType::kPrf, static_cast<uint16_t>(id), 0}; }
Transform I(IntegId id) { return Transform{TransformType::kInteg, static_cast<uint16_t>(id), 0}; }
Transform K(KeGroup g) { return Transform{TransformType::kKe, static_cast<uint16_t>(g), 0}; }
Transform N(EsnId e) { return Transform{TransformType::kEsn, static_cast<uint16_t>(e), 0}; }

Proposal Ike(std::vector<Transform> t, uint8_t number = 1) {
  return Proposal{number, ProtocolId::kIke, {}, std::move(t)};
}
Proposal Esp(std::vector<Transform> t, uint8_t number = 1) {
  return Proposal{number, ProtocolId::kEsp, Bytes{1, 2, 3, 4}, std::move(t)};
}

TEST(ProposalSelection, PicksCommonTransformsInConfiguredOrder) {
  ProposalList offered = {Ike({E(EncrId::kAesCbc, 128), E(EncrId::kAesCbc, 256),
                               P(PrfId::kHmacSha2_256), P(PrfId::kHmacSha2_384),
                               I(IntegId::kHmacSha2_256_128), K(KeGroup::kModp2048),
                               K(KeGroup::kEcp256)},
                              1)};
  ProposalList configured = {Ike({E(EncrId::kAesCbc, 256), E(EncrId::kAesCbc, 128),
                                  P(PrfId::kHmacSha2_384), P(PrfId::kHmacSha2_256),
                                  I(IntegId::kHmacSha2_256_128), K(KeGroup::kEcp256),
                                  K(KeGroup::kModp2048)})};
  auto s = SelectProposal(offered, configured);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->Get(TransformType::kEncr)->key_length, 256);
  EXPECT_EQ(s->Get(TransformType::kPrf)->id, static_cast<uint16_t>(PrfId::kHmacSha2_384));
  EXPECT_EQ(s->ke(), KeGroup::kEcp256);
  EXPECT_EQ(s->transforms.size(), 4u);
  SelectOptions peer_first;
  peer_first.prefer_configured = false;
  auto t = SelectProposal(offered, configured, peer_first);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->Get(TransformType::kEncr)->key_length, 128);
  EXPECT_EQ(t->ke(), KeGroup::kModp2048);
}

TEST(ProposalSelection, KeepsPeerProposalNumberAndSpi) {
  ProposalList offered = {Esp({E(EncrId::kAesCbc, 128), I(IntegId::kHmacSha1_96), N(EsnId::kNoEsn)}, 1),
                          Esp({E(EncrId::kAesGcm16, 256), N(EsnId::kNoEsn)}, 2)};
  ProposalList configured = {Esp({E(EncrId::kAesGcm16, 256), N(EsnId::kNoEsn)})};
  auto s = SelectProposal(offered, configured);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->number, 2);
  EXPECT_EQ(s->spi, (Bytes{1, 2, 3, 4}));
  EXPECT_TRUE(ValidateSelected(*s, offered));
}

TEST(ProposalSelection, KeyLengthMustMatch) {
  ProposalList offered = {Ike({E(EncrId::kAesCbc, 128), P(PrfId::kHmacSha2_256),
                               I(IntegId::kHmacSha2_256_128), K(KeGroup::kModp2048)})};
  ProposalList configured = {Ike({E(EncrId::kAesCbc, 256), P(PrfId::kHmacSha2_256),
                                  I(IntegId::kHmacSha2_256_128), K(KeGroup::kModp2048)})};
  EXPECT_FALSE(SelectProposal(offered, configured));
}

TEST(ProposalSelection, MissingTypeMeansNone) {
  // ESP without ESN transform equals NO_ESN; without KE equals no PFS.
  ProposalList offered = {Esp({E(EncrId::kAesGcm16, 128)})};
  ProposalList configured = {Esp({E(EncrId::kAesGcm16, 128), N(EsnId::kNoEsn)})};
  auto s = SelectProposal(offered, configured);
  ASSERT_TRUE(s);
  ProposalList pfs = {Esp({E(EncrId::kAesGcm16, 128), K(KeGroup::kEcp256), N(EsnId::kNoEsn)})};
  EXPECT_FALSE(SelectProposal(offered, pfs));
  SelectOptions ignore;
  ignore.ignore_ke = true;  // IKE_AUTH
  EXPECT_TRUE(SelectProposal(offered, pfs, ignore));
}

TEST(ProposalSelection, ProtocolMustMatch) {
  ProposalList offered = {Esp({E(EncrId::kAesGcm16, 128)})};
  Proposal ah = Esp({I(IntegId::kHmacSha2_256_128)});
  ah.protocol = ProtocolId::kAh;
  EXPECT_FALSE(SelectProposal(offered, {ah}));
}

TEST(ProposalSelection, ValidateRejectsUnofferedOrMultiple) {
  ProposalList offered = {Ike({E(EncrId::kAesGcm16, 256), P(PrfId::kHmacSha2_384),
                               K(KeGroup::kCurve25519), K(KeGroup::kEcp256)})};
  Proposal good = Ike({E(EncrId::kAesGcm16, 256), P(PrfId::kHmacSha2_384), K(KeGroup::kEcp256)});
  EXPECT_TRUE(ValidateSelected(good, offered));
  Proposal two_groups = offered[0];
  EXPECT_FALSE(ValidateSelected(two_groups, offered));
  Proposal other = Ike({E(EncrId::kAesGcm16, 128), P(PrfId::kHmacSha2_384), K(KeGroup::kEcp256)});
  EXPECT_FALSE(ValidateSelected(other, offered));
  Proposal wrong_number = good;
  wrong_number.number = 2;
  EXPECT_FALSE(ValidateSelected(wrong_number, offered));
}

TEST(ProposalSelection, OffersGroupAndFinalize) {
  ProposalList list = {Ike({E(EncrId::kAesGcm16, 256), P(PrfId::kHmacSha2_384),
                            K(KeGroup::kCurve25519)}),
                       Ike({E(EncrId::kAesCbc, 128), P(PrfId::kHmacSha2_256),
                            I(IntegId::kHmacSha2_256_128), K(KeGroup::kModp2048)})};
  EXPECT_TRUE(OffersGroup(list, KeGroup::kModp2048));
  EXPECT_FALSE(OffersGroup(list, KeGroup::kEcp384));
  Finalize(list, ProtocolId::kIke, {});
  EXPECT_EQ(list[1].number, 2);
}

}  // namespace
}  // namespace ike::engine

#include "libike/engine/sa/proposal_convert.h"

namespace ike::engine {
namespace {

TEST(ProposalConvert, StrongSwanKeywordsSelectAcrossPeers) {
  auto ours = ike::ParseProposals("aes256gcm16-prfsha384-ecp384, aes128-sha256-modp2048",
                                  ProposalKind::kIke);
  auto theirs = ike::ParseProposals("aes128-sha256-modp2048", ProposalKind::kIke);
  ASSERT_TRUE(ours);
  ASSERT_TRUE(theirs);
  ProposalList a = FromConfigProposals(*ours);
  ProposalList b = FromConfigProposals(*theirs);
  Finalize(a, ProtocolId::kIke, {});
  Finalize(b, ProtocolId::kIke, {});
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].Get(TransformType::kEncr)->key_length, 256);
  auto s = SelectProposal(b, a);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->ke(), KeGroup::kModp2048);
  EXPECT_EQ(s->Get(TransformType::kInteg)->id,
            static_cast<uint16_t>(IntegId::kHmacSha2_256_128));
  auto esp = ike::ParseProposals("aes128gcm16", ProposalKind::kEsp);
  ASSERT_TRUE(esp);
  Proposal e = FromConfigProposal(esp->front());
  EXPECT_EQ(e.protocol, ProtocolId::kEsp);
  EXPECT_TRUE(e.Has(TransformType::kEsn, 0));
}

}  // namespace
}  // namespace ike::engine
