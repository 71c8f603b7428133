// Peer identity matching for configuration selection and verification:
// %any, exact identities, and '*' patterns for FQDN/RFC822 identities.
#include <gtest/gtest.h>

#include "libike/engine/sa/config.h"

namespace ike::engine {
namespace {

Identity Id(const char* text, bool wildcard = false) {
  Identity id = *Identity::Parse(text);
  id.wildcard = wildcard;
  return id;
}

TEST(IdentityMatch, AnyAndExact) {
  EXPECT_TRUE(Identity{}.Matches(Id("c1.rw.example")));
  EXPECT_TRUE(Id("c1.rw.example").Matches(Id("c1.rw.example")));
  EXPECT_FALSE(Id("c1.rw.example").Matches(Id("c2.rw.example")));
  // Without the wildcard flag a '*' is a literal byte.
  EXPECT_FALSE(Id("*.rw.example").Matches(Id("c1.rw.example")));
}

TEST(IdentityMatch, FqdnAndRfc822Patterns) {
  Identity any_rw = Id("*.rw.example", true);
  EXPECT_TRUE(any_rw.Matches(Id("c1.rw.example")));
  EXPECT_TRUE(any_rw.Matches(Id("a.b.RW.example")));  // DNS names ignore case
  EXPECT_FALSE(any_rw.Matches(Id("rw.example")));
  EXPECT_FALSE(any_rw.Matches(Id("c1.rw.example.org")));
  EXPECT_FALSE(any_rw.Matches(Id("alice@rw.example")));  // another ID type
  Identity users = Id("*@rw.example", true);
  EXPECT_TRUE(users.Matches(Id("alice@rw.example")));
  EXPECT_FALSE(users.Matches(Id("alice@other.example")));
  Identity middle = Id("c*.rw.*", true);
  EXPECT_TRUE(middle.Matches(Id("c17.rw.example")));
  EXPECT_FALSE(middle.Matches(Id("d17.rw.example")));
  EXPECT_TRUE(Id("c**1.rw.example", true).Matches(Id("c1.rw.example")));
  // Backtracking: the '*' must give way to a later match.
  EXPECT_TRUE(Id("*ab", true).Matches(Id("aaab")));
  EXPECT_FALSE(Id("*ab", true).Matches(Id("aaba")));
}

}  // namespace
}  // namespace ike::engine
