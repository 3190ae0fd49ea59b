// Cold-start fraction of idle eviction against its closed forms (docs/validation.md, check 3).
//
// Model under test (sim/world.h, issue 11 item 1): an isolate is evicted when no request has
// arrived for an idle timeout X, measured from the last arrival, with a fresh X drawn for
// every idle period. A request is cold iff it finds its server without a live isolate.
//
// Closed forms, per server with Poisson arrivals of rate lambda: the gap G before a request
// is Exp(lambda), independent of the past, and the request is cold iff G > X (the isolate
// died during the gap), with X independent of G:
//   deterministic X = T:    P(cold) = P(G > T)   = e^{-lambda T};
//   exponential, mean T:    P(cold) = E[e^{-lambda X}] = 1 / (1 + lambda T)
//                           (the Laplace transform of Exp(mean T) at lambda).
// Since gaps and timeouts are i.i.d. across requests, cold indicators are i.i.d. Bernoulli(p):
// the number of cold starts among N requests is Binomial(N, p) exactly, so
//   z = (cold_starts - N p) / sqrt(N p (1 - p)).
// Neither form involves the run length: the fraction over 24 h and over 240 h must agree
// (two-sample z of the difference of the two proportions).
//
// Tolerance |z| <= 4: under the model z is standard normal to a very good approximation
// (N p >= 2 000 in every case), so a correct model fails a check with probability 6.3e-5.
// Defects detected: with one timeout per isolate reused after every arrival (the pre-fix
// world) surviving isolates are those with long timeouts; for lambda T = 1 the expected
// number of requests per isolate, E[e^{lambda X}], is infinite, so the cold fraction keeps
// falling with run length, far below 1/(1 + lambda T) = 0.5 (z of tens to hundreds).
//
// Scenario: ValidationWorld with 4 servers (each an independent Poisson stream of rate
// lambda, the colo's rate split uniformly), `none` (the strategy is irrelevant to cold
// starts), zero latencies everywhere (idle time from the last arrival = idle time from the
// last completion), T = 60 s, warm-up 10 min (so the first, necessarily cold, request of each
// server is not measured; P(no arrival in the warm-up) <= e^{-10}).
#include <cmath>
#include <cstdint>
#include <string>

#include "fmt/format.h"
#include "gtest/gtest.h"
#include "sim/validation/validation_util.h"

namespace credsim::validation {
namespace {

constexpr int kServers = 4;
constexpr double kT = 60;  // s

struct ColdTally {
  double cold = 0;
  double requests = 0;
};

ColdTally RunCold(const Distribution& idle, double lambda_t, Duration run, uint64_t first_seed,
                  int seeds) {
  ColdTally t;
  for (uint64_t seed = first_seed; seed < first_seed + seeds; ++seed) {
    WorldConfig w = ValidationWorld(kServers);
    w.seed = seed;
    w.warmup = Duration::Minutes(10);
    w.duration = run;
    w.isolates.idle_eviction = idle;
    w.traffic.rate = kServers * lambda_t / kT;
    const RunMetrics m = RunOnce(w, "none");
    t.cold += static_cast<double>(m.cold_starts);
    t.requests += static_cast<double>(m.requests);
  }
  return t;
}

void CheckFraction(const std::string& name, const ColdTally& t, double p) {
  const double z = BinomialZ(t.cold, t.requests, p);
  Report(name, p, t.cold / t.requests, z);
  EXPECT_LE(std::abs(z), kMaxAbsZ) << name << ": expected cold fraction " << p << ", measured "
                                   << t.cold / t.requests << " over " << t.requests
                                   << " requests";
}

// Deterministic timeout T: cold fraction e^{-lambda T}, lambda T in {1, 3}; 8 seeds x 24 h.
TEST(ColdStartValidation, DeterministicIdleTimeoutGivesExpMinusLambdaT) {
  for (const double lt : {1.0, 3.0}) {
    const ColdTally t = RunCold(Distribution::Constant(kT), lt, Duration::Hours(24), 1, 8);
    CheckFraction(fmt::format("cold fraction, constant T, lambda*T={}", lt), t, std::exp(-lt));
  }
}

// Exponential timeout of mean T (fresh per idle period): cold fraction 1 / (1 + lambda T),
// lambda T in {1, 3}; 8 seeds x 24 h. Fails while the world reuses one timeout per isolate.
TEST(ColdStartValidation, ExponentialIdleTimeoutGivesOneOverOnePlusLambdaT) {
  for (const double lt : {1.0, 3.0}) {
    const ColdTally t = RunCold(Distribution::Exponential(kT), lt, Duration::Hours(24), 1, 8);
    CheckFraction(fmt::format("cold fraction, exponential T, lambda*T={}", lt), t,
                  1 / (1 + lt));
  }
}

// Run-length independence: the same world over 24 h (8 seeds) and 240 h (2 other seeds)
// gives the same cold fraction, for both timeout shapes (lambda T = 1). Each run length is
// also checked against the closed form. The exponential case fails while the world reuses one
// timeout per isolate (the fraction falls as the run gets longer).
TEST(ColdStartValidation, ColdFractionIsIndependentOfRunLength) {
  struct Shape {
    const char* name;
    Distribution idle;
    double p;
  };
  const Shape shapes[] = {
      {"constant", Distribution::Constant(kT), std::exp(-1.0)},
      {"exponential", Distribution::Exponential(kT), 0.5},
  };
  for (const Shape& s : shapes) {
    const ColdTally day = RunCold(s.idle, 1.0, Duration::Hours(24), 101, 8);
    const ColdTally ten_days = RunCold(s.idle, 1.0, Duration::Hours(240), 201, 2);
    CheckFraction(fmt::format("cold fraction, {} T, 24 h", s.name), day, s.p);
    CheckFraction(fmt::format("cold fraction, {} T, 240 h", s.name), ten_days, s.p);
    const double z =
        TwoSampleZ(day.cold, day.requests, ten_days.cold, ten_days.requests, s.p);
    Report(fmt::format("cold fraction 24 h - 240 h, {} T", s.name), 0,
           day.cold / day.requests - ten_days.cold / ten_days.requests, z);
    EXPECT_LE(std::abs(z), kMaxAbsZ)
        << s.name << ": 24 h " << day.cold / day.requests << " vs 240 h "
        << ten_days.cold / ten_days.requests;
  }
}

}  // namespace
}  // namespace credsim::validation
