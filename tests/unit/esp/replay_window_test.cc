// RFC 4303 3.4.3 / Appendix A anti-replay window, RFC 6479 bitmap.
#include "xfrm/esp/replay_window.h"

#include <gtest/gtest.h>

namespace ike::esp {
namespace {

TEST(ReplayWindow, AcceptsInOrderAndRejectsDuplicates) {
  ReplayWindow w(32, false);
  for (uint32_t s = 1; s <= 100; ++s) {
    auto r = w.Check(s);
    ASSERT_TRUE(r.has_value()) << s;
    w.Accept(*r);
  }
  EXPECT_EQ(w.Check(100).error(), DropReason::kReplayed);
  EXPECT_EQ(w.Check(69).error(), DropReason::kReplayed);
  EXPECT_EQ(w.Check(68).error(), DropReason::kOutsideWindow);
  EXPECT_EQ(w.Check(0).error(), DropReason::kOutsideWindow);
}

TEST(ReplayWindow, OutOfOrderInsideWindow) {
  ReplayWindow w(64, false);
  w.Accept(*w.Check(50));
  // 49..(50-63) never seen: all acceptable, once.
  for (uint32_t s = 49; s >= 1; --s) {
    auto r = w.Check(s);
    ASSERT_TRUE(r.has_value()) << s;
    w.Accept(*r);
    EXPECT_EQ(w.Check(s).error(), DropReason::kReplayed);
  }
}

TEST(ReplayWindow, CheckDoesNotAdvance) {
  // A packet whose ICV fails is checked but never accepted: the window stays.
  ReplayWindow w(32, false);
  w.Accept(*w.Check(10));
  ASSERT_TRUE(w.Check(1000).has_value());
  EXPECT_EQ(w.top(), 10u);
  EXPECT_TRUE(w.Check(5).has_value());
}

TEST(ReplayWindow, Size4096Boundaries) {
  ReplayWindow w(4096, false);
  w.Accept(*w.Check(10000));
  EXPECT_TRUE(w.Check(10000 - 4095).has_value());
  EXPECT_EQ(w.Check(10000 - 4096).error(), DropReason::kOutsideWindow);
  // Fill the whole window backwards, then all are replays.
  for (uint32_t s = 10000 - 4095; s < 10000; ++s) w.Accept(*w.Check(s));
  for (uint32_t s = 10000 - 4095; s <= 10000; ++s) {
    ASSERT_EQ(w.Check(s).error(), DropReason::kReplayed) << s;
  }
  // A big jump clears the bitmap: old bits must not leak into new blocks.
  w.Accept(*w.Check(10000 + 3 * 4096));
  for (uint32_t s = 10000 + 3 * 4096 - 4095; s < 10000 + 3 * 4096; ++s) {
    ASSERT_TRUE(w.Check(s).has_value()) << s;
  }
}

TEST(ReplayWindow, JumpWithinRingKeepsRecentBits) {
  ReplayWindow w(128, false);
  w.Accept(*w.Check(100));
  w.Accept(*w.Check(90));
  w.Accept(*w.Check(200));  // 90 is now outside, 100 inside
  EXPECT_EQ(w.Check(100).error(), DropReason::kReplayed);
  EXPECT_TRUE(w.Check(101).has_value());
  EXPECT_EQ(w.Check(72).error(), DropReason::kOutsideWindow);
}

TEST(ReplayWindow, EsnInfersHighBitsAcrossWrap) {
  ReplayWindow w(64, true);
  w.Accept(*w.Check(0xfffffff0u));
  EXPECT_EQ(w.top(), 0xfffffff0u);
  // Wrap: low 5 means 2^32 + 5.
  auto r = w.Check(5);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, (uint64_t{1} << 32) + 5);
  w.Accept(*r);
  // A late packet from before the wrap (window spans both subspaces): case B.
  auto late = w.Check(0xfffffff8u);
  ASSERT_TRUE(late.has_value());
  EXPECT_EQ(*late, 0xfffffff8u);
  w.Accept(*late);
  EXPECT_EQ(w.Check(0xfffffff8u).error(), DropReason::kReplayed);
  EXPECT_EQ(w.Check(0xfffffff0u).error(), DropReason::kReplayed);
  // Below the window bottom's low half: per Appendix A2.2 it belongs to the
  // next subspace (far ahead), not to the old one.
  EXPECT_EQ(*w.Check(0xffffff00u), (uint64_t{1} << 32) | 0xffffff00u);
}

TEST(ReplayWindow, EsnFirstSubspaceHasNothingBelow) {
  // Top 3 with a window spanning "subspace -1": a high low half can only be
  // ahead in subspace 0.
  ReplayWindow w(32, true);
  w.Accept(*w.Check(3));
  EXPECT_EQ(*w.Check(0xffffffffu), 0xffffffffu);
  EXPECT_EQ(*w.Check(2), 2u);
}

TEST(ReplayWindow, EsnLarge4096) {
  ReplayWindow w(4096, true);
  const uint64_t base = (uint64_t{7} << 32) | 100;
  // Prime the window to subspace 7 by walking there in big steps.
  for (uint64_t s = 0x80000000u; s <= base; s += 0x80000000u) w.Accept(*w.Check(static_cast<uint32_t>(s)));
  w.Accept(*w.Check(100));
  EXPECT_EQ(w.top(), base);
  // 4000 packets back crosses into subspace 6.
  auto r = w.Check(static_cast<uint32_t>(base - 4000));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, base - 4000);
  EXPECT_EQ(*w.Check(static_cast<uint32_t>(base - 4095)), base - 4095);
  w.Accept(base - 4000);
  EXPECT_EQ(w.Check(static_cast<uint32_t>(base - 4000)).error(), DropReason::kReplayed);
}

TEST(ReplayWindow, ZeroSizeDisablesProtection) {
  ReplayWindow w(0, false);
  w.Accept(*w.Check(10));
  EXPECT_TRUE(w.Check(10).has_value());
  EXPECT_TRUE(w.Check(1).has_value());
}

}  // namespace
}  // namespace ike::esp
