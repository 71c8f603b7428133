// The engine's configuration of one connection: a plain struct the daemon
// fills from the conf/ Config model. Durations are in the engine's clock.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "libike/common/bytes.h"
#include "libike/common/ike_types.h"
#include "libike/common/ip_address.h"
#include "libike/common/secret_bytes.h"
#include "libike/engine/sa/effects.h"
#include "libike/engine/sa/proposal.h"
#include "libike/engine/ts/traffic_selector.h"
#include "xfrm/backend/backend.h"

namespace ike::engine {

// An IKE identity (RFC 7296 3.5).
struct Identity {
  IdType type = IdType::kFqdn;
  Bytes data;

  // strongSwan-like text: an IP address, "@fqdn" or a plain FQDN,
  // "user@domain" (RFC822), "@#hex" (KEY_ID), or "C=.., O=.., CN=.." is not
  // parsed here (DER DNs are given as bytes). Empty text: nullopt.
  static std::optional<Identity> Parse(const std::string& text);
  static Identity FromAddress(const IpAddress& addr);
  std::string ToString() const;
  // Wildcard "%any" (empty data) matches everything.
  bool IsAny() const { return data.empty(); }
  // With `wildcard`, a '*' in an FQDN or RFC822 pattern matches any run of
  // characters (swanctl.conf "*.example.org", "*@example.org").
  bool Matches(const Identity& other) const;
  friend bool operator==(const Identity&, const Identity&) = default;

  bool wildcard = false;
};

enum class AuthKind : uint8_t { kPsk, kPubkey, kEap };

// EAP methods (RFC 7296 2.16; IANA EAP method types where one exists).
// kRadius: the responder relays EAP to a RADIUS server (RFC 3579) and
// accepts whatever method the server runs.
enum class EapMethod : uint8_t {
  kIdentity = 1,
  kMd5 = 4,
  kTls = 13,
  kMschapv2 = 26,
  kRadius = 0xff,
};
const char* EapMethodName(EapMethod method);

// An EAP user secret (swanctl.conf `secrets { eap-X { id, secret } }`).
struct EapSecret {
  Bytes identity;  // the EAP identity (empty: any)
  SecretBytes secret;
  EapSecret Clone() const { return {identity, secret.Clone()}; }
};

// The kPubkey material of an AuthConfig in parsed form (our private key,
// the trust anchors as an X509_STORE, the CERTREQ hashes): immutable, so
// every IKE_SA cloned from one configuration shares it, and a reload
// (new AuthConfigs) never changes what a running IKE_SA uses.
struct PubkeyMaterial;

struct AuthConfig {
  AuthKind kind = AuthKind::kPsk;
  Identity id;  // local: what we send; remote: what we accept (IsAny: any)
  SecretBytes psk;  // kPsk (the same secret on both rounds)
  // kPubkey: material for the certificate tasks (DER).
  std::vector<Bytes> certs;         // local: end entity first, then intermediates
  std::vector<Bytes> ca_certs;      // remote: trust anchors
  Bytes private_key_der;            // local (PKCS#8 DER)
  // Parsed once from the three above by PreparePubkeyMaterial (unset: the
  // authenticator parses them for each use).
  std::shared_ptr<const PubkeyMaterial> pubkey;
  // kEap. Local (client): the method we accept, our EAP identity (unset:
  // the IKE identity) and password. Remote (server): the method we run, or
  // kRadius; eap_id set (usually %any): ask the peer with EAP-Identity
  // first, unset: the peer's IKE identity is its EAP identity.
  EapMethod eap_method = EapMethod::kMschapv2;
  std::optional<Identity> eap_id;
  SecretBytes eap_secret;  // local: our EAP password
  // Remote, kEap: the user database of a local method (MSCHAPv2).
  std::vector<EapSecret> eap_users;

  AuthConfig Clone() const {
    AuthConfig c;
    c.kind = kind;
    c.id = id;
    c.psk = psk.Clone();
    c.certs = certs;
    c.ca_certs = ca_certs;
    c.private_key_der = private_key_der;
    c.pubkey = pubkey;
    c.eap_method = eap_method;
    c.eap_id = eap_id;
    c.eap_secret = eap_secret.Clone();
    for (const EapSecret& u : eap_users) c.eap_users.push_back(u.Clone());
    return c;
  }
};

// Fills auth.pubkey from certs, ca_certs and private_key_der (kPubkey only;
// a no-op otherwise). Errors in the material surface when it is used.
void PreparePubkeyMaterial(AuthConfig& auth);

struct ChildConfig {
  std::string name;
  TsList local_ts;   // "dynamic" = one selector with unspecified addresses
  TsList remote_ts;
  xfrm::Mode mode = xfrm::Mode::kTunnel;
  ProposalList esp_proposals;  // protocol set to ESP or AH by the engine
  ProtocolId protocol = ProtocolId::kEsp;
  Duration rekey_time{std::chrono::hours(1)};
  Duration life_time{std::chrono::hours(1) + std::chrono::minutes(6)};
  Duration rand_time{std::chrono::minutes(6)};
  uint64_t life_bytes = 0;
  uint64_t life_packets = 0;
  uint32_t reqid = 0;  // 0: assigned by the engine
  uint32_t replay_window = 32;
  bool ipcomp = false;
  xfrm::Mark mark_in, mark_out;
  uint32_t if_id_in = 0, if_id_out = 0;
  DpdAction close_action = DpdAction::kNone;
  // This child's share of the IKE_SA's dpd_action (swanctl.conf keeps it
  // per child): which children a host traps when the peer dies.
  DpdAction dpd_action = DpdAction::kClear;
  // Traffic flow confidentiality padding of outbound tunnel-mode ESP
  // packets up to this size (RFC 4303 2.4); kTfcMtu pads to the path MTU.
  uint32_t tfc_padding = 0;
  static constexpr uint32_t kTfcMtu = 0xffffffff;
};

// A child configuration as CHILD_SAs and their tasks hold it: shared and
// read-only. Usually it points into a connection's snapshot (ChildOf) and
// keeps that snapshot alive, so ten thousand CHILD_SAs of one connection
// share one configuration instead of each carrying a copy.
using ChildConfigRef = std::shared_ptr<const ChildConfig>;
// A default-constructed ChildConfig, shared: what a ChildSa holds until it
// is given its own (so `config` is never null).
const ChildConfigRef& DefaultChildConfig();

struct RetransmitConfig {
  Duration timeout{4000};  // strongSwan charon.retransmit_timeout
  double base = 1.8;       // charon.retransmit_base
  unsigned tries = 5;      // charon.retransmit_tries
  Duration limit{0};       // 0: no cap on a single interval
};

// Duplicate IKE_SAs of one identity (swanctl.conf `unique`): kNo replaces
// them only on INITIAL_CONTACT, kNever never, kReplace always (the older
// ones are deleted), kKeep keeps the older one and deletes the newcomer.
enum class UniquePolicy : uint8_t { kNo, kNever, kReplace, kKeep };

// IKEv1 XAuth (draft-beaulieu-ike-xauth), a round after Main/Aggressive Mode.
struct XauthConfig {
  bool enabled = false;
  Bytes id;                    // client: the user name we answer with
  SecretBytes secret;          // client: our password
  std::vector<EapSecret> users;  // server: accepted (name, password) pairs
  XauthConfig Clone() const {
    XauthConfig c;
    c.enabled = enabled;
    c.id = id;
    c.secret = secret.Clone();
    for (const EapSecret& u : users) c.users.push_back(u.Clone());
    return c;
  }
};

struct PeerConfig {
  std::string name;
  Endpoint local;   // address unspecified: any (responder)
  Endpoint remote;  // address unspecified: any peer (responder only)
  ProposalList ike_proposals;
  AuthConfig local_auth;
  AuthConfig remote_auth;
  std::vector<ChildConfig> children;

  Duration dpd_delay{0};  // 0: no liveness checks
  DpdAction dpd_action = DpdAction::kClear;
  Duration rekey_time{std::chrono::hours(4)};
  Duration reauth_time{0};
  Duration over_time{0};  // hard lifetime margin after rekey/reauth time (0: 10%)
  Duration rand_time{0};  // jitter subtracted from rekey/reauth (0: 10%)
  bool send_initial_contact = true;
  bool fragmentation = true;
  size_t fragment_size = 1280;  // IPv4 default as in strongSwan
  bool force_encap = false;
  // MOBIKE (RFC 4555, swanctl.conf `mobike`): announced in IKE_AUTH; the
  // IKE_SA and its CHILD_SAs then move with UPDATE_SA_ADDRESSES.
  bool mobike = true;
  bool send_certreq = true;
  // Announce RFC 7427 signature hashes (strongSwan signature_authentication).
  bool signature_authentication = true;
  RetransmitConfig retransmit;
  unsigned keyingtries = 1;
  // Initiator: virtual IPs to request in IKE_AUTH (0.0.0.0 / :: for any
  // address of that family, or the address we would like).
  std::vector<IpAddress> vips;
  // Responder: pools (by name, in order) that hand out virtual IPs.
  std::vector<std::string> pools;
  UniquePolicy unique = UniquePolicy::kNo;

  // Protocol: 2 IKEv2 only; 1 IKEv1 (ISAKMP, RFC 2409) only; 0 initiates
  // IKEv2 and accepts either.
  unsigned version = 2;
  // IKEv1: initiate with Aggressive Mode; a responder accepts Aggressive
  // Mode only for a connection that sets it (it exposes a PSK hash).
  bool aggressive = false;
  XauthConfig xauth_local;   // IKEv1: we answer the peer's XAuth request
  XauthConfig xauth_remote;  // IKEv1: we ask the peer for XAuth credentials
  // IKEv1 Mode Config push (swanctl.conf `pull = no`): a gateway (pools)
  // sends SET with the lease unasked, a client (vips) waits for it and
  // ACKs; false: the client asks with REQUEST (pull).
  bool modecfg_push = false;

  PeerConfig Clone() const {
    PeerConfig c;
    c.name = name;
    c.local = local;
    c.remote = remote;
    c.ike_proposals = ike_proposals;
    c.local_auth = local_auth.Clone();
    c.remote_auth = remote_auth.Clone();
    c.children = children;
    c.dpd_delay = dpd_delay;
    c.dpd_action = dpd_action;
    c.rekey_time = rekey_time;
    c.reauth_time = reauth_time;
    c.over_time = over_time;
    c.rand_time = rand_time;
    c.send_initial_contact = send_initial_contact;
    c.fragmentation = fragmentation;
    c.fragment_size = fragment_size;
    c.force_encap = force_encap;
    c.mobike = mobike;
    c.send_certreq = send_certreq;
    c.signature_authentication = signature_authentication;
    c.retransmit = retransmit;
    c.vips = vips;
    c.pools = pools;
    c.unique = unique;
    c.keyingtries = keyingtries;
    c.version = version;
    c.aggressive = aggressive;
    c.xauth_local = xauth_local.Clone();
    c.xauth_remote = xauth_remote.Clone();
    c.modecfg_push = modecfg_push;
    return c;
  }
};

// The child `c`, which must be one of `peer->children`, as a reference that
// keeps `peer` alive (no copy).
inline ChildConfigRef ChildOf(const std::shared_ptr<const PeerConfig>& peer, const ChildConfig& c) {
  return ChildConfigRef(peer, &c);
}

// Engine-wide settings.
// How well a configuration's addresses fit an IKE_SA's endpoints: -1 no
// match, else 0..2 (one point per address that is named, not %any).
inline int AddressMatch(const PeerConfig& c, const Endpoint& local, const Endpoint& remote) {
  bool l_any = c.local.address.IsUnspecified();
  bool r_any = c.remote.address.IsUnspecified();
  if ((!l_any && !(c.local.address == local.address)) ||
      (!r_any && !(c.remote.address == remote.address))) {
    return -1;
  }
  return (l_any ? 0 : 1) + (r_any ? 0 : 1);
}

struct EngineSettings {
  unsigned cookie_threshold = 10;  // half-open SAs before cookies are demanded
  unsigned half_open_limit = 1000; // half-open SAs before new ones are dropped
  Duration half_open_timeout{30000};
  Duration delete_grace{std::chrono::seconds(5)};
  // False when our data plane cannot take TFC padding on inbound ESP: every
  // CHILD_SA negotiation then says ESP_TFC_PADDING_NOT_SUPPORTED.
  bool accept_tfc_padding = true;
};

}  // namespace ike::engine
