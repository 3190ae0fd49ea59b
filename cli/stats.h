// Statistics of replicated runs: sample mean, standard deviation and the Student-t 95 %
// confidence interval of the mean, computed by credsim's own code (no library), so that every
// machine prints the same digits.
//
// Contract:
//  * Summarize() of n values: mean = sum / n (summed in the given order); sd is the sample
//    standard deviation (n - 1 in the denominator); half_width = t_{0.975, n-1} * sd / sqrt(n).
//    For n = 1, sd and half_width are empty (no interval from one run); n = 0 is mean 0.
//  * A paired comparison is Summarize() of the per-replication differences; the difference is
//    "not distinguishable" from 0 when the interval [mean - hw, mean + hw] contains 0.
//  * StudentT975(dof) is the 0.975 quantile of Student's t with `dof` >= 1 degrees of freedom
//    (12.706 for 1, 2.262 for 9, 1.960 in the limit), to about 1e-9 relative.
#ifndef CREDSIM_CLI_STATS_H_
#define CREDSIM_CLI_STATS_H_

#include <cstddef>
#include <optional>
#include <span>

namespace credsim {

struct SampleSummary {
  size_t n = 0;
  double mean = 0;
  std::optional<double> sd;          // empty for n < 2
  std::optional<double> half_width;  // of the 95 % interval; empty for n < 2
  // The interval contains `v` (false without an interval).
  bool IntervalContains(double v) const {
    return half_width && mean - *half_width <= v && v <= mean + *half_width;
  }
};

SampleSummary Summarize(std::span<const double> xs);

// Student's t cumulative distribution function, dof >= 1.
double StudentTCdf(double t, double dof);
// The two-sided 95 % quantile t_{0.975, dof}, dof >= 1.
double StudentT975(int dof);

}  // namespace credsim

#endif  // CREDSIM_CLI_STATS_H_
