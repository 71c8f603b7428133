// The typed, immutable configuration produced by the loader: connections with
// their authentication rounds and children, shared secrets, credentials,
// authorities and pools. Build one with LoadConfig / ParseConfigString
// (conf/loader.h); hold it as `std::shared_ptr<const Config>`; compare two
// with Diff (conf/diff.h). Defaults are filled in exactly as swanctl.conf(5)
// documents them, so consumers never see "unset".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "conf/diagnostic.h"
#include "conf/values.h"
#include "libike/common/secret_bytes.h"
#include "libike/proposal/proposal.h"

namespace ike::conf {

// ---- credentials ----

enum class KeyType : uint8_t { kRsa, kEcdsa, kEd25519, kEd448 };

struct Certificate {
  std::string path;           // file it was loaded from
  bool from_ca_dir = false;   // x509ca/ (or an authority's cacert)
  Bytes der;
  Bytes subject_der;          // DER of the subject Name (compare with Identity::encoding)
  std::string subject;        // "C=CH, O=Example, CN=gw.example.org"
  std::string issuer;
  std::string serial_hex;
  std::vector<std::string> san_dns;
  std::vector<std::string> san_email;
  std::vector<IpAddress> san_ip;
  int64_t not_before = 0;     // seconds since the epoch
  int64_t not_after = 0;
  bool is_ca = false;         // basicConstraints CA:TRUE
  Bytes spki_der;             // SubjectPublicKeyInfo, to match private keys
  std::optional<KeyType> key_type;
};

struct PrivateKey {
  std::string path;
  KeyType type = KeyType::kRsa;
  SecretBytes pkcs8_der;      // unencrypted PKCS#8 PrivateKeyInfo
  Bytes spki_der;             // the matching public key
};

// ---- connections ----

struct AuthSpec {
  enum class Class : uint8_t { kPubkey, kPsk, kEap, kXauth, kNull };
  Class cls = Class::kPubkey;
  std::string method;       // eap: "mschapv2", "md5", "tls", "dynamic", "radius"...; xauth: backend
  std::string constraints;  // pubkey: signature constraints ("rsa/pss-sha256", "ecdsa-sha384")
  bool ike_only = false;    // "ike:" prefix
  std::string text;         // as written
  friend bool operator==(const AuthSpec&, const AuthSpec&) = default;
};

enum class Revocation : uint8_t { kRelaxed, kStrict, kIfUri };

struct AuthRound {
  std::string section;      // "local", "local-2", "remote"...
  Location loc;
  unsigned round = 0;       // explicit `round`, or the order of appearance
  AuthSpec auth;
  std::optional<Identity> id;  // local: unset = the IP address / certificate subject; remote: %any
  std::optional<Identity> eap_id;
  std::optional<Identity> aaa_id;
  std::optional<Identity> xauth_id;
  std::vector<std::string> groups;
  std::vector<std::string> cert_policy;
  std::string ca_id;
  Revocation revocation = Revocation::kRelaxed;
  std::vector<std::string> cert_files;    // `certs` as written
  std::vector<std::string> cacert_files;  // `cacerts` as written
  std::vector<size_t> certs;    // indexes into Config::certificates (when credentials are loaded)
  std::vector<size_t> cacerts;  // indexes into Config::certificates
  std::vector<std::string> pubkeys;  // raw public key files (parsed-only)
};

enum class ChildMode : uint8_t { kTunnel, kTransport, kTransportProxy, kIptfs, kBeet, kPass, kDrop };
enum class DpdAction : uint8_t { kClear, kTrap, kRestart };
enum class CloseAction : uint8_t { kNone, kTrap, kStart };
enum class HwOffload : uint8_t { kNo, kCrypto, kPacket, kAuto };
enum class CopyDscp : uint8_t { kOut, kIn, kYes, kNo };

struct StartAction {
  bool trap = false;
  bool start = false;
  friend bool operator==(const StartAction&, const StartAction&) = default;
};

struct ChildConfig {
  std::string name;
  Location loc;
  std::vector<Proposal> esp_proposals;  // default unless ah_proposals is set
  std::vector<Proposal> ah_proposals;
  bool sha256_96 = false;
  std::vector<TrafficSelector> local_ts;   // default: one dynamic selector
  std::vector<TrafficSelector> remote_ts;
  Seconds rekey_time{3600};
  Seconds life_time{3960};  // default 110% of rekey_time
  Seconds rand_time{360};   // default life_time - rekey_time
  uint64_t rekey_bytes = 0, life_bytes = 0, rand_bytes = 0;
  uint64_t rekey_packets = 0, life_packets = 0, rand_packets = 0;
  std::string updown;
  bool hostaccess = false;
  ChildMode mode = ChildMode::kTunnel;
  bool policies = true;
  bool policies_fwd_out = false;
  DpdAction dpd_action = DpdAction::kClear;
  bool ipcomp = false;
  Seconds inactivity{0};
  uint32_t reqid = 0;
  uint32_t priority = 0;
  std::string interface;
  Mark mark_in, mark_out, set_mark_in, set_mark_out;
  bool mark_in_sa = false;
  IfId if_id_in, if_id_out;
  std::string label;
  std::string label_mode;
  uint32_t tfc_padding = 0;  // 0 = none; 0xffffffff = "mtu"
  uint32_t replay_window = 32;
  bool per_cpu_sas = false;
  HwOffload hw_offload = HwOffload::kNo;
  bool copy_df = true;
  bool copy_ecn = true;
  CopyDscp copy_dscp = CopyDscp::kOut;
  StartAction start_action;
  CloseAction close_action = CloseAction::kNone;
};

enum class Fragmentation : uint8_t { kYes, kAccept, kForce, kNo };
enum class Childless : uint8_t { kAllow, kForce, kPrefer, kNever };
enum class SendCert : uint8_t { kIfAsked, kAlways, kNever };
enum class UniquePolicy : uint8_t { kNo, kNever, kKeep, kReplace };
enum class OcspMode : uint8_t { kReply, kRequest, kBoth, kNone };

struct ConnectionConfig {
  std::string name;
  Location loc;
  unsigned version = 0;  // 0: initiate IKEv2, accept IKEv1 and IKEv2
  std::vector<AddressSpec> local_addrs;   // default %any
  std::vector<AddressSpec> remote_addrs;  // default %any
  uint16_t local_port = 500;
  uint16_t remote_port = 500;
  std::vector<Proposal> proposals;        // default: DefaultProposals(kIke)
  std::vector<IpAddress> vips;
  bool aggressive = false;
  bool pull = true;
  uint8_t dscp = 0;
  bool encap = false;
  bool mobike = true;
  Seconds dpd_delay{0};
  Seconds dpd_timeout{0};
  Fragmentation fragmentation = Fragmentation::kYes;
  Childless childless = Childless::kAllow;
  bool send_certreq = true;
  SendCert send_cert = SendCert::kIfAsked;
  OcspMode ocsp = OcspMode::kReply;
  std::optional<Identity> ppk_id;
  bool ppk_required = false;
  uint32_t keyingtries = 1;  // 0 = forever
  UniquePolicy unique = UniquePolicy::kNo;
  Seconds reauth_time{0};
  Seconds rekey_time{14400};
  Seconds over_time{1440};  // default 10% of max(rekey_time, reauth_time)
  Seconds rand_time{1440};  // default over_time
  std::vector<std::string> pools;
  IfId if_id_in, if_id_out;
  bool mediation = false;
  std::string mediated_by;
  std::optional<Identity> mediation_peer;
  std::vector<AuthRound> local;   // sorted by round
  std::vector<AuthRound> remote;  // sorted by round
  std::vector<ChildConfig> children;

  const ChildConfig* FindChild(std::string_view child) const;
};

// ---- secrets, pools, authorities ----

enum class SecretType : uint8_t { kIke, kEap, kXauth, kNtlm, kPpk };

struct SharedSecret {
  std::string name;  // section name ("ike-carol")
  Location loc;
  SecretType type = SecretType::kIke;
  std::vector<Identity> ids;  // empty: matches any peer (strongSwan semantics)
  SecretBytes secret;
};

struct PoolConfig {
  std::string name;
  Location loc;
  AddressRange addrs;
  std::vector<IpAddress> dns, nbns, dhcp, server, p_cscf;
  std::vector<AddressRange> netmask, subnet, split_include, split_exclude;
  // Numeric attribute types ("25 = ...") and anything else, as written.
  std::vector<std::pair<uint16_t, std::vector<std::string>>> custom;
};

struct AuthorityConfig {
  std::string name;
  Location loc;
  std::string cacert_file;        // as written
  std::optional<size_t> cacert;  // index into Config::certificates
  std::vector<std::string> crl_uris;
  std::vector<std::string> ocsp_uris;
  std::string cert_uri_base;
};

// The `radius { }` section: RADIUS servers for `auth = eap-radius` and
// accounting (strongSwan keeps these in strongswan.conf under
// charon.plugins.eap-radius; see conf/README.md).
struct RadiusServerConfig {
  std::string name;
  Location loc;
  IpAddress address;
  uint16_t auth_port = 1812;
  uint16_t acct_port = 1813;
  SecretBytes secret;
};

struct RadiusConfig {
  Location loc;
  bool accounting = false;
  Seconds interim_interval{0};
  std::string nas_identifier = "ikedaemon";
  Seconds retransmit_timeout{2};
  uint32_t retransmit_tries = 3;
  std::vector<RadiusServerConfig> servers;  // in file order
};

struct Config {
  std::string source;  // main file name
  std::vector<ConnectionConfig> connections;  // in file order
  std::vector<SharedSecret> secrets;
  std::vector<PoolConfig> pools;
  std::vector<AuthorityConfig> authorities;
  std::vector<Certificate> certificates;      // x509/, x509ca/, authorities, named files
  std::vector<PrivateKey> private_keys;
  RadiusConfig radius;  // no servers: no `radius` section
  std::vector<Diagnostic> warnings;

  Config() = default;
  Config(Config&&) = default;
  Config& operator=(Config&&) = default;

  const ConnectionConfig* FindConnection(std::string_view name) const;
  const PoolConfig* FindPool(std::string_view name) const;
  // The private key whose public key matches `cert`, or null.
  const PrivateKey* FindKeyFor(const Certificate& cert) const;
  // Shared secrets of `type` whose ids match the identity (Identity::Matches,
  // so wildcards apply), best first: exact ids, then wildcard ids
  // ("*@example.org"), then id = %any.
  std::vector<const SharedSecret*> FindSecrets(SecretType type, const Identity& id) const;
};

std::string_view ToString(ChildMode m);
std::string_view ToString(DpdAction a);
std::string_view ToString(CloseAction a);
std::string ToString(StartAction a);
std::string_view ToString(HwOffload h);
std::string_view ToString(Fragmentation f);
std::string_view ToString(UniquePolicy u);
std::string_view ToString(SendCert s);
std::string_view ToString(AuthSpec::Class c);

}  // namespace ike::conf
