#include "conf/diff.h"

#include <gtest/gtest.h>

#include "tests/unit/conf/test_util.h"

namespace ike::conf {
namespace {

using testing::MustParse;

constexpr const char* kBase = R"(connections {
  gw {
    remote_addrs = 198.51.100.1
    local {
      auth = psk
      id = gw.example.org
    }
    remote {
      auth = psk
    }
    children {
      net {
        local_ts = 10.1.0.0/16
        remote_ts = 10.2.0.0/16
      }
      voice {
        local_ts = 10.1.5.0/24
        remote_ts = 10.2.5.0/24
      }
    }
  }
  other {
    remote_addrs = 203.0.113.9
  }
}
secrets {
  ike-gw {
    id = 198.51.100.1
    secret = first-secret
  }
}
pools {
  p {
    addrs = 10.3.0.0/24
  }
}
)";

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  size_t pos = s.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  if (pos != std::string::npos) s.replace(pos, from.size(), to);
  return s;
}

std::vector<std::string> DiffStrings(const std::string& a, const std::string& b) {
  Config old_config = MustParse(a, "old.conf");
  Config new_config = MustParse(b, "new.conf");
  std::vector<std::string> out;
  for (const auto& c : Diff(old_config, new_config)) out.push_back(c.ToString());
  return out;
}

TEST(Diff, Unchanged) {
  EXPECT_TRUE(DiffStrings(kBase, kBase).empty());
  // Moving lines or adding comments is not a change.
  std::string moved = std::string("# a comment\n\n") + kBase;
  EXPECT_TRUE(DiffStrings(kBase, moved).empty());
}

TEST(Diff, ChildAdded) {
  std::string next = Replace(kBase, "      voice {", "      video {\n        local_ts = 10.1.6.0/24\n      }\n      voice {");
  EXPECT_EQ(DiffStrings(kBase, next), std::vector<std::string>{"child gw/video: added"});
}

TEST(Diff, ChildRemoved) {
  std::string next = Replace(kBase, R"(      voice {
        local_ts = 10.1.5.0/24
        remote_ts = 10.2.5.0/24
      }
)", "");
  EXPECT_EQ(DiffStrings(kBase, next), std::vector<std::string>{"child gw/voice: removed"});
}

TEST(Diff, ChildChangedNamesTheKeys) {
  std::string next = Replace(kBase, "        remote_ts = 10.2.5.0/24\n",
                             "        remote_ts = 10.2.6.0/24\n        rekey_time = 2h\n");
  // life_time and rand_time follow rekey_time by default, so they change too.
  EXPECT_EQ(DiffStrings(kBase, next),
            std::vector<std::string>{"child gw/voice: changed (life_time, rand_time, rekey_time, remote_ts)"});
}

TEST(Diff, ConnectionChangedLeavesChildrenAlone) {
  std::string next = Replace(kBase, "      id = gw.example.org", "      id = gw2.example.org");
  next = Replace(next, "    remote_addrs = 198.51.100.1\n", "    remote_addrs = 198.51.100.1\n    dpd_delay = 10s\n");
  EXPECT_EQ(DiffStrings(kBase, next),
            std::vector<std::string>{"connection gw: changed (dpd_delay, local.id)"});
}

TEST(Diff, ConnectionRenamed) {
  std::string next = Replace(kBase, "  gw {", "  gateway {");
  EXPECT_EQ(DiffStrings(kBase, next), std::vector<std::string>{"connection gateway: renamed from gw"});
  // A rename with a change is a removal and an addition.
  std::string changed = Replace(next, "remote_addrs = 198.51.100.1", "remote_addrs = 198.51.100.2");
  EXPECT_EQ(DiffStrings(kBase, changed),
            (std::vector<std::string>{"connection gw: removed", "connection gateway: added"}));
}

TEST(Diff, ConnectionAddedAndRemoved) {
  std::string next = Replace(kBase, "  other {\n    remote_addrs = 203.0.113.9\n  }\n",
                             "  third {\n    remote_addrs = 203.0.113.10\n  }\n");
  EXPECT_EQ(DiffStrings(kBase, next),
            (std::vector<std::string>{"connection other: removed", "connection third: added"}));
}

TEST(Diff, SecretRotated) {
  std::string next = Replace(kBase, "secret = first-secret", "secret = second-secret");
  auto changes = DiffStrings(kBase, next);
  EXPECT_EQ(changes, std::vector<std::string>{"secret ike-gw: changed (secret)"});
  // The message names the key, never the value.
  EXPECT_EQ(changes[0].find("second"), std::string::npos);
  std::string new_id = Replace(kBase, "id = 198.51.100.1", "id = 198.51.100.2");
  EXPECT_EQ(DiffStrings(kBase, new_id), std::vector<std::string>{"secret ike-gw: changed (id)"});
}

TEST(Diff, PoolsAndAuthorities) {
  std::string next = Replace(kBase, "addrs = 10.3.0.0/24", "addrs = 10.3.0.0/24\n    dns = 10.0.0.53");
  next += "pools {\n  q {\n    addrs = 10.4.0.0/24\n  }\n}\n";
  EXPECT_EQ(DiffStrings(kBase, next),
            (std::vector<std::string>{"pool p: changed (dns)", "pool q: added"}));
}

TEST(Diff, ChangeFields) {
  Config a = MustParse(kBase);
  Config b = MustParse(Replace(kBase, "remote_ts = 10.2.0.0/16", "remote_ts = 10.9.0.0/16"));
  auto changes = Diff(a, b);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].entity, EntityKind::kChild);
  EXPECT_EQ(changes[0].kind, ChangeKind::kChanged);
  EXPECT_EQ(changes[0].name, "net");
  EXPECT_EQ(changes[0].parent, "gw");
  EXPECT_EQ(changes[0].keys, std::vector<std::string>{"remote_ts"});
}

}  // namespace
}  // namespace ike::conf
