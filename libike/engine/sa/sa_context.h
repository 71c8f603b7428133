// SaContext: the state of one IKE_SA that its tasks share (keys, nonces,
// endpoints, CHILD_SAs), plus the sink its effects go to while an input is
// being handled. Tasks read and write it; the TaskManager and IkeSa own it.
#pragma once

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "libike/common/boxed.h"
#include "libike/common/bytes.h"
#include "libike/common/ip_address.h"
#include "libike/common/secret_bytes.h"
#include "libike/crypto/key_exchange.h"
#include "libike/crypto/prf.h"
#include "libike/crypto/sk_cipher.h"
#include "libike/eap/eap_method.h"
#include "libike/wire/message.h"
#include "libike/engine/sa/config.h"
#include "libike/engine/sa/counters.h"
#include "libike/engine/sa/effects.h"
#include "libike/engine/sa/env.h"
#include "libike/engine/sa/pools.h"
#include "libike/engine/sa/proposal.h"
#include "libike/engine/ts/traffic_selector.h"

namespace ike::engine {

enum class IkeState : uint8_t {
  kCreated,      // nothing sent or received yet
  kConnecting,   // IKE_SA_INIT / IKE_AUTH in progress
  kEstablished,  // authenticated
  kRekeying,     // a CREATE_CHILD_SA for this IKE_SA is in flight
  kDeleting,     // a Delete is in flight
  kDestroyed,    // gone; the engine removes it
};
const char* IkeStateName(IkeState state);

enum class ChildState : uint8_t { kInstalled, kRekeying, kRekeyed, kDeleting };

struct ChildSa {
  std::string name;
  ChildConfigRef config = DefaultChildConfig();  // never null
  uint32_t reqid = 0;
  ProtocolId protocol = ProtocolId::kEsp;
  xfrm::Mode mode = xfrm::Mode::kTunnel;
  uint32_t spi_in = 0;
  uint32_t spi_out = 0;
  Proposal proposal;  // the selected one
  TsList ts_local;
  TsList ts_remote;
  bool encap = false;
  ChildState state = ChildState::kInstalled;
  TimePoint established_at{0};
  // Kept for a rekey with the same proposal / PFS group.
  KeGroup pfs_group = KeGroup::kNone;
  // The peer sent ESP_TFC_PADDING_NOT_SUPPORTED: no TFC padding towards it.
  bool peer_refuses_tfc = false;
};

// IKE_SA key material after IKE_SA_INIT.
struct IkeKeys {
  std::optional<crypto::Prf> prf;
  SecretBytes sk_d;
  SecretBytes sk_pi;
  SecretBytes sk_pr;
  std::optional<crypto::SkCipher> out;  // protects what we send
  std::optional<crypto::SkCipher> in;   // checks what we receive
};

// The outcome of an IKE_SA rekey (RFC 7296 1.3.2, 2.18): everything the new
// IKE_SA needs. The Engine creates it and moves the CHILD_SAs over.
struct IkeRekeyResult {
  Role role = Role::kInitiator;  // ours in the new SA: who initiated the rekey
  uint64_t spi_i = 0;
  uint64_t spi_r = 0;
  Bytes nonce_i;
  Bytes nonce_r;
  Proposal proposal;
  IkeKeys keys;
};

// Rekey collisions (RFC 7296 2.8.1, 2.8.2): does exchange A (its two
// nonces) hold the lowest of the four nonces? Nonces compare as unsigned
// byte strings (memcmp order, a shorter prefix first).
inline bool HoldsLowestNonce(const Bytes& a_ni, const Bytes& a_nr, const Bytes& b_ni,
                             const Bytes& b_nr) {
  auto less = [](const Bytes& x, const Bytes& y) {
    return std::lexicographical_compare(x.begin(), x.end(), y.begin(), y.end());
  };
  const Bytes& a = less(a_ni, a_nr) ? a_ni : a_nr;
  const Bytes& b = less(b_ni, b_nr) ? b_ni : b_nr;
  return less(a, b);
}

// EAP in IKE_AUTH (RFC 7296 2.16), for the rounds between the first
// IKE_AUTH request and the AUTH payloads made with the MSK.
struct EapSession {
  std::optional<eap::Server> server;  // responder running a local method
  std::optional<eap::Peer> peer;      // initiator
  bool radius = false;                // responder relaying to the AAA backend
  bool identity_round = false;        // responder: our own EAP-Identity request is out
  uint8_t last_request_id = 0;        // responder: identifier of our last request
  Bytes identity;                     // the peer's EAP identity
  std::optional<eap::Packet> out;     // the next EAP packet we send
  bool succeeded = false;             // EAP Success sent / received
  bool failed = false;
  SecretBytes msk;
  // Responder: the first IKE_AUTH request (IDi, SA, TS, CP, notifies),
  // which the last round answers.
  std::optional<wire::Message> first_request;
  Bytes own_id_body;   // our ID payload body as sent (for our MSK AUTH)
  Bytes peer_id_body;  // the peer's ID payload body (for its MSK AUTH)
  // Responder with RADIUS: the backend's answer, taken by the next Build.
  bool awaiting_backend = false;
  std::optional<EapBackendReply> backend_reply;

  // Once the IKE_SA is established only the identity and the backend's
  // address are read again; the method state (TLS contexts), the MSK and
  // the saved messages are released.
  void ReleaseAfterAuth() {
    server.reset();
    peer.reset();
    out.reset();
    msk = SecretBytes();
    first_request.reset();
    own_id_body = Bytes();
    peer_id_body = Bytes();
    backend_reply.reset();
  }
  std::optional<IpAddress> framed_ip;  // from the backend: the peer's virtual IP
};

// Down reasons other code keys on.
inline constexpr std::string_view kReasonDeletedByPeer = "deleted by peer";
inline constexpr std::string_view kReasonRetransmit = "retransmits";  // "giving up after N retransmits"

struct SaContext {
  SaContext(uint64_t id_, Role role_, std::shared_ptr<const PeerConfig> config_, Env env_,
            const EngineSettings& settings_, Counters& counters_, uint32_t& next_reqid_)
      : id(id_),
        role(role_),
        config(std::move(config_)),
        env(env_),
        settings(settings_),
        counters(counters_),
        next_reqid(next_reqid_) {}
  // Tests: a context with a configuration of its own.
  SaContext(uint64_t id_, Role role_, PeerConfig config_, Env env_,
            const EngineSettings& settings_, Counters& counters_, uint32_t& next_reqid_)
      : SaContext(id_, role_, std::make_shared<const PeerConfig>(std::move(config_)), env_,
                  settings_, counters_, next_reqid_) {}

  const uint64_t id;
  const Role role;
  // Shared, read-only: every IKE_SA of a connection points at the same
  // snapshot (a reload makes new ones; IKE_AUTH may switch to another).
  std::shared_ptr<const PeerConfig> config;
  Env env;
  const EngineSettings& settings;
  Counters& counters;
  uint32_t& next_reqid;  // engine-wide reqid sequence
  // Engine-wide reqid per "connection/child", so a reauthenticated or
  // restarted CHILD_SA reuses its predecessor's reqid (and policies).
  std::map<std::string, uint32_t>* reqid_by_child = nullptr;
  // Responder: the initiator sent INITIAL_CONTACT (RFC 7296 2.4).
  bool initial_contact = false;

  // Set for the duration of one Handle() call.
  Effects* out = nullptr;
  TimePoint now{0};

  IkeState state = IkeState::kCreated;
  Endpoint local;
  Endpoint remote;
  uint64_t spi_i = 0;
  uint64_t spi_r = 0;
  Bytes nonce_i;
  Bytes nonce_r;
  // Our key pair for IKE_SA_INIT (boxed: released once the SA is up).
  Boxed<crypto::KeyExchange> ke;
  KeGroup ke_group = KeGroup::kNone;      // the group we send (retry may change it)
  std::optional<Proposal> ike_proposal;   // selected
  IkeKeys keys;
  Bytes init_request;   // the IKE_SA_INIT request as sent/received (for AUTH)
  Bytes init_response;  // the IKE_SA_INIT response as sent/received
  Bytes cookie;         // initiator: a COOKIE to echo
  bool nat_here = false;   // we are behind a NAT (our NAT_DETECTION_DESTINATION mismatched)
  bool nat_there = false;  // the peer is behind a NAT
  bool peer_supports_fragmentation = false;
  // MOBIKE (RFC 4555): both sides sent MOBIKE_SUPPORTED in IKE_AUTH. Then
  // only UPDATE_SA_ADDRESSES moves the IKE_SA (no implicit NAT float).
  bool mobike = false;
  bool peer_mobike = false;  // responder: the IKE_AUTH request announced it
  // The request being handled: the addresses it came in on (ours, the
  // peer's). Responses go back there (RFC 4555 3.5, RFC 7296 2.11).
  std::optional<std::pair<Endpoint, Endpoint>> request_path;
  std::vector<HashAlgorithm> peer_hash_algorithms;
  std::optional<Identity> peer_id;
  std::vector<ChildSa> children;
  TimePoint established_at{0};
  TimePoint last_inbound{0};
  std::string down_reason;
  // Work tasks hand to the IkeSa after an exchange: CHILD_SAs (by inbound
  // SPI) whose deletion must be initiated (the old SA after a rekey).
  std::vector<uint32_t> pending_child_deletes;
  // CHILD_SA rekeys per old CHILD_SA (by our inbound SPI), to resolve
  // simultaneous rekeys (RFC 7296 2.8.1): the exchange with the lowest of
  // the four nonces created the redundant SA, which its initiator deletes.
  struct RekeyRecord {
    bool ours_done = false;  // the exchange we initiated
    Bytes ours_ni, ours_nr;
    uint32_t ours_new_spi_in = 0;
    bool theirs_done = false;  // the exchange the peer initiated
    Bytes theirs_ni, theirs_nr;
    bool resolved = false;
  };
  std::map<uint32_t, RekeyRecord> child_rekeys;
  // Virtual IPs (RFC 7296 3.15). Initiator: what the gateway assigned us;
  // responder: the leases held for the peer (pool, address).
  AddressPools* pools = nullptr;
  std::vector<IpAddress> own_vips;
  std::vector<std::pair<std::string, IpAddress>> peer_vips;
  std::vector<IpAddress> received_dns;
  std::optional<IpAddress> received_netmask;  // INTERNAL_IP4_NETMASK, if sent
  std::unique_ptr<EapSession> eap;
  // Responder: the pools could not serve a requested address.
  bool vip_failed = false;
  // Responder: all configurations (the Engine's), for the switch to the
  // one that fits the peer's identity in IKE_AUTH. Null: keep `config`.
  const std::vector<std::shared_ptr<const PeerConfig>>* config_candidates = nullptr;
  // Reauthentication: the old IKE_SA must survive until we delete it.
  bool suppress_initial_contact = false;
  // Set when an IKE_SA rekey completed; the Engine picks it up.
  // Both behind a pointer: an IKE_SA holds one only for the moment of a
  // rekey, and inline they were 960 of its ~2800 bytes.
  std::unique_ptr<IkeRekeyResult> rekeyed;
  // An IKE_SA rekey we answered while our own was in flight (RFC 7296
  // 2.8.2); resolved against `rekeyed` once our own exchange ends.
  std::unique_ptr<IkeRekeyResult> rekey_collision;
  bool rekeyed_away = false;  // this SA was replaced: no IkeDown when it goes
  // Set by a task that ends the IKE_SA once the current exchange is done
  // (e.g. the peer deleted it): the IkeSa is destroyed with this reason.
  Boxed<std::string> destroy_after;
  // Set by a task that wants the IKE_SA deleted (with a Delete to the peer)
  // once the current exchange is done.
  Boxed<std::string> delete_after;

  // --- helpers ---
  uint64_t local_spi() const { return role == Role::kInitiator ? spi_i : spi_r; }
  uint64_t remote_spi() const { return role == Role::kInitiator ? spi_r : spi_i; }
  const Bytes& local_nonce() const { return role == Role::kInitiator ? nonce_i : nonce_r; }
  bool SendInitialContact() const {
    return config->send_initial_contact && !suppress_initial_contact;
  }
  bool nat_detected() const { return nat_here || nat_there; }
  bool use_encap() const { return nat_detected() || config->force_encap; }
  bool established() const { return state == IkeState::kEstablished ||
                                    state == IkeState::kRekeying; }

  void Emit(Effect e) { out->push_back(std::move(e)); }
  void EmitEvent(EventKind kind, std::string child = {}, uint32_t spi_in = 0,
                 uint32_t spi_out = 0, std::string reason = {});
  void ArmTimer(TimerKind kind, Duration after, uint32_t aux = 0);
  void CancelTimer(TimerKind kind, uint32_t aux = 0);
  void CancelAllTimers();
  void TimerFired(TimerKind kind, uint32_t aux) { Disarm(kind, aux); }

  // A random jitter in [0, max] from the injected Rng.
  Duration Jitter(Duration max);

  ChildSa* FindChildByInbound(uint32_t spi);
  ChildSa* FindChildByOutbound(uint32_t spi);

 private:
  bool Disarm(TimerKind kind, uint32_t aux);
  // The timers this SA has armed, sorted: a handful per IKE_SA, so a flat
  // vector (one allocation) rather than a tree node per timer.
  std::vector<std::pair<TimerKind, uint32_t>> armed_;
};

}  // namespace ike::engine
