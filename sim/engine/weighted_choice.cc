#include "sim/engine/weighted_choice.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace credsim {

WeightedChoice::WeightedChoice(const std::vector<double>& weights) {
  double sum = 0;
  for (double w : weights) {
    if (!(w >= 0)) throw std::invalid_argument("WeightedChoice: negative weight");
    sum += w;
  }
  if (weights.empty() || !(sum > 0)) throw std::invalid_argument("WeightedChoice: empty");
  cdf_.reserve(weights.size());
  double acc = 0;
  for (double w : weights) {
    acc += w;
    cdf_.push_back(acc / sum);
  }
  cdf_.back() = 1.0;
  // The guide: for bucket g of K, the first index whose cumulative probability exceeds g / K.
  // K = 8n for small tables, so that most buckets hold no boundary and a sample does not
  // scan at all (the scan's branch is then predictable); 2n beyond, to stay small.
  const size_t n = cdf_.size();
  const size_t k = n <= 512 ? 8 * n : 2 * n;
  guide_.resize(k);
  size_t i = 0;
  for (size_t g = 0; g < k; ++g) {
    const double lo = static_cast<double>(g) / static_cast<double>(k);
    while (i + 1 < n && cdf_[i] <= lo) ++i;
    guide_[g] = static_cast<uint32_t>(i);
  }
}

WeightedChoice WeightedChoice::Zipf(size_t n, double s) {
  std::vector<double> w(n);
  for (size_t k = 0; k < n; ++k) w[k] = std::pow(static_cast<double>(k + 1), -s);
  return WeightedChoice(w);
}

size_t WeightedChoice::IndexFor(double u) const {
  const size_t n = cdf_.size();
  if (!(u < 1.0)) return n - 1;
  // Start at the bucket's guide and walk to the first index with cdf > u, in either
  // direction: the answer is upper_bound's whatever the rounding of u * n.
  const size_t k = guide_.size();
  size_t i = guide_[std::min(static_cast<size_t>(u * static_cast<double>(k)), k - 1)];
  while (cdf_[i] <= u) ++i;  // stops: cdf_.back() == 1 > u
  while (i > 0 && cdf_[i - 1] > u) --i;
  return i;
}

double WeightedChoice::Probability(size_t k) const {
  return k == 0 ? cdf_[0] : cdf_[k] - cdf_[k - 1];
}

}  // namespace credsim
