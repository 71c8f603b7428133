// EAP in IKE_AUTH (RFC 7296 2.16): a roadwarrior (moon) authenticated by
// EAP-MSCHAPv2 against a gateway (sun) that proves itself with its own
// AUTH, locally or by relaying EAP to an AAA backend played by the test.
#include <gtest/gtest.h>

#include "libike/eap/eap_method.h"
#include "tests/sim/scenario_util.h"

namespace ike::sim {
namespace {

using engine::AuthKind;
using engine::EapMethod;

Bytes B(const std::string& s) { return Bytes(s.begin(), s.end()); }

struct EapPair : Pair {
  explicit EapPair(const std::string& password = "Ch4p-secret", uint64_t seed = 11,
                   EapMethod server = EapMethod::kMschapv2, bool ask_identity = true)
      : Pair(seed) {
    PeerSpec m = MoonSpec();
    m.local_id = "192.0.2.1";  // a Windows-like client: its address as IDi
    m.local_ts = {};
    auto mc = PskConfig(m);
    mc.children[0].local_ts = {engine::TrafficSelector{0, 0, 65535, IpAddress::Any(AddressFamily::kIpv4),
                                                       IpAddress::Any(AddressFamily::kIpv4)}};
    mc.local_auth.kind = AuthKind::kEap;
    mc.local_auth.eap_method = EapMethod::kMschapv2;
    mc.local_auth.eap_id = engine::Identity{IdType::kKeyId, B("carol")};
    mc.local_auth.eap_secret = SecretBytes(B(password));
    mc.vips = {IpAddress::Any(AddressFamily::kIpv4)};
    moon->engine().AddConfig(std::move(mc));

    PeerSpec s = SunSpec();
    s.name = "rw";
    s.remote = IpAddress();
    s.remote_id = "%any";
    auto sc = PskConfig(s);
    sc.remote_auth.kind = AuthKind::kEap;
    sc.remote_auth.id = engine::Identity();
    sc.remote_auth.eap_method = server;
    if (ask_identity) sc.remote_auth.eap_id = engine::Identity();
    sc.remote_auth.eap_users.push_back({B("carol"), SecretBytes(B("Ch4p-secret"))});
    sc.children[0].name = "gw-net";
    sc.children[0].remote_ts = {engine::TrafficSelector{0, 0, 65535, IpAddress::Any(AddressFamily::kIpv4),
                                                        IpAddress::Any(AddressFamily::kIpv4)}};
    sc.pools = {"rw-pool"};
    sun->engine().AddConfig(std::move(sc));
    engine::PoolSpec pool = engine::PoolFromCidr("rw-pool", Ip("10.3.0.0"), 28);
    pool.dns = {Ip("10.2.0.53")};
    sun->engine().SetPools({pool});
  }
  bool Up() {
    return moon->Established("gw") && sun->Established("rw") && moon->backend().sa_count() == 2 &&
           sun->backend().sa_count() == 2;
  }
};

TEST(Eap, Mschapv2WithIdentityRoundEstablishes) {
  EapPair p;
  p.net.Initiate(*p.moon, "gw");
  ASSERT_TRUE(p.net.RunUntil([&] { return p.Up(); }, std::chrono::seconds(10)));
  const auto* s = p.sun->Established("rw");
  ASSERT_TRUE(s->peer_id());
  // The EAP identity is who the peer is from now on (leases, unique).
  EXPECT_EQ(s->peer_id()->ToString(), "carol");
  ASSERT_EQ(s->peer_vips().size(), 1u);
  EXPECT_EQ(p.moon->Established("gw")->own_vips().at(0).ToString(), s->peer_vips()[0].second.ToString());
  // Asked for (as Windows does), the pool's netmask comes back.
  ASSERT_TRUE(p.moon->Established("gw")->received_netmask());
  EXPECT_EQ(p.moon->Established("gw")->received_netmask()->ToString(), "255.255.255.240");
  EXPECT_EQ(CheckSaPairs(p.moon->backend(), p.sun->backend()), "");
  // IKE_SA_INIT, then IKE_AUTH x5: IDi/SA/TS, EAP-Identity, MSCHAPv2
  // response, MSCHAPv2 success response, AUTH.
  EXPECT_EQ(p.moon->engine().FindEstablished("gw")->tasks().next_mid(), 6u);
}

TEST(Eap, KnownIdentitySkipsTheIdentityRound) {
  EapPair p("Ch4p-secret", 12, EapMethod::kMschapv2, /*ask_identity=*/false);
  // Without eap_id the IKE identity is the EAP identity.
  engine::PeerConfig mc = p.moon->engine().FindConfig("gw")->Clone();
  mc.local_auth.id = engine::Identity{IdType::kKeyId, B("carol")};
  p.moon->engine().SetConfigs({});
  p.moon->engine().AddConfig(std::move(mc));
  p.net.Initiate(*p.moon, "gw");
  ASSERT_TRUE(p.net.RunUntil([&] { return p.Up(); }, std::chrono::seconds(10)));
  EXPECT_EQ(p.moon->engine().FindEstablished("gw")->tasks().next_mid(), 5u);
}

TEST(Eap, WrongPasswordFailsCleanlyOnBothSides) {
  EapPair p("not-the-password");
  p.net.Initiate(*p.moon, "gw");
  p.net.RunFor(std::chrono::seconds(10));
  EXPECT_FALSE(p.moon->Established("gw"));
  EXPECT_FALSE(p.sun->Established("rw"));
  EXPECT_TRUE(p.moon->engine().sas().empty());
  EXPECT_TRUE(p.sun->engine().sas().empty());
  EXPECT_EQ(p.moon->backend().sa_count(), 0u);
  EXPECT_EQ(p.sun->backend().sa_count(), 0u);
  // No lease is held for a peer that never authenticated.
  auto st = p.sun->engine().pools().Status();
  EXPECT_EQ(st.at(0).online, 0u);
}

TEST(Eap, GatewayWithoutEapRefusesAuthlessRequest) {
  EapPair p;
  engine::PeerConfig sc = p.sun->engine().FindConfig("rw")->Clone();
  sc.remote_auth.kind = AuthKind::kPsk;
  p.sun->engine().SetConfigs({});
  p.sun->engine().AddConfig(std::move(sc));
  p.net.Initiate(*p.moon, "gw");
  p.net.RunFor(std::chrono::seconds(10));
  EXPECT_FALSE(p.moon->Established("gw"));
  EXPECT_TRUE(p.sun->engine().sas().empty());
}

TEST(Eap, LossyNetworkConverges) {
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    EapPair p("Ch4p-secret", 100 + seed);
    p.net.SetLoss(0.1);
    p.net.Initiate(*p.moon, "gw");
    ASSERT_TRUE(p.net.RunUntil([&] { return p.Up(); }, std::chrono::seconds(300))) << seed;
    EXPECT_EQ(CheckSaPairs(p.moon->backend(), p.sun->backend()), "") << seed;
  }
}

// The test plays a RADIUS server: a local MSCHAPv2 server fed with the
// relayed EAP packets.
class AaaBackend {
 public:
  explicit AaaBackend(std::string password) : password_(B(password)) {}
  engine::EapBackendReply Answer(const engine::EapBackendRequest& req) {
    engine::EapBackendReply r;
    r.sa = req.sa;
    auto p = eap::Decode(req.eap_message);
    if (!p) {
      r.kind = engine::EapBackendReply::Kind::kReject;
      return r;
    }
    if (req.first) {
      identity_ = req.identity;
      server_.emplace(eap::Type::kMschapv2, req.identity, "radius",
                      [this](const Bytes&) { return &password_; },
                      [](size_t n) { return Bytes(n, 0x42); });
      r.kind = engine::EapBackendReply::Kind::kChallenge;
      r.eap_message = eap::Encode(server_->Start());
      return r;
    }
    auto step = server_->Process(*p);
    if (!step) {
      r.kind = engine::EapBackendReply::Kind::kReject;
      return r;
    }
    r.eap_message = eap::Encode(step->packet);
    switch (step->status) {
      case eap::Status::kContinue: r.kind = engine::EapBackendReply::Kind::kChallenge; break;
      case eap::Status::kSuccess:
        r.kind = engine::EapBackendReply::Kind::kAccept;
        r.msk = server_->msk().Clone();
        r.framed_ip = Ip("10.9.8.7");
        break;
      case eap::Status::kFailure: r.kind = engine::EapBackendReply::Kind::kReject; break;
    }
    return r;
  }
  Bytes identity_;

 private:
  SecretBytes password_;
  std::optional<eap::Server> server_;
};

// Serves the gateway's backend requests as they come, for `limit`.
void ServeBackend(EapPair& p, AaaBackend& aaa, std::chrono::milliseconds limit,
                  const std::function<bool()>& done, bool answer = true,
                  engine::EapBackendReply::Kind forced = engine::EapBackendReply::Kind::kChallenge,
                  bool force = false) {
  auto end = p.net.now() + limit;
  while (p.net.now() < end && !done()) {
    p.net.RunUntil([&] { return !p.sun->eap_requests.empty() || done(); },
                   std::chrono::duration_cast<std::chrono::milliseconds>(end - p.net.now()));
    if (p.sun->eap_requests.empty()) continue;
    engine::EapBackendRequest req = p.sun->eap_requests.front();
    p.sun->eap_requests.erase(p.sun->eap_requests.begin());
    if (!answer) continue;
    engine::EapBackendReply reply;
    if (force) {
      reply.sa = req.sa;
      reply.kind = forced;
      reply.reason = "no server answered";
    } else {
      reply = aaa.Answer(req);
    }
    p.net.Input(*p.sun, engine::Input(std::move(reply)));
  }
}

TEST(EapRadius, RelayedConversationUsesBackendMskAndFramedIp) {
  EapPair p("Ch4p-secret", 21, EapMethod::kRadius);
  AaaBackend aaa("Ch4p-secret");
  p.net.Initiate(*p.moon, "gw");
  ServeBackend(p, aaa, std::chrono::seconds(20), [&] { return p.Up(); });
  ASSERT_TRUE(p.Up());
  EXPECT_EQ(aaa.identity_, B("carol"));
  // The backend's Framed-IP-Address, not the pool, is the client's address.
  EXPECT_EQ(p.moon->Established("gw")->own_vips().at(0).ToString(), "10.9.8.7");
  EXPECT_EQ(p.sun->Established("rw")->peer_vips().at(0).second.ToString(), "10.9.8.7");
  EXPECT_EQ(p.sun->engine().pools().Status().at(0).online, 0u);
  EXPECT_EQ(CheckSaPairs(p.moon->backend(), p.sun->backend()), "");
}

TEST(EapRadius, RetransmitsWhileTheBackendThinksAreNotAnswered) {
  EapPair p("Ch4p-secret", 22, EapMethod::kRadius);
  p.net.Initiate(*p.moon, "gw");
  // Nobody answers the backend requests for a while: the client retransmits,
  // the gateway neither answers nor forwards again.
  p.net.RunFor(std::chrono::seconds(9));
  EXPECT_EQ(p.sun->eap_requests.size(), 1u);
  EXPECT_GE(p.sun->engine().counters().Get(engine::Drop::kRetransmittedRequest), 1u);
  AaaBackend aaa("Ch4p-secret");
  ServeBackend(p, aaa, std::chrono::seconds(30), [&] { return p.Up(); });
  EXPECT_TRUE(p.Up());
}

TEST(EapRadius, RejectAndUnavailableFailCleanly) {
  for (auto kind : {engine::EapBackendReply::Kind::kReject, engine::EapBackendReply::Kind::kUnavailable}) {
    EapPair p("Ch4p-secret", 23, EapMethod::kRadius);
    AaaBackend aaa("Ch4p-secret");
    p.net.Initiate(*p.moon, "gw");
    ServeBackend(p, aaa, std::chrono::seconds(20), [&] { return false; }, true, kind, true);
    EXPECT_FALSE(p.moon->Established("gw"));
    EXPECT_TRUE(p.sun->engine().sas().empty());
    EXPECT_TRUE(p.moon->engine().sas().empty());
  }
}

TEST(EapRadius, StrayBackendReplyIsCounted) {
  EapPair p("Ch4p-secret", 24, EapMethod::kRadius);
  engine::EapBackendReply r;
  r.sa = 999;
  r.kind = engine::EapBackendReply::Kind::kAccept;
  p.net.Input(*p.sun, engine::Input(std::move(r)));
  EXPECT_EQ(p.sun->engine().counters().Get(engine::Drop::kUnexpectedEapReply), 1u);
}

}  // namespace
}  // namespace ike::sim

#include "tests/sim/cert_util.h"

namespace ike::sim {
namespace {

// EAP-TLS: the gateway authenticates with its certificate in IKE AUTH and
// serves TLS with it; the client proves its certificate inside EAP.
struct EapTlsPair : Pair {
  EapTlsPair(const KeyCert& ca, const KeyCert& client_ca, uint64_t seed = 31) : Pair(seed) {
    KeyCert gw = MakeCert(KeyKind::kEcP256, "sun.example.org", {"sun.example.org"}, ca);
    KeyCert user = MakeCert(KeyKind::kEcP256, "carol", {}, client_ca);
    PeerSpec m = MoonSpec();
    m.local_ts = {};
    auto mc = PskConfig(m);
    mc.children[0].local_ts = {engine::TrafficSelector{0, 0, 65535, IpAddress::Any(AddressFamily::kIpv4),
                                                       IpAddress::Any(AddressFamily::kIpv4)}};
    mc.local_auth.kind = AuthKind::kEap;
    mc.local_auth.eap_method = EapMethod::kTls;
    mc.local_auth.eap_id = engine::Identity{IdType::kFqdn, B("carol")};
    mc.local_auth.certs = {user.cert};
    mc.local_auth.private_key_der = user.key;
    mc.remote_auth.kind = AuthKind::kPubkey;
    mc.remote_auth.id = engine::Identity{IdType::kFqdn, B("sun.example.org")};
    mc.remote_auth.ca_certs = {ca.cert};
    mc.vips = {IpAddress::Any(AddressFamily::kIpv4)};
    moon->engine().AddConfig(std::move(mc));

    PeerSpec s = SunSpec();
    s.name = "rw";
    s.remote = IpAddress();
    s.remote_id = "%any";
    auto sc = PskConfig(s);
    sc.local_auth.kind = AuthKind::kPubkey;
    sc.local_auth.id = engine::Identity{IdType::kFqdn, B("sun.example.org")};
    sc.local_auth.certs = {gw.cert};
    sc.local_auth.private_key_der = gw.key;
    sc.remote_auth.kind = AuthKind::kEap;
    sc.remote_auth.id = engine::Identity();
    sc.remote_auth.eap_method = EapMethod::kTls;
    sc.remote_auth.eap_id = engine::Identity();
    sc.remote_auth.ca_certs = {ca.cert};
    sc.children[0].name = "gw-net";
    sc.children[0].remote_ts = {engine::TrafficSelector{0, 0, 65535, IpAddress::Any(AddressFamily::kIpv4),
                                                        IpAddress::Any(AddressFamily::kIpv4)}};
    sc.pools = {"rw-pool"};
    sun->engine().AddConfig(std::move(sc));
    sun->engine().SetPools({engine::PoolFromCidr("rw-pool", Ip("10.3.0.0"), 28)});
  }
  bool Up() {
    return moon->Established("gw") && sun->Established("rw") && moon->backend().sa_count() == 2 &&
           sun->backend().sa_count() == 2;
  }
};

TEST(EapTls, ClientCertificateInsideEapEstablishes) {
  KeyCert ca = MakeCa(KeyKind::kEcP256, "Example Root CA");
  EapTlsPair p(ca, ca);
  p.net.Initiate(*p.moon, "gw");
  ASSERT_TRUE(p.net.RunUntil([&] { return p.Up(); }, std::chrono::seconds(10)));
  EXPECT_EQ(p.sun->Established("rw")->peer_id()->ToString(), "carol");
  EXPECT_EQ(CheckSaPairs(p.moon->backend(), p.sun->backend()), "");
}

TEST(EapTls, LossyNetworkConverges) {
  KeyCert ca = MakeCa(KeyKind::kEcP256, "Example Root CA");
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    EapTlsPair p(ca, ca, 300 + seed);
    p.net.SetLoss(0.1);
    p.net.Initiate(*p.moon, "gw");
    ASSERT_TRUE(p.net.RunUntil([&] { return p.Up(); }, std::chrono::seconds(300))) << seed;
  }
}

TEST(EapTls, ClientCertificateFromAnotherCaIsRefused) {
  KeyCert ca = MakeCa(KeyKind::kEcP256, "Example Root CA");
  KeyCert other = MakeCa(KeyKind::kEcP256, "Someone Else CA");
  EapTlsPair p(ca, other);
  p.net.Initiate(*p.moon, "gw");
  p.net.RunFor(std::chrono::seconds(20));
  EXPECT_FALSE(p.moon->Established("gw"));
  EXPECT_TRUE(p.sun->engine().sas().empty());
  EXPECT_TRUE(p.moon->engine().sas().empty());
}

}  // namespace
}  // namespace ike::sim
