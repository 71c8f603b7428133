// IkeSa: one IKE_SA as a sans-IO state machine. The Engine routes inputs to
// it; it runs its TaskManager and emits effects into the caller's list.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "libike/engine/sa/sa_context.h"
#include "libike/engine/sa/task_manager.h"
#include "libike/wire/message.h"

namespace ike::engine {

class IkeSaPeer;

class IkeSa final : private TaskManager::Owner {
 public:
  IkeSa(uint64_t id, Role role, std::shared_ptr<const PeerConfig> config, Env env, const EngineSettings& settings,
        Counters& counters, uint32_t& next_reqid);

  uint64_t id() const { return ctx_.id; }
  Role role() const { return ctx_.role; }
  IkeState state() const { return ctx_.state; }
  bool established() const { return ctx_.established(); }
  TimePoint established_at() const { return ctx_.established_at; }
  bool destroyed() const { return ctx_.state == IkeState::kDestroyed; }
  // Replaced by a rekeyed IKE_SA and waiting for its Delete.
  bool rekeyed_away() const { return ctx_.rekeyed_away; }
  const std::string& down_reason() const { return ctx_.down_reason; }
  const PeerConfig& config() const { return *ctx_.config; }
  const std::shared_ptr<const PeerConfig>& shared_config() const { return ctx_.config; }
  uint64_t spi_i() const { return ctx_.spi_i; }
  uint64_t spi_r() const { return ctx_.spi_r; }
  uint64_t local_spi() const { return ctx_.local_spi(); }
  const Endpoint& local() const { return ctx_.local; }
  const Endpoint& remote() const { return ctx_.remote; }
  bool nat_detected() const { return ctx_.nat_detected(); }
  // MOBIKE (RFC 4555) was negotiated.
  bool mobike() const { return ctx_.mobike; }
  const std::vector<ChildSa>& children() const { return ctx_.children; }
  const std::optional<Proposal>& ike_proposal() const { return ctx_.ike_proposal; }
  const std::optional<Identity>& peer_id() const { return ctx_.peer_id; }
  const TaskManager& tasks() const { return tm_; }
  // True when the SA died of an unreachable peer and the config asks to
  // restart (DPD action restart).
  bool wants_restart() const { return wants_restart_; }

  // Initiator: sets the endpoints and SPI and starts IKE_SA_INIT with the
  // given children (empty: all configured children).
  void Initiate(const Endpoint& local, const Endpoint& remote, uint64_t spi_i,
                const std::vector<std::string>& children, TimePoint now, Effects& out);
  // An established SA: CREATE_CHILD_SA for the named children (all
  // configured ones if empty); `only_missing` skips children already up.
  void InitiateChildren(const std::vector<std::string>& children, bool only_missing,
                        TimePoint now, Effects& out);
  // Responder: first contact (the engine already assigned spi_r).
  void Accept(const Endpoint& local, const Endpoint& remote, uint64_t spi_i, uint64_t spi_r);

  // A datagram for this SA, decoded but not yet decrypted; `raw` excludes
  // the non-ESP marker.
  void OnDatagram(const wire::Message& outer, ByteView raw, const Endpoint& from,
                  const Endpoint& to, TimePoint now, Effects& out);
  void OnTimer(const TimerId& id, TimePoint now, Effects& out);
  void OnCommand(const Command& cmd, TimePoint now, Effects& out);
  // The AAA backend answered the EapBackendRequest of this SA.
  void OnEapBackendReply(const EapBackendReply& reply, TimePoint now, Effects& out);
  // A soft (rekey) or hard (delete) expire of one of our CHILD_SAs.
  void OnChildExpire(uint32_t spi_in, bool hard, TimePoint now, Effects& out);
  void SetReqidRegistry(std::map<std::string, uint32_t>* r) { ctx_.reqid_by_child = r; }
  void SetAddressPools(AddressPools* pools) { ctx_.pools = pools; }
  const std::vector<IpAddress>& own_vips() const { return ctx_.own_vips; }
  const std::optional<IpAddress>& received_netmask() const { return ctx_.received_netmask; }
  const std::vector<std::pair<std::string, IpAddress>>& peer_vips() const { return ctx_.peer_vips; }
  // Responder: the configurations IKE_AUTH may switch to once IDi is known.
  void SetConfigCandidates(const std::vector<std::shared_ptr<const PeerConfig>>* c) {
    ctx_.config_candidates = c;
  }
  // Reauthentication (make-before-break): this SA replaces `id` once up.
  uint64_t reauth_of() const { return reauth_of_; }
  void set_reauth_of(uint64_t id) {
    reauth_of_ = id;
    // The old IKE_SA must survive until we delete it ourselves.
    if (id) ctx_.suppress_initial_contact = true;
  }
  bool wants_reauth() const { return wants_reauth_; }
  void clear_wants_reauth() { wants_reauth_ = false; }
  bool initial_contact() const { return ctx_.initial_contact; }
  // Whether the `unique` policy has looked at this SA (once, when it is up).
  bool unique_checked() const { return unique_checked_; }
  // Responder: the key of this SA in the Engine's half-open index (the
  // first datagram's source), empty once it is out of it.
  const std::string& half_open_key() const { return half_open_key_; }
  void set_half_open_key(std::string key) { half_open_key_ = std::move(key); }
  void set_unique_checked() { unique_checked_ = true; }
  void clear_initial_contact() { ctx_.initial_contact = false; }
  // IKE_SA rekey: the finished rekey of this SA, if any (once). After a
  // collision (RFC 7296 2.8.2) `redundant` holds the losing new SA.
  struct RekeyOutcome {
    IkeRekeyResult adopt;
    std::optional<IkeRekeyResult> redundant;
  };
  std::optional<RekeyOutcome> TakeRekey();
  // Makes this (fresh) SA the redundant new IKE_SA of a rekey collision: it
  // carries no CHILD_SA and deletes itself if we created it, or waits for
  // the peer's Delete otherwise.
  void AdoptRedundant(IkeSa& old, IkeRekeyResult result, TimePoint now, Effects& out);
  // Makes this (fresh) SA the successor of `old`: keys from `result`, the
  // CHILD_SAs, endpoints and peer state from `old`. `old` then deletes
  // itself if it initiated the rekey.
  void AdoptFrom(IkeSa& old, IkeRekeyResult result, TimePoint now, Effects& out);
  // Tear down immediately (no Delete sent), e.g. engine shutdown.
  void Abort(const std::string& reason, TimePoint now, Effects& out);

 private:
  // AdoptFrom/AdoptRedundant: keys and SPIs from `result`, endpoints and
  // peer state from `old`.
  void TakeOver(const IkeSa& old, IkeRekeyResult& result, TimePoint now);
  friend class IkeSaPeer;

  struct Scope;  // binds ctx_.out/now for the duration of one input
  std::vector<std::unique_ptr<Task>> ResponderTasks(const wire::Message& request) override;
  void Destroy(const std::string& reason) override;
  void AfterInput(bool was_established);
  void OnEstablished();
  void HandleFragment(const wire::SkfPayload& frag, Bytes plain, const wire::Message& outer,
                      ByteView raw);
  void QueueChildRekey(uint32_t spi_in);

  SaContext ctx_;
  TaskManager tm_;
  bool wants_restart_ = false;
  bool unique_checked_ = false;
  std::string half_open_key_;
  bool wants_reauth_ = false;
  uint64_t reauth_of_ = 0;
  // RFC 7383 reassembly of one message at a time.
  struct Reassembly {
    uint32_t mid = 0;
    bool response = false;
    uint16_t total = 0;
    wire::PayloadType first = wire::PayloadType::kNone;
    std::vector<Bytes> parts;  // index = fragment number - 1
    std::vector<bool> got;
    size_t have = 0;
  };
  std::unique_ptr<Reassembly> reassembly_;  // only while fragments arrive
};

}  // namespace ike::engine
