// Results of a strategy's run restricted to named windows, and its per-colo / per-role
// breakdowns: the "windows", "top_colos" and "top_roles" entries of a results.json strategy
// entry and the windows table of summary.md (docs/results.md "Windows" and "Breakdowns").
// Everything is read from RunMetrics (RunMetrics::windows, by_colo, by_role); nothing is
// estimated here.
#ifndef CREDSIM_CLI_RESULTS_BREAKDOWN_H_
#define CREDSIM_CLI_RESULTS_BREAKDOWN_H_

#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "sim/world/run_metrics.h"
#include "sim/world/world_config.h"

namespace credsim {

// Rows of "top_colos" / "top_roles".
inline constexpr size_t kTopBreakdownRows = 10;

// The "windows" object: one entry per window of m.windows, keyed by its name:
//   {"source": "burst"|"sts_outage"|"restart"|"periodic_restart"|"scenario",
//    "measured": bool, "span_s": [from, to], "requests",
//    "errors": {"403","429","500","502","503","total"}, "error_ratio", "sts_calls",
//    "sts_throttled", "sts_calls_peak_per_s", "auth_latency_ms": {"p50", "p99"}}.
// span_s is the window clipped to the measurement window (seconds since t = 0; an array, so not
// a metric of the statistics); a window outside it keeps its own bounds, has "measured": false
// and zero counts. error_ratio is errors.total / requests, and the latencies are
// percentiles; all three are null without requests (no value: statistics and --require skip
// them). An empty object when the run has no windows.
nlohmann::json WindowsResult(const RunMetrics& m);

// "top_colos": up to kTopBreakdownRows objects {"colo": name, "sts_calls", "requests",
// "errors"} of the colos with any measured STS call or request, by STS calls (descending;
// ties: by colo name, then index). Names come from world.colos.
nlohmann::json TopColosResult(const RunMetrics& m, const WorldConfig& world);
// "top_roles": the same with {"role": index, ...}; ties by role index.
nlohmann::json TopRolesResult(const RunMetrics& m);

// The order of both: indices of at most k rows with sts_calls + requests > 0, by sts_calls
// descending, ties by `tie_less` (a strict weak order on row indices), then by index.
std::vector<size_t> TopRowsBySts(std::span<const BreakdownCounters> rows, size_t k,
                                 const std::function<bool(size_t, size_t)>& tie_less);

// The "## Windows" section of summary.md for a results document: one row per (window,
// strategy), windows by start then name. "" when no strategy entry has a window.
std::string WindowsMarkdown(const nlohmann::json& results);

// Warnings for results.json "warnings" about the windows of a scenario: one when generated
// windows were left out because the run has more than kMaxWindows (none otherwise).
std::vector<std::string> WindowsWarnings(const WorldConfig& world);

}  // namespace credsim

#endif  // CREDSIM_CLI_RESULTS_BREAKDOWN_H_
