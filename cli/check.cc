#include "cli/check.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>

#include "cli/results.h"
#include "cli/stats.h"
#include "fmt/format.h"

namespace credsim {
namespace {

using ::nlohmann::json;

constexpr const char* kErrorStatuses[] = {"403", "500", "502", "503"};

// The checked metrics: baseline name and the results key (cli/results.h stats keys).
struct CheckedMetric {
  const char* name;
  const char* results_key;
};
constexpr CheckedMetric kCheckedMetrics[] = {
    {"sts_calls", "sts_calls"},   {"sts_throttled", "sts_throttled"}, {"errors.403", "errors.403"},
    {"errors.500", "errors.500"}, {"errors.502", "errors.502"},       {"errors.503", "errors.503"},
    {"auth_p99_ms", "auth_latency_ms.p99"},
};

std::string Fmt(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) return fmt::format("{:.0f}", v);
  return fmt::format("{:.6g}", v);
}

std::string Change(double baseline, double now) {
  if (baseline == 0) return now == 0 ? "0%" : "+inf%";
  return fmt::format("{:+.2f}%", 100.0 * (now - baseline) / baseline);
}

// Flattens one strategy entry of a baseline into (metric, value) pairs, in kCheckedMetrics
// order.
std::vector<std::pair<std::string, double>> Metrics(const json& e) {
  std::vector<std::pair<std::string, double>> out;
  out.emplace_back("sts_calls", e.at("sts_calls").get<double>());
  out.emplace_back("sts_throttled", e.at("sts_throttled").get<double>());
  for (const char* s : kErrorStatuses) {
    out.emplace_back(fmt::format("errors.{}", s), e.at("errors").at(s).get<double>());
  }
  out.emplace_back("auth_p99_ms", e.at("auth_p99_ms").get<double>());
  return out;
}

// Replications behind a baseline-form entry: its stats' n, or 1 without stats.
size_t EntryN(const json& e) {
  if (!e.contains("stats")) return 1;
  return e.at("stats").at("sts_calls").at("n").get<size_t>();
}

// A non-negative integer >= min (parsed files hold unsigned numbers, built documents may hold
// signed ones).
bool IsCount(const json& v, uint64_t min) {
  if (v.is_number_unsigned()) return v.get<uint64_t>() >= min;
  return v.is_number_integer() && v.get<int64_t>() >= 0 && static_cast<uint64_t>(v.get<int64_t>()) >= min;
}

// {"n": N >= 2, "mean": m >= 0, "ci95": [lo, hi]} with finite lo <= hi.
bool IsStat(const json& s) {
  if (!s.is_object() || !s.contains("n") || !IsCount(s.at("n"), 2) || !s.contains("mean") ||
      !s.at("mean").is_number() || s.at("mean").get<double>() < 0 || !s.contains("ci95")) {
    return false;
  }
  const json& ci = s.at("ci95");
  if (!ci.is_array() || ci.size() != 2 || !ci[0].is_number() || !ci[1].is_number()) return false;
  const double lo = ci[0].get<double>(), hi = ci[1].get<double>();
  return std::isfinite(lo) && std::isfinite(hi) && lo <= hi;
}

absl::Status CheckEntry(const json& e, const std::string& path) {
  auto number = [&](const json& v, const std::string& p) -> absl::Status {
    if (!v.is_number() || v.get<double>() < 0) {
      return absl::InvalidArgumentError(fmt::format("{}: expected a number >= 0", p));
    }
    return absl::OkStatus();
  };
  if (!e.is_object()) return absl::InvalidArgumentError(fmt::format("{}: expected an object", path));
  for (const char* k : {"sts_calls", "sts_throttled", "auth_p99_ms"}) {
    if (!e.contains(k)) return absl::InvalidArgumentError(fmt::format("{}.{}: missing", path, k));
    if (auto s = number(e.at(k), fmt::format("{}.{}", path, k)); !s.ok()) return s;
  }
  if (!e.contains("errors") || !e.at("errors").is_object()) {
    return absl::InvalidArgumentError(fmt::format("{}.errors: expected an object with 403, 500, 502, 503", path));
  }
  for (const char* st : kErrorStatuses) {
    const std::string p = fmt::format("{}.errors.{}", path, st);
    if (!e.at("errors").contains(st)) return absl::InvalidArgumentError(p + ": missing");
    if (auto s = number(e.at("errors").at(st), p); !s.ok()) return s;
  }
  if (e.contains("stats")) {
    const json& stats = e.at("stats");
    if (!stats.is_object()) {
      return absl::InvalidArgumentError(fmt::format("{}.stats: expected an object", path));
    }
    std::optional<uint64_t> n;
    for (const CheckedMetric& m : kCheckedMetrics) {
      const std::string p = fmt::format("{}.stats[\"{}\"]", path, m.name);
      if (!stats.contains(m.name) || !IsStat(stats.at(m.name))) {
        return absl::InvalidArgumentError(fmt::format(
            "{}: expected {{\"n\": N >= 2, \"mean\": m >= 0, \"ci95\": [lo, hi]}} with lo <= hi", p));
      }
      const uint64_t this_n = stats.at(m.name).at("n").get<uint64_t>();
      if (n && *n != this_n) {
        return absl::InvalidArgumentError(
            fmt::format("{}.n: {} differs from the other metrics' n = {}", p, this_n, *n));
      }
      n = this_n;
    }
  }
  return absl::OkStatus();
}

// {"scenario_sha256": "...", "seed": S, "replications": N >= 1, "credsim_version": "..."}.
absl::Status CheckFingerprint(const json& f, const std::string& path) {
  if (!f.is_object() || !f.contains("scenario_sha256") || !f.at("scenario_sha256").is_string() ||
      !f.contains("seed") || !IsCount(f.at("seed"), 0) || !f.contains("replications") ||
      !IsCount(f.at("replications"), 1) || !f.contains("credsim_version") ||
      !f.at("credsim_version").is_string()) {
    return absl::InvalidArgumentError(fmt::format(
        "{}: expected {{\"scenario_sha256\": \"<hex>\", \"seed\": S, \"replications\": N >= 1, "
        "\"credsim_version\": \"...\"}}",
        path));
  }
  return absl::OkStatus();
}

std::string Abbreviated(const std::string& hash) {
  return hash.size() > 12 ? hash.substr(0, 12) + "\u2026" : hash;
}

const json* FingerprintOf(const json& doc, const std::string& scenario) {
  if (!doc.contains("fingerprints")) return nullptr;
  const json& fs = doc.at("fingerprints");
  if (!fs.is_object() || !fs.contains(scenario)) return nullptr;
  return &fs.at(scenario);
}

std::string Trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  const size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

size_t Levenshtein(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

void Flatten(const json& v, const std::string& prefix, std::vector<std::pair<std::string, double>>& out) {
  for (const auto& [k, child] : v.items()) {
    const std::string key = prefix.empty() ? k : prefix + "." + k;
    if (child.is_number()) {
      out.emplace_back(key, child.get<double>());
    } else if (child.is_object()) {
      Flatten(child, key, out);
    }
  }
}

}  // namespace

bool CheckFinding::Failing() const {
  switch (kind) {
    case Kind::kRegression:
    case Kind::kMissingFromResults:
    case Kind::kGateFailed:
      return true;
    case Kind::kScenarioChanged:
      return !allowed;
    case Kind::kImprovement:
    case Kind::kMissingFromBaseline:
    case Kind::kFingerprintNotice:
      return false;
  }
  return false;
}

std::string CheckFinding::Line() const {
  const std::string mean_note =
      now_n > 1 ? fmt::format("; now the mean of {} replications", now_n) : std::string();
  switch (kind) {
    case Kind::kRegression:
    case Kind::kImprovement: {
      const bool regression = kind == Kind::kRegression;
      const char* label = regression ? "REGRESSION" : "improved  ";
      if (statistical) {
        return fmt::format("{} {} / {}: {} mean {} of {} replications {} the baseline's ci95 [{}, {}] "
                           "(mean {} of {})",
                           label, scenario, strategy, metric, Fmt(now), now_n,
                           regression ? "above" : "below", Fmt(baseline_lo), Fmt(baseline_hi),
                           Fmt(baseline), baseline_n);
      }
      return fmt::format("{} {} / {}: {} baseline {} now {} ({}{})", label, scenario, strategy, metric,
                         Fmt(baseline), Fmt(now), Change(baseline, now), mean_note);
    }
    case Kind::kMissingFromResults:
      return fmt::format(
          "MISSING    {} / {}: in the baseline but not in the results (run it, or remove it "
          "with --update)",
          scenario, strategy);
    case Kind::kMissingFromBaseline:
      return fmt::format("new        {} / {}: not in the baseline (add it with --update)",
                         scenario, strategy);
    case Kind::kScenarioChanged:
      return fmt::format("scenario changed: {} ({}): metrics not compared{}", scenario, detail,
                         allowed ? " (--allow-changed)"
                                 : "; if intended, record it with --update (or pass --allow-changed)");
    case Kind::kFingerprintNotice:
      return fmt::format("notice     {}: {}; the scenario is unchanged, so its metrics were compared",
                         scenario, detail);
    case Kind::kGateFailed:
      return fmt::format("GATE       {} / {}: {} = {}{} fails --require '{}'", scenario, strategy, metric,
                         Fmt(now), now_n > 1 ? fmt::format(" (mean of {} replications)", now_n) : "",
                         detail);
  }
  return "";
}

std::string EscapeWorkflowData(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '%': out += "%25"; break;
      case '\r': out += "%0D"; break;
      case '\n': out += "%0A"; break;
      default: out += c;
    }
  }
  return out;
}

std::string EscapeWorkflowProperty(const std::string& s) {
  std::string out;
  for (char c : EscapeWorkflowData(s)) {
    switch (c) {
      case ':': out += "%3A"; break;
      case ',': out += "%2C"; break;
      default: out += c;
    }
  }
  return out;
}

std::string CheckFinding::GithubAnnotation() const {
  const bool error = Failing();
  std::string title;
  switch (kind) {
    case Kind::kGateFailed: title = "credsim gate"; break;
    case Kind::kScenarioChanged: title = "credsim scenario changed"; break;
    default: title = error ? "credsim regression" : "credsim change";
  }
  std::string props;
  if (!file.empty()) props += "file=" + EscapeWorkflowProperty(file) + ",";
  props += "title=" + title;
  return fmt::format("::{} {}::{}", error ? "error" : "notice", props, EscapeWorkflowData(Line()));
}

bool CheckReport::failed() const { return failing() > 0; }

size_t CheckReport::failing() const {
  size_t n = 0;
  for (const auto& f : findings) n += f.Failing();
  return n;
}

absl::StatusOr<CheckMode> ParseCheckMode(const std::string& text) {
  if (text == "exact") return CheckMode::kExact;
  if (text == "statistical") return CheckMode::kStatistical;
  return absl::InvalidArgumentError(
      fmt::format("--mode: \"{}\" is not accepted; expected \"exact\" (the default) or \"statistical\"", text));
}

absl::StatusOr<double> ParseTolerance(const std::string& text) {
  std::string t = text;
  bool percent = !t.empty() && t.back() == '%';
  if (percent) t.pop_back();
  char* end = nullptr;
  const double v = std::strtod(t.c_str(), &end);
  if (t.empty() || *end != '\0' || !(v >= 0) || !std::isfinite(v) || t[0] == ' ' || t[0] == '+') {
    return absl::InvalidArgumentError(fmt::format(
        "--tolerance: \"{}\" is not accepted; expected a non-negative percentage such as \"2%\" "
        "or \"0\", or a fraction such as 0.02",
        text));
  }
  if (!percent && v > 1) {
    return absl::InvalidArgumentError(fmt::format(
        "--tolerance: \"{}\" is not accepted: a bare number is a fraction (0.02 = 2%) and must be "
        "at most 1; write \"{}%\" if you mean {} percent",
        text, Fmt(v * 100), Fmt(v * 100)));
  }
  return percent ? v / 100.0 : v;
}

absl::StatusOr<json> BaselineFromResults(const std::vector<json>& results, const std::vector<std::string>& names) {
  json out;
  out["credsim_version"] = Version();
  out["scenarios"] = json::object();
  std::map<std::string, std::string> seen;  // scenario → file it came from
  for (size_t i = 0; i < results.size(); ++i) {
    const json& r = results[i];
    const std::string& name = names[i];
    if (!r.is_object() || !r.contains("scenario") || !r.at("scenario").is_string() ||
        !r.contains("strategies") || !r.at("strategies").is_array()) {
      return absl::InvalidArgumentError(fmt::format(
          "{}: not a credsim results file (expected \"scenario\" and a \"strategies\" array)", name));
    }
    const std::string scenario = r.at("scenario").get<std::string>();
    if (auto [it, inserted] = seen.emplace(scenario, name); !inserted) {
      return absl::InvalidArgumentError(fmt::format(
          "{}: scenario \"{}\" is also in {}; give each scenario's results once (the verdict "
          "must not depend on argument order)",
          name, scenario, it->second));
    }
    if (r.contains("fingerprint")) {
      const json& f = r.at("fingerprint");
      if (auto s = CheckFingerprint(f, name + ": fingerprint"); !s.ok()) return s;
      out["fingerprints"][scenario] = json{{"scenario_sha256", f.at("scenario_sha256")},
                                           {"seed", f.at("seed")},
                                           {"replications", f.at("replications")},
                                           {"credsim_version", f.at("credsim_version")}};
    }
    json& sc = out["scenarios"][scenario];
    sc = json::object();
    const json& list = r.at("strategies");
    for (size_t k = 0; k < list.size(); ++k) {
      const json& s = list[k];
      const std::string path = fmt::format("{}: strategies[{}]", name, k);
      if (!s.is_object() || !s.contains("name") || !s.at("name").is_string()) {
        return absl::InvalidArgumentError(path + ".name: missing");
      }
      if (!s.contains("auth_latency_ms") || !s.at("auth_latency_ms").is_object() ||
          !s.at("auth_latency_ms").contains("p99")) {
        return absl::InvalidArgumentError(path + ".auth_latency_ms.p99: missing");
      }
      json e;
      e["sts_calls"] = s.value("sts_calls", json());
      e["sts_throttled"] = s.value("sts_throttled", json());
      e["errors"] = s.value("errors", json());
      if (e["errors"].is_object()) e["errors"].erase("total");
      e["auth_p99_ms"] = s.at("auth_latency_ms").at("p99");
      // Replicated results (stats with n > 1): the compared values are the means, and the
      // intervals are kept for --mode statistical.
      if (s.contains("stats")) {
        const json& stats = s.at("stats");
        if (!stats.is_object()) return absl::InvalidArgumentError(path + ".stats: expected an object");
        const json* first = stats.contains("sts_calls") ? &stats.at("sts_calls") : nullptr;
        if (first == nullptr || !first->is_object() || !first->contains("n") || !IsCount(first->at("n"), 0)) {
          return absl::InvalidArgumentError(
              path + ".stats[\"sts_calls\"].n: missing (expected the number of replications)");
        }
        if (first->at("n").get<uint64_t>() > 1) {
          for (const CheckedMetric& m : kCheckedMetrics) {
            const std::string p = fmt::format("{}.stats[\"{}\"]", path, m.results_key);
            const json* st = stats.contains(m.results_key) ? &stats.at(m.results_key) : nullptr;
            if (st == nullptr || !IsStat(*st)) {
              return absl::InvalidArgumentError(fmt::format(
                  "{}: expected {{\"n\": N >= 2, \"mean\": m >= 0, \"ci95\": [lo, hi]}} with lo <= hi", p));
            }
            json entry_stat = {{"n", st->at("n")}, {"mean", st->at("mean")}, {"ci95", st->at("ci95")}};
            const std::string mname = m.name;
            if (mname.rfind("errors.", 0) == 0) {
              if (!e["errors"].is_object()) break;  // reported by CheckEntry below
              e["errors"][mname.substr(7)] = st->at("mean");
            } else {
              e[mname] = st->at("mean");
            }
            e["stats"][mname] = std::move(entry_stat);
          }
        }
      }
      if (auto st = CheckEntry(e, path); !st.ok()) return st;
      const std::string strategy = s.at("name").get<std::string>();
      if (sc.contains(strategy)) {
        return absl::InvalidArgumentError(fmt::format(
            "{}.name: strategy \"{}\" appears twice in this results file", path, strategy));
      }
      sc[strategy] = e;
    }
  }
  return out;
}

absl::Status ValidateBaseline(const json& b, const std::string& name) {
  if (!b.is_object() || !b.contains("scenarios") || !b.at("scenarios").is_object()) {
    return absl::InvalidArgumentError(
        fmt::format("{}: not a credsim baseline (expected an object with \"scenarios\")", name));
  }
  for (const auto& [sc, strategies] : b.at("scenarios").items()) {
    if (!strategies.is_object()) {
      return absl::InvalidArgumentError(fmt::format("{}: scenarios.{}: expected an object", name, sc));
    }
    for (const auto& [st, e] : strategies.items()) {
      if (auto s = CheckEntry(e, fmt::format("{}: scenarios.{}.{}", name, sc, st)); !s.ok()) return s;
    }
  }
  if (b.contains("fingerprints")) {
    const json& fs = b.at("fingerprints");
    if (!fs.is_object()) {
      return absl::InvalidArgumentError(fmt::format("{}: fingerprints: expected an object", name));
    }
    for (const auto& [sc, f] : fs.items()) {
      if (auto s = CheckFingerprint(f, fmt::format("{}: fingerprints.{}", name, sc)); !s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

int StatisticalVerdict(double lo, double hi, double now_mean) {
  if (now_mean > hi) return 1;
  if (now_mean < lo) return -1;
  return 0;
}

double StatisticalFalseAlarmRate(int n) {
  const int dof = n - 1;
  return 1 - StudentTCdf(StudentT975(dof) / std::sqrt(2.0), dof);
}

absl::StatusOr<CheckReport> Compare(const json& baseline, const json& current, const CheckOptions& options) {
  using Kind = CheckFinding::Kind;
  CheckReport report;
  const json& bs = baseline.at("scenarios");
  const json& cs = current.at("scenarios");
  // Scenarios whose fingerprint changed: reported once, not compared.
  std::set<std::string> changed;
  for (const auto& [sc, strategies] : cs.items()) {
    const json* bf = FingerprintOf(baseline, sc);
    const json* cf = FingerprintOf(current, sc);
    if (bf == nullptr || cf == nullptr || !bs.contains(sc)) continue;
    std::vector<std::string> diffs;
    if (bf->at("scenario_sha256") != cf->at("scenario_sha256")) {
      diffs.push_back(fmt::format("scenario_sha256 {} \u2192 {}",
                                  Abbreviated(bf->at("scenario_sha256").get<std::string>()),
                                  Abbreviated(cf->at("scenario_sha256").get<std::string>())));
    }
    std::vector<std::string> notes;
    for (const char* k : {"seed", "replications"}) {
      if (bf->at(k) != cf->at(k)) {
        const std::string d =
            fmt::format("{} {} \u2192 {}", k, bf->at(k).get<uint64_t>(), cf->at(k).get<uint64_t>());
        // The statistical rule compares runs with different seeds (docs/ci.md).
        (options.mode == CheckMode::kStatistical && std::string(k) == "seed" ? notes : diffs).push_back(d);
      }
    }
    if (bf->at("credsim_version") != cf->at("credsim_version")) {
      notes.push_back(fmt::format("credsim_version {} \u2192 {}", bf->at("credsim_version").get<std::string>(),
                                  cf->at("credsim_version").get<std::string>()));
    }
    auto joined = [](const std::vector<std::string>& parts) {
      std::string out;
      for (size_t i = 0; i < parts.size(); ++i) out += (i ? "; " : "") + parts[i];
      return out;
    };
    if (!diffs.empty()) {
      CheckFinding f{Kind::kScenarioChanged, sc, "", "", 0, 0, ""};
      f.detail = joined(diffs);
      f.allowed = options.allow_changed;
      report.findings.push_back(std::move(f));
      changed.insert(sc);
    } else if (!notes.empty()) {
      CheckFinding f{Kind::kFingerprintNotice, sc, "", "", 0, 0, ""};
      f.detail = joined(notes);
      report.findings.push_back(std::move(f));
    }
  }
  for (const auto& [sc, strategies] : cs.items()) {
    if (changed.count(sc)) continue;
    for (const auto& [st, now] : strategies.items()) {
      if (!bs.contains(sc) || !bs.at(sc).contains(st)) {
        report.findings.push_back({Kind::kMissingFromBaseline, sc, st, "", 0, 0, ""});
        continue;
      }
      const json& base = bs.at(sc).at(st);
      if (options.mode == CheckMode::kStatistical && !base.contains("stats")) {
        return absl::InvalidArgumentError(fmt::format(
            "scenarios.{}.{}: no intervals in the baseline (it was recorded from a single run); "
            "--mode statistical needs a baseline recorded with --update from replicated results "
            "(credsim run --replications N), or use --mode exact",
            sc, st));
      }
      const size_t now_n = EntryN(now);
      if (now_n > 1) ++report.replicated;
      if (options.mode == CheckMode::kStatistical) {
        // The false-alarm rate (docs/ci.md) is for a new mean of as many replications as the
        // baseline's: a single run against a 10-replication interval alarms about 26 % of the time.
        const json& stats = base.at("stats");
        for (auto it = stats.begin(); it != stats.end(); ++it) {
          if (it->is_object() && it->contains("n") && (*it)["n"].is_number_unsigned() &&
              (*it)["n"].get<size_t>() != now_n) {
            return absl::InvalidArgumentError(fmt::format(
                "scenarios.{}.{}: the baseline's intervals come from {} replications, the results "
                "from {}; --mode statistical compares equal numbers of replications (run with "
                "--replications {}), or use --mode exact",
                sc, st, (*it)["n"].get<size_t>(), now_n, (*it)["n"].get<size_t>()));
          }
        }
      }
      const auto base_metrics = Metrics(base);
      const auto now_metrics = Metrics(now);
      for (size_t i = 0; i < base_metrics.size(); ++i) {
        const std::string& metric = base_metrics[i].first;
        const double b = base_metrics[i].second, n = now_metrics[i].second;
        ++report.compared;
        CheckFinding f{Kind::kRegression, sc, st, metric, b, n, ""};
        f.now_n = now_n;
        int verdict = 0;
        if (options.mode == CheckMode::kStatistical) {
          const json& s = base.at("stats").at(metric);
          f.statistical = true;
          f.baseline = s.at("mean").get<double>();
          f.baseline_lo = s.at("ci95")[0].get<double>();
          f.baseline_hi = s.at("ci95")[1].get<double>();
          f.baseline_n = s.at("n").get<size_t>();
          verdict = StatisticalVerdict(f.baseline_lo, f.baseline_hi, n);
        } else if (n > b * (1 + options.tolerance)) {
          verdict = 1;
        } else if (n < b * (1 - options.tolerance)) {
          verdict = -1;
        }
        if (verdict == 0) continue;
        f.kind = verdict > 0 ? Kind::kRegression : Kind::kImprovement;
        report.findings.push_back(std::move(f));
      }
    }
  }
  // Baseline entries of scenarios that were run but are missing a strategy, and scenarios
  // of the baseline that are missing altogether.
  for (const auto& [sc, strategies] : bs.items()) {
    if (changed.count(sc)) continue;
    for (const auto& [st, e] : strategies.items()) {
      if (!cs.contains(sc) || !cs.at(sc).contains(st)) {
        report.findings.push_back({Kind::kMissingFromResults, sc, st, "", 0, 0, ""});
      }
    }
  }
  return report;
}

CheckReport Compare(const json& baseline, const json& current, double tolerance) {
  CheckOptions options;
  options.tolerance = tolerance;
  absl::StatusOr<CheckReport> r = Compare(baseline, current, options);
  if (!r.ok()) std::abort();  // exact mode has no error path
  return std::move(*r);
}

std::string SummaryLine(const CheckReport& report, const CheckOptions& options, bool compared_baseline,
                        size_t gates) {
  std::vector<std::string> parts;
  if (compared_baseline) {
    std::string p = fmt::format("{} metrics compared", report.compared);
    if (options.mode == CheckMode::kStatistical) {
      p += ", statistical (the new mean against the baseline's ci95)";
    } else {
      if (report.replicated > 0) {
        p += fmt::format(" (the means of replicated runs for {} strateg{})", report.replicated,
                         report.replicated == 1 ? "y" : "ies");
      }
      p += fmt::format(", tolerance {:g}%", options.tolerance * 100);
    }
    parts.push_back(std::move(p));
  }
  if (gates > 0) {
    parts.push_back(fmt::format("{} value{} checked against {} --require gate{}", report.gate_values,
                                report.gate_values == 1 ? "" : "s", gates, gates == 1 ? "" : "s"));
  }
  std::string out = "credsim check: ";
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? "; " : "") + parts[i];
  out += report.failed() ? fmt::format(": {} failing", report.failing()) : std::string(": ok");
  return out;
}

json UpdateBaseline(const json& baseline, const json& current) {
  json out = baseline.is_object() ? baseline : json::object();
  out["credsim_version"] = Version();
  if (!out.contains("scenarios") || !out["scenarios"].is_object()) out["scenarios"] = json::object();
  if (out.contains("fingerprints") && !out["fingerprints"].is_object()) out.erase("fingerprints");
  for (const auto& [sc, strategies] : current.at("scenarios").items()) {
    out["scenarios"][sc] = strategies;
    if (const json* f = FingerprintOf(current, sc)) {
      out["fingerprints"][sc] = *f;
    } else if (out.contains("fingerprints")) {
      out["fingerprints"].erase(sc);
    }
  }
  if (out.contains("fingerprints") && out["fingerprints"].empty()) out.erase("fingerprints");
  return out;
}

// ---------------------------------------------------------------------------------------------
// Gates

bool Gate::Holds(double v) const {
  switch (op) {
    case Op::kLe: return v <= value;
    case Op::kLt: return v < value;
    case Op::kGe: return v >= value;
    case Op::kGt: return v > value;
    case Op::kEq: return v == value;
  }
  return false;
}

std::string Gate::OpText() const {
  switch (op) {
    case Op::kLe: return "<=";
    case Op::kLt: return "<";
    case Op::kGe: return ">=";
    case Op::kGt: return ">";
    case Op::kEq: return "==";
  }
  return "";
}

absl::StatusOr<Gate> ParseGate(const std::string& text) {
  auto bad = [&](const std::string& why) {
    return absl::InvalidArgumentError(fmt::format(
        "--require '{}': {}; expected [STRATEGY:]KEY OP NUMBER with OP one of <= < >= > == and KEY a "
        "dotted results key, e.g. 'error_ratio<=0.001' or 'kv:errors.503<=10'",
        text, why));
  };
  auto is_op_char = [](char c) { return c == '<' || c == '>' || c == '='; };
  size_t end = text.size();
  while (end > 0 && !is_op_char(text[end - 1])) --end;
  if (end == 0) return bad("no operator");
  size_t begin = end;
  while (begin > 0 && is_op_char(text[begin - 1])) --begin;
  const std::string op = text.substr(begin, end - begin);
  Gate g;
  g.text = text;
  if (op == "<=") g.op = Gate::Op::kLe;
  else if (op == "<") g.op = Gate::Op::kLt;
  else if (op == ">=") g.op = Gate::Op::kGe;
  else if (op == ">") g.op = Gate::Op::kGt;
  else if (op == "==") g.op = Gate::Op::kEq;
  else return bad(fmt::format("\"{}\" is not an operator", op));
  g.lhs = Trim(text.substr(0, begin));
  if (g.lhs.empty()) return bad("no key before the operator");
  if (g.lhs.back() == ':' || g.lhs.front() == ':') return bad("empty strategy or key around ':'");
  const std::string number = Trim(text.substr(end));
  bool chars_ok = !number.empty();
  for (char c : number) {
    chars_ok = chars_ok && ((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-');
  }
  char* stop = nullptr;
  const double v = chars_ok ? std::strtod(number.c_str(), &stop) : 0;
  if (!chars_ok || *stop != '\0' || !std::isfinite(v)) {
    return bad(fmt::format("\"{}\" is not a finite number", number));
  }
  g.value = v;
  return g;
}

std::vector<std::pair<std::string, double>> FlattenNumeric(const json& entry) {
  std::vector<std::pair<std::string, double>> out;
  if (!entry.is_object()) return out;
  for (const auto& [k, child] : entry.items()) {
    if (k == "stats" || k == "replications" || k == "vs_baseline") continue;
    if (child.is_number()) {
      out.emplace_back(k, child.get<double>());
    } else if (child.is_object()) {
      Flatten(child, k, out);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> CloseKeys(const std::string& key, const std::vector<std::string>& known) {
  std::vector<std::pair<size_t, std::string>> scored;
  const size_t limit = std::max<size_t>(2, key.size() / 3);
  for (const std::string& k : known) {
    const size_t d = Levenshtein(key, k);
    const bool prefix = k.rfind(key, 0) == 0 || key.rfind(k, 0) == 0;
    const bool suffix = k.size() > key.size() && k.compare(k.size() - key.size() - 1, std::string::npos, "." + key) == 0;
    if (d <= limit || prefix || suffix) scored.emplace_back(d, k);
  }
  std::sort(scored.begin(), scored.end());
  std::vector<std::string> out;
  for (size_t i = 0; i < scored.size() && out.size() < 5; ++i) {
    if (out.empty() || out.back() != scored[i].second) out.push_back(scored[i].second);
  }
  return out;
}

namespace {

// One strategy entry of a results file, with its gate-visible values.
struct GateEntry {
  std::string scenario, strategy;
  std::map<std::string, double> values;  // single values
  std::map<std::string, std::pair<double, size_t>> means;  // stats with n > 1: (mean, n)
  bool Has(const std::string& key) const { return values.count(key) || means.count(key); }
};

std::vector<GateEntry> GateEntries(const std::vector<json>& results) {
  std::vector<GateEntry> out;
  for (const json& r : results) {
    if (!r.is_object() || !r.contains("strategies") || !r.at("strategies").is_array()) continue;
    const std::string scenario = r.value("scenario", std::string());
    for (const json& s : r.at("strategies")) {
      if (!s.is_object() || !s.contains("name") || !s.at("name").is_string()) continue;
      GateEntry e;
      e.scenario = scenario;
      e.strategy = s.at("name").get<std::string>();
      for (auto& [k, v] : FlattenNumeric(s)) e.values.emplace(k, v);
      if (s.contains("stats") && s.at("stats").is_object()) {
        for (const auto& [k, st] : s.at("stats").items()) {
          if (st.is_object() && st.contains("n") && IsCount(st.at("n"), 2) && st.contains("mean") && st.at("mean").is_number()) {
            e.means[k] = {st.at("mean").get<double>(), st.at("n").get<size_t>()};
          }
        }
      }
      out.push_back(std::move(e));
    }
  }
  return out;
}

std::string KeyList(const std::vector<std::string>& keys) {
  std::string out;
  for (size_t i = 0; i < keys.size(); ++i) out += (i ? ", " : "") + keys[i];
  return out;
}

}  // namespace

absl::Status EvaluateGates(const std::vector<Gate>& gates, const std::vector<json>& results, CheckReport& report) {
  const std::vector<GateEntry> entries = GateEntries(results);
  std::set<std::string> all_keys, strategies;
  for (const GateEntry& e : entries) {
    strategies.insert(e.strategy);
    for (const auto& [k, v] : e.values) all_keys.insert(k);
    for (const auto& [k, v] : e.means) all_keys.insert(k);
  }
  std::vector<CheckFinding> found;
  size_t checked = 0;
  for (const Gate& g : gates) {
    // Resolve "[STRATEGY:]KEY": the whole text when it is a key, else split at the first ':'
    // whose prefix names a strategy of the results.
    std::string strategy, key = g.lhs;
    if (!all_keys.count(g.lhs) && g.lhs.find(':') != std::string::npos) {
      bool resolved = false;
      for (size_t p = g.lhs.find(':'); p != std::string::npos; p = g.lhs.find(':', p + 1)) {
        const std::string prefix = Trim(g.lhs.substr(0, p));
        if (strategies.count(prefix)) {
          strategy = prefix;
          key = Trim(g.lhs.substr(p + 1));
          resolved = true;
          break;
        }
      }
      if (!resolved) {
        const std::string prefix = Trim(g.lhs.substr(0, g.lhs.find(':')));
        return absl::InvalidArgumentError(fmt::format(
            "--require '{}': no strategy named \"{}\" in the results (strategies: {})", g.text, prefix,
            KeyList(std::vector<std::string>(strategies.begin(), strategies.end()))));
      }
    }
    std::set<std::string> keys_here;  // keys of the strategies this gate applies to
    bool any = false;
    for (const GateEntry& e : entries) {
      if (!strategy.empty() && e.strategy != strategy) continue;
      for (const auto& [k, v] : e.values) keys_here.insert(k);
      for (const auto& [k, v] : e.means) keys_here.insert(k);
      any = any || e.Has(key);
    }
    if (!any) {
      const std::vector<std::string> close =
          CloseKeys(key, std::vector<std::string>(keys_here.begin(), keys_here.end()));
      std::string hint;
      if (!close.empty()) {
        hint = "; close keys: " + KeyList(close);
      } else {
        std::vector<std::string> some(keys_here.begin(), keys_here.end());
        if (some.size() > 5) some.resize(5);
        hint = "; no close key (keys include: " + KeyList(some) + ")";
      }
      return absl::InvalidArgumentError(fmt::format(
          "--require '{}': no {} in the results has the key \"{}\"{}", g.text,
          strategy.empty() ? std::string("strategy") : fmt::format("entry of strategy \"{}\"", strategy), key,
          hint));
    }
    const std::string shown = fmt::format("{}{} {} {}", strategy.empty() ? "" : strategy + ":", key, g.OpText(),
                                          Fmt(g.value));
    for (const GateEntry& e : entries) {
      if ((!strategy.empty() && e.strategy != strategy) || !e.Has(key)) continue;
      double v;
      size_t n = 1;
      if (auto it = e.means.find(key); it != e.means.end()) {
        v = it->second.first;
        n = it->second.second;
      } else {
        v = e.values.at(key);
      }
      ++checked;
      if (g.Holds(v)) continue;
      CheckFinding f{CheckFinding::Kind::kGateFailed, e.scenario, e.strategy, key, 0, v, ""};
      f.now_n = n;
      f.detail = shown;
      found.push_back(std::move(f));
    }
  }
  report.gate_values += checked;
  for (CheckFinding& f : found) report.findings.push_back(std::move(f));
  return absl::OkStatus();
}

}  // namespace credsim
