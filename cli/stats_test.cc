#include "cli/stats.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"
#include "sim/engine/distribution.h"
#include "sim/engine/random.h"

namespace credsim {
namespace {

// Reference quantiles t_{0.975, dof} (any statistics table, e.g. NIST/SEMATECH e-Handbook
// 1.3.6.7.2), to the 3 decimals tables print.
TEST(StudentT975, MatchesTables) {
  const std::vector<std::pair<int, double>> table = {
      {1, 12.706}, {2, 4.303}, {3, 3.182}, {4, 2.776}, {5, 2.571}, {9, 2.262},
      {10, 2.228}, {19, 2.093}, {29, 2.045}, {30, 2.042}, {100, 1.984}};
  for (const auto& [dof, t] : table) EXPECT_NEAR(StudentT975(dof), t, 0.0006) << dof;
  EXPECT_NEAR(StudentT975(100000), 1.95996, 1e-4);
}

TEST(StudentTCdf, SymmetricAndKnownValues) {
  EXPECT_DOUBLE_EQ(StudentTCdf(0, 5), 0.5);
  EXPECT_NEAR(StudentTCdf(1, 1), 0.75, 1e-12);  // Cauchy: 1/2 + atan(1)/pi
  for (double t : {0.3, 1.7, 4.0}) {
    EXPECT_NEAR(StudentTCdf(t, 7) + StudentTCdf(-t, 7), 1.0, 1e-12);
  }
}

TEST(Summarize, MeanSdHalfWidth) {
  const std::vector<double> xs = {2, 4, 4, 4, 5, 5, 7, 9};
  const SampleSummary s = Summarize(xs);
  EXPECT_EQ(s.n, 8u);
  EXPECT_DOUBLE_EQ(s.mean, 5);
  ASSERT_TRUE(s.sd && s.half_width);
  EXPECT_NEAR(*s.sd, std::sqrt(32.0 / 7), 1e-12);
  EXPECT_NEAR(*s.half_width, StudentT975(7) * *s.sd / std::sqrt(8.0), 1e-12);
  EXPECT_TRUE(s.IntervalContains(5));
  EXPECT_FALSE(s.IntervalContains(9));
}

TEST(Summarize, OneValueHasNoInterval) {
  const std::vector<double> xs = {3};
  const SampleSummary s = Summarize(xs);
  EXPECT_EQ(s.n, 1u);
  EXPECT_EQ(s.mean, 3);
  EXPECT_FALSE(s.sd.has_value());
  EXPECT_FALSE(s.half_width.has_value());
  EXPECT_FALSE(s.IntervalContains(3));
}

// Coverage: the 95 % interval of the mean of n normal draws contains the true mean in 95 %
// of samples. 4000 samples: binomial sd = sqrt(.95 * .05 / 4000) = 0.0034; tolerance 4 sd.
TEST(Summarize, IntervalCoversTheMean) {
  Rng rng(12345);
  for (int n : {3, 10}) {
    int covered = 0;
    constexpr int kSamples = 4000;
    std::vector<double> xs(static_cast<size_t>(n));
    for (int s = 0; s < kSamples; ++s) {
      for (double& x : xs) x = 10 + 2 * InverseNormalCdf(rng.UniformOpen01());
      covered += Summarize(xs).IntervalContains(10);
    }
    EXPECT_NEAR(covered / static_cast<double>(kSamples), 0.95, 4 * 0.0034) << "n=" << n;
  }
}

}  // namespace
}  // namespace credsim
