// Runs the strategies of scenarios on identical traffic (same seed, same RNG streams: the
// comparison is paired) and collects results.json.
//
// The unit of work is a run: one (scenario, replication, strategy) cell, one World with its
// own Strategy. All runs of one call go on one WorkerPool (cli/worker_pool.h) of
// RunOptions::threads workers, in the fixed order scenario, then replication, then strategy.
// A World is never shared between threads (each is single-threaded); every run writes its
// result into its own slot, so the output is byte-identical for any thread count. A
// scenario's results are assembled and handed on as soon as it and every scenario before it
// have finished, in scenario order, while later runs continue. Memory: per scenario in
// flight, the full entries (StrategyResult: CDFs and time series) of replication 0 and the
// scalar metrics of every replication.
//
// Errors: the first failing item in the fixed order wins, whatever the scheduling: a
// scenario's runs (the first failing run in (replication, strategy) order), then what the
// caller did with that scenario's results, then the next scenario. A strategy that cannot be
// built fails with its own error; a simulation failure (an exception escaping a coroutine of
// the simulation: see World, or thrown by the strategy) with "strategy <name>: <what>".
// After an error no further run starts; the running ones finish, and no thread survives the
// call.
//
// Progress (RunOptions): a line per finished run, and on a terminal a live line
// (cli/progress_line.h) fed by each World's RunProgress. Wall-clock time is used for progress
// only; it never reaches the simulation or the results.
#ifndef CREDSIM_CLI_RUNNER_H_
#define CREDSIM_CLI_RUNNER_H_

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cli/scenario.h"
#include "nlohmann/json.hpp"
#include "sim/config/json_reader.h"
#include "strategies/ports/strategy.h"

namespace credsim {

using StrategyCreator =
    std::function<absl::StatusOr<std::unique_ptr<Strategy>>(const StrategySpec&, JsonReader&)>;

// The number of cores (std::thread::hardware_concurrency()), within 1..256.
int DefaultThreads();

struct RunOptions {
  // Worker threads, each running one World at a time; 0: DefaultThreads().
  int threads = 0;
  // One line per finished run on progress_out:
  // "[scenario] k/N strategy (replication r, seed s): X requests, Y STS calls (T s)".
  bool progress = false;
  // A live line on progress_out (a terminal), redrawn in place at most 4 times a second once
  // the call has lasted live_progress_after: runs done, requests/s, ETA, the running runs and
  // their simulated time. Erased before every other line and at the end.
  bool live_progress = false;
  std::chrono::milliseconds live_progress_after{1000};
  std::FILE* progress_out = nullptr;  // null: stderr
  // Builds a strategy from its spec; empty: the registry (tests inject strategies here).
  StrategyCreator create_strategy;
};

// What RunReplications measured: the full entries (StrategyResult: CDFs and time series
// included) of the first replication, and the metrics (ScalarValues) of every replication.
struct ReplicationRuns {
  std::vector<nlohmann::json> first;                // [strategy]
  std::vector<std::vector<nlohmann::json>> values;  // [replication][strategy]
};

// Runs replication r of every strategy with seed seeds[r] (replications x strategies runs on
// the pool).
absl::StatusOr<ReplicationRuns> RunReplications(const Scenario& scenario,
                                                const std::vector<uint64_t>& seeds,
                                                const RunOptions& options);

// The seeds of the scenario's replications: world.seed + r (mod 2^64), r = 0..replications-1.
std::vector<uint64_t> ReplicationSeeds(const Scenario& scenario);

// The whole results.json of scenario.replications replications (cli/replicated_results.h):
// every entry has replication 0's values, "stats" and "replications"; the document has
// "replications", "seeds" and "fingerprint". On a failed run nothing is returned for the
// other strategies.
absl::StatusOr<nlohmann::json> RunScenario(const Scenario& scenario, const RunOptions& options);

// Called with scenario i's results.json (as RunScenario returns it), on the calling thread of
// RunScenarios, for i = 0, 1, ... in order. An error stops everything and is returned.
using ScenarioResultsSink = std::function<absl::Status(size_t scenario, nlohmann::json results)>;

// Every run of every scenario on one pool. The fingerprints (trace files hashed) are computed
// first: an error there is returned before any run starts.
absl::Status RunScenarios(const std::vector<Scenario>& scenarios, const RunOptions& options,
                          const ScenarioResultsSink& sink);

}  // namespace credsim

#endif  // CREDSIM_CLI_RUNNER_H_
