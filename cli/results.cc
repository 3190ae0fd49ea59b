#include "cli/results.h"

#include <cmath>
#include <string_view>

#include "cli/results_breakdown.h"
#include "fmt/format.h"
#include "sim/world/run_signals.h"
#include "strategies/ports/strategy.h"

namespace credsim {
namespace {

// Rounds for stable, readable output (values are deterministic either way).
double Round(double v, int digits = 6) {
  const double f = std::pow(10.0, digits);
  return std::round(v * f) / f;
}

// The value at a signal's key in a strategy entry, created (as null) if absent.
nlohmann::json& Slot(nlohmann::json& entry, std::string_view key) {
  nlohmann::json* node = &entry;
  for (size_t from = 0;;) {
    const size_t dot = key.find('.', from);
    const std::string part(key.substr(from, dot == std::string_view::npos ? dot : dot - from));
    node = &(*node)[part];
    if (dot == std::string_view::npos) return *node;
    from = dot + 1;
  }
}

// The value at a signal's key (null if absent or `j` is not shaped like an entry).
const nlohmann::json& Find(const nlohmann::json& j, std::string_view key) {
  static const nlohmann::json kNull;
  const nlohmann::json* node = &j;
  for (size_t from = 0;;) {
    const size_t dot = key.find('.', from);
    const std::string part(key.substr(from, dot == std::string_view::npos ? dot : dot - from));
    if (!node->is_object() || !node->contains(part)) return kNull;
    node = &node->at(part);
    if (dot == std::string_view::npos) return *node;
    from = dot + 1;
  }
}

// The column name of a series signal in timeseries.csv: the last component of its key.
std::string_view Column(std::string_view key) { return key.substr(key.rfind('.') + 1); }

}  // namespace

nlohmann::json StrategyResult(const StrategySpec& spec, const nlohmann::json& applied_params,
                              const RunMetrics& m, const WorldConfig& world) {
  nlohmann::json r;
  r["name"] = spec.name;
  r["kind"] = spec.kind;
  r["params"] = applied_params;
  // The buckets of the measurement window.
  const Duration interval = world.interval;
  const size_t first = static_cast<size_t>(m.measure_from.since_start() / interval);
  const size_t last = static_cast<size_t>(
      (m.measure_to.since_start() + interval - Duration::Nanos(1)) / interval);
  const SignalInputs in{m, world.pricing};
  for (const RunSignal& signal : RunSignals()) {
    nlohmann::json& out = Slot(r, signal.key);
    switch (signal.kind) {
      case SignalKind::kCounter:
      case SignalKind::kGauge:
      case SignalKind::kDerived: {
        const SignalValue v = signal.scalar(in);
        if (v.integer) {
          out = v.count;
        } else {
          out = Round(v.real, signal.digits);
        }
        break;
      }
      case SignalKind::kHistogram: {
        out = nlohmann::json::array();
        for (const auto& [v, f] : (m.*signal.histogram).Cdf(kCdfPoints)) {
          out.push_back({Round(static_cast<double>(v) * signal.scale, signal.digits), Round(f, 9)});
        }
        break;
      }
      case SignalKind::kSeries: {
        out = nlohmann::json::array();
        for (size_t i = first; i < last; ++i) {
          if (signal.series == nullptr) {
            out.push_back(Round((interval * static_cast<int64_t>(i)).seconds(), signal.digits));
          } else {
            out.push_back((m.*signal.series).at(i));
          }
        }
        break;
      }
    }
  }
  r["windows"] = WindowsResult(m);
  r["top_colos"] = TopColosResult(m, world);
  r["top_roles"] = TopRolesResult(m);
  return r;
}

std::vector<std::string> ScenarioWarnings(const Scenario& scenario) {
  std::vector<std::string> out;
  const WorldConfig& w = scenario.world;
  const Duration life = w.sts.credential_duration;
  if (w.duration < life) {
    out.push_back(fmt::format(
        "The measured window ({}) is shorter than one credential lifetime ({}): each cache "
        "renews a key at most once in it, so STS calls per hour extrapolate a partial renewal "
        "cycle. Measure at least one lifetime for per-hour claims.",
        FormatDuration(w.duration), FormatDuration(life)));
  }
  if (w.initial_state == InitialState::kCold && w.warmup < life &&
      life < w.warmup + w.duration) {
    out.push_back(fmt::format(
        "initial_state is \"cold\": every cache filled at t = 0, so the fleet renews together "
        "about one credential lifetime ({}) after the start, inside the measured window. Its "
        "STS calls are part of these numbers; use \"steady\" to measure a stationary system.",
        FormatDuration(life)));
  }
  for (std::string& w : WindowsWarnings(scenario.world)) out.push_back(std::move(w));
  return out;
}

nlohmann::json ScenarioResult(const Scenario& scenario, std::vector<nlohmann::json> strategies) {
  nlohmann::json j;
  j["credsim_version"] = Version();
  j["scenario"] = scenario.name;
  j["scenario_file"] = scenario.path;
  j["description"] = scenario.description;
  j["claim"] = scenario.claim;
  j["seed"] = scenario.world.seed;
  j["replications"] = scenario.replications;
  nlohmann::json seeds = nlohmann::json::array();
  for (uint64_t r = 0; r < scenario.replications; ++r) seeds.push_back(scenario.world.seed + r);
  j["seeds"] = std::move(seeds);
  j["duration_s"] = Round(scenario.world.duration.seconds(), 3);
  j["warmup_s"] = Round(scenario.world.warmup.seconds(), 3);
  j["timeseries_interval_s"] = Round(scenario.world.interval.seconds(), 3);
  j["initial_state"] = InitialStateName(scenario.world.initial_state);
  j["warnings"] = ScenarioWarnings(scenario);
  j["strategies"] = std::move(strategies);
  return j;
}

namespace {

std::string Count(uint64_t v) {
  std::string s = std::to_string(v);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(i, ",");
  return s;
}

std::string Num(const nlohmann::json& v) {
  if (!v.is_number()) return "n/a";
  const double d = v.get<double>();
  if (d == 0) return "0";
  if (std::fabs(d) >= 100) return fmt::format("{:.0f}", d);
  if (std::fabs(d) >= 1) return fmt::format("{:.3g}", d);
  return fmt::format("{:.3g}", d);
}

std::string CountOf(const nlohmann::json& v) {
  return v.is_number_unsigned() || v.is_number_integer() ? Count(v.get<uint64_t>()) : "n/a";
}

const nlohmann::json& At(const nlohmann::json& j, const char* a, const char* b = nullptr) {
  static const nlohmann::json kNull;
  if (!j.is_object() || !j.contains(a)) return kNull;
  const nlohmann::json& x = j.at(a);
  if (!b) return x;
  if (!x.is_object() || !x.contains(b)) return kNull;
  return x.at(b);
}

}  // namespace

namespace {

// The summary of a metric when the entry was replicated more than once, else null.
const nlohmann::json* ReplicatedStat(const nlohmann::json& s, const std::string& key) {
  const nlohmann::json& stats = At(s, "stats");
  if (!stats.is_object() || !stats.contains(key)) return nullptr;
  const nlohmann::json& st = stats.at(key);
  if (!st.is_object() || !st.contains("n") || !st.at("n").is_number() ||
      st.at("n").get<double>() < 2 || !st.contains("mean") || !st.at("mean").is_number()) {
    return nullptr;
  }
  return &st;
}

enum class CellKind { kCount, kNumber, kPercent2, kPercent3, kCost };

std::string FormatValue(double v, CellKind kind) {
  switch (kind) {
    case CellKind::kCount:
      if (std::fabs(v) >= 100 || v == std::round(v)) {
        return (v < 0 ? "-" : "") + Count(static_cast<uint64_t>(std::llround(std::fabs(v))));
      }
      return fmt::format("{:.3g}", v);
    case CellKind::kNumber: return Num(nlohmann::json(v));
    case CellKind::kPercent2: return fmt::format("{:.2f}%", 100 * v);
    case CellKind::kPercent3: return fmt::format("{:.3f}%", 100 * v);
    case CellKind::kCost: return fmt::format("{:.4f}", v);
  }
  return "n/a";
}

// One table cell: "mean ± half-width" for a replicated entry, else the single value.
std::string Cell(const nlohmann::json& s, const std::string& key, CellKind kind) {
  if (const nlohmann::json* st = ReplicatedStat(s, key)) {
    const double mean = st->at("mean").get<double>();
    static const nlohmann::json kNull;
    const nlohmann::json& hw = st->contains("half_width") ? st->at("half_width") : kNull;
    return FormatValue(mean, kind) + " ± " +
           (hw.is_number() ? FormatValue(hw.get<double>(), kind) : std::string("n/a"));
  }
  const nlohmann::json& v = Find(s, key);
  if (!v.is_number()) return "n/a";
  if (kind == CellKind::kCount) return CountOf(v);
  return FormatValue(v.get<double>(), kind);
}

bool AnyReplicated(const std::vector<nlohmann::json>& results) {
  for (const nlohmann::json& res : results) {
    for (const nlohmann::json& s : At(res, "strategies")) {
      if (ReplicatedStat(s, "requests")) return true;
    }
  }
  return false;
}

}  // namespace

std::string ComparisonMarkdown(const std::vector<nlohmann::json>& results) {
  std::string out;
  const bool many = results.size() > 1;
  out += many ? "| scenario " : "";
  out +=
      "| strategy | requests | STS calls | peak STS/s | throttled | 403 | 500 | 502 | 503 | "
      "auth p50 ms | auth p99 ms | auth p999 ms | L1 hit | warm | cost $ | exposure cred-s | "
      "places |\n";
  out += many ? "|---" : "";
  out += "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  using K = CellKind;
  for (const nlohmann::json& res : results) {
    for (const nlohmann::json& s : At(res, "strategies")) {
      if (many) out += fmt::format("| {} ", At(res, "scenario").is_string() ? At(res, "scenario").get<std::string>() : "?");
      out += fmt::format(
          "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
          At(s, "name").is_string() ? At(s, "name").get<std::string>() : "?",
          Cell(s, "requests", K::kCount), Cell(s, "sts_calls", K::kCount),
          Cell(s, "sts_calls_peak_per_s", K::kCount), Cell(s, "sts_throttled", K::kCount),
          Cell(s, "errors.403", K::kCount), Cell(s, "errors.500", K::kCount),
          Cell(s, "errors.502", K::kCount), Cell(s, "errors.503", K::kCount),
          Cell(s, "auth_latency_ms.p50", K::kNumber), Cell(s, "auth_latency_ms.p99", K::kNumber),
          Cell(s, "auth_latency_ms.p999", K::kNumber), Cell(s, "hit_ratio.l1", K::kPercent2),
          Cell(s, "warm_request_ratio", K::kPercent3), Cell(s, "cost_usd.total", K::kCost),
          Cell(s, "exposure.credential_seconds_at_rest", K::kNumber),
          Cell(s, "exposure.places", K::kCount));
    }
  }
  if (AnyReplicated(results)) {
    out += "\nCells are the mean over replications ± the half-width of its 95 % Student-t "
           "interval; percentiles are averaged per replication.\n";
  }
  return out;
}

std::string PairedMarkdown(const nlohmann::json& results) {
  const nlohmann::json& base = At(results, "baseline_strategy");
  if (!base.is_string()) return "";
  std::string out = fmt::format(
      "Paired differences from `{}` (strategy − baseline, replication by replication: both ran "
      "on the same seeds), mean and 95 % paired-t interval:\n\n"
      "| strategy | metric | difference | 95 % interval | verdict |\n|---|---|---:|---|---|\n",
      base.get<std::string>());
  static constexpr std::pair<const char*, CellKind> kMetrics[] = {
      {"sts_calls", CellKind::kCount},           {"sts_calls_peak_per_s", CellKind::kCount},
      {"errors.total", CellKind::kCount},        {"error_ratio", CellKind::kNumber},
      {"auth_latency_ms.p99", CellKind::kNumber}, {"cost_usd.total", CellKind::kCost},
      {"exposure.credential_seconds_at_rest", CellKind::kNumber}};
  for (const nlohmann::json& s : At(results, "strategies")) {
    const nlohmann::json& vs = At(s, "vs_baseline");
    if (!vs.is_object()) continue;
    for (const auto& [key, kind] : kMetrics) {
      if (!vs.contains(key)) continue;
      const nlohmann::json& d = vs.at(key);
      const nlohmann::json& mean = At(d, "mean_diff");
      const nlohmann::json& ci = At(d, "ci95");
      const CellKind k = kind == CellKind::kCount ? CellKind::kNumber : kind;
      const std::string diff = mean.is_number() ? FormatValue(mean.get<double>(), k) : "n/a";
      std::string interval = "n/a (one replication)", verdict = "n/a (one replication)";
      if (mean.is_number() && ci.is_array() && ci.size() == 2 && ci[0].is_number() && ci[1].is_number()) {
        interval = fmt::format("[{}, {}]", FormatValue(ci[0].get<double>(), k),
                               FormatValue(ci[1].get<double>(), k));
        verdict = At(d, "distinguishable").is_boolean() && At(d, "distinguishable").get<bool>()
                      ? (mean.get<double>() < 0 ? "lower" : "higher")
                      : "not distinguishable";
      }
      out += fmt::format("| {} | {} | {} | {} | {} |\n", At(s, "name").get<std::string>(), key,
                         diff, interval, verdict);
    }
  }
  return out;
}

std::string SummaryMarkdown(const nlohmann::json& results) {
  std::string out = fmt::format("# credsim: {}\n\n", At(results, "scenario").get<std::string>());
  if (const auto& d = At(results, "description"); d.is_string() && !d.get<std::string>().empty()) {
    out += d.get<std::string>() + "\n\n";
  }
  if (const auto& c = At(results, "claim"); c.is_string() && !c.get<std::string>().empty()) {
    out += "**Claim:** " + c.get<std::string>() + "\n\n";
  }
  const nlohmann::json& reps = At(results, "replications");
  const uint64_t n = reps.is_number_unsigned() ? reps.get<uint64_t>() : 1;
  const std::string seeds =
      n > 1 ? fmt::format("{} replications (seeds {} to {}, the same for every strategy)", n,
                          At(results, "seed").dump(),
                          At(results, "seeds").is_array() && !At(results, "seeds").empty()
                              ? At(results, "seeds").back().dump()
                              : std::string("?"))
            : fmt::format("Seed {}", At(results, "seed").dump());
  out += fmt::format("{}, {} s measured after {} s warm-up, credsim {}.\n\n", seeds,
                     At(results, "duration_s").dump(), At(results, "warmup_s").dump(),
                     At(results, "credsim_version").get<std::string>());
  if (const auto& ws = At(results, "warnings"); ws.is_array() && !ws.empty()) {
    for (const auto& wv : ws) {
      if (wv.is_string()) out += "> **Warning:** " + wv.get<std::string>() + "\n\n";
    }
  }
  out += ComparisonMarkdown({results});
  if (const std::string w = WindowsMarkdown(results); !w.empty()) out += "\n" + w;
  if (const std::string paired = PairedMarkdown(results); !paired.empty()) out += "\n" + paired;
  out +=
      "\nAuth latency is the time a request spent obtaining credentials (cold-start wait "
      "excluded). Costs are marginal list prices without free allowances. Exposure is "
      "credential-seconds held at rest outside isolates (Cache API, KV, Durable Object "
      "storage). See docs/results.md for every field.\n";
  return out;
}

std::string TimeseriesCsv(const nlohmann::json& results) {
  std::vector<std::string_view> series;  // the series signals: timeseries.* keys
  std::string out = "scenario,strategy";
  for (const RunSignal& signal : RunSignals()) {
    if (signal.kind != SignalKind::kSeries) continue;
    series.push_back(signal.key);
    out += ',';
    out += Column(signal.key);
  }
  out += '\n';
  const std::string scenario = At(results, "scenario").get<std::string>();
  for (const nlohmann::json& s : At(results, "strategies")) {
    const std::string name = At(s, "name").get<std::string>();
    const size_t rows = Find(s, series.front()).size();
    for (size_t i = 0; i < rows; ++i) {
      out += scenario;
      out += ',';
      out += name;
      for (std::string_view key : series) {
        out += ',';
        out += Find(s, key)[i].dump();
      }
      out += '\n';
    }
  }
  return out;
}

}  // namespace credsim
