// RunMetrics: everything measured during one strategy's run, updated by the world and by
// the simulated adapters. Only events inside the measurement window [measure_from,
// measure_to) are counted (the warm-up before measure_from is simulated but not measured).
// Memory is O(state): counters, fixed-size histograms and per-interval series, plus the
// per-colo and per-role breakdown rows (O(colos + roles)) and the results windows
// (RunWindows: O(windows)), which the world sizes before the run.
#ifndef CREDSIM_SIM_WORLD_RUN_METRICS_H_
#define CREDSIM_SIM_WORLD_RUN_METRICS_H_

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "sim/engine/histogram.h"
#include "sim/engine/metrics.h"
#include "sim/engine/time.h"
#include "sim/world/run_windows.h"

namespace credsim {

struct RunMetrics {
  RunMetrics(Time from, Time to, Duration series_interval)
      : measure_from(from),
        measure_to(to),
        sts_series(series_interval),
        request_series(series_interval),
        error_series(series_interval),
        error_403_series(series_interval),
        error_429_series(series_interval),
        error_500_series(series_interval),
        error_502_series(series_interval),
        error_503_series(series_interval) {}

  bool Measuring(Time t) const { return t >= measure_from && t < measure_to; }
  // Credential-seconds a place holds between `from` and `to`, clipped to the window.
  void AddExposure(Time from, Time to) {
    const Time a = std::max(from, measure_from), b = std::min(to, measure_to);
    if (b > a) credential_seconds_at_rest += (b - a).seconds();
  }

  Time measure_from;
  Time measure_to;

  // Requests as the client sees them.
  uint64_t requests = 0;
  std::array<uint64_t, 6> errors{};  // index by ErrorIndex()
  Histogram auth_latency;            // nanoseconds, successful and failed requests
  std::array<uint64_t, 6> served_from{};  // by Tier
  uint64_t cold_starts = 0;
  uint64_t cold_requests = 0;        // requests that had to start an isolate
  uint64_t expired_credential_uses = 0;
  uint64_t revoked_credential_uses = 0;
  uint64_t cancelled_by_runtime = 0;
  uint64_t edge_timeouts = 0;
  double worker_cpu_ms = 0;

  // AWS STS.
  uint64_t sts_calls = 0;            // requests that reached STS (incl. throttled, retries)
  uint64_t sts_throttled = 0;
  uint64_t sts_timeouts = 0;
  uint64_t sts_errors = 0;           // any non-success response
  PeakRate sts_peak;
  uint64_t jwt_signatures = 0;

  // Cache API.
  uint64_t cache_matches = 0;
  uint64_t cache_hits = 0;
  uint64_t cache_puts = 0;

  // Workers KV.
  uint64_t kv_reads = 0;
  uint64_t kv_read_hits = 0;
  uint64_t kv_stale_reads = 0;       // returned a value older than the newest write
  uint64_t kv_writes = 0;
  uint64_t kv_writes_rate_limited = 0;

  // Durable Objects.
  uint64_t do_requests = 0;          // billed requests (fetches and alarm invocations)
  uint64_t do_overloaded = 0;
  uint64_t do_alarm_invocations = 0;
  uint64_t do_alarm_failures = 0;
  uint64_t do_storage_writes = 0;
  uint64_t do_storage_reads = 0;
  uint64_t do_evictions = 0;
  double do_active_seconds = 0;      // wall-clock seconds objects were in memory (GB-s / 0.128)

  // Credentials at rest outside isolates.
  double credential_seconds_at_rest = 0;
  uint64_t places_holding_credentials = 0;  // distinct places that ever held one

  TimeSeries sts_series;
  TimeSeries request_series;
  TimeSeries error_series;
  // Failed requests by status, bucketed by arrival (the other statuses only in error_series).
  TimeSeries error_403_series;
  TimeSeries error_429_series;
  TimeSeries error_500_series;
  TimeSeries error_502_series;
  TimeSeries error_503_series;

  // Breakdowns (measured events): by_colo[c] counts the requests served by colo c and the STS
  // calls of its callers (its isolates and the Durable Objects it hosts); by_role[r] those of
  // role r. Empty unless the world sized them; events of an index past the end are not
  // broken down.
  std::vector<BreakdownCounters> by_colo;
  std::vector<BreakdownCounters> by_role;
  // Named results windows (empty: none; the hot paths then test one branch).
  RunWindows windows;

  // The per-status error series of an ErrorIndex() (nullptr for "other").
  TimeSeries* StatusSeries(int error_index) {
    switch (error_index) {
      case 0: return &error_403_series;
      case 1: return &error_429_series;
      case 2: return &error_500_series;
      case 3: return &error_502_series;
      case 4: return &error_503_series;
      default: return nullptr;
    }
  }

  static int ErrorIndex(int status) {
    switch (status) {
      case 403: return 0;
      case 429: return 1;
      case 500: return 2;
      case 502: return 3;
      case 503: return 4;
      default: return 5;
    }
  }
};

}  // namespace credsim

#endif  // CREDSIM_SIM_WORLD_RUN_METRICS_H_
