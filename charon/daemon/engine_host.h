// EngineHost: runs the sans-IO IKE engine inside the daemon. It feeds the
// engine datagrams, timer expiries, kernel events and commands, and executes
// the effects it returns: datagrams go to the IKE sockets, timers to the
// event loop, SAs and policies to the data-plane Backend (rolled back when an
// install fails part-way), events to the log and to waiting control clients.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "charon/daemon/event_loop.h"
#include "charon/daemon/ike_socket.h"
#include "charon/daemon/log.h"
#include "cli/control/protocol.h"
#include "conf/config.h"
#include "xfrm/backend/backend.h"

namespace ike::charon {

struct BackendOptions {
  std::string kind = "auto";  // netlink | userspace | auto
  std::string tun_name = "ipsec0";
  uint16_t natt_port = 4500;
};

struct BackendChoice {
  std::unique_ptr<xfrm::Backend> backend;
  bool userspace = false;  // the data path owns the NAT-T port
  std::string reason;      // why this backend (logged at start-up)
  // Starts the data path's threads (userspace); empty when it has none.
  // The daemon calls it after dropping capabilities, which are per thread.
  std::function<void()> start_threads;
};

// Creates the backend named in `options`. For auto, probes the kernel for ESP
// and picks the userspace path when it has none, saying why.
Result<BackendChoice, std::string> CreateBackend(const BackendOptions& options);

class EngineHost {
 public:
  using Completion = std::function<void(Result<nlohmann::json, control::Error>)>;

  EngineHost(EventLoop& loop, Logger& log, IkeSockets& sockets, BackendChoice backend);
  ~EngineHost();

  // Called once the IKE sockets are open (kernel backends enable
  // UDP_ENCAP_ESPINUDP and per-socket bypass policies on them).
  Result<void, std::string> AttachSockets();

  // strongSwan's charon.retransmit_timeout/_base/_tries, applied to every
  // connection from the next ApplyConfig on.
  void SetRetransmit(std::chrono::milliseconds timeout, double base, unsigned tries);

  // Replaces the connection set: unchanged connections keep their SAs;
  // removed ones are terminated; start_action start/trap are honoured.
  void ApplyConfig(std::shared_ptr<const conf::Config> config);

  void OnDatagram(ReceivedDatagram&& datagram);
  void OnEspInUdp(ByteView esp, const Endpoint& from, const Endpoint& to);

  // Control commands; completion runs when the exchange finishes (or times out).
  void Initiate(const std::string& ike, const std::string& child, std::chrono::milliseconds timeout,
                Completion done);
  void Terminate(const nlohmann::json& selector, std::chrono::milliseconds timeout, Completion done);
  void Rekey(const nlohmann::json& selector, Completion done);

  nlohmann::json ListSas(const std::string& ike_filter) const;
  // traffic_detail: also the per-CHILD_SA byte/packet counters.
  nlohmann::json Stats(bool traffic_detail = false) const;
  // Virtual IP pools with their leases (list-pools).
  nlohmann::json ListPools() const;
  nlohmann::json DataPathAlgorithms() const;
  std::string backend_name() const;
  size_t ike_sa_count() const;

  // NAT-keepalives (RFC 3948 2.3): every `interval`, one 0xff byte from the
  // NAT-T port to each peer of an IKE_SA that detected a NAT.
  void StartKeepalives(std::chrono::seconds interval);

  // Deletes every SA (notifying peers), then calls `done`; everything this
  // daemon installed is removed from the backend.
  void Shutdown(std::function<void()> done);

 private:
  struct Impl;
  template <typename Sa>  // engine::IkeSa or engine::v1::IsakmpSa
  nlohmann::json ChildrenJson(const Sa& sa) const;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ike::charon
