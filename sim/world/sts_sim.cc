#include "sim/world/sts_sim.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "fmt/format.h"
#include "nlohmann/json.hpp"

namespace credsim {

namespace {

// Longest latency or stall drawn (about 31 years): keeps Time arithmetic far from overflow.
constexpr double kMaxDrawSeconds = 1e9;

Distribution GetDistribution(JsonReader& r, std::string_view key, const Distribution& def,
                             const ParamDoc& doc,
                             ParamSite loc = ParamSite::Current()) {
  Distribution d = def;
  ReadDurationDistribution(r, key, &d, doc, loc);
  return d;
}

void ParseRetries(JsonReader& r, StsRetryConfig* out) {
  const std::string mode = r.GetEnum("mode", std::string(StsRetryModeName(out->mode)),
                                     {"none", "standard", "standard-2026"},
      {.doc = "\"none\" (the real proxy), \"standard\" (SDK standard mode before 2026) or "
              "\"standard-2026\" (AWS_NEW_RETRIES_2026).",
       .source = "sources.md §S3 \"The mint\": no retries; sources.md §P7 SDK retry."});
  const StsRetryMode m = mode == "standard"        ? StsRetryMode::kStandard
                         : mode == "standard-2026" ? StsRetryMode::kStandard2026
                                                   : StsRetryMode::kNone;
  const StsRetryConfig def = StsRetryDefaults(m);
  out->mode = m;
  out->max_attempts = static_cast<int>(r.GetInt("max_attempts", def.max_attempts, 1, 100,
      {.doc = "Attempts including the first.",
       .source = "sources.md §P7 SDK retry: 3 attempts (both sets)."}));
  out->base_backoff_transient = r.GetDuration("base_backoff_transient", def.base_backoff_transient,
      {.doc = "Backoff base for transient errors; retry n waits U(0,1) x min(max_backoff, "
              "base x 2^(n-1)).",
       .source = "sources.md §P7 SDK retry: 100 ms (2026 update: 50 ms).",
       .derived_default = true});
  out->base_backoff_throttling =
      r.GetDuration("base_backoff_throttling", def.base_backoff_throttling,
          {.doc = "Backoff base after Throttling.",
           .source = "sources.md §P7 SDK retry: 500 ms (2026 update: 1 000 ms).",
           .derived_default = true});
  out->max_backoff = r.GetDuration("max_backoff", def.max_backoff,
      {.doc = "Backoff cap.",
       .source = "sources.md §P7 SDK retry: 20 s."});
  constexpr int64_t kMaxTokens = 1000000000;
  out->quota = static_cast<int>(r.GetInt("quota", def.quota, 0, kMaxTokens,
      {.doc = "Client-side retry quota (tokens).",
       .source = "sources.md §P7 SDK retry: 500 tokens."}));
  out->retry_cost = static_cast<int>(r.GetInt("retry_cost", def.retry_cost, 0, kMaxTokens,
      {.doc = "Tokens per retry of a non-throttling, non-timeout error.",
       .source = "sources.md §P7 SDK retry: 5 (2026 update: 14).",
       .derived_default = true}));
  out->timeout_retry_cost =
      static_cast<int>(r.GetInt("timeout_retry_cost", def.timeout_retry_cost, 0, kMaxTokens,
          {.doc = "Tokens per retry after a timeout.",
           .source = "sources.md §P7 SDK retry: 10 (2026 update: 14).",
           .derived_default = true}));
  out->throttling_retry_cost = static_cast<int>(
      r.GetInt("throttling_retry_cost", def.throttling_retry_cost, 0, kMaxTokens,
          {.doc = "Tokens per retry after Throttling.",
           .source = "sources.md §P7 SDK retry: 5 (2026 update: 5)."}));
  out->no_retry_increment =
      static_cast<int>(r.GetInt("no_retry_increment", def.no_retry_increment, 0, kMaxTokens,
          {.doc = "Tokens refunded per success without retry.",
           .source = "sources.md §P7 SDK retry: +1 per success without retry."}));
}

void ParseOutages(JsonReader& r, std::vector<StsOutage>* out) {
  const std::vector<const nlohmann::json*> items = r.GetArray("outages",
      {.doc = "Windows [start, end) since the start in which STS is down.",
       .source = "assumption: none."});
  const std::string array_path = r.PathOf("outages");
  out->clear();
  for (size_t i = 0; i < items.size(); ++i) {
    JsonReader o(*items[i], JsonReader::ElementPath(array_path, i), r);
    StsOutage w;
    for (const char* key : {"start", "end"}) {
      if (o.ok() && !o.Has(key)) {
        o.Fail(o.path(), fmt::format("missing key \"{}\"; an outage needs start and end "
                                     "(durations from the scenario start)",
                                     key));
      }
    }
    w.start = o.GetDuration("start", Duration(),
        {.doc = "Start of the window.", .required = true});
    w.end = o.GetDuration("end", Duration(),
        {.doc = "End of the window (exclusive).", .required = true});
    const std::string mode = o.GetEnum("mode", std::string(StsOutageModeName(w.mode)),
                                       {"error", "unreachable", "hang"},
        {.doc = "\"error\": STS answers with a 5xx error document after the drawn latency (502); "
                "\"unreachable\": the connection fails after the drawn latency (no parseable "
                "answer, 503); \"hang\": attempts hang until the client timeout (503).",
         .source = "sources.md §S3 \"The mint\" error mapping (error document 502; timeout, "
                   "connection error, unparseable body 503); when a connection failure is "
                   "noticed: assumption."});
    w.mode = mode == "hang"          ? StsOutageMode::kHang
             : mode == "unreachable" ? StsOutageMode::kUnreachable
                                     : StsOutageMode::kError;
    if (o.ok() && w.end <= w.start) {
      o.Fail(o.PathOf("end"), fmt::format("must be later than start ({}), got {}",
                                          FormatDuration(w.start), FormatDuration(w.end)));
    }
    (void)o.Finish();
    out->push_back(w);
  }
}

}  // namespace

std::string_view StsRetryModeName(StsRetryMode mode) {
  switch (mode) {
    case StsRetryMode::kNone: return "none";
    case StsRetryMode::kStandard: return "standard";
    case StsRetryMode::kStandard2026: return "standard-2026";
  }
  return "none";
}

std::string_view StsOutageModeName(StsOutageMode mode) {
  switch (mode) {
    case StsOutageMode::kError: return "error";
    case StsOutageMode::kUnreachable: return "unreachable";
    case StsOutageMode::kHang: return "hang";
  }
  return "error";
}

std::string_view StsNetworkModeName(StsNetworkMode mode) {
  switch (mode) {
    case StsNetworkMode::kIncluded: return "included";
    case StsNetworkMode::kAddRtt: return "add_rtt";
  }
  return "included";
}

StsRetryConfig StsRetryDefaults(StsRetryMode mode) {
  StsRetryConfig c;
  c.mode = mode;
  if (mode == StsRetryMode::kStandard2026) {
    // sources.md §P7 "SDK retry, 2026 update".
    c.base_backoff_transient = Duration::Millis(50);
    c.base_backoff_throttling = Duration::Millis(1000);
    c.retry_cost = 14;
    c.timeout_retry_cost = 14;
    c.throttling_retry_cost = 5;
  }
  return c;
}

absl::Status ParseStsConfig(JsonReader& r, StsConfig* out) {
  const StsConfig def;
  out->latency = GetDistribution(r, "latency", def.latency,
      {.doc = "Time from sending an attempt to its answer without stalls (network + TLS set-up + processing): as seen by every colo under `network` \"included\", by a colo inside the STS Region under \"add_rtt\".",
       .source = "assumption (sources.md §S3 \"The mint\": lognormal, median ~150 ms, p99 ~1 s, for the call from a colo to the global endpoint)."});
  out->network = r.GetEnum("network", std::string(StsNetworkModeName(def.network)),
                           {"included", "add_rtt"},
      {.doc = "\"included\": `latency` already contains the colo -> STS network, no RTT is "
              "added and every colo sees the same latency; \"add_rtt\": a colo outside the STS "
              "Region adds RTT(colo, `world.colos.sts_region`) - "
              "`world.colos.intra_region_rtt` to every attempt (geography matters).",
       .source = "sources.md §S3 \"The mint\" (latency from a colo to us-east-1, so adding the "
                 "RTT counts the network twice); sources.md §P8 STS (RTT colo->Region + TLS + "
                 "service time) for \"add_rtt\"."}) == "add_rtt"
                     ? StsNetworkMode::kAddRtt
                     : StsNetworkMode::kIncluded;
  out->rtt = r.GetDuration("rtt", def.rtt,
      {.doc = "A fixed extra round trip added to every attempt of every colo in both "
              "`network` modes (e.g. an egress proxy hop); not the colo -> Region RTT, which "
              "is in `latency` or added by \"add_rtt\".",
       .source = "assumption: none."});
  out->stall_probability = r.GetNumber("stall_probability", def.stall_probability, 0, 1,
      {.doc = "Probability that an attempt stalls.",
       .source = "assumption (sources.md §S3 \"The mint\": 0.1-1 %)."});
  out->stall_duration = GetDistribution(r, "stall_duration", def.stall_duration,
      {.doc = "Extra delay of a stalled attempt.",
       .source = "assumption: runs into the 10 s timeout."});
  out->timeout = r.GetDuration("timeout", def.timeout,
      {.doc = "Per-attempt client timeout (then 503).",
       .source = "sources.md §S3 \"The mint\": per-request timeout 10 s."});
  if (r.ok() && out->timeout <= Duration()) {
    r.Fail(r.PathOf("timeout"), "must be positive");
  }

  {
    JsonReader c = r.Child("retries",
        {.doc = "AWS SDK standard-mode retries (the real proxy does not retry). Fields other "
                "than `mode` default to the documented values of the chosen mode.",
         .source = "sources.md §P7 SDK retry."});
    out->retries = def.retries;
    ParseRetries(c, &out->retries);
    (void)c.Finish();
  }
  {
    JsonReader c = r.Child("rate_limit",
        {.doc = "Per-account STS request quota as a token bucket; excess attempts get "
                "Throttling (502).",
         .source = "sources.md §P7 Request quota, Throttling."});
    out->rate_limit.enabled = c.GetBool("enabled", def.rate_limit.enabled,
        {.doc = "Apply the token bucket.",
         .source = "sources.md §P7 Request quota."});
    out->rate_limit.rate_per_s = c.GetNumber("rate_per_s", def.rate_limit.rate_per_s, 0, 1e9,
        {.doc = "Tokens per second.",
         .source = "sources.md §P7 Request quota: 600 rps per account per Region (unconfirmed for "
                   "this API)."});
    out->rate_limit.burst = c.GetInt("burst", def.rate_limit.burst, 1, 1000000000,
        {.doc = "Bucket size.",
         .source = "assumption: one second's worth."});
    (void)c.Finish();
  }
  {
    JsonReader c = r.Child("errors",
        {.doc = "Probabilities that STS answers an admitted attempt with an error (sum <= 1).",
         .source = "sources.md §P7 Operation errors, §P8 STS."});
    out->errors.access_denied = c.GetNumber("access_denied", def.errors.access_denied, 0, 1,
        {.doc = "AccessDenied / IDPRejectedClaim (403, not retried).",
         .source = "assumption (sources.md §P7 errors)."});
    out->errors.invalid_identity_token =
        c.GetNumber("invalid_identity_token", def.errors.invalid_identity_token, 0, 1,
            {.doc = "InvalidIdentityToken \"couldn't retrieve verification key\" (502, not retried).",
             .source = "assumption (sources.md §P7 errors)."});
    out->errors.idp_communication =
        c.GetNumber("idp_communication", def.errors.idp_communication, 0, 1,
            {.doc = "IDPCommunicationError (502, transient, retried).",
             .source = "assumption (sources.md §P7 errors)."});
    const double sum = out->errors.access_denied + out->errors.invalid_identity_token +
                       out->errors.idp_communication;
    if (c.ok() && sum > 1) {
      c.Fail(c.path(), fmt::format("probabilities sum to {}; the sum must be <= 1", sum));
    }
    (void)c.Finish();
  }
  ParseOutages(r, &out->outages);

  out->credential_duration = r.GetDuration("credential_duration", def.credential_duration,
      {.doc = "Lifetime of issued credentials (DurationSeconds).",
       .source = "sources.md §P7 DurationSeconds: default 3 600 s, 900-43 200 s; sources.md §S3 "
                 "\"The mint\"."});
  if (r.ok()) {
    const Duration d = out->credential_duration;
    if (d < Duration::Seconds(900) || d > Duration::Seconds(43200)) {
      r.Fail(r.PathOf("credential_duration"),
             fmt::format("{} is out of range; AWS accepts DurationSeconds from 900s (15m) to "
                         "43200s (12h)",
                         FormatDuration(d)));
    } else if (d.nanos() % Duration::Seconds(1).nanos() != 0) {
      r.Fail(r.PathOf("credential_duration"),
             fmt::format("{} is not a whole number of seconds; DurationSeconds is an integer",
                         FormatDuration(d)));
    }
  }
  out->signing_cpu = GetDistribution(r, "signing_cpu", def.signing_cpu,
      {.doc = "CPU time to sign the RS256 JWT before each STS exchange.",
       .source = "assumption (sources.md §S3 \"The mint\": 2-10 ms in wasm)."});
  return r.status();
}

// ---------------------------------------------------------------------------------------------
// StsService

StsService::StsService(const StsConfig& config, Executor& clock, RunMetrics& metrics, Rng rng)
    : config_(config),
      clock_(clock),
      metrics_(metrics),
      rng_(rng),
      bucket_(config.rate_limit.rate_per_s, config.rate_limit.burst, clock.Now()),
      // A function of the stream's starting state that draws nothing from it (so the
      // attempt draws stay where they were) and differs from every xoshiro output by the
      // stream-name constant and the mixing.
      age_base_(Mix64(Fnv1a64("sts.initial_age") ^ Mix64(rng.state()[0]) ^
                      Mix64(rng.state()[1] ^ Mix64(rng.state()[2] ^ rng.state()[3])))) {}

Duration StsService::InitialAge(CredentialKey key) {
  const uint64_t n = backdated_mints_[key.packed()]++;
  // Independent-looking per (key, n): the same construction as Rng::ForStream's index.
  Rng age(Mix64(Mix64(age_base_ ^ Mix64(key.packed())) ^ Mix64(n)));
  const int64_t life = config_.credential_duration.nanos();  // >= 900 s, so > 0
  // UniformInt is exactly uniform on [0, life): A < L strictly, remaining life >= 1 ns.
  return Duration::Nanos(static_cast<int64_t>(age.UniformInt(static_cast<uint64_t>(life))));
}

Credentials StsService::BackDated(CredentialKey key, Credentials c) {
  c.expiration = c.expiration - InitialAge(key);
  // Guard (InitialAge returns age < L, and c has full life): never expired at issue.
  if (c.expiration <= c.issued_at) c.expiration = c.issued_at + Duration::Nanos(1);
  return c;
}

StsService::AttemptDraws StsService::DrawAttempt() {
  // Always exactly four draws, whatever the outcome.
  const double latency = std::clamp(config_.latency.Sample(rng_), 0.0, kMaxDrawSeconds);
  const bool stall = rng_.Bernoulli(config_.stall_probability);
  const double stall_s = std::clamp(config_.stall_duration.Sample(rng_), 0.0, kMaxDrawSeconds);
  AttemptDraws d;
  d.error_u = rng_.Uniform01();
  d.latency = Duration::FromSecondsF(latency);
  d.service = stall ? d.latency + Duration::FromSecondsF(stall_s) : d.latency;
  return d;
}

const StsOutage* StsService::OutageAt(Time t) const {
  const Duration since = t.since_start();
  for (const StsOutage& o : config_.outages) {
    if (since >= o.start && since < o.end) return &o;
  }
  return nullptr;
}

void StsService::RecordArrival(Time t, uint32_t caller_colo, CredentialKey key) {
  if (!metrics_.Measuring(t)) return;
  ++metrics_.sts_calls;
  metrics_.sts_peak.Add(t);
  metrics_.sts_series.Add(t);
  if (caller_colo < metrics_.by_colo.size()) ++metrics_.by_colo[caller_colo].sts_calls;
  if (key.role < metrics_.by_role.size()) ++metrics_.by_role[key.role].sts_calls;
  if (!metrics_.windows.empty()) metrics_.windows.StsCall(t);
}

void StsService::RecordError(Time t) {
  if (metrics_.Measuring(t)) ++metrics_.sts_errors;
}

void StsService::RecordTimeout(Time t) {
  if (metrics_.Measuring(t)) ++metrics_.sts_timeouts;
}

StsResult StsService::Serve(Time arrival, const AttemptDraws& d, CredentialKey key) {
  StsResult r;
  if (config_.rate_limit.enabled && !bucket_.TryTake(arrival)) {
    if (metrics_.Measuring(arrival)) {
      ++metrics_.sts_throttled;
      if (!metrics_.windows.empty()) metrics_.windows.StsThrottled(arrival);
    }
    RecordError(arrival);
    r.error = StsError::kThrottling;
    return r;
  }
  const StsErrorMix& e = config_.errors;
  if (d.error_u < e.access_denied) {
    r.error = StsError::kAccessDenied;
  } else if (d.error_u < e.access_denied + e.invalid_identity_token) {
    r.error = StsError::kInvalidIdentityToken;
  } else if (d.error_u < e.access_denied + e.invalid_identity_token + e.idp_communication) {
    r.error = StsError::kIdpCommunication;
  }
  if (!r.ok()) {
    RecordError(arrival);
    return r;
  }
  r.credentials.id = next_id_++;
  r.credentials.issued_at = arrival + d.service;
  r.credentials.expiration = r.credentials.issued_at + config_.credential_duration;
  return r;
}

// ---------------------------------------------------------------------------------------------
// StsClientSim

namespace {

bool Retryable(StsError e) {
  switch (e) {
    case StsError::kThrottling:
    case StsError::kTimeout:
    case StsError::kOutage:
    case StsError::kServiceError:  // SDK standard mode retries 5xx answers as transient
    case StsError::kIdpCommunication: return true;
    case StsError::kNone:
    case StsError::kAccessDenied:
    case StsError::kInvalidIdentityToken: return false;
  }
  return false;
}

// min(max, base × 2^(attempt-1)) without overflow.
Duration BackoffCap(Duration base, Duration max, int attempt) {
  Duration cap = std::min(base, max);
  for (int i = 1; i < attempt && cap < max; ++i) {
    cap = cap > max / 2 ? max : cap * 2;
  }
  return std::min(cap, max);
}

}  // namespace

StsClientSim::StsClientSim(StsService& service, Duration path_rtt, Duration in_region_rtt,
                           uint32_t caller_colo)
    : service_(service),
      rtt_(service.config().rtt +
           (service.config().network == StsNetworkMode::kAddRtt
                ? std::max(Duration(), path_rtt - in_region_rtt)
                : Duration())),
      quota_(service.config().retries.quota),
      caller_colo_(caller_colo) {}

Task<StsResult> StsClientSim::Attempt(CredentialKey key) {
  StsService& s = service_;
  const StsConfig& c = s.config_;
  Executor& clock = s.clock_;
  const StsService::AttemptDraws d = s.DrawAttempt();
  const Duration rtt = rtt_;
  const Duration one_way = rtt / 2;
  const Duration back = rtt - one_way;
  if (one_way >= c.timeout) {  // never reaches STS
    co_await Sleep(clock, c.timeout);
    s.RecordTimeout(clock.Now());
    co_return StsResult{StsError::kTimeout, Credentials()};
  }
  if (one_way > Duration()) co_await Sleep(clock, one_way);
  const Time arrival = clock.Now();
  s.RecordArrival(arrival, caller_colo_, key);
  StsResult result;
  Duration answer_after;  // from arrival until STS answers
  if (const StsOutage* outage = s.OutageAt(arrival); outage != nullptr) {
    if (outage->mode == StsOutageMode::kHang) {
      answer_after = Duration::Infinite();
    } else {
      s.RecordError(arrival);
      result.error = outage->mode == StsOutageMode::kUnreachable ? StsError::kOutage
                                                                  : StsError::kServiceError;
      answer_after = d.latency;
    }
  } else {
    result = s.Serve(arrival, d, key);
    answer_after = d.service;
  }
  const Duration remaining = c.timeout - one_way;  // > 0
  if (answer_after > remaining - back) {
    co_await Sleep(clock, remaining);
    s.RecordTimeout(clock.Now());
    co_return StsResult{StsError::kTimeout, Credentials()};
  }
  if (answer_after + back > Duration()) co_await Sleep(clock, answer_after + back);
  co_return result;
}

Task<StsResult> StsClientSim::AssumeRoleWithWebIdentity(CredentialKey key) {
  const StsRetryConfig& rc = service_.config_.retries;
  int last_cost = 0;
  for (int attempt = 1;; ++attempt) {
    StsResult r = co_await Attempt(key);
    if (r.ok()) {
      if (rc.mode != StsRetryMode::kNone) {
        const int refund = last_cost > 0 ? last_cost : rc.no_retry_increment;
        quota_ = static_cast<int>(std::min<int64_t>(rc.quota, int64_t{quota_} + refund));
      }
      co_return r;
    }
    if (rc.mode == StsRetryMode::kNone || attempt >= rc.max_attempts || !Retryable(r.error)) {
      co_return r;
    }
    const bool throttled = r.error == StsError::kThrottling;
    const int cost = throttled                         ? rc.throttling_retry_cost
                     : r.error == StsError::kTimeout ? rc.timeout_retry_cost
                                                       : rc.retry_cost;
    if (cost > quota_) co_return r;  // retry quota exhausted: the SDK gives up
    quota_ -= cost;
    last_cost = cost;
    const Duration cap = BackoffCap(
        throttled ? rc.base_backoff_throttling : rc.base_backoff_transient, rc.max_backoff,
        attempt);
    const Duration delay = Duration::Nanos(
        static_cast<int64_t>(std::floor(service_.DrawJitter() * static_cast<double>(cap.nanos()))));
    if (delay > Duration()) co_await Sleep(service_.clock_, delay);
  }
}

}  // namespace credsim
