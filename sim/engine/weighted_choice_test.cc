#include "sim/engine/weighted_choice.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "gtest/gtest.h"
#include "sim/engine/random.h"

namespace credsim {
namespace {

// The index the binary search over the same cumulative table gives (the former Sample()).
size_t UpperBoundIndex(const std::vector<double>& weights, double u) {
  double sum = 0;
  for (double w : weights) sum += w;
  std::vector<double> cdf;
  double acc = 0;
  for (double w : weights) {
    acc += w;
    cdf.push_back(acc / sum);
  }
  cdf.back() = 1.0;
  auto it = std::upper_bound(cdf.begin(), cdf.end(), u);
  return std::min<size_t>(it - cdf.begin(), cdf.size() - 1);
}

// Sample() draws one Uniform01: a copy of the stream replays each draw.
void ExpectSameAsBinarySearch(const std::vector<double>& weights, uint64_t seed) {
  const WeightedChoice choice(weights);
  Rng rng(seed), copy(seed);
  for (int k = 0; k < 20000; ++k) {
    const double u = copy.Uniform01();
    ASSERT_EQ(choice.Sample(rng), UpperBoundIndex(weights, u)) << "u=" << u;
  }
}

TEST(WeightedChoiceTest, SameIndexAsTheBinarySearchOnRandomDraws) {
  ExpectSameAsBinarySearch({1}, 1);
  ExpectSameAsBinarySearch({1, 1}, 2);
  ExpectSameAsBinarySearch({0, 1}, 3);
  ExpectSameAsBinarySearch({1, 0}, 4);
  ExpectSameAsBinarySearch({1e12, 1, 1, 1}, 5);
  ExpectSameAsBinarySearch({1, 1, 1, 1e12}, 6);
  ExpectSameAsBinarySearch({0, 0, 3, 0, 0, 1, 0, 0}, 7);
  std::vector<double> zipf;
  for (int k = 0; k < 2000; ++k) zipf.push_back(std::pow(k + 1, -0.8));
  ExpectSameAsBinarySearch(zipf, 8);
  Rng w(9);
  std::vector<double> random(333);
  for (double& x : random) x = w.Uniform01() < 0.3 ? 0 : w.Uniform01();
  random[5] = 1;
  ExpectSameAsBinarySearch(random, 10);
}

// Draws that land exactly on a cumulative value, or one ulp either side, are where a guide
// table can go wrong; so are bucket boundaries g / n. Check each of them.
TEST(WeightedChoiceTest, SameIndexAtEveryCumulativeValueAndItsNeighbours) {
  for (const std::vector<double>& weights :
       std::vector<std::vector<double>>{{1, 2, 3, 4}, {0, 1, 0, 1, 0}, {1, 1, 1}, {5, 0, 0, 5}}) {
    const WeightedChoice choice(weights);
    std::vector<double> us;
    double acc = 0, sum = 0;
    for (double x : weights) sum += x;
    for (double x : weights) {
      acc += x;
      const double c = acc / sum;
      for (double u : {std::nextafter(c, 0.0), c, std::nextafter(c, 1.0)}) {
        if (u >= 0 && u < 1) us.push_back(u);
      }
    }
    const size_t buckets = 8 * weights.size();  // the guide's size for small tables
    for (size_t g = 0; g <= buckets; ++g) {
      const double b = static_cast<double>(g) / static_cast<double>(buckets);
      for (double u : {std::nextafter(b, 0.0), b, std::nextafter(b, 1.0)}) {
        if (u >= 0 && u < 1) us.push_back(u);
      }
    }
    us.push_back(0.0);
    us.push_back(std::nextafter(1.0, 0.0));
    for (double u : us) {
      EXPECT_EQ(choice.IndexFor(u), UpperBoundIndex(weights, u)) << "u=" << u;
    }
  }
}

TEST(WeightedChoiceTest, ProbabilitiesAreTheNormalisedWeights) {
  const WeightedChoice c({1, 3, 0, 4});
  EXPECT_DOUBLE_EQ(c.Probability(0), 0.125);
  EXPECT_DOUBLE_EQ(c.Probability(1), 0.375);
  EXPECT_DOUBLE_EQ(c.Probability(2), 0.0);
  EXPECT_DOUBLE_EQ(c.Probability(3), 0.5);
}

}  // namespace
}  // namespace credsim
