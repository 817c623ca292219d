#include "identity/throttle.h"

#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace quartet::identity {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

class SignInThrottleTest : public ::testing::Test {
 protected:
  void Fail(std::string_view key, int times) {
    for (int i = 0; i < times; ++i) throttle_.RecordFailure(key);
  }
  // True if `key` is locked out for exactly `wait` (the message rounds up to whole seconds).
  bool LockedFor(std::string_view key, seconds wait) {
    const Status status = throttle_.Check(key);
    const std::string unit = wait == seconds(1) ? " second" : " seconds";
    return status.code() == StatusCode::kUnavailable &&
           status.message().ends_with("retry after " + std::to_string(wait.count()) + unit);
  }

  FakeClock clock_{std::chrono::system_clock::time_point(seconds(1'700'000'000))};
  SignInThrottle throttle_{clock_, ThrottleOptions{}};
};

TEST_F(SignInThrottleTest, UnknownKeyIsAllowed) {
  EXPECT_TRUE(throttle_.Check("account:alice").ok());
}

TEST_F(SignInThrottleTest, FreeFailuresDoNotLock) {
  Fail("account:alice", 5);
  EXPECT_TRUE(throttle_.Check("account:alice").ok());
}

TEST_F(SignInThrottleTest, LocksOutAfterFreeFailures) {
  Fail("account:alice", 6);
  EXPECT_TRUE(LockedFor("account:alice", seconds(1)));
  clock_.Advance(std::chrono::milliseconds(999));
  EXPECT_TRUE(LockedFor("account:alice", seconds(1)));  // rounded up
  clock_.Advance(std::chrono::milliseconds(1));
  EXPECT_TRUE(throttle_.Check("account:alice").ok());
}

TEST_F(SignInThrottleTest, MessageNamesNeitherKeyNorCount) {
  Fail("account:alice", 6);
  const Status status = throttle_.Check("account:alice");
  EXPECT_EQ(status.code(), StatusCode::kUnavailable);
  EXPECT_EQ(status.message().find("alice"), std::string::npos);
  EXPECT_EQ(status.message().find('6'), std::string::npos);
}

TEST_F(SignInThrottleTest, DelayDoubles) {
  Fail("account:alice", 5);
  for (const int64_t expected : {1, 2, 4, 8, 16, 32}) {
    throttle_.RecordFailure("account:alice");
    EXPECT_TRUE(LockedFor("account:alice", seconds(expected))) << expected;
    clock_.Advance(seconds(expected));
    EXPECT_TRUE(throttle_.Check("account:alice").ok()) << expected;
  }
}

TEST_F(SignInThrottleTest, DelayIsCapped) {
  Fail("account:alice", 5 + 10);  // the tenth locking failure would be 512 s
  EXPECT_TRUE(LockedFor("account:alice", seconds(512)));
  throttle_.RecordFailure("account:alice");  // 1024 s, over the cap
  EXPECT_TRUE(LockedFor("account:alice", minutes(15)));
  Fail("account:alice", 1000);
  EXPECT_TRUE(LockedFor("account:alice", minutes(15)));
}

TEST_F(SignInThrottleTest, FailuresExpireAfterQuietWindow) {
  Fail("account:alice", 5);
  clock_.Advance(minutes(15));
  throttle_.RecordFailure("account:alice");  // counted afresh: the first of five free ones
  EXPECT_TRUE(throttle_.Check("account:alice").ok());
}

TEST_F(SignInThrottleTest, FailuresWithinWindowAccumulate) {
  for (int i = 0; i < 5; ++i) {
    throttle_.RecordFailure("account:alice");
    clock_.Advance(minutes(14));
  }
  throttle_.RecordFailure("account:alice");
  EXPECT_TRUE(LockedFor("account:alice", seconds(1)));
}

TEST_F(SignInThrottleTest, WindowStartsWhenLockoutEnds) {
  Fail("account:alice", 5 + 11);  // locked for the 15-minute cap
  clock_.Advance(minutes(15) + minutes(14));
  EXPECT_TRUE(throttle_.Check("account:alice").ok());
  throttle_.RecordFailure("account:alice");  // still remembered: locks at the cap again
  EXPECT_TRUE(LockedFor("account:alice", minutes(15)));
  clock_.Advance(minutes(15) + minutes(15));
  throttle_.RecordFailure("account:alice");  // forgotten: a free failure
  EXPECT_TRUE(throttle_.Check("account:alice").ok());
}

TEST_F(SignInThrottleTest, SuccessResets) {
  Fail("account:alice", 8);
  EXPECT_FALSE(throttle_.Check("account:alice").ok());
  throttle_.RecordSuccess("account:alice");
  EXPECT_TRUE(throttle_.Check("account:alice").ok());
  Fail("account:alice", 5);
  EXPECT_TRUE(throttle_.Check("account:alice").ok());
  throttle_.RecordFailure("account:alice");
  EXPECT_TRUE(LockedFor("account:alice", seconds(1)));
}

TEST_F(SignInThrottleTest, KeysAreIndependent) {
  Fail("account:alice", 7);
  Fail("ip:192.0.2.1", 6);
  EXPECT_TRUE(LockedFor("account:alice", seconds(2)));
  EXPECT_TRUE(LockedFor("ip:192.0.2.1", seconds(1)));
  EXPECT_TRUE(throttle_.Check("account:bob").ok());
  throttle_.RecordSuccess("ip:192.0.2.1");
  EXPECT_TRUE(throttle_.Check("ip:192.0.2.1").ok());
  EXPECT_TRUE(LockedFor("account:alice", seconds(2)));
}

TEST(SignInThrottleOptionsTest, HonoursOptions) {
  FakeClock clock(std::chrono::system_clock::time_point(seconds(1'700'000'000)));
  SignInThrottle throttle(clock, {.free_failures = 0,
                                  .window = minutes(1),
                                  .first_delay = seconds(10),
                                  .max_delay = seconds(30),
                                  .max_keys = 100});
  throttle.RecordFailure("k");
  EXPECT_EQ(throttle.Check("k").message(),
            "too many failed sign-in attempts; retry after 10 seconds");
  throttle.RecordFailure("k");
  EXPECT_EQ(throttle.Check("k").message(),
            "too many failed sign-in attempts; retry after 20 seconds");
  throttle.RecordFailure("k");
  EXPECT_EQ(throttle.Check("k").message(),
            "too many failed sign-in attempts; retry after 30 seconds");
  clock.Advance(seconds(30) + minutes(1));
  throttle.RecordFailure("k");
  EXPECT_EQ(throttle.Check("k").message(),
            "too many failed sign-in attempts; retry after 10 seconds");
}

TEST(SignInThrottleOptionsTest, EvictsLeastRecentlyFailedBeyondMaxKeys) {
  FakeClock clock(std::chrono::system_clock::time_point(seconds(1'700'000'000)));
  SignInThrottle throttle(clock, {.free_failures = 0, .max_keys = 2});
  throttle.RecordFailure("a");
  throttle.RecordFailure("b");
  throttle.RecordFailure("a");  // now "b" is the least recently failed
  throttle.RecordFailure("c");
  EXPECT_FALSE(throttle.Check("a").ok());
  EXPECT_TRUE(throttle.Check("b").ok());
  EXPECT_FALSE(throttle.Check("c").ok());
}

TEST(SignInThrottleOptionsTest, ManyKeysStayBounded) {
  FakeClock clock(std::chrono::system_clock::time_point(seconds(1'700'000'000)));
  SignInThrottle throttle(clock, {.free_failures = 0, .max_keys = 1000});
  for (int i = 0; i < 5000; ++i) throttle.RecordFailure("ip:" + std::to_string(i));
  int locked = 0;
  for (int i = 0; i < 5000; ++i) locked += throttle.Check("ip:" + std::to_string(i)).ok() ? 0 : 1;
  EXPECT_EQ(locked, 1000);
  EXPECT_FALSE(throttle.Check("ip:4999").ok());
  EXPECT_TRUE(throttle.Check("ip:0").ok());
}

TEST(SignInThrottleOptionsTest, ConcurrentFailuresAreAllCounted) {
  FakeClock clock(std::chrono::system_clock::time_point(seconds(1'700'000'000)));
  SignInThrottle throttle(clock, {.free_failures = 400});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&throttle, t] {
      for (int i = 0; i < 100; ++i) {
        throttle.RecordFailure("shared");
        throttle.RecordFailure("own:" + std::to_string(t));
        (void)throttle.Check("shared");
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_TRUE(throttle.Check("shared").ok());  // 400 failures, all free
  throttle.RecordFailure("shared");            // the 401st locks
  EXPECT_EQ(throttle.Check("shared").message(),
            "too many failed sign-in attempts; retry after 1 second");
}

}  // namespace
}  // namespace quartet::identity
