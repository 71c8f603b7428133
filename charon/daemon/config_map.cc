#include "charon/daemon/config_map.h"

#include <algorithm>
#include <chrono>

namespace ike::charon {
namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

milliseconds Ms(std::chrono::seconds s) { return duration_cast<milliseconds>(s); }

engine::TsList MapTs(const std::vector<conf::TrafficSelector>& list) {
  engine::TsList out;
  for (const auto& ts : list) {
    engine::TrafficSelector t;
    t.ip_proto = ts.protocol;
    t.start_port = ts.from_port;
    t.end_port = ts.to_port;
    if (ts.dynamic) {
      // Unspecified addresses mark "dynamic": the engine substitutes the
      // IKE (or virtual) address.
      t.start = IpAddress::Any(AddressFamily::kIpv4);
      t.end = IpAddress::Any(AddressFamily::kIpv4);
    } else {
      t.start = ts.range.from;
      t.end = ts.range.to;
    }
    out.push_back(t);
  }
  return out;
}

xfrm::Mark MapMark(const conf::Mark& m) {
  if (!m.IsSet() || m.special != conf::Mark::Special::kNone) return {};
  return xfrm::Mark{m.value, m.mask};
}

engine::DpdAction MapDpdAction(conf::DpdAction a) {
  switch (a) {
    case conf::DpdAction::kClear: return engine::DpdAction::kClear;
    case conf::DpdAction::kTrap: return engine::DpdAction::kTrap;
    case conf::DpdAction::kRestart: return engine::DpdAction::kRestart;
  }
  return engine::DpdAction::kClear;
}

// The first single address of a list, or the unspecified address of the
// family when the list allows any peer.
Endpoint MapEndpoint(const std::vector<conf::AddressSpec>& addrs, uint16_t port, std::vector<std::string>& notes,
                     const char* what) {
  for (const auto& a : addrs) {
    if (a.IsSingleAddress()) return Endpoint{a.range.from, port};
  }
  for (const auto& a : addrs) {
    if (a.kind == conf::AddressSpec::Kind::kAny6) return Endpoint{IpAddress::Any(AddressFamily::kIpv6), port};
    if (a.kind == conf::AddressSpec::Kind::kHostname) {
      notes.push_back(std::string(what) + " '" + a.hostname + "' is resolved when initiating");
    }
  }
  return Endpoint{IpAddress::Any(AddressFamily::kIpv4), port};
}

std::string AuthProblem(const conf::AuthRound& r, bool local) {
  switch (r.auth.cls) {
    case conf::AuthSpec::Class::kPsk:
    case conf::AuthSpec::Class::kPubkey: return "";
    case conf::AuthSpec::Class::kEap:
      // EAP-MSCHAPv2 and EAP-TLS both ways; a gateway may relay any
      // method to RADIUS.
      if (r.auth.method.empty() || r.auth.method == "mschapv2" || r.auth.method == "tls") return "";
      if (!local && r.auth.method == "radius") return "";
      return "authentication '" + r.auth.text +
             "' is not supported (eap-mschapv2, eap-tls; eap-radius on the remote side)";
    case conf::AuthSpec::Class::kXauth:
      return "authentication '" + r.auth.text + "' is an XAuth round: it follows a psk or pubkey round";
    default: return "authentication '" + r.auth.text + "' is not supported by the IKEv2 engine yet";
  }
}

bool IsEap(const conf::AuthRound& r) { return r.auth.cls == conf::AuthSpec::Class::kEap; }

// An XAuth user name as written ("alice", "alice@example.org").
Bytes XauthName(const conf::Identity& id) {
  switch (id.kind) {
    case conf::Identity::Kind::kAny: return {};
    case conf::Identity::Kind::kFqdn:
    case conf::Identity::Kind::kEmail:
    case conf::Identity::Kind::kKeyId: return id.encoding;
    default: return Bytes(id.text.begin(), id.text.end());
  }
}

// The XAuth round (the second round, after psk/pubkey) of `rounds`, or null.
const conf::AuthRound* XauthRound(const std::vector<conf::AuthRound>& rounds) {
  for (size_t i = 1; i < rounds.size(); ++i) {
    if (rounds[i].auth.cls == conf::AuthSpec::Class::kXauth) return &rounds[i];
  }
  return nullptr;
}

// Fills the IKEv1 side of `m` (version, Aggressive Mode, XAuth rounds);
// returns why the connection cannot run, or "".
std::string MapIkev1(const conf::ConnectionConfig& c, const conf::Config& config, MappedConnection& m) {
  engine::PeerConfig& p = m.peer;
  bool any_eap = std::any_of(c.local.begin(), c.local.end(), IsEap) ||
                 std::any_of(c.remote.begin(), c.remote.end(), IsEap);
  p.version = c.version;
  if (c.version == 0 && any_eap) {
    // EAP rounds cannot run over IKEv1: such a connection answers IKEv2 only.
    p.version = 2;
    m.notes.push_back("EAP authentication: IKEv2 only (version = 0 would also accept IKEv1)");
  }
  if (c.version == 1 && any_eap) return "EAP needs IKEv2 (version = 1)";
  p.aggressive = c.aggressive;
  p.modecfg_push = !c.pull;
  if (p.version == 2) {
    if (c.aggressive) m.notes.push_back("aggressive = yes applies to IKEv1 only");
    if (!c.pull) m.notes.push_back("pull = no (Mode Config push) applies to IKEv1 only");
    return "";
  }
  if (c.aggressive && c.local.front().auth.cls == conf::AuthSpec::Class::kPubkey) {
    return "Aggressive Mode with certificates is not supported by the IKEv1 engine (use Main Mode)";
  }
  if (p.version == 1) {
    // Only IKEv1 runs: drop what cannot protect an ISAKMP SA (the AEAD
    // proposals of the defaults; configured ones are rejected by the loader).
    auto& list = p.ike_proposals;
    list.erase(std::remove_if(list.begin(), list.end(),
                              [](const engine::Proposal& e) {
                                bool has_integ = false;
                                for (const auto& t : e.transforms) has_integ |= t.type == TransformType::kInteg;
                                return !has_integ;
                              }),
               list.end());
    uint8_t number = 1;
    for (auto& e : list) e.number = number++;
    if (list.empty()) return "no IKEv1-capable proposal (AEAD cannot protect the ISAKMP SA)";
  }
  if (const auto* x = XauthRound(c.remote)) {
    // A gateway asks the peer for XAuth credentials (xauth or
    // xauth-generic: the `xauth-` secrets).
    if (!x->auth.method.empty() && x->auth.method != "generic") {
      return "XAuth backend '" + x->auth.method + "' is not supported (auth = xauth uses the xauth secrets)";
    }
    p.xauth_remote.enabled = true;
    for (const auto& s : config.secrets) {
      if (s.type != conf::SecretType::kXauth) continue;
      for (const auto& id : s.ids) p.xauth_remote.users.push_back({XauthName(id), s.secret.Clone()});
    }
    if (p.xauth_remote.users.empty()) return "remote XAuth round, but no xauth secrets";
  }
  if (const auto* x = XauthRound(c.local)) {
    // A client answers the gateway's XAuth request with xauth_id (else
    // its IKE identity) and the matching xauth secret.
    p.xauth_local.enabled = true;
    std::optional<conf::Identity> user = x->xauth_id ? x->xauth_id : c.local.front().id;
    if (!user) return "local XAuth round without xauth_id or id";
    p.xauth_local.id = XauthName(*user);
    auto found = config.FindSecrets(conf::SecretType::kXauth, *user);
    if (found.empty()) return "no xauth secret for XAuth user '" + user->text + "'";
    p.xauth_local.secret = found.front()->secret.Clone();
  }
  return "";
}

}  // namespace

engine::Identity MapIdentity(const conf::Identity& id) {
  if (id.kind == conf::Identity::Kind::kAny) return engine::Identity{IdType::kFqdn, {}};
  engine::Identity out{id.id_type(), id.encoding};
  // "*.example.org" / "*@example.org" match by pattern (a DN's '*' RDN does
  // not: the engine compares DNs as bytes).
  out.wildcard = id.has_wildcards && (id.kind == conf::Identity::Kind::kFqdn || id.kind == conf::Identity::Kind::kEmail);
  return out;
}

std::vector<engine::PoolSpec> MapPools(const conf::Config& config) {
  std::vector<engine::PoolSpec> out;
  for (const auto& pool : config.pools) {
    engine::PoolSpec s;
    if (pool.addrs.prefix) {
      s = engine::PoolFromCidr(pool.name, pool.addrs.from, *pool.addrs.prefix);
    } else {
      s.name = pool.name;
      s.first = pool.addrs.from;
      s.last = pool.addrs.to;
    }
    s.dns = pool.dns;
    for (const auto& r : pool.split_include) {
      uint8_t bits = r.from.is_v4() ? 32 : 128;
      s.subnets.emplace_back(r.from, r.prefix.value_or(bits));
    }
    for (const auto& r : pool.subnet) {
      uint8_t bits = r.from.is_v4() ? 32 : 128;
      s.subnets.emplace_back(r.from, r.prefix.value_or(bits));
    }
    out.push_back(std::move(s));
  }
  return out;
}

engine::ProposalList MapProposals(const std::vector<Proposal>& proposals, ProtocolId protocol) {
  engine::ProposalList out;
  uint8_t number = 1;
  for (const auto& p : proposals) {
    engine::Proposal e;
    e.number = number++;
    e.protocol = protocol;
    for (const auto& encr : p.encr) {
      e.transforms.push_back({TransformType::kEncr, static_cast<uint16_t>(encr.id), encr.key_bits});
    }
    if (protocol == ProtocolId::kIke) {
      for (auto prf : p.prf) e.transforms.push_back({TransformType::kPrf, static_cast<uint16_t>(prf), 0});
    }
    for (auto integ : p.integ) e.transforms.push_back({TransformType::kInteg, static_cast<uint16_t>(integ), 0});
    for (auto ke : p.ke) e.transforms.push_back({TransformType::kKe, static_cast<uint16_t>(ke), 0});
    if (protocol != ProtocolId::kIke) {
      if (p.esn.empty()) {
        e.transforms.push_back({TransformType::kEsn, static_cast<uint16_t>(EsnId::kNoEsn), 0});
      }
      for (auto esn : p.esn) e.transforms.push_back({TransformType::kEsn, static_cast<uint16_t>(esn), 0});
    }
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<MappedConnection> MapConfig(const conf::Config& config, std::vector<std::string>& skipped,
                                        const MapOptions& options) {
  std::vector<MappedConnection> out;
  for (const auto& c : config.connections) {
    if (c.local.empty() || c.remote.empty()) {
      skipped.push_back(c.name + ": needs a local and a remote authentication round");
      continue;
    }
    std::string problem = AuthProblem(c.local.front(), true);
    if (problem.empty()) problem = AuthProblem(c.remote.front(), false);
    if (problem.empty() && c.local.front().auth.cls == conf::AuthSpec::Class::kEap &&
        c.remote.front().auth.cls == conf::AuthSpec::Class::kEap) {
      problem = "EAP authenticates a client to a gateway, not both ways";
    }
    if (!problem.empty()) {
      skipped.push_back(c.name + ": " + problem);
      continue;
    }
    MappedConnection m;
    auto& p = m.peer;
    p.name = c.name;
    p.local = MapEndpoint(c.local_addrs, c.local_port, m.notes, "local address");
    p.remote = MapEndpoint(c.remote_addrs, c.remote_port, m.notes, "remote address");
    p.ike_proposals = MapProposals(c.proposals, ProtocolId::kIke);
    if (std::string v1 = MapIkev1(c, config, m); !v1.empty()) {
      skipped.push_back(c.name + ": " + v1);
      continue;
    }
    if ((p.xauth_local.enabled || p.xauth_remote.enabled) && !options.engine_runs_xauth) {
      skipped.push_back(c.name + ": XAuth rounds are not run by the IKEv1 engine yet (a gateway would "
                                 "accept clients without their XAuth credentials)");
      continue;
    }

    const conf::AuthRound& local = c.local.front();
    const conf::AuthRound& remote = c.remote.front();
    std::optional<conf::Identity> local_id = local.id;
    if (!local_id && local.auth.cls == conf::AuthSpec::Class::kPubkey && !local.certs.empty()) {
      // No id: the certificate's subject DN, as swanctl does.
      const auto& cert = config.certificates[local.certs.front()];
      conf::Identity dn;
      dn.kind = conf::Identity::Kind::kDn;
      dn.text = cert.subject;
      dn.encoding = cert.subject_der;
      local_id = dn;
    }
    if (local_id) {
      p.local_auth.id = MapIdentity(*local_id);
    } else if (!p.local.address.IsUnspecified()) {
      p.local_auth.id = engine::Identity::FromAddress(p.local.address);
    }
    p.remote_auth.id = remote.id ? MapIdentity(*remote.id) : engine::Identity{IdType::kFqdn, {}};

    auto fill_psk = [&](engine::AuthConfig& a) {
      a.kind = engine::AuthKind::kPsk;
      // strongSwan picks the secret that names both identities best; ours:
      // a secret naming the remote id, else one naming the local id.
      std::vector<const conf::SharedSecret*> found;
      if (remote.id) found = config.FindSecrets(conf::SecretType::kIke, *remote.id);
      if (found.empty() && local_id) found = config.FindSecrets(conf::SecretType::kIke, *local_id);
      if (!found.empty()) a.psk = found.front()->secret.Clone();
    };
    if (local.auth.cls == conf::AuthSpec::Class::kEap) {
      // A roadwarrior client: EAP-MSCHAPv2 with the secret of our EAP
      // identity (eap_id, else our IKE identity).
      p.local_auth.kind = engine::AuthKind::kEap;
      p.local_auth.eap_method = engine::EapMethod::kMschapv2;
      std::optional<conf::Identity> eap_identity = local.eap_id ? local.eap_id : local_id;
      if (local.eap_id) p.local_auth.eap_id = MapIdentity(*local.eap_id);
      if (local.auth.method == "tls") {
        // EAP-TLS: our certificate and key go into the TLS handshake.
        p.local_auth.eap_method = engine::EapMethod::kTls;
        for (size_t idx : local.certs) p.local_auth.certs.push_back(config.certificates[idx].der);
        const auto* key = local.certs.empty() ? nullptr
                                              : config.FindKeyFor(config.certificates[local.certs.front()]);
        if (!key) {
          skipped.push_back(c.name + ": eap-tls needs a certificate with its private key");
          continue;
        }
        p.local_auth.private_key_der = Bytes(key->pkcs8_der.view().begin(), key->pkcs8_der.view().end());
        eap_identity.reset();
      }
      std::vector<const conf::SharedSecret*> found;
      if (eap_identity) found = config.FindSecrets(conf::SecretType::kEap, *eap_identity);
      if (found.empty() && p.local_auth.eap_method == engine::EapMethod::kMschapv2) {
        skipped.push_back(c.name + ": no EAP secret found for its EAP identity");
        continue;
      }
      if (!found.empty()) p.local_auth.eap_secret = found.front()->secret.Clone();
    } else if (local.auth.cls == conf::AuthSpec::Class::kPsk) {
      fill_psk(p.local_auth);
      if (p.local_auth.psk.empty()) {
        skipped.push_back(c.name + ": no IKE secret found for its identities");
        continue;
      }
    } else {
      p.local_auth.kind = engine::AuthKind::kPubkey;
      for (size_t idx : local.certs) p.local_auth.certs.push_back(config.certificates[idx].der);
      if (!local.certs.empty()) {
        const auto* key = config.FindKeyFor(config.certificates[local.certs.front()]);
        if (!key) {
          skipped.push_back(c.name + ": no private key for certificate " + config.certificates[local.certs.front()].path);
          continue;
        }
        p.local_auth.private_key_der = Bytes(key->pkcs8_der.view().begin(), key->pkcs8_der.view().end());
      }
    }
    if (remote.auth.cls == conf::AuthSpec::Class::kEap) {
      // A gateway: EAP-MSCHAPv2 against the `eap-` secrets, or relayed to
      // RADIUS. eap_id (usually %any) asks the client with EAP-Identity.
      p.remote_auth.kind = engine::AuthKind::kEap;
      p.remote_auth.eap_method = remote.auth.method == "radius" ? engine::EapMethod::kRadius
                                 : remote.auth.method == "tls"  ? engine::EapMethod::kTls
                                                                : engine::EapMethod::kMschapv2;
      // EAP-TLS: the client's certificate is checked against these CAs.
      for (size_t idx : remote.cacerts) p.remote_auth.ca_certs.push_back(config.certificates[idx].der);
      if (remote.cacerts.empty()) {
        for (const auto& cert : config.certificates) {
          if (cert.is_ca || cert.from_ca_dir) p.remote_auth.ca_certs.push_back(cert.der);
        }
      }
      if (remote.eap_id) p.remote_auth.eap_id = MapIdentity(*remote.eap_id);
      for (const auto& s : config.secrets) {
        if (s.type != conf::SecretType::kEap) continue;
        if (s.ids.empty()) p.remote_auth.eap_users.push_back({Bytes{}, s.secret.Clone()});
        for (const auto& id : s.ids) {
          Bytes user = id.kind == conf::Identity::Kind::kAny ? Bytes{} : id.encoding;
          p.remote_auth.eap_users.push_back({user, s.secret.Clone()});
        }
      }
    } else if (remote.auth.cls == conf::AuthSpec::Class::kPsk) {
      fill_psk(p.remote_auth);
    } else {
      p.remote_auth.kind = engine::AuthKind::kPubkey;
      for (size_t idx : remote.cacerts) p.remote_auth.ca_certs.push_back(config.certificates[idx].der);
      if (remote.cacerts.empty()) {
        // Trust anchors: every CA certificate loaded (x509ca/, authorities).
        for (const auto& cert : config.certificates) {
          if (cert.is_ca || cert.from_ca_dir) p.remote_auth.ca_certs.push_back(cert.der);
        }
      }
    }

    for (const auto& ch : c.children) {
      engine::ChildConfig e;
      e.name = ch.name;
      e.local_ts = MapTs(ch.local_ts);
      e.remote_ts = MapTs(ch.remote_ts);
      e.mode = ch.mode == conf::ChildMode::kTransport ? xfrm::Mode::kTransport : xfrm::Mode::kTunnel;
      if (ch.mode != conf::ChildMode::kTunnel && ch.mode != conf::ChildMode::kTransport) {
        m.notes.push_back(ch.name + ": mode " + std::string(conf::ToString(ch.mode)) + " runs as tunnel");
      }
      if (!ch.ah_proposals.empty()) {
        e.protocol = ProtocolId::kAh;
        e.esp_proposals = MapProposals(ch.ah_proposals, ProtocolId::kAh);
      } else {
        e.esp_proposals = MapProposals(ch.esp_proposals, ProtocolId::kEsp);
      }
      e.rekey_time = Ms(ch.rekey_time);
      e.life_time = Ms(ch.life_time);
      e.rand_time = Ms(ch.rand_time);
      e.life_bytes = ch.life_bytes;
      e.life_packets = ch.life_packets;
      e.reqid = ch.reqid;
      e.replay_window = ch.replay_window;
      e.tfc_padding = ch.tfc_padding;
      e.ipcomp = ch.ipcomp;
      e.mark_in = MapMark(ch.mark_in);
      e.mark_out = MapMark(ch.mark_out);
      e.if_id_in = ch.if_id_in.value;
      e.if_id_out = ch.if_id_out.value;
      e.close_action = ch.close_action == conf::CloseAction::kTrap    ? engine::DpdAction::kTrap
                       : ch.close_action == conf::CloseAction::kStart ? engine::DpdAction::kRestart
                                                                      : engine::DpdAction::kNone;
      e.dpd_action = MapDpdAction(ch.dpd_action);
      if (ch.start_action.start) m.start_children.push_back(ch.name);
      if (ch.start_action.trap) m.trap_children.push_back(ch.name);
      p.children.push_back(std::move(e));
    }
    p.dpd_delay = Ms(c.dpd_delay);
    // The IKE_SA's dpd_action: restart if any child asks for it (the IKE_SA
    // comes back with all children), else trap if any child traps.
    p.dpd_action = engine::DpdAction::kClear;
    for (const auto& child : p.children) {
      if (child.dpd_action == engine::DpdAction::kRestart) {
        p.dpd_action = engine::DpdAction::kRestart;
      } else if (child.dpd_action == engine::DpdAction::kTrap &&
                 p.dpd_action != engine::DpdAction::kRestart) {
        p.dpd_action = engine::DpdAction::kTrap;
      }
    }
    p.rekey_time = Ms(c.rekey_time);
    p.reauth_time = Ms(c.reauth_time);
    p.over_time = Ms(c.over_time);
    p.rand_time = Ms(c.rand_time);
    p.fragmentation = c.fragmentation != conf::Fragmentation::kNo;
    p.force_encap = c.encap;
    p.mobike = c.mobike;
    p.send_certreq = c.send_certreq;
    p.keyingtries = c.keyingtries;
    p.unique = c.unique == conf::UniquePolicy::kNever     ? engine::UniquePolicy::kNever
               : c.unique == conf::UniquePolicy::kReplace ? engine::UniquePolicy::kReplace
               : c.unique == conf::UniquePolicy::kKeep    ? engine::UniquePolicy::kKeep
                                                          : engine::UniquePolicy::kNo;
    p.vips = c.vips;
    p.pools = c.pools;
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace ike::charon
