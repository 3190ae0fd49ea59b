#include "cli/results.h"

#include <cmath>

#include "fmt/format.h"
#include "strategies/ports/strategy.h"

namespace credsim {
namespace {

double Ms(int64_t ns) { return static_cast<double>(ns) * 1e-6; }
double Ratio(double a, double b) { return b > 0 ? a / b : 0.0; }
// Rounds for stable, readable output (values are deterministic either way).
double Round(double v, int digits = 6) {
  const double f = std::pow(10.0, digits);
  return std::round(v * f) / f;
}

nlohmann::json Series(const TimeSeries& s, size_t first, size_t last) {
  nlohmann::json a = nlohmann::json::array();
  for (size_t i = first; i < last; ++i) a.push_back(s.at(i));
  return a;
}

}  // namespace

nlohmann::json StrategyResult(const StrategySpec& spec, const nlohmann::json& applied_params,
                              const RunMetrics& m, const WorldConfig& world) {
  nlohmann::json r;
  r["name"] = spec.name;
  r["kind"] = spec.kind;
  r["params"] = applied_params;
  r["requests"] = m.requests;
  r["sts_calls"] = m.sts_calls;
  r["sts_calls_peak_per_s"] = m.sts_peak.peak();
  r["sts_throttled"] = m.sts_throttled;
  r["sts_timeouts"] = m.sts_timeouts;
  r["sts_errors"] = m.sts_errors;
  r["jwt_signatures"] = m.jwt_signatures;
  uint64_t failed = 0;
  for (uint64_t e : m.errors) failed += e;
  r["errors"] = {{"403", m.errors[RunMetrics::ErrorIndex(403)]},
                 {"500", m.errors[RunMetrics::ErrorIndex(500)]},
                 {"502", m.errors[RunMetrics::ErrorIndex(502)]},
                 {"503", m.errors[RunMetrics::ErrorIndex(503)]},
                 {"total", failed}};
  r["error_ratio"] = Round(Ratio(failed, m.requests), 9);
  const Histogram& h = m.auth_latency;
  if (h.count() > 0) {
    r["auth_latency_ms"] = {{"p50", Round(Ms(h.Percentile(0.5)))},
                            {"p90", Round(Ms(h.Percentile(0.9)))},
                            {"p99", Round(Ms(h.Percentile(0.99)))},
                            {"p999", Round(Ms(h.Percentile(0.999)))},
                            {"max", Round(Ms(h.max()))},
                            {"mean", Round(h.mean() * 1e-6)}};
  } else {
    r["auth_latency_ms"] = {{"p50", 0}, {"p90", 0}, {"p99", 0}, {"p999", 0}, {"max", 0}, {"mean", 0}};
  }
  nlohmann::json cdf = nlohmann::json::array();
  for (const auto& [v, f] : h.Cdf(200)) cdf.push_back({Round(Ms(v)), Round(f, 9)});
  r["auth_latency_cdf_ms"] = cdf;

  nlohmann::json served;
  for (int t = 0; t < kTierCount; ++t) {
    served[std::string(TierName(static_cast<Tier>(t)))] = m.served_from[t];
  }
  r["served_by"] = served;
  const auto tier = [&m](Tier t) { return static_cast<double>(m.served_from[static_cast<int>(t)]); };
  r["hit_ratio"] = {
      {"l1", Round(Ratio(tier(Tier::kL1), m.requests))},
      {"l2", Round(Ratio(m.cache_hits, m.cache_matches))},
      {"kv", Round(Ratio(m.kv_read_hits, m.kv_reads))},
      {"do", Round(Ratio(tier(Tier::kDurableObject), m.requests - tier(Tier::kL1)))},
  };
  r["cold_starts"] = m.cold_starts;
  r["warm_request_ratio"] = Round(1.0 - Ratio(m.cold_requests, m.requests), 9);
  r["expired_credential_uses"] = m.expired_credential_uses;
  r["revoked_credential_uses"] = m.revoked_credential_uses;
  r["cancelled_by_runtime"] = m.cancelled_by_runtime;
  r["edge_timeouts"] = m.edge_timeouts;

  const PricingConfig& p = world.pricing;
  const double kv_reads = m.kv_reads * p.kv_read_per_million * 1e-6;
  // Accepted writes only: no source bills a write rejected with 429 (counted, not billed).
  const double kv_writes = m.kv_writes * p.kv_write_per_million * 1e-6;
  const double do_requests = m.do_requests * p.do_request_per_million * 1e-6;
  const double do_duration = m.do_active_seconds * p.do_memory_gb * p.do_gb_s_per_million * 1e-6;
  const double do_storage = m.do_storage_writes * p.do_row_write_per_million * 1e-6;
  const double workers_requests = m.requests * p.workers_request_per_million * 1e-6;
  const double workers_cpu = m.worker_cpu_ms * p.workers_cpu_ms_per_million * 1e-6;
  r["cost_usd"] = {{"kv_reads", Round(kv_reads, 9)},
                   {"kv_writes", Round(kv_writes, 9)},
                   {"do_requests", Round(do_requests, 9)},
                   {"do_duration", Round(do_duration, 9)},
                   {"do_storage", Round(do_storage, 9)},
                   {"workers_requests", Round(workers_requests, 9)},
                   {"workers_cpu", Round(workers_cpu, 9)},
                   {"total", Round(kv_reads + kv_writes + do_requests + do_duration + do_storage +
                                       workers_requests + workers_cpu,
                                   9)}};
  r["exposure"] = {{"credential_seconds_at_rest", Round(m.credential_seconds_at_rest, 3)},
                   {"places", m.places_holding_credentials}};
  r["cache_api"] = {{"matches", m.cache_matches}, {"hits", m.cache_hits}, {"puts", m.cache_puts}};
  r["kv"] = {{"reads", m.kv_reads},
             {"read_hits", m.kv_read_hits},
             {"stale_reads", m.kv_stale_reads},
             {"writes", m.kv_writes},
             {"writes_rate_limited", m.kv_writes_rate_limited}};
  r["durable_objects"] = {{"requests", m.do_requests},
                          {"overloaded", m.do_overloaded},
                          {"alarm_invocations", m.do_alarm_invocations},
                          {"alarm_failures", m.do_alarm_failures},
                          {"storage_reads", m.do_storage_reads},
                          {"storage_writes", m.do_storage_writes},
                          {"evictions", m.do_evictions},
                          {"active_seconds", Round(m.do_active_seconds, 3)}};
  r["worker_cpu_ms"] = Round(m.worker_cpu_ms, 3);

  const Duration interval = world.interval;
  const size_t first = static_cast<size_t>(m.measure_from.since_start() / interval);
  const size_t last = static_cast<size_t>((m.measure_to.since_start() + interval - Duration::Nanos(1)) / interval);
  nlohmann::json t = nlohmann::json::array();
  for (size_t i = first; i < last; ++i) t.push_back(Round((interval * static_cast<int64_t>(i)).seconds(), 3));
  r["timeseries"] = {{"t_s", t},
                     {"requests", Series(m.request_series, first, last)},
                     {"sts_calls", Series(m.sts_series, first, last)},
                     {"errors", Series(m.error_series, first, last)}};
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
  for (const nlohmann::json& res : results) {
    for (const nlohmann::json& s : At(res, "strategies")) {
      if (many) out += fmt::format("| {} ", At(res, "scenario").is_string() ? At(res, "scenario").get<std::string>() : "?");
      out += fmt::format(
          "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
          At(s, "name").is_string() ? At(s, "name").get<std::string>() : "?",
          CountOf(At(s, "requests")), CountOf(At(s, "sts_calls")),
          CountOf(At(s, "sts_calls_peak_per_s")), CountOf(At(s, "sts_throttled")),
          CountOf(At(s, "errors", "403")), CountOf(At(s, "errors", "500")),
          CountOf(At(s, "errors", "502")), CountOf(At(s, "errors", "503")),
          Num(At(s, "auth_latency_ms", "p50")), Num(At(s, "auth_latency_ms", "p99")),
          Num(At(s, "auth_latency_ms", "p999")),
          At(s, "hit_ratio", "l1").is_number()
              ? fmt::format("{:.2f}%", 100 * At(s, "hit_ratio", "l1").get<double>())
              : "n/a",
          At(s, "warm_request_ratio").is_number()
              ? fmt::format("{:.3f}%", 100 * At(s, "warm_request_ratio").get<double>())
              : "n/a",
          At(s, "cost_usd", "total").is_number()
              ? fmt::format("{:.4f}", At(s, "cost_usd", "total").get<double>())
              : "n/a",
          Num(At(s, "exposure", "credential_seconds_at_rest")),
          CountOf(At(s, "exposure", "places")));
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
  out += fmt::format("Seed {}, {} s measured after {} s warm-up, credsim {}.\n\n",
                     At(results, "seed").dump(), At(results, "duration_s").dump(),
                     At(results, "warmup_s").dump(),
                     At(results, "credsim_version").get<std::string>());
  if (const auto& ws = At(results, "warnings"); ws.is_array() && !ws.empty()) {
    for (const auto& wv : ws) {
      if (wv.is_string()) out += "> **Warning:** " + wv.get<std::string>() + "\n\n";
    }
  }
  out += ComparisonMarkdown({results});
  out +=
      "\nAuth latency is the time a request spent obtaining credentials (cold-start wait "
      "excluded). Costs are marginal list prices without free allowances. Exposure is "
      "credential-seconds held at rest outside isolates (Cache API, KV, Durable Object "
      "storage). See docs/results.md for every field.\n";
  return out;
}

std::string TimeseriesCsv(const nlohmann::json& results) {
  std::string out = "scenario,strategy,t_s,requests,sts_calls,errors\n";
  const std::string scenario = At(results, "scenario").get<std::string>();
  for (const nlohmann::json& s : At(results, "strategies")) {
    const nlohmann::json& ts = At(s, "timeseries");
    const nlohmann::json& t = At(ts, "t_s");
    for (size_t i = 0; i < t.size(); ++i) {
      out += fmt::format("{},{},{},{},{},{}\n", scenario, At(s, "name").get<std::string>(),
                         t[i].dump(), At(ts, "requests")[i].dump(), At(ts, "sts_calls")[i].dump(),
                         At(ts, "errors")[i].dump());
    }
  }
  return out;
}

}  // namespace credsim
