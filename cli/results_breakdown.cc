#include "cli/results_breakdown.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <tuple>

#include "fmt/format.h"
#include "sim/world/colos.h"

namespace credsim {
namespace {

double Round(double v, int digits) {
  const double f = std::pow(10.0, digits);
  return std::round(v * f) / f;
}

// A latency percentile in ms (6 decimals, as the strategy's auth_latency_ms), null when the
// window measured no request (no value: statistics and --require gates skip it).
nlohmann::json LatencyMs(const Histogram& h, double q) {
  if (h.count() == 0) return nullptr;
  return Round(static_cast<double>(h.Percentile(q)) * 1e-6, 6);
}

// span_s[i] of a window entry (null if absent).
const nlohmann::json& SpanAt(const nlohmann::json& w, size_t i) {
  static const nlohmann::json kNull;
  if (!w.is_object() || !w.contains("span_s")) return kNull;
  const nlohmann::json& s = w.at("span_s");
  return s.is_array() && s.size() == 2 ? s.at(i) : kNull;
}

nlohmann::json Row(const BreakdownCounters& c) {
  return {{"sts_calls", c.sts_calls}, {"requests", c.requests}, {"errors", c.errors}};
}

}  // namespace

nlohmann::json WindowsResult(const RunMetrics& m) {
  nlohmann::json out = nlohmann::json::object();
  for (const RunWindows::Window& w : m.windows.windows()) {
    const WindowCounters& c = w.counters;
    uint64_t failed = 0;
    for (uint64_t e : c.errors) failed += e;
    nlohmann::json e;
    e["source"] = WindowSourceName(w.spec.source);
    e["measured"] = w.measured;
    // [from, to] in seconds since t = 0: an array, so not a metric of the statistics.
    e["span_s"] = {Round(w.from.since_start().seconds(), 3), Round(w.to.since_start().seconds(), 3)};
    e["requests"] = c.requests;
    e["errors"] = {{"403", c.errors[RunMetrics::ErrorIndex(403)]},
                   {"429", c.errors[RunMetrics::ErrorIndex(429)]},
                   {"500", c.errors[RunMetrics::ErrorIndex(500)]},
                   {"502", c.errors[RunMetrics::ErrorIndex(502)]},
                   {"503", c.errors[RunMetrics::ErrorIndex(503)]},
                   {"total", failed}};
    e["error_ratio"] = c.requests > 0 ? nlohmann::json(Round(static_cast<double>(failed) /
                                                                 static_cast<double>(c.requests),
                                                             9))
                                      : nlohmann::json(nullptr);
    e["sts_calls"] = c.sts_calls;
    e["sts_throttled"] = c.sts_throttled;
    e["sts_calls_peak_per_s"] = c.sts_peak.peak();
    e["auth_latency_ms"] = {{"p50", LatencyMs(c.auth_latency, 0.5)},
                            {"p99", LatencyMs(c.auth_latency, 0.99)}};
    out[w.spec.name] = std::move(e);
  }
  return out;
}

std::vector<size_t> TopRowsBySts(std::span<const BreakdownCounters> rows, size_t k,
                                 const std::function<bool(size_t, size_t)>& tie_less) {
  std::vector<size_t> idx;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (rows[i].sts_calls + rows[i].requests > 0) idx.push_back(i);
  }
  auto before = [&](size_t a, size_t b) {
    if (rows[a].sts_calls != rows[b].sts_calls) return rows[a].sts_calls > rows[b].sts_calls;
    if (tie_less(a, b)) return true;
    if (tie_less(b, a)) return false;
    return a < b;
  };
  const size_t n = std::min(k, idx.size());
  std::partial_sort(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(n), idx.end(), before);
  idx.resize(n);
  return idx;
}

nlohmann::json TopColosResult(const RunMetrics& m, const WorldConfig& world) {
  const ColoSet colos(world.colos);
  auto name = [&](size_t i) -> const std::string& { return colos.colo(static_cast<uint32_t>(i)).name; };
  nlohmann::json out = nlohmann::json::array();
  const size_t named = std::min<size_t>(m.by_colo.size(), colos.size());
  const std::span<const BreakdownCounters> rows(m.by_colo.data(), named);
  for (size_t i : TopRowsBySts(rows, kTopBreakdownRows,
                               [&](size_t a, size_t b) { return name(a) < name(b); })) {
    nlohmann::json r = Row(rows[i]);
    r["colo"] = name(i);
    out.push_back(std::move(r));
  }
  return out;
}

nlohmann::json TopRolesResult(const RunMetrics& m) {
  nlohmann::json out = nlohmann::json::array();
  for (size_t i : TopRowsBySts(m.by_role, kTopBreakdownRows,
                               [](size_t, size_t) { return false; })) {
    nlohmann::json r = Row(m.by_role[i]);
    r["role"] = i;
    out.push_back(std::move(r));
  }
  return out;
}

namespace {

const nlohmann::json& Get(const nlohmann::json& j, const char* key) {
  static const nlohmann::json kNull;
  return j.is_object() && j.contains(key) ? j.at(key) : kNull;
}

std::string Cell(const nlohmann::json& v) {
  if (v.is_number_unsigned() || v.is_number_integer()) return v.dump();
  if (v.is_number()) {
    const double d = v.get<double>();
    if (d == 0) return "0";
    return std::fabs(d) >= 100 ? fmt::format("{:.0f}", d) : fmt::format("{:.3g}", d);
  }
  return "n/a";
}

}  // namespace

std::string WindowsMarkdown(const nlohmann::json& results) {
  struct Line {
    double from;
    std::string window;
    size_t strategy;
    std::string text;
  };
  std::vector<Line> lines;
  const nlohmann::json& strategies = Get(results, "strategies");
  if (!strategies.is_array()) return "";
  for (size_t si = 0; si < strategies.size(); ++si) {
    const nlohmann::json& s = strategies[si];
    const nlohmann::json& ws = Get(s, "windows");
    if (!ws.is_object()) continue;
    const std::string sname = Get(s, "name").is_string() ? Get(s, "name").get<std::string>() : "?";
    for (const auto& [wname, w] : ws.items()) {
      const nlohmann::json& errors = Get(w, "errors");
      const nlohmann::json& lat = Get(w, "auth_latency_ms");
      const bool measured = Get(w, "measured").is_boolean() && Get(w, "measured").get<bool>();
      const nlohmann::json& ratio = Get(w, "error_ratio");
      std::string text = fmt::format(
          "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
          wname, sname, Cell(SpanAt(w, 0)), Cell(SpanAt(w, 1)),
          measured ? Cell(Get(w, "requests")) : "not measured", Cell(Get(errors, "total")),
          ratio.is_number() ? fmt::format("{:.4f}%", 100 * ratio.get<double>()) : "n/a",
          Cell(Get(errors, "403")), Cell(Get(errors, "429")), Cell(Get(errors, "500")),
          Cell(Get(errors, "502")), Cell(Get(errors, "503")), Cell(Get(w, "sts_calls")),
          Cell(Get(w, "sts_calls_peak_per_s")), Cell(Get(lat, "p50")), Cell(Get(lat, "p99")));
      const nlohmann::json& from = SpanAt(w, 0);
      lines.push_back(Line{from.is_number() ? from.get<double>() : 0.0, wname, si, std::move(text)});
    }
  }
  if (lines.empty()) return "";
  std::stable_sort(lines.begin(), lines.end(), [](const Line& a, const Line& b) {
    return std::tie(a.from, a.window, a.strategy) < std::tie(b.from, b.window, b.strategy);
  });
  std::string out =
      "## Windows\n\nRequests by arrival and STS calls inside each window (seconds since t = 0, "
      "warm-up included, clipped to the measured window; docs/results.md \"Windows\").\n\n"
      "| window | strategy | from s | to s | requests | errors | error ratio | 403 | 429 | 500 | "
      "502 | 503 | STS calls | peak STS/s | auth p50 ms | auth p99 ms |\n"
      "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const Line& l : lines) out += l.text;
  return out;
}

std::vector<std::string> WindowsWarnings(const WorldConfig& world) {
  size_t omitted = 0;
  RunWindowSpecs(world, &omitted);
  if (omitted == 0) return {};
  return {fmt::format(
      "{} generated windows (bursts, STS outages, restarts) were left out: a run reports at "
      "most {} windows (the scenario's own windows first, then bursts, STS outages, restarts "
      "and periodic restarts in that order).",
      omitted, kMaxWindows)};
}

}  // namespace credsim
