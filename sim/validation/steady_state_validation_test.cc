// Steady state (issue 11 item 12): with "initial_state": "steady" the STS calls per interval
// of a steady scenario show no wave at one credential lifetime, for every strategy; with
// "cold" the same check finds the wave (so the test can fail).
//
// Statistic: the run is cut into 5-minute intervals; c_i is the number of STS calls in
// interval i summed over kSeeds replications. The "wave" interval W is the busiest of the
// intervals 40-70 min after t = 0, where a fleet that filled at t = 0 renews (L1 60 s, L2
// 300 s and the DO alarm 10-15 min before expiry). The other intervals give
// the mean m and standard deviation s of an ordinary interval (their empirical spread
// includes the over-dispersion of cold-start bursts, which a Poisson sd would ignore).
// z = (c_W - m) / s. Steady: z <= 4 (the maximum of 6 intervals of an ordinary series
// exceeds 4 sd with probability well below 1e-3 even for heavy-ish tails). Cold: the fill
// wave puts every key's renewal into W, z >> 4; the test asserts z > 4 for the strategies
// that cache outside a single request.
#include <algorithm>
#include <cmath>
#include <iostream>
#include <string>
#include <vector>

#include "cli/runner.h"
#include "cli/scenario.h"
#include "fmt/format.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "strategies/registry.h"

namespace credsim {
namespace {

constexpr int kSeeds = 6;

struct Wave {
  double z = 0;
  double wave = 0;
  double mean = 0;
};

// STS calls per 5-minute interval for every strategy of the scenario, summed over seeds.
std::vector<std::pair<std::string, std::vector<double>>> CallsPerInterval(
    const std::string& initial_state) {
  std::vector<std::pair<std::string, std::vector<double>>> out;
  for (int seed = 1; seed <= kSeeds; ++seed) {
    const std::string text = fmt::format(R"({{
      "name": "steady-check", "seed": {}, "duration": "2h", "warmup": "5m",
      "timeseries_interval": "5m", "initial_state": "{}",
      "world": {{"colos": {{"count": 30}}}},
      "traffic": {{"roles": 24, "rate": 12}},
      "strategies": "all"}})",
                                         seed, initial_state);
    auto sc = ParseScenario(nlohmann::json::parse(text), "steady-check", ".");
    EXPECT_TRUE(sc.ok()) << sc.status();
    if (!sc.ok()) return {};
    EXPECT_TRUE(SelectStrategies("all", &*sc).ok());
    RunOptions options;
    auto results = RunScenario(*sc, options);
    EXPECT_TRUE(results.ok()) << results.status();
    if (!results.ok()) return {};
    const auto& strategies = (*results)["strategies"];
    if (out.empty()) {
      for (const auto& s : strategies) out.push_back({s["name"].get<std::string>(), {}});
    }
    for (size_t k = 0; k < strategies.size(); ++k) {
      const auto& calls = strategies[k]["timeseries"]["sts_calls"];
      auto& acc = out[k].second;
      acc.resize(calls.size(), 0);
      for (size_t i = 0; i < calls.size(); ++i) acc[i] += calls[i].get<double>();
    }
  }
  return out;
}

// Intervals start at t = 5 min (the warm-up): interval i covers [5 + 5i, 10 + 5i) min.
Wave WaveAtOneLifetime(const std::vector<double>& c) {
  Wave w;
  std::vector<double> rest;
  for (size_t i = 0; i < c.size(); ++i) {
    const double start_min = 5 + 5.0 * static_cast<double>(i);
    if (start_min >= 40 && start_min < 70) {
      w.wave = std::max(w.wave, c[i]);
    } else {
      rest.push_back(c[i]);
    }
  }
  double sum = 0;
  for (double v : rest) sum += v;
  w.mean = sum / static_cast<double>(rest.size());
  double ss = 0;
  for (double v : rest) ss += (v - w.mean) * (v - w.mean);
  // A floor of sqrt(mean) (the Poisson sd) keeps a near-constant series from dividing by 0.
  const double sd = std::max(std::sqrt(ss / static_cast<double>(rest.size() - 1)),
                             std::sqrt(std::max(w.mean, 1.0)));
  w.z = (w.wave - w.mean) / sd;
  return w;
}

TEST(SteadyStateValidation, NoRenewalWaveAtOneLifetimeForAnyStrategy) {
  const auto series = CallsPerInterval("steady");
  ASSERT_FALSE(series.empty());
  for (const auto& [name, calls] : series) {
    const Wave w = WaveAtOneLifetime(calls);
    std::cout << "VALIDATION steady " << name << " wave=" << w.wave << " mean=" << w.mean
              << " z=" << w.z << "\n";
    EXPECT_LE(w.z, 4.0) << name << ": wave interval " << w.wave << " STS calls vs mean "
                        << w.mean << " per interval (" << kSeeds << " seeds)";
  }
}

TEST(SteadyStateValidation, ColdStartShowsTheWave) {
  const auto series = CallsPerInterval("cold");
  ASSERT_FALSE(series.empty());
  for (const auto& [name, calls] : series) {
    const Wave w = WaveAtOneLifetime(calls);
    std::cout << "VALIDATION cold " << name << " wave=" << w.wave << " mean=" << w.mean
              << " z=" << w.z << "\n";
    // `none` calls STS per request: nothing is cached, so there is no wave to find.
    if (name == "none") {
      EXPECT_LE(w.z, 4.0) << name;
      continue;
    }
    EXPECT_GT(w.z, 4.0) << name << ": wave " << w.wave << " vs mean " << w.mean;
  }
}

}  // namespace
}  // namespace credsim
