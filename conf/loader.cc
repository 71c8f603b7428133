// The typed pass: walks the generic tree against the schema of the
// swanctl.conf key tree (the Rule tables below), reporting every unknown key,
// every bad value and every parsed-but-unsupported key, and builds Config.
#include "conf/loader.h"

#include <openssl/crypto.h>
#include <sys/stat.h>

#include <algorithm>
#include <ctime>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "conf/credentials.h"
#include "conf/radius.h"

namespace ike::conf {
namespace {

enum class Support : uint8_t { kSupported, kParsedOnly };

struct Ctx {
  Diagnostics& diags;
  std::string current_key;  // full key of the setting being handled
};

// A handler returns an error message, or an empty string on success.
template <typename T>
using Handler = std::function<std::string(T&, const AstSetting&, Ctx&)>;

template <typename T>
struct Rule {
  std::string_view key;
  Support support;
  Handler<T> fn;
  std::string_view note = {};  // for kParsedOnly: what happens instead
};

std::string Join(const std::string& a, std::string_view b) {
  return a.empty() ? std::string(b) : a + "." + std::string(b);
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

template <typename T>
Handler<T> TimeField(Seconds T::*m) {
  return [m](T& t, const AstSetting& s, Ctx&) -> std::string {
    auto r = ParseTime(s.value);
    if (!r) return r.error();
    t.*m = *r;
    return {};
  };
}
template <typename T>
Handler<T> BoolField(bool T::*m) {
  return [m](T& t, const AstSetting& s, Ctx&) -> std::string {
    auto r = ParseBool(s.value);
    if (!r) return r.error();
    t.*m = *r;
    return {};
  };
}
template <typename T>
Handler<T> CountField(uint64_t T::*m) {
  return [m](T& t, const AstSetting& s, Ctx&) -> std::string {
    auto r = ParseCount(s.value);
    if (!r) return r.error();
    t.*m = *r;
    return {};
  };
}
template <typename T, typename U>
Handler<T> UintField(U T::*m, uint64_t max) {
  return [m, max](T& t, const AstSetting& s, Ctx&) -> std::string {
    auto r = ParseUint(s.value, max);
    if (!r) return r.error();
    t.*m = static_cast<U>(*r);
    return {};
  };
}
template <typename T>
Handler<T> StringField(std::string T::*m) {
  return [m](T& t, const AstSetting& s, Ctx&) -> std::string {
    t.*m = s.value;
    return {};
  };
}
template <typename T>
Handler<T> ListField(std::vector<std::string> T::*m) {
  return [m](T& t, const AstSetting& s, Ctx&) -> std::string {
    t.*m = SplitList(s.value);
    return {};
  };
}
template <typename T, typename E>
Handler<T> EnumField(E T::*m, std::vector<std::pair<std::string_view, E>> table) {
  return [m, table](T& t, const AstSetting& s, Ctx&) -> std::string {
    std::string v = Lower(s.value);
    std::string expected;
    for (const auto& [name, value] : table) {
      if (name == v) {
        t.*m = value;
        return {};
      }
      if (!expected.empty()) expected += ", ";
      expected += name;
    }
    return "invalid value '" + s.value + "' (expected one of: " + expected + ")";
  };
}
template <typename T>
Handler<T> IdentityField(std::optional<Identity> T::*m) {
  return [m](T& t, const AstSetting& s, Ctx&) -> std::string {
    auto r = ParseIdentity(s.value);
    if (!r) return r.error();
    t.*m = std::move(*r);
    return {};
  };
}
template <typename T>
Handler<T> MarkField(Mark T::*m, bool allow_same) {
  return [m, allow_same](T& t, const AstSetting& s, Ctx&) -> std::string {
    auto r = ParseMark(s.value, allow_same);
    if (!r) return r.error();
    t.*m = *r;
    return {};
  };
}
template <typename T>
Handler<T> IfIdField(IfId T::*m) {
  return [m](T& t, const AstSetting& s, Ctx&) -> std::string {
    auto r = ParseIfId(s.value);
    if (!r) return r.error();
    t.*m = *r;
    return {};
  };
}
// The keywords of `proposals` that are weak by today's standards (RFC 8247,
// RFC 8221: single DES and 3DES, MD5, SHA-1 integrity and PRF, MODP groups
// under 2048 bits), comma separated, each once; empty when there are none.
// Old IKEv1 clients still need some of them, so they are only warned about.
std::string WeakAlgorithms(const std::vector<Proposal>& proposals) {
  std::vector<std::string> names;
  auto add = [&](std::string name) {
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(std::move(name));
  };
  for (const auto& p : proposals) {
    for (const auto& e : p.encr) {
      if (e.id == EncrId::k3Des || e.id == EncrId::kDes) add(EncrKeyword(e));
    }
    for (auto i : p.integ) {
      if (i == IntegId::kHmacSha1_96 || i == IntegId::kHmacSha1_160 || i == IntegId::kHmacMd5_96) {
        add(IntegKeyword(i));
      }
    }
    for (auto f : p.prf) {
      if (f == PrfId::kHmacSha1 || f == PrfId::kHmacMd5) add(PrfKeyword(f));
    }
    for (auto g : p.ke) {
      if (g == KeGroup::kModp768 || g == KeGroup::kModp1024 || g == KeGroup::kModp1536 ||
          g == KeGroup::kModp1024s160) {
        add(KeKeyword(g));
      }
    }
  }
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

Result<std::vector<Proposal>, std::string> ProposalsValue(const AstSetting& s, ProposalKind kind,
                                                          Ctx& ctx) {
  const std::string& key = ctx.current_key;
  std::string list = s.value;
  if (StripStrictSuffix(list)) {
    ctx.diags.Warning(s.loc, key,
                      "the trailing '!' is ipsec.conf syntax; swanctl proposal lists are always "
                      "strict, it is ignored");
  }
  auto r = ParseProposals(list, kind);
  if (!r) return MakeUnexpected(r.error().message);
  std::string weak = WeakAlgorithms(*r);
  if (!weak.empty()) {
    ctx.diags.Warning(s.loc, key,
                      "weak algorithm(s) " + weak +
                          ": negotiated only because they are configured here; keep them for "
                          "peers that cannot do better (never part of the default proposals)");
  }
  return std::move(*r);
}

// Applies the rules to the settings of `section`; returns the set of keys seen.
template <typename T>
std::set<std::string> ApplyRules(const std::vector<Rule<T>>& rules, const AstSection& section,
                                 const std::string& path, T& target, Ctx& ctx,
                                 const std::function<bool(const AstSetting&)>& extra = {}) {
  std::set<std::string> seen;
  std::map<std::string, int> first_line;
  for (const auto& s : section.settings) {
    const std::string key = Join(path, s.key);
    const Rule<T>* rule = nullptr;
    for (const auto& r : rules) {
      if (r.key == s.key) {
        rule = &r;
        break;
      }
    }
    if (rule == nullptr) {
      if (extra && extra(s)) continue;
      ctx.diags.Error(s.loc, key, "unknown key '" + s.key + "'");
      continue;
    }
    if (auto it = first_line.find(s.key); it != first_line.end()) {
      ctx.diags.Warning(s.loc, key,
                        "overrides the value set at line " + std::to_string(it->second));
    } else {
      first_line[s.key] = s.loc.line;
    }
    ctx.current_key = key;
    std::string err = rule->fn(target, s, ctx);
    if (!err.empty()) {
      ctx.diags.Error(s.loc, key, err);
      continue;
    }
    seen.insert(s.key);
    if (rule->support == Support::kParsedOnly) {
      std::string note = rule->note.empty() ? "ignored" : std::string(rule->note);
      ctx.diags.Warning(s.loc, key, "parsed but not yet supported (" + note + ")");
    }
  }
  return seen;
}

// ---- children ----

std::string DpdLike(std::string_view v, DpdAction& out) {
  std::string l = Lower(v);
  if (l == "clear" || l == "none") {
    out = DpdAction::kClear;
  } else if (l == "trap" || l == "route" || l == "hold") {
    out = DpdAction::kTrap;
  } else if (l == "restart" || l == "start") {
    out = DpdAction::kRestart;
  } else {
    return "invalid value '" + std::string(v) + "' (expected one of: clear, trap, restart)";
  }
  return {};
}

const std::vector<Rule<ChildConfig>>& ChildRules() {
  using C = ChildConfig;
  static const std::vector<Rule<C>> rules = {
      {"esp_proposals", Support::kSupported,
       [](C& c, const AstSetting& s, Ctx& ctx) -> std::string {
         auto r = ProposalsValue(s, ProposalKind::kEsp, ctx);
         if (!r) return r.error();
         c.esp_proposals = std::move(*r);
         return {};
       }},
      {"ah_proposals", Support::kSupported,
       [](C& c, const AstSetting& s, Ctx& ctx) -> std::string {
         auto r = ProposalsValue(s, ProposalKind::kAh, ctx);
         if (!r) return r.error();
         c.ah_proposals = std::move(*r);
         return {};
       }},
      {"sha256_96", Support::kParsedOnly, BoolField(&C::sha256_96), "HMAC-SHA-256 uses 128-bit ICVs"},
      {"local_ts", Support::kSupported,
       [](C& c, const AstSetting& s, Ctx&) -> std::string {
         c.local_ts.clear();
         for (const auto& item : SplitList(s.value)) {
           auto r = ParseTrafficSelector(item);
           if (!r) return r.error();
           c.local_ts.insert(c.local_ts.end(), r->begin(), r->end());
         }
         if (c.local_ts.empty()) return "empty traffic selector list";
         return {};
       }},
      {"remote_ts", Support::kSupported,
       [](C& c, const AstSetting& s, Ctx&) -> std::string {
         c.remote_ts.clear();
         for (const auto& item : SplitList(s.value)) {
           auto r = ParseTrafficSelector(item);
           if (!r) return r.error();
           c.remote_ts.insert(c.remote_ts.end(), r->begin(), r->end());
         }
         if (c.remote_ts.empty()) return "empty traffic selector list";
         return {};
       }},
      {"rekey_time", Support::kSupported, TimeField(&C::rekey_time)},
      {"life_time", Support::kSupported, TimeField(&C::life_time)},
      {"rand_time", Support::kSupported, TimeField(&C::rand_time)},
      {"rekey_bytes", Support::kSupported, CountField(&C::rekey_bytes)},
      {"life_bytes", Support::kSupported, CountField(&C::life_bytes)},
      {"rand_bytes", Support::kSupported, CountField(&C::rand_bytes)},
      {"rekey_packets", Support::kSupported, CountField(&C::rekey_packets)},
      {"life_packets", Support::kSupported, CountField(&C::life_packets)},
      {"rand_packets", Support::kSupported, CountField(&C::rand_packets)},
      {"updown", Support::kSupported, StringField(&C::updown)},
      {"hostaccess", Support::kParsedOnly, BoolField(&C::hostaccess), "no extra host-access rules"},
      {"mode", Support::kSupported,
       EnumField<C, ChildMode>(&C::mode, {{"tunnel", ChildMode::kTunnel},
                                          {"transport", ChildMode::kTransport},
                                          {"transport_proxy", ChildMode::kTransportProxy},
                                          {"iptfs", ChildMode::kIptfs},
                                          {"beet", ChildMode::kBeet},
                                          {"pass", ChildMode::kPass},
                                          {"drop", ChildMode::kDrop}})},
      {"policies", Support::kSupported, BoolField(&C::policies)},
      {"policies_fwd_out", Support::kParsedOnly, BoolField(&C::policies_fwd_out),
       "no outbound FWD policies"},
      {"dpd_action", Support::kSupported,
       [](C& c, const AstSetting& s, Ctx&) { return DpdLike(s.value, c.dpd_action); }},
      {"ipcomp", Support::kParsedOnly, BoolField(&C::ipcomp), "IPComp is not proposed"},
      {"inactivity", Support::kSupported, TimeField(&C::inactivity)},
      {"reqid", Support::kSupported, UintField(&C::reqid, 0xffffffff)},
      {"priority", Support::kSupported, UintField(&C::priority, 0xffffffff)},
      {"interface", Support::kParsedOnly, StringField(&C::interface), "policies are not bound to an interface"},
      {"mark_in", Support::kSupported, MarkField(&C::mark_in, false)},
      {"mark_in_sa", Support::kParsedOnly, BoolField(&C::mark_in_sa), "the inbound SA has no mark"},
      {"mark_out", Support::kSupported, MarkField(&C::mark_out, false)},
      {"set_mark_in", Support::kParsedOnly, MarkField(&C::set_mark_in, true), "no output mark is set"},
      {"set_mark_out", Support::kParsedOnly, MarkField(&C::set_mark_out, true), "no output mark is set"},
      {"if_id_in", Support::kSupported, IfIdField(&C::if_id_in)},
      {"if_id_out", Support::kSupported, IfIdField(&C::if_id_out)},
      {"label", Support::kParsedOnly, StringField(&C::label), "no security label is negotiated"},
      {"label_mode", Support::kParsedOnly, StringField(&C::label_mode), "no security label is negotiated"},
      {"tfc_padding", Support::kSupported,
       [](C& c, const AstSetting& s, Ctx&) -> std::string {
         if (Lower(s.value) == "mtu") {
           c.tfc_padding = 0xffffffff;
           return {};
         }
         auto r = ParseUint(s.value, 65535);
         if (!r) return r.error();
         c.tfc_padding = static_cast<uint32_t>(*r);
         return {};
       }},
      {"replay_window", Support::kSupported, UintField(&C::replay_window, 0xffffffff)},
      {"per_cpu_sas", Support::kParsedOnly, BoolField(&C::per_cpu_sas), "one SA pair per child"},
      {"hw_offload", Support::kSupported,
       EnumField<C, HwOffload>(&C::hw_offload, {{"no", HwOffload::kNo},
                                                {"yes", HwOffload::kCrypto},
                                                {"crypto", HwOffload::kCrypto},
                                                {"packet", HwOffload::kPacket},
                                                {"auto", HwOffload::kAuto}})},
      {"copy_df", Support::kParsedOnly, BoolField(&C::copy_df), "the kernel default applies"},
      {"copy_ecn", Support::kParsedOnly, BoolField(&C::copy_ecn), "the kernel default applies"},
      {"copy_dscp", Support::kParsedOnly,
       EnumField<C, CopyDscp>(&C::copy_dscp, {{"out", CopyDscp::kOut},
                                              {"in", CopyDscp::kIn},
                                              {"yes", CopyDscp::kYes},
                                              {"no", CopyDscp::kNo}}),
       "the kernel default applies"},
      {"icmp", Support::kParsedOnly,
       [](C&, const AstSetting& s, Ctx&) -> std::string {
         auto r = ParseBool(s.value);
         return r ? std::string() : r.error();
       },
       "ignored"},
      {"start_action", Support::kSupported,
       [](C& c, const AstSetting& s, Ctx&) -> std::string {
         StartAction a;
         std::string v = Lower(s.value);
         if (v == "none") {
         } else if (v == "trap" || v == "route") {
           a.trap = true;
         } else if (v == "start") {
           a.start = true;
         } else if (v == "trap|start" || v == "start|trap") {
           a.trap = a.start = true;
         } else {
           return "invalid value '" + s.value + "' (expected one of: none, trap, start, trap|start)";
         }
         c.start_action = a;
         return {};
       }},
      {"close_action", Support::kSupported,
       [](C& c, const AstSetting& s, Ctx&) -> std::string {
         std::string v = Lower(s.value);
         if (v == "none" || v == "clear") {
           c.close_action = CloseAction::kNone;
         } else if (v == "trap" || v == "route" || v == "hold") {
           c.close_action = CloseAction::kTrap;
         } else if (v == "start" || v == "restart") {
           c.close_action = CloseAction::kStart;
         } else {
           return "invalid value '" + s.value + "' (expected one of: none, trap, start)";
         }
         return {};
       }},
  };
  return rules;
}

void FinishLifetimes(Seconds& rekey, Seconds& life, Seconds& rand, bool has_life, bool has_rand) {
  if (!has_life) life = Seconds(rekey.count() * 11 / 10);
  if (!has_rand) rand = life > rekey ? life - rekey : Seconds(0);
}
void FinishCounts(uint64_t& rekey, uint64_t& life, uint64_t& rand, bool has_life, bool has_rand) {
  if (!has_life) life = rekey / 10 * 11 + (rekey % 10) * 11 / 10;
  if (!has_rand) rand = life > rekey ? life - rekey : 0;
}

ChildConfig BuildChild(const AstSection& sec, const std::string& path, const ConnectionConfig& conn,
                       Ctx& ctx) {
  ChildConfig c;
  c.name = sec.name;
  c.loc = sec.loc;
  c.if_id_in = conn.if_id_in;
  c.if_id_out = conn.if_id_out;
  auto seen = ApplyRules(ChildRules(), sec, path, c, ctx);
  for (const auto& sub : sec.sections) {
    ctx.diags.Error(sub.loc, Join(path, sub.name), "unknown section '" + sub.name + "'");
  }
  if (!seen.count("esp_proposals") && !seen.count("ah_proposals")) {
    c.esp_proposals = DefaultProposals(ProposalKind::kEsp);
  }
  TrafficSelector dyn;
  dyn.dynamic = true;
  if (c.local_ts.empty()) c.local_ts.push_back(dyn);
  if (c.remote_ts.empty()) c.remote_ts.push_back(dyn);
  FinishLifetimes(c.rekey_time, c.life_time, c.rand_time, seen.count("life_time"),
                  seen.count("rand_time"));
  FinishCounts(c.rekey_bytes, c.life_bytes, c.rand_bytes, seen.count("life_bytes"),
               seen.count("rand_bytes"));
  FinishCounts(c.rekey_packets, c.life_packets, c.rand_packets, seen.count("life_packets"),
               seen.count("rand_packets"));
  if (seen.count("life_time") && c.rekey_time.count() != 0 && c.life_time.count() != 0 &&
      c.life_time <= c.rekey_time) {
    ctx.diags.Error(sec.loc, Join(path, "life_time"),
                    "life_time (" + std::to_string(c.life_time.count()) +
                        "s) must be greater than rekey_time (" +
                        std::to_string(c.rekey_time.count()) + "s)");
  }
  if (c.mode == ChildMode::kIptfs || c.mode == ChildMode::kBeet ||
      c.mode == ChildMode::kTransportProxy) {
    ctx.diags.Warning(sec.loc, Join(path, "mode"),
                      "mode " + std::string(ToString(c.mode)) +
                          " is parsed but not yet supported (the child will fail to install)");
  }
  return c;
}

// ---- authentication rounds ----

Result<AuthSpec, std::string> ParseAuth(std::string_view text) {
  AuthSpec a;
  a.text = std::string(text);
  std::string v = Lower(text);
  if (v.rfind("ike:", 0) == 0) {
    a.ike_only = true;
    v = v.substr(4);
  }
  auto head = v.substr(0, v.find_first_of("-/"));
  std::string rest = v.size() > head.size() ? v.substr(head.size() + 1) : "";
  if (head == "psk" && rest.empty()) {
    a.cls = AuthSpec::Class::kPsk;
  } else if (head == "null" && rest.empty()) {
    a.cls = AuthSpec::Class::kNull;
  } else if (head == "pubkey" || head == "rsa" || head == "ecdsa" || head == "ed25519" ||
             head == "ed448") {
    a.cls = AuthSpec::Class::kPubkey;
    if (v != "pubkey") a.constraints = v;
  } else if (head == "eap" && !a.ike_only) {
    static const std::set<std::string> kMethods = {
        "",    "md5", "mschapv2", "tls",   "ttls",    "peap",     "gtc",    "dynamic",
        "radius", "sim", "aka", "aka'", "sim-file", "identity", "tnc", "radius-proxy"};
    if (!kMethods.count(rest) && rest.find_first_not_of("0123456789-") != std::string::npos) {
      return MakeUnexpected("unknown EAP method '" + rest + "'");
    }
    a.cls = AuthSpec::Class::kEap;
    a.method = rest;
  } else if (head == "xauth" && !a.ike_only) {
    a.cls = AuthSpec::Class::kXauth;
    a.method = rest;
  } else {
    return MakeUnexpected("unknown authentication method '" + std::string(text) +
                          "' (expected pubkey, psk, eap[-method], xauth[-backend] or null)");
  }
  return a;
}

std::vector<Rule<AuthRound>> AuthRules(bool local) {
  using A = AuthRound;
  std::vector<Rule<A>> rules = {
      {"round", Support::kSupported, UintField(&A::round, 1000)},
      {"auth", Support::kSupported,
       [](A& a, const AstSetting& s, Ctx&) -> std::string {
         auto r = ParseAuth(s.value);
         if (!r) return r.error();
         a.auth = std::move(*r);
         return {};
       }},
      {"id", Support::kSupported, IdentityField(&A::id)},
      {"eap_id", Support::kSupported, IdentityField(&A::eap_id)},
      {"certs", Support::kSupported, [](A&, const AstSetting&, Ctx&) { return std::string(); }},
      {"pubkeys", Support::kParsedOnly, ListField(&A::pubkeys), "raw public keys are not loaded"},
  };
  if (local) {
    rules.push_back({"aaa_id", Support::kParsedOnly, IdentityField(&A::aaa_id), "no AAA backend"});
    rules.push_back({"xauth_id", Support::kSupported, IdentityField(&A::xauth_id)});
  } else {
    rules.push_back({"cacerts", Support::kSupported,
                     [](A&, const AstSetting&, Ctx&) { return std::string(); }});
    rules.push_back({"groups", Support::kParsedOnly, ListField(&A::groups), "group membership is not checked"});
    rules.push_back({"cert_policy", Support::kParsedOnly, ListField(&A::cert_policy),
                     "certificate policies are not checked"});
    rules.push_back({"ca_id", Support::kParsedOnly, StringField(&A::ca_id), "ignored"});
    rules.push_back({"revocation", Support::kSupported,
                     EnumField<A, Revocation>(&A::revocation, {{"relaxed", Revocation::kRelaxed},
                                                               {"strict", Revocation::kStrict},
                                                               {"ifuri", Revocation::kIfUri}})});
  }
  return rules;
}

struct PendingCertRef {
  size_t conn;
  bool local;
  std::string round;
  bool ca;
  std::vector<std::string> files;
  Location loc;
  std::string key;
};

AuthRound BuildAuthRound(const AstSection& sec, const std::string& path, bool local,
                         unsigned order, Ctx& ctx, std::vector<PendingCertRef>& refs,
                         size_t conn_index) {
  AuthRound a;
  a.section = sec.name;
  a.loc = sec.loc;
  a.round = order;
  static const std::vector<Rule<AuthRound>> kLocal = AuthRules(true);
  static const std::vector<Rule<AuthRound>> kRemote = AuthRules(false);
  ApplyRules(local ? kLocal : kRemote, sec, path, a, ctx);
  for (const auto& s : sec.settings) {
    if (s.key == "certs" || s.key == "cacerts") {
      refs.push_back({conn_index, local, sec.name, s.key == "cacerts", SplitList(s.value),
                      s.loc, Join(path, s.key)});
    }
  }
  for (const auto& sub : sec.sections) {
    const std::string sub_path = Join(path, sub.name);
    if (sub.name.rfind("cert", 0) == 0 || (!local && sub.name.rfind("cacert", 0) == 0)) {
      ctx.diags.Warning(sub.loc, sub_path,
                        "certificates from tokens (file/handle/slot/module) are parsed but not "
                        "yet supported (ignored)");
      for (const auto& s : sub.settings) {
        if (s.key != "file" && s.key != "handle" && s.key != "slot" && s.key != "module") {
          ctx.diags.Error(s.loc, Join(sub_path, s.key), "unknown key '" + s.key + "'");
        }
      }
      continue;
    }
    ctx.diags.Error(sub.loc, sub_path, "unknown section '" + sub.name + "'");
  }
  if (!local && !a.id) a.id = ParseIdentity("%any").value();
  return a;
}

// ---- connections ----

const std::vector<Rule<ConnectionConfig>>& ConnectionRules() {
  using C = ConnectionConfig;
  static const std::vector<Rule<C>> rules = {
      {"version", Support::kSupported, UintField(&C::version, 2)},
      {"local_addrs", Support::kSupported,
       [](C& c, const AstSetting& s, Ctx&) -> std::string {
         c.local_addrs.clear();
         for (const auto& item : SplitList(s.value)) {
           auto r = ParseAddressSpec(item);
           if (!r) return r.error();
           c.local_addrs.push_back(*r);
         }
         return {};
       }},
      {"remote_addrs", Support::kSupported,
       [](C& c, const AstSetting& s, Ctx&) -> std::string {
         c.remote_addrs.clear();
         for (const auto& item : SplitList(s.value)) {
           auto r = ParseAddressSpec(item);
           if (!r) return r.error();
           c.remote_addrs.push_back(*r);
         }
         return {};
       }},
      {"local_port", Support::kSupported, UintField(&C::local_port, 65535)},
      {"remote_port", Support::kSupported, UintField(&C::remote_port, 65535)},
      {"proposals", Support::kSupported,
       [](C& c, const AstSetting& s, Ctx& ctx) -> std::string {
         auto r = ProposalsValue(s, ProposalKind::kIke, ctx);
         if (!r) return r.error();
         c.proposals = std::move(*r);
         return {};
       }},
      {"vips", Support::kSupported,
       [](C& c, const AstSetting& s, Ctx&) -> std::string {
         c.vips.clear();
         for (const auto& item : SplitList(s.value)) {
           auto a = IpAddress::Parse(item);
           if (!a) return "invalid virtual IP '" + item + "' (use 0.0.0.0 or :: to request one)";
           c.vips.push_back(*a);
         }
         return {};
       }},
      {"aggressive", Support::kSupported, BoolField(&C::aggressive)},
      {"pull", Support::kSupported, BoolField(&C::pull)},
      {"dscp", Support::kParsedOnly,
       [](C& c, const AstSetting& s, Ctx&) -> std::string {
         if (s.value.empty() || s.value.size() > 6 ||
             s.value.find_first_not_of("01") != std::string::npos) {
           return "invalid DSCP '" + s.value + "' (expected up to 6 binary digits, e.g. 101110)";
         }
         c.dscp = static_cast<uint8_t>(std::stoul(s.value, nullptr, 2));
         return {};
       },
       "IKE packets are sent with DSCP 0"},
      {"encap", Support::kSupported, BoolField(&C::encap)},
      {"mobike", Support::kSupported, BoolField(&C::mobike)},
      {"dpd_delay", Support::kSupported, TimeField(&C::dpd_delay)},
      {"dpd_timeout", Support::kSupported, TimeField(&C::dpd_timeout)},
      {"fragmentation", Support::kSupported,
       EnumField<C, Fragmentation>(&C::fragmentation, {{"yes", Fragmentation::kYes},
                                                       {"accept", Fragmentation::kAccept},
                                                       {"force", Fragmentation::kForce},
                                                       {"no", Fragmentation::kNo}})},
      {"childless", Support::kParsedOnly,
       EnumField<C, Childless>(&C::childless, {{"allow", Childless::kAllow},
                                               {"force", Childless::kForce},
                                               {"prefer", Childless::kPrefer},
                                               {"never", Childless::kNever}}),
       "childless initiation is not used"},
      {"send_certreq", Support::kSupported, BoolField(&C::send_certreq)},
      {"send_cert", Support::kSupported,
       EnumField<C, SendCert>(&C::send_cert, {{"ifasked", SendCert::kIfAsked},
                                              {"always", SendCert::kAlways},
                                              {"never", SendCert::kNever}})},
      {"ocsp", Support::kParsedOnly,
       EnumField<C, OcspMode>(&C::ocsp, {{"reply", OcspMode::kReply},
                                         {"request", OcspMode::kRequest},
                                         {"both", OcspMode::kBoth},
                                         {"none", OcspMode::kNone}}),
       "no OCSP is exchanged"},
      {"ppk_id", Support::kParsedOnly, IdentityField(&C::ppk_id), "no PPK is used"},
      {"ppk_required", Support::kParsedOnly, BoolField(&C::ppk_required), "no PPK is used"},
      {"keyingtries", Support::kSupported,
       [](C& c, const AstSetting& s, Ctx&) -> std::string {
         if (Lower(s.value) == "%forever") {
           c.keyingtries = 0;
           return {};
         }
         auto r = ParseUint(s.value, 0xffffffff);
         if (!r) return r.error();
         c.keyingtries = static_cast<uint32_t>(*r);
         return {};
       }},
      {"unique", Support::kSupported,
       EnumField<C, UniquePolicy>(&C::unique, {{"no", UniquePolicy::kNo},
                                               {"never", UniquePolicy::kNever},
                                               {"keep", UniquePolicy::kKeep},
                                               {"replace", UniquePolicy::kReplace}})},
      {"reauth_time", Support::kSupported, TimeField(&C::reauth_time)},
      {"rekey_time", Support::kSupported, TimeField(&C::rekey_time)},
      {"over_time", Support::kSupported, TimeField(&C::over_time)},
      {"rand_time", Support::kSupported, TimeField(&C::rand_time)},
      {"pools", Support::kSupported, ListField(&C::pools)},
      {"if_id_in", Support::kSupported, IfIdField(&C::if_id_in)},
      {"if_id_out", Support::kSupported, IfIdField(&C::if_id_out)},
      {"mediation", Support::kParsedOnly, BoolField(&C::mediation), "no mediation service"},
      {"mediated_by", Support::kParsedOnly, StringField(&C::mediated_by), "no mediation service"},
      {"mediation_peer", Support::kParsedOnly, IdentityField(&C::mediation_peer),
       "no mediation service"},
  };
  return rules;
}

// Sections with the same name at one level are merged (e.g. `connections` in
// several included files); returns them in order.
std::vector<const AstSection*> Sections(const std::vector<const AstSection*>& parents,
                                        std::string_view name) {
  std::vector<const AstSection*> out;
  for (const auto* p : parents) {
    for (const auto& s : p->sections) {
      if (s.name == name) out.push_back(&s);
    }
  }
  return out;
}

// Entries of a container: every subsection of every container section; a
// duplicate name is an error.
std::vector<const AstSection*> Entries(const std::vector<const AstSection*>& containers,
                                       const std::string& container_path, Ctx& ctx) {
  std::vector<const AstSection*> out;
  std::map<std::string, Location> first;
  for (const auto* c : containers) {
    for (const auto& s : c->settings) {
      ctx.diags.Error(s.loc, Join(container_path, s.key),
                      "unknown key '" + s.key + "' (expected a section)");
    }
    for (const auto& e : c->sections) {
      auto [it, inserted] = first.emplace(e.name, e.loc);
      if (!inserted) {
        ctx.diags.Error(e.loc, Join(container_path, e.name),
                        "duplicate section '" + e.name + "' (first defined at " +
                            it->second.ToString() + ")");
        continue;
      }
      out.push_back(&e);
    }
  }
  return out;
}

// Authentication rounds that only one IKE version can run: EAP is IKEv2
// (RFC 7296 2.16), XAuth is IKEv1 and follows a psk/pubkey round (the
// Main/Aggressive Mode authentication) as strongSwan lays it out.
void CheckIkeVersionRounds(const ConnectionConfig& c, const std::string& path, Ctx& ctx) {
  for (const auto* rounds : {&c.local, &c.remote}) {
    for (size_t i = 0; i < rounds->size(); ++i) {
      const AuthRound& r = (*rounds)[i];
      const std::string key = Join(Join(path, r.section), "auth");
      if (r.auth.cls == AuthSpec::Class::kEap && c.version == 1) {
        ctx.diags.Error(r.loc, key,
                        "EAP needs IKEv2, but version = 1; IKEv1 authenticates users with XAuth "
                        "(a second round with auth = xauth)");
      }
      if (r.auth.cls != AuthSpec::Class::kXauth) continue;
      if (c.version == 2) {
        ctx.diags.Error(r.loc, key, "XAuth is an IKEv1 extension, but version = 2 (use EAP with IKEv2)");
      } else if (i == 0) {
        ctx.diags.Error(r.loc, key,
                        "XAuth is a second round: it follows a round with auth = psk or pubkey "
                        "(Main or Aggressive Mode)");
      }
    }
  }
}

ConnectionConfig BuildConnection(const AstSection& sec, const std::string& path, size_t index,
                                 Ctx& ctx, std::vector<PendingCertRef>& refs) {
  ConnectionConfig c;
  c.name = sec.name;
  c.loc = sec.loc;
  auto seen = ApplyRules(ConnectionRules(), sec, path, c, ctx);
  if (c.local_addrs.empty()) c.local_addrs.push_back(AddressSpec{});
  if (c.remote_addrs.empty()) c.remote_addrs.push_back(AddressSpec{});
  if (!seen.count("proposals")) c.proposals = DefaultProposals(ProposalKind::kIke);
  if (!seen.count("over_time")) {
    c.over_time = Seconds(std::max(c.rekey_time, c.reauth_time).count() / 10);
  }
  if (!seen.count("rand_time")) c.rand_time = c.over_time;
  if (!c.pull && c.version == 2) {
    // IKEv2 has no push: the configuration payload is always requested.
    ctx.diags.Error(sec.loc, Join(path, "pull"),
                    "pull = no (Mode Config push) is an IKEv1 mode, but version = 2 (IKEv2 clients "
                    "always request their address in IKE_AUTH)");
  }
  if (c.version == 1 && seen.count("proposals")) {
    for (const auto& p : c.proposals) {
      for (const auto& slot : p.additional_ke) {
        if (!slot.empty()) {
          ctx.diags.Error(sec.loc, Join(path, "proposals"),
                          "additional key exchanges need IKEv2 (version = 1)");
          break;
        }
      }
      if (!p.encr.empty() && p.IsAead()) {
        // RFC 2409 has no combined-mode ciphers for the ISAKMP SA (Quick
        // Mode may still negotiate AES-GCM for ESP).
        ctx.diags.Error(sec.loc, Join(path, "proposals"),
                        "'" + ToString(p) + "': AEAD algorithms cannot protect the IKEv1 ISAKMP SA "
                        "(version = 1); use e.g. aes256-sha256-modp2048 (AEAD is fine in esp_proposals)");
        break;
      }
    }
  }

  std::vector<const AstSection*> child_containers;
  unsigned local_order = 0, remote_order = 0;
  std::map<std::string, Location> rounds_seen;
  for (const auto& sub : sec.sections) {
    const std::string sub_path = Join(path, sub.name);
    if (sub.name == "children") {
      child_containers.push_back(&sub);
      continue;
    }
    bool local = sub.name.rfind("local", 0) == 0;
    bool remote = sub.name.rfind("remote", 0) == 0;
    if (local || remote) {
      auto [it, inserted] = rounds_seen.emplace(sub.name, sub.loc);
      if (!inserted) {
        ctx.diags.Error(sub.loc, sub_path,
                        "duplicate section '" + sub.name + "' (first defined at " +
                            it->second.ToString() + ")");
        continue;
      }
      auto& list = local ? c.local : c.remote;
      list.push_back(BuildAuthRound(sub, sub_path, local, local ? local_order++ : remote_order++,
                                    ctx, refs, index));
      continue;
    }
    ctx.diags.Error(sub.loc, sub_path, "unknown section '" + sub.name + "'");
  }
  // Rounds are ordered by `round`, then by appearance. Certificate references
  // keep pointing at the right round through AuthRound::section.
  auto by_round = [](const AuthRound& a, const AuthRound& b) { return a.round < b.round; };
  std::stable_sort(c.local.begin(), c.local.end(), by_round);
  std::stable_sort(c.remote.begin(), c.remote.end(), by_round);
  CheckIkeVersionRounds(c, path, ctx);
  if (c.local.empty()) {
    AuthRound a;
    a.section = "local";
    a.loc = sec.loc;
    c.local.push_back(std::move(a));
  }
  if (c.remote.empty()) {
    AuthRound a;
    a.section = "remote";
    a.loc = sec.loc;
    a.id = ParseIdentity("%any").value();
    c.remote.push_back(std::move(a));
  }
  for (const auto* child : Entries(child_containers, Join(path, "children"), ctx)) {
    c.children.push_back(BuildChild(*child, Join(Join(path, "children"), child->name), c, ctx));
  }
  // Initiating needs a peer address: warn when a child starts or traps but
  // no remote address is a single address or a host name.
  bool can_initiate = std::any_of(c.remote_addrs.begin(), c.remote_addrs.end(), [](const AddressSpec& a) {
    return a.IsSingleAddress() || a.kind == AddressSpec::Kind::kHostname;
  });
  for (const auto& child : c.children) {
    if ((child.start_action.start || child.start_action.trap) && !can_initiate &&
        child.mode != ChildMode::kPass && child.mode != ChildMode::kDrop) {
      ctx.diags.Warning(child.loc, Join(Join(path, "children"), child.name) + ".start_action",
                        "start_action = " + ToString(child.start_action) +
                            " but remote_addrs names no single peer address: initiation will fail");
    }
  }
  return c;
}

// ---- secrets ----

struct PrivateKeySecretRef {
  std::string file;
  std::string type_dir;  // "private", "rsa", "ecdsa", "pkcs8"
  SecretBytes passphrase;
  Location loc;
  std::string key;
};

void WipeSetting(AstSetting& s) {
  if (!s.value.empty()) OPENSSL_cleanse(s.value.data(), s.value.size());
  s.value.clear();
}

void BuildSecrets(std::vector<const AstSection*> containers, Config& config,
                  std::vector<PrivateKeySecretRef>& key_secrets, Ctx& ctx) {
  for (const auto* entry : Entries(containers, "secrets", ctx)) {
    // Secret values are wiped from the tree as soon as they are decoded.
    auto& sec = const_cast<AstSection&>(*entry);
    const std::string path = Join("secrets", sec.name);
    for (const auto& sub : sec.sections) {
      ctx.diags.Error(sub.loc, Join(path, sub.name), "unknown section '" + sub.name + "'");
    }
    struct SharedType {
      std::string_view prefix;
      SecretType type;
      bool parsed_only;
    };
    constexpr SharedType kShared[] = {{"ike", SecretType::kIke, false},
                                      {"eap", SecretType::kEap, false},
                                      {"xauth", SecretType::kXauth, false},
                                      {"ntlm", SecretType::kNtlm, true},
                                      {"ppk", SecretType::kPpk, true}};
    const SharedType* shared = nullptr;
    for (const auto& t : kShared) {
      if (sec.name.rfind(t.prefix, 0) == 0) shared = &t;
    }
    if (shared != nullptr) {
      SharedSecret secret;
      secret.name = sec.name;
      secret.loc = sec.loc;
      secret.type = shared->type;
      bool have_secret = false;
      bool secret_seen = false;
      for (auto& s : sec.settings) {
        const std::string key = Join(path, s.key);
        if (s.key.rfind("id", 0) == 0) {
          auto id = ParseIdentity(s.value);
          if (!id) {
            ctx.diags.Error(s.loc, key, id.error());
          } else {
            secret.ids.push_back(std::move(*id));
          }
        } else if (s.key == "secret") {
          secret_seen = true;
          auto v = DecodeSecretValue(s.value);
          WipeSetting(s);
          if (!v) {
            ctx.diags.Error(s.loc, key, v.error());
          } else if (v->empty()) {
            ctx.diags.Error(s.loc, key, "empty secret");
          } else {
            secret.secret = std::move(*v);
            have_secret = true;
          }
        } else {
          WipeSetting(s);
          ctx.diags.Error(s.loc, key, "unknown key '" + s.key + "'");
        }
      }
      if (!have_secret) {
        if (!secret_seen) ctx.diags.Error(sec.loc, path, "missing 'secret'");
        continue;
      }
      if (secret.ids.empty() && shared->type != SecretType::kPpk) {
        ctx.diags.Error(sec.loc, path,
                        "secret has no id (set id = <peer identity>, or id = %any to use it for "
                        "every peer)");
        continue;
      }
      if (shared->parsed_only) {
        ctx.diags.Warning(sec.loc, path, "parsed but not yet supported (the secret is unused)");
      }
      config.secrets.push_back(std::move(secret));
      continue;
    }
    constexpr std::string_view kKeyTypes[] = {"private", "rsa", "ecdsa", "pkcs8", "pkcs12"};
    std::string_view key_type;
    for (auto t : kKeyTypes) {
      if (sec.name.rfind(t, 0) == 0) key_type = t;
    }
    if (!key_type.empty()) {
      PrivateKeySecretRef ref;
      ref.type_dir = std::string(key_type);
      ref.loc = sec.loc;
      ref.key = path;
      for (auto& s : sec.settings) {
        if (s.key == "file") {
          ref.file = s.value;
        } else if (s.key == "secret") {
          auto v = DecodeSecretValue(s.value);
          WipeSetting(s);
          if (!v) {
            ctx.diags.Error(s.loc, Join(path, s.key), v.error());
          } else {
            ref.passphrase = std::move(*v);
          }
        } else {
          WipeSetting(s);
          ctx.diags.Error(s.loc, Join(path, s.key), "unknown key '" + s.key + "'");
        }
      }
      if (ref.file.empty()) {
        ctx.diags.Error(sec.loc, path, "missing 'file'");
        continue;
      }
      if (key_type == "pkcs12") {
        ctx.diags.Warning(sec.loc, path,
                          "parsed but not yet supported (PKCS#12 containers are not loaded)");
        continue;
      }
      key_secrets.push_back(std::move(ref));
      continue;
    }
    if (sec.name.rfind("token", 0) == 0) {
      for (auto& s : sec.settings) {
        if (s.key != "handle" && s.key != "slot" && s.key != "module" && s.key != "pin") {
          ctx.diags.Error(s.loc, Join(path, s.key), "unknown key '" + s.key + "'");
        }
        if (s.key == "pin") WipeSetting(s);
      }
      ctx.diags.Warning(sec.loc, path,
                        "parsed but not yet supported (keys on PKCS#11 tokens are not used)");
      continue;
    }
    for (auto& s : sec.settings) WipeSetting(s);
    ctx.diags.Error(sec.loc, path,
                    "unknown secret type '" + sec.name +
                        "' (expected ike-, eap-, xauth-, ntlm-, ppk-, private-, rsa-, ecdsa-, "
                        "pkcs8-, pkcs12- or token-)");
  }
}

// ---- pools ----

void BuildPools(const std::vector<const AstSection*>& containers, Config& config, Ctx& ctx) {
  for (const auto* sec : Entries(containers, "pools", ctx)) {
    const std::string path = Join("pools", sec->name);
    PoolConfig pool;
    pool.name = sec->name;
    pool.loc = sec->loc;
    bool have_addrs = false;
    for (const auto& sub : sec->sections) {
      ctx.diags.Error(sub.loc, Join(path, sub.name), "unknown section '" + sub.name + "'");
    }
    for (const auto& s : sec->settings) {
      const std::string key = Join(path, s.key);
      auto ips = [&](std::vector<IpAddress>& out) {
        for (const auto& item : SplitList(s.value)) {
          auto a = IpAddress::Parse(item);
          if (!a) {
            ctx.diags.Error(s.loc, key, "invalid address '" + item + "'");
            return;
          }
          out.push_back(*a);
        }
      };
      auto ranges = [&](std::vector<AddressRange>& out) {
        for (const auto& item : SplitList(s.value)) {
          auto r = ParseAddressRange(item);
          if (!r) {
            ctx.diags.Error(s.loc, key, r.error());
            return;
          }
          out.push_back(*r);
        }
      };
      if (s.key == "addrs") {
        auto items = SplitList(s.value);
        if (items.size() != 1) {
          ctx.diags.Error(s.loc, key, "expected one subnet or range");
          continue;
        }
        auto r = ParseAddressRange(items[0]);
        if (!r) {
          ctx.diags.Error(s.loc, key, r.error());
          continue;
        }
        pool.addrs = *r;
        have_addrs = true;
      } else if (s.key == "dns") {
        ips(pool.dns);
      } else if (s.key == "nbns") {
        ips(pool.nbns);
      } else if (s.key == "dhcp" || s.key == "server" || s.key == "p_cscf") {
        ips(s.key == "dhcp" ? pool.dhcp : s.key == "server" ? pool.server : pool.p_cscf);
        ctx.diags.Warning(s.loc, key, "parsed but not yet supported (attribute not sent)");
      } else if (s.key == "netmask") {
        for (const auto& item : SplitList(s.value)) {
          auto a = IpAddress::Parse(item);
          if (!a) {
            ctx.diags.Error(s.loc, key, "invalid netmask '" + item + "'");
            break;
          }
          pool.netmask.push_back(AddressRange{*a, *a, std::nullopt});
        }
      } else if (s.key == "subnet") {
        ranges(pool.subnet);
      } else if (s.key == "split_include") {
        ranges(pool.split_include);
      } else if (s.key == "split_exclude") {
        ranges(pool.split_exclude);
      } else if (!s.key.empty() &&
                 s.key.find_first_not_of("0123456789") == std::string::npos) {
        auto n = ParseUint(s.key, 32767);
        if (!n) {
          ctx.diags.Error(s.loc, key, "invalid attribute type '" + s.key + "'");
          continue;
        }
        pool.custom.emplace_back(static_cast<uint16_t>(*n), SplitList(s.value));
        ctx.diags.Warning(s.loc, key,
                          "parsed but not yet supported (numeric attribute not sent)");
      } else {
        ctx.diags.Error(s.loc, key, "unknown key '" + s.key + "'");
      }
    }
    if (!have_addrs) {
      ctx.diags.Error(sec->loc, path, "missing 'addrs'");
      continue;
    }
    config.pools.push_back(std::move(pool));
  }
}

// ---- authorities ----

struct PendingAuthority {
  size_t index;
  std::string cacert;  // relative to x509ca/ or absolute
  Location loc;
  std::string key;
};

void BuildAuthorities(const std::vector<const AstSection*>& containers, Config& config,
                      std::vector<PendingAuthority>& pending, Ctx& ctx) {
  for (const auto* sec : Entries(containers, "authorities", ctx)) {
    const std::string path = Join("authorities", sec->name);
    AuthorityConfig a;
    a.name = sec->name;
    a.loc = sec->loc;
    std::string cacert;
    Location cacert_loc = sec->loc;
    std::string cacert_key = path;
    bool token = false;
    for (const auto& sub : sec->sections) {
      ctx.diags.Error(sub.loc, Join(path, sub.name), "unknown section '" + sub.name + "'");
    }
    for (const auto& s : sec->settings) {
      const std::string key = Join(path, s.key);
      if (s.key == "cacert" || s.key == "file") {
        cacert = s.value;
        cacert_loc = s.loc;
        cacert_key = key;
      } else if (s.key == "handle" || s.key == "slot" || s.key == "module") {
        token = true;
        ctx.diags.Warning(s.loc, key,
                          "parsed but not yet supported (CA certificates on tokens are not used)");
      } else if (s.key == "crl_uris") {
        a.crl_uris = SplitList(s.value);
        ctx.diags.Warning(s.loc, key, "parsed but not yet supported (CRLs are not fetched)");
      } else if (s.key == "ocsp_uris") {
        a.ocsp_uris = SplitList(s.value);
        ctx.diags.Warning(s.loc, key, "parsed but not yet supported (OCSP is not queried)");
      } else if (s.key == "cert_uri_base") {
        a.cert_uri_base = s.value;
        ctx.diags.Warning(s.loc, key,
                          "parsed but not yet supported (hash-and-URL is not offered)");
      } else {
        ctx.diags.Error(s.loc, key, "unknown key '" + s.key + "'");
      }
    }
    if (cacert.empty() && !token) {
      ctx.diags.Error(sec->loc, path, "missing 'cacert' (or 'file')");
      continue;
    }
    if (!cacert.empty()) {
      pending.push_back({config.authorities.size(), cacert, cacert_loc, cacert_key});
    }
    config.authorities.push_back(std::move(a));
  }
}

void CheckReferences(Config& config, Ctx& ctx) {
  for (const auto& c : config.connections) {
    for (const auto& pool : c.pools) {
      if (config.FindPool(pool) != nullptr) continue;
      if (pool == "radius" || pool == "dhcp") {
        ctx.diags.Warning(c.loc, Join("connections." + c.name, "pools"),
                          "pool backend '" + pool + "' is parsed but not yet supported");
        continue;
      }
      ctx.diags.Error(c.loc, Join("connections." + c.name, "pools"),
                      "unknown pool '" + pool + "'");
    }
  }
}

}  // namespace

LoadResult BuildConfig(AstSection& root, const std::string& source, Diagnostics diags,
                       const LoadOptions& options) {
  Ctx ctx{diags, {}};
  ResolveTemplates(root, diags);
  Config config;
  config.source = source;
  std::vector<const AstSection*> top = {&root};
  for (const auto& s : root.settings) {
    diags.Error(s.loc, s.key, "unknown key '" + s.key + "' at top level");
  }
  for (const auto& s : root.sections) {
    if (s.name != "connections" && s.name != "secrets" && s.name != "pools" &&
        s.name != "authorities" && s.name != "radius") {
      diags.Error(s.loc, s.name,
                  "unknown section '" + s.name +
                      "' (expected connections, secrets, pools, authorities or radius)");
    }
  }
  std::vector<PendingCertRef> cert_refs;
  auto conns = Entries(Sections(top, "connections"), "connections", ctx);
  for (const auto* sec : conns) {
    config.connections.push_back(BuildConnection(*sec, Join("connections", sec->name),
                                                 config.connections.size(), ctx, cert_refs));
  }
  std::vector<PrivateKeySecretRef> key_secrets;
  BuildSecrets(Sections(top, "secrets"), config, key_secrets, ctx);
  BuildPools(Sections(top, "pools"), config, ctx);
  std::vector<PendingAuthority> pending_authorities;
  BuildAuthorities(Sections(top, "authorities"), config, pending_authorities, ctx);
  CheckReferences(config, ctx);
  std::vector<AstSection*> radius;
  for (auto& s : root.sections) {
    if (s.name == "radius") radius.push_back(&s);
  }
  BuildRadius(radius, config, diags);

  // Credentials.
  CredentialRequests req;
  for (const auto& r : cert_refs) {
    for (const auto& f : r.files) {
      req.cert_refs.push_back({r.conn, r.local, r.round, r.ca, f, r.loc, r.key});
    }
  }
  for (const auto& a : pending_authorities) {
    req.authority_refs.push_back({a.index, a.cacert, a.loc, a.key});
  }
  for (auto& k : key_secrets) {
    req.key_passphrases.push_back(
        {k.type_dir, k.file, std::move(k.passphrase), k.loc, k.key});
  }
  if (options.load_credentials && !options.credentials_dir.empty()) {
    int64_t now = options.now ? *options.now : static_cast<int64_t>(std::time(nullptr));
    LoadCredentials(options.credentials_dir, req, now, config, diags);
  } else {
    RecordCertificateNames(req, config);
  }

  std::vector<Diagnostic> all = diags.Take();
  // Report in file order: by file (in order of first appearance), then line.
  std::vector<std::string> files;
  for (const auto& d : all) {
    if (std::find(files.begin(), files.end(), d.loc.file) == files.end()) files.push_back(d.loc.file);
  }
  auto file_rank = [&](const std::string& f) {
    return std::find(files.begin(), files.end(), f) - files.begin();
  };
  std::stable_sort(all.begin(), all.end(), [&](const Diagnostic& a, const Diagnostic& b) {
    auto ra = file_rank(a.loc.file), rb = file_rank(b.loc.file);
    if (ra != rb) return ra < rb;
    return a.loc.line < b.loc.line;
  });
  if (std::any_of(all.begin(), all.end(),
                  [](const Diagnostic& d) { return d.severity == Severity::kError; })) {
    return MakeUnexpected(std::move(all));
  }
  config.warnings = std::move(all);
  return config;
}

LoadResult ParseConfigString(std::string_view text, const std::string& virtual_filename,
                             const LoadOptions& options) {
  Diagnostics diags;
  AstSection root;
  ParseText(text, virtual_filename, options.include_resolver, root, diags, options.limits);
  return BuildConfig(root, virtual_filename, std::move(diags), options);
}

LoadResult LoadConfig(const std::string& path, const LoadOptions& options) {
  std::string text;
  {
    struct stat st {};
    std::ifstream in(path, std::ios::binary);
    if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || !in) {
      return MakeUnexpected(std::vector<Diagnostic>{
          {Severity::kError, Location{path, 0}, "", "cannot open configuration file"}});
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    text = ss.str();
  }
  LoadOptions opts = options;
  FileIncludeResolver files;
  if (opts.include_resolver == nullptr) opts.include_resolver = &files;
  if (opts.credentials_dir.empty()) {
    size_t slash = path.rfind('/');
    opts.credentials_dir = slash == std::string::npos ? "." : path.substr(0, slash);
    if (opts.credentials_dir.empty()) opts.credentials_dir = "/";
  }
  Diagnostics diags;
  AstSection root;
  ParseText(text, path, opts.include_resolver, root, diags, opts.limits);
  OPENSSL_cleanse(text.data(), text.size());
  return BuildConfig(root, path, std::move(diags), opts);
}

// ---- Config helpers ----

const ChildConfig* ConnectionConfig::FindChild(std::string_view child) const {
  for (const auto& c : children) {
    if (c.name == child) return &c;
  }
  return nullptr;
}

const ConnectionConfig* Config::FindConnection(std::string_view name) const {
  for (const auto& c : connections) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

const PoolConfig* Config::FindPool(std::string_view name) const {
  for (const auto& p : pools) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

const PrivateKey* Config::FindKeyFor(const Certificate& cert) const {
  for (const auto& k : private_keys) {
    if (!k.spki_der.empty() && k.spki_der == cert.spki_der) return &k;
  }
  return nullptr;
}

std::vector<const SharedSecret*> Config::FindSecrets(SecretType type, const Identity& id) const {
  // Best first: exact ids, then wildcard ids, then id = %any.
  std::vector<const SharedSecret*> exact, wildcard, any;
  for (const auto& s : secrets) {
    if (s.type != type) continue;
    int best = 3;
    for (const auto& sid : s.ids) {
      if (sid.kind == Identity::Kind::kAny) {
        best = std::min(best, 2);
      } else if (id.kind != Identity::Kind::kAny && sid.Matches(id.id_type(), id.encoding)) {
        best = std::min(best, sid.has_wildcards ? 1 : 0);
      }
    }
    if (best == 0) exact.push_back(&s);
    if (best == 1) wildcard.push_back(&s);
    if (best == 2) any.push_back(&s);
  }
  exact.insert(exact.end(), wildcard.begin(), wildcard.end());
  exact.insert(exact.end(), any.begin(), any.end());
  return exact;
}

std::string_view ToString(ChildMode m) {
  switch (m) {
    case ChildMode::kTunnel: return "tunnel";
    case ChildMode::kTransport: return "transport";
    case ChildMode::kTransportProxy: return "transport_proxy";
    case ChildMode::kIptfs: return "iptfs";
    case ChildMode::kBeet: return "beet";
    case ChildMode::kPass: return "pass";
    case ChildMode::kDrop: return "drop";
  }
  return "?";
}
std::string_view ToString(DpdAction a) {
  switch (a) {
    case DpdAction::kClear: return "clear";
    case DpdAction::kTrap: return "trap";
    case DpdAction::kRestart: return "restart";
  }
  return "?";
}
std::string_view ToString(CloseAction a) {
  switch (a) {
    case CloseAction::kNone: return "none";
    case CloseAction::kTrap: return "trap";
    case CloseAction::kStart: return "start";
  }
  return "?";
}
std::string ToString(StartAction a) {
  if (a.trap && a.start) return "trap|start";
  if (a.trap) return "trap";
  if (a.start) return "start";
  return "none";
}
std::string_view ToString(HwOffload h) {
  switch (h) {
    case HwOffload::kNo: return "no";
    case HwOffload::kCrypto: return "crypto";
    case HwOffload::kPacket: return "packet";
    case HwOffload::kAuto: return "auto";
  }
  return "?";
}
std::string_view ToString(Fragmentation f) {
  switch (f) {
    case Fragmentation::kYes: return "yes";
    case Fragmentation::kAccept: return "accept";
    case Fragmentation::kForce: return "force";
    case Fragmentation::kNo: return "no";
  }
  return "?";
}
std::string_view ToString(UniquePolicy u) {
  switch (u) {
    case UniquePolicy::kNo: return "no";
    case UniquePolicy::kNever: return "never";
    case UniquePolicy::kKeep: return "keep";
    case UniquePolicy::kReplace: return "replace";
  }
  return "?";
}
std::string_view ToString(SendCert s) {
  switch (s) {
    case SendCert::kIfAsked: return "ifasked";
    case SendCert::kAlways: return "always";
    case SendCert::kNever: return "never";
  }
  return "?";
}
std::string_view ToString(AuthSpec::Class c) {
  switch (c) {
    case AuthSpec::Class::kPubkey: return "pubkey";
    case AuthSpec::Class::kPsk: return "psk";
    case AuthSpec::Class::kEap: return "eap";
    case AuthSpec::Class::kXauth: return "xauth";
    case AuthSpec::Class::kNull: return "null";
  }
  return "?";
}

}  // namespace ike::conf
