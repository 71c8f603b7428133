// OpenSslRng: small requests come from a per-thread block, large ones straight
// from the DRBG; no output is handed out twice, whatever the mix of sizes.
#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

#include "libike/crypto/rng.h"

namespace ike::crypto {
namespace {

TEST(OpenSslRngTest, SmallRequestsNeverRepeatAcrossBlockRefills) {
  OpenSslRng rng;
  std::set<Bytes> seen;
  // 8- and 32-byte draws (SPIs, nonces) over many 512-byte block refills,
  // with odd sizes in between so draws straddle refill points.
  for (int i = 0; i < 2000; ++i) {
    Bytes spi = rng.Generate(8);
    Bytes nonce = rng.Generate(32);
    Bytes odd = rng.Generate(static_cast<size_t>(i % 64) + 1);
    ASSERT_EQ(spi.size(), 8u);
    ASSERT_EQ(nonce.size(), 32u);
    ASSERT_EQ(odd.size(), static_cast<size_t>(i % 64) + 1);
    EXPECT_TRUE(seen.insert(spi).second);
    EXPECT_TRUE(seen.insert(nonce).second);
  }
}

TEST(OpenSslRngTest, LargeAndEmptyRequests) {
  OpenSslRng rng;
  Bytes big = rng.Generate(4096);
  Bytes big2 = rng.Generate(4096);
  EXPECT_NE(big, big2);
  // Not all zero: a 4 KiB all-zero draw would mean nothing was written.
  EXPECT_NE(big, Bytes(4096, 0));
  EXPECT_TRUE(rng.Generate(0).empty());
  SecretBytes key = rng.GenerateSecret(64);
  EXPECT_EQ(key.size(), 64u);
}

TEST(OpenSslRngTest, ThreadsDrawDistinctValues) {
  OpenSslRng rng;
  std::vector<std::vector<Bytes>> out(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < out.size(); ++t) {
    threads.emplace_back([&rng, &mine = out[t]] {
      for (int i = 0; i < 500; ++i) mine.push_back(rng.Generate(16));
    });
  }
  for (auto& t : threads) t.join();
  std::set<Bytes> all;
  for (const auto& v : out) all.insert(v.begin(), v.end());
  EXPECT_EQ(all.size(), 2000u);
}

}  // namespace
}  // namespace ike::crypto
