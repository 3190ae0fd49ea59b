// Replicated results: turns the strategy entries of N replications (cli/results.h
// StrategyResult, one per replication) into one entry with per-metric statistics, and
// compares strategies with a baseline strategy replication by replication (paired).
//
// Contract (docs/statistics.md, docs/results.md):
//  * The metrics of an entry are its numeric leaves outside arrays, named by their dotted
//    path ("sts_calls", "errors.503", "windows.burst[0].error_ratio"); "params" is not a
//    metric. ScalarValues() lists them in key order (JSON objects are sorted).
//  * Replicate() keeps replication 0's entry as it is (so one replication is today's entry)
//    and adds "stats" {key: {n, mean, sd, ci95: [lo, hi], half_width}} (sd, ci95, half_width
//    null for n = 1) and "replications" [{seed, values}]. A metric missing from one
//    replication (a key that exists only for some seeds) is summarised over those that have it.
//  * AddPairedComparisons() adds to every entry but the baseline's "vs_baseline" {key: {n,
//    mean_diff, sd, ci95, half_width, distinguishable}} from d_r = value_r - baseline_r over
//    the replications both have; distinguishable is false when the interval contains 0, null
//    for n = 1. Pairing is valid because replication r of every strategy ran on seed + r.
//  * Values are written with 10 significant digits.
#ifndef CREDSIM_CLI_REPLICATED_RESULTS_H_
#define CREDSIM_CLI_REPLICATED_RESULTS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "cli/stats.h"
#include "nlohmann/json.hpp"

namespace credsim {

// {dotted key: number} of every metric of a strategy entry.
nlohmann::json ScalarValues(const nlohmann::json& entry);

// Rounds to 10 significant digits (stable, readable output).
double RoundSignificant(double v);

// {n, mean, sd, ci95, half_width} of a summary.
nlohmann::json SummaryJson(const SampleSummary& s);

// Per-metric summaries of per-replication {key: number} maps.
nlohmann::json StatsOf(const std::vector<nlohmann::json>& values);

// One strategy's entry of replication 0 and the metrics (ScalarValues) of every replication
// (values[r] ran with seeds[r]) into one entry.
nlohmann::json Replicate(nlohmann::json first, const std::vector<nlohmann::json>& values,
                         const std::vector<uint64_t>& seeds);

// Adds "vs_baseline" to every strategy entry of a results document but `baseline`'s, and
// "baseline_strategy" at the top. Error (naming the strategies there are) when no strategy
// has that name.
absl::Status AddPairedComparisons(nlohmann::json& results, const std::string& baseline);

}  // namespace credsim

#endif  // CREDSIM_CLI_REPLICATED_RESULTS_H_
