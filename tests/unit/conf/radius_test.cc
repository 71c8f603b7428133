// The top-level `radius { }` section: servers, accounting, defaults, and the
// errors each bad file gets (file:line: key: message), secrets never shown.
#include <gtest/gtest.h>

#include <cctype>
#include <string>

#include "conf/loader.h"

namespace ike::conf {
namespace {

constexpr char kGateway[] = R"(
connections {
  rw {
    local {
      auth = pubkey
      id = gw
    }
    remote {
      auth = eap-radius
    }
  }
}
)";

TEST(RadiusConf, ServersAndAccounting) {
  std::string text = std::string(kGateway) + R"(
radius {
  accounting = yes
  interim_interval = 10m
  nas_identifier = gw1
  retransmit_timeout = 3s
  retransmit_tries = 4
  servers {
    primary {
      address = 198.51.100.2
      secret = testing123
    }
    backup {
      address = 2001:db8::2
      secret = 0x7365637265
      port = 11812
      acct_port = 11813
    }
  }
}
)";
  auto r = ParseConfigString(text, "gw.conf");
  ASSERT_TRUE(r) << FormatDiagnostics(r.error());
  const RadiusConfig& rc = r->radius;
  EXPECT_TRUE(rc.accounting);
  EXPECT_EQ(rc.interim_interval, Seconds(600));
  EXPECT_EQ(rc.nas_identifier, "gw1");
  EXPECT_EQ(rc.retransmit_timeout, Seconds(3));
  EXPECT_EQ(rc.retransmit_tries, 4u);
  ASSERT_EQ(rc.servers.size(), 2u);
  EXPECT_EQ(rc.servers[0].name, "primary");
  EXPECT_EQ(rc.servers[0].address.ToString(), "198.51.100.2");
  EXPECT_EQ(rc.servers[0].auth_port, 1812);
  EXPECT_EQ(rc.servers[0].acct_port, 1813);
  EXPECT_EQ(std::string(rc.servers[0].secret.view().begin(), rc.servers[0].secret.view().end()), "testing123");
  EXPECT_EQ(rc.servers[1].address.ToString(), "2001:db8::2");
  EXPECT_EQ(rc.servers[1].auth_port, 11812);
  EXPECT_EQ(rc.servers[1].acct_port, 11813);
  EXPECT_EQ(std::string(rc.servers[1].secret.view().begin(), rc.servers[1].secret.view().end()), "secre");
  EXPECT_TRUE(r->warnings.empty()) << FormatDiagnostics(r->warnings);
}

TEST(RadiusConf, DefaultsWithoutSection) {
  auto r = ParseConfigString("connections {\n}\n", "x.conf");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->radius.servers.empty());
  EXPECT_FALSE(r->radius.accounting);
  EXPECT_EQ(r->radius.retransmit_tries, 3u);
}

TEST(RadiusConf, EapRadiusWithoutServersWarns) {
  auto r = ParseConfigString(kGateway, "gw.conf");
  ASSERT_TRUE(r) << FormatDiagnostics(r.error());
  ASSERT_EQ(r->warnings.size(), 1u);
  EXPECT_EQ(r->warnings[0].ToString(),
            "gw.conf:8: connections.rw.remote.auth: warning: eap-radius without a radius { servers { } } "
            "section: every authentication will fail");
}

struct Bad {
  const char* name;
  const char* text;
  const char* message;
};

class RadiusConfBad : public ::testing::TestWithParam<Bad> {};

TEST_P(RadiusConfBad, Rejected) {
  auto r = ParseConfigString(GetParam().text, "r.conf");
  ASSERT_FALSE(r) << GetParam().name;
  std::string all = FormatDiagnostics(r.error());
  EXPECT_NE(all.find(GetParam().message), std::string::npos) << all;
  EXPECT_EQ(all.find("hunter2"), std::string::npos) << "a secret leaked: " << all;
}

std::string CaseName(const ::testing::TestParamInfo<Bad>& info) {
  std::string out;
  for (const char* c = info.param.name; *c; ++c) out += std::isalnum(static_cast<unsigned char>(*c)) ? *c : '_';
  return out;
}

INSTANTIATE_TEST_SUITE_P(
    Table, RadiusConfBad,
    ::testing::Values(
        Bad{"no servers", "radius {\n  accounting = yes\n}\n", "r.conf:1: radius: no servers"},
        Bad{"missing secret", "radius {\n  servers {\n    a {\n      address = 192.0.2.1\n    }\n  }\n}\n",
            "r.conf:3: radius.servers.a: missing 'secret'"},
        Bad{"missing address", "radius {\n  servers {\n    a {\n      secret = hunter2\n    }\n  }\n}\n",
            "r.conf:3: radius.servers.a: missing 'address'"},
        Bad{"host name", "radius {\n  servers {\n    a {\n      address = radius.example\n      secret = hunter2\n    }\n  }\n}\n",
            "r.conf:4: radius.servers.a.address: invalid address 'radius.example'"},
        Bad{"bad port", "radius {\n  servers {\n    a {\n      address = 192.0.2.1\n      secret = hunter2\n      auth_port = 70000\n    }\n  }\n}\n",
            "r.conf:6: radius.servers.a.auth_port:"},
        Bad{"port 0", "radius {\n  servers {\n    a {\n      address = 192.0.2.1\n      secret = hunter2\n      acct_port = 0\n    }\n  }\n}\n",
            "r.conf:6: radius.servers.a.acct_port: port 0"},
        Bad{"unknown server key (a misspelt secret stays hidden)",
            "radius {\n  servers {\n    a {\n      address = 192.0.2.1\n      secert = hunter2\n    }\n  }\n}\n",
            "r.conf:5: radius.servers.a.secert: unknown key 'secert'"},
        Bad{"unknown radius key", "radius {\n  acounting = yes\n  servers {\n    a {\n      address = 192.0.2.1\n      secret = hunter2\n    }\n  }\n}\n",
            "r.conf:2: radius.acounting: unknown key 'acounting'"},
        Bad{"bad bool", "radius {\n  accounting = maybe\n  servers {\n    a {\n      address = 192.0.2.1\n      secret = hunter2\n    }\n  }\n}\n",
            "r.conf:2: radius.accounting:"},
        Bad{"bad interval", "radius {\n  interim_interval = soon\n  servers {\n    a {\n      address = 192.0.2.1\n      secret = hunter2\n    }\n  }\n}\n",
            "r.conf:2: radius.interim_interval:"},
        Bad{"tries 0", "radius {\n  retransmit_tries = 0\n  servers {\n    a {\n      address = 192.0.2.1\n      secret = hunter2\n    }\n  }\n}\n",
            "r.conf:2: radius.retransmit_tries: must be 1..10"},
        Bad{"unknown subsection", "radius {\n  server {\n  }\n}\n",
            "r.conf:2: radius.server: unknown section 'server' (expected servers)"},
        Bad{"duplicate server",
            "radius {\n  servers {\n    a {\n      address = 192.0.2.1\n      secret = hunter2\n    }\n  }\n}\n"
            "radius {\n  servers {\n    a {\n      address = 192.0.2.2\n      secret = hunter2\n    }\n  }\n}\n",
            "r.conf:11: radius.servers.a: duplicate section 'a' (first defined at r.conf:3)"},
        Bad{"bad secret encoding", "radius {\n  servers {\n    a {\n      address = 192.0.2.1\n      secret = 0xhunter2\n    }\n  }\n}\n",
            "r.conf:5: radius.servers.a.secret:"}), CaseName);

}  // namespace
}  // namespace ike::conf
