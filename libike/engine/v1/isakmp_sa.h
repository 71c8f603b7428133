// IsakmpSa: one IKEv1 ISAKMP SA (RFC 2408/2409) as a sans-IO state machine,
// the IKEv1 counterpart of IkeSa. The Engine hands it the ISAKMP datagrams
// of its cookie pair, its timers and the commands naming its id; it runs
// Main Mode (PSK), Quick Modes (with or without PFS), Informational
// exchanges (DELETE, INITIAL-CONTACT, DPD per RFC 3706), NAT-T (RFC 3947
// and its drafts) and emits the same effects and events as IKEv2 does.
//
// It reuses SaContext for what both versions share: identity of the SA, the
// configuration, effects sink, timers, CHILD_SAs (installed through
// sa/child_install like IKEv2's), endpoints and cookies (as spi_i/spi_r).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "libike/crypto/cbc_cipher.h"
#include "libike/engine/sa/sa_context.h"
#include "libike/engine/v1/keymat_v1.h"
#include "libike/engine/v1/proposal_v1.h"
#include "libike/ikev1/message.h"

namespace ike::engine::v1 {

namespace isakmp = ::ike::v1;

template <typename T>
const T* FindPayload(const std::vector<isakmp::Payload>& payloads) {
  for (const auto& p : payloads) {
    if (const T* t = std::get_if<T>(&p)) return t;
  }
  return nullptr;
}

// How NAT traversal was negotiated (the Vendor IDs exchanged in Phase 1).
enum class NatTraversal : uint8_t { kNone, kRfc3947, kDraft };

// A Quick Mode (or, for lookups, its state) in progress.
struct QuickMode {
  uint32_t mid = 0;
  Role role = Role::kInitiator;
  enum class Stage : uint8_t { kSentQm1, kSentQm2, kDone } stage = Stage::kSentQm1;
  ChildConfigRef config;
  uint32_t reqid = 0;
  uint32_t spi_in = 0;
  uint32_t spi_out = 0;
  Bytes ni, nr;
  std::optional<crypto::KeyExchange> ke;
  KeGroup pfs = KeGroup::kNone;
  Bytes peer_ke;
  std::vector<ChildProposal> offer;  // initiator
  ChildProposal selected;
  TsList ts_i, ts_r;  // IDci, IDcr (initiator's view: local, remote)
  bool send_ids = true;
  uint32_t lifetime_s = 0;
  uint32_t rekey_of = 0;  // inbound SPI of the CHILD_SA this one replaces
  Bytes iv;               // the CBC IV for the next message of this exchange
  Bytes last_sent;        // for retransmission
  Bytes last_received;    // the peer's last datagram (retransmit detection)
  unsigned tries = 0;
  TimePoint started{0};
};

class IsakmpSa {
 public:
  IsakmpSa(uint64_t id, Role role, std::shared_ptr<const PeerConfig> config, Env env, const EngineSettings& settings,
           Counters& counters, uint32_t& next_reqid);

  // --- Introspection (the control socket, tests) ---
  uint64_t id() const { return ctx_.id; }
  Role role() const { return ctx_.role; }
  IkeState state() const { return ctx_.state; }
  bool established() const { return ctx_.established(); }
  bool destroyed() const { return ctx_.state == IkeState::kDestroyed; }
  const PeerConfig& config() const { return *ctx_.config; }
  const std::string& down_reason() const { return ctx_.down_reason; }
  uint64_t cookie_i() const { return ctx_.spi_i; }
  uint64_t cookie_r() const { return ctx_.spi_r; }
  uint64_t local_cookie() const { return ctx_.local_spi(); }
  const Endpoint& local() const { return ctx_.local; }
  const Endpoint& remote() const { return ctx_.remote; }
  const std::optional<Identity>& peer_id() const { return ctx_.peer_id; }
  const std::vector<ChildSa>& children() const { return ctx_.children; }
  bool nat_detected() const { return ctx_.nat_detected(); }
  NatTraversal nat_traversal() const { return natt_; }
  bool dpd_supported() const { return peer_dpd_; }
  bool aggressive() const { return aggressive_; }
  // XAuth finished (or was not configured).
  bool xauth_done() const { return xauth_ != Xauth::kPending; }
  // Phase 1 authenticated by signatures (with or without XAuth): the peer's
  // ID is bound to its certificate, unlike a (possibly group) PSK's.
  bool signature_auth() const { return UsesSignatures(); }
  bool xauth_server() const { return XauthServer(); }
  const std::string& xauth_user() const { return xauth_user_; }
  // Mode Config finished (or was not configured); our virtual IPs (client)
  // and the leases we handed the peer (gateway).
  bool modecfg_done() const { return modecfg_ != ModeCfg::kPending; }
  const std::vector<IpAddress>& own_vips() const { return ctx_.own_vips; }
  const std::vector<std::pair<std::string, IpAddress>>& peer_vips() const {
    return ctx_.peer_vips;
  }
  // Client: the split networks (INTERNAL_IP4/6_SUBNET) the gateway sent.
  const std::vector<std::pair<IpAddress, uint8_t>>& split_networks() const { return split_networks_; }
  // The negotiated Phase 1 transform (set once Phase 1 chose one).
  const std::optional<Phase1Transform>& algorithms() const { return p1_; }
  TimePoint established_at() const { return ctx_.established_at; }
  // Quick Modes in flight.
  size_t quick_modes() const { return qms_.size(); }

  // --- Engine bookkeeping ---
  bool wants_restart() const { return wants_restart_; }
  bool wants_reestablish() const { return wants_reestablish_; }
  void clear_wants_reestablish() { wants_reestablish_ = false; }
  // Re-establishment (make-before-break): this SA replaces `id` once up.
  uint64_t reestablish_of() const { return reestablish_of_; }
  void set_reestablish_of(uint64_t id) {
    reestablish_of_ = id;
    if (id) ctx_.suppress_initial_contact = true;
  }
  bool initial_contact() const { return ctx_.initial_contact; }
  void clear_initial_contact() { ctx_.initial_contact = false; }
  bool housekept() const { return housekept_; }
  void set_housekept() { housekept_ = true; }
  const std::string& half_open_key() const { return half_open_key_; }
  void set_half_open_key(std::string key) { half_open_key_ = std::move(key); }
  void SetReqidRegistry(std::map<std::string, uint32_t>* r) { ctx_.reqid_by_child = r; }
  void SetAddressPools(AddressPools* pools) { ctx_.pools = pools; }
  // Responder: the configurations Phase 1 may switch to once the peer's
  // identity is known (Aggressive Mode: its first message; Main Mode with
  // signatures: MM5). Main Mode PSK cannot switch: the key protects MM5.
  void SetConfigCandidates(const std::vector<std::shared_ptr<const PeerConfig>>* c) {
    ctx_.config_candidates = c;
  }

  // --- Inputs ---
  // Initiator: Main Mode (or Aggressive Mode when config.aggressive) with
  // our cookie; `children` are set up by Quick Mode once Phase 1 is up
  // (empty: all configured children).
  void Initiate(const Endpoint& local, const Endpoint& remote, uint64_t cookie_i,
                const std::vector<std::string>& children, TimePoint now, Effects& out);
  // Responder: first contact, our cookie chosen by the engine.
  void Accept(const Endpoint& local, const Endpoint& remote, uint64_t cookie_i,
              uint64_t cookie_r);
  // Quick Modes for the named children (all configured if empty) on an
  // established SA; `only_missing` skips children that are up.
  void InitiateChildren(const std::vector<std::string>& children, bool only_missing,
                        TimePoint now, Effects& out);
  // A decoded ISAKMP datagram of this SA; `raw` without the non-ESP marker.
  void OnDatagram(const isakmp::Message& msg, ByteView raw, const Endpoint& from,
                  const Endpoint& to, TimePoint now, Effects& out);
  void OnTimer(const TimerId& id, TimePoint now, Effects& out);
  void OnCommand(const Command& cmd, TimePoint now, Effects& out);
  void OnChildExpire(uint32_t spi_in, bool hard, TimePoint now, Effects& out);
  // Moves the CHILD_SAs of `old` (same connection and peer) to this SA
  // (Phase 1 re-establishment keeps the IPsec SAs).
  void AdoptChildren(IsakmpSa& old, TimePoint now, Effects& out);
  // Removes (without telling the peer) the IPsec SAs AdoptChildren moved
  // here: INITIAL-CONTACT after they were adopted says the peer forgot them.
  void DropAdoptedChildren(const std::string& reason, TimePoint now, Effects& out);
  // Tear down without telling the peer (INITIAL-CONTACT from it, shutdown).
  void Abort(const std::string& reason, TimePoint now, Effects& out);

 private:
  struct Scope;
  // Phase 1 (main_mode.cc).
  void StartPhase1(TimePoint now);
  void OnPhase1(const isakmp::Message& msg, ByteView raw);
  void InitiatorPhase1(const isakmp::Message& msg, ByteView raw);
  void ResponderPhase1(const isakmp::Message& msg, ByteView raw);
  void AggressiveInitiator(const isakmp::Message& msg, ByteView raw);
  void AggressiveResponder(const isakmp::Message& msg, ByteView raw);
  std::vector<isakmp::Payload> OurVendorIds() const;
  void ReadVendorIds(const isakmp::Message& msg);
  std::vector<isakmp::Payload> NatDPayloads() const;
  void CheckNatD(const isakmp::Message& msg);
  bool DeriveKeys(const Bytes& peer_ke);
  std::optional<isakmp::IdPayload> OurId() const;
  bool CheckPeerId(const isakmp::IdPayload& id);
  Result<Bytes, std::string> AuthHash(bool of_initiator, ByteView id_body) const;
  bool UsesSignatures() const {
    return p1_ && p1_->auth != 1 && p1_->auth != 65001 && p1_->auth != 65002;
  }
  // ID followed by HASH (PSK) or CERTs and SIG (signatures) for our side.
  Result<std::vector<isakmp::Payload>, std::string> OwnAuthPayloads(bool of_initiator);
  // Checks the peer's ID and HASH or SIG (+ certificate chain).
  Result<void, std::string> VerifyPeerAuth(const std::vector<isakmp::Payload>& payloads,
                                           bool of_initiator);
  std::vector<isakmp::Payload> CertRequests() const;
  void Phase1Done();
  void FloatPorts();
  // Quick Mode (quick_mode.cc).
  void StartQuickMode(ChildConfigRef child, uint32_t rekey_of, const TsList* ts_local,
                      const TsList* ts_remote);
  void OnQuickMode(const isakmp::Message& msg, ByteView raw);
  void QuickModeResponder(const isakmp::Message& msg, ByteView raw, uint32_t mid);
  struct Decrypted;
  void QuickModeQm2(QuickMode& qm, const Decrypted& d, ByteView raw);
  void QuickModeQm3(QuickMode& qm, const Decrypted& d, ByteView raw);
  bool InstallQuickMode(QuickMode& qm);
  void QmFail(uint32_t mid, const std::string& why);
  // XAuth (xauth_v1.cc, draft-beaulieu-ike-xauth over Transaction
  // exchanges): the server asks after Phase 1, the client answers.
  bool XauthClient() const { return ctx_.config->xauth_local.enabled; }
  bool XauthServer() const { return ctx_.config->xauth_remote.enabled; }
  void StartXauthServer();
  void OnTransaction(const isakmp::Message& msg, ByteView raw);
  // A new Transaction exchange of ours (XAuth, Mode Config): a fresh
  // message ID and its phase-2 IV, and (unless the exchange continues an
  // attribute conversation, like XAuth's status SET) a fresh identifier.
  bool BeginTransaction(bool new_identifier);
  void SendTransaction(uint32_t mid, Bytes& iv, isakmp::AttributePayload attr, bool expect_reply);
  void XauthFinished(bool ok, const std::string& why);
  // Mode Config (modecfg_v1.cc, draft-dukes-ike-mode-cfg): pull, the
  // client (config.vips) asks after XAuth / Phase 1 and the gateway answers
  // from its pools; push (config.modecfg_push), the gateway sends SET and
  // the client ACKs.
  bool ModeCfgClient() const { return !ctx_.config->vips.empty(); }
  bool ModeCfgPush() const {
    return ctx_.config->modecfg_push && !ModeCfgClient() && !ctx_.config->pools.empty() && ctx_.pools;
  }
  // After XAuth (or Phase 1): the client's REQUEST, or the gateway's SET,
  // or (push client) waiting for the SET.
  void StartModeCfg();
  void StartModeCfgPush();
  void ModeCfgSet(const isakmp::AttributePayload& set, uint32_t mid);
  void ModeCfgAck();
  // Takes the addresses, DNS servers, netmask and split networks of a REPLY
  // or SET; returns the types taken.
  std::vector<uint16_t> TakeModeCfg(const isakmp::AttributePayload& attrs);
  // Quick Modes wait until XAuth and Mode Config are through.
  bool SetupPending() const { return xauth_ == Xauth::kPending || modecfg_ == ModeCfg::kPending; }
  void StartModeCfgClient();
  void ModeCfgRequest(const isakmp::AttributePayload& req, uint32_t mid);
  void ModeCfgReply(const isakmp::AttributePayload& reply);
  void SetupFinished();
  std::string LeaseId() const;
  TsList LocalTs(const ChildConfig& c) const;
  TsList RemoteTs(const ChildConfig& c) const;
  void StartPendingChildren();
  // Informational (informational_v1.cc).
  void OnInformational(const isakmp::Message& msg, ByteView raw);
  void OnUnauthenticatedNotify(const isakmp::Message& msg);
  // Both return the datagram sent (empty if none was).
  Bytes SendNotify(isakmp::NotifyType type, isakmp::ProtocolId protocol, Bytes spi, Bytes data = {});
  void SendUnencryptedNotify(isakmp::NotifyType type);
  uint16_t AuthMethod() const;
  static uint16_t AuthMethodFor(const PeerConfig& config, Role role);
  // Responder: switches to the configuration that best fits the peer's ID
  // (and, in Aggressive Mode, `offered`); keeps the current one otherwise.
  void SelectConfigByIdentity(const isakmp::IdPayload& id, const isakmp::SaPayload* offered);
  uint32_t Phase1LifeSeconds() const;
  const SecretBytes& Psk() const;
  void ArmChildTimers(const ChildSa& child, bool rekeyer, uint32_t life_s);
  Bytes SendInformational(std::vector<isakmp::Payload> payloads);
  void SendDeleteChild(const ChildSa& child);
  void SendDeleteIsakmp();
  void SendDpd();
  void OnDpdTimer();
  void RemoveChild(uint32_t spi_in, const std::string& reason, bool notify_peer);
  void Destroy(const std::string& reason);
  void Delete(const std::string& reason);
  // Crypto helpers (isakmp_sa.cc).
  Result<Bytes, std::string> Encrypt(isakmp::Message msg, const std::vector<isakmp::Payload>& payloads,
                                     Bytes& iv);
  // Decrypts with `iv`; on success `next_iv` is the last ciphertext block
  // and `rest` the octets after the first payload (for HASH checks).
  struct Decrypted {
    isakmp::DecryptedBody body;
    Bytes next_iv;
    Bytes after_first;  // chain after the first payload, padding excluded
  };
  Result<Decrypted, std::string> Decrypt(const isakmp::Message& msg, ByteView iv) const;
  Result<Bytes, std::string> Phase2Iv(uint32_t mid) const;
  isakmp::Header MakeHeader(isakmp::ExchangeType type, uint32_t mid) const;
  void Send(const Bytes& datagram);
  void ArmRetransmit(uint32_t mid, unsigned tries);
  // How long a peer may retransmit one message (all tries, plus a margin):
  // a finished Quick Mode answers retransmits that long.
  Duration RetransmitSpan() const;
  void OnRetransmit(uint32_t mid);
  uint32_t NewMessageId();

  SaContext ctx_;
  bool aggressive_ = false;
  std::vector<std::string> pending_children_;
  bool pending_all_children_ = true;
  // Phase 1.
  enum class P1Stage : uint8_t { kStart, kSent1, kSent2, kSent3, kSent4, kSent5, kDone };
  P1Stage p1_stage_ = P1Stage::kStart;
  // Sends the next Main/Aggressive Mode message, keeps it for retransmits
  // and answers to a resent peer message, and moves to `next`.
  void SendPhase1(Bytes datagram, P1Stage next);
  std::vector<Phase1Transform> p1_offer_;
  std::optional<Phase1Transform> p1_;
  Bytes sa_i_b_;  // the initiator's SA payload body
  Bytes peer_id_b_;
  std::optional<crypto::Prf> prf_;
  Phase1Keys keys_;
  std::optional<crypto::CbcCipher> cipher_;
  Bytes gxi_, gxr_;
  Bytes p1_iv_;  // CBC IV of Phase 1; once done, its last ciphertext block
  Bytes p1_last_sent_;
  Bytes p1_last_received_;
  unsigned p1_tries_ = 0;
  NatTraversal natt_ = NatTraversal::kNone;
  bool peer_dpd_ = false;
  bool sent_initial_contact_ = false;
  // Aggressive Mode initiator: the INITIAL-CONTACT Informational that
  // follows AM3, re-sent with AM3 when the responder repeats AM2 (had AM3
  // been lost, the Informational reached a responder not yet up). Dropped
  // once the responder speaks in Quick Mode.
  Bytes am_initial_contact_;
  // Quick Modes and informational exchanges.
  std::map<uint32_t, QuickMode> qms_;
  std::vector<uint32_t> seen_info_mids_;
  uint32_t dpd_seq_ = 0;
  uint32_t dpd_outstanding_ = 0;  // sequence number awaiting an ACK, 0: none
  unsigned dpd_tries_ = 0;
  uint32_t peer_dpd_seq_ = 0;
  // XAuth.
  enum class Xauth : uint8_t { kNone, kPending, kDone };
  Xauth xauth_ = Xauth::kNone;
  uint32_t xauth_mid_ = 0;
  uint16_t xauth_identifier_ = 0;
  bool xauth_ok_ = false;  // server: the verdict in our SET
  Bytes xauth_iv_;
  Bytes xauth_last_sent_;
  Bytes xauth_last_received_;
  unsigned xauth_tries_ = 0;
  std::string xauth_user_;  // server: the user name that passed
  // The previous Transaction (an XAuth ACK the peer may ask for again once
  // Mode Config took over the state above).
  uint32_t tx_prev_mid_ = 0;
  Bytes tx_prev_received_;
  Bytes tx_prev_sent_;
  // Mode Config (shares the Transaction state above).
  enum class ModeCfg : uint8_t { kNone, kPending, kDone };
  ModeCfg modecfg_ = ModeCfg::kNone;
  std::vector<std::pair<IpAddress, uint8_t>> split_networks_;
  // Engine bookkeeping.
  bool wants_restart_ = false;
  bool wants_reestablish_ = false;
  uint64_t reestablish_of_ = 0;
  bool housekept_ = false;
  std::string half_open_key_;
  std::vector<uint32_t> adopted_;  // inbound SPIs of adopted CHILD_SAs
};

}  // namespace ike::engine::v1
