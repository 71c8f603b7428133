#include "charon/daemon/config_map.h"

#include <gtest/gtest.h>

#include "conf/loader.h"

namespace ike::charon {
namespace {

conf::Config Parse(const std::string& text) {
  auto r = conf::ParseConfigString(text, "test.conf");
  if (!r) {
    ADD_FAILURE() << conf::FormatDiagnostics(r.error());
    return conf::Config{};
  }
  return std::move(*r);
}

struct Mapped {
  std::vector<MappedConnection> conns;
  std::vector<std::string> skipped;
};

// As if the engine ran XAuth (MapOptions::engine_runs_xauth), so the XAuth
// mapping can be checked; ConfigMapIkev1.XauthWaitsForTheEngine covers the
// default.
Mapped Map(const std::string& text, bool xauth = true) {
  conf::Config c = Parse(text);
  Mapped m;
  m.conns = MapConfig(c, m.skipped, MapOptions{.engine_runs_xauth = xauth});
  return m;
}

const std::string kSecrets =
    "secrets {\n  ike-1 {\n    id-a = gw.example\n    id-b = peer.example\n    secret = psk-value-0123\n  }\n"
    "  xauth-alice {\n    id = alice\n    secret = alice-password\n  }\n"
    "  xauth-bob {\n    id = bob@example.org\n    secret = bob-password\n  }\n}\n";

std::string Conn(const std::string& settings, const std::string& rounds = "") {
  return "connections {\n  c {\n    remote_addrs = 198.51.100.2\n" + settings +
         "    local {\n      auth = psk\n      id = gw.example\n    }\n"
         "    remote {\n      auth = psk\n      id = peer.example\n    }\n" +
         rounds + "    children {\n      net {\n        esp_proposals = aes128-sha256-modp2048\n      }\n    }\n  }\n}\n" +
         kSecrets;
}

bool HasTransform(const engine::Proposal& p, TransformType type, uint16_t id) {
  for (const auto& t : p.transforms) {
    if (t.type == type && t.id == id) return true;
  }
  return false;
}

TEST(ConfigMapIkev1, VersionOneRunsWithItsProposals) {
  Mapped m = Map(Conn("    version = 1\n    proposals = aes256-sha256-modp2048, 3des-sha1-modp1024\n"));
  ASSERT_TRUE(m.skipped.empty()) << m.skipped.front();
  ASSERT_EQ(m.conns.size(), 1u);
  const auto& p = m.conns[0].peer;
  EXPECT_EQ(p.version, 1u);
  EXPECT_FALSE(p.aggressive);
  EXPECT_FALSE(p.xauth_local.enabled);
  EXPECT_FALSE(p.xauth_remote.enabled);
  ASSERT_EQ(p.ike_proposals.size(), 2u);
  EXPECT_TRUE(HasTransform(p.ike_proposals[0], TransformType::kEncr, static_cast<uint16_t>(EncrId::kAesCbc)));
  EXPECT_TRUE(HasTransform(p.ike_proposals[0], TransformType::kInteg,
                           static_cast<uint16_t>(IntegId::kHmacSha2_256_128)));
  EXPECT_TRUE(HasTransform(p.ike_proposals[0], TransformType::kKe, static_cast<uint16_t>(KeGroup::kModp2048)));
  EXPECT_TRUE(HasTransform(p.ike_proposals[1], TransformType::kEncr, static_cast<uint16_t>(EncrId::k3Des)));
  EXPECT_TRUE(HasTransform(p.ike_proposals[1], TransformType::kKe, static_cast<uint16_t>(KeGroup::kModp1024)));
  EXPECT_EQ(p.local_auth.kind, engine::AuthKind::kPsk);
  EXPECT_FALSE(p.local_auth.psk.empty());
  // Quick Mode with PFS: the DH group of esp_proposals travels with the child.
  ASSERT_EQ(p.children.size(), 1u);
  ASSERT_EQ(p.children[0].esp_proposals.size(), 1u);
  EXPECT_TRUE(HasTransform(p.children[0].esp_proposals[0], TransformType::kKe,
                           static_cast<uint16_t>(KeGroup::kModp2048)));
}

TEST(ConfigMapIkev1, DefaultProposalsLoseTheirAeadPartForIkev1) {
  Mapped m = Map(Conn("    version = 1\n"));
  ASSERT_EQ(m.conns.size(), 1u) << (m.skipped.empty() ? "" : m.skipped.front());
  const auto& list = m.conns[0].peer.ike_proposals;
  ASSERT_FALSE(list.empty());
  for (size_t i = 0; i < list.size(); ++i) {
    EXPECT_EQ(list[i].number, i + 1);
    EXPECT_FALSE(HasTransform(list[i], TransformType::kEncr, static_cast<uint16_t>(EncrId::kAesGcm16)));
  }
}

TEST(ConfigMapIkev1, VersionZeroAcceptsEitherAndKeepsEveryProposal) {
  Mapped v0 = Map(Conn(""));
  ASSERT_EQ(v0.conns.size(), 1u);
  EXPECT_EQ(v0.conns[0].peer.version, 0u);
  EXPECT_EQ(v0.conns[0].peer.ike_proposals.size(), 2u);  // AEAD and CBC defaults
  Mapped v2 = Map(Conn("    version = 2\n"));
  ASSERT_EQ(v2.conns.size(), 1u);
  EXPECT_EQ(v2.conns[0].peer.version, 2u);
}

TEST(ConfigMapIkev1, EapKeepsVersionZeroOnIkev2) {
  Mapped m = Map(
      "connections {\n  rw {\n    local {\n      auth = psk\n      id = gw.example\n    }\n"
      "    remote {\n      auth = eap-mschapv2\n    }\n  }\n}\n" + kSecrets);
  ASSERT_EQ(m.conns.size(), 1u) << (m.skipped.empty() ? "" : m.skipped.front());
  EXPECT_EQ(m.conns[0].peer.version, 2u);
  ASSERT_EQ(m.conns[0].notes.size(), 1u);
  EXPECT_NE(m.conns[0].notes[0].find("IKEv2 only"), std::string::npos);
}

TEST(ConfigMapIkev1, Aggressive) {
  Mapped m = Map(Conn("    version = 1\n    aggressive = yes\n"));
  ASSERT_EQ(m.conns.size(), 1u);
  EXPECT_TRUE(m.conns[0].peer.aggressive);
  // Aggressive Mode with certificates: refused with the reason.
  Mapped cert = Map(
      "connections {\n  c {\n    version = 1\n    aggressive = yes\n    local {\n      auth = pubkey\n"
      "      id = gw.example\n    }\n    remote {\n      auth = pubkey\n    }\n  }\n}\n");
  EXPECT_TRUE(cert.conns.empty());
  ASSERT_EQ(cert.skipped.size(), 1u);
  EXPECT_EQ(cert.skipped[0], "c: Aggressive Mode with certificates is not supported by the IKEv1 engine (use Main Mode)");
}

TEST(ConfigMapIkev1, GatewayXauthRoundTakesTheXauthUsers) {
  Mapped m = Map(Conn("    version = 1\n    pools = rw\n", "    remote-xauth {\n      auth = xauth\n    }\n") +
                 "pools {\n  rw {\n    addrs = 10.3.7.0/28\n    dns = 192.0.2.53\n  }\n}\n");
  ASSERT_EQ(m.conns.size(), 1u) << (m.skipped.empty() ? "" : m.skipped.front());
  const auto& x = m.conns[0].peer.xauth_remote;
  EXPECT_TRUE(x.enabled);
  ASSERT_EQ(x.users.size(), 2u);
  EXPECT_EQ(std::string(x.users[0].identity.begin(), x.users[0].identity.end()), "alice");
  EXPECT_TRUE(ConstantTimeEqual(x.users[0].secret.view(), AsBytes("alice-password")));
  EXPECT_EQ(std::string(x.users[1].identity.begin(), x.users[1].identity.end()), "bob@example.org");
  EXPECT_FALSE(m.conns[0].peer.xauth_local.enabled);
  EXPECT_EQ(m.conns[0].peer.pools, std::vector<std::string>{"rw"});
}

TEST(ConfigMapIkev1, ClientXauthRoundAnswersWithItsUser) {
  Mapped m = Map(Conn("    version = 1\n    vips = 0.0.0.0\n",
                      "    local-xauth {\n      auth = xauth\n      xauth_id = bob@example.org\n    }\n"));
  ASSERT_EQ(m.conns.size(), 1u) << (m.skipped.empty() ? "" : m.skipped.front());
  const auto& x = m.conns[0].peer.xauth_local;
  EXPECT_TRUE(x.enabled);
  EXPECT_EQ(std::string(x.id.begin(), x.id.end()), "bob@example.org");
  EXPECT_TRUE(ConstantTimeEqual(x.secret.view(), AsBytes("bob-password")));
  EXPECT_FALSE(m.conns[0].peer.xauth_remote.enabled);
}

TEST(ConfigMapIkev1, XauthWaitsForTheEngine) {
  Mapped m = Map(Conn("    version = 1\n", "    remote-xauth {\n      auth = xauth\n    }\n"), false);
  EXPECT_TRUE(m.conns.empty());
  ASSERT_EQ(m.skipped.size(), 1u);
  EXPECT_NE(m.skipped[0].find("c: XAuth rounds are not run by the IKEv1 engine yet"), std::string::npos)
      << m.skipped[0];
  // Without an XAuth round the connection runs.
  EXPECT_EQ(Map(Conn("    version = 1\n"), false).conns.size(), 1u);
}

TEST(ConfigMapIkev1, XauthProblemsAreNamed) {
  Mapped nouser = Map(Conn("    version = 1\n", "    local-xauth {\n      auth = xauth\n      xauth_id = carol\n    }\n"));
  ASSERT_EQ(nouser.skipped.size(), 1u);
  EXPECT_EQ(nouser.skipped[0], "c: no xauth secret for XAuth user 'carol'");
  Mapped pam = Map(Conn("    version = 1\n", "    remote-xauth {\n      auth = xauth-pam\n    }\n"));
  ASSERT_EQ(pam.skipped.size(), 1u);
  EXPECT_NE(pam.skipped[0].find("XAuth backend 'pam' is not supported"), std::string::npos) << pam.skipped[0];
}

}  // namespace
}  // namespace ike::charon
