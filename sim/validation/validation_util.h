// Helpers of the closed-form validation tests (docs/validation.md): small worlds built
// directly in C++, strategies made through the registry exactly as cli/runner.cc makes them,
// multi-seed runs, and the z statistics with which every statistical check is judged.
//
// Contract:
//  - ValidationWorld() is one colo in the STS region with `servers` servers, no network delay
//    (intra-region RTT 0, STS rtt 0), no cold-start delay, no JWT signing CPU, a constant STS
//    latency of 0 s, no STS stalls, errors, retries or rate limit, Cache API and Durable
//    Object I/O of 0 s, no Cache API put failures or LRU eviction, never-evicted isolates
//    (idle timeout 1e30 s, no random evictions, no restarts), warm-up 0 and no traffic
//    (rate 0). Each test then sets exactly the parameters its closed form names. Every
//    latency being a constant (0 unless a test says otherwise) makes the closed forms exact:
//    no event of the model happens at a random time except the arrivals and the quantities
//    under test.
//  - MakeStrategy() aborts the test (gtest fatal failure via ASSERT in the caller's check of
//    the returned pointer) when the kind is unknown or the params are rejected.
//  - RunOnce() runs one World and fails the test if a coroutine root failed.
//  - The z helpers return (observed - expected) / sd; a zero sd returns 0 when observed ==
//    expected and +/-inf otherwise.
#ifndef CREDSIM_SIM_VALIDATION_VALIDATION_UTIL_H_
#define CREDSIM_SIM_VALIDATION_VALIDATION_UTIL_H_

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <memory>
#include <string>
#include <string_view>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "sim/world/colos.h"
#include "sim/engine/distribution.h"
#include "sim/config/json_reader.h"
#include "sim/world/run_metrics.h"
#include "sim/engine/time.h"
#include "sim/world/world.h"
#include "sim/world/world_config.h"
#include "strategies/registry.h"
#include "strategies/ports/strategy.h"

namespace credsim::validation {

// The acceptance bound of every statistical check: |z| <= kMaxAbsZ. For a standard normal z
// the two-sided false-failure probability is 2 * (1 - Phi(4)) = 6.3e-5 per check.
inline constexpr double kMaxAbsZ = 4.0;

// Seconds → Duration.
inline Duration Secs(double s) { return Duration::FromSecondsF(s); }

// "Never" for the idle timeout: a constant far beyond any run (the world clamps it).
inline constexpr double kNeverSeconds = 1e30;

inline WorldConfig ValidationWorld(int servers = 1) {
  WorldConfig w;
  w.seed = 1;
  w.warmup = Duration();
  w.duration = Duration::Hours(1);
  w.interval = Duration::Minutes(1);

  ColoConfig colos = DefaultColoConfig();
  ColoSpec spec;
  spec.name = "val0";
  spec.region = colos.sts_region;  // same region as STS
  spec.weight = 1;
  spec.servers = servers;
  colos.list = {spec};
  colos.intra_region_rtt = Duration();
  w.colos = colos;

  w.isolates.cold_start = Distribution::Constant(0);
  w.isolates.cold_start_cpu = Duration();
  w.isolates.idle_eviction = Distribution::Constant(kNeverSeconds);
  w.isolates.random_evictions_per_hour = 0;
  w.isolates.max_lifetime.reset();
  w.isolates.restarts.clear();
  w.isolates.restart_interval.reset();

  w.sts.latency = Distribution::Constant(0);
  w.sts.rtt = Duration();
  w.sts.stall_probability = 0;
  w.sts.retries = StsRetryDefaults(StsRetryMode::kNone);
  w.sts.rate_limit.enabled = false;
  w.sts.errors = StsErrorMix{};
  w.sts.outages.clear();
  w.sts.signing_cpu = Distribution::Constant(0);

  w.cache_api.match_latency = Distribution::Constant(0);
  w.cache_api.put_latency = Distribution::Constant(0);
  w.cache_api.put_failure_probability = 0;
  w.cache_api.read_error_probability = 0;
  w.cache_api.lru_idle_eviction = Duration::Infinite();
  w.cache_api.eviction_probability = 0;

  w.durable_objects.service_time = Distribution::Constant(0);
  w.durable_objects.storage_latency = Distribution::Constant(0);

  w.traffic.roles = 1;
  w.traffic.sessions_per_role = 1;
  w.traffic.rate = 0;
  return w;
}

// A strategy made as cli/runner.cc makes it: registry lookup + factory over JSON params.
inline std::unique_ptr<Strategy> MakeStrategy(std::string_view kind,
                                              const nlohmann::json& params =
                                                  nlohmann::json::object()) {
  const StrategyRegistration* reg = FindStrategy(kind);
  if (reg == nullptr) {
    ADD_FAILURE() << "unknown strategy " << kind;
    return nullptr;
  }
  JsonReader reader(params, "params");
  absl::StatusOr<std::unique_ptr<Strategy>> s = reg->create(reader);
  if (!s.ok()) {
    ADD_FAILURE() << kind << ": " << s.status();
    return nullptr;
  }
  return std::move(*s);
}

// Runs `config` with a fresh strategy of `kind`; `setup` (may be null) is called on the world
// before Run() (e.g. to schedule exact arrivals on world.queue()).
template <typename Setup>
RunMetrics RunOnce(const WorldConfig& config, std::string_view kind,
                   const nlohmann::json& params, Setup&& setup) {
  std::unique_ptr<Strategy> strategy = MakeStrategy(kind, params);
  if (!strategy) return RunMetrics(Time(), Time(), config.interval);
  World world(config, nullptr, *strategy);
  setup(world);
  const RunMetrics& m = world.Run();
  EXPECT_FALSE(world.failed()) << world.failure_message();
  return m;  // copy: the world dies here
}
inline RunMetrics RunOnce(const WorldConfig& config, std::string_view kind,
                          const nlohmann::json& params = nlohmann::json::object()) {
  return RunOnce(config, kind, params, [](World&) {});
}

inline uint64_t Errors(const RunMetrics& m, int status) {
  return m.errors[RunMetrics::ErrorIndex(status)];
}

inline double Z(double observed, double expected, double sd) {
  if (sd > 0) return (observed - expected) / sd;
  if (observed == expected) return 0;
  return observed > expected ? std::numeric_limits<double>::infinity()
                             : -std::numeric_limits<double>::infinity();
}

// z of a binomial proportion: `successes` of `n` independent trials, success probability p.
inline double BinomialZ(double successes, double n, double p) {
  return Z(successes, n * p, std::sqrt(n * p * (1 - p)));
}

// z of the difference of two independent proportions estimated from n1 and n2 trials with
// common success probability p (the closed form).
inline double TwoSampleZ(double s1, double n1, double s2, double n2, double p) {
  return Z(s1 / n1 - s2 / n2, 0, std::sqrt(p * (1 - p) * (1 / n1 + 1 / n2)));
}

// One line per check, grep-able in `ctest -V` output ("VALIDATION ..."), the source of the
// table in docs/validation.md.
inline void Report(std::string_view check, double expected, double measured, double z) {
  std::printf("VALIDATION %-48s expected=%-12.6g measured=%-12.6g z=%+.2f\n",
              std::string(check).c_str(), expected, measured, z);
  std::fflush(stdout);
}

}  // namespace credsim::validation

#endif  // CREDSIM_SIM_VALIDATION_VALIDATION_UTIL_H_
