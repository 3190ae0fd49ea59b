// Runs every strategy of a scenario on identical traffic (same seed, same RNG streams: the
// comparison is paired) and collects results.json. Strategies run on worker threads (each
// World is independent and single-threaded); results keep the scenario's order, so the
// output does not depend on the thread count.
#ifndef CREDSIM_CLI_RUNNER_H_
#define CREDSIM_CLI_RUNNER_H_

#include "absl/status/statusor.h"
#include "cli/scenario.h"
#include "nlohmann/json.hpp"

namespace credsim {

struct RunOptions {
  int threads = 2;
  bool progress = false;  // one line per finished strategy on stderr
};

absl::StatusOr<nlohmann::json> RunScenario(const Scenario& scenario, const RunOptions& options);

}  // namespace credsim

#endif  // CREDSIM_CLI_RUNNER_H_
