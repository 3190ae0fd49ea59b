#include "sim/engine/metrics.h"

#include <stdexcept>

#include "gtest/gtest.h"
#include "sim/engine/time.h"

namespace credsim {
namespace {

Time At(int64_t nanos) { return Time::FromNanos(nanos); }
Time AtMs(int64_t ms) { return Time() + Duration::Millis(ms); }

TEST(TimeSeriesTest, BucketBoundaries) {
  TimeSeries ts(Duration::Seconds(1));
  EXPECT_EQ(ts.interval(), Duration::Seconds(1));
  EXPECT_EQ(ts.size(), 0u);
  ts.Add(At(0));
  ts.Add(At(999'999'999));  // Last nanosecond of interval 0.
  ts.Add(At(1'000'000'000));  // First nanosecond of interval 1.
  ASSERT_EQ(ts.size(), 2u);
  EXPECT_EQ(ts.at(0), 2);
  EXPECT_EQ(ts.at(1), 1);

  ts.Add(AtMs(5500), 3);
  ASSERT_EQ(ts.size(), 6u);
  EXPECT_EQ(ts.at(2), 0);
  EXPECT_EQ(ts.at(3), 0);
  EXPECT_EQ(ts.at(4), 0);
  EXPECT_EQ(ts.at(5), 3);
  EXPECT_EQ(ts.at(6), 0);  // Past the end reads as zero.
  EXPECT_EQ(ts.at(1000), 0);
  EXPECT_EQ(ts.start(5), AtMs(5000));

  // Adding to an earlier interval is fine and does not change the size.
  ts.Add(AtMs(1999), -1);
  EXPECT_EQ(ts.at(1), 0);
  EXPECT_EQ(ts.size(), 6u);
}

TEST(TimeSeriesTest, SubSecondInterval) {
  TimeSeries ts(Duration::Millis(100));
  for (int ms = 0; ms < 1000; ms += 10) ts.Add(AtMs(ms));  // 10 per 100 ms.
  ASSERT_EQ(ts.size(), 10u);
  for (size_t i = 0; i < ts.size(); ++i) EXPECT_EQ(ts.at(i), 10) << i;
}

TEST(TimeSeriesTest, Peak) {
  TimeSeries ts(Duration::Millis(10));
  EXPECT_EQ(ts.Peak(), 0);
  ts.Add(AtMs(1), 4);
  ts.Add(AtMs(25), 9);
  ts.Add(AtMs(29), 2);
  ts.Add(AtMs(95), 7);
  EXPECT_EQ(ts.Peak(), 11);
}

TEST(TimeSeriesTest, MergeAddsIntervalWise) {
  TimeSeries a(Duration::Seconds(1));
  TimeSeries b(Duration::Seconds(1));
  a.Add(AtMs(500), 2);
  a.Add(AtMs(1500), 3);
  b.Add(AtMs(100), 5);
  b.Add(AtMs(3200), 7);
  a.Merge(b);
  ASSERT_EQ(a.size(), 4u);
  EXPECT_EQ(a.at(0), 7);
  EXPECT_EQ(a.at(1), 3);
  EXPECT_EQ(a.at(2), 0);
  EXPECT_EQ(a.at(3), 7);
  EXPECT_EQ(a.Peak(), 7);

  // Merging a shorter series keeps the longer size.
  TimeSeries c(Duration::Seconds(1));
  c.Add(AtMs(10), 1);
  a.Merge(c);
  EXPECT_EQ(a.size(), 4u);
  EXPECT_EQ(a.at(0), 8);
  EXPECT_EQ(b.size(), 4u);  // The argument is unchanged.
  EXPECT_EQ(b.at(0), 5);
}

TEST(TimeSeriesTest, MergeRejectsDifferentInterval) {
  TimeSeries a(Duration::Seconds(1));
  TimeSeries b(Duration::Millis(500));
  EXPECT_THROW(a.Merge(b), std::invalid_argument);
}

TEST(TimeSeriesTest, RejectsBadArguments) {
  EXPECT_THROW(TimeSeries(Duration::Nanos(0)), std::invalid_argument);
  EXPECT_THROW(TimeSeries(Duration::Seconds(-1)), std::invalid_argument);
  TimeSeries ts(Duration::Seconds(1));
  EXPECT_THROW(ts.Add(At(-1)), std::invalid_argument);
  EXPECT_THROW(ts.Add(Time::Infinite()), std::length_error);
  EXPECT_EQ(ts.size(), 0u);
}

TEST(PeakRateTest, EmptyIsZero) {
  PeakRate p;
  EXPECT_EQ(p.peak(), 0u);
  EXPECT_EQ(p.window(), Duration::Seconds(1));
}

TEST(PeakRateTest, BurstCrossingSecondBoundaryIsSplit) {
  PeakRate p;
  // 10 calls in the last 100 ms of second 0 and 10 in the first 100 ms of second 1: a sliding
  // window would see 20, aligned windows see 10 each.
  for (int i = 0; i < 10; ++i) p.Add(AtMs(900 + 10 * i));
  EXPECT_EQ(p.peak(), 10u);
  for (int i = 0; i < 10; ++i) p.Add(AtMs(1000 + 10 * i));
  EXPECT_EQ(p.peak(), 10u);
  // Exactly on the boundary belongs to the new window.
  p.Add(At(2'000'000'000));
  EXPECT_EQ(p.peak(), 10u);
  for (int i = 0; i < 14; ++i) p.Add(AtMs(2500));
  EXPECT_EQ(p.peak(), 15u);
  // A later, quieter window does not lower the peak; skipping windows is fine.
  p.Add(AtMs(9000), 3);
  EXPECT_EQ(p.peak(), 15u);
  p.Add(AtMs(9999), 20);
  EXPECT_EQ(p.peak(), 23u);
}

TEST(PeakRateTest, LastNanosecondStaysInWindow) {
  PeakRate p;
  p.Add(At(999'999'999));
  p.Add(At(999'999'999));
  p.Add(At(1'000'000'000));
  EXPECT_EQ(p.peak(), 2u);
}

TEST(PeakRateTest, CustomWindow) {
  PeakRate p(Duration::Millis(100));
  for (int ms = 0; ms < 1000; ms += 10) p.Add(AtMs(ms));
  EXPECT_EQ(p.peak(), 10u);
}

TEST(PeakRateTest, RejectsEarlierWindowAndBadArguments) {
  PeakRate p;
  p.Add(AtMs(1500));
  p.Add(AtMs(1200));  // Same window, earlier instant: allowed.
  EXPECT_EQ(p.peak(), 2u);
  EXPECT_THROW(p.Add(AtMs(999)), std::logic_error);
  EXPECT_THROW(p.Add(At(-1)), std::invalid_argument);
  EXPECT_THROW(PeakRate(Duration::Nanos(0)), std::invalid_argument);
}

}  // namespace
}  // namespace credsim
