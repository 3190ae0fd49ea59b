#include "sim/engine/histogram.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <random>
#include <stdexcept>
#include <vector>

#include "gtest/gtest.h"

namespace credsim {
namespace {

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kHourNs = int64_t{3600} * 1000 * 1000 * 1000;

// Uniform double in [0, 1) from the top 53 bits (no std:: distributions: their output is not
// specified identically across standard libraries).
double Unit(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

// Standard normal via Box-Muller.
double Normal(std::mt19937_64& rng) {
  const double u1 = 1.0 - Unit(rng);  // (0, 1]
  const double u2 = Unit(rng);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

// Exact nearest-rank percentile of sorted samples, with the same rank rule as Histogram.
int64_t ExactPercentile(const std::vector<int64_t>& sorted, double q) {
  if (q <= 0.0) return sorted.front();
  if (q >= 1.0) return sorted.back();
  const double r = std::ceil(q * static_cast<double>(sorted.size()));
  size_t rank = std::clamp<size_t>(static_cast<size_t>(r), 1, sorted.size());
  return sorted[rank - 1];
}

const double kQuantiles[] = {0.0,  0.0001, 0.001, 0.01, 0.05, 0.1,   0.25,   0.333, 0.5,
                             0.66, 0.75,   0.9,   0.95, 0.99, 0.999, 0.9999, 1.0};

void ExpectMatchesSamples(const Histogram& h, std::vector<int64_t> samples) {
  std::sort(samples.begin(), samples.end());
  ASSERT_EQ(h.count(), samples.size());
  EXPECT_EQ(h.min(), samples.front());
  EXPECT_EQ(h.max(), samples.back());
  long double sum = 0;
  for (int64_t v : samples) sum += v;
  EXPECT_NEAR(h.mean(), static_cast<double>(sum / samples.size()), 1e-9 * h.mean());
  for (double q : kQuantiles) {
    const int64_t exact = ExactPercentile(samples, q);
    const int64_t got = h.Percentile(q);
    EXPECT_LE(std::abs(static_cast<double>(got) - static_cast<double>(exact)),
              0.01 * static_cast<double>(exact))
        << "q=" << q << " exact=" << exact << " got=" << got;
    EXPECT_GE(got, h.min());
    EXPECT_LE(got, h.max());
  }
}

Histogram FromSamples(const std::vector<int64_t>& samples) {
  Histogram h;
  for (int64_t v : samples) h.Record(v);
  return h;
}

std::vector<int64_t> UniformSamples(size_t n, int64_t hi, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<int64_t> out(n);
  for (auto& v : out) v = static_cast<int64_t>(rng() % static_cast<uint64_t>(hi));
  return out;
}

// Latency-like: exp(N(ln 2ms, 1.2)) nanoseconds.
std::vector<int64_t> LognormalSamples(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<int64_t> out(n);
  for (auto& v : out) v = static_cast<int64_t>(std::exp(std::log(2e6) + 1.2 * Normal(rng)));
  return out;
}

// Cache hits around 150us (70 %) and STS round trips around 80ms (30 %).
std::vector<int64_t> BimodalSamples(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<int64_t> out(n);
  for (auto& v : out) {
    const bool hit = Unit(rng) < 0.7;
    const double center = hit ? 150e3 : 80e6;
    v = static_cast<int64_t>(center * (1.0 + 0.2 * Normal(rng)));
    v = std::max<int64_t>(v, 0);
  }
  return out;
}

TEST(HistogramTest, EmptyHistogram) {
  Histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.min(), 0);
  EXPECT_EQ(h.max(), 0);
  EXPECT_EQ(h.mean(), 0.0);
  EXPECT_EQ(h.Percentile(0.5), 0);
  EXPECT_TRUE(h.Cdf(100).empty());
}

TEST(HistogramTest, UniformPercentilesWithinOnePercent) {
  const auto samples = UniformSamples(50000, 1000000000, 1);
  ExpectMatchesSamples(FromSamples(samples), samples);
}

TEST(HistogramTest, SmallUniformValuesAreExact) {
  const auto samples = UniformSamples(20000, 256, 2);
  const Histogram h = FromSamples(samples);
  auto sorted = samples;
  std::sort(sorted.begin(), sorted.end());
  for (double q : kQuantiles) EXPECT_EQ(h.Percentile(q), ExactPercentile(sorted, q)) << q;
}

TEST(HistogramTest, LognormalPercentilesWithinOnePercent) {
  const auto samples = LognormalSamples(50000, 3);
  ExpectMatchesSamples(FromSamples(samples), samples);
}

TEST(HistogramTest, BimodalPercentilesWithinOnePercent) {
  const auto samples = BimodalSamples(50000, 4);
  ExpectMatchesSamples(FromSamples(samples), samples);
}

// Every bucket's representative is within 1 % of every value it stands for: check values at
// and around every power of two up to INT64_MAX, plus random values of every magnitude.
TEST(HistogramTest, RelativeErrorBoundForAnyValue) {
  std::vector<int64_t> values;
  for (int64_t v = 0; v < 2000; ++v) values.push_back(v);
  for (int k = 8; k < 63; ++k) {
    const int64_t p = int64_t{1} << k;
    for (int64_t d : {-2, -1, 0, 1, 2}) values.push_back(p + d);
    values.push_back(p + p / 256);
    values.push_back(p + p / 128 - 1);
    values.push_back(p + p / 128);
  }
  values.push_back(kInt64Max);
  values.push_back(kInt64Max - 1);
  values.push_back(kHourNs);
  std::mt19937_64 rng(5);
  for (int i = 0; i < 2000; ++i) values.push_back(static_cast<int64_t>(rng() >> (1 + rng() % 63)));

  Histogram h;
  for (int64_t v : values) {
    // The median of {0, v, INT64_MAX} is the representative of v's bucket (not clamped).
    h.Clear();
    h.Record(0);
    h.Record(v);
    h.Record(kInt64Max);
    const int64_t got = h.Percentile(0.5);
    EXPECT_LE(std::abs(static_cast<double>(got) - static_cast<double>(v)),
              static_cast<double>(v) / 200.0)
        << "v=" << v << " got=" << got;
    // The layout helpers agree with the index.
    const size_t i = Histogram::IndexOf(v);
    ASSERT_LT(i, Histogram::kNumBuckets);
    EXPECT_LE(Histogram::BucketLow(i), v);
    EXPECT_GE(Histogram::BucketHigh(i), v);
  }
}

TEST(HistogramTest, BucketsTileTheWholeRange) {
  EXPECT_EQ(Histogram::BucketLow(0), 0);
  for (size_t i = 1; i < Histogram::kNumBuckets; ++i) {
    ASSERT_EQ(Histogram::BucketLow(i), Histogram::BucketHigh(i - 1) + 1) << i;
    ASSERT_EQ(Histogram::IndexOf(Histogram::BucketLow(i)), i);
    ASSERT_EQ(Histogram::IndexOf(Histogram::BucketHigh(i)), i);
    // Width <= low / 128 once buckets are wider than one value.
    const int64_t width = Histogram::BucketHigh(i) - Histogram::BucketLow(i) + 1;
    if (width > 1) {
      ASSERT_LE(width * 128, Histogram::BucketLow(i)) << i;
    }
  }
  EXPECT_EQ(Histogram::BucketHigh(Histogram::kNumBuckets - 1), kInt64Max);
}

TEST(HistogramTest, MinMaxMeanAreExact) {
  Histogram h;
  h.Record(1000003);
  h.Record(7);
  h.Record(123456789);
  EXPECT_EQ(h.min(), 7);
  EXPECT_EQ(h.max(), 123456789);
  EXPECT_DOUBLE_EQ(h.mean(), (1000003.0 + 7.0 + 123456789.0) / 3.0);
  EXPECT_EQ(h.Percentile(0.0), 7);
  EXPECT_EQ(h.Percentile(1.0), 123456789);
  EXPECT_EQ(h.Percentile(-3.0), 7);
  EXPECT_EQ(h.Percentile(42.0), 123456789);
}

TEST(HistogramTest, ZeroValue) {
  Histogram h;
  h.Record(0, 5);
  EXPECT_EQ(h.count(), 5u);
  EXPECT_EQ(h.min(), 0);
  EXPECT_EQ(h.max(), 0);
  EXPECT_EQ(h.mean(), 0.0);
  for (double q : kQuantiles) EXPECT_EQ(h.Percentile(q), 0);
  const auto cdf = h.Cdf(10);
  ASSERT_EQ(cdf.size(), 1u);
  EXPECT_EQ(cdf[0].first, 0);
  EXPECT_EQ(cdf[0].second, 1.0);
}

TEST(HistogramTest, HugeValuesDoNotOverflow) {
  Histogram h;
  h.Record(kInt64Max, 3);
  h.Record(kHourNs);
  EXPECT_EQ(h.count(), 4u);
  EXPECT_EQ(h.max(), kInt64Max);
  EXPECT_EQ(h.min(), kHourNs);
  // The 128-bit sum does not wrap: mean ~ 0.75 * INT64_MAX.
  EXPECT_NEAR(h.mean(), (3.0 * 9223372036854775807.0 + static_cast<double>(kHourNs)) / 4.0,
              1e4);
  EXPECT_EQ(h.Percentile(1.0), kInt64Max);
  EXPECT_NEAR(static_cast<double>(h.Percentile(0.9)), 9223372036854775807.0,
              9223372036854775807.0 / 256);
  EXPECT_NEAR(static_cast<double>(h.Percentile(0.1)), static_cast<double>(kHourNs),
              static_cast<double>(kHourNs) / 256);
  // A count near 2^64 still gives a sane rank.
  Histogram big;
  big.Record(10, uint64_t{1} << 62);
  big.Record(1000000, (uint64_t{1} << 62) - 1);
  EXPECT_EQ(big.Percentile(0.25), 10);
  EXPECT_EQ(big.Percentile(0.75), 1000000);
  EXPECT_EQ(big.Percentile(0.999999), 1000000);
}

TEST(HistogramTest, NegativeValueThrows) {
  Histogram h;
  EXPECT_THROW(h.Record(-1), std::invalid_argument);
  EXPECT_EQ(h.count(), 0u);
}

TEST(HistogramTest, RecordWithCountEqualsRepeatedRecord) {
  Histogram a, b;
  a.Record(5000, 1000);
  a.Record(17, 0);  // No-op: does not touch min.
  for (int i = 0; i < 1000; ++i) b.Record(5000);
  EXPECT_EQ(a.count(), b.count());
  EXPECT_EQ(a.min(), 5000);
  EXPECT_EQ(a.mean(), b.mean());
  EXPECT_EQ(a.Cdf(50), b.Cdf(50));
}

void ExpectSameHistogram(const Histogram& a, const Histogram& b) {
  EXPECT_EQ(a.count(), b.count());
  EXPECT_EQ(a.min(), b.min());
  EXPECT_EQ(a.max(), b.max());
  EXPECT_DOUBLE_EQ(a.mean(), b.mean());
  for (int i = 0; i <= 1000; ++i) {
    ASSERT_EQ(a.Percentile(i / 1000.0), b.Percentile(i / 1000.0)) << i;
  }
  EXPECT_EQ(a.Cdf(100000), b.Cdf(100000));
  EXPECT_EQ(a.Cdf(37), b.Cdf(37));
}

TEST(HistogramTest, MergeEqualsRecordingEverythingIntoOne) {
  const auto lat = LognormalSamples(20000, 6);
  const auto bi = BimodalSamples(20000, 7);
  const auto uni = UniformSamples(20000, 1 << 20, 8);
  Histogram all, a, b, c, empty;
  for (int64_t v : lat) {
    all.Record(v);
    a.Record(v);
  }
  for (int64_t v : bi) {
    all.Record(v);
    b.Record(v);
  }
  for (int64_t v : uni) {
    all.Record(v);
    c.Record(v);
  }

  Histogram merged;
  merged.Merge(empty);
  EXPECT_EQ(merged.count(), 0u);
  merged.Merge(b);
  merged.Merge(a);
  merged.Merge(empty);
  merged.Merge(c);
  ExpectSameHistogram(merged, all);

  Histogram copy = a;  // Merging into a non-empty histogram.
  copy.Merge(b);
  copy.Merge(c);
  ExpectSameHistogram(copy, all);
}

TEST(HistogramTest, ClearForgetsEverything) {
  Histogram h;
  for (int64_t v : LognormalSamples(1000, 9)) h.Record(v);
  h.Clear();
  EXPECT_EQ(h.count(), 0u);
  EXPECT_TRUE(h.Cdf(10).empty());
  h.Record(42);
  EXPECT_EQ(h.min(), 42);
  EXPECT_EQ(h.max(), 42);
  EXPECT_EQ(h.Percentile(0.5), 42);
  ASSERT_EQ(h.Cdf(1000).size(), 1u);  // No stale bucket survived.
}

// Checks the CDF contract against the exact samples: at most max_points points, strictly
// increasing values, non-decreasing fractions, exact F(v) = fraction of samples <= v, and
// a last point of (max, 1.0).
void ExpectValidCdf(const Histogram& h, std::vector<int64_t> samples, size_t max_points) {
  std::sort(samples.begin(), samples.end());
  const auto cdf = h.Cdf(max_points);
  ASSERT_FALSE(cdf.empty());
  ASSERT_LE(cdf.size(), max_points);
  EXPECT_EQ(cdf.back().first, samples.back());
  EXPECT_EQ(cdf.back().second, 1.0);
  EXPECT_GE(cdf.front().first, samples.front());
  for (size_t i = 0; i < cdf.size(); ++i) {
    if (i > 0) {
      ASSERT_GT(cdf[i].first, cdf[i - 1].first) << i;
      ASSERT_GE(cdf[i].second, cdf[i - 1].second) << i;
    }
    const size_t le = std::upper_bound(samples.begin(), samples.end(), cdf[i].first) -
                      samples.begin();
    ASSERT_DOUBLE_EQ(cdf[i].second, static_cast<double>(le) / samples.size())
        << "point " << i << " v=" << cdf[i].first;
  }
}

TEST(HistogramTest, CdfIsMonotoneExactAndEndsAtOne) {
  for (const auto& samples :
       {LognormalSamples(20000, 10), BimodalSamples(20000, 11), UniformSamples(5000, 300, 12)}) {
    const Histogram h = FromSamples(samples);
    for (size_t max_points : {1, 2, 3, 4, 5, 10, 64, 200, 1000, 100000}) {
      SCOPED_TRACE(max_points);
      ExpectValidCdf(h, samples, max_points);
    }
  }
}

TEST(HistogramTest, CdfDownsamplingKeepsTailAndMass) {
  const auto samples = LognormalSamples(50000, 13);
  const Histogram h = FromSamples(samples);
  const size_t all = h.Cdf(1000000).size();
  ASSERT_GT(all, 200u);  // Enough buckets that 100 points must downsample.
  const auto cdf = h.Cdf(100);
  EXPECT_GE(cdf.size(), 90u);  // Uses (nearly) the whole budget.
  EXPECT_EQ(cdf.front().first, h.Cdf(1000000).front().first);  // First bucket kept.
  // Skipped mass between kept points is < 1 / 49 (49 = half of the 98 inner points); one
  // lognormal bucket holds well under 0.5 % on top of that.
  for (size_t i = 1; i < cdf.size(); ++i) {
    EXPECT_LE(cdf[i].second - cdf[i - 1].second, 1.0 / 49 + 0.005) << i;
  }
  // The tail keeps detail (a mass-only selection would have no point inside (0.99, 1)).
  int above_p99 = 0;
  int above_p999 = 0;
  for (const auto& [v, f] : cdf) {
    above_p99 += f > 0.99 && f < 1.0;
    above_p999 += f > 0.999 && f < 1.0;
  }
  EXPECT_GE(above_p99, 5);
  EXPECT_GE(above_p999, 1);
}

TEST(HistogramTest, CdfZeroPoints) {
  Histogram h;
  h.Record(3);
  EXPECT_TRUE(h.Cdf(0).empty());
}

}  // namespace
}  // namespace credsim
