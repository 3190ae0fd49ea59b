// WeightedChoice: picks an index with probability proportional to fixed non-negative
// weights (one Uniform01 draw per sample): the first index whose cumulative probability
// exceeds the draw. A guide table (2-8 entries per index: where the search for draws in each
// bucket of [0, 1) starts) makes a sample O(1) expected instead of a binary search; the index
// is exactly the one the binary search (std::upper_bound) gives, for every draw.
#ifndef CREDSIM_SIM_ENGINE_WEIGHTED_CHOICE_H_
#define CREDSIM_SIM_ENGINE_WEIGHTED_CHOICE_H_

#include <cstddef>
#include <cstdint>
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

  size_t Sample(Rng& rng) const { return IndexFor(rng.Uniform01()); }
  // The index a draw u in [0, 1) selects (u >= 1: the last index).
  size_t IndexFor(double u) const;
  double Probability(size_t k) const;
  size_t size() const { return cdf_.size(); }

 private:
  std::vector<double> cdf_;
  std::vector<uint32_t> guide_;  // guide_[g]: upper_bound(cdf_, g / guide_.size()), clamped
};

}  // namespace credsim

#endif  // CREDSIM_SIM_ENGINE_WEIGHTED_CHOICE_H_
