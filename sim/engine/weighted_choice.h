// WeightedChoice: picks an index with probability proportional to fixed non-negative
// weights, by binary search over a cumulative table (one Uniform01 draw per sample).
#ifndef CREDSIM_SIM_ENGINE_WEIGHTED_CHOICE_H_
#define CREDSIM_SIM_ENGINE_WEIGHTED_CHOICE_H_

#include <cstddef>
#include <vector>

#include "sim/engine/random.h"

namespace credsim {

class WeightedChoice {
 public:
  WeightedChoice() = default;
  // `weights` must be non-empty with a positive sum.
  explicit WeightedChoice(const std::vector<double>& weights);
  // P(k) proportional to 1/(k+1)^s.
  static WeightedChoice Zipf(size_t n, double s);

  size_t Sample(Rng& rng) const;
  double Probability(size_t k) const;
  size_t size() const { return cdf_.size(); }

 private:
  std::vector<double> cdf_;
};

}  // namespace credsim

#endif  // CREDSIM_SIM_ENGINE_WEIGHTED_CHOICE_H_
