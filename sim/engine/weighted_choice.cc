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
}

WeightedChoice WeightedChoice::Zipf(size_t n, double s) {
  std::vector<double> w(n);
  for (size_t k = 0; k < n; ++k) w[k] = std::pow(static_cast<double>(k + 1), -s);
  return WeightedChoice(w);
}

size_t WeightedChoice::Sample(Rng& rng) const {
  const double u = rng.Uniform01();
  auto it = std::upper_bound(cdf_.begin(), cdf_.end(), u);
  return std::min<size_t>(it - cdf_.begin(), cdf_.size() - 1);
}

double WeightedChoice::Probability(size_t k) const {
  return k == 0 ? cdf_[0] : cdf_[k] - cdf_[k - 1];
}

}  // namespace credsim
