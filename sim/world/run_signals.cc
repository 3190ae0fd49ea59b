#include "sim/world/run_signals.h"

#include "strategies/ports/strategy.h"

namespace credsim {
namespace {

using V = SignalValue;
using In = SignalInputs;

double Ratio(double a, double b) { return b > 0 ? a / b : 0.0; }
double Ms(int64_t ns) { return static_cast<double>(ns) * 1e-6; }

template <uint64_t RunMetrics::*F>
V Count(const In& in) {
  return V::Integer(in.metrics.*F);
}
template <double RunMetrics::*F>
V Amount(const In& in) {
  return V::Real(in.metrics.*F);
}
template <int kStatus>
V Errors(const In& in) {
  return V::Integer(in.metrics.errors[RunMetrics::ErrorIndex(kStatus)]);
}
template <Tier kTier>
V Served(const In& in) {
  return V::Integer(in.metrics.served_from[static_cast<int>(kTier)]);
}
double Tiered(const RunMetrics& m, Tier t) {
  return static_cast<double>(m.served_from[static_cast<int>(t)]);
}
uint64_t FailedRequests(const RunMetrics& m) {
  uint64_t failed = 0;
  for (uint64_t e : m.errors) failed += e;
  return failed;
}

// Auth latency statistics in ms; 0 (an integer) when no request was measured.
template <V (*kStat)(const Histogram&)>
V Latency(const In& in) {
  const Histogram& h = in.metrics.auth_latency;
  return h.count() > 0 ? kStat(h) : V::Integer(0);
}
V P50(const Histogram& h) { return V::Real(Ms(h.Percentile(0.5))); }
V P90(const Histogram& h) { return V::Real(Ms(h.Percentile(0.9))); }
V P99(const Histogram& h) { return V::Real(Ms(h.Percentile(0.99))); }
V P999(const Histogram& h) { return V::Real(Ms(h.Percentile(0.999))); }
V Max(const Histogram& h) { return V::Real(Ms(h.max())); }
V Mean(const Histogram& h) { return V::Real(h.mean() * 1e-6); }

// The cost model (marginal list prices, no free allowances).
struct Costs {
  explicit Costs(const In& in) {
    const RunMetrics& m = in.metrics;
    const PricingConfig& p = in.pricing;
    kv_reads = m.kv_reads * p.kv_read_per_million * 1e-6;
    // Accepted writes only: no source bills a write rejected with 429 (counted, not billed).
    kv_writes = m.kv_writes * p.kv_write_per_million * 1e-6;
    do_requests = m.do_requests * p.do_request_per_million * 1e-6;
    do_duration = m.do_active_seconds * p.do_memory_gb * p.do_gb_s_per_million * 1e-6;
    do_storage = m.do_storage_writes * p.do_row_write_per_million * 1e-6;
    workers_requests = m.requests * p.workers_request_per_million * 1e-6;
    workers_cpu = m.worker_cpu_ms * p.workers_cpu_ms_per_million * 1e-6;
  }
  double total() const {
    return kv_reads + kv_writes + do_requests + do_duration + do_storage + workers_requests +
           workers_cpu;
  }
  double kv_reads, kv_writes, do_requests, do_duration, do_storage, workers_requests,
      workers_cpu;
};
template <double Costs::*F>
V Cost(const In& in) {
  return V::Real(Costs(in).*F);
}

constexpr RunSignal Counter(std::string_view key, std::string_view unit,
                            std::string_view meaning, V (*read)(const In&)) {
  return RunSignal{key, SignalKind::kCounter, unit, meaning, read};
}
constexpr RunSignal Gauge(std::string_view key, std::string_view unit, std::string_view meaning,
                          V (*read)(const In&), int digits = 6) {
  return RunSignal{key, SignalKind::kGauge, unit, meaning, read, digits};
}
constexpr RunSignal Derived(std::string_view key, std::string_view unit,
                            std::string_view meaning, V (*read)(const In&), int digits = 6) {
  return RunSignal{key, SignalKind::kDerived, unit, meaning, read, digits};
}
constexpr RunSignal HistogramOf(std::string_view key, std::string_view unit,
                                std::string_view meaning, const Histogram RunMetrics::*h,
                                double scale) {
  return RunSignal{key, SignalKind::kHistogram, unit, meaning, nullptr, 6, h, scale};
}
constexpr RunSignal Series(std::string_view key, std::string_view unit, std::string_view meaning,
                           const TimeSeries RunMetrics::*s) {
  return RunSignal{key, SignalKind::kSeries, unit, meaning, nullptr, 3, nullptr, 1, s};
}

const RunSignal kSignals[] = {
    Counter("requests", "requests", "requests that arrived in the window",
            Count<&RunMetrics::requests>),
    Counter("sts_calls", "calls",
            "STS requests that reached STS (retries and throttled calls included)",
            Count<&RunMetrics::sts_calls>),
    Gauge("sts_calls_peak_per_s", "calls/s", "most STS calls in one aligned second",
          [](const In& in) { return V::Integer(in.metrics.sts_peak.peak()); }),
    Counter("sts_throttled", "calls", "STS calls answered with Throttling",
            Count<&RunMetrics::sts_throttled>),
    Counter("sts_timeouts", "calls", "STS calls that hit the client-side timeout",
            Count<&RunMetrics::sts_timeouts>),
    Counter("sts_errors", "calls", "STS calls with any non-success answer",
            Count<&RunMetrics::sts_errors>),
    Counter("jwt_signatures", "signatures", "RS256 JWTs signed (an L2 hit still signs one)",
            Count<&RunMetrics::jwt_signatures>),
    Counter("errors.403", "requests",
            "failed with 403 (AccessDenied: expired or revoked credentials)", Errors<403>),
    Counter("errors.500", "requests",
            "failed with 500 (the runtime cancelled a request waiting on another request's "
            "I/O, l1 v1)",
            Errors<500>),
    Counter("errors.502", "requests",
            "failed with 502 (other STS errors, including STS error documents and "
            "`\"error\"` outages)",
            Errors<502>),
    Counter("errors.503", "requests",
            "failed with 503 (STS timeout, unreachable STS or `\"unreachable\"`/`\"hang\"` "
            "outages, edge timeout)",
            Errors<503>),
    Derived("errors.total", "requests", "failed requests, any status",
            [](const In& in) { return V::Integer(FailedRequests(in.metrics)); }),
    Derived("error_ratio", "ratio", "`errors.total / requests`",
            [](const In& in) {
              return V::Real(Ratio(FailedRequests(in.metrics), in.metrics.requests));
            },
            9),
    Derived("auth_latency_ms.p50", "ms",
            "median time spent obtaining credentials (cold-start wait excluded; ≤ 0.4 % relative "
            "error, log-linear histogram; 0 without requests)",
            Latency<P50>),
    Derived("auth_latency_ms.p90", "ms", "90th percentile of the auth latency", Latency<P90>),
    Derived("auth_latency_ms.p99", "ms", "99th percentile of the auth latency", Latency<P99>),
    Derived("auth_latency_ms.p999", "ms", "99.9th percentile of the auth latency",
            Latency<P999>),
    Derived("auth_latency_ms.max", "ms", "largest auth latency", Latency<Max>),
    Derived("auth_latency_ms.mean", "ms", "mean auth latency (exact)", Latency<Mean>),
    HistogramOf("auth_latency_cdf_ms", "[ms, fraction]",
                "up to 200 `[ms, cumulative fraction]` points of the auth latency",
                &RunMetrics::auth_latency, 1e-6),
    Counter("served_by.l1", "requests", "successful requests served from the isolate's memory (L1)",
            Served<Tier::kL1>),
    Counter("served_by.l2", "requests", "successful requests served from the colo's Cache API (L2)",
            Served<Tier::kL2>),
    Counter("served_by.kv", "requests", "successful requests served from Workers KV",
            Served<Tier::kKv>),
    Counter("served_by.do", "requests", "successful requests served by a Durable Object",
            Served<Tier::kDurableObject>),
    Counter("served_by.sts", "requests", "successful requests that called STS themselves",
            Served<Tier::kSts>),
    Counter("served_by.none", "requests", "successful requests whose provider named no tier",
            Served<Tier::kNone>),
    Derived("hit_ratio.l1", "ratio", "share of requests served by L1",
            [](const In& in) {
              return V::Real(Ratio(Tiered(in.metrics, Tier::kL1), in.metrics.requests));
            }),
    Derived("hit_ratio.l2", "ratio", "Cache API hits / matches",
            [](const In& in) {
              return V::Real(Ratio(in.metrics.cache_hits, in.metrics.cache_matches));
            }),
    Derived("hit_ratio.kv", "ratio", "KV reads that returned a value / KV reads",
            [](const In& in) {
              return V::Real(Ratio(in.metrics.kv_read_hits, in.metrics.kv_reads));
            }),
    Derived("hit_ratio.do", "ratio", "share of L1 misses served by the Durable Object",
            [](const In& in) {
              const RunMetrics& m = in.metrics;
              return V::Real(Ratio(Tiered(m, Tier::kDurableObject),
                                   m.requests - Tiered(m, Tier::kL1)));
            }),
    Counter("cold_starts", "isolates", "isolates created in the window",
            Count<&RunMetrics::cold_starts>),
    Derived("warm_request_ratio", "ratio",
            "share of requests that did not wait for an isolate to start",
            [](const In& in) {
              return V::Real(1.0 - Ratio(in.metrics.cold_requests, in.metrics.requests));
            },
            9),
    Counter("expired_credential_uses", "requests",
            "requests given credentials already expired when used (AWS rejects them: 403)",
            Count<&RunMetrics::expired_credential_uses>),
    Counter("revoked_credential_uses", "requests",
            "requests given credentials revoked before use (403)",
            Count<&RunMetrics::revoked_credential_uses>),
    Counter("cancelled_by_runtime", "requests",
            "requests cancelled while waiting on another request's I/O (500)",
            Count<&RunMetrics::cancelled_by_runtime>),
    Counter("edge_timeouts", "requests", "requests answered 503 by the edge timeout",
            Count<&RunMetrics::edge_timeouts>),
    Derived("cost_usd.kv_reads", "USD", "`kv.reads` at `world.pricing.kv_read_per_million`",
            Cost<&Costs::kv_reads>, 9),
    Derived("cost_usd.kv_writes", "USD",
            "accepted KV writes (`kv.writes`) at `kv_write_per_million`: 429s are counted in "
            "`kv.writes_rate_limited` but not billed, as no source bills a rejected write",
            Cost<&Costs::kv_writes>, 9),
    Derived("cost_usd.do_requests", "USD", "`durable_objects.requests` at `do_request_per_million`",
            Cost<&Costs::do_requests>, 9),
    Derived("cost_usd.do_duration", "USD",
            "`durable_objects.active_seconds` as GB-s at `do_memory_gb` (128 MB) at "
            "`do_gb_s_per_million`",
            Cost<&Costs::do_duration>, 9),
    Derived("cost_usd.do_storage", "USD",
            "`durable_objects.storage_writes` (row writes) at `do_row_write_per_million`",
            Cost<&Costs::do_storage>, 9),
    Derived("cost_usd.workers_requests", "USD", "`requests` at `workers_request_per_million`",
            Cost<&Costs::workers_requests>, 9),
    Derived("cost_usd.workers_cpu", "USD", "`worker_cpu_ms` at `workers_cpu_ms_per_million`",
            Cost<&Costs::workers_cpu>, 9),
    Derived("cost_usd.total", "USD",
            "sum of the costs above: marginal list prices from `world.pricing` (sources.md "
            "§P4–§P6), free allowances not subtracted; STS is free",
            [](const In& in) { return V::Real(Costs(in).total()); }, 9),
    Gauge("exposure.credential_seconds_at_rest", "credential-s",
          "integral over time of unexpired credentials stored outside isolates (Cache API "
          "entries, KV central store and colo caches, Durable Object storage)",
          Amount<&RunMetrics::credential_seconds_at_rest>, 3),
    Counter("exposure.places", "places", "distinct places that held a credential",
            Count<&RunMetrics::places_holding_credentials>),
    Counter("cache_api.matches", "calls", "Cache API `match()` calls",
            Count<&RunMetrics::cache_matches>),
    Counter("cache_api.hits", "calls", "Cache API matches that returned an entry",
            Count<&RunMetrics::cache_hits>),
    Counter("cache_api.puts", "calls", "Cache API `put()` calls", Count<&RunMetrics::cache_puts>),
    Counter("kv.reads", "reads", "Workers KV reads", Count<&RunMetrics::kv_reads>),
    Counter("kv.read_hits", "reads", "KV reads that returned a value",
            Count<&RunMetrics::kv_read_hits>),
    Counter("kv.stale_reads", "reads", "KV reads that returned a value older than the newest write",
            Count<&RunMetrics::kv_stale_reads>),
    Counter("kv.writes", "writes", "accepted KV writes", Count<&RunMetrics::kv_writes>),
    Counter("kv.writes_rate_limited", "writes", "KV writes rejected with 429 (rate limited)",
            Count<&RunMetrics::kv_writes_rate_limited>),
    Counter("durable_objects.requests", "requests",
            "billed Durable Object requests: admitted calls and alarm invocations (retries "
            "included)",
            Count<&RunMetrics::do_requests>),
    Counter("durable_objects.overloaded", "requests", "Durable Object calls rejected as overloaded",
            Count<&RunMetrics::do_overloaded>),
    Counter("durable_objects.alarm_invocations", "invocations", "`alarm()` invocations",
            Count<&RunMetrics::do_alarm_invocations>),
    Counter("durable_objects.alarm_failures", "series", "alarm series given up after failures",
            Count<&RunMetrics::do_alarm_failures>),
    Counter("durable_objects.storage_reads", "operations", "Durable Object storage reads",
            Count<&RunMetrics::do_storage_reads>),
    Counter("durable_objects.storage_writes", "rows",
            "Durable Object storage writes (`setAlarm()` included, billed as a row write)",
            Count<&RunMetrics::do_storage_writes>),
    Counter("durable_objects.evictions", "instances",
            "Durable Object instances dropped from memory (idle or redeploy)",
            Count<&RunMetrics::do_evictions>),
    Gauge("durable_objects.active_seconds", "s",
          "wall-clock seconds Durable Object instances were in memory",
          Amount<&RunMetrics::do_active_seconds>, 3),
    Gauge("worker_cpu_ms", "ms", "Worker CPU: per-request cost, cold-start CPU and JWT signing",
          Amount<&RunMetrics::worker_cpu_ms>, 3),
    Series("timeseries.t_s", "s",
           "bucket start, seconds from the start of the run (one per bucket of the measurement "
           "window)",
           nullptr),
    Series("timeseries.requests", "requests", "requests that arrived in the bucket",
           &RunMetrics::request_series),
    Series("timeseries.sts_calls", "calls", "STS calls in the bucket", &RunMetrics::sts_series),
    Series("timeseries.errors", "requests", "failed requests that arrived in the bucket",
           &RunMetrics::error_series),
    Series("timeseries.errors_403", "requests",
           "requests that arrived in the bucket and failed with 403", &RunMetrics::error_403_series),
    Series("timeseries.errors_429", "requests",
           "requests that arrived in the bucket and failed with 429 (always 0 today: no "
           "`FailureStatus` of the ports is 429; kept so the columns cover RunMetrics' statuses)",
           &RunMetrics::error_429_series),
    Series("timeseries.errors_500", "requests",
           "requests that arrived in the bucket and failed with 500", &RunMetrics::error_500_series),
    Series("timeseries.errors_502", "requests",
           "requests that arrived in the bucket and failed with 502", &RunMetrics::error_502_series),
    Series("timeseries.errors_503", "requests",
           "requests that arrived in the bucket and failed with 503", &RunMetrics::error_503_series),
};

}  // namespace

std::string_view SignalKindName(SignalKind kind) {
  switch (kind) {
    case SignalKind::kCounter: return "counter";
    case SignalKind::kGauge: return "gauge";
    case SignalKind::kHistogram: return "histogram";
    case SignalKind::kSeries: return "series";
    case SignalKind::kDerived: return "derived";
  }
  return "?";
}

std::span<const RunSignal> RunSignals() { return kSignals; }

std::string RunSignalsMarkdown() {
  std::string out = "| key | kind | unit | meaning |\n|---|---|---|---|\n";
  for (const RunSignal& s : kSignals) {
    out += "| `";
    out += s.key;
    out += "` | ";
    out += SignalKindName(s.kind);
    out += " | ";
    out += s.unit;
    out += " | ";
    out += s.meaning;
    out += " |\n";
  }
  return out;
}

}  // namespace credsim
