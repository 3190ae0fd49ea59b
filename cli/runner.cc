#include "cli/runner.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <thread>

#include "cli/results.h"
#include "fmt/format.h"
#include "sim/world/world.h"
#include "strategies/ports/strategy.h"
#include "strategies/registry.h"

namespace credsim {

absl::StatusOr<nlohmann::json> RunScenario(const Scenario& scenario, const RunOptions& options) {
  const size_t n = scenario.strategies.size();
  std::vector<nlohmann::json> results(n);
  std::vector<absl::Status> errors(n);
  std::atomic<size_t> next{0};
  std::mutex progress_mu;
  size_t done = 0;

  auto work = [&] {
    for (size_t i = next++; i < n; i = next++) {
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
          errors[i] = strategy.status();
          continue;
        }
        // Wall-clock time is used for the progress line only; it never reaches the simulation.
        const auto t0 = std::chrono::steady_clock::now();
        World world(scenario.world, scenario.trace, **strategy);
        const RunMetrics& m = world.Run();
        if (world.failed()) {
          errors[i] = absl::InternalError(
              fmt::format("strategy {}: {}", spec.name, world.failure_message()));
          continue;
        }
        results[i] = StrategyResult(spec, (*strategy)->params(), m, scenario.world);
        if (options.progress) {
          const double secs =
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
          std::lock_guard<std::mutex> lock(progress_mu);
          ++done;
          std::fprintf(stderr, "[%s] %zu/%zu %s: %llu requests, %llu STS calls (%.1f s)\n",
                       scenario.name.c_str(), done, n, spec.name.c_str(),
                       static_cast<unsigned long long>(m.requests),
                       static_cast<unsigned long long>(m.sts_calls), secs);
        }
      } catch (const std::exception& e) {
        errors[i] = absl::InternalError(fmt::format("strategy {}: {}", spec.name, e.what()));
      }
    }
  };
  const int threads = std::max(1, std::min<int>(options.threads, static_cast<int>(n)));
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  for (const absl::Status& s : errors) {
    if (!s.ok()) return s;
  }
  return ScenarioResult(scenario, std::move(results));
}

}  // namespace credsim
