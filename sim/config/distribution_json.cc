#include "sim/config/distribution_json.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "fmt/format.h"
#include "nlohmann/json.hpp"
#include "sim/config/json_reader.h"
#include "sim/engine/time.h"

namespace credsim {
namespace {

using json = nlohmann::json;

std::string Num(double v) { return fmt::format("{}", v); }

// "p50", "p99.9": the percentile key of cumulative probability p.
std::string PercentileKey(double p) {
  std::string s = fmt::format("{:.8f}", p * 100);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return "p" + s;
}


}  // namespace
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

json ToDurationJson(const Distribution& d) {
  auto dur = [](double seconds) { return FormatDuration(Duration::FromSecondsF(seconds)); };
  switch (d.kind()) {
    case Distribution::Kind::kConstant:
      return dur(d.param1());
    case Distribution::Kind::kUniform:
      return {{"uniform", {{"min", dur(d.param1())}, {"max", dur(d.param2())}}}};
    case Distribution::Kind::kExponential:
      return {{"exponential", {{"mean", dur(d.param1())}}}};
    case Distribution::Kind::kLogNormal:
      return {{"lognormal", {{"median", dur(d.param1())}, {"p99", dur(d.param2())}}}};
    case Distribution::Kind::kEmpirical: {
      json body = json::object();
      for (const auto& [p, v] : d.points()) body[PercentileKey(p)] = dur(v);
      return {{"empirical", std::move(body)}};
    }
  }
  return nullptr;
}

void ReadDurationDistribution(JsonReader& r, std::string_view key, Distribution* out,
                              const ParamDoc& doc, ParamSite loc) {
  const nlohmann::json* j = r.GetRaw(key);
  if (r.declaring()) {
    r.Declare(key, "distribution", ToDurationJson(*out), json::object(), doc, loc);
  }
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
