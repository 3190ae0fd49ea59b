// Herds (docs/validation.md, checks 5 and 6): the v0 renewal stampede and its single-flight
// cure, and the #197 shape (80 concurrent cold requests in one isolate).
#include <cmath>
#include <cstdint>
#include <string>

#include "fmt/format.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "sim/validation/validation_util.h"

namespace credsim::validation {
namespace {

// Setting of check 5: one never-evicted isolate (ValidationWorld, one server), one key with
// Poisson arrivals of rate lambda = 2/s, constant STS latency d = 1 s and nothing else that
// takes time (no signing CPU, no RTT, 0-s Durable Object I/O), lifetime 900 s, L1 lead 60 s,
// D = 6 h. An "expiry" is the moment the cached credential enters its last `lead` seconds;
// the first request after it starts the renewal, which completes d later.
constexpr double kLambda = 2, kD = 1;
constexpr int64_t kLifetime = 900, kLead = 60;
constexpr Duration kRun = Duration::Hours(6);
// Expiries in the run (the first fetch at t ~ 0 counts as one): 1 + floor(21600 / 840) = 26.
// The cycle drifts by ~ 1/lambda + 2 d per expiry (~ 65 s over the run), far from the 240 s
// that would add an expiry.
constexpr uint64_t kExpiries = 1 + static_cast<uint64_t>(kRun.seconds()) / (kLifetime - kLead);

WorldConfig StampedeWorld(uint64_t seed) {
  WorldConfig w = ValidationWorld(1);
  w.seed = seed;
  w.duration = kRun;
  w.traffic.rate = kLambda;
  w.sts.latency = Distribution::Constant(kD);
  w.sts.credential_duration = Duration::Seconds(kLifetime);
  return w;
}

// Check 5a: `l1` v0 (no single-flight) makes 1 + lambda d STS calls per expiry on average.
//
// Closed form: at an expiry the first request fetches; every request arriving during the
// d seconds before that fetch stores its credential also misses and fetches. Their number is
// Poisson(lambda d), independent across expiries (disjoint windows of a Poisson process), so
// calls = K + P with P ~ Poisson(K lambda d) over K expiries (K = kExpiries per seed, as in
// check 2), and z = (calls - K (1 + lambda d)) / sqrt(K lambda d).
// Tolerance |z| <= 4 (Poisson total ~ 420, normal approximation: 6.3e-5 false failures).
// Detects: single-flight in v0 (z ~ -20), a stampede window of 2 d or 0 (z ~ +20 / -20).
// 8 seeds.
TEST(StampedeValidation, V0StampedeIsOnePlusLambdaDPerExpiry) {
  constexpr int kSeeds = 8;
  double calls = 0;
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    const RunMetrics m = RunOnce(StampedeWorld(seed), "l1",
                                 {{"variant", "v0"}, {"refresh_lead", "60s"}});
    EXPECT_EQ(m.cold_starts, 1u);
    EXPECT_EQ(m.expired_credential_uses, 0u);
    calls += static_cast<double>(m.sts_calls);
  }
  const double k = static_cast<double>(kExpiries) * kSeeds;
  const double z = Z(calls, k * (1 + kLambda * kD), std::sqrt(k * kLambda * kD));
  Report("l1 v0 STS calls per expiry (lambda*d=2)", 1 + kLambda * kD, calls / k, z);
  EXPECT_LE(std::abs(z), kMaxAbsZ) << calls / k << " calls per expiry";
}

// Check 5b: the same stampede behind `do_singleflight` costs exactly 1 STS call per expiry.
//
// Closed form: calls = K exactly. The L1 in front is v0, so every request of the window still
// misses L1 and reaches the role's Durable Object, which coalesces them into its one fill
// (the object's do_refresh_lead of 5 min > the L1 lead, so an L1 renewal always finds the
// object's credential due as well and refreshes it once). Also with the strategy's default
// L1 (v2). Tolerance: none (exact), 8 seeds per L1 variant.
TEST(StampedeValidation, DurableObjectSingleflightIsExactlyOneCallPerExpiry) {
  for (const char* variant : {"v0", "v2"}) {
    for (uint64_t seed = 1; seed <= 8; ++seed) {
      const RunMetrics m = RunOnce(StampedeWorld(seed), "do_singleflight",
                                   {{"variant", variant}, {"refresh_lead", "60s"}});
      EXPECT_EQ(m.sts_calls, kExpiries) << "L1 " << variant << ", seed " << seed;
      EXPECT_EQ(m.expired_credential_uses, 0u);
      EXPECT_EQ(m.served_from[static_cast<int>(Tier::kSts)], 0u) << "no overload fallback";
      if (seed == 1) {
        Report(fmt::format("do_singleflight (L1 {}) STS calls per expiry", variant), 1,
               static_cast<double>(m.sts_calls) / static_cast<double>(kExpiries),
               Z(static_cast<double>(m.sts_calls), static_cast<double>(kExpiries), 0));
      }
    }
  }
}

// Check 6: the #197 shape. 80 requests for one key arrive within 8 ms at a cold isolate
// (cold start 20 ms, so all 80 enter GetCredentials together when it is ready); STS latency
// is the default lognormal (median 150 ms, p99 1 s), so every fetch is still in flight when
// the 80 decide.
// Closed forms (sources.md §S2, docs/platform-conformance.md#v1-lock-herd):
//   v1 on Workers (cross-request waits cancelled, per-waiter promise): the first request
//     takes the lock and fetches; the 79 waiters are cancelled by the runtime at once:
//     79 x 500 and 1 STS call;
//   v2: a cold key is not single-flighted (no entry, no claim): 80 STS calls, 0 x 500;
//   v1 on a native runtime (waits allowed): 1 STS call, 0 x 500 (the lock works);
//   v0: 80 STS calls, 0 x 500.
// Tolerance: none (exact), 5 seeds.
TEST(HerdValidation, Issue197Shape) {
  struct Case {
    const char* variant;
    bool workers;  // cross_request_waits_cancelled
    uint64_t calls;
    uint64_t errors_500;
  };
  const Case cases[] = {
      {"v1", true, 1, 79}, {"v2", true, 80, 0}, {"v1", false, 1, 0}, {"v0", true, 80, 0}};
  constexpr int kHerd = 80;
  for (const Case& c : cases) {
    for (uint64_t seed = 1; seed <= 5; ++seed) {
      WorldConfig w = ValidationWorld(1);
      w.seed = seed;
      w.duration = Duration::Minutes(1);
      w.isolates.cold_start = Distribution::Constant(0.020);
      w.sts.latency = Distribution::LogNormal(0.15, 1.0);
      w.workers.cross_request_waits_cancelled = c.workers;
      const RunMetrics m = RunOnce(w, "l1", {{"variant", c.variant}}, [](World& world) {
        for (int i = 0; i < kHerd; ++i) {
          world.queue().Schedule(Time() + Duration::Seconds(1) + Duration::Micros(100 * i),
                                 [&world] { world.OnArrival(Arrival{0, 0, 0, 0}); });
        }
      });
      const std::string what = fmt::format("{} ({}), seed {}", c.variant,
                                           c.workers ? "Workers" : "native", seed);
      EXPECT_EQ(m.requests, static_cast<uint64_t>(kHerd)) << what;
      EXPECT_EQ(m.cold_starts, 1u) << what;
      EXPECT_EQ(m.cold_requests, static_cast<uint64_t>(kHerd)) << what;
      EXPECT_EQ(m.sts_calls, c.calls) << what;
      EXPECT_EQ(Errors(m, 500), c.errors_500) << what;
      EXPECT_EQ(m.cancelled_by_runtime, c.errors_500) << what;
      uint64_t served = 0;
      for (uint64_t n : m.served_from) served += n;
      EXPECT_EQ(served, kHerd - c.errors_500) << what;
      if (seed == 1) {
        Report(fmt::format("#197 {} ({}): STS calls", c.variant, c.workers ? "Workers" : "native"),
               static_cast<double>(c.calls), static_cast<double>(m.sts_calls),
               Z(static_cast<double>(m.sts_calls), static_cast<double>(c.calls), 0));
        Report(fmt::format("#197 {} ({}): 500s", c.variant, c.workers ? "Workers" : "native"),
               static_cast<double>(c.errors_500), static_cast<double>(Errors(m, 500)),
               Z(static_cast<double>(Errors(m, 500)), static_cast<double>(c.errors_500), 0));
      }
    }
  }
}

}  // namespace
}  // namespace credsim::validation
