// WorldConfig: the validated description of the simulated world of a scenario (everything
// except the strategies). Each part has documented defaults; sources are in
// docs/scenarios.md and ../shared/reference/.
#ifndef CREDSIM_SIM_WORLD_CONFIG_H_
#define CREDSIM_SIM_WORLD_CONFIG_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "sim/colo_cache_sim.h"
#include "sim/colos.h"
#include "sim/distribution.h"
#include "sim/durable_object_config.h"
#include "sim/json_reader.h"
#include "sim/kv_sim.h"
#include "sim/revocation_feed_sim.h"
#include "sim/sts_sim.h"
#include "sim/traffic.h"

namespace credsim {

struct IsolateConfig {
  // Cold start: 0-5 ms small scripts, tens-hundreds of ms for large bundles (platform.md §2).
  Distribution cold_start = Distribution::Uniform(0.005, 0.050);
  Duration cold_start_cpu = Duration::Millis(25);  // observed 21-26 ms CPU (proxy-semantics.md)
  // Idle eviction: exponential, mean 10 min (assumption, platform.md §9). Idle time is
  // measured from the last request arrival.
  Distribution idle_eviction = Distribution::Exponential(600);
  double random_evictions_per_hour = 0;           // memory/CPU-limit kills (hazard rate)
  std::optional<Duration> max_lifetime;           // hard cap on an isolate's life
  std::vector<Duration> restarts;                 // fleet-wide deploys / runtime restarts
  std::optional<Duration> restart_interval;       // periodic restarts ("a few times per week")
};

struct WorkerConfig {
  // A request still waiting for credentials after this becomes a 503 (assumption).
  Duration edge_timeout = Duration::Seconds(30);
  // Workers cancels a request awaiting another request's I/O (proxy-semantics.md, v1).
  bool cross_request_waits_cancelled = true;
  // Cache API does nothing on *.workers.dev (platform.md §3).
  bool custom_domain = true;
  Duration cpu_per_request = Duration::Millis(1);  // assumption
};

// Prices in USD (platform.md §4-§6). Marginal prices: free allowances are not subtracted.
struct PricingConfig {
  double kv_read_per_million = 0.50;
  double kv_write_per_million = 5.00;
  double do_request_per_million = 0.15;
  double do_gb_s_per_million = 12.50;
  double do_memory_gb = 0.128;  // billed at 128 MB regardless of use
  double do_row_write_per_million = 1.00;
  double workers_request_per_million = 0.30;
  double workers_cpu_ms_per_million = 0.02;
};

struct WorldConfig {
  uint64_t seed = 1;
  Duration duration = Duration::Hours(1);
  Duration warmup = Duration::Minutes(5);
  Duration interval = Duration::Minutes(1);  // time-series bucket
  ColoConfig colos = DefaultColoConfig();
  IsolateConfig isolates;
  WorkerConfig workers;
  StsConfig sts;
  ColoCacheConfig cache_api;
  KvConfig kv;
  DurableObjectConfig durable_objects;
  TrafficConfig traffic;
  RevocationConfig revocation;
  PricingConfig pricing;
};

// Input limits of the isolates section (docs/scenarios.md): periodic restarts at most once a
// minute (each restart is an event that evicts the whole fleet; "1ns" used to allocate
// 2.6e15 restart instants), and at most kMaxRestarts explicit restarts (one every 5 minutes
// over the longest run, 720 h, is 8640).
inline constexpr Duration kMinRestartInterval = Duration::Minutes(1);
inline constexpr size_t kMaxRestarts = 10000;

// Run length limits: warmup + duration (computed with overflow checking) at most
// kMaxRunLength, duration > 0, timeseries_interval >= 1s and at most kMaxIntervals buckets.
inline constexpr Duration kMaxRunLength = Duration::Hours(24 * 30);
inline constexpr int64_t kMaxIntervals = 1000000;

// A duration that the simulation adds to the current instant as a timer (isolate
// max_lifetime, edge_timeout) must leave room for the latest instant of any run: warm-up +
// duration (<= kMaxRunLength) plus the 1 h drain after the end. Larger values would overflow
// the clock; smaller ones (even far beyond the run, i.e. "never") are accepted.
inline constexpr Duration kMaxTimerDuration = kMaxDuration - kMaxRunLength - Duration::Hours(1);

// Checks w.duration, w.warmup and w.interval against the limits above. Errors are
// "duration: ..." / "timeseries_interval: ..." in the JsonReader style. Never overflows,
// whatever the inputs (e.g. "duration": "2562047h", "warmup": "5m").
absl::Status CheckRunLength(const WorldConfig& w);

absl::Status ParseIsolateConfig(JsonReader& r, IsolateConfig* out);
absl::Status ParseWorkerConfig(JsonReader& r, WorkerConfig* out);
absl::Status ParsePricingConfig(JsonReader& r, PricingConfig* out);

// Reads the "world" object (colos, isolates, workers, sts, cache_api, kv, durable_objects,
// pricing) into `out`.
absl::Status ParseWorldObject(JsonReader& world, WorldConfig* out);

}  // namespace credsim

#endif  // CREDSIM_SIM_WORLD_CONFIG_H_
