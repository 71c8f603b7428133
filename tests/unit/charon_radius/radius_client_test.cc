// RadiusClient on a real event loop against scripted RADIUS servers on
// loopback UDP sockets (no root needed): the attributes of an
// Access-Request, State kept between rounds, the MSK and Framed-IP-Address
// of an Accept, forged replies dropped and counted, retransmission with the
// same Identifier, failover, "not responding", and accounting Start/Stop.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "charon/daemon/event_loop.h"
#include "charon/daemon/log.h"
#include "charon/daemon/radius_client.h"
#include "libike/eap/radius.h"

namespace ike::charon {
namespace {

using namespace std::chrono_literals;

ByteView Str(std::string_view s) { return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size()); }
Bytes B(std::string_view s) { return Bytes(s.begin(), s.end()); }

constexpr char kSecret[] = "loopback-secret";

// A UDP socket on 127.0.0.1 that answers each request with `respond`.
class FakeServer {
 public:
  // Returns the reply packet to send (encoded and signed by the server), or
  // nullopt to stay silent. `raw` is the request as received.
  using Respond = std::function<std::optional<radius::Packet>(const radius::Packet& req, ByteView raw)>;

  FakeServer(EventLoop& loop, Respond respond, bool v6 = false)
      : loop_(loop), respond_(std::move(respond)), v6_(v6) {
    fd_ = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    sockaddr_storage ss{};
    socklen_t len;
    if (v6) {
      auto& sin6 = reinterpret_cast<sockaddr_in6&>(ss);
      sin6.sin6_family = AF_INET6;
      sin6.sin6_addr = in6addr_loopback;
      len = sizeof(sin6);
    } else {
      auto& sin = reinterpret_cast<sockaddr_in&>(ss);
      sin.sin_family = AF_INET;
      sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      len = sizeof(sin);
    }
    bound_ = bind(fd_, reinterpret_cast<sockaddr*>(&ss), len) == 0;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len);
    port_ = ntohs(v6 ? reinterpret_cast<sockaddr_in6&>(ss).sin6_port : reinterpret_cast<sockaddr_in&>(ss).sin_port);
    (void)loop_.AddFd(fd_, EPOLLIN, [this](uint32_t) { OnReadable(); });
  }
  bool bound() const { return bound_; }
  bool v6() const { return v6_; }
  ~FakeServer() {
    loop_.RemoveFd(fd_);
    close(fd_);
  }
  uint16_t port() const { return port_; }
  std::vector<radius::Packet> requests;
  std::vector<Bytes> raws;
  bool sign_wrong = false;  // sign the next reply with a wrong secret

 private:
  void OnReadable() {
    uint8_t buf[4096];
    sockaddr_storage from{};
    socklen_t len = sizeof(from);
    ssize_t n = recvfrom(fd_, buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&from), &len);
    if (n <= 0) return;
    ByteView raw(buf, static_cast<size_t>(n));
    auto req = radius::Decode(raw);
    ASSERT_TRUE(req) << radius::ToString(req.error());
    ASSERT_TRUE(radius::VerifyRequest(raw, *req, Str(kSecret)));
    requests.push_back(*req);
    raws.emplace_back(raw.begin(), raw.end());
    auto reply = respond_(*req, raw);
    if (!reply) return;
    reply->id = req->id;
    bool wrong = sign_wrong;
    sign_wrong = false;
    auto out = radius::EncodeResponse(*reply, req->authenticator, Str(wrong ? "not-the-secret" : kSecret),
                                      req->code == radius::Code::kAccessRequest);
    ASSERT_TRUE(out);
    sendto(fd_, out->data(), out->size(), 0, reinterpret_cast<sockaddr*>(&from), len);
  }
  EventLoop& loop_;
  Respond respond_;
  bool v6_ = false;
  bool bound_ = false;
  int fd_ = -1;
  uint16_t port_ = 0;
};

class RadiusClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(loop_.Init());
    log_.SetLevel(Subsystem::kNet, LogLevel::kError);
    log_.Subscribe(LogLevel::kDebug, [this](const LogRecord& r) { lines_.push_back(r.message); });
  }
  RadiusServer Server(const FakeServer& s, std::string name = "fake") {
    return RadiusServer{std::move(name), *IpAddress::Parse(s.v6() ? "::1" : "127.0.0.1"), s.port(), s.port(),
                        SecretBytes(Str(kSecret))};
  }
  template <typename... S>
  void Configure(bool accounting, S&&... servers) {
    RadiusSettings s;
    (s.servers.push_back(std::move(servers)), ...);
    s.accounting = accounting;
    s.timeout = 100ms;
    s.tries = 3;
    client_.Configure(std::move(s));
  }
  RadiusAuthRequest Request(bool first, Bytes eap = HexOrDie("0201000a01616c696365")) {
    return RadiusAuthRequest{42, B("alice"), std::move(eap), first, Endpoint{*IpAddress::Parse("192.0.2.1"), 4500},
                             Endpoint{*IpAddress::Parse("203.0.113.5"), 4500}, "rw"};
  }
  // Runs one Authenticate to completion (or 5 s).
  RadiusAuthResult Run(RadiusAuthRequest req) {
    std::optional<RadiusAuthResult> got;
    client_.Authenticate(std::move(req), [&](RadiusAuthResult r) {
      got = std::move(r);
      loop_.Stop();
    });
    auto guard = loop_.AddTimerIn(5s, [&] { loop_.Stop(); });
    loop_.Run();
    loop_.CancelTimer(guard);
    EXPECT_TRUE(got.has_value());
    return got ? std::move(*got) : RadiusAuthResult{};
  }
  bool Logged(std::string_view text) const {
    for (const auto& l : lines_) {
      if (l.find(text) != std::string::npos) return true;
    }
    return false;
  }

  EventLoop loop_;
  Logger log_{Logger::Sink::kStderr};
  RadiusClient client_{loop_, log_};
  std::vector<std::string> lines_;
};

radius::Packet Challenge(std::string_view state) {
  radius::Packet p;
  p.code = radius::Code::kAccessChallenge;
  radius::AddEapMessage(p, HexOrDie("010200060d20"));
  p.Add(radius::Attr::kState, Str(state));
  return p;
}

TEST_F(RadiusClientTest, RequestAttributesAndStateBetweenRounds) {
  FakeServer server(loop_, [](const radius::Packet& req, ByteView) -> std::optional<radius::Packet> {
    if (!req.Find(radius::Attr::kState)) return Challenge("round-1");
    radius::Packet reject;
    reject.code = radius::Code::kAccessReject;
    reject.AddString(radius::Attr::kReplyMessage, "no\nway");
    radius::AddEapMessage(reject, HexOrDie("04030004"));
    return reject;
  });
  Configure(false, Server(server));
  RadiusAuthResult first = Run(Request(true));
  EXPECT_EQ(first.kind, RadiusAuthResult::Kind::kChallenge);
  EXPECT_EQ(first.eap_message, HexOrDie("010200060d20"));
  ASSERT_EQ(server.requests.size(), 1u);
  const radius::Packet& r = server.requests[0];
  EXPECT_EQ(*r.Find(radius::Attr::kUserName), B("alice"));
  EXPECT_EQ(*r.Find(radius::Attr::kNasIpAddress), HexOrDie("c0000201"));
  EXPECT_EQ(*r.FindU32(radius::Attr::kNasPort), 42u);
  EXPECT_EQ(*r.FindU32(radius::Attr::kNasPortType), radius::kNasPortTypeVirtual);
  EXPECT_EQ(*r.FindU32(radius::Attr::kServiceType), radius::kServiceTypeFramed);
  EXPECT_EQ(*r.Find(radius::Attr::kCalledStationId), B("192.0.2.1[4500]"));
  EXPECT_EQ(*r.Find(radius::Attr::kCallingStationId), B("203.0.113.5[4500]"));
  EXPECT_EQ(*r.Find(radius::Attr::kNasIdentifier), B("ikedaemon"));
  EXPECT_EQ(*radius::JoinEapMessage(r), HexOrDie("0201000a01616c696365"));
  EXPECT_EQ(r.Count(radius::Attr::kMessageAuthenticator), 1u);
  EXPECT_EQ(r.Find(radius::Attr::kState), nullptr);

  RadiusAuthResult second = Run(Request(false, HexOrDie("020200060304")));
  ASSERT_EQ(server.requests.size(), 2u);
  ASSERT_NE(server.requests[1].Find(radius::Attr::kState), nullptr);
  EXPECT_EQ(*server.requests[1].Find(radius::Attr::kState), B("round-1"));
  EXPECT_EQ(second.kind, RadiusAuthResult::Kind::kReject);
  EXPECT_EQ(second.reason, "RADIUS Access-Reject from fake: no?way");
  EXPECT_EQ(second.eap_message, HexOrDie("04030004"));
  EXPECT_EQ(client_.session_count(), 0u);  // nothing kept after a reject
  // A new conversation starts without State.
  (void)Run(Request(true));
  EXPECT_EQ(server.requests.back().Find(radius::Attr::kState), nullptr);
  EXPECT_EQ(client_.stats().challenges, 2u);
  EXPECT_EQ(client_.stats().rejects, 1u);
}

TEST_F(RadiusClientTest, Ipv6ServerAndNasIpv6Address) {
  FakeServer server(loop_, [](const radius::Packet&, ByteView) -> std::optional<radius::Packet> { return Challenge("6"); },
                    true);
  if (!server.bound()) GTEST_SKIP() << "no IPv6 loopback here";
  Configure(false, Server(server));
  RadiusAuthRequest req = Request(true);
  req.local = Endpoint{*IpAddress::Parse("2001:db8::1"), 4500};
  RadiusAuthResult r = Run(std::move(req));
  EXPECT_EQ(r.kind, RadiusAuthResult::Kind::kChallenge);
  ASSERT_EQ(server.requests.size(), 1u);
  EXPECT_EQ(server.requests[0].Find(radius::Attr::kNasIpAddress), nullptr);
  ASSERT_NE(server.requests[0].Find(radius::Attr::kNasIpv6Address), nullptr);
  EXPECT_EQ(*server.requests[0].Find(radius::Attr::kNasIpv6Address), HexOrDie("20010db8000000000000000000000001"));
  EXPECT_EQ(*server.requests[0].Find(radius::Attr::kCalledStationId), B("2001:db8::1[4500]"));
}

TEST_F(RadiusClientTest, AcceptGivesMskAndFramedIp) {
  Bytes recv(32, 0xaa), send(32, 0x55);
  FakeServer server(loop_, [&](const radius::Packet& req, ByteView) -> std::optional<radius::Packet> {
    radius::Packet a;
    a.code = radius::Code::kAccessAccept;
    radius::AddEapMessage(a, HexOrDie("03030004"));
    a.AddAddress(radius::Attr::kFramedIpAddress, *IpAddress::Parse("10.3.0.77"));
    a.Add(radius::Attr::kClass, Str("gold"));
    auto vsa = radius::EncodeVendorSpecific(
        {{radius::kVendorMicrosoft, radius::kMsMppeRecvKey, *radius::EncryptMppeKey(recv, 1, req.authenticator, Str(kSecret))},
         {radius::kVendorMicrosoft, radius::kMsMppeSendKey, *radius::EncryptMppeKey(send, 2, req.authenticator, Str(kSecret))}});
    a.Add(radius::Attr::kVendorSpecific, *vsa);
    return a;
  });
  Configure(false, Server(server));
  RadiusAuthResult r = Run(Request(true));
  ASSERT_EQ(r.kind, RadiusAuthResult::Kind::kAccept);
  ASSERT_TRUE(r.framed_ip);
  EXPECT_EQ(r.framed_ip->ToString(), "10.3.0.77");
  Bytes msk = recv;
  msk.insert(msk.end(), send.begin(), send.end());
  EXPECT_TRUE(ConstantTimeEqual(r.msk.view(), msk));
  EXPECT_EQ(r.eap_message, HexOrDie("03030004"));
  EXPECT_EQ(client_.session_count(), 0u);  // accounting off: nothing kept
}

TEST_F(RadiusClientTest, ForgedReplyDroppedThenRetransmitAnswered) {
  int n = 0;
  FakeServer* self = nullptr;
  FakeServer server(loop_, [&](const radius::Packet&, ByteView) -> std::optional<radius::Packet> {
    if (++n == 1) self->sign_wrong = true;  // the first answer is forged
    return Challenge("s");
  });
  self = &server;
  Configure(false, Server(server));
  RadiusAuthResult r = Run(Request(true));
  EXPECT_EQ(r.kind, RadiusAuthResult::Kind::kChallenge);
  EXPECT_EQ(client_.stats().bad_authenticator, 1u);
  EXPECT_EQ(client_.stats().retransmits, 1u);
  ASSERT_EQ(server.raws.size(), 2u);
  EXPECT_EQ(server.raws[0], server.raws[1]);  // a retransmission is the same datagram
}

TEST_F(RadiusClientTest, FailoverToTheNextServer) {
  FakeServer dead(loop_, [](const radius::Packet&, ByteView) { return std::optional<radius::Packet>(); });
  FakeServer live(loop_, [](const radius::Packet&, ByteView) -> std::optional<radius::Packet> { return Challenge("x"); });
  Configure(false, Server(dead, "dead"), Server(live, "live"));
  RadiusAuthResult r = Run(Request(true));
  EXPECT_EQ(r.kind, RadiusAuthResult::Kind::kChallenge);
  EXPECT_EQ(r.server, "live");
  EXPECT_EQ(dead.requests.size(), 3u);
  EXPECT_EQ(live.requests.size(), 1u);
  // The next conversation starts with the server that answered.
  (void)Run(Request(true));
  EXPECT_EQ(dead.requests.size(), 3u);
  EXPECT_EQ(live.requests.size(), 2u);
}

TEST_F(RadiusClientTest, NoServerAnswers) {
  FakeServer a(loop_, [](const radius::Packet&, ByteView) { return std::optional<radius::Packet>(); });
  FakeServer b(loop_, [](const radius::Packet&, ByteView) { return std::optional<radius::Packet>(); });
  Configure(false, Server(a, "a"), Server(b, "b"));
  auto start = std::chrono::steady_clock::now();
  RadiusAuthResult r = Run(Request(true));
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.kind, RadiusAuthResult::Kind::kUnavailable);
  EXPECT_EQ(r.reason, "RADIUS server(s) not responding");
  EXPECT_GE(took, 550ms);  // 2 servers x 3 tries x 100 ms
  EXPECT_LT(took, 2000ms);
  EXPECT_EQ(client_.stats().unavailable, 1u);
  EXPECT_TRUE(Logged("RADIUS server(s) not responding: a (127.0.0.1["));
}

TEST_F(RadiusClientTest, NotConfigured) {
  RadiusAuthResult r = Run(Request(true));
  EXPECT_EQ(r.kind, RadiusAuthResult::Kind::kUnavailable);
  EXPECT_FALSE(client_.configured());
}

TEST_F(RadiusClientTest, AccountingStartAndStop) {
  FakeServer server(loop_, [](const radius::Packet& req, ByteView) -> std::optional<radius::Packet> {
    radius::Packet p;
    if (req.code == radius::Code::kAccountingRequest) {
      p.code = radius::Code::kAccountingResponse;
      return p;
    }
    p.code = radius::Code::kAccessAccept;
    radius::AddEapMessage(p, HexOrDie("03030004"));
    p.Add(radius::Attr::kClass, Str("gold"));
    return p;
  });
  Configure(true, Server(server));
  // Only a session that got an Access-Accept is accounted.
  client_.StartAccounting(99, RadiusAcctInfo{});
  EXPECT_FALSE(client_.HasAccounting(99));
  ASSERT_EQ(Run(Request(true)).kind, RadiusAuthResult::Kind::kAccept);
  RadiusAcctInfo info;
  info.framed_ip = IpAddress::Parse("10.3.0.77");
  info.local = Endpoint{*IpAddress::Parse("192.0.2.1"), 4500};
  info.remote = Endpoint{*IpAddress::Parse("203.0.113.5"), 4500};
  client_.StartAccounting(42, info);
  EXPECT_TRUE(client_.HasAccounting(42));
  client_.StopAccounting(42, radius::TerminateCause::kUserRequest, RadiusUsage{(5ull << 32) + 7, 9, 3, 4});
  EXPECT_FALSE(client_.HasAccounting(42));
  auto guard = loop_.AddTimerIn(2s, [&] { loop_.Stop(); });
  std::function<void()> poll = [&] {
    if (client_.stats().acct_responses >= 2) {
      loop_.Stop();
      return;
    }
    loop_.AddTimerIn(10ms, poll);
  };
  loop_.AddTimerIn(10ms, poll);
  loop_.Run();
  loop_.CancelTimer(guard);
  ASSERT_EQ(client_.stats().acct_responses, 2u);
  ASSERT_EQ(server.requests.size(), 3u);
  const radius::Packet& start = server.requests[1];
  const radius::Packet& stop = server.requests[2];
  EXPECT_EQ(*start.FindU32(radius::Attr::kAcctStatusType), 1u);
  EXPECT_EQ(*stop.FindU32(radius::Attr::kAcctStatusType), 2u);
  EXPECT_EQ(*start.Find(radius::Attr::kAcctSessionId), *stop.Find(radius::Attr::kAcctSessionId));
  EXPECT_EQ(*start.Find(radius::Attr::kUserName), B("alice"));
  EXPECT_EQ(*start.Find(radius::Attr::kFramedIpAddress), HexOrDie("0a03004d"));
  EXPECT_EQ(*start.Find(radius::Attr::kClass), B("gold"));
  EXPECT_EQ(start.Find(radius::Attr::kAcctSessionTime), nullptr);
  EXPECT_NE(stop.Find(radius::Attr::kAcctSessionTime), nullptr);
  EXPECT_EQ(*stop.FindU32(radius::Attr::kAcctInputOctets), 7u);
  EXPECT_EQ(*stop.FindU32(radius::Attr::kAcctInputGigawords), 5u);
  EXPECT_EQ(*stop.FindU32(radius::Attr::kAcctOutputOctets), 9u);
  EXPECT_EQ(*stop.FindU32(radius::Attr::kAcctInputPackets), 3u);
  EXPECT_EQ(*stop.FindU32(radius::Attr::kAcctOutputPackets), 4u);
  EXPECT_EQ(*stop.FindU32(radius::Attr::kAcctTerminateCause), 1u);
  EXPECT_EQ(client_.session_count(), 0u);
}

}  // namespace
}  // namespace ike::charon
