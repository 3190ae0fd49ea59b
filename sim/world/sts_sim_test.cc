#include "sim/world/sts_sim.h"

#include <algorithm>
#include <cmath>
#include <tuple>
#include <cstdint>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "sim/engine/event_queue.h"
#include "sim/engine/executor.h"
#include "sim/world/token_signer_sim.h"

namespace credsim {
namespace {

using json = nlohmann::json;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr uint64_t kSeed = 42;

// A config with deterministic timing: constant 100 ms latency, no stalls, no rate limit.
StsConfig Quiet() {
  StsConfig c;
  c.latency = Distribution::Constant(0.1);
  c.stall_probability = 0;
  c.rate_limit.enabled = false;
  return c;
}

struct Outcome {
  StsResult result;
  Time start;
  Time end;
  bool done = false;
  Duration elapsed() const { return end - start; }
};

Task<void> CallInto(StsClient& client, Executor& clock, Outcome* out,
                    CredentialKey key = CredentialKey{1, 2}) {
  out->start = clock.Now();
  out->result = co_await client.AssumeRoleWithWebIdentity(key);
  out->end = clock.Now();
  out->done = true;
}

// One simulated STS endpoint with one client, measuring from `measure_from` on.
class StsHarness {
 public:
  explicit StsHarness(const StsConfig& config, Duration measure_from = Duration())
      : metrics_(Time() + measure_from, Time() + Duration::Hours(1000), Duration::Seconds(1)),
        service_(config, ex_, metrics_, Rng::ForStream(kSeed, "sts")),
        client_(service_) {}

  // Starts one call at `at` after the simulation start, recording into `out`.
  void CallAt(Duration at, Outcome* out) {
    q_.Schedule(Time() + at, [this, out] { Spawn(CallInto(client_, ex_, out)); });
  }
  // Starts one call for `key` at `at` through `client` (default: the harness's client).
  void CallAt(Duration at, Outcome* out, CredentialKey key, StsClientSim* client = nullptr) {
    StsClientSim* c = client != nullptr ? client : &client_;
    q_.Schedule(Time() + at, [this, out, key, c] { Spawn(CallInto(*c, ex_, out, key)); });
  }
  // `n` calls, the i-th starting at i × spacing; runs them to completion.
  std::vector<Outcome> Run(int n, Duration spacing = Duration()) {
    std::vector<Outcome> out(n);
    for (int i = 0; i < n; ++i) CallAt(spacing * i, &out[i]);
    q_.RunAll();
    for (const Outcome& o : out) EXPECT_TRUE(o.done);
    return out;
  }

  EventQueue& queue() { return q_; }
  SimExecutor& executor() { return ex_; }
  RunMetrics& metrics() { return metrics_; }
  StsService& service() { return service_; }
  StsClientSim& client() { return client_; }

 private:
  EventQueue q_;
  SimExecutor ex_{q_};
  RunMetrics metrics_;
  StsService service_;
  StsClientSim client_;
};

int Count(const std::vector<Outcome>& out, StsError e) {
  return static_cast<int>(
      std::count_if(out.begin(), out.end(), [e](const Outcome& o) { return o.result.error == e; }));
}

// ---------------------------------------------------------------------------------------------
// Latency, stalls and timeouts

TEST(StsSimTest, LatencyFollowsTheConfiguredDistribution) {
  StsConfig c = Quiet();
  c.latency = Distribution::LogNormal(0.15, 1.0);
  StsHarness h(c);
  constexpr int kN = 4000;
  std::vector<Outcome> out = h.Run(kN);
  std::vector<double> s;
  for (const Outcome& o : out) {
    ASSERT_TRUE(o.result.ok());
    s.push_back(o.elapsed().seconds());
  }
  std::sort(s.begin(), s.end());
  EXPECT_NEAR(s[kN / 2] / 0.15, 1.0, 0.03);
  EXPECT_NEAR(s[kN * 99 / 100] / 1.0, 1.0, 0.15);
  EXPECT_EQ(h.metrics().sts_calls, static_cast<uint64_t>(kN));
  EXPECT_EQ(h.metrics().sts_errors, 0u);
}

TEST(StsSimTest, RttIsAddedAndCredentialsAreIssuedWhenStsAnswers) {
  StsConfig c = Quiet();
  c.rtt = Duration::Millis(40);
  c.credential_duration = Duration::Hours(2);
  StsHarness h(c);
  std::vector<Outcome> out = h.Run(3, Duration::Seconds(1));
  for (int i = 0; i < 3; ++i) {
    const Outcome& o = out[i];
    ASSERT_TRUE(o.result.ok());
    EXPECT_EQ(o.elapsed(), Duration::Millis(140));
    EXPECT_EQ(o.result.credentials.id, static_cast<uint64_t>(i + 1));
    // Arrival after 20 ms, answer produced 100 ms later, back after another 20 ms.
    EXPECT_EQ(o.result.credentials.issued_at, o.start + Duration::Millis(120));
    EXPECT_EQ(o.result.credentials.expiration,
              o.result.credentials.issued_at + Duration::Hours(2));
  }
  EXPECT_EQ(h.service().credentials_issued(), 3u);
}

// Issue 11 item 4: the default latency already is "from a colo"; the colo's region RTT the
// world passes (path_rtt) must not be added again.
TEST(StsSimTest, NetworkIncludedIgnoresThePathRtt) {
  StsConfig c = Quiet();
  ASSERT_EQ(c.network, StsNetworkMode::kIncluded);
  StsHarness h(c);
  StsClientSim far(h.service(), Duration::Millis(125), Duration::Millis(10));
  EXPECT_EQ(far.attempt_rtt(), Duration());
  Outcome o;
  h.CallAt(Duration(), &o, CredentialKey{1, 1}, &far);
  h.queue().RunAll();
  ASSERT_TRUE(o.result.ok());
  EXPECT_EQ(o.elapsed(), Duration::Millis(100));  // the latency alone (old: 225 ms)
  EXPECT_EQ(o.result.credentials.issued_at, o.start + Duration::Millis(100));
}

TEST(StsSimTest, NetworkAddRttAddsTheRttBeyondTheStsRegion) {
  StsConfig c = Quiet();
  c.network = StsNetworkMode::kAddRtt;
  StsHarness h(c);
  StsClientSim far(h.service(), Duration::Millis(90), Duration::Millis(10));
  StsClientSim local(h.service(), Duration::Millis(10), Duration::Millis(10));
  StsClientSim odd(h.service(), Duration::Millis(5), Duration::Millis(10));  // clamped at 0
  EXPECT_EQ(far.attempt_rtt(), Duration::Millis(80));
  EXPECT_EQ(local.attempt_rtt(), Duration());
  EXPECT_EQ(odd.attempt_rtt(), Duration());
  Outcome of, ol;
  h.CallAt(Duration(), &of, CredentialKey{1, 1}, &far);
  h.CallAt(Duration(), &ol, CredentialKey{1, 1}, &local);
  h.queue().RunAll();
  ASSERT_TRUE(of.result.ok());
  ASSERT_TRUE(ol.result.ok());
  EXPECT_EQ(ol.elapsed(), Duration::Millis(100));
  EXPECT_EQ(of.elapsed(), Duration::Millis(180));
  // Arrives after half the extra RTT; STS answers 100 ms later.
  EXPECT_EQ(of.result.credentials.issued_at, of.start + Duration::Millis(140));
}

TEST(StsSimTest, FixedRttAddsInBothNetworkModes) {
  for (StsNetworkMode mode : {StsNetworkMode::kIncluded, StsNetworkMode::kAddRtt}) {
    StsConfig c = Quiet();
    c.network = mode;
    c.rtt = Duration::Millis(20);
    StsHarness h(c);
    StsClientSim far(h.service(), Duration::Millis(90), Duration::Millis(10));
    EXPECT_EQ(far.attempt_rtt(), mode == StsNetworkMode::kAddRtt ? Duration::Millis(100)
                                                                 : Duration::Millis(20))
        << StsNetworkModeName(mode);
  }
}

TEST(StsSimTest, StallRunsIntoTheTimeoutAtExactlyTenSeconds) {
  StsConfig c = Quiet();
  c.stall_probability = 1;  // default stall: 30 s
  StsHarness h(c);
  std::vector<Outcome> out = h.Run(50, Duration::Millis(7));
  for (const Outcome& o : out) {
    EXPECT_EQ(o.result.error, StsError::kTimeout);
    EXPECT_EQ(o.elapsed(), Duration::Seconds(10));
    EXPECT_EQ(StatusFor(o.result.error), FailureStatus::kUnavailable);
  }
  EXPECT_EQ(h.metrics().sts_timeouts, 50u);
  EXPECT_EQ(h.metrics().sts_calls, 50u);  // the requests did reach STS
  EXPECT_EQ(h.metrics().sts_errors, 0u);
}

TEST(StsSimTest, ShortStallAddsToLatency) {
  StsConfig c = Quiet();
  c.stall_probability = 1;
  c.stall_duration = Distribution::Constant(1.5);
  StsHarness h(c);
  std::vector<Outcome> out = h.Run(5);
  for (const Outcome& o : out) {
    EXPECT_TRUE(o.result.ok());
    EXPECT_EQ(o.elapsed(), Duration::Millis(1600));
  }
  EXPECT_EQ(h.metrics().sts_timeouts, 0u);
}

TEST(StsSimTest, AnswerExactlyAtTheTimeoutSucceedsOneNanosecondLaterTimesOut) {
  StsConfig c = Quiet();
  c.latency = Distribution::Constant(10);
  StsHarness ok(c);
  EXPECT_TRUE(ok.Run(1)[0].result.ok());
  c.latency = Distribution::Constant(10.000000001);
  StsHarness late(c);
  const Outcome o = late.Run(1)[0];
  EXPECT_EQ(o.result.error, StsError::kTimeout);
  EXPECT_EQ(o.elapsed(), Duration::Seconds(10));
}

TEST(StsSimTest, StallProbabilityIsRespected) {
  StsConfig c = Quiet();
  c.stall_probability = 0.1;
  StsHarness h(c);
  std::vector<Outcome> out = h.Run(5000);
  const int timeouts = Count(out, StsError::kTimeout);
  EXPECT_NEAR(timeouts, 500, 70);  // ~4.5 sigma
  EXPECT_EQ(h.metrics().sts_timeouts, static_cast<uint64_t>(timeouts));
}

TEST(StsSimTest, EveryAttemptConsumesTheSameNumberOfDraws) {
  // Same seed, different outcomes: the latency of the k-th call must not depend on whether
  // earlier calls failed, were throttled or stalled.
  StsConfig a = Quiet();
  a.latency = Distribution::LogNormal(0.15, 1.0);
  StsConfig b = a;
  b.errors.access_denied = 1;
  b.rate_limit.enabled = true;
  b.rate_limit.rate_per_s = 0;
  b.rate_limit.burst = 1;
  StsHarness ha(a), hb(b);
  std::vector<Outcome> oa = ha.Run(100, Duration::Seconds(20));
  std::vector<Outcome> ob = hb.Run(100, Duration::Seconds(20));
  EXPECT_EQ(Count(ob, StsError::kAccessDenied), 1);
  EXPECT_EQ(Count(ob, StsError::kThrottling), 99);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(oa[i].elapsed(), ob[i].elapsed()) << i;
}

// ---------------------------------------------------------------------------------------------
// Outages and the error mix

// Issue 11 item 11: an "error" outage is an STS error document (502); only an unreachable
// endpoint (connection error, no parseable answer) is a 503.
TEST(StsSimTest, OutageErrorsOnlyInsideTheWindow) {
  for (auto [mode, error, status] :
       {std::tuple{StsOutageMode::kError, StsError::kServiceError, FailureStatus::kBadGateway},
        std::tuple{StsOutageMode::kUnreachable, StsError::kOutage,
                   FailureStatus::kUnavailable}}) {
    StsConfig c = Quiet();
    c.outages.push_back({Duration::Seconds(10), Duration::Seconds(20), mode});
    StsHarness h(c);
    std::vector<Outcome> out = h.Run(30, Duration::Seconds(1));
    for (int i = 0; i < 30; ++i) {
      const bool inside = i >= 10 && i < 20;
      EXPECT_EQ(out[i].result.error, inside ? error : StsError::kNone) << i;
      EXPECT_EQ(out[i].elapsed(), Duration::Millis(100)) << i;
      if (inside) {
        EXPECT_EQ(StatusFor(out[i].result.error), status) << i;
      }
    }
    EXPECT_EQ(h.metrics().sts_errors, 10u);
    EXPECT_EQ(h.metrics().sts_timeouts, 0u);
    EXPECT_EQ(h.metrics().sts_calls, 30u);
    EXPECT_EQ(h.service().credentials_issued(), 20u);
  }
}

TEST(StsSimTest, ErrorMappingFollowsProxySemantics) {
  EXPECT_EQ(StatusFor(StsError::kNone), FailureStatus::kOk);
  EXPECT_EQ(StatusFor(StsError::kAccessDenied), FailureStatus::kForbidden);
  for (StsError e : {StsError::kThrottling, StsError::kInvalidIdentityToken,
                     StsError::kIdpCommunication, StsError::kServiceError}) {
    EXPECT_EQ(StatusFor(e), FailureStatus::kBadGateway) << static_cast<int>(e);
  }
  for (StsError e : {StsError::kTimeout, StsError::kOutage}) {
    EXPECT_EQ(StatusFor(e), FailureStatus::kUnavailable) << static_cast<int>(e);
  }
}

TEST(StsSimTest, HangingOutageTimesOut) {
  StsConfig c = Quiet();
  c.outages.push_back({Duration::Seconds(5), Duration::Seconds(6), StsOutageMode::kHang});
  StsHarness h(c);
  std::vector<Outcome> out = h.Run(10, Duration::Millis(900));
  // Starts at 0, 0.9, ..., 8.1 s: only 5.4 s is inside [5 s, 6 s).
  for (int i = 0; i < 10; ++i) {
    if (i == 6) {
      EXPECT_EQ(out[i].result.error, StsError::kTimeout);
      EXPECT_EQ(out[i].elapsed(), Duration::Seconds(10));
    } else {
      EXPECT_TRUE(out[i].result.ok()) << i;
    }
  }
  EXPECT_EQ(h.metrics().sts_timeouts, 1u);
}

TEST(StsSimTest, ErrorMixProportions) {
  StsConfig c = Quiet();
  c.errors = {0.1, 0.2, 0.05};
  StsHarness h(c);
  constexpr int kN = 20000;
  std::vector<Outcome> out = h.Run(kN);
  const int denied = Count(out, StsError::kAccessDenied);
  const int invalid = Count(out, StsError::kInvalidIdentityToken);
  const int idp = Count(out, StsError::kIdpCommunication);
  EXPECT_NEAR(denied, 2000, 170);  // ~4 sigma
  EXPECT_NEAR(invalid, 4000, 230);
  EXPECT_NEAR(idp, 1000, 125);
  EXPECT_EQ(h.metrics().sts_errors, static_cast<uint64_t>(denied + invalid + idp));
  EXPECT_EQ(h.service().credentials_issued(), static_cast<uint64_t>(kN - denied - invalid - idp));
  EXPECT_EQ(StatusFor(StsError::kAccessDenied), FailureStatus::kForbidden);
  EXPECT_EQ(StatusFor(StsError::kInvalidIdentityToken), FailureStatus::kBadGateway);
  EXPECT_EQ(StatusFor(StsError::kIdpCommunication), FailureStatus::kBadGateway);
}

// ---------------------------------------------------------------------------------------------
// Rate limit

TEST(StsSimTest, BurstOfSimultaneousCallsAdmitsExactlyBurst) {
  StsConfig c = Quiet();
  c.rate_limit = {true, 600, 600};
  c.rtt = Duration::Millis(30);
  StsHarness h(c);
  std::vector<Outcome> out = h.Run(1000);
  EXPECT_EQ(Count(out, StsError::kNone), 600);
  EXPECT_EQ(Count(out, StsError::kThrottling), 400);
  EXPECT_EQ(StatusFor(StsError::kThrottling), FailureStatus::kBadGateway);
  const RunMetrics& m = h.metrics();
  EXPECT_EQ(m.sts_calls, 1000u);
  EXPECT_EQ(m.sts_throttled, 400u);
  EXPECT_EQ(m.sts_errors, 400u);
  EXPECT_EQ(m.sts_peak.peak(), 1000u);
  EXPECT_EQ(m.sts_series.at(0), 1000);
  EXPECT_EQ(h.service().credentials_issued(), 600u);
}

TEST(StsSimTest, SustainedLoadAdmitsRateTimesTPlusBurst) {
  StsConfig c = Quiet();
  c.rate_limit = {true, 100, 20};
  StsHarness h(c);
  // 1000 calls per second for 2 s (calls at 0, 1 ms, ..., 1999 ms).
  std::vector<Outcome> out = h.Run(2000, Duration::Millis(1));
  EXPECT_EQ(Count(out, StsError::kNone), 20 + 199);  // floor(100 × 1.999) = 199
}

TEST(StsSimTest, OnlyCallsArrivingInsideTheMeasurementWindowAreCounted) {
  StsConfig c = Quiet();
  c.rate_limit = {true, 600, 1};
  StsHarness h(c, Duration::Seconds(10));
  std::vector<Outcome> out = h.Run(20, Duration::Seconds(1));  // 0 .. 19 s
  EXPECT_EQ(h.metrics().sts_calls, 10u);
  EXPECT_EQ(h.metrics().sts_peak.peak(), 1u);
  EXPECT_EQ(h.metrics().sts_series.at(9), 0);
  EXPECT_EQ(h.metrics().sts_series.at(10), 1);
}

// ---------------------------------------------------------------------------------------------
// Retries

StsConfig Throttled(StsRetryMode mode) {
  StsConfig c = Quiet();
  c.rate_limit = {true, 0.001, 1};  // one token, then practically none
  c.retries = StsRetryDefaults(mode);
  return c;
}

TEST(StsSimTest, NoRetriesByDefault) {
  StsHarness h(Throttled(StsRetryMode::kNone));
  std::vector<Outcome> out = h.Run(2, Duration::Seconds(1));
  EXPECT_TRUE(out[0].result.ok());
  EXPECT_EQ(out[1].result.error, StsError::kThrottling);
  EXPECT_EQ(out[1].elapsed(), Duration::Millis(100));
  EXPECT_EQ(h.metrics().sts_calls, 2u);
  EXPECT_EQ(h.client().retry_quota(), 500);
}

TEST(StsSimTest, StandardModeRetriesThrottlingUpToMaxAttempts) {
  StsHarness h(Throttled(StsRetryMode::kStandard));
  std::vector<Outcome> out = h.Run(2, Duration::Seconds(1));
  EXPECT_TRUE(out[0].result.ok());
  EXPECT_EQ(out[1].result.error, StsError::kThrottling);
  const RunMetrics& m = h.metrics();
  EXPECT_EQ(m.sts_calls, 1u + 3u);
  EXPECT_EQ(m.sts_throttled, 3u);
  EXPECT_EQ(h.client().retry_quota(), 500 - 2 * 5);
  // Three 100 ms attempts plus two backoffs of at most 500 ms and 1 s.
  EXPECT_GE(out[1].elapsed(), Duration::Millis(300));
  EXPECT_LE(out[1].elapsed(), Duration::Millis(1800));
}

TEST(StsSimTest, MaxAttemptsIsConfigurable) {
  StsConfig c = Throttled(StsRetryMode::kStandard2026);
  c.retries.max_attempts = 5;
  StsHarness h(c);
  h.Run(2, Duration::Seconds(1));
  EXPECT_EQ(h.metrics().sts_calls, 1u + 5u);
  EXPECT_EQ(h.client().retry_quota(), 500 - 4 * 5);
}

TEST(StsSimTest, TransientErrorsCostMoreIn2026Mode) {
  for (auto [mode, quota_left] : {std::pair{StsRetryMode::kStandard, 500 - 2 * 5},
                                  std::pair{StsRetryMode::kStandard2026, 500 - 2 * 14}}) {
    StsConfig c = Quiet();
    c.errors.idp_communication = 1;
    c.retries = StsRetryDefaults(mode);
    StsHarness h(c);
    EXPECT_EQ(h.Run(1)[0].result.error, StsError::kIdpCommunication);
    EXPECT_EQ(h.metrics().sts_calls, 3u);
    EXPECT_EQ(h.metrics().sts_errors, 3u);
    EXPECT_EQ(h.client().retry_quota(), quota_left);
  }
}

TEST(StsSimTest, TimeoutsAreRetriedAtTimeoutCost) {
  StsConfig c = Quiet();
  c.stall_probability = 1;
  c.retries = StsRetryDefaults(StsRetryMode::kStandard);
  StsHarness h(c);
  const Outcome o = h.Run(1)[0];
  EXPECT_EQ(o.result.error, StsError::kTimeout);
  EXPECT_EQ(h.metrics().sts_timeouts, 3u);
  EXPECT_EQ(h.metrics().sts_calls, 3u);
  EXPECT_EQ(h.client().retry_quota(), 500 - 2 * 10);
  EXPECT_GE(o.elapsed(), Duration::Seconds(30));
  EXPECT_LE(o.elapsed(), Duration::Seconds(30) + Duration::Millis(300));
}

TEST(StsSimTest, NonRetryableErrorsAreNotRetried) {
  for (StsError e : {StsError::kAccessDenied, StsError::kInvalidIdentityToken}) {
    StsConfig c = Quiet();
    (e == StsError::kAccessDenied ? c.errors.access_denied : c.errors.invalid_identity_token) = 1;
    c.retries = StsRetryDefaults(StsRetryMode::kStandard);
    StsHarness h(c);
    EXPECT_EQ(h.Run(1)[0].result.error, e);
    EXPECT_EQ(h.metrics().sts_calls, 1u);
    EXPECT_EQ(h.client().retry_quota(), 500);
  }
}

TEST(StsSimTest, OutageErrorsAreRetried) {
  for (StsOutageMode mode : {StsOutageMode::kError, StsOutageMode::kUnreachable}) {
  SCOPED_TRACE(StsOutageModeName(mode));
  StsConfig c = Quiet();
  c.outages.push_back({Duration(), Duration::Millis(150), mode});
  c.retries = StsRetryDefaults(StsRetryMode::kStandard);
  c.retries.max_attempts = 100;
  c.retries.base_backoff_transient = Duration::Millis(1);
  c.retries.max_backoff = Duration::Millis(1);
  StsHarness h(c);
  const Outcome o = h.Run(1)[0];
  EXPECT_TRUE(o.result.ok());
  // Attempts start at 0, ~100 ms, ~200 ms: the first two fall inside the outage.
  EXPECT_EQ(h.metrics().sts_calls, 3u);
  EXPECT_EQ(h.metrics().sts_errors, 2u);
  // The success refunds its last retry's cost.
  EXPECT_EQ(h.client().retry_quota(), 500 - 5);
  }
}

TEST(StsSimTest, RetryQuotaExhaustionStopsRetries) {
  StsConfig c = Quiet();
  c.errors.idp_communication = 1;
  c.retries = StsRetryDefaults(StsRetryMode::kStandard);
  c.retries.max_attempts = 10;
  c.retries.quota = 12;
  StsHarness h(c);
  h.Run(1);
  EXPECT_EQ(h.metrics().sts_calls, 3u);  // 12 -> 7 -> 2, then a retry (5) is unaffordable
  EXPECT_EQ(h.client().retry_quota(), 2);
}

TEST(StsSimTest, SuccessfulRetryRefundsAndSuccessWithoutRetryAddsIncrement) {
  StsConfig c = Quiet();
  c.rate_limit = {true, 1, 1};
  c.retries = StsRetryDefaults(StsRetryMode::kStandard);
  c.retries.max_attempts = 20;
  c.retries.quota = 100;
  StsHarness h(c);
  std::vector<Outcome> out = h.Run(2);
  ASSERT_TRUE(out[0].result.ok());
  ASSERT_TRUE(out[1].result.ok());
  // The first call succeeded at once (+1 over the cap is clamped). The second was throttled
  // until the bucket refilled after 1 s; it paid 5 per retry and got the last 5 back.
  const int64_t calls = static_cast<int64_t>(h.metrics().sts_calls);
  const int64_t retries = calls - 2;
  EXPECT_GE(retries, 1);
  EXPECT_EQ(h.metrics().sts_throttled, static_cast<uint64_t>(retries));
  EXPECT_EQ(h.client().retry_quota(), 100 - 5 * retries + 5);
  EXPECT_GE(out[1].end - Time(), Duration::Seconds(1));
}

// ---------------------------------------------------------------------------------------------
// Steady-state initial condition (issue 11 item 12)

Duration RemainingLife(const Outcome& o) {
  return o.result.credentials.expiration - o.result.credentials.issued_at;
}

TEST(StsSteadyFillTest, ServedCredentialsHaveFullLife) {
  StsHarness h(Quiet());
  std::vector<Outcome> out = h.Run(50, Duration::Millis(10));
  for (const Outcome& o : out) {
    ASSERT_TRUE(o.result.ok());
    EXPECT_EQ(RemainingLife(o), Duration::Hours(1));
  }
}

// One service, its own clock: BackDated needs only the config and the stream.
struct BackDater {
  explicit BackDater(const StsConfig& c, uint64_t seed = 1)
      : ex(q), m(Time(), Time() + Duration::Hours(10), Duration::Seconds(1)),
        service(c, ex, m, Rng::ForStream(seed, "sts")) {}
  Duration Remaining(CredentialKey key) {
    Credentials c;
    c.id = 1;
    c.issued_at = Time() + Duration::Seconds(5);
    c.expiration = c.issued_at + service.config().credential_duration;
    const Credentials b = service.BackDated(key, c);
    EXPECT_EQ(b.issued_at, c.issued_at);
    EXPECT_EQ(b.id, c.id);
    return b.expiration - b.issued_at;
  }
  EventQueue q;
  SimExecutor ex;
  RunMetrics m;
  StsService service;
};

// Remaining lives of back-dated credentials are U(0, L]: the Kolmogorov-Smirnov distance to
// the uniform CDF must stay below 1.95 / sqrt(n), the critical value at significance 0.001
// (without back-dating D = 1: every life is L). Keys cycle over 50 (role, session) pairs, so
// both the per-key hash and the per-key counter are exercised.
TEST(StsSteadyFillTest, BackDatedCredentialsHaveUniformRemainingLife) {
  BackDater d(Quiet());
  constexpr int kN = 4000;
  std::vector<double> u;  // remaining / L
  for (int i = 0; i < kN; ++i) {
    const Duration rem = d.Remaining(CredentialKey{uint32_t(i % 10), uint32_t(i % 5)});
    ASSERT_GT(rem, Duration()) << i;  // never expired at issue
    ASSERT_LE(rem, Duration::Hours(1)) << i;
    u.push_back(rem.seconds() / 3600.0);
  }
  std::sort(u.begin(), u.end());
  double dist = 0;
  for (int i = 0; i < kN; ++i) {
    dist = std::max({dist, u[i] - static_cast<double>(i) / kN,
                     static_cast<double>(i + 1) / kN - u[i]});
  }
  EXPECT_LT(dist, 1.95 / std::sqrt(static_cast<double>(kN))) << "KS distance " << dist;
  // Coarse check of the mean too: E = 0.5, sd of the mean = 1/sqrt(12 n) ~ 0.0046 (4 sd).
  double mean = 0;
  for (double x : u) mean += x / kN;
  EXPECT_NEAR(mean, 0.5, 4 / std::sqrt(12.0 * kN));
}

// The age of the n-th back-dated credential of a key does not depend on what else was
// back-dated or in which order (paired phases across strategies), and back-dating draws
// nothing from the attempt stream (latencies are the same with and without it).
TEST(StsSteadyFillTest, AgesArePairedPerKeyAndLeaveTheAttemptDrawsAlone) {
  constexpr int kKeys = 20;
  BackDater forward(Quiet()), backward(Quiet());
  std::vector<Duration> f(2 * kKeys), b(2 * kKeys);
  for (int i = 0; i < 2 * kKeys; ++i) {
    f[i] = forward.Remaining(CredentialKey{7, uint32_t(i % kKeys)});
    b[i] = backward.Remaining(CredentialKey{7, uint32_t(kKeys - 1 - i % kKeys)});
  }
  for (int i = 0; i < 2 * kKeys; ++i) {
    // forward's call i and backward's call (round, kKeys - 1 - i % kKeys) back-date the same
    // key for the same (round + 1)-th time.
    const int round = i / kKeys;
    const int j = round * kKeys + (kKeys - 1 - i % kKeys);
    EXPECT_EQ(f[i], b[j]) << i;
  }
  // A key's second back-dated credential gets a fresh age; keys differ.
  EXPECT_NE(f[0], f[kKeys]);
  EXPECT_NE(f[0], f[1]);
  // Attempts served around back-dating see the same draws as without it.
  StsConfig c = Quiet();
  c.latency = Distribution::LogNormal(0.15, 1.0);
  StsHarness with(c), without(c);
  std::vector<Outcome> a(10), p(10);
  for (int i = 0; i < 10; ++i) {
    with.CallAt(Duration::Seconds(1) * i, &a[i], CredentialKey{1, 1});
    without.CallAt(Duration::Seconds(1) * i, &p[i], CredentialKey{1, 1});
  }
  with.queue().RunAll();
  without.queue().RunAll();
  for (int i = 0; i < 10; ++i) {
    (void)with.service().BackDated(CredentialKey{1, 1}, a[i].result.credentials);
    EXPECT_EQ(a[i].elapsed(), p[i].elapsed()) << i;
  }
}

TEST(StsSteadyFillTest, DependsOnTheSeed) {
  BackDater a(Quiet(), 1), b(Quiet(), 2);
  EXPECT_NE(a.Remaining(CredentialKey{1, 1}), b.Remaining(CredentialKey{1, 1}));
}

// ---------------------------------------------------------------------------------------------
// Cancellation

Task<void> CallCatching(StsClient& client, bool* cancelled) {
  try {
    co_await client.AssumeRoleWithWebIdentity(CredentialKey{1, 1});
  } catch (const RequestCancelled&) {
    *cancelled = true;
  }
}

TEST(StsSimTest, CancelledRequestUnwinds) {
  StsHarness h(Quiet());
  bool flag = false, seen = false;
  Spawn(CallCatching(h.client(), &seen), &flag);
  h.queue().Schedule(Time() + Duration::Millis(50), [&flag] { flag = true; });
  h.queue().RunAll();
  EXPECT_TRUE(seen);
}

// ---------------------------------------------------------------------------------------------
// Configuration

absl::Status Parse(const json& j, StsConfig* out) {
  JsonReader r(j, "scenario.sts");
  absl::Status s = ParseStsConfig(r, out);
  if (!s.ok()) return s;
  return r.Finish();
}

std::string ParseError(const json& j) {
  StsConfig c;
  return std::string(Parse(j, &c).message());
}

TEST(StsConfigTest, EmptyObjectGivesDocumentedDefaults) {
  StsConfig c;
  ASSERT_TRUE(Parse(json::object(), &c).ok());
  EXPECT_EQ(c.latency, Distribution::LogNormal(0.15, 1.0));
  EXPECT_EQ(c.network, StsNetworkMode::kIncluded);
  EXPECT_EQ(c.rtt, Duration());
  EXPECT_EQ(c.stall_probability, 0.001);
  EXPECT_EQ(c.stall_duration, Distribution::Constant(30));
  EXPECT_EQ(c.timeout, Duration::Seconds(10));
  EXPECT_EQ(c.retries.mode, StsRetryMode::kNone);
  EXPECT_TRUE(c.rate_limit.enabled);
  EXPECT_EQ(c.rate_limit.rate_per_s, 600);
  EXPECT_EQ(c.rate_limit.burst, 600);
  EXPECT_EQ(c.errors.access_denied, 0);
  EXPECT_TRUE(c.outages.empty());
  EXPECT_EQ(c.credential_duration, Duration::Seconds(3600));
  EXPECT_EQ(c.signing_cpu, Distribution::Uniform(0.002, 0.010));
}

TEST(StsConfigTest, ParsesEveryField) {
  const json j = json::parse(R"({
    "latency": {"lognormal": {"median": "100ms", "p99": "2s"}}, "network": "add_rtt",
    "rtt": "80ms", "stall_probability": 0.01, "stall_duration": "20s", "timeout": "5s",
    "retries": {"mode": "standard", "max_attempts": 4, "base_backoff_transient": "10ms",
                "base_backoff_throttling": "20ms", "max_backoff": "1s", "quota": 50,
                "retry_cost": 1, "timeout_retry_cost": 2, "throttling_retry_cost": 3,
                "no_retry_increment": 0},
    "rate_limit": {"rate_per_s": 50.5, "burst": 10, "enabled": false},
    "errors": {"access_denied": 0.01, "invalid_identity_token": 0.02, "idp_communication": 0.03},
    "outages": [{"start": "10m", "end": "20m"}, {"start": "1h", "end": "2h", "mode": "hang"},
                {"start": "3h", "end": "4h", "mode": "unreachable"}],
    "credential_duration": "12h", "signing_cpu": {"constant": "3ms"}})");
  StsConfig c;
  ASSERT_TRUE(Parse(j, &c).ok()) << Parse(j, &c);
  EXPECT_EQ(c.latency, Distribution::LogNormal(0.1, 2.0));
  EXPECT_EQ(c.network, StsNetworkMode::kAddRtt);
  EXPECT_EQ(c.rtt, Duration::Millis(80));
  EXPECT_EQ(c.stall_probability, 0.01);
  EXPECT_EQ(c.stall_duration, Distribution::Constant(20));
  EXPECT_EQ(c.timeout, Duration::Seconds(5));
  EXPECT_EQ(c.retries.mode, StsRetryMode::kStandard);
  EXPECT_EQ(c.retries.max_attempts, 4);
  EXPECT_EQ(c.retries.base_backoff_transient, Duration::Millis(10));
  EXPECT_EQ(c.retries.base_backoff_throttling, Duration::Millis(20));
  EXPECT_EQ(c.retries.max_backoff, Duration::Seconds(1));
  EXPECT_EQ(c.retries.quota, 50);
  EXPECT_EQ(c.retries.retry_cost, 1);
  EXPECT_EQ(c.retries.timeout_retry_cost, 2);
  EXPECT_EQ(c.retries.throttling_retry_cost, 3);
  EXPECT_EQ(c.retries.no_retry_increment, 0);
  EXPECT_FALSE(c.rate_limit.enabled);
  EXPECT_EQ(c.rate_limit.rate_per_s, 50.5);
  EXPECT_EQ(c.rate_limit.burst, 10);
  EXPECT_EQ(c.errors.access_denied, 0.01);
  EXPECT_EQ(c.errors.invalid_identity_token, 0.02);
  EXPECT_EQ(c.errors.idp_communication, 0.03);
  ASSERT_EQ(c.outages.size(), 3u);
  EXPECT_EQ(c.outages[0].start, Duration::Minutes(10));
  EXPECT_EQ(c.outages[0].end, Duration::Minutes(20));
  EXPECT_EQ(c.outages[0].mode, StsOutageMode::kError);
  EXPECT_EQ(c.outages[1].mode, StsOutageMode::kHang);
  EXPECT_EQ(c.outages[2].mode, StsOutageMode::kUnreachable);
  EXPECT_EQ(c.credential_duration, Duration::Hours(12));
  EXPECT_EQ(c.signing_cpu, Distribution::Constant(0.003));
}

TEST(StsConfigTest, RetryModeSelectsItsDocumentedDefaults) {
  StsConfig c;
  ASSERT_TRUE(Parse(json::parse(R"({"retries": {"mode": "standard-2026"}})"), &c).ok());
  EXPECT_EQ(c.retries.mode, StsRetryMode::kStandard2026);
  EXPECT_EQ(c.retries.max_attempts, 3);
  EXPECT_EQ(c.retries.base_backoff_transient, Duration::Millis(50));
  EXPECT_EQ(c.retries.base_backoff_throttling, Duration::Millis(1000));
  EXPECT_EQ(c.retries.max_backoff, Duration::Seconds(20));
  EXPECT_EQ(c.retries.quota, 500);
  EXPECT_EQ(c.retries.retry_cost, 14);
  EXPECT_EQ(c.retries.timeout_retry_cost, 14);
  EXPECT_EQ(c.retries.throttling_retry_cost, 5);
  ASSERT_TRUE(Parse(json::parse(R"({"retries": {"mode": "standard"}})"), &c).ok());
  EXPECT_EQ(c.retries.base_backoff_transient, Duration::Millis(100));
  EXPECT_EQ(c.retries.base_backoff_throttling, Duration::Millis(500));
  EXPECT_EQ(c.retries.retry_cost, 5);
  EXPECT_EQ(c.retries.timeout_retry_cost, 10);
}

TEST(StsConfigTest, CredentialDurationOutsideAwsRangeNamesThePath) {
  EXPECT_THAT(ParseError({{"credential_duration", "10m"}}),
              StartsWith("scenario.sts.credential_duration: 10m is out of range"));
  EXPECT_THAT(ParseError({{"credential_duration", "12h1s"}}),
              StartsWith("scenario.sts.credential_duration: 12h1s is out of range"));
  EXPECT_THAT(ParseError({{"credential_duration", "1h0.5s"}}),
              StartsWith("scenario.sts.credential_duration: 1h0.5s is not a whole number"));
  StsConfig c;
  EXPECT_TRUE(Parse({{"credential_duration", "15m"}}, &c).ok());
  EXPECT_TRUE(Parse({{"credential_duration", "12h"}}, &c).ok());
}

TEST(StsConfigTest, UnknownKeysNameThePath) {
  EXPECT_THAT(ParseError({{"latncy", "1s"}}),
              StartsWith("scenario.sts.latncy: unknown key; accepted: "));
  EXPECT_THAT(ParseError({{"latncy", "1s"}}), HasSubstr("credential_duration"));
  EXPECT_THAT(ParseError(json::parse(R"({"retries": {"mod": "none"}})")),
              StartsWith("scenario.sts.retries.mod: unknown key; accepted: "));
  EXPECT_THAT(ParseError(json::parse(R"({"rate_limit": {"rps": 1}})")),
              StartsWith("scenario.sts.rate_limit.rps: unknown key"));
  EXPECT_THAT(ParseError(json::parse(R"({"errors": {"throttling": 0.1}})")),
              StartsWith("scenario.sts.errors.throttling: unknown key"));
  EXPECT_THAT(
      ParseError(json::parse(R"({"outages": [{"start": "1m", "end": "2m"},
                                             {"start": "1m", "end": "2m", "kind": "x"}]})")),
      StartsWith("scenario.sts.outages[1].kind: unknown key"));
}

TEST(StsConfigTest, BadValuesNameThePath) {
  EXPECT_THAT(ParseError(json::parse(R"({"latency": {"lognormal": {"median": "1s", "p99": "10ms"}}})")),
              StartsWith("scenario.sts.latency.lognormal.p99: "));
  EXPECT_THAT(ParseError(json::parse(R"({"latency": {"lognormal": {"median": "1s", "p99": "10ms"}}})")),
              Not(HasSubstr("p99: scenario")));
  EXPECT_THAT(ParseError(json::parse(R"({"signing_cpu": {"gamma": 1}})")),
              StartsWith("scenario.sts.signing_cpu: "));
  EXPECT_THAT(ParseError(json::parse(R"({"retries": {"mode": "adaptive"}})")),
              AllOf(StartsWith("scenario.sts.retries.mode: "), HasSubstr("standard-2026")));
  EXPECT_THAT(ParseError(json::parse(R"({"retries": {"max_attempts": 0}})")),
              StartsWith("scenario.sts.retries.max_attempts: "));
  EXPECT_THAT(ParseError(json::parse(R"({"rate_limit": {"burst": 0}})")),
              StartsWith("scenario.sts.rate_limit.burst: "));
  EXPECT_THAT(ParseError(json::parse(R"({"stall_probability": 1.5})")),
              StartsWith("scenario.sts.stall_probability: "));
  EXPECT_THAT(ParseError(json::parse(R"({"timeout": "0s"})")),
              StartsWith("scenario.sts.timeout: must be positive"));
  EXPECT_THAT(ParseError(json::parse(R"({"errors": {"access_denied": 0.6, "idp_communication": 0.6}})")),
              StartsWith("scenario.sts.errors: probabilities sum to 1.2"));
  EXPECT_THAT(ParseError(json::parse(R"({"outages": [{"start": "2m", "end": "1m"}]})")),
              StartsWith("scenario.sts.outages[0].end: must be later than start"));
  EXPECT_THAT(ParseError(json::parse(R"({"outages": [{"end": "1m"}]})")),
              StartsWith("scenario.sts.outages[0]: missing key \"start\""));
  EXPECT_THAT(ParseError(json::parse(R"({"outages": [{"start": "1m", "end": "2m", "mode": "x"}]})")),
              AllOf(StartsWith("scenario.sts.outages[0].mode: "), HasSubstr("unreachable")));
  EXPECT_THAT(ParseError(json::parse(R"({"network": "both"})")),
              AllOf(StartsWith("scenario.sts.network: "), HasSubstr("add_rtt")));
  EXPECT_THAT(ParseError(json::parse(R"({"outages": {"start": "1m"}})")),
              StartsWith("scenario.sts.outages: expected an array"));
}

// ---------------------------------------------------------------------------------------------
// JWT signing

Task<void> SignInto(TokenSigner& signer, Executor& clock, Duration* elapsed) {
  const Time start = clock.Now();
  co_await signer.SignJwt(CredentialKey{1, 1});
  *elapsed = clock.Now() - start;
}

TEST(TokenSignerSimTest, SleepsTheCpuTimeAndCountsIt) {
  EventQueue q;
  SimExecutor ex(q);
  RunMetrics m(Time(), Time() + Duration::Hours(1), Duration::Seconds(1));
  TokenSignerSim signer(Distribution::Uniform(0.002, 0.010), ex, m,
                        Rng::ForStream(kSeed, "signer"));
  constexpr int kN = 1000;
  std::vector<Duration> elapsed(kN);
  for (int i = 0; i < kN; ++i) Spawn(SignInto(signer, ex, &elapsed[i]));
  q.RunAll();
  double total_ms = 0;
  for (Duration d : elapsed) {
    EXPECT_GE(d, Duration::Millis(2));
    EXPECT_LE(d, Duration::Millis(10));
    total_ms += d.millis();
  }
  EXPECT_EQ(m.jwt_signatures, static_cast<uint64_t>(kN));
  EXPECT_DOUBLE_EQ(m.worker_cpu_ms, total_ms);
  EXPECT_NEAR(total_ms / kN, 6.0, 0.3);
}

TEST(TokenSignerSimTest, NotCountedOutsideTheMeasurementWindow) {
  EventQueue q;
  SimExecutor ex(q);
  RunMetrics m(Time() + Duration::Seconds(1), Time() + Duration::Hours(1), Duration::Seconds(1));
  TokenSignerSim signer(Distribution::Constant(0.005), ex, m, Rng::ForStream(kSeed, "signer"));
  Duration elapsed;
  Spawn(SignInto(signer, ex, &elapsed));
  q.RunAll();
  EXPECT_EQ(elapsed, Duration::Millis(5));
  EXPECT_EQ(m.jwt_signatures, 0u);
  EXPECT_EQ(m.worker_cpu_ms, 0);
}

}  // namespace
}  // namespace credsim
