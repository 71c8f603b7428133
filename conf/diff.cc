#include "conf/diff.h"

#include <openssl/evp.h>

#include <algorithm>
#include <map>

namespace ike::conf {
namespace {

using Flat = std::vector<std::pair<std::string, std::string>>;

std::string Num(uint64_t v) { return std::to_string(v); }
std::string Time(Seconds s) { return std::to_string(s.count()) + "s"; }
std::string Bool(bool b) { return b ? "yes" : "no"; }
template <typename E>
std::string Enum(E e) {
  return std::to_string(static_cast<int>(e));
}

template <typename T, typename F>
std::string JoinMap(const std::vector<T>& v, F f) {
  std::string out;
  for (const auto& x : v) {
    if (!out.empty()) out += ",";
    out += f(x);
  }
  return out;
}

std::string Strings(const std::vector<std::string>& v) {
  return JoinMap(v, [](const std::string& s) { return s; });
}

std::string OptId(const std::optional<Identity>& id) {
  if (!id) return "";
  return std::to_string(static_cast<int>(id->kind)) + ":" + ToHex(id->encoding);
}

std::string Fingerprint(ByteView der) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(der.data(), der.size(), md, &len, EVP_sha256(), nullptr);
  return ToHex(ByteView(md, len));
}

std::string CertList(const Config& config, const std::vector<size_t>& indexes,
                     const std::vector<std::string>& names) {
  std::string out = Strings(names);
  for (size_t i : indexes) {
    if (i < config.certificates.size()) out += "|" + Fingerprint(config.certificates[i].der);
  }
  return out;
}

std::map<std::string, std::string> ToMap(const Flat& f) { return {f.begin(), f.end()}; }

std::vector<std::string> ChangedKeys(const Flat& a, const Flat& b) {
  auto ma = ToMap(a), mb = ToMap(b);
  std::vector<std::string> keys;
  for (const auto& [k, v] : ma) {
    auto it = mb.find(k);
    if (it == mb.end() || it->second != v) keys.push_back(k);
  }
  for (const auto& [k, v] : mb) {
    if (!ma.count(k)) keys.push_back(k);
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

std::string_view EntityName(EntityKind e) {
  switch (e) {
    case EntityKind::kConnection: return "connection";
    case EntityKind::kChild: return "child";
    case EntityKind::kPool: return "pool";
    case EntityKind::kSecret: return "secret";
    case EntityKind::kAuthority: return "authority";
    case EntityKind::kPrivateKey: return "private key";
  }
  return "?";
}

Flat FlattenPool(const PoolConfig& p) {
  auto ips = [](const std::vector<IpAddress>& v) {
    return JoinMap(v, [](const IpAddress& a) { return a.ToString(); });
  };
  auto ranges = [](const std::vector<AddressRange>& v) {
    return JoinMap(v, [](const AddressRange& r) { return r.ToString(); });
  };
  Flat f = {{"addrs", p.addrs.ToString()},   {"dns", ips(p.dns)},
            {"nbns", ips(p.nbns)},           {"dhcp", ips(p.dhcp)},
            {"server", ips(p.server)},       {"p_cscf", ips(p.p_cscf)},
            {"netmask", ranges(p.netmask)},  {"subnet", ranges(p.subnet)},
            {"split_include", ranges(p.split_include)},
            {"split_exclude", ranges(p.split_exclude)}};
  for (const auto& [type, values] : p.custom) f.emplace_back(std::to_string(type), Strings(values));
  return f;
}

Flat FlattenAuthority(const Config& c, const AuthorityConfig& a) {
  std::string cacert = a.cacert_file;
  if (a.cacert && *a.cacert < c.certificates.size()) {
    cacert += "|" + Fingerprint(c.certificates[*a.cacert].der);
  }
  return {{"cacert", cacert},
          {"crl_uris", Strings(a.crl_uris)},
          {"ocsp_uris", Strings(a.ocsp_uris)},
          {"cert_uri_base", a.cert_uri_base}};
}

}  // namespace

Flat FlattenChild(const ChildConfig& c) {
  auto ts = [](const std::vector<TrafficSelector>& v) {
    return JoinMap(v, [](const TrafficSelector& t) { return t.ToString(); });
  };
  return {
      {"esp_proposals", ToString(c.esp_proposals)},
      {"ah_proposals", ToString(c.ah_proposals)},
      {"sha256_96", Bool(c.sha256_96)},
      {"local_ts", ts(c.local_ts)},
      {"remote_ts", ts(c.remote_ts)},
      {"rekey_time", Time(c.rekey_time)},
      {"life_time", Time(c.life_time)},
      {"rand_time", Time(c.rand_time)},
      {"rekey_bytes", Num(c.rekey_bytes)},
      {"life_bytes", Num(c.life_bytes)},
      {"rand_bytes", Num(c.rand_bytes)},
      {"rekey_packets", Num(c.rekey_packets)},
      {"life_packets", Num(c.life_packets)},
      {"rand_packets", Num(c.rand_packets)},
      {"updown", c.updown},
      {"hostaccess", Bool(c.hostaccess)},
      {"mode", std::string(ToString(c.mode))},
      {"policies", Bool(c.policies)},
      {"policies_fwd_out", Bool(c.policies_fwd_out)},
      {"dpd_action", std::string(ToString(c.dpd_action))},
      {"ipcomp", Bool(c.ipcomp)},
      {"inactivity", Time(c.inactivity)},
      {"reqid", Num(c.reqid)},
      {"priority", Num(c.priority)},
      {"interface", c.interface},
      {"mark_in", c.mark_in.ToString()},
      {"mark_in_sa", Bool(c.mark_in_sa)},
      {"mark_out", c.mark_out.ToString()},
      {"set_mark_in", c.set_mark_in.ToString()},
      {"set_mark_out", c.set_mark_out.ToString()},
      {"if_id_in", c.if_id_in.ToString()},
      {"if_id_out", c.if_id_out.ToString()},
      {"label", c.label},
      {"label_mode", c.label_mode},
      {"tfc_padding", Num(c.tfc_padding)},
      {"replay_window", Num(c.replay_window)},
      {"per_cpu_sas", Bool(c.per_cpu_sas)},
      {"hw_offload", std::string(ToString(c.hw_offload))},
      {"copy_df", Bool(c.copy_df)},
      {"copy_ecn", Bool(c.copy_ecn)},
      {"copy_dscp", Enum(c.copy_dscp)},
      {"start_action", ToString(c.start_action)},
      {"close_action", std::string(ToString(c.close_action))},
  };
}

Flat FlattenConnection(const Config& config, const ConnectionConfig& c) {
  auto addrs = [](const std::vector<AddressSpec>& v) {
    return JoinMap(v, [](const AddressSpec& a) { return a.ToString(); });
  };
  Flat f = {
      {"version", Num(c.version)},
      {"local_addrs", addrs(c.local_addrs)},
      {"remote_addrs", addrs(c.remote_addrs)},
      {"local_port", Num(c.local_port)},
      {"remote_port", Num(c.remote_port)},
      {"proposals", ToString(c.proposals)},
      {"vips", JoinMap(c.vips, [](const IpAddress& a) { return a.ToString(); })},
      {"aggressive", Bool(c.aggressive)},
      {"pull", Bool(c.pull)},
      {"dscp", Num(c.dscp)},
      {"encap", Bool(c.encap)},
      {"mobike", Bool(c.mobike)},
      {"dpd_delay", Time(c.dpd_delay)},
      {"dpd_timeout", Time(c.dpd_timeout)},
      {"fragmentation", std::string(ToString(c.fragmentation))},
      {"childless", Enum(c.childless)},
      {"send_certreq", Bool(c.send_certreq)},
      {"send_cert", std::string(ToString(c.send_cert))},
      {"ocsp", Enum(c.ocsp)},
      {"ppk_id", OptId(c.ppk_id)},
      {"ppk_required", Bool(c.ppk_required)},
      {"keyingtries", Num(c.keyingtries)},
      {"unique", std::string(ToString(c.unique))},
      {"reauth_time", Time(c.reauth_time)},
      {"rekey_time", Time(c.rekey_time)},
      {"over_time", Time(c.over_time)},
      {"rand_time", Time(c.rand_time)},
      {"pools", Strings(c.pools)},
      {"if_id_in", c.if_id_in.ToString()},
      {"if_id_out", c.if_id_out.ToString()},
      {"mediation", Bool(c.mediation)},
      {"mediated_by", c.mediated_by},
      {"mediation_peer", OptId(c.mediation_peer)},
  };
  for (const auto* rounds : {&c.local, &c.remote}) {
    for (const auto& r : *rounds) {
      const std::string p = r.section + ".";
      f.emplace_back(p + "round", Num(r.round));
      f.emplace_back(p + "auth", r.auth.text.empty() ? std::string(ToString(r.auth.cls)) : r.auth.text);
      f.emplace_back(p + "id", OptId(r.id));
      f.emplace_back(p + "eap_id", OptId(r.eap_id));
      f.emplace_back(p + "aaa_id", OptId(r.aaa_id));
      f.emplace_back(p + "xauth_id", OptId(r.xauth_id));
      f.emplace_back(p + "groups", Strings(r.groups));
      f.emplace_back(p + "cert_policy", Strings(r.cert_policy));
      f.emplace_back(p + "ca_id", r.ca_id);
      f.emplace_back(p + "revocation", Enum(r.revocation));
      f.emplace_back(p + "certs", CertList(config, r.certs, r.cert_files));
      f.emplace_back(p + "cacerts", CertList(config, r.cacerts, r.cacert_files));
      f.emplace_back(p + "pubkeys", Strings(r.pubkeys));
    }
  }
  return f;
}

std::string Change::ToString() const {
  std::string out(EntityName(entity));
  out += " ";
  if (!parent.empty()) out += parent + "/";
  out += name + ": ";
  switch (kind) {
    case ChangeKind::kAdded: return out + "added";
    case ChangeKind::kRemoved: return out + "removed";
    case ChangeKind::kRenamed: return out + "renamed from " + old_name;
    case ChangeKind::kChanged: break;
  }
  out += "changed (";
  for (size_t i = 0; i < keys.size(); ++i) {
    if (i) out += ", ";
    out += keys[i];
  }
  return out + ")";
}

std::vector<Change> Diff(const Config& old_config, const Config& new_config) {
  std::vector<Change> out;
  // Connections: a removed connection whose settings and children equal an
  // added one is a rename.
  auto children_flat = [](const ConnectionConfig& c) {
    std::map<std::string, Flat> m;
    for (const auto& ch : c.children) m[ch.name] = FlattenChild(ch);
    return m;
  };
  std::vector<const ConnectionConfig*> removed, added;
  for (const auto& o : old_config.connections) {
    if (new_config.FindConnection(o.name) == nullptr) removed.push_back(&o);
  }
  for (const auto& n : new_config.connections) {
    if (old_config.FindConnection(n.name) == nullptr) added.push_back(&n);
  }
  std::vector<bool> added_used(added.size(), false);
  for (const auto* r : removed) {
    bool renamed = false;
    for (size_t i = 0; i < added.size(); ++i) {
      if (added_used[i]) continue;
      if (FlattenConnection(old_config, *r) == FlattenConnection(new_config, *added[i]) &&
          children_flat(*r) == children_flat(*added[i])) {
        added_used[i] = true;
        out.push_back({EntityKind::kConnection, ChangeKind::kRenamed, added[i]->name, "", r->name, {}});
        renamed = true;
        break;
      }
    }
    if (!renamed) out.push_back({EntityKind::kConnection, ChangeKind::kRemoved, r->name, "", "", {}});
  }
  for (const auto& n : new_config.connections) {
    const ConnectionConfig* o = old_config.FindConnection(n.name);
    if (o == nullptr) {
      for (size_t i = 0; i < added.size(); ++i) {
        if (added[i] == &n && !added_used[i]) {
          out.push_back({EntityKind::kConnection, ChangeKind::kAdded, n.name, "", "", {}});
        }
      }
      continue;
    }
    auto keys = ChangedKeys(FlattenConnection(old_config, *o), FlattenConnection(new_config, n));
    if (!keys.empty()) {
      out.push_back({EntityKind::kConnection, ChangeKind::kChanged, n.name, "", "", keys});
    }
    for (const auto& oc : o->children) {
      if (n.FindChild(oc.name) == nullptr) {
        out.push_back({EntityKind::kChild, ChangeKind::kRemoved, oc.name, n.name, "", {}});
      }
    }
    for (const auto& nc : n.children) {
      const ChildConfig* oc = o->FindChild(nc.name);
      if (oc == nullptr) {
        out.push_back({EntityKind::kChild, ChangeKind::kAdded, nc.name, n.name, "", {}});
        continue;
      }
      auto ck = ChangedKeys(FlattenChild(*oc), FlattenChild(nc));
      if (!ck.empty()) out.push_back({EntityKind::kChild, ChangeKind::kChanged, nc.name, n.name, "", ck});
    }
  }
  // Pools.
  for (const auto& o : old_config.pools) {
    if (new_config.FindPool(o.name) == nullptr) {
      out.push_back({EntityKind::kPool, ChangeKind::kRemoved, o.name, "", "", {}});
    }
  }
  for (const auto& n : new_config.pools) {
    const PoolConfig* o = old_config.FindPool(n.name);
    if (o == nullptr) {
      out.push_back({EntityKind::kPool, ChangeKind::kAdded, n.name, "", "", {}});
      continue;
    }
    auto keys = ChangedKeys(FlattenPool(*o), FlattenPool(n));
    if (!keys.empty()) out.push_back({EntityKind::kPool, ChangeKind::kChanged, n.name, "", "", keys});
  }
  // Secrets.
  auto find_secret = [](const Config& c, const std::string& name) -> const SharedSecret* {
    for (const auto& s : c.secrets) {
      if (s.name == name) return &s;
    }
    return nullptr;
  };
  for (const auto& o : old_config.secrets) {
    if (find_secret(new_config, o.name) == nullptr) {
      out.push_back({EntityKind::kSecret, ChangeKind::kRemoved, o.name, "", "", {}});
    }
  }
  for (const auto& n : new_config.secrets) {
    const SharedSecret* o = find_secret(old_config, n.name);
    if (o == nullptr) {
      out.push_back({EntityKind::kSecret, ChangeKind::kAdded, n.name, "", "", {}});
      continue;
    }
    std::vector<std::string> keys;
    if (o->ids != n.ids) keys.push_back("id");
    if (!ConstantTimeEqual(o->secret.view(), n.secret.view())) keys.push_back("secret");
    if (o->type != n.type) keys.push_back("type");
    if (!keys.empty()) out.push_back({EntityKind::kSecret, ChangeKind::kChanged, n.name, "", "", keys});
  }
  // Authorities.
  auto find_auth = [](const Config& c, const std::string& name) -> const AuthorityConfig* {
    for (const auto& a : c.authorities) {
      if (a.name == name) return &a;
    }
    return nullptr;
  };
  for (const auto& o : old_config.authorities) {
    if (find_auth(new_config, o.name) == nullptr) {
      out.push_back({EntityKind::kAuthority, ChangeKind::kRemoved, o.name, "", "", {}});
    }
  }
  for (const auto& n : new_config.authorities) {
    const AuthorityConfig* o = find_auth(old_config, n.name);
    if (o == nullptr) {
      out.push_back({EntityKind::kAuthority, ChangeKind::kAdded, n.name, "", "", {}});
      continue;
    }
    auto keys = ChangedKeys(FlattenAuthority(old_config, *o), FlattenAuthority(new_config, n));
    if (!keys.empty()) {
      out.push_back({EntityKind::kAuthority, ChangeKind::kChanged, n.name, "", "", keys});
    }
  }
  // Private keys, by file.
  auto find_key = [](const Config& c, const std::string& path) -> const PrivateKey* {
    for (const auto& k : c.private_keys) {
      if (k.path == path) return &k;
    }
    return nullptr;
  };
  for (const auto& o : old_config.private_keys) {
    if (find_key(new_config, o.path) == nullptr) {
      out.push_back({EntityKind::kPrivateKey, ChangeKind::kRemoved, o.path, "", "", {}});
    }
  }
  for (const auto& n : new_config.private_keys) {
    const PrivateKey* o = find_key(old_config, n.path);
    if (o == nullptr) {
      out.push_back({EntityKind::kPrivateKey, ChangeKind::kAdded, n.path, "", "", {}});
    } else if (!ConstantTimeEqual(o->pkcs8_der.view(), n.pkcs8_der.view())) {
      out.push_back({EntityKind::kPrivateKey, ChangeKind::kChanged, n.path, "", "", {"key"}});
    }
  }
  return out;
}

}  // namespace ike::conf
