#include "charon/daemon/capabilities.h"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include <gtest/gtest.h>

namespace ike::charon {
namespace {

constexpr CapMask kAll = (CapMask{1} << (CAP_LAST_CAP + 1)) - 1;

TEST(Capabilities, RuntimeNeedsOnlyNetAdmin) {
  EXPECT_EQ(RuntimeCapabilities(), CapBit(CAP_NET_ADMIN));
  EXPECT_EQ(CapNames(RuntimeCapabilities()), "cap_net_admin");
}

TEST(Capabilities, Names) {
  EXPECT_EQ(CapNames(0), "none");
  EXPECT_EQ(CapNames(CapBit(CAP_CHOWN) | CapBit(CAP_NET_RAW)), "cap_chown,cap_net_raw");
  EXPECT_EQ(CapNames(CapBit(CAP_CHECKPOINT_RESTORE)), "cap_checkpoint_restore");
  EXPECT_EQ(CapNames(CapBit(63)), "cap_63");
}

TEST(Capabilities, RootKeepsNetAdminAndShrinksBounding) {
  CapState root{kAll, kAll, 0, kAll, 0};
  CapPlan p = PlanDrop(root, RuntimeCapabilities());
  EXPECT_FALSE(p.nothing_to_do);
  EXPECT_EQ(p.keep, CapBit(CAP_NET_ADMIN));
  EXPECT_TRUE(p.can_drop_bounding);
  EXPECT_EQ(p.drop_bounding, kAll & ~CapBit(CAP_NET_ADMIN));
}

TEST(Capabilities, AmbientServiceCapsWithoutSetpcap) {
  // systemd unit: AmbientCapabilities=CAP_NET_ADMIN CAP_NET_BIND_SERVICE CAP_NET_RAW.
  CapMask svc = CapBit(CAP_NET_ADMIN) | CapBit(CAP_NET_BIND_SERVICE) | CapBit(CAP_NET_RAW);
  CapState s{svc, svc, svc, svc, svc};
  CapPlan p = PlanDrop(s, RuntimeCapabilities());
  EXPECT_FALSE(p.nothing_to_do);
  EXPECT_EQ(p.keep, CapBit(CAP_NET_ADMIN));
  EXPECT_FALSE(p.can_drop_bounding);  // no CAP_SETPCAP: the bounding set stays
  EXPECT_EQ(p.drop_bounding, 0u);
}

TEST(Capabilities, NotHeldIsNotKept) {
  // An unprivileged process keeps nothing; it cannot gain CAP_NET_ADMIN.
  CapState user{0, 0, 0, kAll, 0};
  CapPlan p = PlanDrop(user, RuntimeCapabilities());
  EXPECT_EQ(p.keep, 0u);
  EXPECT_TRUE(p.nothing_to_do);
  CapState only{CapBit(CAP_NET_ADMIN), CapBit(CAP_NET_ADMIN), 0, CapBit(CAP_NET_ADMIN), 0};
  EXPECT_TRUE(PlanDrop(only, RuntimeCapabilities()).nothing_to_do);
}

TEST(Capabilities, ReadOwnState) {
  auto s = ReadCapState();
  ASSERT_TRUE(s) << s.error();
  EXPECT_EQ(s->effective & ~s->permitted, 0u);
  EXPECT_NE(s->bounding, 0u);
  EXPECT_GE(ThreadCount(), 1);
}

// The real drop, in a forked (single-threaded) child.
TEST(Capabilities, DropInChild) {
  auto s = ReadCapState();
  ASSERT_TRUE(s);
  if (!(s->permitted & CapBit(CAP_NET_ADMIN)) || !(s->permitted & CapBit(CAP_SETPCAP))) {
    if (const char* ci = std::getenv("CI"); ci && std::string(ci) == "true") {
      FAIL() << "CI=true: needs root (CAP_NET_ADMIN, CAP_SETPCAP)";
    }
    GTEST_SKIP() << "needs root (CAP_NET_ADMIN, CAP_SETPCAP)";
  }
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto r = DropCapabilities(RuntimeCapabilities());
    if (!r) _exit(10);
    auto after = ReadCapState();
    if (!after) _exit(11);
    CapMask want = CapBit(CAP_NET_ADMIN);
    if (after->effective != want || after->permitted != want || after->bounding != want) _exit(12);
    if (after->inheritable != 0 || after->ambient != 0) _exit(13);
    if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) _exit(14);
    if (!r->bounding_dropped) _exit(15);
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "10 drop failed, 11 read, 12 sets, 13 inheritable/ambient, "
                                       "14 no_new_privs, 15 bounding";
}

}  // namespace
}  // namespace ike::charon
