#include "cli/work_estimate.h"

#include <cmath>

#include "fmt/format.h"
#include "sim/world/colos.h"
#include "sim/world/traffic.h"

namespace credsim {

std::string FormatCount(double v) {
  if (!(v < 1e300)) return "unbounded";
  if (v >= 1e12) return fmt::format("{:.3g}T", v / 1e12);
  if (v >= 1e9) return fmt::format("{:.3g}G", v / 1e9);
  if (v >= 1e6) return fmt::format("{:.3g}M", v / 1e6);
  if (v >= 1e4) return fmt::format("{:.3g}k", v / 1e3);
  return fmt::format("{:.0f}", v);
}

std::string WorkEstimate::Describe() const {
  return fmt::format("about {} requests and {} events per strategy x {}", FormatCount(requests_per_strategy),
                     FormatCount(events_per_strategy), strategies);
}

WorkEstimate EstimateWork(const Scenario& scenario) {
  const WorldConfig& w = scenario.world;
  WorkEstimate e;
  e.strategies = scenario.strategies.size();
  const Duration horizon = w.warmup + w.duration;
  e.requests_per_strategy = ExpectedArrivals(w.traffic, horizon, scenario.trace.get());
  // Fleet restarts touch every server (detach, later a cold start).
  double restarts = static_cast<double>(w.isolates.restarts.size());
  if (w.isolates.restart_interval && *w.isolates.restart_interval > Duration()) {
    restarts += horizon.seconds() / w.isolates.restart_interval->seconds();
  }
  const double servers = static_cast<double>(
      ColoSet(w.colos, BaseRequestRateForServers(w.traffic, horizon, scenario.trace.get()))
          .total_servers());
  e.events_per_strategy = kEventsPerRequest * e.requests_per_strategy + restarts * servers;
  return e;
}

}  // namespace credsim
