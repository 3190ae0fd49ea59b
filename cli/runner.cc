#include "cli/runner.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <thread>

#include "cli/fingerprint.h"
#include "cli/replicated_results.h"
#include "cli/results.h"
#include "fmt/format.h"
#include "sim/world/world.h"
#include "strategies/ports/strategy.h"
#include "strategies/registry.h"

namespace credsim {

std::vector<uint64_t> ReplicationSeeds(const Scenario& scenario) {
  std::vector<uint64_t> seeds;
  for (uint64_t r = 0; r < scenario.replications; ++r) seeds.push_back(scenario.world.seed + r);
  return seeds;
}

absl::StatusOr<ReplicationRuns> RunReplications(const Scenario& scenario,
                                                const std::vector<uint64_t>& seeds,
                                                const RunOptions& options) {
  const size_t n = scenario.strategies.size();
  const size_t tasks = n * seeds.size();
  ReplicationRuns results;
  results.first.resize(n);
  results.values.assign(seeds.size(), std::vector<nlohmann::json>(n));
  std::vector<absl::Status> errors(tasks);
  std::atomic<size_t> next{0};
  std::mutex progress_mu;
  size_t done = 0;

  auto work = [&] {
    for (size_t task = next++; task < tasks; task = next++) {
      const size_t r = task / n, i = task % n;
      const StrategySpec& spec = scenario.strategies[i];
      try {
        JsonReader params(spec.params, fmt::format("strategies[{}].params", i));
        absl::StatusOr<std::unique_ptr<Strategy>> strategy;
        if (options.create_strategy) {
          strategy = options.create_strategy(spec, params);
        } else {
          const StrategyRegistration* reg = FindStrategy(spec.kind);
          strategy = reg ? reg->create(params)
                         : absl::StatusOr<std::unique_ptr<Strategy>>(
                               absl::InvalidArgumentError("unknown strategy " + spec.kind));
        }
        if (!strategy.ok()) {
          errors[task] = strategy.status();
          continue;
        }
        // Wall-clock time is used for the progress line only; it never reaches the simulation.
        const auto t0 = std::chrono::steady_clock::now();
        WorldConfig config = scenario.world;
        config.seed = seeds[r];
        World world(config, scenario.trace, **strategy);
        const RunMetrics& m = world.Run();
        if (world.failed()) {
          errors[task] = absl::InternalError(
              fmt::format("strategy {}: {}", spec.name, world.failure_message()));
          continue;
        }
        nlohmann::json entry = StrategyResult(spec, (*strategy)->params(), m, config);
        results.values[r][i] = ScalarValues(entry);
        if (r == 0) results.first[i] = std::move(entry);
        if (options.progress) {
          const double secs =
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
          std::lock_guard<std::mutex> lock(progress_mu);
          ++done;
          const std::string rep =
              seeds.size() > 1 ? fmt::format(" (replication {}, seed {})", r, seeds[r]) : "";
          std::fprintf(stderr, "[%s] %zu/%zu %s%s: %llu requests, %llu STS calls (%.1f s)\n",
                       scenario.name.c_str(), done, tasks, spec.name.c_str(), rep.c_str(),
                       static_cast<unsigned long long>(m.requests),
                       static_cast<unsigned long long>(m.sts_calls), secs);
        }
      } catch (const std::exception& e) {
        errors[task] = absl::InternalError(fmt::format("strategy {}: {}", spec.name, e.what()));
      }
    }
  };
  const int threads = std::max(1, std::min<int>(options.threads, static_cast<int>(tasks)));
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  for (const absl::Status& s : errors) {
    if (!s.ok()) return s;
  }
  return results;
}

absl::StatusOr<nlohmann::json> RunScenario(const Scenario& scenario, const RunOptions& options) {
  const std::vector<uint64_t> seeds = ReplicationSeeds(scenario);
  absl::StatusOr<std::string> sha = ScenarioSha256(scenario);
  if (!sha.ok()) return sha.status();
  auto runs = RunReplications(scenario, seeds, options);
  if (!runs.ok()) return runs.status();
  std::vector<nlohmann::json> entries;
  for (size_t i = 0; i < scenario.strategies.size(); ++i) {
    std::vector<nlohmann::json> values;
    for (const auto& rep : runs->values) values.push_back(rep[i]);
    entries.push_back(Replicate(std::move(runs->first[i]), values, seeds));
  }
  nlohmann::json j = ScenarioResult(scenario, std::move(entries));
  j["fingerprint"] = ResultsFingerprint(scenario, *sha);
  return j;
}

}  // namespace credsim
