#include "cli/sweep_merge.h"

#include <algorithm>
#include <map>
#include <optional>

#include "cli/json_file.h"
#include "cli/replicated_results.h"
#include "cli/results.h"
#include "cli/stats.h"
#include "fmt/format.h"

namespace credsim {
namespace {

constexpr size_t kMaxRunFileBytes = size_t{64} << 20;

// The metrics the Markdown table shows (all metrics are in sweep.json and sweep.csv).
constexpr const char* kKeyMetrics[] = {"sts_calls",      "error_ratio",
                                       "cost_usd.total", "exposure.credential_seconds_at_rest",
                                       "auth_latency_ms.p99", "sts_calls_peak_per_s"};

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    out += c;
    if (c == '"') out += '"';
  }
  return out + "\"";
}

// An axis value as a cell: strings without JSON quotes, everything else as JSON.
std::string ValueText(const nlohmann::json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

std::string Num(const nlohmann::json& v) {
  if (!v.is_number()) return "";
  return fmt::format("{:.10g}", v.get<double>());
}

std::string Short(double v) {
  if (v == 0) return "0";
  if (std::fabs(v) >= 1000) return fmt::format("{:.0f}", v);
  return fmt::format("{:.3g}", v);
}

// "mean ± hw" of a summary (just the mean for n = 1).
std::string MeanPm(const nlohmann::json& st) {
  if (!st.is_object() || !st["mean"].is_number()) return "n/a";
  std::string out = Short(st["mean"].get<double>());
  if (st["half_width"].is_number()) out += " ± " + Short(st["half_width"].get<double>());
  return out;
}

struct StrategyRuns {
  std::string name, kind;
  std::vector<nlohmann::json> values;  // per replication present, replication order
  std::vector<uint64_t> seeds;
};

// Paired differences a - b of `key` over the seeds both have.
SampleSummary Paired(const StrategyRuns& a, const StrategyRuns& b, const std::string& key) {
  std::vector<double> d;
  for (size_t i = 0; i < a.seeds.size(); ++i) {
    for (size_t j = 0; j < b.seeds.size(); ++j) {
      if (a.seeds[i] != b.seeds[j]) continue;
      const auto x = a.values[i].find(key), y = b.values[j].find(key);
      if (x != a.values[i].end() && y != b.values[j].end() && x->is_number() && y->is_number()) {
        d.push_back(x->get<double>() - y->get<double>());
      }
    }
  }
  return Summarize(d);
}

double MeanOf(const StrategyRuns& s, const std::string& key) {
  std::vector<double> xs;
  for (const nlohmann::json& v : s.values) {
    if (auto it = v.find(key); it != v.end() && it->is_number()) xs.push_back(it->get<double>());
  }
  return Summarize(xs).mean;
}

// Not distinguishable from 0: the paired interval contains 0. With one replication there is
// no interval: only an exact tie counts as equal (used for the error-ratio tie set).
bool SameAs(const SampleSummary& d) { return d.half_width ? d.IntervalContains(0) : d.mean == 0; }

// "Cheapest at equal error ratio" of a point, from paired differences.
struct Cheapest {
  size_t strategy = 0;
  std::vector<size_t> tied;  // error ratio not distinguishable from the lowest, cheapest first
  std::optional<SampleSummary> cost_gap;  // runner-up minus cheapest, paired
};

std::optional<Cheapest> FindCheapest(const std::vector<StrategyRuns>& ss) {
  if (ss.empty()) return std::nullopt;
  size_t best = 0;
  for (size_t i = 1; i < ss.size(); ++i) {
    if (MeanOf(ss[i], "error_ratio") < MeanOf(ss[best], "error_ratio")) best = i;
  }
  Cheapest c;
  for (size_t i = 0; i < ss.size(); ++i) {
    if (i == best || SameAs(Paired(ss[i], ss[best], "error_ratio"))) c.tied.push_back(i);
  }
  std::stable_sort(c.tied.begin(), c.tied.end(), [&](size_t a, size_t b) {
    return MeanOf(ss[a], "cost_usd.total") < MeanOf(ss[b], "cost_usd.total");
  });
  c.strategy = c.tied[0];
  if (c.tied.size() > 1) c.cost_gap = Paired(ss[c.tied[1]], ss[c.tied[0]], "cost_usd.total");
  return c;
}

std::string CheapestText(const std::vector<StrategyRuns>& ss, const std::optional<Cheapest>& c) {
  if (!c) return "n/a";
  std::string out = "`" + ss[c->strategy].name + "`";
  if (!c->cost_gap) return out + " (the only one at the lowest error ratio)";
  const std::string& next = ss[c->tied[1]].name;
  if (!c->cost_gap->half_width) {
    return out + fmt::format(" (lower mean cost than `{}`; one replication: no interval, n/a)", next);
  }
  if (SameAs(*c->cost_gap)) return out + fmt::format(" (not distinguishable from `{}` in cost)", next);
  return out + fmt::format(" (cheaper than `{}` by ${}{})", next, Short(c->cost_gap->mean),
                           c->cost_gap->half_width ? " ± " + Short(*c->cost_gap->half_width) : std::string());
}

nlohmann::ordered_json CheapestJson(const std::vector<StrategyRuns>& ss, const std::optional<Cheapest>& c) {
  if (!c) return nullptr;
  nlohmann::ordered_json j;
  j["strategy"] = ss[c->strategy].name;
  j["equal_error_ratio"] = nlohmann::ordered_json::array();
  for (size_t i : c->tied) j["equal_error_ratio"].push_back(ss[i].name);
  j["runner_up"] = c->cost_gap ? nlohmann::ordered_json(ss[c->tied[1]].name) : nlohmann::ordered_json(nullptr);
  j["cost_difference"] = c->cost_gap ? nlohmann::ordered_json(SummaryJson(*c->cost_gap)) : nlohmann::ordered_json(nullptr);
  // null without a runner-up, and with one replication (no interval).
  j["distinguishable"] = c->cost_gap && c->cost_gap->half_width
                             ? nlohmann::ordered_json(!SameAs(*c->cost_gap))
                             : nlohmann::ordered_json(nullptr);
  return j;
}

}  // namespace

std::filesystem::path RunFilePath(const std::filesystem::path& out, const SweepRun& run) {
  return out / "runs" / (run.key + ".json");
}

std::string RunFileContent(const SweepRun& run, const std::string& scenario,
                           const std::vector<nlohmann::json>& entries) {
  nlohmann::ordered_json j;
  j["key"] = run.key;
  j["seed"] = run.seed;
  j["scenario"] = scenario;
  j["credsim_version"] = Version();
  j["strategies"] = nlohmann::ordered_json::array();
  for (const nlohmann::json& e : entries) {
    nlohmann::ordered_json s;
    s["name"] = e.value("name", "");
    s["kind"] = e.value("kind", "");
    s["values"] = ScalarValues(e);
    j["strategies"].push_back(std::move(s));
  }
  return j.dump(1) + "\n";
}

namespace {

std::optional<nlohmann::json> ReadRun(const std::filesystem::path& out, const SweepRun& run) {
  std::error_code ec;
  const std::filesystem::path p = RunFilePath(out, run);
  if (!std::filesystem::exists(p, ec)) return std::nullopt;
  absl::StatusOr<nlohmann::json> j = ReadJsonFile(p.string(), kMaxRunFileBytes);
  // Anything but a well-formed file for this key counts as missing (the run is redone).
  if (!j.ok() || !j->is_object() || !j->contains("key") || !(*j)["key"].is_string() ||
      (*j)["key"].get<std::string>() != run.key || !j->contains("strategies") ||
      !(*j)["strategies"].is_array()) {
    return std::nullopt;
  }
  for (const nlohmann::json& s : (*j)["strategies"]) {
    if (!s.is_object() || !s.contains("name") || !s["name"].is_string() || !s.contains("kind") ||
        !s["kind"].is_string() || !s.contains("values") || !s["values"].is_object()) {
      return std::nullopt;
    }
    for (const auto& [k, v] : s["values"].items()) {
      if (!v.is_number()) return std::nullopt;
    }
  }
  return *std::move(j);
}

}  // namespace

bool RunIsDone(const std::filesystem::path& out, const SweepRun& run) {
  return ReadRun(out, run).has_value();
}

std::string RangesText(const std::vector<size_t>& v) {
  std::string out;
  for (size_t i = 0; i < v.size();) {
    size_t j = i;
    while (j + 1 < v.size() && v[j + 1] == v[j] + 1) ++j;
    out += (out.empty() ? "" : ", ") + (j == i ? std::to_string(v[i]) : fmt::format("{}-{}", v[i], v[j]));
    i = j + 1;
  }
  return out;
}

absl::StatusOr<SweepMerge> MergeSweep(const Sweep& sweep, const std::vector<SweepRun>& runs,
                                      const std::filesystem::path& out) {
  SweepMerge m;
  const size_t points = sweep.points();
  // point -> strategies (in the order of the first run present).
  std::vector<std::vector<StrategyRuns>> by_point(points);
  std::vector<size_t> present(points, 0);
  for (const SweepRun& run : runs) {
    std::optional<nlohmann::json> j = ReadRun(out, run);
    if (!j) {
      m.missing.push_back(run.index);
      continue;
    }
    ++present[run.point];
    std::vector<StrategyRuns>& ss = by_point[run.point];
    for (const nlohmann::json& s : (*j)["strategies"]) {
      const std::string name = s["name"].get<std::string>();
      auto it = std::find_if(ss.begin(), ss.end(), [&](const StrategyRuns& x) { return x.name == name; });
      if (it == ss.end()) {
        ss.push_back(StrategyRuns{name, s["kind"].get<std::string>(), {}, {}});
        it = ss.end() - 1;
      }
      it->values.push_back(s["values"]);
      it->seeds.push_back(run.seed);
    }
  }

  nlohmann::ordered_json j;
  j["sweep"] = sweep.name;
  j["sweep_file"] = sweep.path;
  j["scenario_file"] = sweep.scenario_path;
  j["credsim_version"] = Version();
  j["replications"] = sweep.replications;
  j["seed"] = sweep.seed;
  j["axes"] = nlohmann::ordered_json::array();
  for (const SweepAxis& a : sweep.axes) {
    nlohmann::ordered_json ax;
    ax["path"] = a.path;
    ax["values"] = a.values;
    j["axes"].push_back(std::move(ax));
  }
  std::map<std::string, bool> metric_set;
  std::vector<std::vector<nlohmann::json>> stats(points);
  for (size_t p = 0; p < points; ++p) {
    for (const StrategyRuns& s : by_point[p]) {
      stats[p].push_back(StatsOf(s.values));
      for (auto it = stats[p].back().begin(); it != stats[p].back().end(); ++it) metric_set[it.key()] = true;
    }
  }
  j["metrics"] = nlohmann::ordered_json::array();
  for (const auto& [k, unused] : metric_set) j["metrics"].push_back(k);
  j["points"] = nlohmann::ordered_json::array();

  // CSV header.
  m.csv = "point";
  for (const SweepAxis& a : sweep.axes) m.csv += "," + CsvField(a.path);
  m.csv += ",strategy,metric,n,mean,sd,ci95_low,ci95_high\n";

  // Markdown.
  std::string md = fmt::format("# credsim sweep: {}\n\n", sweep.name);
  md += fmt::format("Scenario `{}`; {} points x {} replications = {} runs (seeds {} to {}, the "
                    "same at every point and for every strategy); credsim {}.\n\n",
                    sweep.scenario_path, points, sweep.replications, runs.size(), sweep.seed,
                    sweep.seed + sweep.replications - 1, Version());
  md += "| axis | values |\n|---|---|\n";
  for (const SweepAxis& a : sweep.axes) {
    std::string vs;
    for (const nlohmann::json& v : a.values) vs += (vs.empty() ? "" : ", ") + ValueText(v);
    md += fmt::format("| `{}` | {} |\n", a.path, vs);
  }
  if (!m.missing.empty()) {
    md += fmt::format("\n> **Incomplete:** {} of {} runs are missing (run indices {}); the "
                      "statistics below use the replications present.\n",
                      m.missing.size(), runs.size(), RangesText(m.missing));
  }
  std::string cheapest =
      "\n## Cheapest at equal error ratio\n\nPer point: among the strategies whose error ratio "
      "is not distinguishable from the lowest (paired-t 95 % interval of the difference "
      "contains 0; every strategy ran on the same seeds), the one with the lowest mean cost.\n\n| point |";
  std::string table = "\n## Key metrics (mean ± 95 % half-width)\n\n| point |";
  for (const SweepAxis& a : sweep.axes) {
    cheapest += fmt::format(" `{}` |", a.path);
    table += fmt::format(" `{}` |", a.path);
  }
  cheapest += " runs | cheapest at equal error ratio |\n|---:|";
  table += " strategy |";
  for (const char* k : kKeyMetrics) table += fmt::format(" {} |", k);
  table += "\n|---:|";
  for (size_t a = 0; a < sweep.axes.size(); ++a) {
    cheapest += "---|";
    table += "---|";
  }
  cheapest += "---:|---|\n";
  table += "---|";
  for (size_t k = 0; k < std::size(kKeyMetrics); ++k) table += "---:|";
  table += "\n";

  for (size_t p = 0; p < points; ++p) {
    const std::vector<nlohmann::json> values = sweep.PointValues(p);
    nlohmann::ordered_json pj;
    pj["point"] = p;
    pj["values"] = nlohmann::ordered_json::object();
    std::string axis_cells, axis_csv;
    for (size_t a = 0; a < sweep.axes.size(); ++a) {
      pj["values"][sweep.axes[a].path] = values[a];
      axis_cells += " " + ValueText(values[a]) + " |";
      axis_csv += "," + CsvField(ValueText(values[a]));
    }
    pj["runs"] = present[p];
    pj["strategies"] = nlohmann::ordered_json::array();
    for (size_t i = 0; i < by_point[p].size(); ++i) {
      const StrategyRuns& s = by_point[p][i];
      nlohmann::ordered_json sj;
      sj["name"] = s.name;
      sj["kind"] = s.kind;
      sj["stats"] = stats[p][i];
      pj["strategies"].push_back(std::move(sj));
      const nlohmann::json& st = stats[p][i];
      for (auto it = st.begin(); it != st.end(); ++it) {
        const nlohmann::json& v = *it;
        m.csv += fmt::format("{}{},{},{},{},{},{},{},{}\n", p, axis_csv, CsvField(s.name),
                             CsvField(it.key()), v["n"].dump(), Num(v["mean"]), Num(v["sd"]),
                             v["ci95"].is_array() ? Num(v["ci95"][0]) : "",
                             v["ci95"].is_array() ? Num(v["ci95"][1]) : "");
      }
      table += fmt::format("| {} |{} `{}` |", p, axis_cells, s.name);
      for (const char* k : kKeyMetrics) table += " " + (st.contains(k) ? MeanPm(st[k]) : "n/a") + " |";
      table += "\n";
    }
    const std::optional<Cheapest> best = FindCheapest(by_point[p]);
    pj["cheapest_at_equal_error_ratio"] = CheapestJson(by_point[p], best);
    cheapest += fmt::format("| {} |{} {} | {} |\n", p, axis_cells, present[p],
                            present[p] ? CheapestText(by_point[p], best) : "no runs yet");
    j["points"].push_back(std::move(pj));
  }
  j["missing"] = m.missing;
  j["complete"] = m.missing.empty();
  m.json = j.dump(1) + "\n";
  md += cheapest + table;
  md += "\nAll metrics, with n, sd and the interval bounds, are in sweep.csv and sweep.json "
        "(docs/sweeps.md). Percentiles are averaged per replication.\n";
  m.markdown = std::move(md);
  return m;
}

}  // namespace credsim
