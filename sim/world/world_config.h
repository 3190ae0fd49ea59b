// WorldConfig: the validated description of the simulated world of a scenario (everything
// except the strategies). Each part has documented defaults; sources are in
// docs/scenarios.md and docs/sources.md.
#ifndef CREDSIM_SIM_WORLD_WORLD_CONFIG_H_
#define CREDSIM_SIM_WORLD_WORLD_CONFIG_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "sim/world/colo_cache_sim.h"
#include "sim/world/colos.h"
#include "sim/config/distribution_json.h"
#include "sim/engine/distribution.h"
#include "sim/world/durable_object_config.h"
#include "sim/config/json_reader.h"
#include "sim/world/kv_sim.h"
#include "sim/world/revocation_feed_sim.h"
#include "sim/world/run_windows.h"
#include "sim/world/sts_sim.h"
#include "sim/world/traffic.h"

namespace credsim {

struct IsolateConfig {
  // Cold start: 0-5 ms small scripts, tens-hundreds of ms for large bundles (sources.md §P2).
  Distribution cold_start = Distribution::Uniform(0.005, 0.050);
  Duration cold_start_cpu = Duration::Millis(25);  // observed 21-26 ms CPU (sources.md §S6)
  // Idle eviction: an isolate that receives no request for an idle timeout is evicted. A fresh
  // timeout is drawn at every arrival (each idle period is measured from the last arrival and
  // has its own timeout; no source gives a per-isolate timeout). Default exponential, mean
  // 2 h: an assumption calibrated so that the default world has ~99.9 % warm requests, the
  // lower end of the published target (sources.md §P2, §P8; calculation in docs/scenarios.md
  // "Isolates"). sources.md §P9 suggests 10 min, which gives ~98.9 % warm.
  Distribution idle_eviction = Distribution::Exponential(7200);
  // false ("idle_eviction": null): isolates are never evicted for idleness.
  bool evict_when_idle = true;
  double random_evictions_per_hour = 0;           // memory/CPU-limit kills (hazard rate)
  std::optional<Duration> max_lifetime;           // hard cap on an isolate's life
  std::vector<Duration> restarts;                 // fleet-wide deploys / runtime restarts
  std::optional<Duration> restart_interval;       // periodic restarts ("a few times per week")
  // Length of the results window of each restart ("restart[i]", "periodic_restart[k]"):
  // [restart, restart + restart_window). Assumption: every isolate is cold at the restart and
  // refills within seconds; 5 minutes also covers retries after throttling (SDK backoff is
  // capped at 20 s) and the re-fill of KV / Durable Object tiers. Measurement only.
  Duration restart_window = Duration::Minutes(5);
};

struct WorkerConfig {
  // A request still waiting for credentials after this becomes a 503 (assumption).
  Duration edge_timeout = Duration::Seconds(30);
  // Workers cancels a request awaiting another request's I/O (sources.md §S2, v1).
  bool cross_request_waits_cancelled = true;
  // Cache API does nothing on *.workers.dev (sources.md §P3).
  bool custom_domain = true;
  Duration cpu_per_request = Duration::Millis(1);  // assumption
  // The colo (ColoSpec::name) from which the deployment prewarms the Durable Objects of a
  // strategy that asks for it; with first-caller placement the objects are created there
  // (sources.md §P5 Placement). nullopt: the busiest colo by traffic weight (ties: lowest
  // index). Resolved by ResolveDeployColo.
  std::optional<std::string> deploy_colo;
  // Pace of that prewarm: role r's calls start at r / prewarm_rate seconds (assumption: a
  // deploy script pacing itself well under the 600/s STS quota, sources.md §P7; 2,000 roles
  // prewarmed at once would be throttled).
  double prewarm_rate = 100;
};

// Prices in USD (sources.md §P4-§P6). Marginal prices: free allowances are not subtracted.
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

// How the caches start (docs/scenarios.md "initial_state"; the scenario loader defaults to
// kSteady, a WorldConfig built in C++ to kCold).
//  * kCold: every cache starts empty; the fleet fills at t ~ 0 and, one credential lifetime
//    later, renews together.
//  * kSteady: the first isolate of every server and the Durable Objects stand for the ones
//    that were running before t = 0: the first credential each of them obtains from STS for
//    a key (an isolate: the first for that key in its life; Durable Objects: the first for
//    that key in their colo) is back-dated by a uniformly random age (StsService::BackDated),
//    and so is what the tiers they fill (Cache API, KV, Durable Object storage) hold. Every
//    later caller (isolates after an eviction or a restart) gets full-life credentials.
enum class InitialState { kSteady, kCold };
const char* InitialStateName(InitialState s);

struct WorldConfig {
  uint64_t seed = 1;
  InitialState initial_state = InitialState::kCold;
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
  // The scenario's top-level "windows" (named results windows, ParseScenarioWindows).
  std::vector<WindowSpec> windows;
};

// Results windows (docs/results.md "Windows"). A scenario lists at most kMaxScenarioWindows;
// a run reports at most kMaxWindows in all (each has its own latency histogram, about
// 57 KiB): the scenario's windows first, then the generated ones in the order of
// RunWindowSpecs until the limit.
inline constexpr size_t kMaxScenarioWindows = 64;
inline constexpr size_t kMaxWindows = 128;
inline constexpr size_t kMaxWindowNameBytes = 64;

// The windows of a run, in this order: the scenario's "windows" (user names), then one per
// traffic burst "burst[i]" ([start, start + duration) for a Poisson burst, [start, start +
// spread) for an exact one, [start, start + 1s) when its spread is 0), one per STS outage
// "sts_outage[i]" ([start, end)), one per explicit restart "restart[i]" and one per periodic
// restart "periodic_restart[k]" (the k-th, k >= 1, at k x restart_interval before the end),
// each [t, t + isolates.restart_window). i is the index in the scenario's list. Generated
// names contain brackets, which scenario names cannot, so names are unique. Windows past
// kMaxWindows are left out; `omitted` (if not null) receives their number.
std::vector<WindowSpec> RunWindowSpecs(const WorldConfig& w, size_t* omitted = nullptr);

// Reads the scenario's top-level "windows" value `list` (at JSON path `path`) into
// w->windows: an array of at most kMaxScenarioWindows objects {"name", "start", "end"} with
// exactly these keys; name 1-64 characters from A-Z a-z 0-9 _ -, unique; start and end
// durations since t = 0 with start < end <= warmup + duration (w->warmup and w->duration must
// be set). Errors name the JSON path ("windows[2].end: ...") and what is accepted.
absl::Status ParseScenarioWindows(JsonReader& scenario, WorldConfig* w);

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

// The deployment prewarm calls one Durable Object per known (role, session): at most this many
// keys (roles x traffic.sessions_per_role), so a run cannot start with millions of calls.
inline constexpr int64_t kMaxPrewarmKeys = 100000;
// Concurrent prewarm calls per object (each role's sessions are called in this many
// sequential chains, so the object's input-gate queue, world.durable_objects.max_queue, is
// not flooded at t = 0).
inline constexpr int64_t kPrewarmCallsPerObject = 8;

// The index of w.workers.deploy_colo in `colos` (the busiest colo if unset). Error:
// "world.workers.deploy_colo: unknown colo "x"; expected one of: colo000, colo001, ... (or
// null for the busiest colo)".
absl::StatusOr<uint32_t> ResolveDeployColo(const WorldConfig& w, const ColoSet& colos);
// Error unless roles x sessions_per_role <= kMaxPrewarmKeys (message names
// traffic.sessions_per_role). Only strategies that prewarm Durable Objects need it.
absl::Status CheckPrewarmKeys(int64_t roles, int64_t sessions_per_role);
// Cross-field checks of a parsed world that need the materialized colos (built once):
// deploy_colo names a colo, and every traffic.bursts[].colos name is a colo
// (ValidateBurstColos). Call after the whole scenario was parsed.
absl::Status CheckWorldConfig(const WorldConfig& w);

absl::Status ParseIsolateConfig(JsonReader& r, IsolateConfig* out);
absl::Status ParseWorkerConfig(JsonReader& r, WorkerConfig* out);
absl::Status ParsePricingConfig(JsonReader& r, PricingConfig* out);

// Reads the "world" object (colos, isolates, workers, sts, cache_api, kv, durable_objects,
// pricing) into `out`.
absl::Status ParseWorldObject(JsonReader& world, WorldConfig* out);

}  // namespace credsim

#endif  // CREDSIM_SIM_WORLD_WORLD_CONFIG_H_
