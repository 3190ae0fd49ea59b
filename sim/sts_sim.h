// Simulated AWS STS AssumeRoleWithWebIdentity: the one global endpoint shared by every caller
// of a run (StsService) and the per-caller client with timeout and SDK-style retries
// (StsClientSim). Facts and defaults: platform.md §7 and §8 "STS", proxy-semantics.md
// "The mint".
#ifndef CREDSIM_SIM_STS_SIM_H_
#define CREDSIM_SIM_STS_SIM_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "sim/distribution.h"
#include "sim/json_reader.h"
#include "sim/random.h"
#include "sim/run_metrics.h"
#include "sim/task.h"
#include "sim/time.h"
#include "sim/token_bucket.h"
#include "strategies/ports.h"

namespace credsim {

// Which AWS SDK retry behaviour the client imitates (platform.md §7 "SDK retry").
enum class StsRetryMode : uint8_t {
  kNone,          // the real proxy: one attempt, no retries (proxy-semantics.md "The mint")
  kStandard,      // SDK standard mode before the 2026 update
  kStandard2026,  // standard mode after the 2026 update (AWS_NEW_RETRIES_2026)
};
std::string_view StsRetryModeName(StsRetryMode mode);

// SDK standard-mode retries: exponential backoff with full jitter and a client-side retry
// quota. Retried errors: Throttling, timeouts, outages (5xx / unreachable) and
// IDPCommunicationError (transient); AccessDenied and InvalidIdentityToken are not retried.
// The timeout applies to each attempt.
struct StsRetryConfig {
  StsRetryMode mode = StsRetryMode::kNone;
  int max_attempts = 3;                                      // doc: 3 attempts (both sets)
  Duration base_backoff_transient = Duration::Millis(100);   // doc: 100 ms (2026: 50 ms)
  Duration base_backoff_throttling = Duration::Millis(500);  // doc: 500 ms (2026: 1 000 ms)
  Duration max_backoff = Duration::Seconds(20);              // doc: 20 s cap
  int quota = 500;                  // doc: retry quota of 500 tokens (both sets)
  int retry_cost = 5;               // doc: per non-throttling retry (2026: 14)
  int timeout_retry_cost = 10;      // doc: per retry after a timeout (2026: 14)
  int throttling_retry_cost = 5;    // doc: per throttling retry (2026: 5)
  int no_retry_increment = 1;       // doc: +1 per success without retry
};
// The documented defaults of `mode` (kNone gets the pre-2026 values, unused).
StsRetryConfig StsRetryDefaults(StsRetryMode mode);

// The per-account STS request quota as a token bucket (platform.md §7 "Request quota").
struct StsRateLimitConfig {
  bool enabled = true;
  double rate_per_s = 600;  // doc: 600 rps per account per Region (unconfirmed for this API)
  int64_t burst = 600;      // assumption: one second's worth of tokens
};

// Probabilities that STS answers an admitted request with an error (platform.md §8 "STS").
struct StsErrorMix {
  double access_denied = 0;           // assumption; AccessDenied / IDPRejectedClaim -> 403
  double invalid_identity_token = 0;  // assumption; "couldn't retrieve verification key" -> 502
  double idp_communication = 0;       // assumption; IDPCommunicationError (transient) -> 502
};

// A window [start, end) measured from the scenario start in which the endpoint is down.
enum class StsOutageMode : uint8_t {
  kError,  // calls fail with kOutage (503) after the drawn latency
  kHang,   // calls hang until the client timeout (kTimeout)
};
struct StsOutage {
  Duration start;
  Duration end;
  StsOutageMode mode = StsOutageMode::kError;
};

struct StsConfig {
  // STS service time (TLS set-up + processing). assumption (proxy-semantics.md "The mint"):
  // lognormal, median 150 ms, p99 1 s. Values in seconds.
  Distribution latency = Distribution::LogNormal(0.15, 1.0);
  // Network round trip colo -> STS added to every attempt; assumption: 0 (folded into latency).
  Duration rtt;
  // Probability that an attempt stalls; assumption (proxy-semantics.md): 0.1-1 %.
  double stall_probability = 0.001;
  // Extra delay of a stalled attempt; assumption: 30 s, i.e. it runs into the timeout.
  Distribution stall_duration = Distribution::Constant(30);
  // Per-attempt client timeout; doc (proxy-semantics.md "The mint"): 10 s.
  Duration timeout = Duration::Seconds(10);
  StsRetryConfig retries;
  StsRateLimitConfig rate_limit;
  StsErrorMix errors;
  std::vector<StsOutage> outages;  // assumption: none
  // Lifetime of issued credentials; doc: 3 600 s (DurationSeconds omitted), 900-43 200 s.
  Duration credential_duration = Duration::Seconds(3600);
  // CPU cost of signing the RS256 JWT; assumption (proxy-semantics.md): 2-10 ms. Seconds.
  Distribution signing_cpu = Distribution::Uniform(0.002, 0.010);
};

// Reads every StsConfig field from `r` (the caller calls r.Finish()). JSON shape:
//   {"latency": <distribution>, "rtt": "0ms", "stall_probability": 0.001,
//    "stall_duration": <distribution>, "timeout": "10s",
//    "retries": {"mode": "none"|"standard"|"standard-2026", "max_attempts": 3,
//                "base_backoff_transient": "100ms", "base_backoff_throttling": "500ms",
//                "max_backoff": "20s", "quota": 500, "retry_cost": 5,
//                "timeout_retry_cost": 10, "throttling_retry_cost": 5,
//                "no_retry_increment": 1},
//    "rate_limit": {"rate_per_s": 600, "burst": 600, "enabled": true},
//    "errors": {"access_denied": 0, "invalid_identity_token": 0, "idp_communication": 0},
//    "outages": [{"start": "10m", "end": "20m", "mode": "error"|"hang"}],
//    "credential_duration": "1h", "signing_cpu": <distribution>}
// Distributions use ParseDurationDistribution syntax. Retry fields other than "mode" default
// to the documented values of the chosen mode. Errors name the JSON path.
absl::Status ParseStsConfig(JsonReader& r, StsConfig* out);

// StsService: the single global STS endpoint of a run, shared by all StsClientSim instances.
//
// Contract:
//  * Every attempt a client sends is processed at its arrival time (start + rtt/2): outage
//    windows first, then the token bucket (kThrottling when empty; throttled requests take no
//    token), then the error mix, else success.
//  * A success issues credentials with a fresh id (1, 2, ...), issued_at = arrival + service
//    time (the moment STS produces the response) and expiration = issued_at +
//    credential_duration. Ids are consumed even if the client has timed out meanwhile.
//  * Metrics (only when metrics.Measuring(arrival)): sts_calls, sts_peak and sts_series count
//    every attempt that arrives (retries, throttled and outage ones included); sts_throttled
//    and sts_errors count non-success answers at arrival; sts_timeouts counts client timeouts
//    at the moment the client gives up.
//  * Each attempt draws exactly 4 numbers from the Rng (latency, stall yes/no, stall length,
//    error choice) whatever its outcome; each backoff draws 1 more.
//  * Not thread-safe (one simulation thread). The config must be valid (as ParseStsConfig
//    accepts); clock and metrics must outlive the service.
class StsService {
 public:
  StsService(const StsConfig& config, Executor& clock, RunMetrics& metrics, Rng rng);
  StsService(const StsService&) = delete;
  StsService& operator=(const StsService&) = delete;

  const StsConfig& config() const { return config_; }
  Executor& clock() { return clock_; }
  // Number of credentials issued so far (the last id handed out).
  uint64_t credentials_issued() const { return next_id_ - 1; }
  const TokenBucket& bucket() const { return bucket_; }

 private:
  friend class StsClientSim;

  // The random part of one attempt.
  struct AttemptDraws {
    Duration latency;  // service time without stall
    Duration service;  // latency + stall, if any
    double error_u;    // uniform [0, 1) choosing the error-mix outcome
  };
  AttemptDraws DrawAttempt();
  double DrawJitter() { return rng_.Uniform01(); }
  // The outage window containing `t`, or null.
  const StsOutage* OutageAt(Time t) const;
  // Counts an arriving attempt (sts_calls, peak, series).
  void RecordArrival(Time t);
  // STS-side processing of an attempt that arrived at `arrival` outside any outage.
  StsResult Serve(Time arrival, const AttemptDraws& d);
  void RecordError(Time t);
  void RecordTimeout(Time t);

  const StsConfig config_;
  Executor& clock_;
  RunMetrics& metrics_;
  Rng rng_;
  TokenBucket bucket_;
  uint64_t next_id_ = 1;
};

// StsClientSim: AssumeRoleWithWebIdentity as one caller (a colo's isolates, a Durable Object)
// sees it: per-attempt timeout, outages, throttling, error mix and, if configured, SDK
// standard-mode retries with backoff and a retry quota owned by this client.
//
// Contract: the call returns the first success or non-retried error; kTimeout exactly
// `timeout` after an attempt started if its answer (rtt + service time) would come later.
// Retries follow StsRetryConfig: attempt n (n >= 1) failing with a retryable error is
// retried after Uniform01 × min(max_backoff, base × 2^(n-1)) if n < max_attempts and the
// quota holds the retry's cost (which is then deducted); a success refunds the cost of its
// last retry, or adds no_retry_increment if it needed none (capped at `quota`). Throws
// RequestCancelled like any Sleep if the calling request is cancelled. No allocation beyond
// the pooled coroutine frames.
class StsClientSim final : public StsClient {
 public:
  // `path_rtt` is the round trip from this caller to the STS Region (added to config.rtt).
  explicit StsClientSim(StsService& service, Duration path_rtt = Duration());

  Task<StsResult> AssumeRoleWithWebIdentity(CredentialKey key) override;

  // Tokens left in this client's retry quota.
  int retry_quota() const { return quota_; }

 private:
  Task<StsResult> Attempt();

  StsService& service_;
  Duration path_rtt_;
  int quota_;
};

}  // namespace credsim

#endif  // CREDSIM_SIM_STS_SIM_H_
