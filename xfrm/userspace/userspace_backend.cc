#include "xfrm/userspace/userspace_backend.h"

#include <sys/uio.h>

#include <arpa/inet.h>
#include <linux/futex.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <openssl/rand.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <shared_mutex>
#include <utility>

#include "libike/common/sockaddr.h"
#include "xfrm/userspace/gso.h"

namespace ike::xfrm {
namespace {

constexpr size_t kHeadroom = 128;  // room for ESP header or a rebuilt IP header
constexpr size_t kBufSize = 65536 + 256;
// IPV6_PKTINFO (40 bytes with its header) plus UDP_SEGMENT / UDP_GRO (24).
constexpr size_t kCmsgSpace = 128;

uint64_t NowSeconds() { return static_cast<uint64_t>(std::time(nullptr)); }
uint64_t NowMs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000 + static_cast<uint64_t>(ts.tv_nsec) / 1000000;
}
int Fam(AddressFamily f) { return f == AddressFamily::kIpv4 ? 0 : 1; }

BackendError Error(BackendError::Code code, std::string detail, int err = 0) {
  return BackendError{code, err, std::move(detail)};
}

esp::TransformSpec SpecOf(const SaParams& p) {
  return esp::TransformSpec{p.encr, p.encr_key_bits, p.integ};
}

// The local address a datagram arrived on, from IP_PKTINFO / IPV6_PKTINFO.
std::optional<IpAddress> PktinfoDst(msghdr& msg) {
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
      in_pktinfo pi;
      std::memcpy(&pi, CMSG_DATA(c), sizeof(pi));
      return IpAddress::FromBytes(ByteView(reinterpret_cast<const uint8_t*>(&pi.ipi_addr), 4));
    }
    if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
      in6_pktinfo pi;
      std::memcpy(&pi, CMSG_DATA(c), sizeof(pi));
      return IpAddress::FromBytes(ByteView(reinterpret_cast<const uint8_t*>(&pi.ipi6_addr), 16));
    }
  }
  return std::nullopt;
}

// The datagram size of a coalesced UDP receive (UDP_GRO), 0 if none.
size_t GroSize(msghdr& msg) {
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO && c->cmsg_len >= CMSG_LEN(sizeof(int))) {
      int size = 0;
      std::memcpy(&size, CMSG_DATA(c), sizeof(size));
      return size > 0 ? static_cast<size_t>(size) : 0;
    }
  }
  return 0;
}

// Appends a UDP_SEGMENT control message after `used` bytes of `control`.
size_t PutUdpSegment(uint8_t* control, size_t used, uint16_t segment_size) {
  auto* c = reinterpret_cast<cmsghdr*>(control + used);
  c->cmsg_level = SOL_UDP;
  c->cmsg_type = UDP_SEGMENT;
  c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
  std::memcpy(CMSG_DATA(c), &segment_size, sizeof(segment_size));
  return used + CMSG_SPACE(sizeof(uint16_t));
}

// Sets the source address of an outgoing datagram.
size_t PutPktinfoSrc(uint8_t* control, const IpAddress& src) {
  std::memset(control, 0, kCmsgSpace);
  auto* c = reinterpret_cast<cmsghdr*>(control);
  if (src.is_v4()) {
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
    in_pktinfo pi{};
    std::memcpy(&pi.ipi_spec_dst, src.bytes().data(), 4);
    std::memcpy(CMSG_DATA(c), &pi, sizeof(pi));
    return CMSG_SPACE(sizeof(in_pktinfo));
  }
  c->cmsg_level = IPPROTO_IPV6;
  c->cmsg_type = IPV6_PKTINFO;
  c->cmsg_len = CMSG_LEN(sizeof(in6_pktinfo));
  in6_pktinfo pi{};
  std::memcpy(&pi.ipi6_addr, src.bytes().data(), 16);
  std::memcpy(CMSG_DATA(c), &pi, sizeof(pi));
  return CMSG_SPACE(sizeof(in6_pktinfo));
}

}  // namespace

// The per-SA data-plane lock. std::mutex is 40 bytes and there is one per
// ESP SA, two per tunnel (issue 11: daemon memory per tunnel); this one is 4.
// Uncontended it is one compare-exchange; contended it sleeps on a futex
// (Drepper, "Futexes Are Tricky", mutex 3: 0 free, 1 locked, 2 locked and
// maybe waiters). Never held together with another SaMutex.
class SaMutex {
 public:
  void lock() {
    uint32_t c = 0;
    if (state_.compare_exchange_strong(c, 1, std::memory_order_acquire)) return;
    if (c != 2) c = state_.exchange(2, std::memory_order_acquire);
    while (c != 0) {
      Futex(FUTEX_WAIT_PRIVATE, 2);
      c = state_.exchange(2, std::memory_order_acquire);
    }
  }
  void unlock() {
    if (state_.exchange(0, std::memory_order_release) == 2) Futex(FUTEX_WAKE_PRIVATE, 1);
  }

 private:
  void Futex(int op, uint32_t value) {
    static_assert(sizeof(state_) == sizeof(uint32_t) && std::atomic<uint32_t>::is_always_lock_free);
    // FUTEX_WAIT returns at once (EAGAIN) if the word is no longer `value`;
    // spurious wake-ups are fine, lock() re-checks.
    syscall(SYS_futex, reinterpret_cast<uint32_t*>(&state_), op, value, nullptr, nullptr, 0);
  }
  std::atomic<uint32_t> state_{0};
};

// What the backend reads of an SA after installing it: SaParams without the
// keys (they live on only inside the ESP objects), the algorithms, offload
// and replay settings (also inside the ESP objects) and the fields it never
// reads (direction: `in` or `out` is set; if_id), packed, and with what most
// SAs lack (a selector, byte/packet lifetimes, a NAT mapping seen) behind a
// pointer. The SaId is the map key plus mark_mask (SaIdOf). One per ESP SA,
// two per tunnel (issue 11: memory per tunnel).
struct UserspaceBackend::SaState {
  struct Volume {  // byte and packet lifetimes; 0 = unlimited
    uint64_t soft_bytes = 0;
    uint64_t soft_packets = 0;
    uint64_t hard_bytes = 0;
    uint64_t hard_packets = 0;
  };

  // The fields an update may change (UpdateSa); the rest is set once.
  void SetMutable(const SaParams& sa) {
    src = sa.src;
    has_encap = sa.encap.has_value();
    encap = sa.encap.value_or(Encap{});
    reqid = sa.reqid;
    soft_seconds = sa.soft.seconds;
    hard_seconds = sa.hard.seconds;
    if (sa.soft.bytes || sa.soft.packets || sa.hard.bytes || sa.hard.packets) {
      volume = std::make_unique<Volume>(
          Volume{sa.soft.bytes, sa.soft.packets, sa.hard.bytes, sa.hard.packets});
    } else {
      volume.reset();
    }
    selector = sa.selector ? std::make_unique<Selector>(*sa.selector) : nullptr;
  }

  IpAddress src;  // outer source
  Mode mode = Mode::kTunnel;
  bool has_encap = false;  // ESP-in-UDP with `encap`'s ports
  bool soft_sent = false;
  std::atomic<bool> hard_sent{false};  // read by workers searching SAs
  Encap encap;
  uint32_t mark_mask = 0;  // the SaId's mark.mask; the rest of the SaId is the map key
  uint32_t reqid = 0;
  uint32_t tfc_pad = 0;
  mutable SaMutex mu;  // crypto state, counters, lifetime flags, peer (data plane)
  uint32_t replay_drops = 0;
  uint32_t integrity_failures = 0;
  uint64_t soft_seconds = 0;  // since add_time; 0 = unlimited
  uint64_t hard_seconds = 0;
  uint64_t bytes = 0;
  uint64_t packets = 0;
  uint64_t add_time = 0;
  uint64_t use_time = 0;
  uint64_t deadline = 0;  // time of this SA's entry in deadlines_ (0: none queued)
  std::unique_ptr<Volume> volume;      // null: no byte/packet lifetime
  std::unique_ptr<Selector> selector;  // traffic it may carry; null: any
  std::unique_ptr<Endpoint> peer;      // last UDP-encapsulated source (NAT mapping)
  std::unique_ptr<esp::EspOutboundSa> out;
  std::unique_ptr<esp::EspInboundSa> in;
};

// Packets waiting for one sendmmsg on one socket. With UDP GSO a message
// carries several equal-sized datagrams to one destination (one iovec
// each, runs[i] says how many), sent with a UDP_SEGMENT control message.
struct UserspaceBackend::TxQueue {
  int fd = -1;
  size_t count = 0;      // messages
  size_t iov_count = 0;  // datagrams
  std::vector<mmsghdr> msgs;
  std::vector<iovec> iovs;
  std::vector<sockaddr_storage> addrs;
  std::vector<std::array<uint8_t, kCmsgSpace>> controls;
  std::vector<UdpGsoRun> runs;
  explicit TxQueue(size_t n) : msgs(n), iovs(n), addrs(n), controls(n), runs(n) {}
};

struct UserspaceBackend::Worker {
  size_t batch;
  int tun_fd = -1;
  size_t slot = 0;          // next free buffer in bufs for outbound packets
  UserspaceStats stats;      // this worker's, lock-free
  UserspaceStats published;  // a copy for stats(), under stats_mu_
  std::vector<std::vector<uint8_t>> bufs;  // one per packet of a batch
  std::vector<mmsghdr> rx_msgs;
  std::vector<iovec> rx_iovs;
  std::vector<sockaddr_storage> rx_addrs;
  std::vector<std::array<uint8_t, kCmsgSpace>> rx_controls;
  std::vector<uint8_t> rd;  // TUN reads (a TSO super-packet is cut into bufs)
  TcpCoalescer gro;         // decapsulated TCP segments on their way to the TUN device
  TxQueue tx[4];  // raw4, raw6, udp4, udp6
  // At least 64 buffers, so that a 64 KB TSO packet cut at a 1400-byte MTU
  // fits in one sendmmsg round.
  explicit Worker(size_t n)
      : batch(n),
        bufs(std::max<size_t>(n, 64), std::vector<uint8_t>(kBufSize)),
        rx_msgs(n),
        rx_iovs(n),
        rx_addrs(n),
        rx_controls(n),
        rd(kBufSize + VnetHdr::kSize),
        tx{TxQueue(bufs.size()), TxQueue(bufs.size()), TxQueue(bufs.size()),
           TxQueue(bufs.size())} {}
};

UserspaceBackend::UserspaceBackend(UserspaceOptions options)
    : options_(std::move(options)), scratch_(kBufSize) {
  event_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (options_.batch == 0) options_.batch = 1;
}

UserspaceBackend::~UserspaceBackend() {
  Stop();
  if (event_fd_ >= 0) close(event_fd_);
}

BackendResult<void> UserspaceBackend::Start() {
  IKE_TRY(Open());
  StartWorkers();
  return {};
}

BackendResult<void> UserspaceBackend::Open() {
  size_t workers = options_.workers;
  if (workers == 0) workers = std::max(1u, std::thread::hardware_concurrency());
  IKE_TRY(tun_.Open(options_.tun_name, options_.tun_mtu, workers, options_.tun_offload));
  gro_ = tun_.offload() && options_.tun_gro;
  if (options_.manage_routes) {
    IKE_TRY(rtnl_.Open());
    for (AddressFamily f : {AddressFamily::kIpv4, AddressFamily::kIpv6}) {
      auto r = rtnl_.Rule(true, f, options_.route_table, options_.rule_priority, options_.fwmark,
                          options_.fwmark);
      if (r) {
        rules_installed_[Fam(f)] = true;
      } else if (r.error().code != BackendError::Code::kExists) {
        return MakeUnexpected(r.error());
      }
    }
  }
  auto open_socket = [&](int family, int type, int proto) -> BackendResult<int> {
    int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
    if (fd < 0) {
      return MakeUnexpected(Error(errno == EPERM ? BackendError::Code::kPermission
                                                 : BackendError::Code::kSystem,
                                  "socket", errno));
    }
    int one = 1;
    uint32_t mark = options_.fwmark;
    if (setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) < 0) {
      int err = errno;
      close(fd);
      return MakeUnexpected(Error(BackendError::Code::kPermission, "SO_MARK", err));
    }
    if (family == AF_INET) {
      setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
    } else {
      setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
      setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    }
    int size = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
    return fd;
  };
  if (options_.own_esp_sockets) {
    IKE_ASSIGN_OR_RETURN(raw_fd_[0], open_socket(AF_INET, SOCK_RAW, IPPROTO_ESP));
    IKE_ASSIGN_OR_RETURN(raw_fd_[1], open_socket(AF_INET6, SOCK_RAW, IPPROTO_ESP));
  }
  if (options_.own_udp_sockets) {
    for (int f = 0; f < 2; ++f) {
      IKE_ASSIGN_OR_RETURN(udp_fd_[f], open_socket(f == 0 ? AF_INET : AF_INET6, SOCK_DGRAM, 0));
      int one = 1;
      setsockopt(udp_fd_[f], SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
      sockaddr_storage ss;
      socklen_t len = ToSockaddr(
          Endpoint{IpAddress::Any(f == 0 ? AddressFamily::kIpv4 : AddressFamily::kIpv6),
                   options_.udp_port},
          ss);
      if (bind(udp_fd_[f], reinterpret_cast<sockaddr*>(&ss), len) < 0) {
        return MakeUnexpected(Error(BackendError::Code::kSystem,
                                    "bind UDP port " + std::to_string(options_.udp_port), errno));
      }
      // UDP GSO: a kernel that knows UDP_SEGMENT accepts 0 (= off) as the
      // socket default; the segment size then goes with each sendmsg.
      int zero = 0;
      const char* v = f == 0 ? "IPv4" : "IPv6";
      if (options_.udp_gso) {
        udp_gso_[f] = setsockopt(udp_fd_[f], SOL_UDP, UDP_SEGMENT, &zero, sizeof(zero)) == 0;
        if (!udp_gso_[f]) {
          Note(std::string("UDP GSO (UDP_SEGMENT) refused on the ") + v + " ESP-in-UDP socket (" +
               std::strerror(errno) + "): one datagram per send");
        }
      }
      if (options_.udp_gro) {
        udp_gro_[f] = setsockopt(udp_fd_[f], SOL_UDP, UDP_GRO, &one, sizeof(one)) == 0;
        if (!udp_gro_[f]) {
          Note(std::string("UDP GRO refused on the ") + v + " ESP-in-UDP socket (" +
               std::strerror(errno) + "): one datagram per receive");
        }
      }
    }
  }
  if (options_.tun_offload && !tun_.offload()) {
    Note("TUN offload (IFF_VNET_HDR + TUNSETOFFLOAD TSO/checksum) refused; one packet per TUN read");
  }
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  for (size_t i = 0; i < workers; ++i) {
    workers_.push_back(std::make_unique<Worker>(options_.batch));
    workers_.back()->tun_fd = tun_.fd(i);
  }
  return {};
}

void UserspaceBackend::StartWorkers() {
  if (!threads_.empty() || workers_.empty()) return;
  running_ = true;
  for (size_t i = 0; i < workers_.size(); ++i) {
    threads_.emplace_back([this, i] { Run(*workers_[i], i); });
  }
}

void UserspaceBackend::Stop() {
  if (running_.exchange(false)) {
    uint64_t one = 1;
    if (write(wake_fd_, &one, sizeof(one)) < 0) {
      // The thread still notices running_ at its next poll timeout.
    }
  }
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
  (void)FlushOwned();
  for (int f = 0; f < 2; ++f) {
    if (rules_installed_[f]) {
      (void)rtnl_.Rule(false, f == 0 ? AddressFamily::kIpv4 : AddressFamily::kIpv6,
                       options_.route_table, options_.rule_priority, options_.fwmark,
                       options_.fwmark);
      rules_installed_[f] = false;
    }
    if (raw_fd_[f] >= 0) close(raw_fd_[f]);
    if (udp_fd_[f] >= 0) close(udp_fd_[f]);
    raw_fd_[f] = udp_fd_[f] = -1;
  }
  if (wake_fd_ >= 0) close(wake_fd_);
  wake_fd_ = -1;
}

UserspaceBackend::SaKey UserspaceBackend::KeyOf(const SaId& id) {
  return SaKey{id.dst, id.spi, static_cast<uint8_t>(id.protocol), id.mark.value};
}

SaId UserspaceBackend::SaIdOf(const SaEntry& e) {
  return SaId{e.first.dst, e.first.spi, static_cast<ProtocolId>(e.first.protocol),
              Mark{e.first.mark, e.second.mark_mask}};
}

BackendResult<uint32_t> UserspaceBackend::AllocateSpi(const IpAddress& src, const IpAddress& dst,
                                                      ProtocolId protocol, uint32_t reqid) {
  if (protocol != ProtocolId::kEsp) {
    return MakeUnexpected(Error(BackendError::Code::kNotSupported, "userspace backend: ESP only"));
  }
  std::unique_lock lock(mu_);
  for (int attempt = 0; attempt < 1000; ++attempt) {
    uint32_t spi = 0;
    if (RAND_bytes(reinterpret_cast<uint8_t*>(&spi), sizeof(spi)) != 1) break;
    // SPIs 0..255 are reserved (RFC 4303 2.1); keep the top bit set like
    // strongSwan's default range so they are easy to tell apart in captures.
    spi |= 0xc0000000u;
    if (inbound_by_spi_.count(spi) != 0 || reserved_spis_.count(spi) != 0) continue;
    reserved_spis_.insert(spi);
    return spi;
  }
  return MakeUnexpected(Error(BackendError::Code::kSystem, "no free SPI"));
}

size_t UserspaceBackend::SaKeyHash::operator()(const SaKey& k) const noexcept {
  uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a over the address, then the rest mixed in
  for (uint8_t b : k.dst.bytes()) h = (h ^ b) * 0x100000001b3ull;
  h ^= (static_cast<uint64_t>(k.spi) << 32) ^ (static_cast<uint64_t>(k.protocol) << 24) ^ k.mark;
  h *= 0x9E3779B97F4A7C15ull;
  return static_cast<size_t>(h ^ (h >> 29));
}

BackendResult<void> UserspaceBackend::AddSa(const SaParams& sa) {
  std::unique_lock lock(mu_);
  return AddSaLocked(sa);
}

BackendResult<void> UserspaceBackend::AddSaLocked(const SaParams& sa) {
  if (sa.id.protocol != ProtocolId::kEsp) {
    return MakeUnexpected(Error(BackendError::Code::kNotSupported, "userspace backend: ESP only"));
  }
  if (sa.direction == Direction::kFwd) {
    return MakeUnexpected(Error(BackendError::Code::kInvalidArgument, "SA direction fwd"));
  }
  const SaKey key = KeyOf(sa.id);
  if (sas_.count(key) != 0 || (sa.direction == Direction::kIn && inbound_by_spi_.count(sa.id.spi))) {
    return MakeUnexpected(Error(BackendError::Code::kExists, "SA with this SPI exists"));
  }
  esp::EspSaConfig cfg;
  cfg.spi = sa.id.spi;
  cfg.mode = sa.mode == Mode::kTunnel ? esp::EspMode::kTunnel : esp::EspMode::kTransport;
  cfg.transform = SpecOf(sa);
  cfg.enc_key = sa.enc_key.view();
  cfg.integ_key = sa.integ_key.view();
  cfg.esn = sa.esn;
  cfg.replay_window = sa.replay_window;
  cfg.initial_seq = sa.initial_seq;
  std::unique_ptr<esp::EspInboundSa> in;
  std::unique_ptr<esp::EspOutboundSa> out;
  if (sa.direction == Direction::kIn) {
    auto created = esp::EspInboundSa::Create(cfg);
    if (!created) return MakeUnexpected(Error(BackendError::Code::kAlgorithm, created.error()));
    in = std::move(*created);
  } else {
    auto created = esp::EspOutboundSa::Create(cfg);
    if (!created) return MakeUnexpected(Error(BackendError::Code::kAlgorithm, created.error()));
    out = std::move(*created);
  }
  // Two per tunnel: growing the record is a decision (issue 11, memory per
  // tunnel), not a side effect of a new field.
  static_assert(sizeof(void*) != 8 || sizeof(SaState) <= 152, "per-SA record grew");
  // The keys live on only inside the EVP contexts.
  SaEntry& entry = *sas_.try_emplace(key).first;
  SaState& s = entry.second;
  s.in = std::move(in);
  s.out = std::move(out);
  s.mark_mask = sa.id.mark.mask;
  s.mode = sa.mode;
  s.tfc_pad = sa.tfc_pad;
  s.SetMutable(sa);
  s.add_time = NowSeconds();
  ScheduleLocked(key, s);
  if (sa.direction == Direction::kIn) {
    inbound_by_spi_[sa.id.spi] = &entry;
    reserved_spis_.erase(sa.id.spi);
  } else {
    outbound_.push_back(&entry);
    outbound_by_reqid_[s.reqid].push_back(&entry);
  }
  return {};
}

// An outbound SA's reqid changed (UpdateSa): it leaves its old group and
// the new group is rebuilt from outbound_, which keeps the age order.
void UserspaceBackend::ReindexReqid(SaEntry* e, uint32_t old_reqid) {
  if (auto g = outbound_by_reqid_.find(old_reqid); g != outbound_by_reqid_.end()) {
    std::erase(g->second, e);
    if (g->second.empty()) outbound_by_reqid_.erase(g);
  }
  const uint32_t reqid = e->second.reqid;
  std::vector<SaEntry*>& group = outbound_by_reqid_[reqid];
  group.clear();
  for (SaEntry* o : outbound_) {
    if (o->second.reqid == reqid) group.push_back(o);
  }
}

BackendResult<void> UserspaceBackend::UpdateSa(const SaParams& sa) {
  std::unique_lock lock(mu_);
  auto it = sas_.find(KeyOf(sa.id));
  if (it == sas_.end()) return AddSaLocked(sa);
  // An update (e.g. MOBIKE, NAT mapping) changes addresses, encapsulation and
  // lifetimes; the crypto state (sequence numbers, replay window) stays, so
  // an IV is never reused.
  SaState& s = it->second;
  const uint32_t old_reqid = s.reqid;
  s.SetMutable(sa);
  if (s.out && s.reqid != old_reqid) ReindexReqid(&*it, old_reqid);
  // The lifetimes may have moved either way: queue the new deadline unless
  // it is the one already queued.
  if (NextDeadline(s) != s.deadline) {
    s.deadline = 0;
    ScheduleLocked(it->first, s);
  }
  return {};
}

BackendResult<void> UserspaceBackend::MigrateSa(const SaId& old_id, const SaParams& sa) {
  std::unique_lock lock(mu_);
  auto it = sas_.find(KeyOf(old_id));
  if (it == sas_.end()) return MakeUnexpected(Error(BackendError::Code::kNotFound, "no such SA"));
  const SaKey key = KeyOf(sa.id);
  if (key != it->first && sas_.count(key) != 0) {
    return MakeUnexpected(Error(BackendError::Code::kExists, "SA with this SPI exists"));
  }
  if (sa.id.spi != old_id.spi || sa.id.protocol != old_id.protocol) {
    return MakeUnexpected(Error(BackendError::Code::kInvalidArgument, "migrate changes the SPI"));
  }
  // MOBIKE: new outer addresses and encapsulation. The ESP objects (keys,
  // sequence numbers, replay window) are the same; only the map key moves.
  // inbound_by_spi_ and outbound_ point at the map entry, which stays put.
  auto node = sas_.extract(it);
  SaState& s = node.mapped();
  {
    std::lock_guard sa_lock(s.mu);
    s.mark_mask = sa.id.mark.mask;  // the rest of sa.id is the new key
    s.src = sa.src;
    s.has_encap = sa.encap.has_value();
    s.encap = sa.encap.value_or(Encap{});
    s.peer.reset();
  }
  node.key() = key;
  sas_.insert(std::move(node));
  s.deadline = 0;  // its queued entry names the old key
  ScheduleLocked(key, s);
  if (s.hard_sent) QueueExpired(key);  // it was queued under the old key
  return {};
}

void UserspaceBackend::RemoveSaLocked(SaMap::iterator it) {
  SaEntry* e = &*it;
  if (e->second.in) {
    auto f = inbound_by_spi_.find(e->first.spi);
    if (f != inbound_by_spi_.end() && f->second == e) inbound_by_spi_.erase(f);
  } else {
    std::erase(outbound_, e);
    if (auto g = outbound_by_reqid_.find(e->second.reqid); g != outbound_by_reqid_.end()) {
      std::erase(g->second, e);
      if (g->second.empty()) outbound_by_reqid_.erase(g);
    }
  }
  sas_.erase(it);
}

BackendResult<void> UserspaceBackend::DeleteSa(const SaId& sa) {
  std::unique_lock lock(mu_);
  auto it = sas_.find(KeyOf(sa));
  if (it == sas_.end()) {
    if (reserved_spis_.erase(sa.spi) != 0) return {};  // a reservation never used
    return MakeUnexpected(Error(BackendError::Code::kNotFound, "no such SA"));
  }
  RemoveSaLocked(it);
  return {};
}

BackendResult<SaUsage> UserspaceBackend::QuerySa(const SaId& sa) {
  std::shared_lock lock(mu_);
  auto it = sas_.find(KeyOf(sa));
  if (it == sas_.end()) return MakeUnexpected(Error(BackendError::Code::kNotFound, "no such SA"));
  SaState& s = it->second;
  std::lock_guard sa_lock(s.mu);
  SaUsage u;
  u.bytes = s.bytes;
  u.packets = s.packets;
  u.add_time = s.add_time;
  u.use_time = s.use_time;
  u.replay_window_drops = s.replay_drops;
  u.integrity_failures = s.integrity_failures;
  return u;
}

void UserspaceBackend::RouteRef(const PolicyParams& p, bool add) {
  if (!options_.manage_routes || p.direction != Direction::kOut ||
      p.action != PolicyAction::kProtect) {
    return;
  }
  const Selector& sel = p.selector;
  RouteKey key{sel.dst.Masked(sel.dst_prefix), sel.dst_prefix};
  int& refs = route_refs_[key];
  if (add && refs++ > 0) return;
  if (!add) {
    if (--refs > 0) return;
    route_refs_.erase(key);
  }
  // Preferred source: a TUN address inside the local selector, else the
  // selector itself when it is a single host (transport mode).
  std::optional<IpAddress> src;
  for (const auto& [addr, prefix] : tun_addresses_) {
    if (PrefixContains(sel.src, sel.src_prefix, addr)) src = addr;
  }
  const uint8_t host = sel.src.is_v4() ? 32 : 128;
  if (!src && sel.src_prefix == host && !sel.src.IsUnspecified()) src = sel.src;
  (void)rtnl_.Route(add, options_.route_table, key.dst, key.prefix, tun_.ifindex(), src);
}

BackendResult<void> UserspaceBackend::AddPolicy(const PolicyParams& policy) {
  std::unique_lock lock(mu_);
  IKE_TRY(spd_.Add(policy));
  RouteRef(policy, true);
  return {};
}

BackendResult<void> UserspaceBackend::UpdatePolicy(const PolicyParams& policy) {
  std::unique_lock lock(mu_);
  if (const PolicyEntry* e = spd_.Get(IdOf(policy))) RouteRef(e->params, false);
  IKE_TRY(spd_.Update(policy, true));
  RouteRef(policy, true);
  return {};
}

BackendResult<void> UserspaceBackend::DeletePolicy(const PolicyId& policy) {
  std::unique_lock lock(mu_);
  if (const PolicyEntry* e = spd_.Get(policy)) RouteRef(e->params, false);
  return spd_.Delete(policy);
}

BackendResult<void> UserspaceBackend::FlushOwned() {
  std::unique_lock lock(mu_);
  for (const auto& e : spd_.entries()) RouteRef(e.params, false);
  spd_.Clear();
  route_refs_.clear();
  sas_.clear();
  inbound_by_spi_.clear();
  outbound_.clear();
  outbound_by_reqid_.clear();
  reserved_spis_.clear();
  deadlines_ = {};
  PublishNextDeadlineLocked();
  {
    std::lock_guard expired_lock(expired_mu_);
    expired_.clear();
  }
  return {};
}

void UserspaceBackend::SetEventHandler(EventHandler handler) {
  std::lock_guard lock(events_mu_);
  event_handler_ = std::move(handler);
}

void UserspaceBackend::ProcessEvents() {
  uint64_t n = 0;
  if (read(event_fd_, &n, sizeof(n)) < 0) {
    // Nothing pending (EAGAIN) is fine: drain the queue anyway.
  }
  std::deque<BackendEvent> events;
  EventHandler handler;
  {
    std::lock_guard lock(events_mu_);
    events.swap(events_);
    handler = event_handler_;
  }
  if (!handler) return;
  for (const auto& e : events) handler(e);
}

void UserspaceBackend::Emit(BackendEvent event) {
  {
    std::lock_guard lock(events_mu_);
    events_.push_back(std::move(event));
  }
  uint64_t one = 1;
  if (write(event_fd_, &one, sizeof(one)) < 0) {
    // The counter is saturated only if nobody reads events; they stay queued.
  }
}

BackendResult<void> UserspaceBackend::AddTunAddress(const IpAddress& address, uint8_t prefix) {
  if (options_.manage_routes) IKE_TRY(rtnl_.Address(true, tun_.ifindex(), address, prefix));
  std::unique_lock lock(mu_);
  tun_addresses_.emplace_back(address, prefix);
  return {};
}

BackendResult<void> UserspaceBackend::RemoveTunAddress(const IpAddress& address, uint8_t prefix) {
  {
    std::unique_lock lock(mu_);
    auto it = std::find(tun_addresses_.begin(), tun_addresses_.end(), std::make_pair(address, prefix));
    if (it != tun_addresses_.end()) tun_addresses_.erase(it);
  }
  if (options_.manage_routes) IKE_TRY(rtnl_.Address(false, tun_.ifindex(), address, prefix));
  return {};
}

void UserspaceBackend::SetIkeHandler(IkeHandler handler) {
  std::lock_guard lock(handler_mu_);
  ike_handler_ = std::move(handler);
}

int UserspaceBackend::udp_socket(AddressFamily family) const { return udp_fd_[Fam(family)]; }

UserspaceStats UserspaceBackend::stats() const {
  UserspaceStats s;
  auto add = [&s](const UserspaceStats& o) {
    s.out_packets += o.out_packets;
    s.in_packets += o.in_packets;
    s.keepalives += o.keepalives;
    s.ike_datagrams += o.ike_datagrams;
    s.send_errors += o.send_errors;
    s.gso_sends += o.gso_sends;
    s.gso_fallbacks += o.gso_fallbacks;
    s.gro_receives += o.gro_receives;
    s.drops += o.drops;
  };
  {
    std::lock_guard lock(scratch_mu_);
    add(ctl_stats_);
  }
  {
    std::lock_guard lock(stats_mu_);
    for (const auto& w : workers_) add(w->published);
  }
  std::shared_lock lock(mu_);
  for (const auto& [key, sa] : sas_) {
    std::lock_guard sa_lock(sa.mu);
    if (sa.in) s.drops += sa.in->drops();
  }
  return s;
}

std::string UserspaceBackend::OffloadSummary() const {
  auto on = [](bool b) { return b ? "on" : "off"; };
  return std::string("TUN TSO+csum ") + on(tun_.offload()) + ", TUN GRO " + on(gro_) +
         ", UDP GSO " + on(udp_gso_[0] || udp_gso_[1]) + ", UDP GRO " +
         on(udp_gro_[0] || udp_gro_[1]);
}

void UserspaceBackend::Note(std::string note) {
  {
    std::lock_guard lock(notes_mu_);
    notes_.push_back(std::move(note));
  }
  uint64_t one = 1;
  if (event_fd_ >= 0 && write(event_fd_, &one, sizeof(one)) < 0) {
    // Saturated only if nobody reads; the note stays queued.
  }
}

std::vector<std::string> UserspaceBackend::TakeNotes() {
  std::lock_guard lock(notes_mu_);
  return std::exchange(notes_, {});
}

void UserspaceBackend::Publish(Worker& w) {
  std::lock_guard lock(stats_mu_);
  w.published = w.stats;
}

// Per-packet lifetime check, before the packet is counted, as the kernel
// does it (xfrm_state_check_expire): at the soft limit the soft expire is
// raised once; at the hard limit the hard expire is raised once and the SA
// carries nothing more (the next tick removes it).
bool UserspaceBackend::LifetimeAllows(SaEntry& e) {
  SaState& s = e.second;
  if (s.hard_sent) return false;
  static constexpr SaState::Volume kUnlimited;
  const SaState::Volume& v = s.volume ? *s.volume : kUnlimited;
  // Sequence-number exhaustion counts like a lifetime (RFC 4303 3.3.3:
  // never wrap; rekey well before).
  const bool seq_hard = s.out && s.out->seq_exhausted();
  const bool seq_soft = s.out && s.out->seq_soft_limit_reached();
  if ((v.hard_bytes && s.bytes >= v.hard_bytes) ||
      (v.hard_packets && s.packets >= v.hard_packets) || seq_hard) {
    s.hard_sent = true;
    Emit(ExpireEvent{SaIdOf(e), s.reqid, true});
    QueueExpired(e.first);
    return false;
  }
  if (!s.soft_sent && ((v.soft_bytes && s.bytes >= v.soft_bytes) ||
                       (v.soft_packets && s.packets >= v.soft_packets) || seq_soft)) {
    s.soft_sent = true;
    Emit(ExpireEvent{SaIdOf(e), s.reqid, false});
  }
  return true;
}

void UserspaceBackend::Account(SaState& sa, size_t bytes, uint64_t now) {
  sa.bytes += bytes;
  sa.packets += 1;
  if (sa.use_time == 0) sa.use_time = now;
}

// An SA that reached a hard limit on the data path: removed by the next
// tick (which needs the exclusive lock the workers cannot take).
void UserspaceBackend::QueueExpired(const SaKey& key) {
  std::lock_guard lock(expired_mu_);
  expired_.push_back(key);
  expired_pending_.store(true, std::memory_order_release);
}

void UserspaceBackend::PublishNextDeadlineLocked() {
  next_deadline_.store(deadlines_.empty() ? UINT64_MAX : deadlines_.top().when,
                       std::memory_order_release);
}

// The time of an SA's next time-based expire (soft while not yet raised,
// hard), 0 when it has none.
uint64_t UserspaceBackend::NextDeadline(const SaState& s) {
  if (s.hard_sent) return 0;
  uint64_t next = 0;
  auto consider = [&](uint64_t seconds) {
    if (seconds == 0) return;
    const uint64_t at = s.add_time + seconds;
    if (next == 0 || at < next) next = at;
  };
  if (!s.soft_sent) consider(s.soft_seconds);
  consider(s.hard_seconds);
  return next;
}

void UserspaceBackend::ScheduleLocked(const SaKey& key, SaState& s) {
  const uint64_t at = NextDeadline(s);
  if (at == 0 || at == s.deadline) return;
  s.deadline = at;
  deadlines_.push(Deadline{at, key});
  // Entries of SAs deleted before their deadline stay until it comes; drop
  // them once they outnumber the live SAs (a peer cycling CHILD_SAs would
  // otherwise grow the heap by its rate times the lifetime).
  if (deadlines_.size() > 2 * sas_.size() + 1024) {
    std::vector<Deadline> live;
    live.reserve(sas_.size());
    while (!deadlines_.empty()) {
      const Deadline& d = deadlines_.top();
      auto it = sas_.find(d.key);
      if (it != sas_.end() && it->second.deadline == d.when) live.push_back(d);
      deadlines_.pop();
    }
    deadlines_ = decltype(deadlines_)(std::greater<>(), std::move(live));
  }
  PublishNextDeadlineLocked();
}

// Time-based lifetimes come from a heap ordered by deadline, so a tick costs
// nothing until an SA is due (no walk over every SA, no exclusive lock that
// would stall the workers). Stale entries (SA gone, rekeyed, moved or its
// lifetimes changed) are recognised when they come up: the SA is looked up
// again and its real age decides.
void UserspaceBackend::CheckLifetimesLocked(uint64_t now) {
  std::vector<SaKey> expired;
  {
    std::lock_guard lock(expired_mu_);
    expired.swap(expired_);
    expired_pending_.store(false, std::memory_order_relaxed);
  }
  for (const SaKey& key : expired) {
    auto it = sas_.find(key);
    if (it != sas_.end() && it->second.hard_sent) RemoveSaLocked(it);
  }
  while (!deadlines_.empty() && deadlines_.top().when <= now) {
    const SaKey key = deadlines_.top().key;
    const uint64_t when = deadlines_.top().when;
    deadlines_.pop();
    auto it = sas_.find(key);
    if (it == sas_.end()) continue;
    SaState& s = it->second;
    if (s.deadline == when) s.deadline = 0;
    // Saturating: an SA added after `now` was read (or a wall clock that
    // stepped back) is young, not ancient.
    const uint64_t age = now > s.add_time ? now - s.add_time : 0;
    if (!s.hard_sent && s.hard_seconds && age >= s.hard_seconds) {
      s.hard_sent = true;
      Emit(ExpireEvent{SaIdOf(*it), s.reqid, true});
    }
    if (s.hard_sent) {
      RemoveSaLocked(it);
      continue;
    }
    if (!s.soft_sent && s.soft_seconds && age >= s.soft_seconds) {
      s.soft_sent = true;
      Emit(ExpireEvent{SaIdOf(*it), s.reqid, false});
    }
    ScheduleLocked(key, s);
  }
  PublishNextDeadlineLocked();
}

void UserspaceBackend::OutboundLocked(Worker& w, uint8_t* buf, size_t headroom, size_t len,
                                      uint64_t now) {
  uint8_t* pkt = buf + headroom;
  auto info = esp::ParseIpPacket(ByteView(pkt, len));
  if (!info) {
    w.stats.drops.Inc(esp::DropReason::kBadInner);
    return;
  }
  PolicyEntry* pol = spd_.Lookup(Direction::kOut, *info);
  if (pol == nullptr || pol->params.action != PolicyAction::kProtect ||
      pol->params.templates.empty()) {
    w.stats.drops.Inc(esp::DropReason::kNoPolicy);
    return;
  }
  const PolicyTemplate& tmpl = pol->params.templates.front();
  SaEntry* entry = nullptr;
  // With a reqid only that reqid's SAs can match; without one, any.
  const std::vector<SaEntry*>* candidates = &outbound_;
  if (tmpl.reqid != 0) {
    auto g = outbound_by_reqid_.find(tmpl.reqid);
    static const std::vector<SaEntry*> kNone;
    candidates = g != outbound_by_reqid_.end() ? &g->second : &kNone;
  }
  for (auto it = candidates->rbegin(); it != candidates->rend(); ++it) {
    const SaState& p = (*it)->second;
    if (p.hard_sent || p.mode != tmpl.mode) continue;
    if (tmpl.reqid != 0) {
      if (p.reqid != tmpl.reqid) continue;
    } else {
      const IpAddress& want = tmpl.mode == Mode::kTunnel ? tmpl.dst : info->dst;
      if ((*it)->first.dst != want) continue;
    }
    if (p.selector && !SelectorMatches(*p.selector, *info)) continue;
    entry = *it;
    break;
  }
  if (entry == nullptr) {
    const uint64_t ms = NowMs();
    std::unique_lock acquire_lock(acquire_mu_);
    if (pol->last_acquire_ms == 0 || ms - pol->last_acquire_ms >= 1000) {
      pol->last_acquire_ms = ms;
      acquire_lock.unlock();
      AcquireEvent ev;
      ev.reqid = tmpl.reqid;
      ev.selector.src = info->src;
      ev.selector.dst = info->dst;
      ev.selector.src_prefix = info->src.is_v4() ? 32 : 128;
      ev.selector.dst_prefix = ev.selector.src_prefix;
      ev.selector.proto = info->proto;
      ev.policy_index = pol->index;
      ev.src = tmpl.src;
      ev.dst = tmpl.dst;
      Emit(ev);
    }
    w.stats.drops.Inc(esp::DropReason::kNoSa);
    return;
  }
  SaState* sa = &entry->second;
  std::unique_lock sa_lock(sa->mu);
  if (!LifetimeAllows(*entry)) {
    w.stats.drops.Inc(esp::DropReason::kNoSa);
    return;
  }
  const size_t total = info->total_len;
  MutableByteView whole(buf, kBufSize);
  const bool tunnel = sa->mode == Mode::kTunnel;
  size_t padded = total;
  if (tunnel && sa->tfc_pad != 0) {
    // TFC padding (RFC 4303 2.4): zeros after the inner packet, up to the
    // configured size but never beyond the TUN MTU; the receiver finds the
    // inner packet's end from its IP header.
    size_t target = std::min<size_t>(sa->tfc_pad, static_cast<size_t>(options_.tun_mtu));
    if (target > total && headroom + target + esp::kMaxEspTailroom <= kBufSize) {
      std::memset(buf + headroom + total, 0, target - total);
      padded = target;
    }
  }
  auto r = tunnel ? sa->out->Encapsulate(whole, headroom, padded,
                                         info->src.is_v4() ? esp::kProtoIpv4 : esp::kProtoIpv6)
                  : sa->out->Encapsulate(whole, headroom + info->header_len,
                                         total - info->header_len, info->proto);
  if (!r) {
    w.stats.drops.Inc(r.error());
    return;
  }
  Account(*sa, total, now);
  sa_lock.unlock();
  const SaState& p = *sa;
  const IpAddress& dst = entry->first.dst;
  const int fam = Fam(dst.family());
  const bool udp = p.has_encap;
  TxQueue& q = w.tx[(udp ? 2 : 0) + fam];
  q.fd = udp ? udp_fd_[fam] : raw_fd_[fam];
  if (q.fd < 0) {
    w.stats.send_errors++;
    return;
  }
  const size_t i = q.count;
  const size_t v = q.iov_count++;
  q.iovs[v] = iovec{r->data(), r->size()};
  // Prepared in the next message slot; a GSO run to the same destination
  // and from the same source takes the datagram instead.
  msghdr& m = q.msgs[i].msg_hdr;
  std::memset(&q.msgs[i], 0, sizeof(q.msgs[i]));
  m.msg_name = &q.addrs[i];
  m.msg_namelen = ToSockaddr(Endpoint{dst, udp ? p.encap.dst_port : uint16_t{0}}, q.addrs[i]);
  m.msg_iov = &q.iovs[v];
  m.msg_iovlen = 1;
  if (!p.src.IsUnspecified()) {
    m.msg_control = q.controls[i].data();
    m.msg_controllen = PutPktinfoSrc(q.controls[i].data(), p.src);
  }
  if (i > 0 && udp && udp_gso_[fam].load(std::memory_order_relaxed) &&
      r->size() < gso_limit_[fam].load(std::memory_order_relaxed)) {
    msghdr& last = q.msgs[i - 1].msg_hdr;
    UdpGsoRun& run = q.runs[i - 1];
    if (run.Accepts(r->size()) && last.msg_namelen == m.msg_namelen &&
        std::memcmp(last.msg_name, m.msg_name, m.msg_namelen) == 0 &&
        last.msg_controllen == m.msg_controllen &&
        (m.msg_controllen == 0 ||
         std::memcmp(last.msg_control, m.msg_control, m.msg_controllen) == 0)) {
      run.Add(r->size());
      ++last.msg_iovlen;  // the iovecs of the last message are the newest ones
      return;
    }
  }
  q.runs[i].Start(r->size());
  ++q.count;
}

void UserspaceBackend::Flush(Worker& w) {
  for (size_t qi = 0; qi < 4; ++qi) {
    TxQueue& q = w.tx[qi];
    for (size_t i = 0; i < q.count; ++i) {
      if (q.runs[i].segments() > 1) {
        msghdr& m = q.msgs[i].msg_hdr;
        m.msg_control = q.controls[i].data();
        m.msg_controllen = PutUdpSegment(q.controls[i].data(), m.msg_controllen,
                                         static_cast<uint16_t>(q.runs[i].segment_size()));
        w.stats.gso_sends++;
      }
    }
    size_t done = 0;
    int waits = 0;
    while (done < q.count) {
      int n = sendmmsg(q.fd, &q.msgs[done], static_cast<unsigned>(q.count - done), 0);
      if (n < 0) {
        if (errno == EINTR) continue;
        if ((errno == EAGAIN || errno == ENOBUFS) && waits++ < 20) {
          // Back-pressure: wait a little for the socket, but never stall the
          // data plane for long (the packets are dropped and counted).
          pollfd pfd{q.fd, POLLOUT, 0};
          poll(&pfd, 1, 5);
          continue;
        }
        if (q.runs[done].segments() > 1 && (errno == EIO || errno == EINVAL || errno == EMSGSIZE)) {
          // The kernel refused the segmentation offload: send these
          // datagrams one by one. EIO: the route's device cannot checksum
          // (or an xfrm policy covers it), so GSO goes off for this socket.
          // EINVAL/EMSGSIZE: the datagrams exceed the route's MTU (the
          // kernel fragments single datagrams, not GSO ones), so this size
          // and larger ones are no longer batched.
          const int err = errno;
          const int fam = static_cast<int>(qi % 2);
          const size_t size = q.runs[done].segment_size();
          const char* v = fam == 0 ? "IPv4" : "IPv6";
          if (err == EIO) {
            if (udp_gso_[fam].exchange(false)) {
              Note(std::string("UDP GSO failed on the ") + v + " ESP-in-UDP socket (" +
                   std::strerror(err) + "): switched off, one datagram per send");
            }
          } else if (size < gso_limit_[fam].load()) {
            gso_limit_[fam].store(size);
            Note(std::string("UDP GSO refused for ") + std::to_string(size) + "-byte datagrams on the " +
                 v + " ESP-in-UDP socket (" + std::strerror(err) +
                 "; above the path MTU?): datagrams this large go one per send");
          }
          w.stats.gso_fallbacks++;
          SendOneByOne(w, q, done);
          ++done;
          continue;
        }
        // One bad destination must not stall the rest: skip it.
        w.stats.send_errors += q.runs[done].segments();
        ++done;
        continue;
      }
      for (int k = 0; k < n; ++k) w.stats.out_packets += q.runs[done + static_cast<size_t>(k)].segments();
      done += static_cast<size_t>(n);
    }
    q.count = 0;
    q.iov_count = 0;
  }
  w.slot = 0;
}

void UserspaceBackend::SendOneByOne(Worker& w, TxQueue& q, size_t i) {
  msghdr m = q.msgs[i].msg_hdr;
  // Without the UDP_SEGMENT message, which Flush appended last.
  m.msg_controllen -= CMSG_SPACE(sizeof(uint16_t));
  if (m.msg_controllen == 0) m.msg_control = nullptr;
  iovec* iovs = q.msgs[i].msg_hdr.msg_iov;
  const size_t n = q.msgs[i].msg_hdr.msg_iovlen;
  for (size_t k = 0; k < n; ++k) {
    m.msg_iov = &iovs[k];
    m.msg_iovlen = 1;
    if (sendmsg(q.fd, &m, 0) < 0) {
      w.stats.send_errors++;
    } else {
      w.stats.out_packets++;
    }
  }
}

void UserspaceBackend::InboundEspLocked(UserspaceStats& st, int tun_fd, TcpCoalescer* gro,
                                        uint8_t* buf, size_t headroom, size_t len,
                                        const IpAddress& src, const IpAddress& dst,
                                        std::optional<uint16_t> udp_sport, uint64_t now) {
  MutableByteView packet(buf + headroom, len);
  const uint32_t spi = esp::PeekSpi(packet);
  auto found = inbound_by_spi_.find(spi);
  if (found == inbound_by_spi_.end() ||
      (!found->second->first.dst.IsUnspecified() && found->second->first.dst != dst)) {
    st.drops.Inc(esp::DropReason::kUnknownSpi);
    return;
  }
  SaEntry& entry = *found->second;
  SaState& sa = entry.second;
  std::unique_lock sa_lock(sa.mu);
  if (!LifetimeAllows(entry)) {
    st.drops.Inc(esp::DropReason::kUnknownSpi);
    return;
  }
  auto r = sa.in->Decapsulate(packet);  // counts its own drops
  if (!r) {
    if (r.error() == esp::DropReason::kReplayed || r.error() == esp::DropReason::kOutsideWindow) {
      sa.replay_drops++;
    } else if (r.error() == esp::DropReason::kBadIcv) {
      sa.integrity_failures++;
    }
    return;
  }
  if (udp_sport && sa.has_encap) {
    // NAT-T: the peer's mapping changed (RFC 3948 / kernel XFRM_MSG_MAPPING).
    Endpoint now_peer{src, *udp_sport};
    Endpoint last = sa.peer ? *sa.peer : Endpoint{sa.src, sa.encap.src_port};
    if (now_peer != last) {
      Emit(MappingEvent{SaIdOf(entry), last, now_peer});
      if (sa.peer) {
        *sa.peer = now_peer;
      } else {
        sa.peer = std::make_unique<Endpoint>(now_peer);
      }
    }
  }
  uint8_t* out = r->payload.data();
  size_t out_len = r->payload.size();
  if (sa.mode == Mode::kTransport) {
    if (r->next_header == esp::kProtoNoNext) return;
    const size_t hl = src.is_v4() ? esp::kIpv4HeaderLen : esp::kIpv6HeaderLen;
    out -= hl;  // the ESP header and our headroom are in front of the payload
    esp::WriteIpHeader(out, src, dst, r->next_header, out_len);
    out_len += hl;
  }
  auto info = esp::ParseIpPacket(ByteView(out, out_len));
  if (!info) {
    st.drops.Inc(esp::DropReason::kBadInner);
    return;
  }
  // The inner packet must be what the SA and the inbound policy allow.
  if (sa.selector && !SelectorMatches(*sa.selector, *info)) {
    st.drops.Inc(esp::DropReason::kPolicy);
    return;
  }
  if (const PolicyEntry* pol = spd_.Lookup(Direction::kIn, *info)) {
    const auto& pp = pol->params;
    if (pp.action == PolicyAction::kDrop ||
        (pp.action == PolicyAction::kProtect && !pp.templates.empty() &&
         pp.templates.front().reqid != 0 && sa.reqid != 0 &&
         pp.templates.front().reqid != sa.reqid)) {
      st.drops.Inc(esp::DropReason::kPolicy);
      return;
    }
  }
  Account(sa, out_len, now);
  sa_lock.unlock();
  st.in_packets++;
  if (gro != nullptr) {
    if (gro->Add(out, out_len)) return;
    if (gro->open()) {
      WriteTun(st, tun_fd, gro->Take());
      if (gro->Add(out, out_len)) return;
    }
  }
  ssize_t written;
  if (tun_.vnet_hdr()) {
    // A complete packet; its checksum need not be verified again: the ESP
    // ICV authenticated every byte (as WireGuard marks decrypted packets).
    uint8_t vnet[VnetHdr::kSize] = {VnetHdr::kDataValid};
    iovec iov[2] = {{vnet, sizeof(vnet)}, {out, out_len}};
    written = writev(tun_fd, iov, 2);
  } else {
    written = write(tun_fd, out, out_len);
  }
  if (written < 0) st.send_errors++;
}

void UserspaceBackend::WriteTun(UserspaceStats& st, int tun_fd, ByteView vnet_and_packet) {
  if (write(tun_fd, vnet_and_packet.data(), vnet_and_packet.size()) < 0) st.send_errors++;
}

Udp4500Verdict UserspaceBackend::Udp4500Locked(UserspaceStats& st, int tun_fd, TcpCoalescer* gro,
                                               uint8_t* buf, size_t headroom, size_t len,
                                               const Endpoint& from, const Endpoint& to,
                                               uint64_t now) {
  switch (esp::ClassifyUdp4500(ByteView(buf + headroom, len))) {
    case esp::Udp4500Kind::kKeepalive:
      st.keepalives++;
      return Udp4500Verdict::kKeepalive;
    case esp::Udp4500Kind::kIke:
      st.ike_datagrams++;
      return Udp4500Verdict::kIke;
    case esp::Udp4500Kind::kInvalid:
      st.drops.Inc(esp::DropReason::kNotEsp);
      return Udp4500Verdict::kDropped;
    case esp::Udp4500Kind::kEsp:
      break;
  }
  InboundEspLocked(st, tun_fd, gro, buf, headroom, len, from.address, to.address, from.port,
                   now);
  return Udp4500Verdict::kEsp;
}

Udp4500Verdict UserspaceBackend::HandleUdp4500(ByteView datagram, const Endpoint& from,
                                               const Endpoint& to) {
  std::lock_guard scratch_lock(scratch_mu_);
  if (datagram.size() > scratch_.size() - kHeadroom - esp::kMaxEspTailroom) {
    ctl_stats_.drops.Inc(esp::DropReason::kShort);
    return Udp4500Verdict::kDropped;
  }
  std::memcpy(scratch_.data() + kHeadroom, datagram.data(), datagram.size());
  std::shared_lock lock(mu_);
  return Udp4500Locked(ctl_stats_, tun_.fd(0), nullptr, scratch_.data(), kHeadroom, datagram.size(), from,
                       to, NowSeconds());
}

void UserspaceBackend::ReadTun(Worker& w) {
  const uint64_t now = NowSeconds();
  constexpr size_t kMaxPacket = kBufSize - kHeadroom - esp::kMaxEspTailroom;
  {
    std::shared_lock lock(mu_);
    for (size_t n = 0; n < w.batch; ++n) {
      ssize_t r = read(w.tun_fd, w.rd.data(), w.rd.size());
      if (r <= 0) break;
      uint8_t* buf = nullptr;
      const size_t packets = SplitTunRead(
          w.rd.data(), static_cast<size_t>(r), tun_.vnet_hdr(),
          [&](size_t len) -> uint8_t* {
            if (len > kMaxPacket) return nullptr;
            if (w.slot == w.bufs.size()) Flush(w);
            buf = w.bufs[w.slot++].data();
            return buf + kHeadroom;
          },
          [&](uint8_t*, size_t len) { OutboundLocked(w, buf, kHeadroom, len, now); });
      if (packets == 0) w.stats.drops.Inc(esp::DropReason::kBadInner);
    }
  }
  Flush(w);
  Publish(w);
}

void UserspaceBackend::ReadSocket(Worker& w, int fd, bool raw, AddressFamily family) {
  for (size_t i = 0; i < w.batch; ++i) {
    w.rx_iovs[i] = iovec{w.bufs[i].data() + kHeadroom, kBufSize - kHeadroom};
    msghdr& m = w.rx_msgs[i].msg_hdr;
    m = msghdr{};
    m.msg_name = &w.rx_addrs[i];
    m.msg_namelen = sizeof(sockaddr_storage);
    m.msg_iov = &w.rx_iovs[i];
    m.msg_iovlen = 1;
    m.msg_control = w.rx_controls[i].data();
    m.msg_controllen = kCmsgSpace;
  }
  int n = recvmmsg(fd, w.rx_msgs.data(), static_cast<unsigned>(w.batch), MSG_DONTWAIT, nullptr);
  if (n <= 0) return;
  const uint64_t now = NowSeconds();
  TcpCoalescer* gro = gro_ ? &w.gro : nullptr;
  std::vector<std::tuple<Bytes, Endpoint, Endpoint>> ike;  // rare: only IKE on 4500
  {
    std::shared_lock lock(mu_);
    for (int i = 0; i < n; ++i) {
      uint8_t* buf = w.bufs[i].data();
      size_t len = w.rx_msgs[i].msg_len;
      msghdr& m = w.rx_msgs[i].msg_hdr;
      Endpoint from = FromSockaddr(w.rx_addrs[i]);
      if (raw && family == AddressFamily::kIpv4) {
        // IPv4 raw sockets deliver the IP header.
        auto info = esp::ParseIpPacket(ByteView(buf + kHeadroom, len));
        if (!info || info->proto != esp::kProtoEsp) {
          w.stats.drops.Inc(esp::DropReason::kShort);
          continue;
        }
        InboundEspLocked(w.stats, w.tun_fd, gro, buf, kHeadroom + info->header_len,
                         info->total_len - info->header_len, info->src, info->dst, std::nullopt,
                         now);
        continue;
      }
      auto dst = PktinfoDst(m);
      if (!dst) dst = IpAddress::Any(family);
      if (raw) {
        InboundEspLocked(w.stats, w.tun_fd, gro, buf, kHeadroom, len, from.address, *dst,
                         std::nullopt, now);
        continue;
      }
      if ((m.msg_flags & MSG_TRUNC) != 0) {
        w.stats.drops.Inc(esp::DropReason::kShort);
        continue;
      }
      Endpoint to{*dst, options_.udp_port};
      // UDP GRO: the kernel may have joined datagrams of this peer, each
      // gso_size bytes. They are decapsulated in order, in place; a
      // transport-mode header rebuilt in front of one overwrites only the
      // tail of the one before it, already delivered.
      const size_t gso_size = GroSize(m);
      if (gso_size != 0 && gso_size < len) w.stats.gro_receives++;
      SplitUdpGro(len, gso_size, [&](size_t off, size_t dgram_len) {
        uint8_t* at = buf + kHeadroom + off;
        if (Udp4500Locked(w.stats, w.tun_fd, gro, buf, kHeadroom + off, dgram_len, from, to, now) ==
            Udp4500Verdict::kIke) {
          ike.emplace_back(Bytes(at + esp::kNonEspMarkerLen, at + dgram_len), from, to);
        }
      });
    }
  }
  if (gro != nullptr && gro->open()) WriteTun(w.stats, w.tun_fd, gro->Take());
  Publish(w);
  if (ike.empty()) return;
  IkeHandler handler;
  {
    std::lock_guard lock(handler_mu_);
    handler = ike_handler_;
  }
  if (!handler) return;
  for (const auto& [message, from, to] : ike) handler(message, from, to);
}

void UserspaceBackend::Run(Worker& w, size_t index) {
  int ep = epoll_create1(EPOLL_CLOEXEC);
  auto add = [&](int fd, uint32_t tag) {
    if (fd < 0) return;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = tag;
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  };
  add(w.tun_fd, 0);
  if (index == 0) {
    // One reader for the ESP sockets: parallel readers would reorder an
    // SA's packets beyond its replay window. Outbound work spreads over the
    // TUN queues (one flow stays on one queue).
    add(raw_fd_[0], 1);
    add(raw_fd_[1], 2);
    add(udp_fd_[0], 3);
    add(udp_fd_[1], 4);
  }
  add(wake_fd_, 5);
  uint64_t last_tick = 0;
  epoll_event events[8];
  while (running_) {
    int n = epoll_wait(ep, events, 8, 200);
    for (int i = 0; i < n; ++i) {
      switch (events[i].data.u32) {
        case 0: ReadTun(w); break;
        case 1: ReadSocket(w, raw_fd_[0], true, AddressFamily::kIpv4); break;
        case 2: ReadSocket(w, raw_fd_[1], true, AddressFamily::kIpv6); break;
        case 3: ReadSocket(w, udp_fd_[0], false, AddressFamily::kIpv4); break;
        case 4: ReadSocket(w, udp_fd_[1], false, AddressFamily::kIpv6); break;
        default: break;
      }
    }
    const uint64_t ms = NowMs();
    if (index == 0 && ms - last_tick >= 200) {
      last_tick = ms;
      if (expired_pending_.load(std::memory_order_acquire) ||
          NowSeconds() >= next_deadline_.load(std::memory_order_acquire)) {
        std::unique_lock lock(mu_);
        CheckLifetimesLocked(NowSeconds());  // read under the lock: no SA is younger
      }
    }
  }
  close(ep);
}

}  // namespace ike::xfrm
