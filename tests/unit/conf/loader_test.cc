#include "conf/loader.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "tests/unit/conf/test_util.h"

namespace ike::conf {
namespace {

using testing::MustParse;
using testing::ReadData;

TEST(AnchorExamples, RoadwarriorPsk) {
  Config c = MustParse(ReadData("anchor/rw-psk.conf"), "rw-psk.conf");
  ASSERT_EQ(c.connections.size(), 1u);
  const auto& conn = c.connections[0];
  EXPECT_EQ(conn.name, "rw-psk");
  EXPECT_EQ(conn.loc, (Location{"rw-psk.conf", 2}));
  EXPECT_EQ(conn.version, 2u);
  ASSERT_EQ(conn.local_addrs.size(), 1u);
  EXPECT_EQ(conn.local_addrs[0].ToString(), "192.0.2.1");
  EXPECT_EQ(conn.remote_addrs[0].kind, AddressSpec::Kind::kAny);
  EXPECT_EQ(conn.pools, std::vector<std::string>{"rw_v4"});
  ASSERT_EQ(conn.proposals.size(), 1 + DefaultProposals(ProposalKind::kIke).size());
  EXPECT_EQ(ToString(conn.proposals[0]), "aes256gcm16-prfsha256-x25519-ke1_mlkem768");
  EXPECT_EQ(conn.dpd_delay, Seconds(30));
  EXPECT_EQ(conn.rekey_time, Seconds(4 * 3600));
  EXPECT_EQ(conn.over_time, Seconds(1440));
  EXPECT_EQ(conn.rand_time, Seconds(1440));
  EXPECT_EQ(conn.local_port, 500);
  EXPECT_TRUE(conn.mobike);
  EXPECT_EQ(conn.keyingtries, 1u);
  ASSERT_EQ(conn.local.size(), 1u);
  EXPECT_EQ(conn.local[0].auth.cls, AuthSpec::Class::kPsk);
  ASSERT_TRUE(conn.local[0].id.has_value());
  EXPECT_EQ(conn.local[0].id->kind, Identity::Kind::kFqdn);
  EXPECT_EQ(conn.local[0].id->ToString(), "vpn.example.org");
  ASSERT_EQ(conn.remote.size(), 1u);
  EXPECT_EQ(conn.remote[0].auth.cls, AuthSpec::Class::kPsk);
  EXPECT_EQ(conn.remote[0].id->kind, Identity::Kind::kAny);
  ASSERT_EQ(conn.children.size(), 1u);
  const auto& child = conn.children[0];
  EXPECT_EQ(child.name, "rw");
  ASSERT_EQ(child.local_ts.size(), 1u);
  EXPECT_EQ(child.local_ts[0].ToString(), "10.1.0.0/16");
  ASSERT_EQ(child.remote_ts.size(), 1u);
  EXPECT_TRUE(child.remote_ts[0].dynamic);
  EXPECT_EQ(ToString(child.esp_proposals[0]), "aes256gcm16");
  EXPECT_EQ(child.mode, ChildMode::kTunnel);
  EXPECT_EQ(child.dpd_action, DpdAction::kClear);
  EXPECT_EQ(child.rekey_time, Seconds(3600));
  EXPECT_EQ(child.life_time, Seconds(3960));
  EXPECT_EQ(child.rand_time, Seconds(360));
  EXPECT_EQ(child.replay_window, 32u);
  EXPECT_EQ(ToString(child.start_action), "none");
  ASSERT_EQ(c.secrets.size(), 1u);
  EXPECT_EQ(c.secrets[0].type, SecretType::kIke);
  ASSERT_EQ(c.secrets[0].ids.size(), 1u);
  EXPECT_EQ(c.secrets[0].ids[0].kind, Identity::Kind::kEmail);
  EXPECT_TRUE(ConstantTimeEqual(c.secrets[0].secret.view(), AsBytes("replace-with-a-long-random-psk")));
  ASSERT_EQ(c.pools.size(), 1u);
  EXPECT_EQ(c.pools[0].addrs.ToString(), "10.3.0.0/24");
  ASSERT_EQ(c.pools[0].dns.size(), 1u);
  EXPECT_EQ(c.pools[0].dns[0].ToString(), "10.1.0.53");
  EXPECT_TRUE(c.warnings.empty()) << FormatDiagnostics(c.warnings);
}

TEST(AnchorExamples, RoadwarriorEapWithoutCredentials) {
  Config c = MustParse(ReadData("anchor/rw-eap.conf"), "rw-eap.conf");
  ASSERT_EQ(c.connections.size(), 1u);
  const auto& conn = c.connections[0];
  EXPECT_FALSE(conn.send_certreq);
  EXPECT_EQ(conn.pools, (std::vector<std::string>{"rw_v4", "rw_v6"}));
  EXPECT_EQ(conn.local[0].auth.cls, AuthSpec::Class::kPubkey);
  EXPECT_EQ(conn.local[0].cert_files, std::vector<std::string>{"gatewayCert.pem"});
  EXPECT_EQ(conn.remote[0].auth.cls, AuthSpec::Class::kEap);
  EXPECT_EQ(conn.remote[0].auth.method, "mschapv2");
  ASSERT_TRUE(conn.remote[0].eap_id.has_value());
  EXPECT_EQ(conn.remote[0].eap_id->kind, Identity::Kind::kAny);
  const auto& child = conn.children[0];
  ASSERT_EQ(child.local_ts.size(), 2u);
  EXPECT_EQ(child.local_ts[0].ToString(), "0.0.0.0/0");
  EXPECT_EQ(child.local_ts[1].ToString(), "::/0");
  EXPECT_EQ(child.rekey_time, Seconds(0));
  EXPECT_EQ(child.life_time, Seconds(0));
  EXPECT_EQ(child.rand_time, Seconds(0));
  ASSERT_EQ(c.secrets.size(), 1u);
  EXPECT_EQ(c.secrets[0].type, SecretType::kEap);
  EXPECT_EQ(c.secrets[0].ids[0].kind, Identity::Kind::kFqdn);
  ASSERT_EQ(c.pools.size(), 2u);
  EXPECT_EQ(c.pools[1].addrs.ToString(), "fd00:10:10:1::/122");
  EXPECT_EQ(c.pools[1].addrs.to.ToString(), "fd00:10:10:1::3f");
}

TEST(Defaults, MinimalConnection) {
  Config c = MustParse("connections { a { } }");
  const auto& conn = c.connections[0];
  EXPECT_EQ(conn.version, 0u);
  EXPECT_EQ(conn.proposals, DefaultProposals(ProposalKind::kIke));
  EXPECT_EQ(conn.local_addrs[0].kind, AddressSpec::Kind::kAny);
  EXPECT_EQ(conn.remote_port, 500);
  EXPECT_EQ(conn.reauth_time, Seconds(0));
  EXPECT_EQ(conn.fragmentation, Fragmentation::kYes);
  EXPECT_EQ(conn.send_cert, SendCert::kIfAsked);
  EXPECT_EQ(conn.unique, UniquePolicy::kNo);
  EXPECT_TRUE(conn.pull);
  EXPECT_FALSE(conn.encap);
  EXPECT_FALSE(conn.aggressive);
  ASSERT_EQ(conn.local.size(), 1u);
  EXPECT_EQ(conn.local[0].auth.cls, AuthSpec::Class::kPubkey);
  EXPECT_FALSE(conn.local[0].id.has_value());
  ASSERT_EQ(conn.remote.size(), 1u);
  EXPECT_EQ(conn.remote[0].id->kind, Identity::Kind::kAny);
  EXPECT_EQ(conn.remote[0].revocation, Revocation::kRelaxed);
  EXPECT_TRUE(conn.children.empty());
}

TEST(Defaults, ChildLifetimesFollowRekey) {
  Config c = MustParse(R"(connections { a { children {
    x { rekey_time = 10m
        rekey_bytes = 1m
        rekey_packets = 1000 }
    y { rekey_time = 1h
        life_time = 2h }
    z { rekey_time = 1h
        rand_time = 1m }
    w { ah_proposals = sha256 }
  } } })");
  const auto& ch = c.connections[0].children;
  EXPECT_EQ(ch[0].life_time, Seconds(660));
  EXPECT_EQ(ch[0].rand_time, Seconds(60));
  EXPECT_EQ(ch[0].rekey_bytes, 1048576u);
  EXPECT_EQ(ch[0].life_bytes, 1153433u);
  EXPECT_EQ(ch[0].rand_bytes, 1153433u - 1048576u);
  EXPECT_EQ(ch[0].life_packets, 1100u);
  EXPECT_EQ(ch[0].rand_packets, 100u);
  EXPECT_EQ(ch[1].life_time, Seconds(7200));
  EXPECT_EQ(ch[1].rand_time, Seconds(3600));
  EXPECT_EQ(ch[2].life_time, Seconds(3960));
  EXPECT_EQ(ch[2].rand_time, Seconds(60));
  EXPECT_TRUE(ch[3].esp_proposals.empty());
  EXPECT_EQ(ch[3].ah_proposals.size(), 1u);
  EXPECT_EQ(ch[0].esp_proposals, DefaultProposals(ProposalKind::kEsp));
}

TEST(Defaults, IkeOverTimeFollowsLongerOfRekeyAndReauth) {
  Config c = MustParse(R"(connections {
    a { rekey_time = 1h
        reauth_time = 10h }
    b { rekey_time = 1h
        over_time = 5m }
    c { rekey_time = 0
        reauth_time = 0 } })");
  EXPECT_EQ(c.connections[0].over_time, Seconds(3600));
  EXPECT_EQ(c.connections[0].rand_time, Seconds(3600));
  EXPECT_EQ(c.connections[1].over_time, Seconds(300));
  EXPECT_EQ(c.connections[1].rand_time, Seconds(300));
  EXPECT_EQ(c.connections[2].over_time, Seconds(0));
}

}  // namespace
}  // namespace ike::conf

namespace ike::conf {
namespace {

// Every key in the key tree is accepted; the ones not acted upon are named in
// a warning (this list is the "parsed but not yet supported" table of
// conf/README.md).
TEST(KeyTree, EveryKeyIsSupportedOrWarned) {
  auto r = ParseConfigString(testing::ReadData("anchor/all-keys.conf"), "all-keys.conf");
  ASSERT_TRUE(r.has_value()) << FormatDiagnostics(r.error());
  std::vector<std::string> warned;
  for (const auto& w : r->warnings) warned.push_back(w.key);
  const std::vector<std::string> expected = {
      "connections.all.dscp",
      "connections.all.childless",
      "connections.all.ocsp",
      "connections.all.ppk_id",
      "connections.all.ppk_required",
      "connections.all.mediation",
      "connections.all.mediated_by",
      "connections.all.mediation_peer",
      "connections.all.local-1.cert-tok",
      "connections.all.local-1.pubkeys",
      "connections.all.local-1.aaa_id",
      "connections.all.remote.groups",
      "connections.all.remote.cert_policy",
      "connections.all.remote.ca_id",
      "connections.all.remote.pubkeys",
      "connections.all.remote.cacert-tok",
      "connections.all.children.c.sha256_96",
      "connections.all.children.c.hostaccess",
      "connections.all.children.c.policies_fwd_out",
      "connections.all.children.c.ipcomp",
      "connections.all.children.c.interface",
      "connections.all.children.c.mark_in_sa",
      "connections.all.children.c.set_mark_in",
      "connections.all.children.c.set_mark_out",
      "connections.all.children.c.label",
      "connections.all.children.c.label_mode",
      "connections.all.children.c.per_cpu_sas",
      "connections.all.children.c.copy_df",
      "connections.all.children.c.copy_ecn",
      "connections.all.children.c.copy_dscp",
      "connections.all.children.c.icmp",
      "secrets.ntlm-1",
      "secrets.ppk-1",
      "secrets.pkcs12-1",
      "secrets.token-1",
      "pools.p4.dhcp",
      "pools.p4.server",
      "pools.p4.p_cscf",
      "pools.p4.25",
      "authorities.ca.crl_uris",
      "authorities.ca.ocsp_uris",
      "authorities.ca.cert_uri_base",
      "authorities.token-ca.handle",
      "authorities.token-ca.slot",
      "authorities.token-ca.module",
  };
  std::vector<std::string> sorted_warned = warned, sorted_expected = expected;
  std::sort(sorted_warned.begin(), sorted_warned.end());
  std::sort(sorted_expected.begin(), sorted_expected.end());
  EXPECT_EQ(sorted_warned, sorted_expected) << FormatDiagnostics(r->warnings);

  const auto& conn = r->connections[0];
  EXPECT_EQ(conn.local.size(), 2u);
  EXPECT_EQ(conn.local[1].auth.method, "tls");
  EXPECT_EQ(conn.remote[0].auth.constraints, "rsa/pss-sha256");
  EXPECT_TRUE(conn.remote[0].auth.ike_only);
  EXPECT_EQ(conn.vips.size(), 2u);
  EXPECT_EQ(conn.dscp, 46);
  EXPECT_EQ(conn.keyingtries, 3u);
  EXPECT_EQ(conn.over_time, Seconds(600));
  const auto& c = conn.children[0];
  EXPECT_EQ(c.ah_proposals.size(), 1u);
  EXPECT_EQ(c.local_ts.size(), 2u);
  EXPECT_EQ(c.mark_out.special, Mark::Special::kUnique);
  EXPECT_EQ(c.set_mark_in.special, Mark::Special::kSame);
  EXPECT_EQ(c.if_id_in.special, Mark::Special::kUniqueDir);
  EXPECT_EQ(c.if_id_out.value, 9u);
  EXPECT_EQ(c.tfc_padding, 0xffffffffu);
  EXPECT_EQ(c.life_bytes, 2ull << 30);
  EXPECT_EQ(c.rand_packets, 10240u);
  EXPECT_EQ(c.close_action, CloseAction::kTrap);
  EXPECT_EQ(c.dpd_action, DpdAction::kTrap);
  EXPECT_EQ(r->secrets.size(), 5u);  // ike, eap, xauth, ntlm, ppk
  EXPECT_EQ(r->pools[0].custom.size(), 1u);
  EXPECT_EQ(r->authorities.size(), 2u);
}

}  // namespace
}  // namespace ike::conf

namespace ike::conf {
namespace {

TEST(Warnings, InitiatingWithoutPeerAddress) {
  auto r = ParseConfigString("connections {\n  gw {\n    children {\n      c {\n        start_action = start\n"
                             "      }\n    }\n  }\n}\n", "w.conf");
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->warnings.size(), 1u);
  EXPECT_EQ(r->warnings[0].ToString(),
            "w.conf:4: connections.gw.children.c.start_action: warning: start_action = start but "
            "remote_addrs names no single peer address: initiation will fail");
}

TEST(Warnings, DuplicateKeyOverrides) {
  auto r = ParseConfigString("connections {\n  gw {\n    rekey_time = 1h\n    rekey_time = 2h\n  }\n}\n", "w.conf");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->connections[0].rekey_time, Seconds(7200));
  ASSERT_EQ(r->warnings.size(), 1u);
  EXPECT_EQ(r->warnings[0].ToString(),
            "w.conf:4: connections.gw.rekey_time: warning: overrides the value set at line 3");
}

TEST(Warnings, IpsecConfStrictSuffix) {
  auto r = ParseConfigString("connections {\n  gw {\n    proposals = aes256-sha256-modp2048!\n  }\n}\n", "w.conf");
  ASSERT_TRUE(r.has_value()) << FormatDiagnostics(r.error());
  EXPECT_EQ(ToString(r->connections[0].proposals), "aes256-sha256-prfsha256-modp2048");
  ASSERT_EQ(r->warnings.size(), 1u);
  EXPECT_EQ(r->warnings[0].key, "connections.gw.proposals");
}

TEST(LoadConfig, MissingFile) {
  auto r = LoadConfig("/nonexistent/swanctl.conf");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error()[0].ToString(), "/nonexistent/swanctl.conf:0: cannot open configuration file");
}

}  // namespace
}  // namespace ike::conf

namespace ike::conf {
namespace {

TEST(LoadConfig, DirectoryIsNotAConfigFile) {
  auto r = LoadConfig("/tmp");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error()[0].ToString(), "/tmp:0: cannot open configuration file");
}

TEST(Secrets, WildcardIdsMatchAfterExactOnes) {
  Config c = testing::MustParse(R"(secrets {
  ike-any {
    id = %any
    secret = fallback
  }
  ike-domain {
    id = *@example.org
    secret = domain
  }
  ike-carol {
    id = carol@EXAMPLE.org
    secret = carol
  }
})");
  auto found = c.FindSecrets(SecretType::kIke, *ParseIdentity("carol@example.org"));
  ASSERT_EQ(found.size(), 3u);
  EXPECT_EQ(found[0]->name, "ike-carol");
  EXPECT_EQ(found[1]->name, "ike-domain");
  EXPECT_EQ(found[2]->name, "ike-any");
  EXPECT_TRUE(c.FindSecrets(SecretType::kEap, *ParseIdentity("carol@example.org")).empty());
}

}  // namespace
}  // namespace ike::conf

namespace ike::conf {
namespace {

// rekey_time = 0 on a gateway's child (Windows clients refuse server-initiated
// CHILD_SA rekeys): never rekey, and with no life_time, never expire either;
// the client does the rekeying.
TEST(Lifetimes, ChildRekeyTimeZeroMeansNever) {
  auto r = ParseConfigString("connections {\n  rw {\n    children {\n      net {\n        rekey_time = 0\n"
                             "      }\n    }\n  }\n}\n", "z.conf");
  ASSERT_TRUE(r.has_value()) << FormatDiagnostics(r.error());
  const auto& child = r->connections[0].children[0];
  EXPECT_EQ(child.rekey_time, Seconds(0));
  EXPECT_EQ(child.life_time, Seconds(0));
  EXPECT_EQ(child.rand_time, Seconds(0));
  // With a life_time the SA still has a hard limit, and no "greater than" error.
  r = ParseConfigString("connections {\n  rw {\n    children {\n      net {\n        rekey_time = 0s\n"
                        "        life_time = 8h\n      }\n    }\n  }\n}\n", "z.conf");
  ASSERT_TRUE(r.has_value()) << FormatDiagnostics(r.error());
  EXPECT_EQ(r->connections[0].children[0].rekey_time, Seconds(0));
  EXPECT_EQ(r->connections[0].children[0].life_time, Seconds(8 * 3600));
}

}  // namespace
}  // namespace ike::conf

namespace ike::conf {
namespace {

using testing::ErrorsOf;
using testing::MustParse;

std::string V1Conn(std::string_view body, std::string_view version = "1") {
  return "connections {\n  v1 {\n    version = " + std::string(version) + "\n" + std::string(body) + "  }\n}\n";
}

TEST(Ikev1, WeakAlgorithmsOnlyWhenConfiguredAndWarned) {
  auto r = ParseConfigString(
      V1Conn("    proposals = 3des-sha1-modp1024, aes256-sha256-modp2048\n"
             "    children {\n      c {\n        esp_proposals = aes128-sha1-modp1536\n      }\n    }\n"),
      "w.conf");
  ASSERT_TRUE(r.has_value()) << FormatDiagnostics(r.error());
  ASSERT_EQ(r->warnings.size(), 2u) << FormatDiagnostics(r->warnings);
  EXPECT_EQ(r->warnings[0].key, "connections.v1.proposals");
  EXPECT_NE(r->warnings[0].message.find("weak algorithm(s) 3des, sha1, prfsha1, modp1024:"), std::string::npos)
      << r->warnings[0].message;
  EXPECT_EQ(r->warnings[1].key, "connections.v1.children.c.esp_proposals");
  EXPECT_NE(r->warnings[1].message.find("sha1, modp1536"), std::string::npos) << r->warnings[1].message;
  // The defaults carry nothing weak, so nothing is said about them.
  auto d = ParseConfigString(V1Conn(""), "d.conf");
  ASSERT_TRUE(d.has_value());
  EXPECT_TRUE(d->warnings.empty()) << FormatDiagnostics(d->warnings);
}

TEST(Ikev1, StrongProposalsAreQuiet) {
  Config c = MustParse(V1Conn("    proposals = aes128-sha256-modp3072, aes256-sha512-ecp384, aes256-sha384-modp4096\n"
                              "    children {\n      c {\n        esp_proposals = aes256gcm16-ecp256\n      }\n    }\n"));
  EXPECT_TRUE(c.warnings.empty()) << FormatDiagnostics(c.warnings);
  EXPECT_EQ(ToString(c.connections[0].proposals[1]), "aes256-sha512-prfsha512-ecp384");
}

TEST(Ikev1, AeadCannotProtectTheIsakmpSa) {
  auto errors = ErrorsOf(V1Conn("    proposals = aes256gcm16-prfsha256-modp2048\n"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("connections.v1.proposals: 'aes256gcm16-prfsha256-modp2048': AEAD algorithms cannot "
                           "protect the IKEv1 ISAKMP SA"),
            std::string::npos)
      << errors[0];
  // IKEv2 (and version = 0) take it.
  MustParse(V1Conn("    proposals = aes256gcm16-prfsha256-modp2048\n", "0"));
}

TEST(Ikev1, AdditionalKeyExchangesNeedIkev2) {
  auto errors = ErrorsOf(V1Conn("    proposals = aes256-sha256-modp2048-ke1_mlkem768\n"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("additional key exchanges need IKEv2"), std::string::npos) << errors[0];
}

TEST(Ikev1, EapNeedsIkev2) {
  auto errors = ErrorsOf(V1Conn("    local {\n      auth = psk\n    }\n    remote {\n      auth = eap-mschapv2\n    }\n"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("connections.v1.remote.auth: EAP needs IKEv2, but version = 1"), std::string::npos)
      << errors[0];
}

TEST(Ikev1, XauthIsASecondIkev1Round) {
  const std::string rounds =
      "    local {\n      auth = psk\n    }\n    remote {\n      auth = psk\n    }\n"
      "    remote-xauth {\n      auth = xauth\n    }\n";
  MustParse(V1Conn(rounds));
  MustParse(V1Conn(rounds, "0"));
  auto v2 = ErrorsOf(V1Conn(rounds, "2"));
  ASSERT_EQ(v2.size(), 1u);
  EXPECT_NE(v2[0].find("connections.v1.remote-xauth.auth: XAuth is an IKEv1 extension, but version = 2"),
            std::string::npos)
      << v2[0];
  auto first = ErrorsOf(V1Conn("    remote {\n      auth = xauth\n    }\n"));
  ASSERT_EQ(first.size(), 1u);
  EXPECT_NE(first[0].find("XAuth is a second round"), std::string::npos) << first[0];
}

TEST(Ikev1, PullNoIsModeConfigPushOfIkev1) {
  auto v1 = MustParse(V1Conn("    pull = no\n"));
  EXPECT_FALSE(v1.connections.at(0).pull);
  MustParse(V1Conn("    pull = no\n", "0"));
  auto v2 = ErrorsOf(V1Conn("    pull = no\n", "2"));
  ASSERT_EQ(v2.size(), 1u);
  EXPECT_NE(v2[0].find("connections.v1.pull: pull = no (Mode Config push) is an IKEv1 mode, but version = 2"),
            std::string::npos)
      << v2[0];
}

}  // namespace
}  // namespace ike::conf
