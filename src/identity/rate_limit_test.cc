#include "identity/rate_limit.h"

#include <gtest/gtest.h>

namespace quartet::identity {
namespace {

TEST(RateLimiterTest, ABurstThenOneEachPeriodPerKey) {
  FakeClock clock(std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000)));
  RateLimiter limits(clock);
  const RateLimiter::Rule rule{3, std::chrono::seconds(60)};
  EXPECT_EQ(limits.Peek("grant:ana:acme", rule).count(), 0);  // takes nothing
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limits.Take("grant:ana:acme", rule).count(), 0);
  EXPECT_EQ(limits.Peek("grant:ana:acme", rule).count(), 60);
  EXPECT_EQ(limits.Take("grant:ana:acme", rule).count(), 60);
  // Another key has its own bucket.
  EXPECT_EQ(limits.Take("grant:ben:acme", rule).count(), 0);
  clock.Advance(std::chrono::seconds(30));
  EXPECT_EQ(limits.Take("grant:ana:acme", rule).count(), 30);
  clock.Advance(std::chrono::seconds(30));
  EXPECT_EQ(limits.Take("grant:ana:acme", rule).count(), 0);
  EXPECT_EQ(limits.Take("grant:ana:acme", rule).count(), 60);
  // A long pause refills no more than the burst.
  clock.Advance(std::chrono::hours(10));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limits.Take("grant:ana:acme", rule).count(), 0);
  EXPECT_GT(limits.Take("grant:ana:acme", rule).count(), 0);
}

TEST(RateLimiterTest, MemoryIsBounded) {
  FakeClock clock(std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000)));
  RateLimiter limits(clock, true, 10);
  const RateLimiter::Rule rule{1, std::chrono::seconds(60)};
  for (int i = 0; i < 1000; ++i)
    EXPECT_EQ(limits.Take("key " + std::to_string(i), rule).count(), 0);
}

}  // namespace
}  // namespace quartet::identity
