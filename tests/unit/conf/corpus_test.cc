// Realistic swanctl.conf files and the Config they must produce.
#include <gtest/gtest.h>

#include "conf/loader.h"
#include "tests/unit/conf/test_util.h"

namespace ike::conf {
namespace {

using testing::MustParse;
using testing::ReadData;

Config Corpus(const std::string& name) { return MustParse(ReadData("corpus/" + name), name); }

TEST(Corpus, SiteToSitePsk) {
  Config c = Corpus("s2s-psk.conf");
  ASSERT_EQ(c.connections.size(), 1u);
  const auto& conn = c.connections[0];
  EXPECT_EQ(conn.name, "hq-branch");
  EXPECT_EQ(conn.local_addrs[0].ToString(), "192.0.2.1");
  EXPECT_EQ(conn.remote_addrs[0].ToString(), "198.51.100.1");
  ASSERT_EQ(conn.proposals.size(), 2u);
  EXPECT_EQ(ToString(conn.proposals), "aes256-sha256-prfsha256-modp3072, aes128gcm16-prfsha256-ecp256");
  EXPECT_EQ(conn.dpd_delay, Seconds(30));
  EXPECT_EQ(conn.dpd_timeout, Seconds(150));
  EXPECT_EQ(conn.rekey_time, Seconds(8 * 3600));
  EXPECT_EQ(conn.over_time, Seconds(8 * 360));
  EXPECT_EQ(conn.keyingtries, 0u);
  EXPECT_TRUE(conn.encap);
  EXPECT_FALSE(conn.mobike);
  EXPECT_EQ(conn.local[0].id->ToString(), "hq.example.org");
  EXPECT_EQ(conn.remote[0].id->ToString(), "branch.example.org");
  EXPECT_EQ(conn.remote[0].auth.cls, AuthSpec::Class::kPsk);
  const auto& lan = conn.children[0];
  EXPECT_EQ(lan.local_ts.size(), 1u);
  ASSERT_EQ(lan.remote_ts.size(), 2u);
  EXPECT_EQ(lan.remote_ts[1].ToString(), "10.3.0.0/16");
  EXPECT_EQ(ToString(lan.esp_proposals), "aes256gcm16-modp3072");
  EXPECT_TRUE(lan.start_action.trap);
  EXPECT_TRUE(lan.start_action.start);
  EXPECT_EQ(lan.close_action, CloseAction::kStart);
  EXPECT_EQ(lan.dpd_action, DpdAction::kRestart);
  EXPECT_EQ(lan.rekey_time, Seconds(1800));
  EXPECT_EQ(lan.life_time, Seconds(1980));
  EXPECT_EQ(lan.life_bytes, 4ull << 30);
  EXPECT_EQ(lan.replay_window, 128u);
  EXPECT_EQ(lan.updown, "/usr/local/libexec/ipsec/updown-lan");
  ASSERT_EQ(c.secrets.size(), 1u);
  EXPECT_EQ(c.secrets[0].ids.size(), 2u);
  EXPECT_TRUE(ConstantTimeEqual(c.secrets[0].secret.view(), AsBytes("secret preshared key")));
  auto found = c.FindSecrets(SecretType::kIke, *ParseIdentity("branch.example.org"));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0]->name, "ike-branch");
  EXPECT_TRUE(c.warnings.empty()) << FormatDiagnostics(c.warnings);
}

TEST(Corpus, RoadwarriorPsk) {
  Config c = Corpus("rw-psk.conf");
  const auto& conn = c.connections[0];
  EXPECT_EQ(conn.unique, UniquePolicy::kReplace);
  EXPECT_EQ(conn.send_cert, SendCert::kNever);
  EXPECT_EQ(conn.fragmentation, Fragmentation::kForce);
  EXPECT_EQ(conn.local[0].id->kind, Identity::Kind::kFqdn);
  EXPECT_EQ(conn.local[0].id->ToString(), "vpn.example.org");
  const auto& rw = conn.children[0];
  EXPECT_EQ(rw.if_id_in.special, Mark::Special::kUnique);
  EXPECT_EQ(rw.inactivity, Seconds(900));
  ASSERT_EQ(rw.esp_proposals.size(), 2u);
  EXPECT_EQ(rw.esp_proposals[1].encr[0].id, EncrId::kChaCha20Poly1305);
  ASSERT_EQ(c.secrets.size(), 2u);
  EXPECT_TRUE(ConstantTimeEqual(c.secrets[0].secret.view(), AsBytes("carol's long random psk")));
  EXPECT_TRUE(ConstantTimeEqual(c.secrets[1].secret.view(), AsBytes("dave's long random psk")));
  auto dave = c.FindSecrets(SecretType::kIke, *ParseIdentity("dave@example.org"));
  ASSERT_EQ(dave.size(), 1u);
  EXPECT_EQ(dave[0]->name, "ike-dave");
  EXPECT_TRUE(c.FindSecrets(SecretType::kIke, *ParseIdentity("eve@example.org")).empty());
  const auto& pool = c.pools[0];
  EXPECT_EQ(pool.dns.size(), 2u);
  EXPECT_TRUE(pool.dns[1].is_v6());
  EXPECT_EQ(pool.split_include[0].ToString(), "10.1.0.0/16");
  EXPECT_EQ(pool.netmask[0].from.ToString(), "255.255.0.0");
}

TEST(Corpus, EapGateway) {
  Config c = Corpus("eap-gateway.conf");
  const auto& conn = c.connections[0];
  EXPECT_EQ(conn.rekey_time, Seconds(0));
  EXPECT_EQ(conn.over_time, Seconds(0));
  EXPECT_EQ(conn.proposals.size(), 2 + DefaultProposals(ProposalKind::kIke).size());
  EXPECT_EQ(conn.remote[0].auth.method, "mschapv2");
  EXPECT_EQ(conn.local[0].cert_files, std::vector<std::string>{"gatewayCert.pem"});
  EXPECT_TRUE(conn.local[0].certs.empty());  // no credentials directory given
  EXPECT_EQ(conn.children[0].esp_proposals.size(), 2 + DefaultProposals(ProposalKind::kEsp).size());
  ASSERT_EQ(c.secrets.size(), 2u);
  EXPECT_EQ(c.secrets[1].type, SecretType::kEap);
  EXPECT_EQ(c.secrets[1].ids[0].kind, Identity::Kind::kEmail);
}

TEST(Corpus, IkeV1Xauth) {
  Config c = Corpus("ikev1-xauth.conf");
  const auto& conn = c.connections[0];
  EXPECT_EQ(conn.version, 1u);
  EXPECT_FALSE(conn.aggressive);
  EXPECT_EQ(conn.reauth_time, Seconds(8 * 3600));
  EXPECT_EQ(conn.over_time, Seconds(8 * 360));
  EXPECT_EQ(conn.local[0].id->kind, Identity::Kind::kIpv4);
  ASSERT_EQ(conn.remote.size(), 2u);
  EXPECT_EQ(conn.remote[0].section, "remote");
  EXPECT_EQ(conn.remote[0].auth.cls, AuthSpec::Class::kPsk);
  EXPECT_EQ(conn.remote[1].section, "remote-xauth");
  EXPECT_EQ(conn.remote[1].auth.cls, AuthSpec::Class::kXauth);
  EXPECT_EQ(conn.remote[1].auth.method, "");
  EXPECT_FALSE(conn.remote[1].xauth_id.has_value());
  ASSERT_EQ(c.secrets.size(), 2u);
  EXPECT_EQ(c.secrets[0].ids[0].kind, Identity::Kind::kAny);
  EXPECT_EQ(c.secrets[1].type, SecretType::kXauth);
  // A %any secret matches every peer, after exact matches.
  auto any = c.FindSecrets(SecretType::kIke, *ParseIdentity("198.51.100.9"));
  ASSERT_EQ(any.size(), 1u);
  EXPECT_EQ(any[0]->name, "ike-group");
  EXPECT_EQ(c.pools[0].addrs.ToString(), "10.4.0.10-10.4.0.250");
}

TEST(Corpus, MultipleChildren) {
  Config c = Corpus("multi-children.conf");
  ASSERT_EQ(c.connections.size(), 2u);
  const auto& dc = c.connections[0];
  EXPECT_EQ(dc.local_port, 4500);
  EXPECT_EQ(dc.local[0].id->kind, Identity::Kind::kDn);
  EXPECT_EQ(dc.local[0].id->ToString(), "C=CH, O=Example, CN=gw.example.org");
  ASSERT_EQ(dc.children.size(), 4u);
  const auto& web = dc.children[0];
  EXPECT_EQ(web.local_ts[0].protocol, 6);
  EXPECT_EQ(web.local_ts[0].from_port, 443);
  EXPECT_EQ(web.remote_ts[0].from_port, 0);
  EXPECT_EQ(web.remote_ts[0].to_port, 0xffff);
  EXPECT_EQ(web.mark_in.value, 0x10u);
  EXPECT_EQ(web.mark_in.mask, 0xffu);
  EXPECT_EQ(web.hw_offload, HwOffload::kAuto);
  EXPECT_EQ(web.if_id_in.value, 42u);  // inherited from the connection
  const auto& dns = dc.children[1];
  EXPECT_TRUE(dns.local_ts[0].dynamic);
  EXPECT_EQ(dns.remote_ts[0].from_port, 53);
  EXPECT_EQ(dns.mode, ChildMode::kTransport);
  EXPECT_EQ(dns.rekey_packets, 102400u);
  EXPECT_EQ(dns.life_packets, 112640u);
  const auto& ports = dc.children[2];
  EXPECT_EQ(ports.local_ts[0].from_port, 10000);
  EXPECT_EQ(ports.local_ts[0].to_port, 10100);
  EXPECT_EQ(ports.esp_proposals[0].esn, std::vector<EsnId>{EsnId::kEsn});
  EXPECT_EQ(ports.replay_window, 0u);
  EXPECT_TRUE(dc.children[3].local_ts[0].range.from.is_v6());
  const auto& shunts = c.connections[1];
  EXPECT_EQ(shunts.children[0].mode, ChildMode::kPass);
  EXPECT_EQ(shunts.children[1].mode, ChildMode::kDrop);
  EXPECT_EQ(shunts.children[1].remote_ts[0].ToString(), "192.0.2.128/25");
}

}  // namespace
}  // namespace ike::conf
