// Engine: all IKE_SAs of one daemon, keyed by our IKE SPI, behind the single
// sans-IO entry point Handle(Input, now) -> Effects (DESIGN.md principle 1).
//
// It demultiplexes datagrams (non-ESP marker, header peek, SPI lookup),
// creates responder IKE_SAs for IKE_SA_INIT requests (with the half-open
// limit and stateless COOKIE challenge of RFC 7296 2.6), routes timers,
// commands and kernel events, and counts every drop.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "libike/engine/sa/config.h"
#include "libike/engine/sa/counters.h"
#include "libike/engine/sa/effects.h"
#include "libike/engine/sa/env.h"
#include "libike/engine/sa/ike_sa.h"
#include "libike/engine/v1/isakmp_sa.h"

namespace ike::engine {

class Engine {
 public:
  explicit Engine(Env env, EngineSettings settings = {});

  // Connections this engine initiates or accepts.
  void AddConfig(PeerConfig config);
  // Replaces every connection (a configuration reload). Existing IKE_SAs
  // keep the configuration they were created with.
  void SetConfigs(std::vector<PeerConfig> configs);
  // Virtual IP pools (leases survive for pools whose name and range stay).
  void SetPools(std::vector<PoolSpec> pools) { pools_.Configure(std::move(pools)); }
  const AddressPools& pools() const { return pools_; }
  const PeerConfig* FindConfig(const std::string& name) const;

  Effects Handle(const Input& input, TimePoint now);

  // Introspection (tests, the control socket).
  const Counters& counters() const { return counters_; }
  std::vector<const IkeSa*> sas() const;
  const IkeSa* FindSa(uint64_t id) const;
  // IKEv2 and IKEv1 SAs held, without building a list (O(1)).
  size_t sa_count() const { return by_spi_.size() + v1_sas_.size(); }
  // Their CHILD_SAs (a walk over the SAs, no list built or sorted).
  size_t child_sa_count() const;
  // The first established IKE_SA of a connection, if any.
  const IkeSa* FindEstablished(const std::string& connection) const;
  // An IKE_SA we initiate for `connection` is being set up.
  bool Connecting(const std::string& connection) const;
  size_t half_open() const;

  // IKEv1 (ISAKMP) SAs, by engine-unique id (the same id space as sas()).
  std::vector<const v1::IsakmpSa*> v1_sas() const;
  const v1::IsakmpSa* FindV1Sa(uint64_t id) const;
  // The first established ISAKMP SA of a connection, if any.
  const v1::IsakmpSa* FindEstablishedV1(const std::string& connection) const;

 private:
  void OnDatagram(const Datagram& dg, TimePoint now, Effects& out);
  void OnCommand(const Command& cmd, TimePoint now, Effects& out);
  void OnKernel(const KernelEvent& ev, TimePoint now, Effects& out);
  IkeSa& Initiate(const PeerConfig& config, const std::vector<std::string>& children,
                  TimePoint now, Effects& out);
  void NewResponder(const wire::Message& msg, ByteView raw, const Datagram& dg, TimePoint now,
                    Effects& out);
  bool CheckCookie(const wire::Message& msg, const Datagram& dg, Effects& out);
  Bytes Cookie(ByteView nonce, const IpAddress& peer, uint64_t spi_i) const;
  const PeerConfig* MatchResponderConfig(const Endpoint& local, const Endpoint& remote) const;
  // The shared snapshot of a configuration of ours (a copy otherwise).
  std::shared_ptr<const PeerConfig> SharedConfig(const PeerConfig& config) const;
  IkeSa* FindById(uint64_t id);
  uint64_t NewSpi();
  // Every call into an IkeSa goes through Touch: an SA changes state only
  // when the engine hands it an input, so the bookkeeping after an input
  // (AdoptRekeys, Housekeeping, Reap) looks only at the SAs touched since
  // it last ran, not at every IKE_SA (that made each handshake O(N)).
  IkeSa* Touch(IkeSa* sa);
  IkeSa& Touch(IkeSa& sa) { return *Touch(&sa); }
  // The still-existing SAs of `pending` (cleared), in SPI order, once each.
  std::vector<IkeSa*> TakePending(std::vector<uint64_t>& pending);
  void Reap(TimePoint now, Effects& out);
  void AdoptRekeys(TimePoint now, Effects& out);
  void Housekeeping(TimePoint now, Effects& out);
  // Established SAs by (connection, peer identity), for `unique` and
  // INITIAL_CONTACT. Entries are checked against the SA on lookup.
  static std::string PeerKey(const IkeSa& sa);
  void IndexPeer(IkeSa& sa);
  void UnindexPeer(uint64_t id);
  std::vector<IkeSa*> SamePeer(const IkeSa& sa);
  // Policies are shared by CHILD_SAs of the same reqid (rekey, reauth,
  // restart): only the first install and the last delete reach the backend.
  void FilterPolicies(Effects& out);
  // IKEv1 (engine_v1.cc).
  void OnV1Datagram(const Datagram& dg, ByteView raw, TimePoint now, Effects& out);
  v1::IsakmpSa& InitiateV1(const PeerConfig& config, const std::vector<std::string>& children,
                           TimePoint now, Effects& out);
  v1::IsakmpSa* FindV1ById(uint64_t id);
  v1::IsakmpSa* TouchV1(v1::IsakmpSa* sa);
  bool OnV1Command(const Command& cmd, TimePoint now, Effects& out);
  bool OnV1Kernel(const KernelEvent& ev, TimePoint now, Effects& out);
  void V1Housekeeping(TimePoint now, Effects& out);
  bool CookieInUse(uint64_t cookie) const;

  Env env_;
  EngineSettings settings_;
  Counters counters_;
  uint32_t next_reqid_ = 1;
  uint64_t next_id_ = 1;
  Bytes cookie_secret_;
  // Shared with the IKE_SAs made from them (one copy per connection, not
  // per SA); a reload replaces the pointers, SAs keep their snapshot.
  std::vector<std::shared_ptr<const PeerConfig>> configs_;
  // Name -> position in configs_ (the first of a name), so that initiating
  // does not scan every connection (a load generator has one per SA).
  std::unordered_map<std::string, size_t> config_index_;
  void IndexConfigs();
  std::map<uint64_t, std::unique_ptr<IkeSa>> by_spi_;  // our SPI -> SA
  std::map<uint64_t, uint64_t> id_to_spi_;
  // Responder: (initiator SPI, peer) -> our SPI, to spot retransmitted
  // IKE_SA_INIT requests (whose responder SPI is still zero).
  std::map<std::pair<uint64_t, std::string>, uint64_t> half_open_index_;
  std::map<std::string, uint32_t> reqids_;
  // SA ids touched since each phase last ran (see Touch).
  std::vector<uint64_t> pending_adopt_, pending_house_, pending_reap_;
  // Responder SAs neither established nor destroyed (half_open()).
  std::unordered_set<uint64_t> half_open_ids_;
  std::unordered_map<std::string, std::vector<uint64_t>> by_peer_;
  // An SA's key in by_peer_: the map's own key string (an unordered_map
  // keeps its elements in place), not a second copy per SA.
  std::unordered_map<uint64_t, const std::string*> peer_key_of_;
  // Established SAs by connection name (kept with by_peer_), so that
  // FindEstablished does not list and sort every SA per initiate.
  std::unordered_map<std::string, std::set<uint64_t>> by_connection_;
  AddressPools pools_;
  struct PolicyKey {
    xfrm::Selector selector;
    xfrm::Direction direction;
    xfrm::Mark mark;
    uint32_t if_id;
    bool operator<(const PolicyKey& o) const;
  };
  std::map<PolicyKey, unsigned> policy_refs_;
  // IKEv1: SAs by id, our cookie -> id, responders not yet answered by
  // (initiator cookie, peer), half-open responders, SAs touched.
  std::map<uint64_t, std::unique_ptr<v1::IsakmpSa>> v1_sas_;
  std::map<uint64_t, uint64_t> v1_by_cookie_;
  std::map<std::pair<uint64_t, std::string>, uint64_t> v1_half_open_index_;
  std::unordered_set<uint64_t> v1_half_open_ids_;
  std::vector<uint64_t> v1_touched_;
};

}  // namespace ike::engine
