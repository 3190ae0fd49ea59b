#include "sim/engine/distribution.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "fmt/format.h"
#include "sim/engine/time.h"

namespace credsim {
namespace {


void CheckOrDie(bool ok, std::string_view what) {
  if (ok) return;
  std::fprintf(stderr, "credsim: distribution precondition failed: %.*s\n",
               static_cast<int>(what.size()), what.data());
  std::abort();
}

// Shortest round-trip decimal form: 0.15 -> "0.15", 1.0 -> "1".
std::string Num(double v) { return fmt::format("{}", v); }

// "p50", "p99.9": the percentile key of cumulative probability p.
std::string PercentileKey(double p) {
  std::string s = fmt::format("{:.8f}", p * 100);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return "p" + s;
}

}  // namespace

double InverseNormalCdf(double p) {
  if (std::isnan(p)) return p;
  if (p <= 0) return -std::numeric_limits<double>::infinity();
  if (p >= 1) return std::numeric_limits<double>::infinity();
  // Work in the lower half, where erfc() below is accurate; 1 - p is exact for p in (0.5, 1).
  if (p > 0.5) return -InverseNormalCdf(1.0 - p);

  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                 -2.759285104469687e+02, 1.383577518672690e+02,
                                 -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                 -1.556989798598866e+02, 6.680131188771972e+01,
                                 -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                 -2.400758277161838e+00, -2.549732539343734e+00,
                                 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                                 2.445134137142996e+00, 3.754408661907416e+00};
  constexpr double kLow = 0.02425;

  double x;
  if (p < kLow) {
    const double q = std::sqrt(-2 * std::log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else {
    const double q = p - 0.5;
    const double r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  }
  // One Halley step on f(x) = Phi(x) - p.
  constexpr double kSqrt2 = 1.4142135623730950488;
  constexpr double kSqrt2Pi = 2.5066282746310005024;
  const double e = 0.5 * std::erfc(-x / kSqrt2) - p;
  const double u = e * kSqrt2Pi * std::exp(x * x / 2);
  if (std::isfinite(u)) x = x - u / (1 + x * u / 2);
  return x;
}

// ---------------------------------------------------------------------------------------------
// Distribution

Distribution Distribution::Constant(double v) {
  CheckOrDie(std::isfinite(v), "Constant: value must be finite");
  Distribution d;
  d.kind_ = Kind::kConstant;
  d.a_ = v;
  return d;
}

Distribution Distribution::Uniform(double lo, double hi) {
  CheckOrDie(std::isfinite(lo) && std::isfinite(hi) && lo <= hi, "Uniform: need lo <= hi");
  Distribution d;
  d.kind_ = Kind::kUniform;
  d.a_ = lo;
  d.b_ = hi;
  return d;
}

Distribution Distribution::Exponential(double mean) {
  CheckOrDie(std::isfinite(mean) && mean >= 0, "Exponential: need mean >= 0");
  Distribution d;
  d.kind_ = Kind::kExponential;
  d.a_ = mean;
  return d;
}

Distribution Distribution::LogNormal(double median, double p99) {
  CheckOrDie(std::isfinite(p99) && median > 0 && median <= p99,
             "LogNormal: need 0 < median <= p99");
  Distribution d;
  d.kind_ = Kind::kLogNormal;
  d.a_ = median;
  d.b_ = p99;
  d.mu_ = std::log(median);
  d.sigma_ = std::log(p99 / median) / kZ99;
  return d;
}

Distribution Distribution::Empirical(std::vector<Point> points) {
  CheckOrDie(!points.empty(), "Empirical: need at least one point");
  for (size_t i = 0; i < points.size(); ++i) {
    const auto& [p, v] = points[i];
    CheckOrDie(p >= 0 && p <= 1 && std::isfinite(v), "Empirical: need p in [0, 1], finite v");
    if (i > 0) {
      CheckOrDie(p > points[i - 1].first, "Empirical: p must be strictly increasing");
      CheckOrDie(v >= points[i - 1].second, "Empirical: values must be non-decreasing");
    }
  }
  Distribution d;
  d.kind_ = Kind::kEmpirical;
  d.points_ = std::move(points);
  return d;
}

double Distribution::Quantile(double p) const {
  p = std::clamp(p, 0.0, 1.0);
  switch (kind_) {
    case Kind::kConstant:
      return a_;
    case Kind::kUniform:
      return a_ + (b_ - a_) * p;
    case Kind::kExponential:
      return a_ == 0 ? 0.0 : -a_ * std::log1p(-p);
    case Kind::kLogNormal:
      return sigma_ == 0 ? a_ : std::exp(mu_ + sigma_ * InverseNormalCdf(p));
    case Kind::kEmpirical: {
      if (p <= points_.front().first) return points_.front().second;
      if (p >= points_.back().first) return points_.back().second;
      auto hi = std::upper_bound(points_.begin(), points_.end(), p,
                                 [](double x, const Point& pt) { return x < pt.first; });
      auto lo = hi - 1;
      const double t = (p - lo->first) / (hi->first - lo->first);
      return lo->second + (hi->second - lo->second) * t;
    }
  }
  return 0;
}

double Distribution::Mean() const {
  switch (kind_) {
    case Kind::kConstant:
      return a_;
    case Kind::kUniform:
      return (a_ + b_) / 2;
    case Kind::kExponential:
      return a_;
    case Kind::kLogNormal:
      return std::exp(mu_ + sigma_ * sigma_ / 2);
    case Kind::kEmpirical: {
      // Integral over [0, 1] of the piecewise-linear quantile function (flat at both ends).
      double m = points_.front().first * points_.front().second +
                 (1 - points_.back().first) * points_.back().second;
      for (size_t i = 1; i < points_.size(); ++i) {
        const auto& [p0, v0] = points_[i - 1];
        const auto& [p1, v1] = points_[i];
        m += (p1 - p0) * (v0 + v1) / 2;
      }
      return m;
    }
  }
  return 0;
}

double Distribution::Variance() const {
  switch (kind_) {
    case Kind::kConstant:
      return 0;
    case Kind::kUniform:
      return (b_ - a_) * (b_ - a_) / 12;
    case Kind::kExponential:
      return a_ * a_;
    case Kind::kLogNormal: {
      const double s2 = sigma_ * sigma_;
      return std::expm1(s2) * std::exp(2 * mu_ + s2);
    }
    case Kind::kEmpirical: {
      const auto& [pf, vf] = points_.front();
      const auto& [pb, vb] = points_.back();
      double m2 = pf * vf * vf + (1 - pb) * vb * vb;
      for (size_t i = 1; i < points_.size(); ++i) {
        const auto& [p0, v0] = points_[i - 1];
        const auto& [p1, v1] = points_[i];
        m2 += (p1 - p0) * (v0 * v0 + v0 * v1 + v1 * v1) / 3;
      }
      const double m = Mean();
      return std::max(0.0, m2 - m * m);
    }
  }
  return 0;
}

std::string Distribution::Describe() const {
  switch (kind_) {
    case Kind::kConstant:
      return absl::StrCat("constant(", Num(a_), ")");
    case Kind::kUniform:
      return absl::StrCat("uniform(min=", Num(a_), ", max=", Num(b_), ")");
    case Kind::kExponential:
      return absl::StrCat("exponential(mean=", Num(a_), ")");
    case Kind::kLogNormal:
      return absl::StrCat("lognormal(median=", Num(a_), ", p99=", Num(b_), ")");
    case Kind::kEmpirical: {
      std::string out = "empirical(";
      for (size_t i = 0; i < points_.size(); ++i) {
        absl::StrAppend(&out, i ? ", " : "", PercentileKey(points_[i].first), "=",
                        Num(points_[i].second));
      }
      return out + ")";
    }
  }
  return "?";
}

// ---------------------------------------------------------------------------------------------
// ZipfDistribution

ZipfDistribution::ZipfDistribution(size_t n, double s) : s_(s), norm_(0) {
  CheckOrDie(n >= 1, "Zipf: need n >= 1");
  CheckOrDie(std::isfinite(s) && s >= 0, "Zipf: need finite s >= 0");
  cdf_.resize(n);
  for (size_t k = 0; k < n; ++k) {
    norm_ += std::pow(static_cast<double>(k + 1), -s);
    cdf_[k] = norm_;
  }
  for (double& c : cdf_) c /= norm_;
  cdf_.back() = 1.0;
}

size_t ZipfDistribution::Sample(Rng& rng) const {
  const double u = rng.Uniform01();
  const size_t k = std::upper_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin();
  return std::min(k, cdf_.size() - 1);
}

double ZipfDistribution::Probability(size_t k) const {
  if (k >= cdf_.size()) return 0;
  return std::pow(static_cast<double>(k + 1), -s_) / norm_;
}

// ---------------------------------------------------------------------------------------------
// JSON

}  // namespace credsim
