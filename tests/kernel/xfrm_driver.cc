// xfrm_driver: a small test program that drives the kernel through
// NetlinkBackend from the command line, for the qemu kernel tests (and for
// anyone who needs SAs installed by *our* code in a test: the userspace ESP
// interop tests and the daemon tests can use it too).
//
//   xfrm_driver install --alg gcm|gcm256|chacha|cbc-sha256|cbc-sha1|ah-sha256
//       --mode tunnel|transport --local IP --remote IP
//       [--local-net NET/LEN --remote-net NET/LEN]   (tunnel mode)
//       --spi-out HEX --spi-in HEX [--reqid N] [--encap [--encap-sport N]]
//       [--no-in-sa] [--esn]
//       Installs an SA pair and in/out(/fwd) policies (InstallTransaction).
//       Keys are derived from the SPI, so both ends agree.
//   xfrm_driver counters --sas DST/SPI[/esp|ah][,...] [--min-packets N]
//       Reads each SA's counters through GETSA; exit 1 if one is below N.
//   xfrm_driver encap-socket --family 4|6 [--port 4500] [--daemon PIDFILE]
//       Holds a UDP socket with UDP_ENCAP_ESPINUDP and bypass policies
//       until killed (prints "ready"); with --daemon it forks once ready,
//       writes the holder's PID to PIDFILE and returns.
//   xfrm_driver acquire --local IP --remote IP [--reqid N] [--timeout-ms 10000]
//       Installs a trap policy, sends one UDP packet and waits for ACQUIRE.
//   xfrm_driver expire --local IP --remote IP [--soft-seconds 1 --hard-seconds 4]
//       Installs an SA with short add-time lifetimes and waits for the soft
//       and hard EXPIRE events.
//   xfrm_driver alloc-update --local IP --remote IP
//       The daemon's inbound flow: ALLOCSPI (larval SA), then UPDSA with the
//       keys; GETSA must show the algorithm on the allocated SPI.
//   xfrm_driver mapping [--timeout-ms N]
//       Prints "ready" once subscribed, then waits for a NAT-T MAPPING event.
//   xfrm_driver install-rate [--count N]
//       Measures SAs/s installed through netlink, batched and one by one.
//   xfrm_driver child-rate [--count N] [--ip-batch FILE] [--rounds R] [--policies-only]
//       Installs N CHILD_SAs the way the daemon does (an SA pair and
//       in/out/fwd tunnel policies each, AES-GCM-128, replay window 32)
//       through the batched netlink calls, then deletes them; prints the
//       CHILD_SAs per second of each round. --ip-batch writes the same
//       installs (and a final flush) as an `ip -batch` file, so a guest
//       script can time iproute2 doing identical work (bench/netlink).
//       --policies-only leaves the SAs out (for a kernel without ESP).
//   xfrm_driver probe
//       Prints the kernel capability probe and the /proc/crypto drivers.
// Every command accepts --netns NAME first: it enters /run/netns/NAME
// (as `ip netns exec` would, without a second process).
// Exit status: 0 success, 1 check failed, 2 usage error.
#include <arpa/inet.h>
#include <fcntl.h>
#include <sched.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "xfrm/backend/install_transaction.h"
#include "xfrm/netlink/kernel_probe.h"
#include "xfrm/netlink/netlink_backend.h"
#include "xfrm/netlink/socket_options.h"
#include "xfrm/netlink/xfrm_codec.h"

using namespace ike;
using namespace ike::xfrm;
using namespace ike::xfrm::netlink;

namespace {

using Args = std::map<std::string, std::string>;
using Clock = std::chrono::steady_clock;

[[noreturn]] void Usage(const std::string& why) {
  std::fprintf(stderr, "xfrm_driver: %s (see the header of tests/kernel/xfrm_driver.cc)\n",
               why.c_str());
  std::exit(2);
}

Args Parse(int argc, char** argv, int first) {
  Args args;
  for (int i = first; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) != 0) Usage("unexpected argument " + a);
    a = a.substr(2);
    if (i + 1 < argc && std::string(argv[i + 1]).rfind("--", 0) != 0) {
      args[a] = argv[++i];
    } else {
      args[a] = "1";
    }
  }
  return args;
}

std::string Get(const Args& args, const std::string& key, const std::string& fallback = "") {
  auto it = args.find(key);
  if (it != args.end()) return it->second;
  if (fallback.empty()) Usage("missing --" + key);
  return fallback;
}

IpAddress Addr(const std::string& text) {
  auto ip = IpAddress::Parse(text);
  if (!ip) Usage("bad address " + text);
  return *ip;
}

uint32_t Hex(const std::string& text) { return static_cast<uint32_t>(std::stoul(text, nullptr, 16)); }

std::pair<IpAddress, uint8_t> Net(const std::string& text) {
  auto slash = text.find('/');
  if (slash == std::string::npos) Usage("bad network " + text);
  return {Addr(text.substr(0, slash)), static_cast<uint8_t>(std::stoi(text.substr(slash + 1)))};
}

// Test keys derived from the SPI (both ends compute the same bytes).
SecretBytes TestKey(size_t n, uint32_t spi, uint8_t salt) {
  SecretBytes k(n);
  for (size_t i = 0; i < n; ++i) k[i] = static_cast<uint8_t>((spi >> ((i % 4) * 8)) ^ (i * 29) ^ salt);
  return k;
}

void SetAlgorithm(SaParams& sa, const std::string& alg) {
  if (alg == "gcm" || alg == "gcm256") {
    sa.encr = EncrId::kAesGcm16;
    sa.encr_key_bits = alg == "gcm" ? 128 : 256;
    sa.enc_key = TestKey(sa.encr_key_bits / 8 + 4, sa.id.spi, 1);
  } else if (alg == "chacha") {
    sa.encr = EncrId::kChaCha20Poly1305;
    sa.encr_key_bits = 256;
    sa.enc_key = TestKey(36, sa.id.spi, 2);
  } else if (alg == "cbc-sha256" || alg == "cbc-sha1") {
    sa.encr = EncrId::kAesCbc;
    sa.encr_key_bits = 128;
    sa.enc_key = TestKey(16, sa.id.spi, 3);
    sa.integ = alg == "cbc-sha256" ? IntegId::kHmacSha2_256_128 : IntegId::kHmacSha1_96;
    sa.integ_key = TestKey(alg == "cbc-sha256" ? 32 : 20, sa.id.spi, 4);
  } else if (alg == "ah-sha256") {
    sa.id.protocol = ProtocolId::kAh;
    sa.encr = EncrId::kNull;
    sa.integ = IntegId::kHmacSha2_256_128;
    sa.integ_key = TestKey(32, sa.id.spi, 5);
  } else {
    Usage("unknown --alg " + alg);
  }
}

std::unique_ptr<NetlinkBackend> OpenBackend(bool events) {
  auto b = NetlinkBackend::Open(NetlinkBackendOptions{.events = events});
  if (!b) {
    std::fprintf(stderr, "xfrm_driver: %s\n", b.error().ToString().c_str());
    std::exit(1);
  }
  return std::move(*b);
}

int Install(const Args& args) {
  const std::string alg = Get(args, "alg");
  const Mode mode = Get(args, "mode") == "transport" ? Mode::kTransport : Mode::kTunnel;
  const IpAddress local = Addr(Get(args, "local")), remote = Addr(Get(args, "remote"));
  const uint32_t reqid = static_cast<uint32_t>(std::stoul(Get(args, "reqid", "1")));
  const bool encap = args.count("encap") > 0;
  const ProtocolId proto = alg == "ah-sha256" ? ProtocolId::kAh : ProtocolId::kEsp;

  auto make_sa = [&](const IpAddress& src, const IpAddress& dst, uint32_t spi, Direction dir) {
    SaParams sa;
    sa.id = SaId{dst, spi, proto, {}};
    sa.src = src;
    sa.direction = dir;
    sa.mode = mode;
    sa.reqid = reqid;
    sa.esn = args.count("esn") > 0;
    sa.replay_window = 64;
    if (encap) sa.encap = Encap{4500, 4500};
    SetAlgorithm(sa, alg);
    return sa;
  };
  SaParams out_sa = make_sa(local, remote, Hex(Get(args, "spi-out")), Direction::kOut);
  SaParams in_sa = make_sa(remote, local, Hex(Get(args, "spi-in")), Direction::kIn);
  if (encap && args.count("encap-sport")) {
    // Send from another port than the peer expects: its kernel reports a
    // NAT mapping change.
    out_sa.encap->src_port = static_cast<uint16_t>(std::stoi(Get(args, "encap-sport")));
  }

  Selector out_sel, in_sel;
  if (mode == Mode::kTunnel) {
    auto [lnet, llen] = Net(Get(args, "local-net"));
    auto [rnet, rlen] = Net(Get(args, "remote-net"));
    out_sel = Selector{lnet, llen, rnet, rlen};
    in_sel = Selector{rnet, rlen, lnet, llen};
  } else {
    uint8_t full = local.is_v4() ? 32 : 128;
    out_sel = Selector{local, full, remote, full};
    in_sel = Selector{remote, full, local, full};
  }
  auto policy = [&](const Selector& sel, Direction dir, const IpAddress& src, const IpAddress& dst) {
    PolicyParams p;
    p.selector = sel;
    p.direction = dir;
    p.templates.push_back(PolicyTemplate{proto, mode, src, dst, reqid});
    return p;
  };

  auto backend = OpenBackend(false);
  InstallTransaction tx(*backend);
  auto step = [&](BackendResult<void> r, const char* what) {
    if (!r) {
      std::fprintf(stderr, "xfrm_driver: %s failed: %s\n", what, r.error().ToString().c_str());
      auto undo = tx.Rollback();
      std::fprintf(stderr, "xfrm_driver: rolled back (%zu undo errors)\n", undo.size());
      std::exit(1);
    }
  };
  step(tx.AddSa(out_sa), "outbound SA");
  if (!args.count("no-in-sa")) step(tx.AddSa(in_sa), "inbound SA");
  step(tx.AddPolicy(policy(out_sel, Direction::kOut, local, remote)), "out policy");
  step(tx.AddPolicy(policy(in_sel, Direction::kIn, remote, local)), "in policy");
  if (mode == Mode::kTunnel) {
    step(tx.AddPolicy(policy(in_sel, Direction::kFwd, remote, local)), "fwd policy");
  }
  tx.Commit();
  std::printf("installed %s %s %s out spi 0x%08x in spi 0x%08x%s%s\n", alg.c_str(),
              mode == Mode::kTunnel ? "tunnel" : "transport", local.ToString().c_str(),
              out_sa.id.spi, in_sa.id.spi, encap ? " udp-encap" : "",
              args.count("no-in-sa") ? " (inbound SA left out)" : "");
  return 0;
}

int Counters(const Args& args) {
  auto backend = OpenBackend(false);
  const uint64_t min = std::stoull(Get(args, "min-packets", "0"));
  std::string list = Get(args, "sas");
  int rc = 0;
  size_t pos = 0;
  while (pos <= list.size()) {
    size_t comma = list.find(',', pos);
    std::string item = list.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    pos = comma == std::string::npos ? list.size() + 1 : comma + 1;
    if (item.empty()) continue;
    size_t s1 = item.find('/');
    if (s1 == std::string::npos) Usage("bad --sas item " + item);
    size_t s2 = item.find('/', s1 + 1);
    std::string proto = s2 == std::string::npos ? "esp" : item.substr(s2 + 1);
    SaId id{Addr(item.substr(0, s1)), Hex(item.substr(s1 + 1, s2 == std::string::npos ? std::string::npos : s2 - s1 - 1)),
            proto == "ah" ? ProtocolId::kAh : ProtocolId::kEsp, {}};
    auto info = backend->GetSa(id);
    if (!info) {
      std::fprintf(stderr, "xfrm_driver: %s\n", info.error().ToString().c_str());
      rc = 1;
      continue;
    }
    std::printf("%s: %s%s%s packets=%llu bytes=%llu integrity_failures=%u replay_drops=%u%s\n",
                Describe(id).c_str(), info->aead.c_str(), info->crypt.c_str(),
                info->auth.empty() ? "" : (" " + info->auth).c_str(),
                static_cast<unsigned long long>(info->usage.packets),
                static_cast<unsigned long long>(info->usage.bytes), info->usage.integrity_failures,
                info->usage.replay_window_drops, info->encap ? " udp-encap" : "");
    if (info->usage.packets < min) rc = 1;
  }
  return rc;
}

volatile sig_atomic_t g_stop = 0;

int EncapSocket(const Args& args) {
  const bool v6 = Get(args, "family", "4") == "6";
  const uint16_t port = static_cast<uint16_t>(std::stoi(Get(args, "port", "4500")));
  int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
  int r;
  if (v6) {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(port);
    r = bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  } else {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    r = bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  }
  if (r != 0) {
    std::perror("xfrm_driver: bind");
    return 1;
  }
  auto enc = EnableUdpEncap(fd);
  auto bypass = SetSocketBypass(fd, v6 ? AddressFamily::kIpv6 : AddressFamily::kIpv4);
  if (!enc || !bypass) {
    std::fprintf(stderr, "xfrm_driver: %s\n",
                 (!enc ? enc.error() : bypass.error()).ToString().c_str());
    return 1;
  }
  signal(SIGTERM, [](int) { g_stop = 1; });
  signal(SIGINT, [](int) { g_stop = 1; });
  std::printf("ready: udp encap socket on port %u (IPv%c)\n", port, v6 ? '6' : '4');
  std::fflush(stdout);
  if (args.count("daemon")) {
    pid_t pid = fork();
    if (pid < 0) return 1;
    if (pid > 0) {
      FILE* f = std::fopen(Get(args, "daemon").c_str(), "w");
      if (!f) return 1;
      std::fprintf(f, "%d\n", pid);
      std::fclose(f);
      return 0;
    }
    setsid();
    std::freopen("/dev/null", "w", stdout);
  }
  while (!g_stop) pause();
  close(fd);
  return 0;
}

// Polls the backend's event socket until `done` or the timeout.
template <typename Done>
bool WaitEvents(NetlinkBackend& backend, int timeout_ms, Done done) {
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!done()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd p{backend.fd(), POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(std::min<long>(left.count(), 200))) > 0) {
      backend.ProcessEvents();
    }
  }
  return true;
}

int Acquire(const Args& args) {
  const IpAddress local = Addr(Get(args, "local")), remote = Addr(Get(args, "remote"));
  const uint32_t reqid = static_cast<uint32_t>(std::stoul(Get(args, "reqid", "99")));
  auto backend = OpenBackend(true);
  std::vector<AcquireEvent> seen;
  backend->SetEventHandler([&](const BackendEvent& ev) {
    if (auto* a = std::get_if<AcquireEvent>(&ev)) seen.push_back(*a);
  });
  PolicyParams trap;
  uint8_t full = local.is_v4() ? 32 : 128;
  trap.selector = Selector{local, full, remote, full};
  trap.selector.proto = IPPROTO_UDP;
  trap.direction = Direction::kOut;
  trap.trap = true;
  trap.templates.push_back(PolicyTemplate{ProtocolId::kEsp, Mode::kTransport, {}, {}, reqid});
  if (auto r = backend->AddPolicy(trap); !r) {
    std::fprintf(stderr, "xfrm_driver: trap policy: %s\n", r.error().ToString().c_str());
    return 1;
  }
  // The trigger: one datagram matching the trap policy.
  int fd = socket(local.is_v4() ? AF_INET : AF_INET6, SOCK_DGRAM, 0);
  if (local.is_v4()) {
    sockaddr_in d{};
    d.sin_family = AF_INET;
    d.sin_port = htons(9);
    std::memcpy(&d.sin_addr, remote.bytes().data(), 4);
    sendto(fd, "acquire", 7, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&d), sizeof d);
  } else {
    sockaddr_in6 d{};
    d.sin6_family = AF_INET6;
    d.sin6_port = htons(9);
    std::memcpy(&d.sin6_addr, remote.bytes().data(), 16);
    sendto(fd, "acquire", 7, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&d), sizeof d);
  }
  close(fd);
  int timeout = std::stoi(Get(args, "timeout-ms", "10000"));
  bool ok = WaitEvents(*backend, timeout, [&] {
    for (auto& a : seen) {
      if (a.reqid == reqid) return true;
    }
    return false;
  });
  (void)backend->FlushOwned();
  for (auto& a : seen) {
    std::printf("ACQUIRE reqid=%u policy_index=%u packet %s\n", a.reqid, a.policy_index,
                Describe(a.selector).c_str());
  }
  for (auto& e : backend->TakeEventErrors()) std::printf("event error: %s\n", e.ToString().c_str());
  if (!ok) std::printf("no ACQUIRE for reqid %u within %d ms\n", reqid, timeout);
  return ok ? 0 : 1;
}

int Expire(const Args& args) {
  const IpAddress local = Addr(Get(args, "local")), remote = Addr(Get(args, "remote"));
  auto backend = OpenBackend(true);
  std::vector<ExpireEvent> seen;
  backend->SetEventHandler([&](const BackendEvent& ev) {
    if (auto* e = std::get_if<ExpireEvent>(&ev)) seen.push_back(*e);
  });
  SaParams sa;
  sa.id = SaId{local, 0x00e10001, ProtocolId::kEsp, {}};
  sa.src = remote;
  sa.reqid = 55;
  SetAlgorithm(sa, "gcm");
  sa.soft.seconds = std::stoull(Get(args, "soft-seconds", "1"));
  // The kernel checks the hard limit first: if its timer runs late (a
  // starved TCG guest) past both limits, only the hard event is sent. A
  // wide gap keeps the soft event observable.
  sa.hard.seconds = std::stoull(Get(args, "hard-seconds", "4"));
  if (auto r = backend->AddSa(sa); !r) {
    std::fprintf(stderr, "xfrm_driver: %s\n", r.error().ToString().c_str());
    return 1;
  }
  auto t0 = Clock::now();
  bool soft = false, hard = false;
  bool ok = WaitEvents(*backend, static_cast<int>(sa.hard.seconds + 10) * 1000, [&] {
    for (auto& e : seen) {
      if (e.sa.spi != sa.id.spi) continue;
      (e.hard ? hard : soft) = true;
    }
    return soft && hard;
  });
  double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  for (auto& e : seen) {
    std::printf("EXPIRE %s %s reqid=%u\n", e.hard ? "hard" : "soft", Describe(e.sa).c_str(),
                e.reqid);
  }
  // After the hard expire the kernel has removed the SA itself.
  auto gone = backend->QuerySa(sa.id);
  std::printf("after %.1f s: soft=%d hard=%d, SA %s\n", secs, soft, hard,
              gone ? "still present" : "gone");
  (void)backend->FlushOwned();
  return ok && !gone ? 0 : 1;
}

int AllocUpdate(const Args& args) {
  const IpAddress local = Addr(Get(args, "local")), remote = Addr(Get(args, "remote"));
  auto backend = OpenBackend(false);
  auto spi = backend->AllocateSpi(remote, local, ProtocolId::kEsp, 21);
  if (!spi) {
    std::fprintf(stderr, "xfrm_driver: %s\n", spi.error().ToString().c_str());
    return 1;
  }
  SaParams sa;
  sa.id = SaId{local, *spi, ProtocolId::kEsp, {}};
  sa.src = remote;
  sa.reqid = 21;
  SetAlgorithm(sa, "chacha");
  auto before = backend->GetSa(sa.id);
  auto up = backend->UpdateSa(sa);
  auto after = backend->GetSa(sa.id);
  bool ok = before && before->aead.empty() && up && after && after->aead == "rfc7539esp(chacha20,poly1305)";
  std::printf("ALLOCSPI spi 0x%08x (larval: %s), UPDSA %s, GETSA: %s\n", *spi,
              before ? (before->aead.empty() ? "no algorithm" : before->aead.c_str()) : "missing",
              up ? "ok" : up.error().ToString().c_str(),
              after ? after->aead.c_str() : after.error().ToString().c_str());
  (void)backend->FlushOwned();
  return ok ? 0 : 1;
}

int Mapping(const Args& args) {
  auto backend = OpenBackend(true);
  std::vector<MappingEvent> seen;
  backend->SetEventHandler([&](const BackendEvent& ev) {
    if (auto* m = std::get_if<MappingEvent>(&ev)) seen.push_back(*m);
  });
  std::printf("ready\n");
  std::fflush(stdout);
  int timeout = std::stoi(Get(args, "timeout-ms", "10000"));
  bool ok = WaitEvents(*backend, timeout, [&] { return !seen.empty(); });
  for (auto& m : seen) {
    std::printf("MAPPING %s peer %s -> %s\n", Describe(m.sa).c_str(),
                m.old_peer.ToString().c_str(), m.new_peer.ToString().c_str());
  }
  if (!ok) std::printf("no MAPPING event within %d ms\n", timeout);
  return ok ? 0 : 1;
}

int InstallRate(const Args& args) {
  const int count = std::stoi(Get(args, "count", "2000"));
  auto backend = OpenBackend(false);
  auto make = [&](int base, int n) {
    std::vector<SaParams> sas;
    for (int i = 0; i < n; ++i) {
      SaParams sa;
      uint32_t spi = static_cast<uint32_t>(base + i);
      sa.id = SaId{IpAddress::V4(0xc6336400u | static_cast<uint32_t>(i % 250 + 1)), spi,
                   ProtocolId::kEsp, {}};  // 198.51.100.x
      sa.src = IpAddress::V4(0xc6336401u);
      sa.reqid = static_cast<uint32_t>(i + 1);
      SetAlgorithm(sa, "gcm");
      sas.push_back(std::move(sa));
    }
    return sas;
  };
  auto run = [&](std::vector<SaParams>& sas, bool batched) -> double {
    auto t0 = Clock::now();
    size_t failed = 0;
    if (batched) {
      for (auto& r : backend->AddSas(sas)) failed += !r;
    } else {
      for (auto& sa : sas) failed += !backend->AddSa(sa);
    }
    double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    if (failed) std::printf("install-rate: %zu installs failed\n", failed);
    if (batched && !failed) {
      // The same SPI again: the kernel's EEXIST, reported as a collision.
      auto dup = backend->AddSa(sas[0]);
      if (dup || dup.error().code != BackendError::Code::kExists ||
          dup.error().detail.find("SPI collision") == std::string::npos) {
        std::printf("install-rate: duplicate SPI not reported as a collision: %s\n",
                    dup ? "accepted" : dup.error().ToString().c_str());
        failed = 1;
      } else {
        std::printf("duplicate SPI: %s\n", dup.error().ToString().c_str());
      }
    }
    std::vector<SaId> ids;
    for (auto& sa : sas) ids.push_back(sa.id);
    backend->DeleteSas(ids);
    return failed ? -1 : secs;
  };
  auto batch = make(0x20000, count);
  double b = run(batch, true);
  auto single = make(0x40000, count / 4);
  double s = run(single, false);
  if (b < 0 || s < 0) return 1;
  std::printf("install-rate: batched %d SAs in %.0f ms = %.0f SAs/s; one by one %d SAs in %.0f ms = %.0f SAs/s\n",
              count, b * 1000, count / b, count / 4, s * 1000, (count / 4) / s);
  return 0;
}

// One CHILD_SA of the child-rate benchmark: 10.1.i.j/32 <-> 10.2.i.j/32
// between 198.51.100.1 and 198.51.100.2, reqid i + 1, SPIs from i.
struct BenchChild {
  SaParams out_sa, in_sa;
  std::vector<PolicyParams> policies;
};

BenchChild MakeBenchChild(uint32_t i, uint32_t spi_base) {
  const IpAddress a = IpAddress::V4(0xc6336401u), b = IpAddress::V4(0xc6336402u);
  const IpAddress ln = IpAddress::V4(0x0a010000u | (i & 0xffffu));
  const IpAddress rn = IpAddress::V4(0x0a020000u | (i & 0xffffu));
  const uint32_t reqid = i + 1;
  auto sa = [&](const IpAddress& src, const IpAddress& dst, uint32_t spi, Direction dir) {
    SaParams p;
    p.id = SaId{dst, spi, ProtocolId::kEsp, {}};
    p.src = src;
    p.direction = dir;
    p.mode = Mode::kTunnel;
    p.reqid = reqid;
    p.replay_window = 32;
    SetAlgorithm(p, "gcm");
    return p;
  };
  BenchChild c;
  c.out_sa = sa(a, b, spi_base + 2 * i, Direction::kOut);
  c.in_sa = sa(b, a, spi_base + 2 * i + 1, Direction::kIn);
  auto pol = [&](const IpAddress& s, const IpAddress& d, Direction dir, const IpAddress& ts,
                 const IpAddress& td) {
    PolicyParams p;
    p.selector = Selector{s, 32, d, 32};
    p.direction = dir;
    p.priority = 1000;
    p.templates.push_back(PolicyTemplate{ProtocolId::kEsp, Mode::kTunnel, ts, td, reqid});
    return p;
  };
  c.policies.push_back(pol(ln, rn, Direction::kOut, a, b));
  c.policies.push_back(pol(rn, ln, Direction::kIn, b, a));
  c.policies.push_back(pol(rn, ln, Direction::kFwd, b, a));
  return c;
}

std::string HexKey(const SecretBytes& k) {
  std::vector<char> buf(2 * k.size() + 3, '\0');
  buf[0] = '0';
  buf[1] = 'x';
  for (size_t i = 0; i < k.size(); ++i) std::snprintf(&buf[2 + 2 * i], 3, "%02x", k[i]);
  return std::string(buf.data());
}

// The same CHILD_SAs as iproute2 commands (one netlink request and ACK
// per line, as `ip -batch` sends them).
void WriteIpBatch(const std::vector<BenchChild>& children, const std::string& path,
                  bool with_sas) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f) Usage("cannot write " + path);
  auto dir_name = [](Direction d) {
    return d == Direction::kOut ? "out" : d == Direction::kIn ? "in" : "fwd";
  };
  for (const BenchChild& c : children) {
    for (const SaParams* sa : {&c.out_sa, &c.in_sa}) {
      if (!with_sas) break;
      std::fprintf(f,
                   "xfrm state add src %s dst %s proto esp spi 0x%08x reqid %u mode tunnel "
                   "replay-window 32 aead 'rfc4106(gcm(aes))' %s 128\n",
                   sa->src.ToString().c_str(), sa->id.dst.ToString().c_str(), sa->id.spi, sa->reqid,
                   HexKey(sa->enc_key).c_str());
    }
    for (const PolicyParams& p : c.policies) {
      const PolicyTemplate& t = p.templates.front();
      std::fprintf(f,
                   "xfrm policy add src %s/32 dst %s/32 dir %s priority %u tmpl src %s dst %s "
                   "proto esp reqid %u mode tunnel\n",
                   p.selector.src.ToString().c_str(), p.selector.dst.ToString().c_str(),
                   dir_name(p.direction), p.priority, t.src.ToString().c_str(),
                   t.dst.ToString().c_str(), t.reqid);
    }
  }
  std::fclose(f);
}

int ChildRate(const Args& args) {
  const int count = std::stoi(Get(args, "count", "2000"));
  const int rounds = std::stoi(Get(args, "rounds", "3"));
  if (count <= 0 || count > 60000 || rounds <= 0 || rounds > 20) Usage("bad --count/--rounds");
  std::vector<BenchChild> children;
  children.reserve(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) children.push_back(MakeBenchChild(static_cast<uint32_t>(i), 0x30000));
  const bool with_sas = !args.count("policies-only");
  if (args.count("ip-batch")) WriteIpBatch(children, Get(args, "ip-batch"), with_sas);

  std::vector<SaParams> sas;
  std::vector<PolicyParams> policies;
  std::vector<SaId> sa_ids;
  std::vector<PolicyId> policy_ids;
  for (const BenchChild& c : children) {
    for (const SaParams* sa : {&c.out_sa, &c.in_sa}) {
      if (!with_sas) break;
      sas.push_back(sa->Clone());
      sa_ids.push_back(sa->id);
    }
    for (const PolicyParams& p : c.policies) {
      policies.push_back(p);
      policy_ids.push_back(PolicyId{p.selector, p.direction, p.mark, p.if_id});
    }
  }
  auto backend = OpenBackend(false);
  for (int r = 0; r < rounds; ++r) {
    auto t0 = Clock::now();
    size_t failed = 0;
    for (auto& res : backend->AddSas(sas)) failed += !res;
    for (auto& res : backend->AddPolicies(policies)) failed += !res;
    double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    size_t undo_failed = 0;
    for (auto& res : backend->DeletePolicies(policy_ids)) undo_failed += !res;
    for (auto& res : backend->DeleteSas(sa_ids)) undo_failed += !res;
    if (failed || undo_failed) {
      std::printf("child-rate: %zu installs and %zu deletes failed\n", failed, undo_failed);
      return 1;
    }
    std::printf("child-rate: round %d: %d CHILD_SAs (%zu SAs, %zu policies) in %.1f ms = %.0f CHILD_SAs/s\n",
                r + 1, count, sas.size(), policies.size(), secs * 1000, count / secs);
  }
  return 0;
}

int Probe() {
  KernelProbeResult r = ProbeKernel();
  std::printf("probe: esp=%d ah=%d\n", r.capabilities.esp, r.capabilities.ah);
  for (auto& a : r.algorithms) {
    std::printf("  %-60s %s %s\n", a.name.c_str(), a.available ? "yes" : "no", a.reason.c_str());
  }
  for (auto& n : r.capabilities.notes) std::printf("  note: %s\n", n.c_str());
  for (auto& k : ListKernelAlgorithms()) {
    std::printf("  alg %-24s %-32s %s prio %d %s\n", k.ike_name.c_str(), k.kernel_name.c_str(),
                k.driver.c_str(), k.priority, k.note.c_str());
  }
  return r.capabilities.esp ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  int first = 1;
  if (argc > 2 && std::string(argv[1]) == "--netns") {
    std::string path = std::string("/run/netns/") + argv[2];
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
      std::fprintf(stderr, "xfrm_driver: cannot enter %s: %s\n", path.c_str(), std::strerror(errno));
      return 1;
    }
    close(fd);
    first = 3;
  }
  if (argc <= first) Usage("no command");
  std::string cmd = argv[first];
  Args args = Parse(argc, argv, first + 1);
  if (cmd == "install") return Install(args);
  if (cmd == "counters") return Counters(args);
  if (cmd == "encap-socket") return EncapSocket(args);
  if (cmd == "acquire") return Acquire(args);
  if (cmd == "expire") return Expire(args);
  if (cmd == "mapping") return Mapping(args);
  if (cmd == "alloc-update") return AllocUpdate(args);
  if (cmd == "install-rate") return InstallRate(args);
  if (cmd == "child-rate") return ChildRate(args);
  if (cmd == "probe") return Probe();
  Usage("unknown command " + cmd);
}
