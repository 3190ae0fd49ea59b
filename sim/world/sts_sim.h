// Simulated AWS STS AssumeRoleWithWebIdentity: the one global endpoint shared by every caller
// of a run (StsService) and the per-caller client with timeout and SDK-style retries
// (StsClientSim). Facts and defaults: sources.md §P7 and §P8 "STS", sources.md §S3
// "The mint".
#ifndef CREDSIM_SIM_WORLD_STS_SIM_H_
#define CREDSIM_SIM_WORLD_STS_SIM_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "sim/config/distribution_json.h"
#include "sim/engine/distribution.h"
#include "sim/config/json_reader.h"
#include "sim/engine/random.h"
#include "sim/world/run_metrics.h"
#include "sim/engine/task.h"
#include "sim/engine/time.h"
#include "sim/engine/token_bucket.h"
#include "strategies/ports/ports.h"

namespace credsim {

// Which AWS SDK retry behaviour the client imitates (sources.md §P7 "SDK retry").
enum class StsRetryMode : uint8_t {
  kNone,          // the real proxy: one attempt, no retries (sources.md §S3 "The mint")
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

// The per-account STS request quota as a token bucket (sources.md §P7 "Request quota").
struct StsRateLimitConfig {
  bool enabled = true;
  double rate_per_s = 600;  // doc: 600 rps per account per Region (unconfirmed for this API)
  int64_t burst = 600;      // assumption: one second's worth of tokens
};

// Probabilities that STS answers an admitted request with an error (sources.md §P8 "STS").
struct StsErrorMix {
  double access_denied = 0;           // assumption; AccessDenied / IDPRejectedClaim -> 403
  double invalid_identity_token = 0;  // assumption; "couldn't retrieve verification key" -> 502
  double idp_communication = 0;       // assumption; IDPCommunicationError (transient) -> 502
};

// A window [start, end) measured from the scenario start in which the endpoint is down.
// Error mapping (sources.md §S3 "The mint", "Error mapping seen by the client"): an STS
// error document is a 502, only timeouts, connection errors and unparseable bodies are 503.
enum class StsOutageMode : uint8_t {
  kError,        // "error": STS answers with a 5xx error document (kServiceError, 502) after
                 // the drawn latency
  kUnreachable,  // "unreachable": the connection fails (refused / reset, no parseable
                 // answer; kOutage, 503) after the drawn latency (assumption: the failure is
                 // noticed as late as an answer would have come)
  kHang,         // "hang": calls hang until the client timeout (kTimeout, 503)
};
std::string_view StsOutageModeName(StsOutageMode mode);  // "error", "unreachable", "hang"
struct StsOutage {
  Duration start;
  Duration end;
  StsOutageMode mode = StsOutageMode::kError;
};

// What `StsConfig::latency` measures, and so whether the colo -> STS Region round trip of
// the colo network (world.colos) is added to it.
enum class StsNetworkMode : uint8_t {
  // "included" (default): `latency` is the end-to-end time of an attempt as any colo sees it
  // (network, TLS set-up and STS processing). No region RTT is added; every colo sees the
  // same distribution. sources.md §S3 gives the lognormal as the latency of the call
  // from a colo to the global endpoint (us-east-1), so adding the RTT again counted the
  // network twice (issue 11 item 4).
  kIncluded,
  // "add_rtt": `latency` is the time seen from a colo inside the STS Region; a colo farther
  // away adds RTT(colo, STS Region) - in-Region RTT (never negative), so geography matters
  // (sources.md §P8 STS: "network RTT colo->Region + TLS set-up + service time").
  kAddRtt,
};
std::string_view StsNetworkModeName(StsNetworkMode mode);  // "included", "add_rtt"

struct StsConfig {
  // Time from sending an attempt to its answer, without stalls: network + TLS set-up +
  // processing, as seen by every colo (network kIncluded) or by a colo in the STS Region
  // (kAddRtt). assumption (sources.md §S3 "The mint"): lognormal, median 150 ms, p99 1 s.
  // Values in seconds.
  Distribution latency = Distribution::LogNormal(0.15, 1.0);
  // See StsNetworkMode. Default kIncluded: the lognormal already is "from a colo".
  StsNetworkMode network = StsNetworkMode::kIncluded;
  // A fixed extra round trip added to every attempt of every caller in both network modes,
  // independent of geography (e.g. an egress proxy hop). It is not the colo -> Region RTT
  // (that is inside `latency`, or added per colo under kAddRtt), so the default 0 counts
  // nothing twice. Half of it elapses before the attempt reaches STS.
  Duration rtt;
  // Probability that an attempt stalls; assumption (sources.md §S3): 0.1-1 %.
  double stall_probability = 0.001;
  // Extra delay of a stalled attempt; assumption: 30 s, i.e. it runs into the timeout.
  Distribution stall_duration = Distribution::Constant(30);
  // Per-attempt client timeout; doc (sources.md §S3 "The mint"): 10 s.
  Duration timeout = Duration::Seconds(10);
  StsRetryConfig retries;
  StsRateLimitConfig rate_limit;
  StsErrorMix errors;
  std::vector<StsOutage> outages;  // assumption: none
  // Lifetime of issued credentials; doc: 3 600 s (DurationSeconds omitted), 900-43 200 s.
  Duration credential_duration = Duration::Seconds(3600);
  // CPU cost of signing the RS256 JWT; assumption (sources.md §S3): 2-10 ms. Seconds.
  Distribution signing_cpu = Distribution::Uniform(0.002, 0.010);
};

// Reads every StsConfig field from `r` (the caller calls r.Finish()). JSON shape:
//   {"latency": <distribution>, "network": "included"|"add_rtt", "rtt": "0ms",
//    "stall_probability": 0.001,
//    "stall_duration": <distribution>, "timeout": "10s",
//    "retries": {"mode": "none"|"standard"|"standard-2026", "max_attempts": 3,
//                "base_backoff_transient": "100ms", "base_backoff_throttling": "500ms",
//                "max_backoff": "20s", "quota": 500, "retry_cost": 5,
//                "timeout_retry_cost": 10, "throttling_retry_cost": 5,
//                "no_retry_increment": 1},
//    "rate_limit": {"rate_per_s": 600, "burst": 600, "enabled": true},
//    "errors": {"access_denied": 0, "invalid_identity_token": 0, "idp_communication": 0},
//    "outages": [{"start": "10m", "end": "20m", "mode": "error"|"unreachable"|"hang"}],
//    "credential_duration": "1h", "signing_cpu": <distribution>}
// Distributions use ParseDurationDistribution syntax. Retry fields other than "mode" default
// to the documented values of the chosen mode. Errors name the JSON path.
absl::Status ParseStsConfig(JsonReader& r, StsConfig* out);

// StsService: the single global STS endpoint of a run, shared by all StsClientSim instances.
//
// Contract:
//  * Every attempt a client sends is processed at its arrival time (start + half the
//    attempt's network RTT, see StsClientSim): outage windows first ("error": kServiceError,
//    "unreachable": kOutage, "hang": no answer), then the token bucket (kThrottling when
//    empty; throttled requests take no token), then the error mix, else success.
//  * A success issues credentials with a fresh id (1, 2, ...), issued_at = arrival + service
//    time (the moment STS produces the response) and expiration = issued_at +
//    credential_duration. Ids are consumed even if the client has timed out meanwhile.
//  * BackDated(key, c) (the steady-state start, see World): returns c with expiration =
//    c.expiration - A, A in [0, L) integer nanoseconds, uniform, L = credential_duration, so
//    for a full-life credential issued_at < expiration <= issued_at + L: it is as if it had
//    been issued an age A before (remaining life uniform on (0, L]); issued_at stays the real
//    mint instant (revocation and freshness checks compare against it). A is a pure function
//    of (the service's stream, the key, the number of back-dated credentials of that key so
//    far): the n-th back-dated credential of a key gets the same age in every strategy of a
//    run (paired phases, common random numbers), and A draws nothing from the attempt
//    stream, so latency/stall/error draws are the same with or without it.
//  * Metrics (only when metrics.Measuring(arrival)): sts_calls, sts_peak and sts_series count
//    every attempt that arrives (retries, throttled and outage ones included); sts_throttled
//    and sts_errors count non-success answers at arrival; sts_timeouts counts client timeouts
//    at the moment the client gives up. An arriving attempt also counts in the breakdown rows
//    of its caller's colo (StsClientSim's caller_colo) and of its key's role
//    (RunMetrics::by_colo, by_role; an index past their size is skipped), and the attempt and
//    a throttled answer in every results window containing the arrival (RunMetrics::windows;
//    one branch with no windows). Measurement only: no draw and no answer depends on it.
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
  // Back-dates a credential this service issued (contract above). Why a remaining life
  // uniform on (0, L] is the stationary start for every cache tier at once: a tier that
  // renews a lead l before expiry renews after R - l; with R ~ U(0, L] and R > l that wait
  // is uniform over one renewal period (0, L - l], the stationary phase of a renewal process
  // with period L - l whatever l is (credentials with R <= l renew at once).
  Credentials BackDated(CredentialKey key, Credentials c);

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
  // Counts an arriving attempt (sts_calls, peak, series, breakdowns, windows).
  void RecordArrival(Time t, uint32_t caller_colo, CredentialKey key);
  // STS-side processing of an attempt that arrived at `arrival` outside any outage.
  StsResult Serve(Time arrival, const AttemptDraws& d, CredentialKey key);
  // The back-dating age A in [0, L) of the next back-dated mint of `key` (steady fill).
  Duration InitialAge(CredentialKey key);
  void RecordError(Time t);
  void RecordTimeout(Time t);

  const StsConfig config_;
  Executor& clock_;
  RunMetrics& metrics_;
  Rng rng_;
  TokenBucket bucket_;
  uint64_t next_id_ = 1;
  // Steady start: base of the per-key age hash (derived from the stream's initial state
  // without drawing from it) and back-dated credentials so far per key (touched only by
  // BackDated, i.e. once per key and caller that stands for one running before t = 0).
  uint64_t age_base_;
  absl::flat_hash_map<uint64_t, uint64_t> backdated_mints_;
};

// StsClientSim: AssumeRoleWithWebIdentity as one caller (a colo's isolates, a Durable Object)
// sees it: per-attempt timeout, outages, throttling, error mix and, if configured, SDK
// standard-mode retries with backoff and a retry quota owned by this client.
//
// Contract: the call returns the first success or non-retried error; kTimeout exactly
// `timeout` after an attempt started if its answer (rtt + service time) would come later.
// The network RTT of an attempt is config.rtt plus, under network kAddRtt only,
// max(0, path_rtt - in_region_rtt); half of it elapses before the attempt reaches STS, the
// rest after STS answers. Under kIncluded (the default) path_rtt is ignored.
// `caller_colo` only attributes the client's attempts in RunMetrics::by_colo (kNoColo: none).
// Retries follow StsRetryConfig: attempt n (n >= 1) failing with a retryable error is
// retried after Uniform01 × min(max_backoff, base × 2^(n-1)) if n < max_attempts and the
// quota holds the retry's cost (which is then deducted); a success refunds the cost of its
// last retry, or adds no_retry_increment if it needed none (capped at `quota`). Throws
// RequestCancelled like any Sleep if the calling request is cancelled. No allocation beyond
// the pooled coroutine frames.
class StsClientSim final : public StsClient {
 public:
  // `path_rtt`: the round trip from this caller to the STS Region (world: RttToRegion(colo,
  // sts_region)); `in_region_rtt`: the round trip of a caller inside the STS Region (world:
  // colos.intra_region_rtt), which config.latency already contains under kAddRtt.
  static constexpr uint32_t kNoColo = UINT32_MAX;
  explicit StsClientSim(StsService& service, Duration path_rtt = Duration(),
                        Duration in_region_rtt = Duration(), uint32_t caller_colo = kNoColo);

  Task<StsResult> AssumeRoleWithWebIdentity(CredentialKey key) override;

  // Tokens left in this client's retry quota.
  int retry_quota() const { return quota_; }
  // The network round trip of every attempt of this client (see the contract).
  Duration attempt_rtt() const { return rtt_; }

 private:
  Task<StsResult> Attempt(CredentialKey key);

  StsService& service_;
  Duration rtt_;
  int quota_;
  uint32_t caller_colo_;
};

}  // namespace credsim

#endif  // CREDSIM_SIM_WORLD_STS_SIM_H_
