// Probability distributions over doubles, and their scenario-file (JSON) syntax.
//
// All sampling is by inversion of the CDF from a single uniform draw, so the number of draws a
// consumer takes from its Rng never depends on the distribution chosen in the scenario: editing
// one distribution never shifts the random numbers seen by the rest of a stream. Nothing here
// uses std:: distributions. Results depend on libm's exp/log/erfc/pow, which are accurate to
// about 1 ulp on all supported platforms.
#ifndef CREDSIM_SIM_ENGINE_DISTRIBUTION_H_
#define CREDSIM_SIM_ENGINE_DISTRIBUTION_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "sim/engine/random.h"
#include "sim/engine/time.h"

namespace credsim {


// The standard normal quantile function Phi^-1(p): Acklam's rational approximation refined by
// one Halley step, accurate to ~1e-9 relative (usually better) over (0, 1). Returns -inf for
// p <= 0, +inf for p >= 1, NaN for NaN.
double InverseNormalCdf(double p);

// z_0.99 = Phi^-1(0.99), used to parameterise log-normals by their 99th percentile.
inline constexpr double kZ99 = 2.3263478740408408;

// Distribution: an immutable, copyable value describing a distribution over doubles.
//
// Contract:
//  - Sample(rng) == Quantile(rng.UniformOpen01()) for every kind, including Constant: each
//    sample consumes exactly one draw. Sampling never allocates.
//  - Quantile(p) is the (generalised) inverse CDF, non-decreasing in p; p is clamped to [0, 1].
//  - Mean() and Variance() are analytic (exact for the model, not estimated by sampling).
//  - Factories check their preconditions and abort on violation (programming errors); use
//    ParseDurationDistribution/ParseNumberDistribution for untrusted input.
class Distribution {
 public:
  enum class Kind { kConstant, kUniform, kExponential, kLogNormal, kEmpirical };
  // (cumulative probability in [0, 1], value) pair of an empirical distribution.
  using Point = std::pair<double, double>;

  // Default: Constant(0).
  Distribution() = default;

  static Distribution Constant(double v);
  // Uniform on [lo, hi]; requires lo <= hi.
  static Distribution Uniform(double lo, double hi);
  // Exponential with the given mean; requires mean >= 0 (mean 0 is the constant 0).
  static Distribution Exponential(double mean);
  // Log-normal with median e^mu and 99th percentile e^(mu + z_0.99 sigma), i.e.
  // mu = ln(median), sigma = ln(p99 / median) / z_0.99. Requires 0 < median <= p99.
  static Distribution LogNormal(double median, double p99);
  // Piecewise-linear inverse CDF through `points`, which must be non-empty, have strictly
  // increasing p within [0, 1] and non-decreasing values. Below the first p the quantile is
  // the first value, above the last p the last value (so omitting p=0 or p=1 clamps).
  static Distribution Empirical(std::vector<Point> points);

  double Sample(Rng& rng) const { return Quantile(rng.UniformOpen01()); }
  double Quantile(double p) const;
  double Mean() const;
  double Variance() const;
  // E.g. "constant(0.15)", "uniform(min=0.001, max=0.003)", "exponential(mean=600)",
  // "lognormal(median=0.15, p99=1)", "empirical(p0=0.001, p50=0.02, p100=1)".
  std::string Describe() const;

  Kind kind() const { return kind_; }
  // Parameters as given to the factory: Constant (v), Uniform (lo, hi), Exponential (mean),
  // LogNormal (median, p99); unused ones are 0. points() is empty unless kind is kEmpirical.
  double param1() const { return a_; }
  double param2() const { return b_; }
  const std::vector<Point>& points() const { return points_; }

  bool operator==(const Distribution&) const = default;

 private:
  Kind kind_ = Kind::kConstant;
  double a_ = 0;      // v, lo, mean, median
  double b_ = 0;      // hi, p99
  double mu_ = 0;     // lognormal only
  double sigma_ = 0;  // lognormal only
  std::vector<Point> points_;
};

// ZipfDistribution: ranks 0..n-1 with P(k) proportional to 1 / (k + 1)^s.
//
// Contract: n >= 1 and s >= 0 (s = 0 is uniform), checked at construction (abort). Sample()
// consumes exactly one rng.Uniform01() draw and binary-searches a CDF table built once at
// construction (O(n) memory); sampling never allocates.
class ZipfDistribution {
 public:
  ZipfDistribution(size_t n, double s);

  size_t Sample(Rng& rng) const;
  // P(rank == k); 0 for k >= size().
  double Probability(size_t k) const;
  size_t size() const { return cdf_.size(); }
  double exponent() const { return s_; }

 private:
  double s_;
  double norm_;               // sum over k of 1/(k+1)^s
  std::vector<double> cdf_;   // cdf_[k] = P(rank <= k); cdf_.back() == 1 exactly
};

// One sample of a duration distribution (values in seconds).
inline Duration SampleDuration(const Distribution& d, Rng& rng) {
  return Duration::FromSecondsF(d.Sample(rng));
}

}  // namespace credsim

#endif  // CREDSIM_SIM_ENGINE_DISTRIBUTION_H_
