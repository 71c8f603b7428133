// The userspace data plane (DESIGN.md principles 5 and 6): SAD and SPD held
// in process, a TUN device with routes for the remote traffic selectors,
// plain ESP over raw IPPROTO_ESP sockets and ESP-in-UDP (RFC 3948) on the
// port shared with IKE. The engine sees the same Backend contract as with
// the kernel, including soft/hard ExpireEvents from byte, packet and time
// lifetimes and sequence-number exhaustion.
//
// Threads: the Backend calls come from the IKE thread; the data plane runs
// in its own worker threads, one per TUN queue. Control calls take mu_
// exclusively, workers share it for a batch; an SA's crypto and counters
// are guarded by its own mutex, so workers run in parallel on different SAs.
//
// Routing: routes for the remote selectors go to a dedicated table (220 by
// default) that a rule consults for every packet NOT carrying the backend's
// fwmark; the backend's own ESP/UDP sockets set that mark, so encapsulated
// packets take the main table even when the peer's outer address is itself
// covered by a selector (transport mode).
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <set>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "xfrm/backend/backend.h"
#include "xfrm/esp/drop_reason.h"
#include "xfrm/esp/esp_sa.h"
#include "xfrm/esp/ip_packet.h"
#include "xfrm/esp/udp_encap.h"
#include "xfrm/userspace/gso.h"
#include "xfrm/userspace/route_netlink.h"
#include "xfrm/userspace/spd.h"
#include "xfrm/userspace/tun_device.h"

namespace ike::xfrm {

struct UserspaceOptions {
  std::string tun_name = "ipsec0";
  int tun_mtu = 1400;  // leaves room for ESP-in-UDP in a 1500-byte link
  bool manage_routes = true;
  uint32_t route_table = 220;
  uint32_t rule_priority = 220;
  uint32_t fwmark = 0x1e5c0000;  // set on our sockets; the rule skips marked packets
  // Raw IPPROTO_ESP sockets (IPv4 and IPv6) for plain ESP.
  bool own_esp_sockets = true;
  // UDP sockets on udp_port for ESP-in-UDP. false: the daemon owns the port
  // and calls HandleUdp4500() for every datagram it receives there.
  bool own_udp_sockets = true;
  uint16_t udp_port = 4500;
  size_t batch = 32;  // packets per recvmmsg/sendmmsg
  // Data-plane threads, each with its own TUN queue (IFF_MULTI_QUEUE);
  // 0 = one per CPU.
  size_t workers = 0;
  // IFF_VNET_HDR + TUNSETOFFLOAD (TSO/checksum offload) on the TUN device.
  bool tun_offload = true;
  // With offload: coalesce decapsulated TCP segments into super-packets
  // (GRO) before writing them to the TUN device.
  bool tun_gro = true;
  // UDP GSO on the ESP-in-UDP sockets: equal-sized datagrams to one peer
  // (the ESP packets of one TSO super-packet, a burst of small packets)
  // leave in one sendmsg with a UDP_SEGMENT control message.
  bool udp_gso = true;
  // UDP GRO on the ESP-in-UDP sockets: the kernel hands over up to 64 KiB
  // of one peer's datagrams per receive, split again by the UDP_GRO size.
  bool udp_gro = true;
};

enum class Udp4500Verdict : uint8_t {
  kEsp,        // consumed by the data plane (delivered or counted as a drop)
  kIke,        // an IKE message after the non-ESP marker: the caller's
  kKeepalive,  // NAT-keepalive, counted
  kDropped,    // malformed, counted
};

struct UserspaceStats {
  uint64_t out_packets = 0;  // encapsulated and sent
  uint64_t in_packets = 0;   // decapsulated and delivered
  uint64_t keepalives = 0;
  uint64_t ike_datagrams = 0;
  uint64_t send_errors = 0;
  uint64_t gso_sends = 0;      // sendmsg entries carrying several datagrams (UDP_SEGMENT)
  uint64_t gso_fallbacks = 0;  // such entries the kernel refused, resent one by one
  uint64_t gro_receives = 0;   // receives carrying several datagrams (UDP_GRO)
  esp::DropCounters drops;
};

class UserspaceBackend : public Backend {
 public:
  explicit UserspaceBackend(UserspaceOptions options);
  ~UserspaceBackend() override;

  // Opens the TUN device, sockets and routing rule and starts the data-plane
  // thread. Stop() (also run by the destructor) undoes all of it.
  BackendResult<void> Start();
  // Start() in two steps, for a caller that must do something while the
  // process is still single-threaded (the daemon drops capabilities, which
  // are per thread): Open() does everything privileged and starts no
  // thread; StartWorkers() then starts the data-plane threads. Until then
  // SAs and policies can be installed but no packet moves.
  BackendResult<void> Open();
  void StartWorkers();
  void Stop();

  std::string name() const override { return "userspace"; }
  BackendResult<uint32_t> AllocateSpi(const IpAddress& src, const IpAddress& dst,
                                      ProtocolId protocol, uint32_t reqid) override;
  BackendResult<void> AddSa(const SaParams& sa) override;
  BackendResult<void> UpdateSa(const SaParams& sa) override;
  BackendResult<void> DeleteSa(const SaId& sa) override;
  BackendResult<SaUsage> QuerySa(const SaId& sa) override;
  BackendResult<void> MigrateSa(const SaId& old_id, const SaParams& sa) override;
  BackendResult<void> AddPolicy(const PolicyParams& policy) override;
  BackendResult<void> UpdatePolicy(const PolicyParams& policy) override;
  BackendResult<void> DeletePolicy(const PolicyId& policy) override;
  BackendResult<void> FlushOwned() override;
  void SetEventHandler(EventHandler handler) override;
  int fd() const override { return event_fd_; }
  void ProcessEvents() override;

  // Assigns an address to the TUN device (a virtual IP, or the inner source
  // address of a site-to-site tunnel); routes for remote selectors use it as
  // preferred source when it lies in the policy's local selector.
  BackendResult<void> AddTunAddress(const IpAddress& address, uint8_t prefix);
  BackendResult<void> RemoveTunAddress(const IpAddress& address, uint8_t prefix);

  // RFC 3948 demultiplexing for a port-4500 socket owned by the daemon.
  // `datagram` is the UDP payload, `from` the peer and `to` the local
  // endpoint it arrived on. For kIke the IKE message is datagram minus the
  // 4-byte non-ESP marker. Thread-safe.
  Udp4500Verdict HandleUdp4500(ByteView datagram, const Endpoint& from, const Endpoint& to);

  // With own_udp_sockets, IKE messages arriving on the shared port are
  // handed here (marker removed), on the data-plane thread: post them to the
  // IKE loop. Without a handler they are counted and dropped.
  using IkeHandler = std::function<void(ByteView ike, const Endpoint& from, const Endpoint& to)>;
  void SetIkeHandler(IkeHandler handler);
  // The shared UDP socket of a family (to send IKE from port 4500), or -1.
  int udp_socket(AddressFamily family) const;

  UserspaceStats stats() const;
  const std::string& tun_name() const { return tun_.name(); }
  size_t worker_count() const { return workers_.size(); }
  bool tun_offload_active() const { return tun_.offload(); }
  bool tun_gro_active() const { return gro_; }
  bool udp_gso_active(AddressFamily family) const {
    return udp_gso_[family == AddressFamily::kIpv4 ? 0 : 1].load(std::memory_order_relaxed);
  }
  bool udp_gro_active(AddressFamily family) const {
    return udp_gro_[family == AddressFamily::kIpv4 ? 0 : 1];
  }
  // "TUN TSO+csum on, TUN GRO on, UDP GSO on, UDP GRO on", for the log.
  std::string OffloadSummary() const;
  // Offloads the kernel refused (at Open) or that failed later and were
  // switched off: one line each, once; the event fd is signalled when one
  // arrives. Take them from the IKE thread to log them.
  std::vector<std::string> TakeNotes();

 private:
  struct SaState;
  struct SaKey {
    IpAddress dst;
    uint32_t spi;
    uint8_t protocol;
    uint32_t mark;
    auto operator<=>(const SaKey&) const = default;
  };
  struct SaKeyHash {
    size_t operator()(const SaKey& k) const noexcept;
  };
  // Hashed: an SA is found by key on every install, update and removal, and
  // a balanced tree of tens of thousands of keys (each comparison a 16-byte
  // address compare) cost 2% of a handshake. The SaState lives in the map's
  // node (one allocation per SA, not two; issue 11): nodes never move, so
  // inbound_by_spi_ and outbound_ point into them.
  using SaMap = std::unordered_map<SaKey, SaState, SaKeyHash>;
  using SaEntry = SaMap::value_type;  // the SaState does not repeat the key
  struct RouteKey {
    IpAddress dst;
    uint8_t prefix;
    auto operator<=>(const RouteKey&) const = default;
  };
  struct TxQueue;
  struct Worker;

  static SaKey KeyOf(const SaId& id);
  static SaId SaIdOf(const SaEntry& e);
  BackendResult<void> AddSaLocked(const SaParams& sa);
  void RemoveSaLocked(SaMap::iterator it);
  void RouteRef(const PolicyParams& p, bool add);
  void Emit(BackendEvent event);
  bool LifetimeAllows(SaEntry& sa);
  void Account(SaState& sa, size_t bytes, uint64_t now);
  void CheckLifetimesLocked(uint64_t now);
  static uint64_t NextDeadline(const SaState& s);
  void ScheduleLocked(const SaKey& key, SaState& s);
  void PublishNextDeadlineLocked();
  void QueueExpired(const SaKey& key);

  // Data plane (mu_ held).
  void OutboundLocked(Worker& w, uint8_t* buf, size_t headroom, size_t len, uint64_t now);
  void InboundEspLocked(UserspaceStats& st, int tun_fd, TcpCoalescer* gro, uint8_t* buf, size_t headroom, size_t len, const IpAddress& src,
                        const IpAddress& dst, std::optional<uint16_t> udp_sport, uint64_t now);
  Udp4500Verdict Udp4500Locked(UserspaceStats& st, int tun_fd, TcpCoalescer* gro, uint8_t* buf, size_t headroom, size_t len, const Endpoint& from,
                               const Endpoint& to, uint64_t now);
  void WriteTun(UserspaceStats& st, int tun_fd, ByteView vnet_and_packet);
  void SendOneByOne(Worker& w, TxQueue& q, size_t message);
  void Note(std::string note);
  void Run(Worker& w, size_t index);
  void Publish(Worker& w);
  void ReadTun(Worker& w);
  void ReadSocket(Worker& w, int fd, bool raw, AddressFamily family);
  void Flush(Worker& w);

  UserspaceOptions options_;
  TunDevice tun_;
  RouteNetlink rtnl_;
  int raw_fd_[2] = {-1, -1};  // [0] IPv4, [1] IPv6
  int udp_fd_[2] = {-1, -1};
  int event_fd_ = -1;
  int wake_fd_ = -1;
  bool rules_installed_[2] = {false, false};
  bool gro_ = false;
  std::atomic<bool> udp_gso_[2] = {false, false};  // cleared when the kernel refuses a send
  // Datagrams of this size or more are not batched (the kernel refused
  // them: above the route's MTU).
  std::atomic<size_t> gso_limit_[2] = {SIZE_MAX, SIZE_MAX};
  bool udp_gro_[2] = {false, false};
  std::mutex notes_mu_;
  std::vector<std::string> notes_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
  std::atomic<bool> running_{false};

  mutable std::shared_mutex mu_;
  SaMap sas_;
  std::unordered_map<uint32_t, SaEntry*> inbound_by_spi_;
  std::vector<SaEntry*> outbound_;  // oldest first; the newest matching wins
  // The same SAs by reqid (in the same order): a policy template names its
  // SA by reqid, and a scan of every outbound SA per packet grew with the
  // number of tunnels.
  std::unordered_map<uint32_t, std::vector<SaEntry*>> outbound_by_reqid_;
  void ReindexReqid(SaEntry* e, uint32_t old_reqid);
  std::set<uint32_t> reserved_spis_;
  // Time-based lifetimes: (deadline, SA) entries, earliest first; the
  // earliest is mirrored in next_deadline_ so a worker's tick can skip the
  // exclusive lock when nothing is due. Hard limits reached on the data path
  // (bytes, packets, sequence numbers) queue the SA in expired_ for removal.
  struct Deadline {
    uint64_t when;
    SaKey key;
    bool operator>(const Deadline& o) const { return when > o.when; }
  };
  std::priority_queue<Deadline, std::vector<Deadline>, std::greater<>> deadlines_;
  std::atomic<uint64_t> next_deadline_{UINT64_MAX};
  std::mutex expired_mu_;
  std::vector<SaKey> expired_;
  std::atomic<bool> expired_pending_{false};
  PolicyTable spd_;
  std::map<RouteKey, int> route_refs_;
  std::vector<std::pair<IpAddress, uint8_t>> tun_addresses_;
  std::mutex acquire_mu_;  // PolicyEntry::last_acquire_ms
  mutable std::mutex handler_mu_;
  IkeHandler ike_handler_;
  mutable std::mutex stats_mu_;  // workers' published counters
  mutable std::mutex scratch_mu_;
  std::vector<uint8_t> scratch_;  // HandleUdp4500 copies here (headroom for transport mode)
  UserspaceStats ctl_stats_;      // HandleUdp4500's counters (under scratch_mu_)

  std::mutex events_mu_;
  std::deque<BackendEvent> events_;
  EventHandler event_handler_;
};

}  // namespace ike::xfrm
