// Exact call counts (docs/validation.md, checks 1 and 2): no statistics, every seed must
// match the closed form exactly.
#include <cstdint>
#include <string>

#include "fmt/format.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "sim/validation/validation_util.h"

namespace credsim::validation {
namespace {

// Check 1: `none` makes exactly one STS call per request.
//
// Closed form: sts_calls = requests, exactly, in every run.
// Scenario: the default world (330 colos, lognormal STS latency with 0.1 % stalls into the
// 10 s timeout, the 600/s STS quota, 30 s edge timeout, cold starts), warm-up 0, 10 min at
// 50 requests/s, with the traffic switched off in the last minute (piecewise curve) so that
// every request's STS attempt arrives inside the measurement window (requests are counted at
// their arrival, STS calls at the attempt's arrival at STS, a few ms to ~1 s later). A second
// variant squeezes the STS quota to 20/s so that most calls are throttled (a 502, StatusFor) and adds 2 %
// stalls: throttled and timed-out attempts are calls too, and `none` never retries.
// Tolerance: none (exact equality); 8 seeds each.
TEST(NoneValidation, StsCallsEqualRequestsExactly) {
  uint64_t total_requests = 0, total_calls = 0, total_502 = 0;
  for (const bool squeezed : {false, true}) {
    for (uint64_t seed = 1; seed <= 8; ++seed) {
      WorldConfig w;  // the defaults
      w.seed = seed;
      w.warmup = Duration();
      w.duration = Duration::Minutes(10);
      w.traffic.rate = 50;
      w.traffic.curve = TrafficConfig::Curve::kPiecewise;
      w.traffic.points = {CurvePoint{Duration(), 1.0}, CurvePoint{Duration::Minutes(9), 0.0}};
      if (squeezed) {
        w.sts.rate_limit.rate_per_s = 20;
        w.sts.rate_limit.burst = 20;
        w.sts.stall_probability = 0.02;
      }
      const RunMetrics m = RunOnce(w, "none");
      ASSERT_GT(m.requests, 20000u) << "seed " << seed;
      EXPECT_EQ(m.sts_calls, m.requests) << "seed " << seed << (squeezed ? " squeezed" : "");
      if (squeezed) {
        EXPECT_GT(m.sts_throttled, m.requests / 2) << "seed " << seed;
        EXPECT_GT(m.sts_timeouts, 0u) << "seed " << seed;
        total_502 += Errors(m, 502);  // Throttling -> 502 (StatusFor)
      }
      total_requests += m.requests;
      total_calls += m.sts_calls;
    }
  }
  Report("none: STS calls / requests", 1.0,
         static_cast<double>(total_calls) / static_cast<double>(total_requests),
         Z(static_cast<double>(total_calls), static_cast<double>(total_requests), 0));
  EXPECT_GT(total_502, 0u);
}

// Check 2: L1 renewals of one never-evicted isolate under dense traffic.
//
// Closed form: STS calls over a run of length D = 1 + floor(D / (lifetime - lead)).
// Derivation: the first request (t ~ 0) fetches; a credential issued at I is served while
// E = I + lifetime > now + lead, so the first request at or after I + lifetime - lead renews
// it (v2: one claimant; the others serve the old credential while it has > min_serve left).
// The first request must be alone: a v2 cold key is not single-flighted, so a second request
// arriving while the first fetch is in flight would fetch too (that is checks 5/6's herd, not
// a renewal). So one request arrives at t = 0 exactly (World::OnArrival from an event on the
// queue) and the Poisson traffic starts at t = 1 s (piecewise curve), after that fetch.
// Renewal k happens at k (lifetime - lead) + k * eps, where eps (the wait for the next
// arrival plus the STS latency, ~2.2 s here) accumulates; the formula is exact as long as
// the accumulated drift stays below the distance of D / (lifetime - lead) to the next
// integer, which the cases below leave at >= 5 minutes.
// Scenario: ValidationWorld (one colo, one server, idle timeout 1e30 s = never evicted, no
// stalls or errors), constant STS latency 150 ms, Poisson 0.5 request/s (mean gap 2 s << the
// 60 s lead: "dense"), `l1` with its defaults (v2, refresh_lead 60 s) or another lead.
// Tolerance: none (exact), 6 seeds per case. Detects: a missing lead (case 2: 25 instead of 26), a
// renewal on every request after the lead (hundreds), an isolate that is evicted or never
// stores (one call per request).
TEST(L1Validation, RenewalCountOfANeverEvictedIsolate) {
  struct Case {
    int64_t lifetime_s;
    int64_t lead_s;
    Duration run;
  };
  const Case cases[] = {
      {3600, 60, Duration::Hours(24)},  // 86400 / 3540 = 24.41 -> 25
      {900, 60, Duration::Hours(6)},    // 21600 / 840 = 25.71 -> 26
      {3600, 300, Duration::Hours(10)}, // 36000 / 3300 = 10.91 -> 11
  };
  for (const Case& c : cases) {
    const int64_t cycle = c.lifetime_s - c.lead_s;
    const uint64_t expected = 1 + static_cast<uint64_t>(c.run.seconds()) / cycle;
    for (uint64_t seed = 1; seed <= 6; ++seed) {
      WorldConfig w = ValidationWorld(1);
      w.seed = seed;
      w.duration = c.run;
      w.traffic.rate = 0.5;
      w.traffic.curve = TrafficConfig::Curve::kPiecewise;
      w.traffic.points = {CurvePoint{Duration(), 0.0}, CurvePoint{Duration::Seconds(1), 1.0}};
      w.sts.latency = Distribution::Constant(0.15);
      w.sts.credential_duration = Duration::Seconds(c.lifetime_s);
      nlohmann::json params = {{"variant", "v2"}, {"refresh_lead", std::to_string(c.lead_s) + "s"}};
      const RunMetrics m = RunOnce(w, "l1", params, [](World& world) {
        world.queue().Schedule(Time(), [&world] { world.OnArrival(Arrival{0, 0, 0, 0}); });
      });
      EXPECT_EQ(m.cold_starts, 1u) << "seed " << seed;
      EXPECT_EQ(m.sts_calls, expected)
          << "lifetime " << c.lifetime_s << " s, lead " << c.lead_s << " s, D "
          << c.run.seconds() << " s, seed " << seed;
      EXPECT_EQ(m.served_from[static_cast<int>(Tier::kSts)] +
                    m.served_from[static_cast<int>(Tier::kL1)],
                m.requests);
      EXPECT_EQ(m.expired_credential_uses, 0u);
      if (seed == 1) {
        Report(fmt::format("l1 v2 renewals L={}s lead={}s D={}h", c.lifetime_s, c.lead_s,
                           c.run.seconds() / 3600),
               static_cast<double>(expected), static_cast<double>(m.sts_calls),
               Z(static_cast<double>(m.sts_calls), static_cast<double>(expected), 0));
      }
    }
  }
}

}  // namespace
}  // namespace credsim::validation
