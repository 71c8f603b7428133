#include "charon/daemon/engine_host.h"

#include <netdb.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <deque>
#include <mutex>
#include <set>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "charon/daemon/address_monitor.h"
#include "charon/daemon/config_map.h"
#include "charon/daemon/radius_client.h"
#include "conf/diff.h"
#include "libike/crypto/rng.h"
#include "libike/engine/engine.h"
#include "libike/engine/sa/backend_spi_allocator.h"
#include "xfrm/backend/install_transaction.h"
#include "xfrm/netlink/kernel_probe.h"
#include "xfrm/netlink/route_manager.h"
#include "xfrm/netlink/socket_options.h"
#include "xfrm/userspace/userspace_backend.h"

namespace ike::charon {
namespace {

using Clock = std::chrono::steady_clock;

std::string Hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%08x", v);
  return buf;
}
std::string Hex64(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

const char* ChildStateName(engine::ChildState s) {
  switch (s) {
    case engine::ChildState::kInstalled: return "INSTALLED";
    case engine::ChildState::kRekeying: return "REKEYING";
    case engine::ChildState::kRekeyed: return "REKEYED";
    case engine::ChildState::kDeleting: return "DELETING";
  }
  return "UNKNOWN";
}

// Which SAs a terminate or rekey request names: a connection and/or an
// IKE_SA id, and for CHILD_SAs a child name or id (the inbound SPI).
struct SaSelector {
  explicit SaSelector(const nlohmann::json& j)
      : ike(j.value("ike", std::string())),
        child(j.value("child", std::string())),
        ike_id(j.value("ike_id", uint64_t{0})),
        child_id(j.value("child_id", uint64_t{0})) {}
  bool child_level() const { return !child.empty() || child_id != 0; }
  template <typename Sa>  // engine::IkeSa or engine::v1::IsakmpSa
  bool Matches(const Sa& sa) const {
    return (ike.empty() || sa.config().name == ike) && (ike_id == 0 || sa.id() == ike_id);
  }
  bool Matches(const engine::ChildSa& c) const {
    return (!child.empty() && c.name == child) || (child_id != 0 && c.spi_in == child_id);
  }
  std::string ike, child;
  uint64_t ike_id, child_id;
};

// A control request waiting for an engine event.
struct Waiter {
  enum class Kind { kInitiate, kTerminateIke, kTerminateChild };
  Kind kind;
  std::string connection;
  std::string child;
  std::set<uint64_t> sas;        // terminate: the IKE_SAs still to go
  std::set<uint32_t> child_spis; // terminate child: inbound SPIs still to go
  EngineHost::Completion done;
  EventLoop::TimerId timer = 0;
};

}  // namespace

struct EngineHost::Impl {
  Impl(EventLoop& l, Logger& lg, IkeSockets& s, BackendChoice b)
      : loop(l),
        log(lg),
        sockets(s),
        choice(std::move(b)),
        backend(*choice.backend),
        spis(backend),
        sources(choice.userspace ? xfrm::UserspaceOptions{}.fwmark : 0),
        engine(engine::Env{rng, spis, nullptr, &sources}),
        epoch(Clock::now()) {}

  EventLoop& loop;
  Logger& log;
  IkeSockets& sockets;
  BackendChoice choice;
  xfrm::Backend& backend;
  crypto::OpenSslRng rng;
  engine::BackendSpiAllocator spis;
  RouteSourceResolver sources;  // local_addrs = %any initiators
  engine::Engine engine;
  Clock::time_point epoch;
  // The engine's timers (several per IKE_SA) are kept here and the event
  // loop holds one timer for the earliest: a loop timer each (a hash node,
  // a deadline node and a heap-allocated callback) cost about twice the
  // memory per tunnel. `timers` says which are armed and when; `due` is a
  // min-heap of (deadline, id) in which a cancelled or re-armed timer's old
  // entry stays until it surfaces (then `timers` disowns it) or a
  // compaction drops it: arming costs a hash insert and a push onto a flat
  // array instead of two balanced-tree insertions and a removal.
  struct TimerIdHash {
    size_t operator()(const engine::TimerId& id) const noexcept {
      uint64_t h = id.sa * 0x9E3779B97F4A7C15ull;
      h ^= (static_cast<uint64_t>(id.kind) << 32 | id.aux) + 0x632BE59BD9B4E019ull + (h << 6) + (h >> 2);
      return static_cast<size_t>(h);
    }
  };
  using Due = std::pair<engine::TimePoint, engine::TimerId>;
  struct DueLater {
    // Same-millisecond timers fire in TimerId order (a rekey before a hard expire).
    bool operator()(const Due& a, const Due& b) const {
      return a.first != b.first ? a.first > b.first : b.second < a.second;
    }
  };
  std::unordered_map<engine::TimerId, engine::TimePoint, TimerIdHash> timers;  // id -> deadline
  std::vector<Due> due;  // heap ordered by DueLater
  EventLoop::TimerId wake = 0;
  engine::TimePoint wake_at{0};
  // EAP-RADIUS (auth = eap-radius) and RADIUS accounting.
  RadiusClient radius{loop, log};
  struct AcctSa {
    uint64_t ike_sa;
    bool inbound;
    xfrm::SaId id;
  };
  // The CHILD_SAs of IKE_SAs with RADIUS accounting, by (destination, SPI),
  // and the traffic of those already deleted (queried just before).
  std::map<std::pair<IpAddress, uint32_t>, AcctSa> acct_sas;
  std::map<uint64_t, RadiusUsage> acct_closed;
  std::shared_ptr<const conf::Config> config;
  std::map<std::string, MappedConnection> connections;
  std::vector<std::unique_ptr<Waiter>> waiters;
  engine::RetransmitConfig retransmit;
  // start_action = trap: the trap policies installed per connection, and the
  // reqids given to trapped children (the ACQUIRE names the reqid).
  std::map<std::string, std::vector<xfrm::PolicyParams>> traps;
  std::map<std::string, std::vector<std::string>> trapped_children;
  std::map<IpAddress, int> vip_refs;
  // Virtual IPs with the kernel data path: address, table-220 routes and
  // rule (opened on the first virtual IP), and the outbound policies that
  // got a route (policy, destination, prefix, virtual IP).
  std::unique_ptr<xfrm::netlink::RouteManager> vip_routes;
  std::vector<std::tuple<xfrm::PolicyId, IpAddress, uint8_t, IpAddress>> vip_routed;
  uint32_t next_trap_reqid = 0x7f000001;
  uint64_t install_failures = 0;
  uint64_t keepalives_sent = 0;
  uint64_t effects_executed = 0;
  std::function<void()> shutdown_done;
  bool shutting_down = false;

  // MOBIKE (RFC 4555), client side: when our addresses or routes change,
  // each IKE_SA with MOBIKE to a named gateway checks which source address
  // reaches the peer now, and moves there (UPDATE_SA_ADDRESSES).
  std::unique_ptr<AddressMonitor> addresses;
  void StartAddressMonitor() {
    addresses = std::make_unique<AddressMonitor>(loop, std::chrono::milliseconds(500),
                                                 [this] { CheckPaths(); });
    if (auto r = addresses->Start(); !r) {
      log.Log(Subsystem::kNet, LogLevel::kWarning,
              "address monitor: " + r.error() + " (MOBIKE clients will not follow address changes)");
      addresses.reset();
    }
  }
  void CheckPaths() {
    // The userspace data path routes everything unmarked into its tunnel
    // table; IKE's own packets carry its mark, so the lookup does too.
    uint32_t mark = choice.userspace ? xfrm::UserspaceOptions{}.fwmark : 0;
    std::vector<std::pair<uint64_t, IpAddress>> moves;
    for (const auto* sa : engine.sas()) {
      if (!sa->established() || !sa->mobike() || sa->rekeyed_away()) continue;
      if (sa->config().remote.address.IsUnspecified()) continue;  // a gateway does not roam
      auto src = AddressMonitor::SourceFor(sa->remote().address, mark);
      if (!src) {
        log.Log(Subsystem::kIke, LogLevel::kInfo, Ctx(sa->id()),
                "no route to the peer: waiting for one (MOBIKE)");
        continue;
      }
      if (*src == sa->local().address) continue;
      moves.emplace_back(sa->id(), *src);
    }
    for (const auto& [id, src] : moves) {
      log.Log(Subsystem::kIke, LogLevel::kInfo, Ctx(id),
              "local address now " + src.ToString() + ": moving the IKE_SA (MOBIKE)");
      Handle(engine::Command{engine::MobikeUpdateCommand{id, src}});
    }
  }

  // IKE that the userspace data path received on the NAT-T port, on its own
  // thread, queued for the loop.
  int wake_fd = -1;
  std::mutex queue_mu;
  std::deque<std::tuple<Bytes, Endpoint, Endpoint>> natt_queue;

  engine::TimePoint Now() const {
    return std::chrono::duration_cast<engine::TimePoint>(Clock::now() - epoch);
  }

  LogContext Ctx(uint64_t sa_id) const {
    LogContext ctx;
    ctx.ike_sa = sa_id;
    if (const auto* sa = engine.FindSa(sa_id)) {
      ctx.conn = sa->config().name;
      ctx.peer = sa->remote().ToString();
    } else if (const auto* v1 = engine.FindV1Sa(sa_id)) {
      ctx.conn = v1->config().name;
      ctx.peer = v1->remote().ToString();
    }
    return ctx;
  }

  // Every IKE SA in one walk, IKEv2 first, then IKEv1 (ISAKMP) SAs: both
  // kinds have id(), config(), state(), established(), children(), local()
  // and remote(), and take the same commands by id.
  template <typename F>
  void ForEachSa(F&& f) const {
    for (const auto* sa : engine.sas()) f(*sa);
    for (const auto* sa : engine.v1_sas()) f(*sa);
  }
  size_t SaCount() const { return engine.sa_count(); }

  void Handle(const engine::Input& input) {
    uint64_t before = engine.counters().Total();
    engine::Effects effects = engine.Handle(input, Now());
    uint64_t after = engine.counters().Total();
    if (after != before && log.Enabled(Subsystem::kIke, LogLevel::kDebug)) {
      log.Log(Subsystem::kIke, LogLevel::kDebug, "dropped input: " + engine.counters().ToString());
    }
    Execute(effects);
  }

  void Execute(engine::Effects& effects) {
    for (auto& effect : effects) {
      ++effects_executed;
      std::visit([this](auto& e) { Do(e); }, effect);
    }
  }

  void Do(engine::SendDatagram& e) {
    if (!sockets.Send(e.from, e.to, e.bytes)) {
      log.Log(Subsystem::kNet, LogLevel::kWarning,
              "could not send " + std::to_string(e.bytes.size()) + " bytes from " + e.from.ToString() + " to " +
                  e.to.ToString());
    }
  }
  void Do(engine::ArmTimer& e) {
    engine::TimePoint deadline = Now() + e.after;
    timers[e.id] = deadline;  // replaces an earlier arming: its entry goes stale
    due.emplace_back(deadline, e.id);
    std::push_heap(due.begin(), due.end(), DueLater{});
    ArmWake();
  }
  void Do(engine::CancelTimer& e) { Cancel(e.id); }
  void Cancel(const engine::TimerId& id) {
    // The heap entry goes stale; the loop timer may now be early: it then
    // finds nothing due and re-arms.
    if (timers.erase(id) != 0) CompactDue();
  }
  // Drops stale heap entries once they outnumber the armed timers (long
  // timers re-armed often would otherwise pile up).
  void CompactDue() {
    if (due.size() <= 2 * timers.size() + 1024) return;
    std::erase_if(due, [this](const Due& d) { return !Live(d); });
    std::make_heap(due.begin(), due.end(), DueLater{});
  }
  bool Live(const Due& d) const {
    auto it = timers.find(d.second);
    return it != timers.end() && it->second == d.first;
  }
  // Pops stale entries off the top, so the top is the earliest armed timer.
  void PruneDue() {
    while (!due.empty() && !Live(due.front())) {
      std::pop_heap(due.begin(), due.end(), DueLater{});
      due.pop_back();
    }
  }
  // The loop timer follows the earliest deadline.
  void ArmWake() {
    PruneDue();
    CompactDue();
    if (due.empty()) return;
    engine::TimePoint first = due.front().first;
    if (wake != 0 && wake_at <= first) return;
    if (wake != 0) loop.CancelTimer(wake);
    wake_at = first;
    wake = loop.AddTimerIn(std::max(first - Now(), engine::Duration{0}), [this] { FireDue(); });
  }
  void FireDue() {
    wake = 0;
    engine::TimePoint now = Now();
    // Handle() arms and cancels timers: take one due timer at a time.
    for (PruneDue(); !due.empty() && due.front().first <= now; PruneDue()) {
      engine::TimerId id = due.front().second;
      std::pop_heap(due.begin(), due.end(), DueLater{});
      due.pop_back();
      timers.erase(id);
      Handle(engine::TimerFired{id});
    }
    ArmWake();
  }
  void CancelAllTimers() {
    if (wake != 0) loop.CancelTimer(wake);
    wake = 0;
    timers.clear();
    due.clear();
  }
  // Seconds until a timer fires, or -1 when it is not armed.
  int64_t SecondsUntil(const engine::TimerId& id) const {
    auto it = timers.find(id);
    if (it == timers.end()) return -1;
    return std::chrono::duration_cast<std::chrono::seconds>(it->second - Now()).count();
  }
  void Do(engine::InstallSa& e) {
    auto r = backend.AddSa(e.params);
    if (!r && r.error().code == xfrm::BackendError::Code::kExists && e.params.direction == xfrm::Direction::kIn) {
      // An inbound SPI is one AllocateSpi gave us; with the kernel that
      // left a larval SA (XFRM_MSG_ALLOCSPI) under it, which the keys now
      // fill in (XFRM_MSG_UPDSA). Nobody else can hold that SPI.
      r = backend.UpdateSa(e.params);
    }
    if (r) {
      // Formatted only when someone reads it: this runs twice per CHILD_SA.
      if (!log.Enabled(Subsystem::kKernel, LogLevel::kDebug)) return;
      log.Log(Subsystem::kKernel, LogLevel::kDebug,
              "installed SA " + Hex32(e.params.id.spi) + " " + e.params.src.ToString() + " -> " +
                  e.params.id.dst.ToString());
      return;
    }
    ++install_failures;
    log.Log(Subsystem::kKernel, LogLevel::kError,
            "installing SA " + Hex32(e.params.id.spi) + " failed: " + r.error().ToString());
    FailChild(e.params.id.spi);
  }
  void Do(engine::DeleteSa& e) {
    AcctSaGone(e.id);
    auto r = backend.DeleteSa(e.id);
    if (!r && r.error().code != xfrm::BackendError::Code::kNotFound) {
      log.Log(Subsystem::kKernel, LogLevel::kWarning, "deleting SA " + Hex32(e.id.spi) + ": " + r.error().ToString());
    }
  }
  void Do(engine::InstallPolicy& e) {
    auto r = backend.AddPolicy(e.params);
    if (!r && r.error().code == xfrm::BackendError::Code::kExists) r = backend.UpdatePolicy(e.params);
    if (!r) {
      ++install_failures;
      log.Log(Subsystem::kKernel, LogLevel::kError, "installing policy failed: " + r.error().ToString());
      for (const auto& t : e.params.templates) FailChildByReqid(t.reqid);
      return;
    }
    VipRoute(e.params);
  }
  void Do(engine::DeletePolicy& e) {
    VipUnroute(e.id);
    auto r = backend.DeletePolicy(e.id);
    if (!r && r.error().code != xfrm::BackendError::Code::kNotFound) {
      log.Log(Subsystem::kKernel, LogLevel::kWarning, "deleting policy: " + r.error().ToString());
    }
  }
  void Do(engine::EmitEvent& e) { OnEvent(e.event); }

  // MOBIKE (RFC 4555): an SA moves to the IKE_SA's new addresses, keys and
  // sequence numbers kept. When the backend cannot move it, the old SA goes
  // and the CHILD_SA is rekeyed, which installs it at the new addresses.
  void Do(engine::MigrateSa& e) {
    auto r = backend.MigrateSa(e.old_id, e.params);
    if (r) {
      log.Log(Subsystem::kKernel, LogLevel::kDebug,
              "moved SA " + Hex32(e.params.id.spi) + " to " + e.params.src.ToString() + " -> " +
                  e.params.id.dst.ToString() + (e.params.encap ? " (UDP-encapsulated)" : ""));
      return;
    }
    log.Log(Subsystem::kKernel, LogLevel::kWarning,
            "moving SA " + Hex32(e.params.id.spi) + " failed: " + r.error().ToString());
    (void)backend.DeleteSa(e.old_id);
    if (e.params.direction != xfrm::Direction::kIn) return;
    for (const auto* sa : engine.sas()) {
      for (const auto& c : sa->children()) {
        if (c.spi_in != e.params.id.spi) continue;
        uint64_t id = sa->id();
        uint32_t spi_in = c.spi_in;
        loop.AddTimerIn(std::chrono::milliseconds(0), [this, id, spi_in] {
          Handle(engine::Command{engine::RekeyChildCommand{id, spi_in}});
        });
        return;
      }
    }
  }
  void Do(engine::UpdatePolicy& e) {
    auto r = backend.UpdatePolicy(e.params);
    if (!r) {
      ++install_failures;
      log.Log(Subsystem::kKernel, LogLevel::kError, "updating policy failed: " + r.error().ToString());
    }
  }

  // EAP to relay to an AAA backend. Without a RADIUS server configured the
  // answer is "unavailable" (the peer's authentication fails cleanly). The
  // reply is a new input, so it runs after this batch of effects.
  void Do(engine::EapBackendRequest& e) {
    uint64_t sa = e.sa;
    if (radius.configured()) {
      RadiusAuthRequest req{e.sa, e.identity, e.eap_message, e.first, e.local, e.remote, e.connection};
      radius.Authenticate(std::move(req), [this, sa](RadiusAuthResult r) { OnRadiusReply(sa, std::move(r)); });
      return;
    }
    log.Log(Subsystem::kIke, LogLevel::kError, Ctx(sa),
            "EAP-RADIUS requested but no RADIUS server is configured");
    loop.AddTimerIn(engine::Duration(0), [this, sa] {
      engine::EapBackendReply reply;
      reply.sa = sa;
      reply.kind = engine::EapBackendReply::Kind::kUnavailable;
      reply.reason = "no RADIUS server configured";
      Handle(engine::Input(std::move(reply)));
    });
  }

  void OnRadiusReply(uint64_t sa, RadiusAuthResult r) {
    engine::EapBackendReply reply;
    reply.sa = sa;
    switch (r.kind) {
      case RadiusAuthResult::Kind::kChallenge: reply.kind = engine::EapBackendReply::Kind::kChallenge; break;
      case RadiusAuthResult::Kind::kAccept:
        reply.kind = engine::EapBackendReply::Kind::kAccept;
        log.Log(Subsystem::kIke, LogLevel::kInfo, Ctx(sa),
                "RADIUS Access-Accept from " + r.server +
                    (r.framed_ip ? ", Framed-IP-Address " + r.framed_ip->ToString() : std::string()));
        break;
      case RadiusAuthResult::Kind::kReject:
        reply.kind = engine::EapBackendReply::Kind::kReject;
        log.Log(Subsystem::kIke, LogLevel::kWarning, Ctx(sa), r.reason);
        break;
      case RadiusAuthResult::Kind::kUnavailable: reply.kind = engine::EapBackendReply::Kind::kUnavailable; break;
    }
    reply.eap_message = std::move(r.eap_message);
    reply.msk = std::move(r.msk);
    reply.framed_ip = r.framed_ip;
    reply.reason = std::move(r.reason);
    Handle(engine::Input(std::move(reply)));
  }

  // RADIUS accounting follows the IKE_SAs that RADIUS authenticated.
  void RadiusOnEvent(const engine::Event& ev) {
    switch (ev.kind) {
      case engine::EventKind::kIkeUp: {
        const auto* sa = engine.FindSa(ev.sa);
        if (!sa || !radius.accounting()) break;
        RadiusAcctInfo info;
        info.local = sa->local();
        info.remote = sa->remote();
        for (const auto& [pool, a] : sa->peer_vips()) {
          if (a.is_v4() && !info.framed_ip) info.framed_ip = a;
        }
        radius.StartAccounting(ev.sa, info);
        AcctTrack(ev.sa);
        break;
      }
      case engine::EventKind::kIkeRekeyed: {
        // The session continues under the new IKE_SA (same peer and connection).
        const auto* now_sa = engine.FindSa(ev.sa);
        if (!now_sa || radius.HasAccounting(ev.sa)) break;
        for (const auto* old : engine.sas()) {
          if (old->id() != ev.sa && radius.HasAccounting(old->id()) && old->config().name == now_sa->config().name &&
              old->remote() == now_sa->remote()) {
            radius.RenameSession(old->id(), ev.sa);
            auto closed = acct_closed.extract(old->id());
            if (!closed.empty()) acct_closed[ev.sa] = closed.mapped();
            for (auto& [key, a] : acct_sas) {
              if (a.ike_sa == old->id()) a.ike_sa = ev.sa;
            }
            break;
          }
        }
        AcctTrack(ev.sa);
        break;
      }
      case engine::EventKind::kChildUp:
      case engine::EventKind::kChildRekeyed:
        AcctTrack(ev.sa);
        break;
      case engine::EventKind::kIkeDown: {
        if (radius.HasAccounting(ev.sa)) {
          RadiusUsage usage = AcctUsage(ev.sa);
          auto cause = radius::TerminateCause::kUserRequest;
          if (ev.reason.find("retransmit") != std::string::npos) cause = radius::TerminateCause::kLostCarrier;
          else if (shutting_down) cause = radius::TerminateCause::kNasReboot;
          radius.StopAccounting(ev.sa, cause, usage);
        }
        radius.Forget(ev.sa);
        acct_closed.erase(ev.sa);
        std::erase_if(acct_sas, [&](const auto& kv) { return kv.second.ike_sa == ev.sa; });
        break;
      }
      default:
        break;
    }
  }
  void AcctTrack(uint64_t sa_id) {
    if (!radius.HasAccounting(sa_id)) return;
    const auto* sa = engine.FindSa(sa_id);
    if (!sa) return;
    for (const auto& c : sa->children()) {
      xfrm::SaId in{sa->local().address, c.spi_in, c.protocol, c.config->mark_in};
      xfrm::SaId out{sa->remote().address, c.spi_out, c.protocol, c.config->mark_out};
      acct_sas[{in.dst, in.spi}] = AcctSa{sa_id, true, in};
      acct_sas[{out.dst, out.spi}] = AcctSa{sa_id, false, out};
    }
  }
  static void AddSaUsage(RadiusUsage& u, bool inbound, const xfrm::SaUsage& s) {
    (inbound ? u.octets_in : u.octets_out) += s.bytes;
    (inbound ? u.packets_in : u.packets_out) += s.packets;
  }
  void AcctSaGone(const xfrm::SaId& id) {
    auto it = acct_sas.find({id.dst, id.spi});
    if (it == acct_sas.end()) return;
    if (auto u = backend.QuerySa(it->second.id)) AddSaUsage(acct_closed[it->second.ike_sa], it->second.inbound, *u);
    acct_sas.erase(it);
  }
  RadiusUsage AcctUsage(uint64_t sa_id) {
    RadiusUsage total;
    if (auto it = acct_closed.find(sa_id); it != acct_closed.end()) total = it->second;
    for (const auto& [key, a] : acct_sas) {
      if (a.ike_sa != sa_id) continue;
      if (auto u = backend.QuerySa(a.id)) AddSaUsage(total, a.inbound, *u);
    }
    return total;
  }

  // A virtual IP the gateway gave us: on the TUN device of the userspace
  // data path, whose routes then prefer it as source. Reference-counted: a
  // reauthentication adds the same address before the old SA removes it.
  void Do(engine::VirtualIp& e) {
    int& refs = vip_refs[e.address];
    LogContext ctx{e.connection, e.sa, ""};
    const uint8_t host = e.address.is_v4() ? 32 : 128;
    if (e.add) {
      if (refs++ > 0) return;
      auto* us = dynamic_cast<xfrm::UserspaceBackend*>(&backend);
      if (!us) {
        KernelVip(e, ctx);
        return;
      }
      auto r = us->AddTunAddress(e.address, host);
      log.Log(Subsystem::kIke, r ? LogLevel::kInfo : LogLevel::kError, ctx,
              r ? "installed virtual IP " + e.address.ToString()
                : "installing virtual IP " + e.address.ToString() + ": " + r.error().ToString());
      return;
    }
    if (refs == 0 || --refs > 0) {
      if (refs == 0) vip_refs.erase(e.address);
      return;
    }
    vip_refs.erase(e.address);
    if (vip_routes && vip_routes->HasVirtualIp(e.address)) KernelVip(e, ctx);
    if (auto* us = dynamic_cast<xfrm::UserspaceBackend*>(&backend)) {
      auto r = us->RemoveTunAddress(e.address, host);
      log.Log(Subsystem::kIke, r ? LogLevel::kInfo : LogLevel::kWarning, ctx,
              r ? "removed virtual IP " + e.address.ToString()
                : "removing virtual IP " + e.address.ToString() + ": " + r.error().ToString());
    }
  }

  // The kernel data path: the address goes on the interface towards the
  // gateway; routes for the outbound policies follow in VipRoute.
  void KernelVip(const engine::VirtualIp& e, const LogContext& ctx) {
    const std::string what = "virtual IP " + e.address.ToString();
    if (!e.add) {
      vip_routed.erase(std::remove_if(vip_routed.begin(), vip_routed.end(),
                                      [&](const auto& t) { return std::get<3>(t) == e.address; }),
                       vip_routed.end());
      auto r = vip_routes->RemoveVirtualIp(e.address);
      log.Log(Subsystem::kIke, r ? LogLevel::kInfo : LogLevel::kWarning, ctx,
              r ? "removed " + what : "removing " + what + ": " + r.error().ToString());
      return;
    }
    std::optional<IpAddress> gateway;
    if (const auto* sa = engine.FindSa(e.sa)) gateway = sa->remote().address;
    if (const auto* v1 = engine.FindV1Sa(e.sa)) gateway = v1->remote().address;  // Mode Config
    if (!gateway) return;
    if (!vip_routes) {
      vip_routes = std::make_unique<xfrm::netlink::RouteManager>();
      if (auto r = vip_routes->Open(); !r) {
        log.Log(Subsystem::kKernel, LogLevel::kError, ctx, "installing " + what + ": " + r.error().ToString());
        vip_routes.reset();
        return;
      }
    }
    auto r = vip_routes->AddVirtualIp(e.address, *gateway);
    log.Log(Subsystem::kIke, r ? LogLevel::kInfo : LogLevel::kError, ctx,
            r ? "installed " + what + " on interface " + std::to_string(vip_routes->VirtualIpInterface(e.address))
              : "installing " + what + ": " + r.error().ToString());
  }
  // An outbound policy from a virtual IP we hold: a route for its
  // destination in table 220 with the virtual IP as source.
  void VipRoute(const xfrm::PolicyParams& p) {
    if (!vip_routes || p.direction != xfrm::Direction::kOut || p.action != xfrm::PolicyAction::kProtect) return;
    const auto& sel = p.selector;
    if (sel.src_prefix != (sel.src.is_v4() ? 32 : 128) || !vip_routes->HasVirtualIp(sel.src)) return;
    xfrm::PolicyId id{sel, p.direction, p.mark, p.if_id};
    for (const auto& t : vip_routed) {
      if (std::get<0>(t) == id) return;  // an update of a policy already routed
    }
    auto r = vip_routes->AddRoute(sel.dst, sel.dst_prefix, sel.src);
    if (!r) {
      log.Log(Subsystem::kKernel, LogLevel::kError,
              "route " + sel.dst.ToString() + "/" + std::to_string(sel.dst_prefix) + " from virtual IP " +
                  sel.src.ToString() + ": " + r.error().ToString());
      return;
    }
    vip_routed.emplace_back(id, sel.dst, sel.dst_prefix, sel.src);
  }
  void VipUnroute(const xfrm::PolicyId& id) {
    for (auto it = vip_routed.begin(); it != vip_routed.end(); ++it) {
      if (std::get<0>(*it) != id) continue;
      (void)vip_routes->RemoveRoute(std::get<1>(*it), std::get<2>(*it), std::get<3>(*it));
      vip_routed.erase(it);
      return;
    }
  }

  // A failed install: the CHILD_SA is closed, which deletes whatever part of
  // it the backend already holds (the engine emits the deletes).
  void FailChild(uint32_t spi) {
    bool found = false;
    ForEachSa([&](const auto& sa) {
      for (const auto& c : sa.children()) {
        if (found || (c.spi_in != spi && c.spi_out != spi)) continue;
        found = true;
        uint64_t id = sa.id();
        uint32_t spi_in = c.spi_in;
        loop.AddTimerIn(std::chrono::milliseconds(0), [this, id, spi_in] {
          Handle(engine::Command{engine::TerminateChildCommand{id, spi_in}});
        });
      }
    });
  }
  void FailChildByReqid(uint32_t reqid) {
    std::vector<uint32_t> spis;
    ForEachSa([&](const auto& sa) {
      for (const auto& c : sa.children()) {
        if (c.reqid == reqid) spis.push_back(c.spi_in);
      }
    });
    for (uint32_t spi : spis) FailChild(spi);
  }

  void OnEvent(const engine::Event& ev) {
    RadiusOnEvent(ev);
    LogContext ctx = Ctx(ev.sa);
    ctx.conn = ev.connection;
    std::string text;
    switch (ev.kind) {
      case engine::EventKind::kIkeUp: text = "IKE_SA established"; break;
      case engine::EventKind::kIkeDown: text = "IKE_SA deleted" + (ev.reason.empty() ? "" : ": " + ev.reason); break;
      case engine::EventKind::kIkeRekeyed: text = "IKE_SA rekeyed"; break;
      case engine::EventKind::kChildUp:
        text = "CHILD_SA " + ev.child + " installed, SPIs " + Hex32(ev.spi_in) + "_i " + Hex32(ev.spi_out) + "_o";
        break;
      case engine::EventKind::kChildDown:
        text = "CHILD_SA " + ev.child + " closed" + (ev.reason.empty() ? "" : ": " + ev.reason);
        break;
      case engine::EventKind::kChildRekeyed:
        text = "CHILD_SA " + ev.child + " rekeyed, SPIs " + Hex32(ev.spi_in) + "_i " + Hex32(ev.spi_out) + "_o";
        break;
    }
    bool failure = ev.kind == engine::EventKind::kIkeDown && !ev.reason.empty();
    log.Log(Subsystem::kIke, failure ? LogLevel::kWarning : LogLevel::kInfo, ctx, text);
    ResolveWaiters(ev);
    if (ev.kind == engine::EventKind::kChildDown || ev.kind == engine::EventKind::kIkeDown) {
      RestoreTraps(ev.connection);
      AfterDown(ev);
    }
    if (shutting_down && SaCount() == 0) FinishShutdown();
  }

  // dpd_action / close_action (engine::Event::then): trap policies for the
  // children concerned, or a new CHILD_SA the peer closed (the engine itself
  // restarts an IKE_SA whose peer died).
  void AfterDown(const engine::Event& ev) {
    if (shutting_down || ev.then == engine::DpdAction::kNone ||
        ev.then == engine::DpdAction::kClear) {
      return;
    }
    auto it = connections.find(ev.connection);
    if (it == connections.end()) return;
    const MappedConnection& m = it->second;
    if (ev.then == engine::DpdAction::kTrap) {
      std::vector<std::string> children;
      if (!ev.child.empty()) {
        children.push_back(ev.child);
      } else {
        for (const auto& c : m.peer.children) {
          if (c.dpd_action == engine::DpdAction::kTrap) children.push_back(c.name);
        }
      }
      log.Log(Subsystem::kIke, LogLevel::kInfo, LogContext{ev.connection, ev.sa, ""},
              (ev.child.empty() ? std::string("dpd_action") : "close_action") +
                  " = trap: traffic brings the SA back");
      InstallTraps(m, children);
    } else if (ev.then == engine::DpdAction::kRestart && !ev.child.empty()) {
      log.Log(Subsystem::kIke, LogLevel::kInfo, LogContext{ev.connection, ev.sa, ""},
              "close_action = start: initiating " + ev.child + " again");
      std::string conn = ev.connection, child = ev.child;
      loop.AddTimerIn(std::chrono::milliseconds(0), [this, conn, child] {
        Handle(engine::Command{engine::InitiateCommand{conn, child}});
      });
    }
  }

  void Complete(Waiter* w, Result<nlohmann::json, control::Error> result) {
    if (w->timer) loop.CancelTimer(w->timer);
    auto done = std::move(w->done);
    for (auto it = waiters.begin(); it != waiters.end(); ++it) {
      if (it->get() == w) {
        waiters.erase(it);
        break;
      }
    }
    done(std::move(result));
  }

  void ResolveWaiters(const engine::Event& ev) {
    std::vector<std::pair<Waiter*, Result<nlohmann::json, control::Error>>> finished;
    for (auto& wp : waiters) {
      Waiter* w = wp.get();
      switch (w->kind) {
        case Waiter::Kind::kInitiate:
          if (ev.connection != w->connection) break;
          if (ev.kind == engine::EventKind::kChildUp && (w->child.empty() || ev.child == w->child)) {
            finished.push_back({w, nlohmann::json{{"message", "CHILD_SA '" + ev.child + "' established"},
                                                   {"ike_id", ev.sa}}});
          } else if (ev.kind == engine::EventKind::kIkeUp && w->child.empty() && Children(ev.connection) == 0) {
            finished.push_back({w, nlohmann::json{{"message", "IKE_SA '" + ev.connection + "' established"},
                                                   {"ike_id", ev.sa}}});
          } else if (ev.kind == engine::EventKind::kIkeDown ||
                     (ev.kind == engine::EventKind::kChildDown && ev.child == w->child && !ev.reason.empty())) {
            finished.push_back({w, MakeUnexpected(control::Error{
                                        control::ErrorCode::kFailed,
                                        "establishing '" + (w->child.empty() ? w->connection : w->child) +
                                            "' failed: " + (ev.reason.empty() ? "IKE_SA deleted" : ev.reason)})});
          }
          break;
        case Waiter::Kind::kTerminateIke:
          if (ev.kind == engine::EventKind::kIkeDown) w->sas.erase(ev.sa);
          if (w->sas.empty()) finished.push_back({w, nlohmann::json{{"message", "terminated"}}});
          break;
        case Waiter::Kind::kTerminateChild:
          if (ev.kind == engine::EventKind::kChildDown || ev.kind == engine::EventKind::kIkeDown) {
            w->child_spis.erase(ev.spi_in);
            if (ev.kind == engine::EventKind::kIkeDown && w->sas.count(ev.sa)) {
              w->sas.erase(ev.sa);
              w->child_spis.clear();
            }
          }
          if (w->child_spis.empty()) finished.push_back({w, nlohmann::json{{"message", "terminated"}}});
          break;
      }
    }
    for (auto& [w, r] : finished) Complete(w, std::move(r));
  }

  size_t Children(const std::string& connection) const {
    auto it = connections.find(connection);
    return it == connections.end() ? 0 : it->second.peer.children.size();
  }

  Waiter* AddWaiter(Waiter::Kind kind, std::chrono::milliseconds timeout, Completion done) {
    auto w = std::make_unique<Waiter>();
    w->kind = kind;
    w->done = std::move(done);
    Waiter* raw = w.get();
    w->timer = loop.AddTimerIn(timeout, [this, raw] {
      raw->timer = 0;
      Complete(raw, MakeUnexpected(control::Error{control::ErrorCode::kTimeout, "timed out waiting for the peer"}));
    });
    waiters.push_back(std::move(w));
    return raw;
  }

  // Installs the outbound trap policies of `children` of `m`: traffic they
  // match raises an ACQUIRE, and the engine initiates that child.
  void InstallTraps(const MappedConnection& m, const std::vector<std::string>& children) {
    const auto& peer = m.peer;
    if (children.empty()) return;
    if (peer.local.address.IsUnspecified() || peer.remote.address.IsUnspecified()) {
      log.Log(Subsystem::kConfig, LogLevel::kWarning, LogContext{peer.name, 0, ""},
              "start_action = trap needs single local and remote addresses; not trapping");
      return;
    }
    auto& installed = traps[peer.name];
    for (const auto& child : peer.children) {
      bool trapped = false;
      for (const auto& name : children) trapped = trapped || name == child.name;
      if (!trapped) continue;
      if (std::find(trapped_children[peer.name].begin(), trapped_children[peer.name].end(),
                    child.name) != trapped_children[peer.name].end()) {
        continue;  // already trapped
      }
      trapped_children[peer.name].push_back(child.name);
      auto local = engine::ResolveDynamic(child.local_ts, peer.local.address);
      auto remote = engine::ResolveDynamic(child.remote_ts, peer.remote.address);
      for (const auto& l : local) {
        for (const auto& r : remote) {
          if (l.family() != r.family()) continue;
          for (const auto& sel : engine::ToXfrmSelectors(l, r)) {
            xfrm::PolicyParams p;
            p.selector = sel;
            p.direction = xfrm::Direction::kOut;
            p.action = xfrm::PolicyAction::kProtect;
            p.trap = true;
            p.templates.push_back(xfrm::PolicyTemplate{child.protocol, child.mode, peer.local.address,
                                                       peer.remote.address, child.reqid});
            p.mark = child.mark_out;
            p.if_id = child.if_id_out;
            auto r2 = backend.AddPolicy(p);
            if (!r2) {
              log.Log(Subsystem::kKernel, LogLevel::kError, LogContext{peer.name, 0, ""},
                      "trap policy for " + child.name + " failed: " + r2.error().ToString());
              continue;
            }
            installed.push_back(std::move(p));
          }
        }
      }
      log.Log(Subsystem::kIke, LogLevel::kInfo, LogContext{peer.name, 0, ""},
              "trap policies installed for " + child.name + " (reqid " + std::to_string(child.reqid) + ")");
    }
  }
  void RemoveTraps(const std::string& connection) {
    trapped_children.erase(connection);
    auto it = traps.find(connection);
    if (it == traps.end()) return;
    for (const auto& p : it->second) {
      (void)backend.DeletePolicy(xfrm::PolicyId{p.selector, p.direction, p.mark, p.if_id});
    }
    traps.erase(it);
  }
  // When a trapped child goes down, its SA policies went with it (they had
  // replaced the traps): the traps come back so the next packet re-acquires.
  void RestoreTraps(const std::string& connection) {
    auto it = traps.find(connection);
    if (it == traps.end() || shutting_down) return;
    for (const auto& p : it->second) {
      auto r = backend.AddPolicy(p);
      if (!r && r.error().code != xfrm::BackendError::Code::kExists) {
        log.Log(Subsystem::kKernel, LogLevel::kWarning, LogContext{connection, 0, ""},
                "restoring a trap policy: " + r.error().ToString());
      }
    }
  }

  void FinishShutdown() {
    if (!shutdown_done) return;
    auto flushed = backend.FlushOwned();
    if (!flushed) log.Log(Subsystem::kKernel, LogLevel::kWarning, "flushing our SAs/policies: " + flushed.error().ToString());
    CancelAllTimers();
    auto done = std::move(shutdown_done);
    shutdown_done = nullptr;
    done();
  }

  void DrainNatt() {
    uint64_t n;
    while (read(wake_fd, &n, sizeof(n)) > 0) {
    }
    std::deque<std::tuple<Bytes, Endpoint, Endpoint>> items;
    {
      std::lock_guard<std::mutex> lock(queue_mu);
      items.swap(natt_queue);
    }
    for (auto& [bytes, from, to] : items) sockets.InjectNatt(bytes, from, to);
  }
};

EngineHost::EngineHost(EventLoop& loop, Logger& log, IkeSockets& sockets, BackendChoice backend)
    : impl_(std::make_unique<Impl>(loop, log, sockets, std::move(backend))) {
  Impl& d = *impl_;
  d.radius.SetUsageProvider([this](uint64_t sa) { return impl_->AcctUsage(sa); });
  d.backend.SetEventHandler([this](const xfrm::BackendEvent& ev) {
    impl_->Handle(engine::KernelEvent{ev});
  });
  if (d.backend.fd() >= 0) {
    auto added = d.loop.AddFd(d.backend.fd(), EPOLLIN, [this](uint32_t) { impl_->backend.ProcessEvents(); });
    if (!added) d.log.Log(Subsystem::kKernel, LogLevel::kError, "kernel events unavailable: " + added.error());
  }
}

EngineHost::~EngineHost() {
  Impl& d = *impl_;
  // The backend outlives the engine inside Impl; nothing it reports from now
  // on (flush, data-plane thread) may reach the engine.
  d.backend.SetEventHandler([](const xfrm::BackendEvent&) {});
  if (auto* us = dynamic_cast<xfrm::UserspaceBackend*>(&d.backend)) us->SetIkeHandler(nullptr);
  if (d.backend.fd() >= 0) d.loop.RemoveFd(d.backend.fd());
  if (d.wake_fd >= 0) {
    d.loop.RemoveFd(d.wake_fd);
    close(d.wake_fd);
  }
  d.CancelAllTimers();
  (void)d.backend.FlushOwned();
}

Result<void, std::string> EngineHost::AttachSockets() {
  Impl& d = *impl_;
  d.StartAddressMonitor();
  if (auto* us = dynamic_cast<xfrm::UserspaceBackend*>(&d.backend)) {
    for (auto family : {AddressFamily::kIpv4, AddressFamily::kIpv6}) {
      d.sockets.SetExternalNattSocket(family, us->udp_socket(family));
    }
    d.wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (d.wake_fd < 0) return MakeUnexpected(std::string("eventfd failed"));
    IKE_TRY(d.loop.AddFd(d.wake_fd, EPOLLIN, [this](uint32_t) { impl_->DrainNatt(); }));
    us->SetIkeHandler([this](ByteView ike, const Endpoint& from, const Endpoint& to) {
      Impl& i = *impl_;
      {
        std::lock_guard<std::mutex> lock(i.queue_mu);
        if (i.natt_queue.size() < 4096) i.natt_queue.emplace_back(Bytes(ike.begin(), ike.end()), from, to);
      }
      uint64_t one = 1;
      (void)!write(i.wake_fd, &one, sizeof(one));
    });
    return {};
  }
  // Kernel data path: ESP-in-UDP decapsulated by the kernel on the NAT-T
  // sockets, and IKE kept out of our own policies.
  for (int fd : d.sockets.natt_fds()) {
    auto r = xfrm::netlink::EnableUdpEncap(fd);
    if (!r) return MakeUnexpected("UDP encapsulation on the NAT-T socket: " + r.error().ToString());
  }
  for (int fd : d.sockets.all_fds()) {
    sockaddr_storage ss{};
    socklen_t len = sizeof(ss);
    getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
    auto family = ss.ss_family == AF_INET6 ? AddressFamily::kIpv6 : AddressFamily::kIpv4;
    auto r = xfrm::netlink::SetSocketBypass(fd, family);
    if (!r) return MakeUnexpected("IKE socket bypass policy: " + r.error().ToString());
  }
  return {};
}

void EngineHost::SetRetransmit(std::chrono::milliseconds timeout, double base, unsigned tries) {
  impl_->retransmit.timeout = timeout;
  impl_->retransmit.base = base;
  impl_->retransmit.tries = tries;
}

void EngineHost::ApplyConfig(std::shared_ptr<const conf::Config> config) {
  Impl& d = *impl_;
  std::vector<std::string> skipped;
  auto mapped = MapConfig(*config, skipped);
  for (const auto& s : skipped) d.log.Log(Subsystem::kConfig, LogLevel::kWarning, "connection " + s);
  std::map<std::string, MappedConnection> next;
  for (auto& m : mapped) {
    for (const auto& n : m.notes) d.log.Log(Subsystem::kConfig, LogLevel::kInfo, m.peer.name + ": " + n);
    m.peer.retransmit = d.retransmit;
    for (auto& child : m.peer.children) {
      bool trapped = child.dpd_action == engine::DpdAction::kTrap ||
                     child.close_action == engine::DpdAction::kTrap;
      for (const auto& name : m.trap_children) trapped = trapped || name == child.name;
      if (trapped && child.reqid == 0) {
        // Keep the reqid a running connection already uses for its traps.
        auto old = d.connections.find(m.peer.name);
        if (old != d.connections.end()) {
          for (const auto& c : old->second.peer.children) {
            if (c.name == child.name) child.reqid = c.reqid;
          }
        }
        if (child.reqid == 0) child.reqid = d.next_trap_reqid++;
      }
    }
    std::string name = m.peer.name;
    next.emplace(name, std::move(m));
  }
  // Connections that went away or whose IKE settings changed: their SAs are
  // closed (renamed ones keep running under the configuration they have).
  std::set<std::string> gone;
  if (d.config) {
    for (const auto& change : conf::Diff(*d.config, *config)) {
      if (change.entity != conf::EntityKind::kConnection) continue;
      if (change.kind == conf::ChangeKind::kRemoved || change.kind == conf::ChangeKind::kChanged) {
        gone.insert(change.name);
      }
    }
  }
  d.ForEachSa([&](const auto& sa) {
    if (!gone.count(sa.config().name)) return;
    uint64_t id = sa.id();
    d.log.Log(Subsystem::kConfig, LogLevel::kInfo, d.Ctx(id), "configuration changed: closing the IKE_SA");
    d.loop.AddTimerIn(std::chrono::milliseconds(0), [this, id] {
      impl_->Handle(engine::Command{engine::TerminateIkeCommand{id}});
    });
  });
  std::vector<engine::PeerConfig> peers;
  for (auto& [name, m] : next) peers.push_back(m.peer.Clone());
  d.engine.SetConfigs(std::move(peers));
  d.engine.SetPools(MapPools(*config));
  if (auto radius = MapRadiusSettings(*config)) {
    d.radius.Configure(std::move(*radius));
  } else if (d.radius.configured()) {
    d.radius.Configure(RadiusSettings{});
  }
  std::vector<std::pair<std::string, std::string>> to_start;
  for (auto& [name, m] : next) {
    bool existed = d.connections.count(name) > 0;
    if (!existed) {
      for (const auto& child : m.start_children) to_start.push_back({name, child});
    }
  }
  // Trap policies follow the configuration: removed or changed connections
  // lose theirs, new or changed ones get them.
  for (const auto& [name, m] : d.connections) {
    if (!next.count(name) || gone.count(name)) d.RemoveTraps(name);
  }
  for (const auto& [name, m] : next) {
    if (!d.traps.count(name)) d.InstallTraps(m, m.trap_children);
  }
  d.connections = std::move(next);
  d.config = std::move(config);
  for (auto& [conn, child] : to_start) {
    d.log.Log(Subsystem::kIke, LogLevel::kInfo, LogContext{conn, 0, ""}, "start_action: initiating " + child);
    d.Handle(engine::Command{engine::InitiateCommand{conn, child}});
  }
}

void EngineHost::OnDatagram(ReceivedDatagram&& datagram) {
  impl_->Handle(engine::Datagram{datagram.remote, datagram.local, std::move(datagram.data)});
}

void EngineHost::OnEspInUdp(ByteView esp, const Endpoint& from, const Endpoint& to) {
  if (auto* us = dynamic_cast<xfrm::UserspaceBackend*>(&impl_->backend)) {
    (void)us->HandleUdp4500(esp, from, to);
  }
}

void EngineHost::Initiate(const std::string& ike, const std::string& child, std::chrono::milliseconds timeout,
                          Completion done) {
  Impl& d = *impl_;
  std::string conn = ike;
  if (conn.empty()) {
    for (const auto& [name, m] : d.connections) {
      for (const auto& c : m.peer.children) {
        if (c.name == child) conn = name;
      }
    }
  }
  auto it = d.connections.find(conn);
  if (conn.empty() || it == d.connections.end()) {
    return done(MakeUnexpected(control::Error{control::ErrorCode::kNotFound,
                                              "no connection " + (ike.empty() ? "with a child '" + child + "'" : "'" + ike + "'")}));
  }
  if (!child.empty()) {
    bool found = false;
    for (const auto& c : it->second.peer.children) found = found || c.name == child;
    if (!found) {
      return done(MakeUnexpected(control::Error{control::ErrorCode::kNotFound,
                                                "connection '" + conn + "' has no child '" + child + "'"}));
    }
  }
  if (it->second.peer.remote.address.IsUnspecified()) {
    return done(MakeUnexpected(control::Error{control::ErrorCode::kFailed,
                                              "connection '" + conn + "' has no single remote address to initiate to"}));
  }
  Waiter* w = d.AddWaiter(Waiter::Kind::kInitiate, timeout, std::move(done));
  w->connection = conn;
  w->child = child;
  d.log.Log(Subsystem::kIke, LogLevel::kInfo, LogContext{conn, 0, it->second.peer.remote.ToString()},
            "initiating " + (child.empty() ? std::string("IKE_SA") : "CHILD_SA " + child));
  d.Handle(engine::Command{engine::InitiateCommand{conn, child}});
}

void EngineHost::Terminate(const nlohmann::json& sel, std::chrono::milliseconds timeout, Completion done) {
  Impl& d = *impl_;
  SaSelector selector(sel);
  std::vector<engine::Command> commands;
  std::set<uint64_t> sas;
  std::set<uint32_t> spis;
  bool child_level = selector.child_level();
  d.ForEachSa([&](const auto& sa) {
    if (!selector.Matches(sa)) return;
    if (!child_level) {
      commands.push_back(engine::TerminateIkeCommand{sa.id()});
      sas.insert(sa.id());
      return;
    }
    for (const auto& c : sa.children()) {
      if (selector.Matches(c)) {
        commands.push_back(engine::TerminateChildCommand{sa.id(), c.spi_in});
        // A CHILD_SA already replaced by a rekey goes without a "child
        // down" event (IKEv1 peers such as strongSwan keep the old SA until
        // it expires): it is deleted, but not waited for.
        if (c.state != engine::ChildState::kRekeyed) spis.insert(c.spi_in);
        sas.insert(sa.id());
      }
    }
  });
  if (commands.empty()) {
    return done(MakeUnexpected(control::Error{control::ErrorCode::kNotFound, "no matching SA to terminate"}));
  }
  Waiter* w = d.AddWaiter(child_level ? Waiter::Kind::kTerminateChild : Waiter::Kind::kTerminateIke, timeout,
                          std::move(done));
  w->sas = sas;
  w->child_spis = spis;
  for (auto& c : commands) d.Handle(c);
  if (child_level && spis.empty()) {
    for (const auto& wp : d.waiters) {
      if (wp.get() == w) return d.Complete(w, nlohmann::json{{"message", "terminated"}});
    }
  }
}

void EngineHost::Rekey(const nlohmann::json& sel, Completion done) {
  Impl& d = *impl_;
  SaSelector selector(sel);
  std::vector<engine::Command> commands;
  d.ForEachSa([&](const auto& sa) {
    if (!sa.established() || !selector.Matches(sa)) return;
    if (!selector.child_level()) {
      commands.push_back(engine::RekeyIkeCommand{sa.id()});
      return;
    }
    for (const auto& c : sa.children()) {
      if (c.state != engine::ChildState::kInstalled) continue;
      if (selector.Matches(c)) {
        commands.push_back(engine::RekeyChildCommand{sa.id(), c.spi_in});
      }
    }
  });
  if (commands.empty()) {
    return done(MakeUnexpected(control::Error{control::ErrorCode::kNotFound, "no matching established SA to rekey"}));
  }
  for (auto& c : commands) d.Handle(c);
  done(nlohmann::json{{"message", "rekeying " + std::to_string(commands.size()) + " SA(s)"}});
}

// The CHILD_SAs of an IKEv2 or IKEv1 SA, for list-sas.
template <typename Sa>
nlohmann::json EngineHost::ChildrenJson(const Sa& sa) const {
  const Impl& d = *impl_;
  auto now = d.Now();
  nlohmann::json children = nlohmann::json::array();
  for (const auto& c : sa.children()) {
    nlohmann::json local_ts = nlohmann::json::array(), remote_ts = nlohmann::json::array();
    for (const auto& t : c.ts_local) local_ts.push_back(t.ToString());
    for (const auto& t : c.ts_remote) remote_ts.push_back(t.ToString());
    nlohmann::json child = {{"name", c.name},
                            {"unique_id", c.spi_in},
                            {"state", ChildStateName(c.state)},
                            {"mode", c.mode == xfrm::Mode::kTunnel ? "TUNNEL" : "TRANSPORT"},
                            {"protocol", c.protocol == ProtocolId::kAh ? "AH" : "ESP"},
                            {"encap", c.encap},
                            {"reqid", c.reqid},
                            {"spi_in", Hex32(c.spi_in)},
                            {"spi_out", Hex32(c.spi_out)},
                            {"proposal", c.proposal.ToString()},
                            {"installed_s", std::chrono::duration_cast<std::chrono::seconds>(now - c.established_at).count()},
                            {"rekey_in_s", d.SecondsUntil(engine::TimerId{sa.id(), engine::TimerKind::kChildRekey, c.spi_in})},
                            {"local_ts", local_ts},
                            {"remote_ts", remote_ts}};
    xfrm::SaId in{sa.local().address, c.spi_in, c.protocol, c.config->mark_in};
    xfrm::SaId out{sa.remote().address, c.spi_out, c.protocol, c.config->mark_out};
    auto& backend = const_cast<xfrm::Backend&>(d.backend);
    if (auto u = backend.QuerySa(in)) {
      child["bytes_in"] = u->bytes;
      child["packets_in"] = u->packets;
    }
    if (auto u = backend.QuerySa(out)) {
      child["bytes_out"] = u->bytes;
      child["packets_out"] = u->packets;
    }
    children.push_back(std::move(child));
  }
  return children;
}

nlohmann::json EngineHost::ListSas(const std::string& ike_filter) const {
  const Impl& d = *impl_;
  nlohmann::json list = nlohmann::json::array();
  auto now = d.Now();
  for (const auto* sa : d.engine.sas()) {
    if (!ike_filter.empty() && sa->config().name != ike_filter) continue;
    nlohmann::json children = ChildrenJson(*sa);
    const auto& proposal = sa->ike_proposal();
    list.push_back({{"name", sa->config().name},
                    {"unique_id", sa->id()},
                    {"state", engine::IkeStateName(sa->state())},
                    {"version", 2},
                    {"initiator", sa->role() == Role::kInitiator},
                    {"spi_i", Hex64(sa->spi_i())},
                    {"spi_r", Hex64(sa->spi_r())},
                    {"nat_detected", sa->nat_detected()},
                    {"mobike", sa->mobike()},
                    {"local", {{"host", sa->local().address.ToString()}, {"port", sa->local().port},
                               {"id", sa->config().local_auth.id.ToString()}}},
                    {"remote", {{"host", sa->remote().address.ToString()}, {"port", sa->remote().port},
                                {"id", sa->peer_id() ? sa->peer_id()->ToString() : std::string("%any")}}},
                    {"proposal", proposal ? proposal->ToString() : std::string("-")},
                    {"rekey_in_s", d.SecondsUntil(engine::TimerId{sa->id(), engine::TimerKind::kIkeRekey, 0})},
                    {"children", children}});
    nlohmann::json local_vips = nlohmann::json::array(), remote_vips = nlohmann::json::array();
    for (const auto& a : sa->own_vips()) local_vips.push_back(a.ToString());
    for (const auto& [pool, a] : sa->peer_vips()) remote_vips.push_back(a.ToString());
    list.back()["local_vips"] = local_vips;
    list.back()["remote_vips"] = remote_vips;
    if (sa->established()) {
      list.back()["established_s"] = std::chrono::duration_cast<std::chrono::seconds>(now - sa->established_at()).count();
    }
  }
  // IKEv1: the ISAKMP SA (its cookies as SPIs) with its Quick Mode SAs.
  for (const auto* sa : d.engine.v1_sas()) {
    if (!ike_filter.empty() && sa->config().name != ike_filter) continue;
    const auto& algorithms = sa->algorithms();
    nlohmann::json entry = {
        {"name", sa->config().name},
        {"unique_id", sa->id()},
        {"state", engine::IkeStateName(sa->state())},
        {"version", 1},
        {"initiator", sa->role() == Role::kInitiator},
        {"spi_i", Hex64(sa->cookie_i())},
        {"spi_r", Hex64(sa->cookie_r())},
        {"nat_detected", sa->nat_detected()},
        {"mobike", false},
        {"aggressive", sa->aggressive()},
        {"local", {{"host", sa->local().address.ToString()}, {"port", sa->local().port},
                   {"id", sa->config().local_auth.id.ToString()}}},
        {"remote", {{"host", sa->remote().address.ToString()}, {"port", sa->remote().port},
                    {"id", sa->peer_id() ? sa->peer_id()->ToString() : std::string("%any")}}},
        {"proposal", algorithms ? algorithms->ToString() : std::string("-")},
        // IKEv1 has no IKE rekey: the ISAKMP SA is reauthenticated.
        {"rekey_in_s", d.SecondsUntil(engine::TimerId{sa->id(), engine::TimerKind::kIkeReauth, 0})},
        {"children", ChildrenJson(*sa)}};
    // Mode Config: our address (client), the leases we handed out (gateway).
    nlohmann::json local_vips = nlohmann::json::array(), remote_vips = nlohmann::json::array();
    for (const auto& a : sa->own_vips()) local_vips.push_back(a.ToString());
    for (const auto& [pool, a] : sa->peer_vips()) remote_vips.push_back(a.ToString());
    entry["local_vips"] = local_vips;
    entry["remote_vips"] = remote_vips;
    // Client: the split networks the gateway sent (INTERNAL_IP4/6_SUBNET).
    nlohmann::json split = nlohmann::json::array();
    for (const auto& [net, prefix] : sa->split_networks()) {
      split.push_back(net.ToString() + "/" + std::to_string(prefix));
    }
    entry["split_networks"] = split;
    if (sa->established()) {
      entry["established_s"] = std::chrono::duration_cast<std::chrono::seconds>(now - sa->established_at()).count();
    }
    list.push_back(std::move(entry));
  }
  return {{"ike_sas", list}};
}

nlohmann::json EngineHost::ListPools() const {
  nlohmann::json pools = nlohmann::json::array();
  for (const auto& p : impl_->engine.pools().Status()) {
    nlohmann::json leases = nlohmann::json::array();
    for (const auto& l : p.leases) {
      leases.push_back({{"address", l.address.ToString()}, {"identity", l.identity},
                        {"status", l.refs > 0 ? "online" : "offline"}});
    }
    pools.push_back({{"name", p.name}, {"base", p.range}, {"size", p.size}, {"online", p.online},
                     {"offline", p.offline}, {"leases", leases}});
  }
  return {{"pools", pools}};
}

nlohmann::json EngineHost::Stats(bool traffic_detail) const {
  const Impl& d = *impl_;
  nlohmann::json counters = nlohmann::json::object();
  for (size_t i = 0; i < static_cast<size_t>(engine::Drop::kCount); ++i) {
    auto drop = static_cast<engine::Drop>(i);
    counters[std::string("ike_dropped_") + engine::DropName(drop)] = d.engine.counters().Get(drop);
  }
  counters["kernel_install_failures"] = d.install_failures;
  if (d.radius.configured()) {
    const auto& r = d.radius.stats();
    counters["radius_access_requests"] = r.access_requests;
    counters["radius_retransmits"] = r.retransmits;
    counters["radius_accepts"] = r.accepts;
    counters["radius_rejects"] = r.rejects;
    counters["radius_challenges"] = r.challenges;
    counters["radius_unavailable"] = r.unavailable;
    counters["radius_dropped_bad_authenticator"] = r.bad_authenticator;
    counters["radius_dropped_malformed"] = r.malformed;
    counters["radius_dropped_unexpected"] = r.unexpected;
    counters["radius_acct_requests"] = r.acct_requests;
    counters["radius_acct_responses"] = r.acct_responses;
    counters["radius_acct_timeouts"] = r.acct_timeouts;
  }
  counters["natt_keepalives_sent"] = d.keepalives_sent;
  if (auto* us = dynamic_cast<const xfrm::UserspaceBackend*>(&d.backend)) {
    auto s = us->stats();
    counters["esp_packets_out"] = s.out_packets;
    counters["esp_packets_in"] = s.in_packets;
    counters["esp_send_errors"] = s.send_errors;
    counters["natt_keepalives"] = s.keepalives;
  }
  nlohmann::json s = {{"ike_sas", d.SaCount()},
                       {"half_open", d.engine.half_open()},
                       {"child_sas", d.engine.child_sa_count()},
                       {"counters", counters}};
  // The summary above costs the same with 10 SAs or 100,000 (it is served on
  // the IKE event loop); the per-CHILD_SA traffic, one backend query per SA
  // and direction, only when asked for (`ipsecctl stats --traffic`).
  if (traffic_detail) {
    nlohmann::json traffic = nlohmann::json::array();
    auto& backend = const_cast<xfrm::Backend&>(d.backend);
    d.ForEachSa([&](const auto& sa) {
      for (const auto& c : sa.children()) {
        nlohmann::json t = {{"name", c.name}, {"unique_id", c.spi_in}, {"bytes_in", 0}, {"packets_in", 0},
                            {"bytes_out", 0}, {"packets_out", 0}};
        if (auto u = backend.QuerySa(xfrm::SaId{sa.local().address, c.spi_in, c.protocol, c.config->mark_in})) {
          t["bytes_in"] = u->bytes;
          t["packets_in"] = u->packets;
        }
        if (auto u = backend.QuerySa(xfrm::SaId{sa.remote().address, c.spi_out, c.protocol, c.config->mark_out})) {
          t["bytes_out"] = u->bytes;
          t["packets_out"] = u->packets;
        }
        traffic.push_back(std::move(t));
      }
    });
    s["child_sa_traffic"] = std::move(traffic);
  }
  return s;
}

nlohmann::json EngineHost::DataPathAlgorithms() const {
  nlohmann::json out = nlohmann::json::array();
  if (impl_->choice.userspace) {
    for (const char* name : {"AES-GCM-8/12/16 (128/192/256)", "ChaCha20-Poly1305", "AES-CBC + HMAC-SHA1-96",
                             "AES-CBC + HMAC-SHA2-256-128/384-192/512-256"}) {
      out.push_back({{"name", name}, {"kernel_name", "-"}, {"driver", "userspace (OpenSSL EVP)"},
                     {"priority", "-"}, {"available", true}});
    }
    return out;
  }
  for (const auto& a : xfrm::netlink::ListKernelAlgorithms()) {
    out.push_back({{"name", a.ike_name}, {"kernel_name", a.kernel_name},
                   {"driver", a.present ? a.driver : (a.note.empty() ? "-" : a.note)},
                   {"priority", a.priority}, {"available", a.present}});
  }
  return out;
}

std::string EngineHost::backend_name() const { return impl_->backend.name(); }
size_t EngineHost::ike_sa_count() const { return impl_->SaCount(); }

void EngineHost::StartKeepalives(std::chrono::seconds interval) {
  Impl& d = *impl_;
  if (interval.count() <= 0) return;
  d.loop.AddTimerIn(interval, [this, interval] {
    Impl& i = *impl_;
    if (i.shutting_down) return;
    i.ForEachSa([&](const auto& sa) {
      if (!sa.established() || !sa.nat_detected()) return;
      if (sa.local().port != i.sockets.options().natt_port) return;
      if (i.sockets.SendKeepalive(sa.local(), sa.remote())) ++i.keepalives_sent;
    });
    StartKeepalives(interval);
  });
}

void EngineHost::Shutdown(std::function<void()> done) {
  Impl& d = *impl_;
  d.shutting_down = true;
  d.shutdown_done = std::move(done);
  std::vector<uint64_t> ids;
  d.ForEachSa([&](const auto& sa) { ids.push_back(sa.id()); });
  if (ids.empty()) {
    d.FinishShutdown();
    return;
  }
  for (uint64_t id : ids) d.Handle(engine::Command{engine::TerminateIkeCommand{id}});
  // Peers that do not answer the Delete are not waited for long.
  d.loop.AddTimerIn(std::chrono::seconds(3), [this] {
    Impl& i = *impl_;
    if (!i.shutdown_done) return;
    engine::Effects out;
    i.log.Log(Subsystem::kDaemon, LogLevel::kInfo, "not all peers answered the Delete; removing the SAs anyway");
    i.FinishShutdown();
  });
}

}  // namespace ike::charon
