#include "sim/engine/token_bucket.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "gtest/gtest.h"

namespace credsim {
namespace {

// Takes greedily: everything available at `from`, then at every `step` up to and including
// `from + t`. Returns the number of tokens taken.
int64_t TakeGreedily(TokenBucket& b, Time from, Duration t, Duration step) {
  int64_t taken = 0;
  for (Time now = from;; now = std::min(now + step, from + t)) {
    while (b.TryTake(now)) ++taken;
    if (now == from + t) break;
  }
  return taken;
}

TEST(TokenBucketTest, StartsFullAndAdmitsExactlyBurstAtOneInstant) {
  TokenBucket b(600, 600);
  int64_t taken = 0;
  while (b.TryTake(Time())) ++taken;
  EXPECT_EQ(taken, 600);
  EXPECT_EQ(b.Available(Time()), 0);
}

TEST(TokenBucketTest, AdmitsExactlyRateTimesTPlusBurst) {
  struct Case {
    double rate;
    int64_t burst;
    Duration t;
    int64_t expected;  // burst + floor(rate × t)
  };
  const Case cases[] = {
      {600, 600, Duration::Seconds(1), 1200},
      {600, 600, Duration::Millis(1234) + Duration::Micros(500), 600 + 740},  // 740.7
      {600, 50, Duration::Seconds(10), 6050},
      {2.5, 3, Duration::Millis(3300), 3 + 8},                                 // 8.25
      {0.5, 2, Duration::Seconds(7), 2 + 3},                                   // 3.5
      {1000, 2, Duration::Millis(999), 2 + 999},
      {0.001, 5, Duration::Seconds(999), 5 + 0},                               // 0.999
      {0.001, 5, Duration::Seconds(1000), 5 + 1},
      {0, 7, Duration::Hours(1), 7},
  };
  for (const Case& c : cases) {
    TokenBucket b(c.rate, c.burst);
    // 20 000 probes: each gains far less than `burst`, so the level never caps.
    EXPECT_EQ(TakeGreedily(b, Time(), c.t, std::max(c.t / 20000, Duration::Nanos(1))),
              c.expected)
        << "rate " << c.rate << " burst " << c.burst << " t " << FormatDuration(c.t);
  }
}

TEST(TokenBucketTest, ExactEvenWhenProbedAtTheLastNanosecondOnly) {
  // 3 tokens/s: after draining the burst, the next token completes at exactly 1/3 s, which
  // is not a whole nanosecond; 333333333 ns is one nanosecond short.
  TokenBucket b(3, 5);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(b.TryTake(Time()));
  EXPECT_FALSE(b.TryTake(Time::FromNanos(333333333)));
  EXPECT_TRUE(b.TryTake(Time::FromNanos(333333334)));
  EXPECT_FALSE(b.TryTake(Time::FromNanos(333333334)));
  // Two more tokens need exactly 2/3 s after the start of refilling in total.
  EXPECT_FALSE(b.TryTake(Time::FromNanos(666666666)));
  EXPECT_TRUE(b.TryTake(Time::FromNanos(666666667)));
}

TEST(TokenBucketTest, RefillsAfterIdle) {
  TokenBucket b(600, 600);
  EXPECT_EQ(TakeGreedily(b, Time(), Duration(), Duration::Millis(1)), 600);
  const Time half = Time() + Duration::Millis(500);
  EXPECT_EQ(b.Available(half), 300);
  int64_t taken = 0;
  while (b.TryTake(half)) ++taken;
  EXPECT_EQ(taken, 300);
}

TEST(TokenBucketTest, NeverFillsBeyondBurst) {
  TokenBucket b(600, 100);
  EXPECT_EQ(b.Available(Time() + Duration::Hours(5)), 100);
  const Time later = Time() + Duration::Hours(5);
  int64_t taken = 0;
  while (b.TryTake(later)) ++taken;
  EXPECT_EQ(taken, 100);
  // After a long idle period the interval bound starts over from a full bucket.
  EXPECT_EQ(TakeGreedily(b, later + Duration::Minutes(1), Duration::Seconds(2),
                         Duration::Millis(1)),
            100 + 1200);
}

TEST(TokenBucketTest, RefillBeyondBurstIsLost) {
  TokenBucket b(3, 1);
  EXPECT_TRUE(b.TryTake(Time()));
  // Full again at 1/3 s; nobody takes, so the next 1/3 s of refill spills over.
  EXPECT_EQ(b.Available(Time::FromNanos(666666667)), 1);
  EXPECT_TRUE(b.TryTake(Time::FromNanos(666666667)));
  EXPECT_FALSE(b.TryTake(Time::FromNanos(666666667) + Duration::Millis(333)));
}

TEST(TokenBucketTest, EarlierTimeRefillsNothing) {
  TokenBucket b(1, 1, Time() + Duration::Seconds(10));
  EXPECT_TRUE(b.TryTake(Time() + Duration::Seconds(10)));
  EXPECT_FALSE(b.TryTake(Time() + Duration::Seconds(5)));
  EXPECT_FALSE(b.TryTake(Time() + Duration::Millis(10999)));
  EXPECT_TRUE(b.TryTake(Time() + Duration::Seconds(11)));
}

TEST(TokenBucketTest, RateIsQuantisedToNanoTokens) {
  EXPECT_DOUBLE_EQ(TokenBucket(600, 1).rate_per_s(), 600);
  EXPECT_DOUBLE_EQ(TokenBucket(0.1234567891, 1).rate_per_s(), 0.123456789);
}

}  // namespace
}  // namespace credsim
