// WorkEstimate: how much a scenario will cost to simulate, computed from the scenario alone
// (no simulation), so that `credsim run` can print it and refuse runs above a ceiling before
// spending CPU on them (docs/limits.md).
//
// requests_per_strategy is the expected number of simulated arrivals over warm-up +
// duration (sim/traffic.h ExpectedArrivals: exact expectation of the Poisson/trace model).
// events_per_strategy adds the periodic work that does not scale with requests (fleet
// restarts) to kEventsPerRequest × requests, an upper-end factor measured on the scenario
// library (see work_estimate_test.cc); it is an order of magnitude, not a promise.
#ifndef CREDSIM_CLI_WORK_ESTIMATE_H_
#define CREDSIM_CLI_WORK_ESTIMATE_H_

#include <cstdint>
#include <string>

#include "cli/scenario.h"

namespace credsim {

// Default ceiling on simulated requests per `credsim run` invocation summed over strategies
// (--max-requests raises it): about 10-20 minutes of CPU on one core today.
inline constexpr uint64_t kDefaultMaxRequests = 1'000'000'000;
inline constexpr double kEventsPerRequest = 8.0;

struct WorkEstimate {
  double requests_per_strategy = 0;
  double events_per_strategy = 0;
  size_t strategies = 0;
  std::string Describe() const;  // "about 3.4M requests and 27M events per strategy × 6"
};

WorkEstimate EstimateWork(const Scenario& scenario);

// "3.4M", "27k", "950".
std::string FormatCount(double v);

}  // namespace credsim

#endif  // CREDSIM_CLI_WORK_ESTIMATE_H_
