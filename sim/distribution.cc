#include "sim/distribution.h"

#include "sim/json_reader.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "fmt/format.h"
#include "nlohmann/json.hpp"
#include "sim/time.h"

namespace credsim {
namespace {

using json = nlohmann::json;

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

namespace {

constexpr char kKinds[] = "constant, uniform, exponential, lognormal, empirical";

// A parsed leaf value and its spelling for error messages ("150ms", "0.15").
struct Scalar {
  double value;
  std::string text;
};

// How leaf values are written: durations ("150ms" -> 0.15 seconds) or plain numbers.
struct ValueSyntax {
  const char* expected;  // e.g. `a duration string such as "150ms"`
  bool (*has_type)(const json&);
  // Parses a leaf of the right JSON type; returns the message without the path.
  absl::StatusOr<Scalar> (*parse)(const json&);
};

// absl::string_view, not std::string_view: this Abseil build has its own string_view type.
absl::Status Err(absl::string_view path, absl::string_view msg) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", msg));
}

std::string Dump(const json& j) {
  std::string s = j.dump();
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

const ValueSyntax kDurationSyntax = {
    "a duration string such as \"150ms\"",
    [](const json& j) { return j.is_string(); },
    [](const json& j) -> absl::StatusOr<Scalar> {
      const auto& s = j.get_ref<const std::string&>();
      absl::StatusOr<Duration> d = ParseDuration(s);
      if (!d.ok()) return d.status();
      return Scalar{static_cast<double>(d->nanos()) / 1e9, s};
    }};

const ValueSyntax kNumberSyntax = {
    "a number",
    [](const json& j) { return j.is_number(); },
    [](const json& j) -> absl::StatusOr<Scalar> {
      const double v = j.get<double>();
      if (!std::isfinite(v)) return absl::InvalidArgumentError("must be finite");
      return Scalar{v, Num(v)};
    }};

absl::StatusOr<Scalar> ParseLeaf(const json& j, const std::string& path,
                                 const ValueSyntax& syntax) {
  if (!syntax.has_type(j)) {
    return Err(path, absl::StrCat("expected ", syntax.expected, ", got ", Dump(j)));
  }
  absl::StatusOr<Scalar> s = syntax.parse(j);
  if (!s.ok()) return Err(path, s.status().message());
  return s;
}

// Parses {"k1": leaf, "k2": leaf, ...} with exactly the keys `keys`, in that order.
absl::StatusOr<std::vector<Scalar>> ParseParams(const json& j, const std::string& path,
                                                const std::string& kind,
                                                const std::vector<std::string>& keys,
                                                const ValueSyntax& syntax) {
  const std::string accepted = absl::StrJoin(keys, ", ");
  if (!j.is_object()) {
    return Err(path, absl::StrCat("expected an object with keys ", accepted, ", got ", Dump(j)));
  }
  for (const auto& [key, value] : j.items()) {
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
      return Err(absl::StrCat(path, ".", key),
                 absl::StrCat("unknown key \"", key, "\"; ", kind, " accepts ", accepted));
    }
  }
  std::vector<Scalar> out;
  for (const std::string& key : keys) {
    auto it = j.find(key);
    if (it == j.end()) {
      return Err(path, absl::StrCat("missing key \"", key, "\"; ", kind, " requires ", accepted));
    }
    absl::StatusOr<Scalar> s = ParseLeaf(*it, absl::StrCat(path, ".", key), syntax);
    if (!s.ok()) return s.status();
    out.push_back(*std::move(s));
  }
  return out;
}

// "p99.9" -> 0.999: the cumulative probability of a percentile key, or -1 if the key is not
// "p" followed by a decimal percentage in [0, 100]. The decimal point is shifted in the text
// ("999e-3") so that the result is the double nearest the exact decimal value.
double ParsePercentileKey(std::string_view key) {
  if (key.size() < 2 || key[0] != 'p') return -1;
  const std::string_view num = key.substr(1);
  std::string digits;
  int frac_digits = 0;
  bool seen_dot = false;
  for (size_t i = 0; i < num.size(); ++i) {
    if (num[i] == '.') {
      if (seen_dot || i == 0 || i + 1 == num.size()) return -1;
      seen_dot = true;
    } else if (num[i] >= '0' && num[i] <= '9') {
      digits.push_back(num[i]);
      frac_digits += seen_dot;
    } else {
      return -1;
    }
  }
  if (digits.size() > 30) return -1;
  digits += "e-" + std::to_string(frac_digits + 2);
  double p = -1;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), p);
  if (ec != std::errc() || ptr != digits.data() + digits.size() || p > 1) return -1;
  return p;
}

absl::StatusOr<Distribution> ParseEmpirical(const json& j, const std::string& path,
                                            const ValueSyntax& syntax) {
  static constexpr char kShape[] =
      "empirical takes percentile keys \"p0\" ... \"p100\" (e.g. \"p50\", \"p99.9\"), "
      "including p0 and p100";
  if (!j.is_object() || j.empty()) {
    return Err(path, absl::StrCat("expected a non-empty object; ", kShape, ", got ", Dump(j)));
  }
  struct Entry {
    double p;
    std::string key;
    Scalar value;
  };
  std::vector<Entry> entries;
  for (const auto& [key, value] : j.items()) {
    const std::string key_path = absl::StrCat(path, ".", key);
    const double p = ParsePercentileKey(key);
    if (p < 0) {
      return Err(key_path, absl::StrCat("invalid key \"", key, "\"; ", kShape));
    }
    absl::StatusOr<Scalar> s = ParseLeaf(value, key_path, syntax);
    if (!s.ok()) return s.status();
    entries.push_back({p, key, *std::move(s)});
  }
  std::stable_sort(entries.begin(), entries.end(),
                   [](const Entry& a, const Entry& b) { return a.p < b.p; });
  if (entries.front().p != 0) return Err(path, absl::StrCat("missing \"p0\"; ", kShape));
  if (entries.back().p != 1) {
    return Err(path, absl::StrCat("missing \"p100\"; ", kShape));
  }
  std::vector<Distribution::Point> points;
  for (size_t i = 0; i < entries.size(); ++i) {
    const Entry& e = entries[i];
    if (i > 0) {
      const Entry& prev = entries[i - 1];
      const std::string key_path = absl::StrCat(path, ".", e.key);
      if (e.p == prev.p) {
        return Err(key_path, absl::StrCat("same percentile as \"", prev.key,
                                          "\"; each percentile may appear once"));
      }
      if (e.value.value < prev.value.value) {
        return Err(key_path, absl::StrCat("must be >= ", prev.key, " (", prev.value.text,
                                          "); values must be non-decreasing in the percentile"));
      }
    }
    points.emplace_back(e.p, e.value.value);
  }
  return Distribution::Empirical(std::move(points));
}

absl::StatusOr<Distribution> ParseDistribution(const json& j, std::string_view path_view,
                                               const ValueSyntax& syntax) {
  const std::string path(path_view);
  if (!j.is_object()) {
    if (!syntax.has_type(j)) {
      return Err(path, absl::StrCat("expected ", syntax.expected,
                                    " or an object with one key, one of ", kKinds, "; got ",
                                    Dump(j)));
    }
    absl::StatusOr<Scalar> s = ParseLeaf(j, path, syntax);
    if (!s.ok()) return s.status();
    return Distribution::Constant(s->value);
  }
  if (j.size() != 1) {
    std::vector<std::string> keys;
    for (const auto& [key, value] : j.items()) keys.push_back(absl::StrCat("\"", key, "\""));
    return Err(path, absl::StrCat("expected exactly one distribution key, one of ", kKinds,
                                  "; got ", j.size(), " keys", keys.empty() ? "" : " (",
                                  absl::StrJoin(keys, ", "), keys.empty() ? "" : ")"));
  }
  const std::string& kind = j.begin().key();
  const json& body = j.begin().value();
  const std::string sub = absl::StrCat(path, ".", kind);

  if (kind == "constant") {
    absl::StatusOr<Scalar> s = ParseLeaf(body, sub, syntax);
    if (!s.ok()) return s.status();
    return Distribution::Constant(s->value);
  }
  if (kind == "uniform") {
    auto p = ParseParams(body, sub, kind, {"min", "max"}, syntax);
    if (!p.ok()) return p.status();
    const Scalar& lo = (*p)[0];
    const Scalar& hi = (*p)[1];
    if (hi.value < lo.value) return Err(sub + ".max", absl::StrCat("must be >= min (", lo.text, ")"));
    return Distribution::Uniform(lo.value, hi.value);
  }
  if (kind == "exponential") {
    auto p = ParseParams(body, sub, kind, {"mean"}, syntax);
    if (!p.ok()) return p.status();
    if (!((*p)[0].value > 0)) return Err(sub + ".mean", "must be > 0");
    return Distribution::Exponential((*p)[0].value);
  }
  if (kind == "lognormal") {
    auto p = ParseParams(body, sub, kind, {"median", "p99"}, syntax);
    if (!p.ok()) return p.status();
    const Scalar& median = (*p)[0];
    const Scalar& p99 = (*p)[1];
    if (!(median.value > 0)) return Err(sub + ".median", "must be > 0");
    if (p99.value < median.value) {
      return Err(sub + ".p99", absl::StrCat("must be >= median (", median.text, ")"));
    }
    return Distribution::LogNormal(median.value, p99.value);
  }
  if (kind == "empirical") return ParseEmpirical(body, sub, syntax);
  return Err(path, absl::StrCat("unknown distribution \"", kind, "\"; expected one of ", kKinds));
}

}  // namespace

absl::StatusOr<Distribution> ParseDurationDistribution(const json& j, std::string_view path) {
  return ParseDistribution(j, path, kDurationSyntax);
}

absl::StatusOr<Distribution> ParseNumberDistribution(const json& j, std::string_view path) {
  return ParseDistribution(j, path, kNumberSyntax);
}

json ToJson(const Distribution& d) {
  switch (d.kind()) {
    case Distribution::Kind::kConstant:
      return {{"constant", d.param1()}};
    case Distribution::Kind::kUniform:
      return {{"uniform", {{"min", d.param1()}, {"max", d.param2()}}}};
    case Distribution::Kind::kExponential:
      return {{"exponential", {{"mean", d.param1()}}}};
    case Distribution::Kind::kLogNormal:
      return {{"lognormal", {{"median", d.param1()}, {"p99", d.param2()}}}};
    case Distribution::Kind::kEmpirical: {
      json body = json::object();
      for (const auto& [p, v] : d.points()) body[PercentileKey(p)] = v;
      return {{"empirical", std::move(body)}};
    }
  }
  return nullptr;
}

void ReadDurationDistribution(JsonReader& r, std::string_view key, Distribution* out) {
  const nlohmann::json* j = r.GetRaw(key);
  if (j == nullptr || !r.ok()) return;
  const std::string path = r.PathOf(key);
  absl::StatusOr<Distribution> d = ParseDurationDistribution(*j, path);
  if (d.ok()) {
    *out = *std::move(d);
    return;
  }
  // The message is "<path at or below `path`>: <problem>"; split it so the path is named once.
  const std::string msg(d.status().message());
  const size_t from = msg.compare(0, path.size(), path) == 0 ? path.size() : 0;
  const size_t colon = msg.find(": ", from);
  if (colon == std::string::npos) {
    r.Fail(path, msg);
  } else {
    r.Fail(msg.substr(0, colon), msg.substr(colon + 2));
  }
}

}  // namespace credsim
