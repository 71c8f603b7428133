// The userspace Backend in a private network namespace (unshare): packets
// through the TUN device and the shared UDP port, expire and acquire events
// through fd()/ProcessEvents(), RFC 3948 demultiplexing, SPI allocation.
// The "peer" is this test itself on 127.0.0.1, using the pure ESP code.
// Needs root: skips with a reason, fails under CI=true.
#include "xfrm/userspace/userspace_backend.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <fstream>
#include <set>
#include <string>
#include <vector>

namespace ike::xfrm {
namespace {

constexpr uint16_t kBackendPort = 14500;
constexpr uint16_t kPeerPort = 24500;
constexpr uint32_t kSpiOut = 0xc0000101;
constexpr uint32_t kSpiIn = 0xc0000202;

IpAddress Ip(const char* s) { return *IpAddress::Parse(s); }

Bytes Key(uint8_t seed) {
  Bytes k(20);
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<uint8_t>(seed + i);
  return k;
}

// The packet with ESP head- and tailroom around it.
[[gnu::noinline]] Bytes WithRoom(const Bytes& pkt) {
  Bytes wire(esp::kMaxEspHeadroom + pkt.size() + esp::kMaxEspTailroom);
  for (size_t i = 0; i < pkt.size(); ++i) wire[esp::kMaxEspHeadroom + i] = pkt[i];
  return wire;
}

int UdpSocket(const char* addr, uint16_t port) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, addr, &a.sin_addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    close(fd);
    return -1;
  }
  timeval tv{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  return fd;
}

void SendTo(int fd, const char* addr, uint16_t port, const std::string& data) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, addr, &a.sin_addr);
  ASSERT_EQ(sendto(fd, data.data(), data.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof(a)),
            static_cast<ssize_t>(data.size()));
}

class UserspaceBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const bool ci = std::getenv("CI") != nullptr && std::string(std::getenv("CI")) == "true";
    if (geteuid() != 0 || unshare(CLONE_NEWNET) != 0) {
      if (ci) FAIL() << "needs root and network namespaces (CI=true: not skipping)";
      GTEST_SKIP() << "needs root to create a network namespace";
    }
    // Bring lo up in the fresh namespace; keep reverse-path filtering off.
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    ifreq ifr{};
    std::strcpy(ifr.ifr_name, "lo");
    ioctl(s, SIOCGIFFLAGS, &ifr);
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
    ASSERT_EQ(ioctl(s, SIOCSIFFLAGS, &ifr), 0);
    close(s);
    std::ofstream("/proc/sys/net/ipv4/conf/all/rp_filter") << "0";

    UserspaceOptions opt;
    opt.tun_name = "esptest0";
    opt.udp_port = kBackendPort;
    backend_ = std::make_unique<UserspaceBackend>(opt);
    auto started = backend_->Start();
    ASSERT_TRUE(started.has_value()) << started.error().ToString();
    backend_->SetEventHandler([this](const BackendEvent& e) { events_.push_back(e); });
    ASSERT_TRUE(backend_->AddTunAddress(Ip("192.0.2.1"), 32).has_value());
    started_ = true;
  }

  SaParams Sa(Direction dir, uint32_t spi, Bytes key) {
    SaParams sa;
    sa.id.dst = Ip("127.0.0.1");
    sa.id.spi = spi;
    sa.src = Ip("127.0.0.1");
    sa.direction = dir;
    sa.mode = Mode::kTunnel;
    sa.reqid = 7;
    sa.encr = EncrId::kAesGcm16;
    sa.encr_key_bits = 128;
    sa.enc_key = SecretBytes(ByteView(key));
    sa.replay_window = 64;
    sa.encap = dir == Direction::kOut ? Encap{kBackendPort, kPeerPort} : Encap{kPeerPort, kBackendPort};
    return sa;
  }

  void AddPolicies(bool trap = false) {
    for (Direction dir : {Direction::kOut, Direction::kIn}) {
      PolicyParams p;
      p.direction = dir;
      const bool out = dir == Direction::kOut;
      p.selector.src = Ip(out ? "192.0.2.0" : "203.0.113.0");
      p.selector.src_prefix = 24;
      p.selector.dst = Ip(out ? "203.0.113.0" : "192.0.2.0");
      p.selector.dst_prefix = 24;
      p.trap = trap && out;
      p.templates.push_back(
          PolicyTemplate{ProtocolId::kEsp, Mode::kTunnel, Ip("127.0.0.1"), Ip("127.0.0.1"), 7});
      ASSERT_TRUE(backend_->AddPolicy(p).has_value());
    }
  }

  std::unique_ptr<esp::EspSaConfig> PeerConfig(uint32_t spi, const Bytes& key) {
    auto c = std::make_unique<esp::EspSaConfig>();
    c->spi = spi;
    c->transform = {EncrId::kAesGcm16, 128, IntegId::kNone};
    c->enc_key = key;
    c->replay_window = 64;
    return c;
  }

  // Waits until `n` events arrived (or 3 s passed).
  void WaitEvents(size_t n) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    while (events_.size() < n && std::chrono::steady_clock::now() < deadline) {
      pollfd p{backend_->fd(), POLLIN, 0};
      if (poll(&p, 1, 100) > 0) backend_->ProcessEvents();
    }
  }

  std::unique_ptr<UserspaceBackend> backend_;
  std::vector<BackendEvent> events_;
  bool started_ = false;
};

TEST_F(UserspaceBackendTest, RoundTripThroughTunAndUdp4500) {
  const Bytes k_out = Key(1), k_in = Key(2);
  ASSERT_TRUE(backend_->AddSa(Sa(Direction::kOut, kSpiOut, k_out)).has_value());
  ASSERT_TRUE(backend_->AddSa(Sa(Direction::kIn, kSpiIn, k_in)).has_value());
  AddPolicies();
  int peer = UdpSocket("127.0.0.1", kPeerPort);
  int app = UdpSocket("192.0.2.1", 7000);
  ASSERT_GE(peer, 0);
  ASSERT_GE(app, 0);

  // Outbound: app -> route table -> TUN -> ESP-in-UDP from port 14500 -> peer.
  SendTo(app, "203.0.113.9", 7777, "hello through esp");
  uint8_t buf[2048];
  sockaddr_in from{};
  socklen_t from_len = sizeof(from);
  ssize_t n = recvfrom(peer, buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&from), &from_len);
  ASSERT_GT(n, 0) << "no ESP-in-UDP datagram reached the peer";
  EXPECT_EQ(ntohs(from.sin_port), kBackendPort);
  auto peer_in = esp::EspInboundSa::Create(*PeerConfig(kSpiOut, k_out));
  ASSERT_TRUE(peer_in.has_value());
  auto inner = (*peer_in)->Decapsulate(MutableByteView(buf, static_cast<size_t>(n)));
  ASSERT_TRUE(inner.has_value()) << esp::DropReasonName(inner.error());
  auto info = esp::ParseIpPacket(inner->payload);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->src.ToString(), "192.0.2.1");
  EXPECT_EQ(info->dst.ToString(), "203.0.113.9");
  EXPECT_EQ(info->dst_port, 7777);

  // Inbound: the peer's ESP, handed over as by a daemon owning port 4500.
  const std::string reply = "world";
  Bytes pkt(28 + reply.size());
  esp::WriteIpHeader(pkt.data(), Ip("203.0.113.9"), Ip("192.0.2.1"), esp::kProtoUdp,
                     8 + reply.size());
  const uint16_t ports[2] = {htons(7777), htons(7000)};
  std::memcpy(pkt.data() + 20, ports, 4);
  pkt[24] = 0, pkt[25] = static_cast<uint8_t>(8 + reply.size());  // UDP length, checksum 0
  std::memcpy(pkt.data() + 28, reply.data(), reply.size());
  auto peer_out = esp::EspOutboundSa::Create(*PeerConfig(kSpiIn, k_in));
  ASSERT_TRUE(peer_out.has_value());
  Bytes wire = WithRoom(pkt);
  auto esp_pkt = (*peer_out)->Encapsulate(wire, esp::kMaxEspHeadroom, pkt.size(), esp::kProtoIpv4);
  ASSERT_TRUE(esp_pkt.has_value());
  EXPECT_EQ(backend_->HandleUdp4500(*esp_pkt, Endpoint{Ip("127.0.0.1"), kPeerPort},
                                    Endpoint{Ip("127.0.0.1"), kBackendPort}),
            Udp4500Verdict::kEsp);
  char got[64] = {};
  ASSERT_EQ(recv(app, got, sizeof(got), 0), static_cast<ssize_t>(reply.size()))
      << "decapsulated packet not delivered through the TUN device";
  EXPECT_EQ(std::string(got), reply);
  // The same packet again is a replay: counted, not delivered.
  EXPECT_EQ(backend_->HandleUdp4500(*esp_pkt, Endpoint{Ip("127.0.0.1"), kPeerPort},
                                    Endpoint{Ip("127.0.0.1"), kBackendPort}),
            Udp4500Verdict::kEsp);

  auto usage_out = backend_->QuerySa(Sa(Direction::kOut, kSpiOut, k_out).id);
  ASSERT_TRUE(usage_out.has_value());
  EXPECT_EQ(usage_out->packets, 1u);
  auto usage_in = backend_->QuerySa(Sa(Direction::kIn, kSpiIn, k_in).id);
  ASSERT_TRUE(usage_in.has_value());
  EXPECT_EQ(usage_in->packets, 1u);
  EXPECT_EQ(usage_in->replay_window_drops, 1u);
  EXPECT_EQ(backend_->stats().drops[esp::DropReason::kReplayed], 1u);
  close(peer);
  close(app);
}

// TFC padding (RFC 4303 2.4): the outbound SA pads the inner packet with
// zeros up to the configured size (capped at the TUN MTU); the receiver
// recovers the packet from its IP length.
TEST_F(UserspaceBackendTest, TfcPaddingPadsToConfiguredSizeAndMtu) {
  const Bytes k_out = Key(1);
  for (uint32_t tfc : {600u, 0xffffffffu}) {
    SaParams out = Sa(Direction::kOut, kSpiOut, k_out);
    out.tfc_pad = tfc;
    ASSERT_TRUE(backend_->AddSa(out).has_value());
    if (tfc == 600u) AddPolicies();
    int peer = UdpSocket("127.0.0.1", kPeerPort);
    int app = UdpSocket("192.0.2.1", 7000);
    ASSERT_GE(peer, 0);
    ASSERT_GE(app, 0);
    SendTo(app, "203.0.113.9", 7777, "short");
    uint8_t buf[4096];
    ssize_t n = recv(peer, buf, sizeof(buf), 0);
    ASSERT_GT(n, 0) << "no ESP-in-UDP datagram reached the peer";
    auto peer_in = esp::EspInboundSa::Create(*PeerConfig(kSpiOut, k_out));
    ASSERT_TRUE(peer_in.has_value());
    // The whole ESP payload (inner packet + TFC padding) before trimming:
    // GCM-128: 8 header + 8 IV + payload + pad + 2 + 16 ICV.
    size_t expected_payload = tfc == 600u ? 600u : 1400u;  // TUN MTU 1400
    size_t esp_len = static_cast<size_t>(n);
    EXPECT_GE(esp_len, 8 + 8 + expected_payload + 2 + 16) << "tfc " << tfc;
    EXPECT_LE(esp_len, 8 + 8 + expected_payload + 3 + 2 + 16) << "tfc " << tfc;
    auto inner = (*peer_in)->Decapsulate(MutableByteView(buf, esp_len));
    ASSERT_TRUE(inner.has_value()) << esp::DropReasonName(inner.error());
    auto info = esp::ParseIpPacket(inner->payload);
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->total_len, 20u + 8u + 5u);  // trimmed to the inner length
    EXPECT_EQ(inner->payload.size(), 20u + 8u + 5u);
    close(peer);
    close(app);
    ASSERT_TRUE(backend_->DeleteSa(out.id).has_value());
  }
}

TEST_F(UserspaceBackendTest, Udp4500Demultiplexing) {
  const Endpoint from{Ip("127.0.0.1"), kPeerPort}, to{Ip("127.0.0.1"), kBackendPort};
  const uint8_t keepalive[] = {0xff};
  EXPECT_EQ(backend_->HandleUdp4500(keepalive, from, to), Udp4500Verdict::kKeepalive);
  const uint8_t ike[] = {0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  EXPECT_EQ(backend_->HandleUdp4500(ike, from, to), Udp4500Verdict::kIke);
  const uint8_t junk[] = {1, 2};
  EXPECT_EQ(backend_->HandleUdp4500(junk, from, to), Udp4500Verdict::kDropped);
  const uint8_t unknown[] = {0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8,
                             9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24};
  EXPECT_EQ(backend_->HandleUdp4500(unknown, from, to), Udp4500Verdict::kEsp);
  UserspaceStats s = backend_->stats();
  EXPECT_EQ(s.keepalives, 1u);
  EXPECT_EQ(s.ike_datagrams, 1u);
  EXPECT_EQ(s.drops[esp::DropReason::kNotEsp], 1u);
  EXPECT_EQ(s.drops[esp::DropReason::kUnknownSpi], 1u);
}

TEST_F(UserspaceBackendTest, IkeOnSharedPortGoesToHandler) {
  std::atomic<int> seen{0};
  backend_->SetIkeHandler([&](ByteView ike, const Endpoint& from, const Endpoint&) {
    if (ike.size() == 4 && ike[0] == 'I' && from.port == kPeerPort) seen++;
  });
  int peer = UdpSocket("127.0.0.1", kPeerPort);
  SendTo(peer, "127.0.0.1", kBackendPort, std::string("\0\0\0\0IKE!", 8));
  for (int i = 0; i < 100 && seen == 0; ++i) usleep(10000);
  EXPECT_EQ(seen, 1);
  close(peer);
}

TEST_F(UserspaceBackendTest, SoftThenHardExpireOnPacketLimit) {
  SaParams out = Sa(Direction::kOut, kSpiOut, Key(1));
  out.soft.packets = 2;
  out.hard.packets = 4;
  const SaId id = out.id;
  ASSERT_TRUE(backend_->AddSa(out).has_value());
  AddPolicies();
  int app = UdpSocket("192.0.2.1", 7001);
  for (int i = 0; i < 6; ++i) SendTo(app, "203.0.113.9", 7777, "x");
  WaitEvents(2);
  ASSERT_GE(events_.size(), 2u);
  const auto* soft = std::get_if<ExpireEvent>(&events_[0]);
  const auto* hard = std::get_if<ExpireEvent>(&events_[1]);
  ASSERT_NE(soft, nullptr);
  ASSERT_NE(hard, nullptr);
  EXPECT_FALSE(soft->hard);
  EXPECT_TRUE(hard->hard);
  EXPECT_EQ(hard->sa, id);
  EXPECT_EQ(hard->reqid, 7u);
  // Packets after the hard limit find no SA: like the kernel, an acquire.
  WaitEvents(3);
  ASSERT_EQ(events_.size(), 3u);
  EXPECT_NE(std::get_if<AcquireEvent>(&events_[2]), nullptr);
  // The SA carried exactly its limit and is removed at the next tick.
  usleep(500000);
  EXPECT_EQ(backend_->QuerySa(id).error().code, BackendError::Code::kNotFound);
  EXPECT_EQ(backend_->stats().out_packets, 4u);
  close(app);
}

TEST_F(UserspaceBackendTest, HardExpireOnTime) {
  SaParams in = Sa(Direction::kIn, kSpiIn, Key(2));
  in.hard.seconds = 1;
  ASSERT_TRUE(backend_->AddSa(in).has_value());
  WaitEvents(1);
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_TRUE(std::get<ExpireEvent>(events_[0]).hard);
}

// Time lifetimes come from the deadline queue: soft first, then hard, which
// also removes the SA; an SA whose lifetimes an update lengthened expires at
// the new time, not the queued old one.
TEST_F(UserspaceBackendTest, SoftThenHardExpireOnTimeAndUpdateMovesDeadline) {
  SaParams out = Sa(Direction::kOut, kSpiOut, Key(1));
  out.soft.seconds = 1;
  out.hard.seconds = 2;
  const SaId out_id = out.id;
  ASSERT_TRUE(backend_->AddSa(out).has_value());
  SaParams in = Sa(Direction::kIn, kSpiIn, Key(2));
  in.hard.seconds = 1;
  const SaId in_id = in.id;
  ASSERT_TRUE(backend_->AddSa(in).has_value());
  in.hard.seconds = 30;  // lengthened before it was due
  ASSERT_TRUE(backend_->UpdateSa(in).has_value());
  WaitEvents(2);
  ASSERT_EQ(events_.size(), 2u);
  const auto& soft = std::get<ExpireEvent>(events_[0]);
  const auto& hard = std::get<ExpireEvent>(events_[1]);
  EXPECT_FALSE(soft.hard);
  EXPECT_EQ(soft.sa, out_id);
  EXPECT_TRUE(hard.hard);
  EXPECT_EQ(hard.sa, out_id);
  usleep(400000);
  EXPECT_EQ(backend_->QuerySa(out_id).error().code, BackendError::Code::kNotFound);
  EXPECT_TRUE(backend_->QuerySa(in_id).has_value());
  // Nothing more for the updated SA within its old lifetime.
  WaitEvents(3);
  EXPECT_EQ(events_.size(), 2u);
}

// The backend keeps an SA's id only as its map key (plus the mark mask):
// an expire after a MOBIKE move names the moved SA, mark and all.
TEST_F(UserspaceBackendTest, ExpireAfterMigrateNamesTheMovedSaWithItsMark) {
  SaParams in = Sa(Direction::kIn, kSpiIn, Key(2));
  in.id.mark = Mark{0x2a, 0xff};
  in.hard.seconds = 1;
  const SaId old_id = in.id;
  ASSERT_TRUE(backend_->AddSa(in).has_value());
  in.id.dst = Ip("127.0.0.2");
  in.src = Ip("127.0.0.3");
  ASSERT_TRUE(backend_->MigrateSa(old_id, in).has_value());
  EXPECT_EQ(backend_->QuerySa(old_id).error().code, BackendError::Code::kNotFound);
  EXPECT_TRUE(backend_->QuerySa(in.id).has_value());
  WaitEvents(1);
  ASSERT_EQ(events_.size(), 1u);
  const auto& hard = std::get<ExpireEvent>(events_[0]);
  EXPECT_TRUE(hard.hard);
  EXPECT_EQ(hard.sa, in.id);
  EXPECT_EQ(hard.sa.mark, (Mark{0x2a, 0xff}));
  EXPECT_EQ(hard.reqid, 7u);
}

TEST_F(UserspaceBackendTest, AcquireForTrapPolicyWithoutSa) {
  AddPolicies(/*trap=*/true);
  int app = UdpSocket("192.0.2.1", 7002);
  SendTo(app, "203.0.113.44", 53, "q");
  WaitEvents(1);
  ASSERT_EQ(events_.size(), 1u);
  const auto* acq = std::get_if<AcquireEvent>(&events_[0]);
  ASSERT_NE(acq, nullptr);
  EXPECT_EQ(acq->reqid, 7u);
  EXPECT_EQ(acq->selector.dst.ToString(), "203.0.113.44");
  EXPECT_EQ(acq->selector.proto, esp::kProtoUdp);
  // Counters are published at the end of the worker's batch, just after
  // the event was queued.
  for (int i = 0; i < 100 && backend_->stats().drops[esp::DropReason::kNoSa] == 0; ++i) {
    usleep(10000);
  }
  EXPECT_EQ(backend_->stats().drops[esp::DropReason::kNoSa], 1u);
  close(app);
}

TEST_F(UserspaceBackendTest, SpiAllocationIsUniqueAndReserved) {
  std::set<uint32_t> spis;
  for (int i = 0; i < 2000; ++i) {
    auto spi = backend_->AllocateSpi(Ip("127.0.0.1"), Ip("127.0.0.1"), ProtocolId::kEsp, 1);
    ASSERT_TRUE(spi.has_value());
    EXPECT_GE(*spi, 0xc0000000u);
    EXPECT_TRUE(spis.insert(*spi).second);
  }
  const uint32_t spi = *spis.begin();
  ASSERT_TRUE(backend_->AddSa(Sa(Direction::kIn, spi, Key(3))).has_value());
  EXPECT_EQ(backend_->AddSa(Sa(Direction::kIn, spi, Key(3))).error().code,
            BackendError::Code::kExists);
  // Deleting a reservation that never became an SA is allowed.
  SaId reserved{Ip("127.0.0.1"), *spis.rbegin(), ProtocolId::kEsp, {}};
  EXPECT_TRUE(backend_->DeleteSa(reserved).has_value());
  EXPECT_EQ(backend_->DeleteSa(reserved).error().code, BackendError::Code::kNotFound);
  EXPECT_EQ(backend_->AllocateSpi(Ip("127.0.0.1"), Ip("127.0.0.1"), ProtocolId::kAh, 1)
                .error()
                .code,
            BackendError::Code::kNotSupported);
}

TEST_F(UserspaceBackendTest, MappingEventWhenPeerPortChanges) {
  const Bytes k_in = Key(2);
  ASSERT_TRUE(backend_->AddSa(Sa(Direction::kIn, kSpiIn, k_in)).has_value());
  auto peer_out = esp::EspOutboundSa::Create(*PeerConfig(kSpiIn, k_in));
  ASSERT_TRUE(peer_out.has_value());
  Bytes pkt(28);
  esp::WriteIpHeader(pkt.data(), Ip("203.0.113.9"), Ip("192.0.2.1"), esp::kProtoUdp, 8);
  Bytes wire = WithRoom(pkt);
  auto esp_pkt = (*peer_out)->Encapsulate(wire, esp::kMaxEspHeadroom, pkt.size(), esp::kProtoIpv4);
  ASSERT_TRUE(esp_pkt.has_value());
  backend_->HandleUdp4500(*esp_pkt, Endpoint{Ip("127.0.0.1"), 31000},
                          Endpoint{Ip("127.0.0.1"), kBackendPort});
  WaitEvents(1);
  ASSERT_EQ(events_.size(), 1u);
  const auto* m = std::get_if<MappingEvent>(&events_[0]);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->old_peer.port, kPeerPort);
  EXPECT_EQ(m->new_peer.port, 31000);
}

}  // namespace
}  // namespace ike::xfrm
