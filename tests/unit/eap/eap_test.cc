#include <gtest/gtest.h>

#include <map>

#include "libike/eap/eap_method.h"
#include "libike/eap/eap_packet.h"
#include "libike/eap/mschapv2.h"

namespace ike::eap {
namespace {

// RFC 2759 9.2 (and RFC 3079 3.5 for the keys).
const Bytes kAuthChallenge = HexOrDie("5B5D7C7D7B3F2F3E3C2C602132262628");
const Bytes kPeerChallenge = HexOrDie("21402324255E262A28295F2B3A337C7E");

TEST(Mschapv2, Rfc2759Vectors) {
  EXPECT_EQ(mschapv2::ChallengeHash(kPeerChallenge, kAuthChallenge, "User"),
            HexOrDie("D02E4386BCE91226"));
  auto hash = mschapv2::NtPasswordHash("clientPass");
  ASSERT_TRUE(hash);
  EXPECT_EQ(Bytes(hash->view().begin(), hash->view().end()),
            HexOrDie("44EBBA8D5312B8D611474411F56989AE"));
  auto hh = mschapv2::HashNtPasswordHash(*hash);
  ASSERT_TRUE(hh);
  EXPECT_EQ(Bytes(hh->view().begin(), hh->view().end()),
            HexOrDie("41C00C584BD2D91C4017A2A12FA59F3F"));
  auto nt = mschapv2::NtResponse(kAuthChallenge, kPeerChallenge, "User", *hash);
  ASSERT_TRUE(nt) << nt.error();
  EXPECT_EQ(*nt, HexOrDie("82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF"));
  auto ar = mschapv2::AuthenticatorResponse(*hash, *nt, kPeerChallenge, kAuthChallenge, "User");
  ASSERT_TRUE(ar);
  EXPECT_EQ(*ar, "S=407A5589115FD0D6209F510FE9C04566932CDA56");
  // A domain prefix does not enter the challenge hash.
  EXPECT_EQ(mschapv2::ChallengeHash(kPeerChallenge, kAuthChallenge, "CORP\\User"),
            HexOrDie("D02E4386BCE91226"));
}

TEST(Mschapv2, Rfc3079MasterKeys) {
  auto hash = mschapv2::NtPasswordHash("clientPass");
  ASSERT_TRUE(hash);
  Bytes nt = HexOrDie("82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF");
  auto msk = mschapv2::Msk(*hash, nt);
  ASSERT_TRUE(msk) << msk.error();
  ASSERT_EQ(msk->size(), 64u);
  // RFC 3079 3.5.3 gives the server's 128-bit send start key (Magic3):
  // the second half. The first is the Magic2 key (the peer's send key).
  EXPECT_EQ(Bytes(msk->view().begin() + 16, msk->view().begin() + 32),
            HexOrDie("8B7CDC149B993A1BA118CB153F56DCCB"));
  EXPECT_EQ(Bytes(msk->view().begin(), msk->view().begin() + 16),
            HexOrDie("D5F0E9521E3EA9589645E86051C82226"));
  for (size_t i = 32; i < 64; ++i) EXPECT_EQ((*msk)[i], 0) << i;
}

TEST(Mschapv2, NonAsciiPasswordIsUtf16) {
  auto a = mschapv2::NtPasswordHash("p\xc3\xa4ss");  // "päss"
  ASSERT_TRUE(a);
  EXPECT_FALSE(mschapv2::NtPasswordHash("bad\xc3"));
  EXPECT_FALSE(mschapv2::NtPasswordHash("bad\xff"));
}

TEST(EapPacket, RoundTripAndStrictness) {
  Packet p = Packet::Request(7, Type::kIdentity, {});
  Bytes b = Encode(p);
  EXPECT_EQ(b, HexOrDie("0107000501"));
  auto d = Decode(b);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->code, Code::kRequest);
  EXPECT_EQ(d->id, 7);
  EXPECT_EQ(d->type, Type::kIdentity);
  EXPECT_EQ(Encode(Packet::Success(3)), HexOrDie("03030004"));
  const char* bad[] = {
      "",            // empty
      "010700",      // short
      "0107000601",  // length beyond the bytes
      "0107000401",  // length short of the bytes
      "05070004",    // unknown code
      "01070004",    // request without a type
      "0307000500",  // success with data
      "0107000500",  // type 0
      "01070005fe",  // expanded type
  };
  for (const char* h : bad) EXPECT_FALSE(Decode(HexOrDie(h))) << h;
}

class Conversation : public ::testing::Test {
 protected:
  Bytes Random(size_t n) {
    Bytes b(n);
    for (auto& x : b) x = static_cast<uint8_t>(++counter_ * 37);
    return b;
  }
  RandomFn rng() {
    return [this](size_t n) { return Random(n); };
  }
  UserLookup users() {
    return [this](const Bytes& id) -> const SecretBytes* {
      auto it = users_.find(std::string(id.begin(), id.end()));
      return it == users_.end() ? nullptr : &it->second;
    };
  }
  static Bytes B(const std::string& s) { return Bytes(s.begin(), s.end()); }
  static SecretBytes S(const std::string& s) { return SecretBytes(B(s)); }

  // Runs a whole conversation through the codec; returns both outcomes.
  std::pair<Status, Status> Run(Server& server, Peer& peer, int* rounds = nullptr) {
    Packet req = server.Start();
    for (int i = 0; i < 10; ++i) {
      auto wire_req = Decode(Encode(req));
      EXPECT_TRUE(wire_req);
      auto ps = peer.Process(*wire_req);
      EXPECT_TRUE(ps) << ps.error();
      if (ps->status != Status::kContinue) {
        if (rounds) *rounds = i;
        return {req.code == Code::kSuccess ? Status::kSuccess : Status::kFailure, ps->status};
      }
      auto wire_resp = Decode(Encode(ps->packet));
      EXPECT_TRUE(wire_resp);
      auto ss = server.Process(*wire_resp);
      EXPECT_TRUE(ss) << ss.error();
      req = ss->packet;
      if (ss->status != Status::kContinue) {
        auto last = peer.Process(req);
        EXPECT_TRUE(last);
        if (rounds) *rounds = i + 1;
        return {ss->status, last->status};
      }
    }
    ADD_FAILURE() << "no end";
    return {Status::kContinue, Status::kContinue};
  }

  std::map<std::string, SecretBytes> users_;
  unsigned counter_ = 0;
};

TEST_F(Conversation, IdentityThenMschapv2Succeeds) {
  users_.emplace("carol", S("s3cr3t pass"));
  Server server(Type::kMschapv2, {}, "gw", users(), rng());
  Peer peer(Type::kMschapv2, B("carol"), S("s3cr3t pass"), rng());
  int rounds = 0;
  auto [s, p] = Run(server, peer, &rounds);
  EXPECT_EQ(s, Status::kSuccess);
  EXPECT_EQ(p, Status::kSuccess);
  EXPECT_EQ(rounds, 3);  // identity, challenge, success
  ASSERT_EQ(server.msk().size(), 64u);
  EXPECT_TRUE(ConstantTimeEqual(server.msk().view(), peer.msk().view()));
  EXPECT_EQ(server.identity(), B("carol"));
}

TEST_F(Conversation, KnownIdentitySkipsEapIdentity) {
  users_.emplace("dave", S("pw"));
  Server server(Type::kMschapv2, B("dave"), "gw", users(), rng());
  Peer peer(Type::kMschapv2, B("dave"), S("pw"), rng());
  int rounds = 0;
  auto [s, p] = Run(server, peer, &rounds);
  EXPECT_EQ(s, Status::kSuccess);
  EXPECT_EQ(p, Status::kSuccess);
  EXPECT_EQ(rounds, 2);
}

TEST_F(Conversation, WrongPasswordFailsBothSides) {
  users_.emplace("carol", S("right"));
  Server server(Type::kMschapv2, {}, "gw", users(), rng());
  Peer peer(Type::kMschapv2, B("carol"), S("wrong"), rng());
  auto [s, p] = Run(server, peer);
  EXPECT_EQ(s, Status::kFailure);
  EXPECT_EQ(p, Status::kFailure);
  EXPECT_TRUE(server.msk().empty());
}

TEST_F(Conversation, UnknownUserFails) {
  Server server(Type::kMschapv2, {}, "gw", users(), rng());
  Peer peer(Type::kMschapv2, B("mallory"), S("x"), rng());
  auto [s, p] = Run(server, peer);
  EXPECT_EQ(s, Status::kFailure);
  EXPECT_EQ(p, Status::kFailure);
}

TEST_F(Conversation, PeerNaksOtherMethods) {
  Peer peer(Type::kMschapv2, B("carol"), S("x"), rng());
  auto r = peer.Process(Packet::Request(9, Type::kMd5, Bytes{1, 2}));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->packet.type, Type::kNak);
  EXPECT_EQ(r->packet.data, Bytes{26});
  // EAP Success before the server proved knowledge of the password.
  auto early = peer.Process(Packet::Success(10));
  ASSERT_TRUE(early);
  EXPECT_EQ(early->status, Status::kFailure);
}

TEST_F(Conversation, ServerRejectsStrayResponses) {
  users_.emplace("carol", S("pw"));
  Server server(Type::kMschapv2, {}, "gw", users(), rng());
  Packet req = server.Start();
  EXPECT_FALSE(server.Process(Packet::Response(req.id + 1, Type::kIdentity, B("carol"))));
  EXPECT_FALSE(server.Process(Packet::Request(req.id, Type::kIdentity, B("carol"))));
  EXPECT_FALSE(server.Process(Packet::Response(req.id, Type::kMschapv2, Bytes{2})));
  // The right answer still works afterwards.
  auto ok = server.Process(Packet::Response(req.id, Type::kIdentity, B("carol")));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, Status::kContinue);
  // A malformed MSCHAPv2 response is an error, not a crash.
  Packet chal = ok->packet;
  EXPECT_FALSE(server.Process(Packet::Response(chal.id, Type::kMschapv2, Bytes{2, 1, 0, 5, 49})));
}

}  // namespace
}  // namespace ike::eap
