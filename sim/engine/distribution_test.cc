#include "sim/engine/distribution.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace credsim {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// Distribution has no printer; compare the descriptions too so that failures are readable.
#define EXPECT_DIST_EQ(a, b)                     \
  do {                                           \
    EXPECT_EQ((a).Describe(), (b).Describe());   \
    EXPECT_TRUE((a) == (b));                     \
  } while (0)

TEST(DistributionTest, InverseNormalCdfKnownValues) {
  EXPECT_EQ(InverseNormalCdf(0.5), 0.0);
  EXPECT_NEAR(InverseNormalCdf(0.975), 1.959963984540054, 1e-9);
  EXPECT_NEAR(InverseNormalCdf(0.99), kZ99, 1e-9);
  EXPECT_NEAR(InverseNormalCdf(0.01), -kZ99, 1e-9);
  EXPECT_NEAR(InverseNormalCdf(0.8413447460685429), 1.0, 1e-9);
  EXPECT_NEAR(InverseNormalCdf(1e-10), -6.361340902404056, 1e-8);
  EXPECT_NEAR(InverseNormalCdf(1 - 1e-10), 6.361340902404056, 1e-5);  // 1 - 1e-10 is inexact
  EXPECT_EQ(InverseNormalCdf(0), -INFINITY);
  EXPECT_EQ(InverseNormalCdf(1), INFINITY);
  // Round trip through Phi over the whole range, including both tails.
  for (double p : {1e-300, 1e-15, 1e-6, 0.001, 0.02, 0.02425, 0.1, 0.3, 0.49, 0.51, 0.7, 0.9,
                   0.97575, 0.999, 1 - 1e-9}) {
    const double x = InverseNormalCdf(p);
    const double phi = p < 0.5 ? 0.5 * std::erfc(-x / std::sqrt(2.0))
                               : 1 - 0.5 * std::erfc(x / std::sqrt(2.0));
    EXPECT_NEAR(phi / p, 1.0, 1e-9) << p;
  }
}

// Draws `n` samples from a fixed stream.
std::vector<double> Draw(const Distribution& d, int n, uint64_t seed = 7) {
  Rng rng = Rng::ForStream(seed, "distribution_test");
  std::vector<double> xs(n);
  for (double& x : xs) x = d.Sample(rng);
  return xs;
}

void ExpectMoments(const Distribution& d, double var_rel_tol) {
  constexpr int kN = 200000;
  const std::vector<double> xs = Draw(d, kN);
  double sum = 0;
  for (double x : xs) sum += x;
  const double mean = sum / kN;
  double ss = 0;
  for (double x : xs) ss += (x - mean) * (x - mean);
  const double var = ss / (kN - 1);
  const double se = std::sqrt(d.Variance() / kN);
  EXPECT_NEAR(mean, d.Mean(), 5 * se + 1e-12) << d.Describe();
  EXPECT_NEAR(var, d.Variance(), var_rel_tol * d.Variance() + 1e-12) << d.Describe();
}

TEST(DistributionTest, SampleMomentsMatchAnalytic) {
  ExpectMoments(Distribution::Constant(0.25), 0);
  ExpectMoments(Distribution::Uniform(0.001, 0.003), 0.02);
  ExpectMoments(Distribution::Exponential(600), 0.03);
  ExpectMoments(Distribution::LogNormal(0.15, 1.0), 0.08);
  ExpectMoments(Distribution::Empirical({{0, 0.001}, {0.5, 0.02}, {0.99, 0.3}, {1, 1}}), 0.03);
}

TEST(DistributionTest, AnalyticMomentsAreRight) {
  EXPECT_DOUBLE_EQ(Distribution::Uniform(2, 4).Mean(), 3);
  EXPECT_DOUBLE_EQ(Distribution::Uniform(2, 4).Variance(), 4.0 / 12);
  EXPECT_DOUBLE_EQ(Distribution::Exponential(3).Variance(), 9);
  // Empirical through (0,0) and (1,1) is Uniform(0, 1).
  const Distribution e = Distribution::Empirical({{0, 0}, {1, 1}});
  EXPECT_DOUBLE_EQ(e.Mean(), 0.5);
  EXPECT_NEAR(e.Variance(), 1.0 / 12, 1e-15);
  // Clamped ends count as atoms: 0.5 at 2, the rest linear from 2 to 4.
  EXPECT_DOUBLE_EQ(Distribution::Empirical({{0.5, 2}, {1, 4}}).Mean(), 0.5 * 2 + 0.5 * 3);
  const Distribution ln = Distribution::LogNormal(1, std::exp(kZ99));  // sigma = 1
  EXPECT_NEAR(ln.Mean(), std::exp(0.5), 1e-12);
}

TEST(DistributionTest, LogNormalSampleMedianAndP99MatchParameters) {
  const Distribution d = Distribution::LogNormal(0.15, 1.0);
  std::vector<double> xs = Draw(d, 200000, 11);
  std::sort(xs.begin(), xs.end());
  EXPECT_NEAR(xs[xs.size() / 2], 0.15, 0.02 * 0.15);
  EXPECT_NEAR(xs[xs.size() * 99 / 100], 1.0, 0.02 * 1.0);
  EXPECT_NEAR(d.Quantile(0.5), 0.15, 1e-12);
  EXPECT_NEAR(d.Quantile(0.99), 1.0, 1e-9);
}

TEST(DistributionTest, EmpiricalQuantilesReproducePoints) {
  const std::vector<Distribution::Point> pts = {{0, 0.001}, {0.5, 0.02}, {0.99, 0.3}, {1, 1}};
  const Distribution d = Distribution::Empirical(pts);
  for (const auto& [p, v] : pts) EXPECT_DOUBLE_EQ(d.Quantile(p), v) << p;
  EXPECT_DOUBLE_EQ(d.Quantile(0.25), (0.001 + 0.02) / 2);
  std::vector<double> xs = Draw(d, 100000);
  std::sort(xs.begin(), xs.end());
  EXPECT_NEAR(xs[50000], 0.02, 0.001);
  EXPECT_NEAR(xs[99000], 0.3, 0.01);
  EXPECT_GE(xs.front(), 0.001);
  EXPECT_LE(xs.back(), 1.0);
  // Without p=0/p=1 the ends clamp.
  const Distribution c = Distribution::Empirical({{0.1, 5}, {0.9, 7}});
  EXPECT_EQ(c.Quantile(0.0), 5);
  EXPECT_EQ(c.Quantile(0.05), 5);
  EXPECT_EQ(c.Quantile(0.5), 6);
  EXPECT_EQ(c.Quantile(0.95), 7);
}

TEST(DistributionTest, EverySampleConsumesExactlyOneDraw) {
  for (const Distribution& d :
       {Distribution::Constant(1), Distribution::Uniform(0, 1), Distribution::Exponential(2),
        Distribution::LogNormal(1, 3), Distribution::Empirical({{0, 1}, {1, 2}})}) {
    Rng a(3), b(3);
    d.Sample(a);
    b.Next();
    EXPECT_EQ(a.Next(), b.Next()) << d.Describe();
  }
}

TEST(DistributionTest, Describe) {
  EXPECT_EQ(Distribution::Constant(0.15).Describe(), "constant(0.15)");
  EXPECT_EQ(Distribution::Uniform(0.001, 0.003).Describe(), "uniform(min=0.001, max=0.003)");
  EXPECT_EQ(Distribution::Exponential(600).Describe(), "exponential(mean=600)");
  EXPECT_EQ(Distribution::LogNormal(0.15, 1).Describe(), "lognormal(median=0.15, p99=1)");
  EXPECT_EQ(Distribution::Empirical({{0, 1}, {0.999, 2}, {1, 3}}).Describe(),
            "empirical(p0=1, p99.9=2, p100=3)");
}

TEST(ZipfTest, FrequenciesMatchProbability) {
  const ZipfDistribution z(100, 1.1);
  EXPECT_EQ(z.size(), 100u);
  double total = 0;
  for (size_t k = 0; k < z.size(); ++k) total += z.Probability(k);
  EXPECT_NEAR(total, 1.0, 1e-12);
  EXPECT_GT(z.Probability(0), z.Probability(1));
  EXPECT_NEAR(z.Probability(0) / z.Probability(1), std::pow(2.0, 1.1), 1e-12);
  EXPECT_EQ(z.Probability(100), 0);

  constexpr int kN = 200000;
  std::vector<int> counts(z.size());
  Rng rng(17);
  for (int i = 0; i < kN; ++i) ++counts[z.Sample(rng)];
  for (size_t k = 0; k < 5; ++k) {
    const double p = z.Probability(k);
    EXPECT_NEAR(counts[k] / double{kN}, p, 5 * std::sqrt(p * (1 - p) / kN)) << k;
  }
}

TEST(ZipfTest, ZeroExponentIsUniformAndOneDrawPerSample) {
  const ZipfDistribution z(4, 0);
  for (size_t k = 0; k < 4; ++k) EXPECT_DOUBLE_EQ(z.Probability(k), 0.25);
  Rng a(8), b(8);
  std::vector<int> counts(4);
  for (int i = 0; i < 40000; ++i) {
    ++counts[z.Sample(a)];
    b.Next();
  }
  EXPECT_EQ(a.Next(), b.Next());
  for (int c : counts) EXPECT_NEAR(c, 10000, 400);
  EXPECT_EQ(ZipfDistribution(1, 2).Sample(a), 0u);
}

}  // namespace
}  // namespace credsim
