// A table of bad files, each with its exact file:line message, and the check
// that one run reports every error.
#include <gtest/gtest.h>

#include "conf/loader.h"
#include "tests/unit/conf/test_util.h"

namespace ike::conf {
namespace {

using testing::ErrorsOf;

struct BadFile {
  const char* name;
  const char* text;
  std::vector<std::string> errors;
};

TEST(BadFiles, ExactMessages) {
  const BadFile cases[] = {
      {"unknown key",
       "connections {\n  gw {\n    rekey_tim = 1h\n  }\n}\n",
       {"test.conf:3: connections.gw.rekey_tim: unknown key 'rekey_tim'"}},
      {"unknown child key",
       "connections {\n  gw {\n    children {\n      net {\n        esp_proposal = aes128-sha256\n"
       "      }\n    }\n  }\n}\n",
       {"test.conf:5: connections.gw.children.net.esp_proposal: unknown key 'esp_proposal'"}},
      {"unknown section",
       "connections {\n  gw {\n    lcal {\n    }\n  }\n}\n",
       {"test.conf:3: connections.gw.lcal: unknown section 'lcal'"}},
      {"unknown top-level section",
       "connection {\n}\n",
       {"test.conf:1: connection: unknown section 'connection' (expected connections, secrets, "
        "pools, authorities or radius)"}},
      {"bad proposal keyword",
       "connections {\n  gw {\n    proposals = aes257-sha256-modp2048\n  }\n}\n",
       {"test.conf:3: connections.gw.proposals: unknown algorithm keyword 'aes257'"}},
      {"bad esp proposal keyword",
       "connections {\n  gw {\n    children {\n      c {\n        esp_proposals = aes128-sha256-modp2047\n"
       "      }\n    }\n  }\n}\n",
       {"test.conf:5: connections.gw.children.c.esp_proposals: unknown algorithm keyword 'modp2047'"}},
      {"bad CIDR",
       "connections {\n  gw {\n    children {\n      c {\n        local_ts = 10.0.0.0/33\n"
       "      }\n    }\n  }\n}\n",
       {"test.conf:5: connections.gw.children.c.local_ts: invalid traffic selector '10.0.0.0/33': "
        "invalid subnet '10.0.0.0/33': bad prefix length"}},
      {"bad address",
       "connections {\n  gw {\n    remote_addrs = 198.51.100.300\n  }\n}\n",
       {"test.conf:3: connections.gw.remote_addrs: invalid address '198.51.100.300'"}},
      {"missing brace",
       "connections {\n  gw {\n    version = 2\n}\n",
       {"test.conf:2: connections.gw: missing '}': section 'gw' is not closed (its '}' at line 4 "
        "is indented like an outer one)"}},
      {"duplicate connection",
       "connections {\n  gw {\n  }\n  gw {\n  }\n}\n",
       {"test.conf:4: connections.gw: duplicate section 'gw' (first defined at test.conf:2)"}},
      {"duplicate child",
       "connections {\n  gw {\n    children {\n      c {\n      }\n      c {\n      }\n    }\n  }\n}\n",
       {"test.conf:6: connections.gw.children.c: duplicate section 'c' (first defined at test.conf:4)"}},
      {"duplicate auth round",
       "connections {\n  gw {\n    local {\n    }\n    local {\n    }\n  }\n}\n",
       {"test.conf:5: connections.gw.local: duplicate section 'local' (first defined at test.conf:3)"}},
      {"secret without id",
       "secrets {\n  ike-1 {\n    secret = abc\n  }\n}\n",
       {"test.conf:2: secrets.ike-1: secret has no id (set id = <peer identity>, or id = %any to "
        "use it for every peer)"}},
      {"secret without secret",
       "secrets {\n  eap-carol {\n    id = carol\n  }\n}\n",
       {"test.conf:2: secrets.eap-carol: missing 'secret'"}},
      {"bad hex secret",
       "secrets {\n  ike-1 {\n    id = a\n    secret = 0x12zz\n  }\n}\n",
       {"test.conf:4: secrets.ike-1.secret: invalid hex secret (0x form)"}},
      {"unknown secret type",
       "secrets {\n  psk-1 {\n    secret = x\n  }\n}\n",
       {"test.conf:2: secrets.psk-1: unknown secret type 'psk-1' (expected ike-, eap-, xauth-, "
        "ntlm-, ppk-, private-, rsa-, ecdsa-, pkcs8-, pkcs12- or token-)"}},
      {"bad time",
       "connections {\n  gw {\n    dpd_delay = 30 seconds\n  }\n}\n",
       {"test.conf:3: connections.gw.dpd_delay: invalid time '30 seconds' (expected e.g. 30s, 5m, "
        "4h, 1d)"}},
      {"bad boolean",
       "connections {\n  gw {\n    mobike = maybe\n  }\n}\n",
       {"test.conf:3: connections.gw.mobike: invalid boolean 'maybe' (expected yes or no)"}},
      {"bad enum",
       "connections {\n  gw {\n    children {\n      c {\n        mode = tunel\n      }\n    }\n  }\n}\n",
       {"test.conf:5: connections.gw.children.c.mode: invalid value 'tunel' (expected one of: "
        "tunnel, transport, transport_proxy, iptfs, beet, pass, drop)"}},
      {"bad version",
       "connections {\n  gw {\n    version = 3\n  }\n}\n",
       {"test.conf:3: connections.gw.version: number '3' exceeds 2"}},
      {"bad auth",
       "connections {\n  gw {\n    local {\n      auth = password\n    }\n  }\n}\n",
       {"test.conf:4: connections.gw.local.auth: unknown authentication method 'password' "
        "(expected pubkey, psk, eap[-method], xauth[-backend] or null)"}},
      {"bad identity",
       "connections {\n  gw {\n    remote {\n      id = C=CH, FOO=bar\n    }\n  }\n}\n",
       {"test.conf:4: connections.gw.remote.id: invalid DN 'C=CH, FOO=bar': unknown attribute "
        "type 'FOO'"}},
      {"unknown pool",
       "connections {\n  gw {\n    pools = nope\n  }\n}\n",
       {"test.conf:2: connections.gw.pools: unknown pool 'nope'"}},
      {"pool without addrs",
       "pools {\n  p {\n    dns = 10.0.0.1\n  }\n}\n",
       {"test.conf:2: pools.p: missing 'addrs'"}},
      {"life below rekey",
       "connections {\n  gw {\n    children {\n      c {\n        rekey_time = 1h\n        life_time = 30m\n"
       "      }\n    }\n  }\n}\n",
       {"test.conf:4: connections.gw.children.c.life_time: life_time (1800s) must be greater "
        "than rekey_time (3600s)"}},
      {"setting in a container",
       "connections {\n  version = 2\n}\n",
       {"test.conf:2: connections.version: unknown key 'version' (expected a section)"}},
      {"top-level setting",
       "charondebug = all\n",
       {"test.conf:1: charondebug: unknown key 'charondebug' at top level"}},
      {"authority without cacert",
       "authorities {\n  ca {\n    crl_uris = http://crl.example.org/ca.crl\n  }\n}\n",
       {"test.conf:2: authorities.ca: missing 'cacert' (or 'file')"}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ErrorsOf(c.text), c.errors) << c.name;
  }
}

TEST(BadFiles, AllErrorsInOneRun) {
  auto errors = ErrorsOf(R"(connections {
  gw {
    rekey_tim = 1h
    proposals = aes128-sha256-modp9999
    children {
      a {
        local_ts = 10.0.0.0/40
        mode = bogus
      }
    }
  }
  gw {
  }
}
secrets {
  ike-x {
    secret = y
  }
}
)");
  ASSERT_EQ(errors.size(), 6u);
  EXPECT_EQ(errors[0], "test.conf:3: connections.gw.rekey_tim: unknown key 'rekey_tim'");
  EXPECT_EQ(errors[1], "test.conf:4: connections.gw.proposals: unknown algorithm keyword 'modp9999'");
  EXPECT_EQ(errors[2].substr(0, 44), "test.conf:7: connections.gw.children.a.local");
  EXPECT_EQ(errors[3].substr(0, 43), "test.conf:8: connections.gw.children.a.mode");
  EXPECT_EQ(errors[4], "test.conf:12: connections.gw: duplicate section 'gw' (first defined at test.conf:2)");
  EXPECT_EQ(errors[5].substr(0, 27), "test.conf:16: secrets.ike-x");
}

TEST(BadFiles, SecretsNeverAppearInMessages) {
  auto r = ParseConfigString("secrets {\n  ike-1 {\n    id = a\n    secret = 0xTOPSECRETzz\n    "
                             "bogus = ANOTHERSECRET\n  }\n}\n", "t.conf");
  ASSERT_FALSE(r.has_value());
  std::string all = FormatDiagnostics(r.error());
  EXPECT_EQ(all.find("TOPSECRET"), std::string::npos) << all;
  EXPECT_EQ(all.find("ANOTHERSECRET"), std::string::npos) << all;
}

TEST(BadFiles, ArbitraryBytesNeverCrash) {
  const std::string inputs[] = {
      std::string("\0\0\0{", 4), "{{{{", "}}}}", "a{b{c{", "a = \"", "a : {", "a : b, {",
      "include", "include \"\"", "a = b\n= c", "\xff\xfe\xfd", "connections { x : y {", "#",
      "connections {\n a {\n children {\n c {\n local_ts = [\n }\n }\n }\n}\n"};
  for (const auto& in : inputs) {
    auto r = ParseConfigString(in, "fuzz");
    (void)r;
  }
}

}  // namespace
}  // namespace ike::conf
