#include "cli/check.h"

#include <cmath>
#include <cstdlib>
#include <map>

#include "cli/results.h"
#include "fmt/format.h"

namespace credsim {
namespace {

constexpr const char* kErrorStatuses[] = {"403", "500", "502", "503"};

std::string Fmt(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) return fmt::format("{:.0f}", v);
  return fmt::format("{:.6g}", v);
}

std::string Change(double baseline, double now) {
  if (baseline == 0) return now == 0 ? "0%" : "+inf%";
  return fmt::format("{:+.2f}%", 100.0 * (now - baseline) / baseline);
}

// Flattens one strategy entry of a baseline into (metric, value) pairs.
std::vector<std::pair<std::string, double>> Metrics(const nlohmann::json& e) {
  std::vector<std::pair<std::string, double>> out;
  out.emplace_back("sts_calls", e.at("sts_calls").get<double>());
  out.emplace_back("sts_throttled", e.at("sts_throttled").get<double>());
  for (const char* s : kErrorStatuses) {
    out.emplace_back(fmt::format("errors.{}", s), e.at("errors").at(s).get<double>());
  }
  out.emplace_back("auth_p99_ms", e.at("auth_p99_ms").get<double>());
  return out;
}

absl::Status CheckEntry(const nlohmann::json& e, const std::string& path) {
  auto number = [&](const nlohmann::json& v, const std::string& p) -> absl::Status {
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
  return absl::OkStatus();
}

}  // namespace

std::string CheckFinding::Line() const {
  switch (kind) {
    case Kind::kRegression:
      return fmt::format("REGRESSION {} / {}: {} baseline {} now {} ({})", scenario, strategy,
                         metric, Fmt(baseline), Fmt(now), Change(baseline, now));
    case Kind::kImprovement:
      return fmt::format("improved   {} / {}: {} baseline {} now {} ({})", scenario, strategy,
                         metric, Fmt(baseline), Fmt(now), Change(baseline, now));
    case Kind::kMissingFromResults:
      return fmt::format(
          "MISSING    {} / {}: in the baseline but not in the results (run it, or remove it "
          "with --update)",
          scenario, strategy);
    case Kind::kMissingFromBaseline:
      return fmt::format("new        {} / {}: not in the baseline (add it with --update)",
                         scenario, strategy);
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
  const bool error = kind == Kind::kRegression || kind == Kind::kMissingFromResults;
  std::string props;
  if (!file.empty()) props += "file=" + EscapeWorkflowProperty(file) + ",";
  props += std::string("title=credsim ") + (error ? "regression" : "change");
  return fmt::format("::{} {}::{}", error ? "error" : "notice", props, EscapeWorkflowData(Line()));
}

bool CheckReport::failed() const {
  for (const auto& f : findings) {
    if (f.kind == CheckFinding::Kind::kRegression ||
        f.kind == CheckFinding::Kind::kMissingFromResults) {
      return true;
    }
  }
  return false;
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

absl::StatusOr<nlohmann::json> BaselineFromResults(const std::vector<nlohmann::json>& results,
                                                   const std::vector<std::string>& names) {
  nlohmann::json out;
  out["credsim_version"] = Version();
  out["scenarios"] = nlohmann::json::object();
  std::map<std::string, std::string> seen;  // scenario → file it came from
  for (size_t i = 0; i < results.size(); ++i) {
    const nlohmann::json& r = results[i];
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
    nlohmann::json& sc = out["scenarios"][scenario];
    sc = nlohmann::json::object();
    const nlohmann::json& list = r.at("strategies");
    for (size_t k = 0; k < list.size(); ++k) {
      const nlohmann::json& s = list[k];
      const std::string path = fmt::format("{}: strategies[{}]", name, k);
      if (!s.is_object() || !s.contains("name") || !s.at("name").is_string()) {
        return absl::InvalidArgumentError(path + ".name: missing");
      }
      if (!s.contains("auth_latency_ms") || !s.at("auth_latency_ms").is_object() ||
          !s.at("auth_latency_ms").contains("p99")) {
        return absl::InvalidArgumentError(path + ".auth_latency_ms.p99: missing");
      }
      nlohmann::json e;
      e["sts_calls"] = s.value("sts_calls", nlohmann::json());
      e["sts_throttled"] = s.value("sts_throttled", nlohmann::json());
      e["errors"] = s.value("errors", nlohmann::json());
      if (e["errors"].is_object()) e["errors"].erase("total");
      e["auth_p99_ms"] = s.at("auth_latency_ms").at("p99");
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

absl::Status ValidateBaseline(const nlohmann::json& b, const std::string& name) {
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
  return absl::OkStatus();
}

CheckReport Compare(const nlohmann::json& baseline, const nlohmann::json& current, double tolerance) {
  CheckReport report;
  const nlohmann::json& bs = baseline.at("scenarios");
  const nlohmann::json& cs = current.at("scenarios");
  for (const auto& [sc, strategies] : cs.items()) {
    for (const auto& [st, now] : strategies.items()) {
      if (!bs.contains(sc) || !bs.at(sc).contains(st)) {
        report.findings.push_back({CheckFinding::Kind::kMissingFromBaseline, sc, st, "", 0, 0, ""});
        continue;
      }
      const auto base_metrics = Metrics(bs.at(sc).at(st));
      const auto now_metrics = Metrics(now);
      for (size_t i = 0; i < base_metrics.size(); ++i) {
        const double b = base_metrics[i].second, n = now_metrics[i].second;
        ++report.compared;
        if (n > b * (1 + tolerance)) {
          report.findings.push_back({CheckFinding::Kind::kRegression, sc, st, base_metrics[i].first, b, n, ""});
        } else if (n < b * (1 - tolerance)) {
          report.findings.push_back({CheckFinding::Kind::kImprovement, sc, st, base_metrics[i].first, b, n, ""});
        }
      }
    }
  }
  // Baseline entries of scenarios that were run but are missing a strategy, and scenarios
  // of the baseline that are missing altogether.
  for (const auto& [sc, strategies] : bs.items()) {
    for (const auto& [st, e] : strategies.items()) {
      if (!cs.contains(sc) || !cs.at(sc).contains(st)) {
        report.findings.push_back({CheckFinding::Kind::kMissingFromResults, sc, st, "", 0, 0, ""});
      }
    }
  }
  return report;
}

nlohmann::json UpdateBaseline(const nlohmann::json& baseline, const nlohmann::json& current) {
  nlohmann::json out = baseline.is_object() ? baseline : nlohmann::json::object();
  out["credsim_version"] = Version();
  if (!out.contains("scenarios") || !out["scenarios"].is_object()) out["scenarios"] = nlohmann::json::object();
  for (const auto& [sc, strategies] : current.at("scenarios").items()) out["scenarios"][sc] = strategies;
  return out;
}

}  // namespace credsim
