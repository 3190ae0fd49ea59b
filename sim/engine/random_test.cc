#include "sim/engine/random.h"

#include <cmath>
#include <cstdint>
#include <vector>

#include "gtest/gtest.h"

namespace credsim {
namespace {

TEST(RandomTest, SplitMix64AndFnvMatchReferenceVectors) {
  uint64_t state = 0;
  EXPECT_EQ(SplitMix64(state), 0xE220A8397B1DCDAFull);
  EXPECT_EQ(SplitMix64(state), 0x6E789E6AA1B965F4ull);
  EXPECT_EQ(SplitMix64(state), 0x06C45D188009454Full);
  EXPECT_EQ(Mix64(0), 0xE220A8397B1DCDAFull);
  EXPECT_EQ(Fnv1a64(""), 0xCBF29CE484222325ull);
  EXPECT_EQ(Fnv1a64("a"), 0xAF63DC4C8601EC8Cull);
  EXPECT_EQ(Fnv1a64("foobar"), 0x85944171F73967E8ull);
}

TEST(RandomTest, Xoshiro256StarStarMatchesReferenceVector) {
  // Reference outputs of xoshiro256** from state {1, 2, 3, 4}.
  Rng rng = Rng::FromState({1, 2, 3, 4});
  const uint64_t expected[] = {11520u, 0u, 1509978240u, 1215971899390074240u,
                               1216172134540287360u, 607988272756665600u,
                               16172922978634559625u, 8476171486693032832u,
                               10595114339597558777u, 2904607092377533576u};
  for (uint64_t e : expected) EXPECT_EQ(rng.Next(), e);
}

TEST(RandomTest, SameSeedSameSequence) {
  Rng a(12345), b(12345), c(12346);
  bool any_diff = false;
  for (int i = 0; i < 1000; ++i) {
    const uint64_t x = a.Next();
    EXPECT_EQ(x, b.Next());
    any_diff |= x != c.Next();
  }
  EXPECT_TRUE(any_diff);
  Rng copy = a;
  EXPECT_EQ(copy.Next(), a.Next());
}

TEST(RandomTest, ForStreamGoldenValues) {
  // Frozen: if these change, every simulation result changes.
  Rng rng = Rng::ForStream(42, "traffic");
  EXPECT_EQ(rng.Next(), 15633746295552093962ull);
  EXPECT_EQ(rng.Next(), 734505052733368932ull);
  EXPECT_EQ(rng.Next(), 8405762809538035091ull);
  Rng colo = Rng::ForStream(42, "colo", 7);
  EXPECT_EQ(colo.Next(), 17794134079001892947ull);
}

double Correlation(Rng a, Rng b, int n) {
  double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
  for (int i = 0; i < n; ++i) {
    const double x = a.Uniform01(), y = b.Uniform01();
    sa += x, sb += y, saa += x * x, sbb += y * y, sab += x * y;
  }
  const double cov = sab / n - (sa / n) * (sb / n);
  return cov / std::sqrt((saa / n - sa * sa / n / n) * (sbb / n - sb * sb / n / n));
}

TEST(RandomTest, StreamsAreDistinctAndUncorrelated) {
  const std::vector<Rng> streams = {
      Rng::ForStream(42, "traffic"),   Rng::ForStream(42, "traffic2"),
      Rng::ForStream(43, "traffic"),   Rng::ForStream(42, "sts"),
      Rng::ForStream(42, "traffic", 0), Rng::ForStream(42, "traffic", 1),
      Rng::ForStream(42, ""),          Rng(42)};
  for (size_t i = 0; i < streams.size(); ++i) {
    for (size_t j = i + 1; j < streams.size(); ++j) {
      Rng a = streams[i], b = streams[j];
      EXPECT_NE(a.Next(), b.Next()) << i << " vs " << j;
      // n = 20000: the standard error of r is ~0.007.
      EXPECT_LT(std::abs(Correlation(streams[i], streams[j], 20000)), 0.03) << i << " vs " << j;
    }
  }
  // Deterministic re-derivation.
  Rng a = Rng::ForStream(7, "x", 3), b = Rng::ForStream(7, "x", 3);
  EXPECT_EQ(a.Next(), b.Next());
}

TEST(RandomTest, UniformRanges) {
  Rng rng(1);
  double sum = 0;
  for (int i = 0; i < 100000; ++i) {
    const double u = rng.Uniform01();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    const double v = rng.UniformOpen01();
    ASSERT_GT(v, 0.0);
    ASSERT_LT(v, 1.0);
    sum += u + v;
  }
  EXPECT_NEAR(sum / 200000, 0.5, 0.005);
  // Extremes of UniformOpen01: all-zero and all-one bits.
  EXPECT_EQ((0 + 0.5) * 0x1.0p-52, 0x1.0p-53);
  EXPECT_LT((static_cast<double>(UINT64_MAX >> 12) + 0.5) * 0x1.0p-52, 1.0);
}

TEST(RandomTest, UniformIntIsUnbiasedChiSquare) {
  Rng rng(2024);
  constexpr int kBuckets = 10, kN = 100000;
  int counts[kBuckets] = {};
  for (int i = 0; i < kN; ++i) {
    const uint64_t k = rng.UniformInt(kBuckets);
    ASSERT_LT(k, static_cast<uint64_t>(kBuckets));
    ++counts[k];
  }
  double chi2 = 0;
  for (int c : counts) chi2 += (c - kN / 10.0) * (c - kN / 10.0) / (kN / 10.0);
  EXPECT_LT(chi2, 27.88);  // 9 degrees of freedom, p = 0.001

  EXPECT_EQ(rng.UniformInt(0), 0u);
  EXPECT_EQ(rng.UniformInt(1), 0u);
}

TEST(RandomTest, UniformIntLargeRangeHasNoModuloBias) {
  // With n = 3 * 2^62, `Next() % n` would put half the mass below 2^62; unbiased is 1/3.
  Rng rng(99);
  const uint64_t n = 3ull << 62;
  int low = 0;
  constexpr int kN = 30000;
  for (int i = 0; i < kN; ++i) low += rng.UniformInt(n) < (1ull << 62);
  EXPECT_NEAR(static_cast<double>(low) / kN, 1.0 / 3, 0.015);
}

TEST(RandomTest, Bernoulli) {
  Rng rng(5);
  int hits = 0;
  for (int i = 0; i < 100000; ++i) hits += rng.Bernoulli(0.3);
  EXPECT_NEAR(hits / 100000.0, 0.3, 0.005);
  for (int i = 0; i < 100; ++i) {
    EXPECT_FALSE(rng.Bernoulli(0));
    EXPECT_TRUE(rng.Bernoulli(1));
  }
}

}  // namespace
}  // namespace credsim
