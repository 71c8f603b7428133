#include "conf/ast.h"

#include <gtest/gtest.h>

#include <map>

#include "conf/loader.h"
#include "tests/unit/conf/test_util.h"

namespace ike::conf {
namespace {

using testing::DataPath;
using testing::ErrorsOf;
using testing::MustParse;

AstSection Parse(std::string_view text, Diagnostics& diags, IncludeResolver* resolver = nullptr) {
  AstSection root;
  ParseText(text, "t.conf", resolver, root, diags);
  return root;
}

TEST(Parser, SectionsSettingsAndLines) {
  Diagnostics diags;
  AstSection root = Parse(R"(# comment
a {
  k1 = v1   # trailing comment
  k2 =
  k3 = "quoted # not a comment"
  b { x = y }
}
c : a, a.b {
}
)", diags);
  EXPECT_FALSE(diags.has_errors()) << FormatDiagnostics(diags.items());
  ASSERT_EQ(root.sections.size(), 2u);
  const AstSection& a = root.sections[0];
  EXPECT_EQ(a.name, "a");
  EXPECT_EQ(a.loc.line, 2);
  ASSERT_EQ(a.settings.size(), 3u);
  EXPECT_EQ(a.settings[0].value, "v1");
  EXPECT_EQ(a.settings[0].loc.line, 3);
  EXPECT_EQ(a.settings[1].value, "");
  EXPECT_EQ(a.settings[2].value, "quoted # not a comment");
  EXPECT_TRUE(a.settings[2].quoted);
  ASSERT_EQ(a.sections.size(), 1u);
  EXPECT_EQ(a.sections[0].settings[0].value, "y");
  EXPECT_EQ(root.sections[1].refs, (std::vector<std::string>{"a", "a.b"}));
}

TEST(Parser, QuotedValuesSpanLinesAndEscape) {
  Diagnostics diags;
  AstSection root = Parse("a {\n  k = \"line1\nline2 \\\"q\\\" \\\\ \\t\"\n  j = 1\n}\n", diags);
  EXPECT_FALSE(diags.has_errors()) << FormatDiagnostics(diags.items());
  EXPECT_EQ(root.sections[0].settings[0].value, "line1\nline2 \"q\" \\ \t");
  EXPECT_EQ(root.sections[0].settings[1].loc.line, 4);
}

TEST(Parser, RecoversPerLineAndReportsEveryError) {
  Diagnostics diags;
  Parse(R"(a {
  k1 v1
  = v2
  k3 = "unterminated
}
)", diags);
  auto errors = diags.items();
  ASSERT_GE(errors.size(), 3u);
  EXPECT_EQ(errors[0].ToString(), "t.conf:2: a.k1: expected '=' or '{' after 'k1', found 'v'");
  EXPECT_EQ(errors[1].ToString(), "t.conf:3: a: unexpected character '='");
  EXPECT_EQ(errors[2].ToString(), "t.conf:4: a.k3: unterminated quoted string");
}

TEST(Parser, StrayClosingBrace) {
  Diagnostics diags;
  Parse("a {\n}\n}\nb {\n}\n", diags);
  ASSERT_EQ(diags.items().size(), 1u);
  EXPECT_EQ(diags.items()[0].ToString(), "t.conf:3: unexpected '}' without an open section");
}

TEST(Parser, MissingBraceBlamesTheInnerSection) {
  Diagnostics diags;
  Parse(R"(connections {
   gw {
      children {
         net {
            mode = tunnel
      }
   }
}
)", diags);
  ASSERT_EQ(diags.items().size(), 1u);
  EXPECT_EQ(diags.items()[0].ToString(),
            "t.conf:4: connections.gw.children.net: missing '}': section 'net' is not closed "
            "(its '}' at line 6 is indented like an outer one)");
}

TEST(Parser, IncludesDisabledWithoutResolver) {
  Diagnostics diags;
  Parse("include /etc/passwd\n", diags);
  ASSERT_EQ(diags.items().size(), 1u);
  EXPECT_EQ(diags.items()[0].ToString(), "t.conf:1: include: includes are disabled here ('/etc/passwd')");
}

class MapResolver : public IncludeResolver {
 public:
  std::map<std::string, std::string> files;
  bool Resolve(std::string_view pattern, std::string_view, std::vector<IncludedFile>& out,
               std::string& error) override {
    auto it = files.find(std::string(pattern));
    if (it == files.end()) {
      error = "cannot open '" + std::string(pattern) + "'";
      return false;
    }
    out.push_back({it->first, it->first, it->second});
    return true;
  }
};

TEST(Parser, InjectedIncludesContinueTheCurrentSection) {
  MapResolver r;
  r.files["inner.conf"] = "k2 = v2\nsub {\n}\n";
  Diagnostics diags;
  AstSection root = Parse("a {\n  k1 = v1\n  include inner.conf\n  k3 = v3\n}\n", diags, &r);
  EXPECT_FALSE(diags.has_errors()) << FormatDiagnostics(diags.items());
  const AstSection& a = root.sections[0];
  ASSERT_EQ(a.settings.size(), 3u);
  EXPECT_EQ(a.settings[1].key, "k2");
  EXPECT_EQ(a.settings[1].loc, (Location{"inner.conf", 1}));
  EXPECT_EQ(a.sections[0].loc, (Location{"inner.conf", 2}));
}

TEST(Parser, IncludeLoopIsAnError) {
  MapResolver r;
  r.files["x.conf"] = "include y.conf\n";
  r.files["y.conf"] = "include x.conf\n";
  Diagnostics diags;
  Parse("include x.conf\n", diags, &r);
  ASSERT_EQ(diags.items().size(), 1u);
  EXPECT_EQ(diags.items()[0].ToString(), "y.conf:1: include: include loop: 'x.conf' is already being read");
}

TEST(Parser, UnbalancedIncludedFile) {
  MapResolver r;
  r.files["open.conf"] = "s {\n";
  Diagnostics diags;
  Parse("include open.conf\n", diags, &r);
  ASSERT_EQ(diags.items().size(), 1u);
  EXPECT_EQ(diags.items()[0].ToString(), "open.conf:1: s: missing '}': section 's' is not closed");
}

TEST(Parser, DepthLimit) {
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += "a {\n";
  for (int i = 0; i < 100; ++i) deep += "}\n";
  Diagnostics diags;
  Parse(deep, diags);
  EXPECT_TRUE(diags.has_errors());
}

TEST(Templates, InheritSettingsAndSections) {
  Config c = MustParse(R"(connections {
  base {
    version = 2
    rekey_time = 2h
    local {
      auth = psk
      id = a.example.org
    }
    children {
      net {
        local_ts = 10.0.0.0/24
      }
    }
  }
  derived : connections.base {
    rekey_time = 3h
    local {
      id = b.example.org
    }
  }
})");
  ASSERT_EQ(c.connections.size(), 2u);
  const auto& d = c.connections[1];
  EXPECT_EQ(d.name, "derived");
  EXPECT_EQ(d.version, 2u);
  EXPECT_EQ(d.rekey_time, Seconds(7200 + 3600));
  EXPECT_EQ(d.local[0].auth.cls, AuthSpec::Class::kPsk);
  EXPECT_EQ(d.local[0].id->ToString(), "b.example.org");
  ASSERT_EQ(d.children.size(), 1u);
  EXPECT_EQ(d.children[0].local_ts[0].ToString(), "10.0.0.0/24");
}

TEST(Templates, MissingReferenceAndSelfReference) {
  EXPECT_EQ(ErrorsOf("connections {\n a : connections.nope {\n }\n}\n"),
            std::vector<std::string>{"test.conf:2: connections.a: referenced section 'connections.nope' does not exist"});
  EXPECT_EQ(ErrorsOf("connections {\n a : connections.a {\n }\n}\n"),
            std::vector<std::string>{"test.conf:2: connections.a: section 'connections.a' cannot inherit from itself ('connections.a')"});
}

TEST(Templates, CyclesTerminate) {
  auto r = ParseConfigString("connections {\n a : connections.b {\n }\n b : connections.a {\n }\n}\n", "t");
  EXPECT_TRUE(r.has_value());
}

TEST(Includes, GlobsFromFilesInNameOrder) {
  auto r = LoadConfig(DataPath("includes/swanctl.conf"));
  ASSERT_TRUE(r.has_value()) << FormatDiagnostics(r.error());
  const Config& c = *r;
  ASSERT_EQ(c.connections.size(), 3u);
  EXPECT_EQ(c.connections[0].name, "base");
  const auto& alpha = c.connections[1];
  EXPECT_EQ(alpha.name, "alpha");
  EXPECT_EQ(alpha.loc, (Location{DataPath("includes/conf.d/10-alpha.conf"), 2}));
  EXPECT_EQ(alpha.version, 2u);
  EXPECT_EQ(ToString(alpha.proposals), "aes256-sha256-prfsha256-modp3072");
  EXPECT_EQ(alpha.remote_addrs[0].kind, AddressSpec::Kind::kHostname);
  EXPECT_EQ(alpha.local[0].id->ToString(), "gw.example.org");
  EXPECT_EQ(alpha.local[0].auth.cls, AuthSpec::Class::kPubkey);
  EXPECT_TRUE(alpha.children[0].start_action.trap);
  const auto& beta = c.connections[2];
  EXPECT_EQ(ToString(beta.proposals), "aes128gcm16-prfsha256-ecp256");
  EXPECT_EQ(beta.pools, std::vector<std::string>{"office"});
  ASSERT_EQ(c.pools.size(), 1u);
  EXPECT_EQ(c.pools[0].loc, (Location{DataPath("includes/pools.inc"), 1}));
  EXPECT_EQ(c.pools[0].addrs.ToString(), "10.20.0.1-10.20.0.100");
  EXPECT_EQ(c.pools[0].dns.size(), 2u);
}

TEST(Includes, LoopFromFiles) {
  auto r = LoadConfig(DataPath("bad/loop-a.conf"));
  ASSERT_FALSE(r.has_value());
  ASSERT_EQ(r.error().size(), 1u);
  EXPECT_EQ(r.error()[0].ToString(), DataPath("bad/loop-b.conf") +
                                         ":2: include: include loop: '" + DataPath("bad/loop-a.conf") +
                                         "' is already being read");
}

TEST(Includes, MissingFileIsAnError) {
  FileIncludeResolver files;
  LoadOptions opts;
  opts.include_resolver = &files;
  auto r = ParseConfigString("include /nonexistent/dir/x.conf\n", "/tmp/virtual.conf", opts);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error()[0].ToString(),
            "/tmp/virtual.conf:1: include: cannot open '/nonexistent/dir/x.conf': No such file or directory");
}

}  // namespace
}  // namespace ike::conf
