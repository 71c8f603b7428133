#include "conf/radius.h"

#include <openssl/crypto.h>

#include <map>

#include "conf/values.h"

namespace ike::conf {
namespace {

std::string Join(const std::string& a, const std::string& b) { return a + "." + b; }

void Wipe(AstSetting& s) {
  if (!s.value.empty()) OPENSSL_cleanse(s.value.data(), s.value.size());
  s.value.clear();
}

void BuildServer(AstSection& sec, const std::string& path, Config& config, Diagnostics& diags) {
  RadiusServerConfig server;
  server.name = sec.name;
  server.loc = sec.loc;
  bool have_address = false, have_secret = false, secret_seen = false;
  for (const auto& sub : sec.sections) diags.Error(sub.loc, Join(path, sub.name), "unknown section '" + sub.name + "'");
  for (auto& s : sec.settings) {
    const std::string key = Join(path, s.key);
    if (s.key == "address") {
      auto a = IpAddress::Parse(s.value);
      if (!a) {
        diags.Error(s.loc, key, "invalid address '" + s.value + "' (an IPv4 or IPv6 address)");
        continue;
      }
      server.address = *a;
      have_address = true;
    } else if (s.key == "secret") {
      secret_seen = true;
      auto v = DecodeSecretValue(s.value);
      Wipe(s);
      if (!v) {
        diags.Error(s.loc, key, v.error());
      } else if (v->empty()) {
        diags.Error(s.loc, key, "empty secret");
      } else {
        server.secret = std::move(*v);
        have_secret = true;
      }
    } else if (s.key == "auth_port" || s.key == "port" || s.key == "acct_port") {
      auto p = ParseUint(s.value, 65535);
      if (!p || *p == 0) {
        diags.Error(s.loc, key, p ? "port 0" : p.error());
        continue;
      }
      (s.key == "acct_port" ? server.acct_port : server.auth_port) = static_cast<uint16_t>(*p);
    } else {
      Wipe(s);  // might be a misspelt secret
      diags.Error(s.loc, key, "unknown key '" + s.key + "' (expected address, secret, auth_port, acct_port)");
    }
  }
  if (!have_address) diags.Error(sec.loc, path, "missing 'address'");
  if (!have_secret && !secret_seen) diags.Error(sec.loc, path, "missing 'secret'");
  if (have_address && have_secret) config.radius.servers.push_back(std::move(server));
}

}  // namespace

void BuildRadius(const std::vector<AstSection*>& sections, Config& config, Diagnostics& diags) {
  std::map<std::string, Location> seen_servers;
  std::map<std::string, Location> seen_keys;
  for (AstSection* sec : sections) {
    if (config.radius.loc.line == 0) config.radius.loc = sec->loc;
    for (auto& s : sec->settings) {
      const std::string key = "radius." + s.key;
      auto [it, fresh] = seen_keys.emplace(s.key, s.loc);
      if (!fresh) {
        diags.Warning(s.loc, key, "overrides the value set at " + it->second.ToString());
        it->second = s.loc;
      }
      if (s.key == "accounting") {
        auto b = ParseBool(s.value);
        if (!b) diags.Error(s.loc, key, b.error());
        else config.radius.accounting = *b;
      } else if (s.key == "interim_interval") {
        auto t = ParseTime(s.value);
        if (!t) diags.Error(s.loc, key, t.error());
        else config.radius.interim_interval = *t;
      } else if (s.key == "retransmit_timeout") {
        auto t = ParseTime(s.value);
        if (!t) diags.Error(s.loc, key, t.error());
        else if (t->count() == 0) diags.Error(s.loc, key, "must be at least 1s");
        else config.radius.retransmit_timeout = *t;
      } else if (s.key == "retransmit_tries") {
        auto n = ParseUint(s.value, 10);
        if (!n || *n == 0) diags.Error(s.loc, key, n ? "must be 1..10" : n.error());
        else config.radius.retransmit_tries = static_cast<uint32_t>(*n);
      } else if (s.key == "nas_identifier") {
        if (s.value.empty() || s.value.size() > 253) diags.Error(s.loc, key, "must be 1..253 characters");
        else config.radius.nas_identifier = s.value;
      } else {
        Wipe(s);
        diags.Error(s.loc, key,
                    "unknown key '" + s.key +
                        "' (expected accounting, interim_interval, nas_identifier, retransmit_timeout, "
                        "retransmit_tries or a servers section)");
      }
    }
    for (auto& sub : sec->sections) {
      if (sub.name != "servers") {
        diags.Error(sub.loc, "radius." + sub.name, "unknown section '" + sub.name + "' (expected servers)");
        continue;
      }
      for (auto& s : sub.settings) {
        Wipe(s);
        diags.Error(s.loc, "radius.servers." + s.key, "unknown key '" + s.key + "' (expected a section)");
      }
      for (auto& srv : sub.sections) {
        const std::string path = "radius.servers." + srv.name;
        auto [it, fresh] = seen_servers.emplace(srv.name, srv.loc);
        if (!fresh) {
          for (auto& s : srv.settings) Wipe(s);
          diags.Error(srv.loc, path, "duplicate section '" + srv.name + "' (first defined at " + it->second.ToString() + ")");
          continue;
        }
        BuildServer(srv, path, config, diags);
      }
    }
  }
  if (!sections.empty() && config.radius.servers.empty() && !diags.has_errors()) {
    diags.Error(config.radius.loc, "radius", "no servers (add radius { servers { NAME { address, secret } } })");
  }
  if (!config.radius.servers.empty()) return;
  for (const auto& c : config.connections) {
    for (const auto& r : c.remote) {
      if (r.auth.cls == AuthSpec::Class::kEap && r.auth.method == "radius") {
        diags.Warning(r.loc, "connections." + c.name + "." + r.section + ".auth",
                      "eap-radius without a radius { servers { } } section: every authentication will fail");
      }
    }
  }
}

}  // namespace ike::conf
