// Runs every strategy of a scenario on identical traffic (same seed, same RNG streams: the
// comparison is paired) and collects results.json. Strategies run on worker threads (each
// World is independent and single-threaded); results keep the scenario's order, so the
// output does not depend on the thread count.
#ifndef CREDSIM_CLI_RUNNER_H_
#define CREDSIM_CLI_RUNNER_H_

#include <functional>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/scenario.h"
#include "nlohmann/json.hpp"
#include "sim/config/json_reader.h"
#include "strategies/ports/strategy.h"

namespace credsim {

using StrategyCreator =
    std::function<absl::StatusOr<std::unique_ptr<Strategy>>(const StrategySpec&, JsonReader&)>;

struct RunOptions {
  int threads = 2;
  bool progress = false;  // one line per finished strategy on stderr
  // Builds a strategy from its spec; empty: the registry (tests inject strategies here).
  StrategyCreator create_strategy;
};

// What RunReplications measured: the full entries (StrategyResult: CDFs and time series
// included) of the first replication, and the metrics (ScalarValues) of every replication.
struct ReplicationRuns {
  std::vector<nlohmann::json> first;                // [strategy]
  std::vector<std::vector<nlohmann::json>> values;  // [replication][strategy]
};

// Runs replication r of every strategy with seed seeds[r] (tasks = replications x strategies
// spread over the threads). Memory: one full entry per strategy, plus the scalar metrics of
// every replication.
absl::StatusOr<ReplicationRuns> RunReplications(const Scenario& scenario,
                                                const std::vector<uint64_t>& seeds,
                                                const RunOptions& options);

// The seeds of the scenario's replications: world.seed + r (mod 2^64), r = 0..replications-1.
std::vector<uint64_t> ReplicationSeeds(const Scenario& scenario);

// The whole results.json of scenario.replications replications (cli/replicated_results.h):
// every entry has replication 0's values, "stats" and "replications"; the document has
// "replications", "seeds" and "fingerprint".
// A strategy whose run fails (invalid parameters, or an exception escaping a coroutine of the
// simulation: see World) makes the whole call fail with a message naming it:
// "strategy <name>: <what>". Nothing is returned for the other strategies then.
absl::StatusOr<nlohmann::json> RunScenario(const Scenario& scenario, const RunOptions& options);

}  // namespace credsim

#endif  // CREDSIM_CLI_RUNNER_H_
