// Results: turns the measurements of a run into results.json, and results.json into the
// Markdown comparison table and the time-series CSV. The JSON layout is documented in
// docs/results.md; every value is derived from RunMetrics, nothing is estimated here. The
// metrics of a strategy entry and the CSV's series columns are exactly the signals of
// RunSignals() (sim/world/run_signals.h), which also generate the docs table.
#ifndef CREDSIM_CLI_RESULTS_H_
#define CREDSIM_CLI_RESULTS_H_

#include <string>
#include <vector>

#include "cli/scenario.h"
#include "nlohmann/json.hpp"
#include "sim/world/run_metrics.h"

namespace credsim {

const char* Version();

// One entry of results.json "strategies": name, kind, params and every RunSignals() value.
nlohmann::json StrategyResult(const StrategySpec& spec, const nlohmann::json& applied_params,
                              const RunMetrics& m, const WorldConfig& world);
// Warnings about what a run's window can and cannot show (results.json "warnings", printed
// in summary.md and the report), derived from the scenario alone:
//  * the measured window is shorter than one credential lifetime: a key renews at most once
//    in it, so STS calls per hour extrapolate a partial renewal cycle;
//  * initial_state "cold" and the renewal wave of the t = 0 fill (about one lifetime after
//    the start) falls inside the window: its STS calls are part of the result.
std::vector<std::string> ScenarioWarnings(const Scenario& scenario);
// The whole results.json document.
nlohmann::json ScenarioResult(const Scenario& scenario, std::vector<nlohmann::json> strategies);

// Markdown table comparing the strategies of one or more results documents; for replicated
// entries every cell is "mean ± 95 % half-width".
std::string ComparisonMarkdown(const std::vector<nlohmann::json>& results);
// With "baseline_strategy" (cli/replicated_results.h AddPairedComparisons): a Markdown table
// of each strategy's paired difference from the baseline on the key metrics, its 95 %
// interval and the verdict ("lower", "higher", "not distinguishable"); "" without.
std::string PairedMarkdown(const nlohmann::json& results);
// summary.md of one results document (title, claim, table, notes).
std::string SummaryMarkdown(const nlohmann::json& results);
// Long-format CSV: scenario,strategy and one column per series signal (t_s,requests,
// sts_calls,errors,errors_403,errors_429,errors_500,errors_502,errors_503), one row per
// (strategy, bucket).
std::string TimeseriesCsv(const nlohmann::json& results);

}  // namespace credsim

#endif  // CREDSIM_CLI_RESULTS_H_
