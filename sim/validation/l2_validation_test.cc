// The L2 tier of `l1_l2` (per-colo Cache API, PR #175) as a non-reset TTL cache
// (docs/validation.md, check 4).
//
// Closed form: for one key with Poisson lookups of rate lambda, a miss stores an entry with
// TTL T = lifetime - l2_ttl_lead that hits are not allowed to extend. The lookups form
// regenerative cycles "one miss, then every lookup within T of it hits, then the first lookup
// after T misses"; hits per cycle H ~ Poisson(lambda T) (arrivals in a window of fixed length
// T), so the hit ratio is E[H] / (1 + E[H]) = lambda T / (1 + lambda T) (renewal-reward).
// A TTL reset by every hit would give 1 - e^{-lambda T} instead (for lambda T = 2: 0.865
// against 0.667), a TTL counted from the credential's issue plus latency would shift T.
//
// Statistic: given the misses K (one per cycle), the hits of the K - 1 complete cycles are
// i.i.d. Poisson(lambda T), independent of K (K depends only on the gaps after each window).
// The last cycle is cut by the end of the run: with the run's end at a stationary age A of
// the cycle (length mu = T + 1/lambda, P(A in da) = da / mu for a < T), it holds on average
// lambda E[min(A, T)] = lambda (T - T^2 / (2 mu)) hits, i.e. c = lambda T^2 / (2 mu) fewer
// than a full cycle. Hence, summed over keys and seeds,
//   E[hits] = lambda T misses - c * keys,   Var[hits] ~= lambda T misses,
//   z = (hits - lambda T misses + c keys) / sqrt(lambda T misses).
// Tolerance |z| <= 4 (6.3e-5 false failures per check under the normal approximation; the
// Poisson totals are >= 5 000 here). The truncation term is ~1 sd for lambda T = 8, so the
// correction matters; its own error (the end's age is only
// approximately stationary and independent of K) is a small fraction of it.
//
// Scenario: ValidationWorld, one server, idle timeout 0 (every request lands on a fresh
// isolate, so L1 is empty and every request matches L2: L1 is irrelevant), all latencies 0
// (no concurrent misses; the put happens at the miss instant, so the entry's TTL is exactly
// E - now - 300 s = lifetime - 300 s), no put failures, LRU idle eviction off, lifetime 900 s
// (T = 600 s), 20 roles (independent keys) of rate lambda each, 48 h, 6 seeds, lambda T in
// {0.5, 2, 8}. Signal: RunMetrics::cache_hits / cache_matches (every request makes exactly one
// Cache API match; hits are also served_from[l2]).
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "fmt/format.h"
#include "gtest/gtest.h"
#include "sim/validation/validation_util.h"

namespace credsim::validation {
namespace {

TEST(L2Validation, HitRatioOfANonResetTtlCache) {
  constexpr double kLifetime = 900, kLead = 300, kT = kLifetime - kLead;
  constexpr int kRoles = 20, kSeeds = 6;
  for (const double lt : {0.5, 2.0, 8.0}) {
    const double lambda = lt / kT;
    double hits = 0, matches = 0;
    for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
      WorldConfig w = ValidationWorld(1);
      w.seed = seed;
      w.duration = Duration::Hours(48);
      w.isolates.idle_eviction = Distribution::Constant(0);
      w.sts.credential_duration = Duration::Seconds(static_cast<int64_t>(kLifetime));
      w.traffic.roles = kRoles;
      w.traffic.role_rates.assign(kRoles, lambda);
      const RunMetrics m = RunOnce(w, "l1_l2", {{"l2_ttl_lead", "300s"}});
      ASSERT_EQ(m.cache_matches, m.requests) << "seed " << seed << ": L1 was not bypassed";
      EXPECT_EQ(m.served_from[static_cast<int>(Tier::kL1)], 0u);
      EXPECT_EQ(m.served_from[static_cast<int>(Tier::kL2)], m.cache_hits);
      EXPECT_EQ(m.served_from[static_cast<int>(Tier::kSts)], m.cache_matches - m.cache_hits);
      EXPECT_EQ(m.sts_calls, m.cache_matches - m.cache_hits);
      hits += static_cast<double>(m.cache_hits);
      matches += static_cast<double>(m.cache_matches);
    }
    const double misses = matches - hits;
    const double mu = kT + 1 / lambda;
    const double truncation = lambda * kT * kT / (2 * mu) * kRoles * kSeeds;
    const double z = Z(hits, lt * misses - truncation, std::sqrt(lt * misses));
    Report(fmt::format("l2 hit ratio, lambda*T={}", lt), lt / (1 + lt), hits / matches, z);
    EXPECT_LE(std::abs(z), kMaxAbsZ)
        << "lambda T = " << lt << ": hit ratio " << hits / matches << ", expected "
        << lt / (1 + lt) << " (" << hits << " hits, " << misses << " misses)";
  }
}

}  // namespace
}  // namespace credsim::validation
