// Sweep storage and merge: one file per finished run, DIR/runs/<key>.json, and the merged
// outputs DIR/sweep.json, DIR/sweep.csv and DIR/sweep.md (docs/sweeps.md).
//
// Contract:
//  * A run file holds what the run measured and nothing about how it was scheduled (no shard,
//    host or time), so the merge is byte-identical whatever the shard split, order, engine or
//    thread count.
//  * MergeSweep() reads the run file of every planned run; a run whose file is absent, not
//    valid JSON or for another key is missing. Per point and strategy, every metric
//    (cli/replicated_results.h) is summarised over the replications present: n, mean, sd,
//    95 % Student-t interval.
//  * sweep.md answers "which strategy is cheapest at equal error ratio" per point with paired
//    differences (every strategy of a point ran on the same seeds): among the strategies whose
//    error ratio is not distinguishable from the lowest (paired-t 95 % interval of the
//    difference contains 0), the lowest mean cost, and whether it is distinguishable from the
//    next cheapest.
#ifndef CREDSIM_CLI_SWEEP_MERGE_H_
#define CREDSIM_CLI_SWEEP_MERGE_H_

#include <filesystem>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/sweep.h"
#include "nlohmann/json.hpp"

namespace credsim {

// The file of a run inside the output directory.
std::filesystem::path RunFilePath(const std::filesystem::path& out, const SweepRun& run);

// The run file's content: {"key", "seed", "scenario", "credsim_version", "strategies": [{name,
// kind, values}]} from the strategy entries of one replication.
std::string RunFileContent(const SweepRun& run, const std::string& scenario,
                           const std::vector<nlohmann::json>& entries);

// True if `out` holds a valid file for the run.
bool RunIsDone(const std::filesystem::path& out, const SweepRun& run);

struct SweepMerge {
  std::string json, csv, markdown;
  std::vector<size_t> missing;  // run indices
};

absl::StatusOr<SweepMerge> MergeSweep(const Sweep& sweep, const std::vector<SweepRun>& runs,
                                      const std::filesystem::path& out);

// "0-3, 7, 9-10": run indices as ranges.
std::string RangesText(const std::vector<size_t>& indices);

}  // namespace credsim

#endif  // CREDSIM_CLI_SWEEP_MERGE_H_
