// Certificate authentication over SimNet: RFC 7427 signatures with RSA,
// ECDSA and Ed25519, classic methods, chain validation against a CA through
// an intermediate, failures for untrusted and expired certificates, and a
// large chain that needs IKE fragmentation.
#include <gtest/gtest.h>

#include "tests/sim/cert_util.h"
#include "tests/sim/scenario_util.h"

namespace ike::sim {
namespace {

using engine::EventKind;

struct Pki {
  KeyCert ca, inter, moon, sun;
  Pki(KeyKind kind, Validity moon_validity = {}) {
    ca = MakeCa(kind, "Example Root CA");
    inter = MakeCert(kind, "Example Intermediate CA", {}, ca, true);
    moon = MakeCert(kind, "moon.example.org", {"moon.example.org"}, inter, false, moon_validity);
    sun = MakeCert(kind, "sun.example.org", {"sun.example.org"}, inter);
  }
};

engine::PeerConfig CertConfig(PeerSpec spec, const KeyCert& own, const KeyCert& inter,
                              const Bytes& trusted_ca) {
  engine::PeerConfig c = PskConfig(spec);
  c.local_auth.kind = engine::AuthKind::kPubkey;
  c.local_auth.psk = SecretBytes();
  c.local_auth.certs = {own.cert, inter.cert};
  c.local_auth.private_key_der = own.key;
  c.remote_auth.kind = engine::AuthKind::kPubkey;
  c.remote_auth.psk = SecretBytes();
  c.remote_auth.ca_certs = {trusted_ca};
  return c;
}

bool BothUp(Pair& p) {
  return p.moon->Established("gw") && p.sun->Established("gw") &&
         p.moon->backend().sa_count() == 2 && p.sun->backend().sa_count() == 2;
}

class CertTunnel : public ::testing::TestWithParam<KeyKind> {};

TEST_P(CertTunnel, EstablishesWithChainAndRfc7427) {
  Pki pki(GetParam());
  Pair p(21);
  p.moon->engine().AddConfig(CertConfig(MoonSpec(), pki.moon, pki.inter, pki.ca.cert));
  p.sun->engine().AddConfig(CertConfig(SunSpec(), pki.sun, pki.inter, pki.ca.cert));
  p.net.Initiate(*p.moon, "gw");
  ASSERT_TRUE(p.net.RunUntil([&] { return BothUp(p); }, std::chrono::seconds(10)))
      << (p.moon->events().empty() ? "" : p.moon->events().back().reason);
  EXPECT_EQ(CheckSaPairs(p.moon->backend(), p.sun->backend()), "");
  EXPECT_EQ(p.sun->Established("gw")->peer_id()->ToString(), "moon.example.org");
}

INSTANTIATE_TEST_SUITE_P(Keys, CertTunnel,
                         ::testing::Values(KeyKind::kRsa2048, KeyKind::kEcP256, KeyKind::kEcP384,
                                           KeyKind::kEd25519));

// The key and trust anchors are parsed once per configuration: every
// IKE_SA of a connection shares that snapshot, and a reload gives new SAs
// a new one while the running SA keeps its own.
TEST(CertMaterial, ParsedOncePerConfigurationAndKeptAcrossReload) {
  Pki pki(KeyKind::kEcP256);
  Pair p(23);
  p.moon->engine().AddConfig(CertConfig(MoonSpec(), pki.moon, pki.inter, pki.ca.cert));
  p.sun->engine().AddConfig(CertConfig(SunSpec(), pki.sun, pki.inter, pki.ca.cert));
  const engine::PeerConfig* sun_gw = p.sun->engine().FindConfig("gw");
  ASSERT_NE(sun_gw, nullptr);
  ASSERT_NE(sun_gw->local_auth.pubkey, nullptr);
  ASSERT_NE(sun_gw->remote_auth.pubkey, nullptr);
  auto before = sun_gw->local_auth.pubkey;
  p.net.Initiate(*p.moon, "gw");
  ASSERT_TRUE(p.net.RunUntil([&] { return BothUp(p); }, std::chrono::seconds(10)));
  const engine::IkeSa* sa = p.sun->Established("gw");
  ASSERT_NE(sa, nullptr);
  EXPECT_EQ(sa->config().local_auth.pubkey, before);
  // Reload: the CA is not trusted any more.
  std::vector<engine::PeerConfig> reloaded;
  reloaded.push_back(CertConfig(SunSpec(), pki.sun, pki.inter, pki.sun.cert));
  p.sun->engine().SetConfigs(std::move(reloaded));
  EXPECT_NE(p.sun->engine().FindConfig("gw")->local_auth.pubkey, before);
  EXPECT_EQ(p.sun->Established("gw")->config().local_auth.pubkey, before);
  EXPECT_EQ(p.sun->engine().half_open(), 0u);
}

class ClassicTunnel : public ::testing::TestWithParam<KeyKind> {};

TEST_P(ClassicTunnel, EstablishesWithoutSignatureHashNotify) {
  Pki pki(GetParam());
  Pair p(22);
  auto m = CertConfig(MoonSpec(), pki.moon, pki.inter, pki.ca.cert);
  auto s = CertConfig(SunSpec(), pki.sun, pki.inter, pki.ca.cert);
  m.signature_authentication = s.signature_authentication = false;
  p.moon->engine().AddConfig(std::move(m));
  p.sun->engine().AddConfig(std::move(s));
  p.net.Initiate(*p.moon, "gw");
  ASSERT_TRUE(p.net.RunUntil([&] { return BothUp(p); }, std::chrono::seconds(10)))
      << (p.moon->events().empty() ? "" : p.moon->events().back().reason);
}

INSTANTIATE_TEST_SUITE_P(Keys, ClassicTunnel,
                         ::testing::Values(KeyKind::kRsa2048, KeyKind::kEcP256));

TEST(CertFailure, UntrustedCaFailsCleanly) {
  Pki pki(KeyKind::kEcP256);
  KeyCert other = MakeCa(KeyKind::kEcP256, "Someone Else CA");
  Pair p(23);
  p.moon->engine().AddConfig(CertConfig(MoonSpec(), pki.moon, pki.inter, pki.ca.cert));
  p.sun->engine().AddConfig(CertConfig(SunSpec(), pki.sun, pki.inter, other.cert));
  p.net.Initiate(*p.moon, "gw");
  p.net.RunFor(std::chrono::seconds(30));
  EXPECT_TRUE(p.moon->engine().sas().empty());
  EXPECT_TRUE(p.sun->engine().sas().empty());
  ASSERT_EQ(p.sun->CountEvents(EventKind::kIkeDown), 1u);
  EXPECT_NE(p.sun->events().back().reason.find("certificate chain invalid"), std::string::npos)
      << p.sun->events().back().reason;
  ASSERT_EQ(p.moon->CountEvents(EventKind::kIkeDown), 1u);
  EXPECT_NE(p.moon->events().back().reason.find("AUTHENTICATION_FAILED"), std::string::npos);
  EXPECT_EQ(p.moon->backend().sa_count() + p.sun->backend().sa_count(), 0u);
  EXPECT_EQ(p.moon->backend().larval_count() + p.sun->backend().larval_count(), 0u);
}

TEST(CertFailure, ExpiredCertificateFailsCleanly) {
  Validity expired{1577836800, 1609459200};  // 2020
  Pki pki(KeyKind::kEcP256, expired);
  Pair p(24);
  p.moon->engine().AddConfig(CertConfig(MoonSpec(), pki.moon, pki.inter, pki.ca.cert));
  p.sun->engine().AddConfig(CertConfig(SunSpec(), pki.sun, pki.inter, pki.ca.cert));
  p.net.Initiate(*p.moon, "gw");
  p.net.RunFor(std::chrono::seconds(30));
  EXPECT_TRUE(p.sun->engine().sas().empty());
  ASSERT_EQ(p.sun->CountEvents(EventKind::kIkeDown), 1u);
  EXPECT_NE(p.sun->events().back().reason.find("expired"), std::string::npos)
      << p.sun->events().back().reason;
  EXPECT_EQ(p.moon->CountEvents(EventKind::kIkeDown), 1u);
}

TEST(CertFailure, IdentityNotInCertificate) {
  Pki pki(KeyKind::kEcP256);
  Pair p(25);
  auto moon = MoonSpec();
  moon.local_id = "mars.example.org";  // not in moon's certificate
  auto sun = SunSpec();
  sun.remote_id = "mars.example.org";
  p.moon->engine().AddConfig(CertConfig(moon, pki.moon, pki.inter, pki.ca.cert));
  p.sun->engine().AddConfig(CertConfig(sun, pki.sun, pki.inter, pki.ca.cert));
  p.net.Initiate(*p.moon, "gw");
  p.net.RunFor(std::chrono::seconds(30));
  ASSERT_EQ(p.sun->CountEvents(EventKind::kIkeDown), 1u);
  EXPECT_NE(p.sun->events().back().reason.find("not in the certificate"), std::string::npos)
      << p.sun->events().back().reason;
}

TEST(CertFragmentation, LargeRsaChainIsFragmented) {
  // Two RSA certificates plus a 2048-bit signature exceed 1280 octets.
  Pki pki(KeyKind::kRsa2048);
  Pair p(26);
  p.moon->engine().AddConfig(CertConfig(MoonSpec(), pki.moon, pki.inter, pki.ca.cert));
  p.sun->engine().AddConfig(CertConfig(SunSpec(), pki.sun, pki.inter, pki.ca.cert));
  p.net.Initiate(*p.moon, "gw");
  ASSERT_TRUE(p.net.RunUntil([&] { return BothUp(p); }, std::chrono::seconds(10)));
  size_t fragments = 0;
  for (const auto& pkt : p.net.captured()) {
    if (pkt.is(ExchangeType::kIkeAuth, false)) {
      ++fragments;
      EXPECT_LE(pkt.bytes.size(), 1280u);
    }
  }
  EXPECT_GE(fragments, 2u);
}

}  // namespace
}  // namespace ike::sim
