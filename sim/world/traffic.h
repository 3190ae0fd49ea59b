// Traffic: the request arrivals of a run, generated lazily so that the number of pending
// events is O(sources), never O(requests).
//
// Sources:
//  * the base process: Poisson arrivals at `rate` x curve(t) (constant, piecewise-constant
//    or diurnal multiplier; thinning against the curve's maximum), role chosen by
//    popularity (Zipf over `roles` or explicit per-role rates), colo by colo weight;
//  * bursts (flash crowds) for one role: either extra Poisson arrivals at `rate` in
//    [start, start+duration), or exactly `count` arrivals at instants drawn uniformly in
//    [start, start+spread) and generated in sorted order (O(1) state, as the trace replay;
//    spread 0: all at `start`); spread over colos by weight, uniformly ("hot everywhere"), or
//    uniformly over a named set of colos (`colos: ["colo003", ...]`); the role is a base role
//    or "cold": a fresh role index past every base role, which base traffic never produces
//    (one per cold burst, in burst order);
//  * trace replay: per-minute invocation counts in the Azure Functions 2019 format, one role
//    per function; each minute's count is placed as sorted uniform instants in that minute
//    (exact counts, O(1) state per function).
// Colo failovers move the arrivals of one colo to another during a window.
// Within a colo an arrival goes to a server drawn uniformly among the colo's servers, or to
// server 0 under "sharded" routing (ColoConfig::Routing; see sim/colos.h).
//
// Time of day: with `start_time_of_day` (a clock time "HH:MM[:SS]"), t = 0 (the start of the
// warm-up) is that local time; the diurnal `peak_at` is then a clock time (default 14:00) and
// a burst may give `at` (a clock time: its first occurrence at or after t = 0) instead of
// `start` (an offset from t = 0). The loader converts both to offsets from t = 0, so
// TrafficConfig holds offsets only.
//
// Every source draws from its own RNG stream derived from the scenario seed, and arrivals
// never depend on what a strategy does, so every strategy sees identical traffic (common
// random numbers).
#ifndef CREDSIM_SIM_WORLD_TRAFFIC_H_
#define CREDSIM_SIM_WORLD_TRAFFIC_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "sim/world/colos.h"
#include "sim/engine/event_queue.h"
#include "sim/config/json_reader.h"
#include "sim/engine/random.h"
#include "sim/engine/time.h"
#include "sim/engine/weighted_choice.h"

namespace credsim {

struct Trace;

struct CurvePoint {
  Duration at;
  double multiplier = 1;
};

struct BurstConfig {
  Duration start;                          // offset from t = 0
  // Poisson mode (count unset): `rate` requests/s during [start, start + duration).
  Duration duration = Duration::Minutes(5);
  double rate = 100;
  // Exact mode: `count` arrivals uniform in [start, start + spread) (spread 0: all at start).
  std::optional<int64_t> count;
  Duration spread;
  int64_t role = -1;          // -1: the least popular base role
  bool cold_role = false;     // a fresh role past every base role (overrides `role`)
  bool uniform_colos = true;  // "hot everywhere": every colo equally (else by weight)
  std::vector<std::string> colos;  // non-empty: uniformly over these colo names only
  std::optional<Duration> at;      // the clock time `start` came from (reports only)
};

struct FailoverConfig {
  Duration at;
  std::optional<Duration> until;
  uint32_t from = 0;
  uint32_t to = 1;
};

struct TraceConfig {
  std::string path;            // invocations.csv (HashOwner,HashApp,HashFunction,Trigger,m...)
  int64_t max_functions = 0;   // 0: all rows
  double scale = 1.0;          // multiply every count (fractional parts drawn at random)
};

struct TrafficConfig {
  std::optional<Duration> start_time_of_day;  // local clock time at t = 0 (none: no anchor)
  int64_t roles = 100;
  int64_t sessions_per_role = 1;
  double popularity_zipf = 1.0;
  std::vector<double> role_rates;  // explicit requests/s per role (overrides rate+zipf)
  double rate = 50;                // requests/s at multiplier 1
  enum class Curve { kConstant, kPiecewise, kDiurnal } curve = Curve::kConstant;
  std::vector<CurvePoint> points;  // piecewise: step function from each `at`
  Duration diurnal_period = Duration::Hours(24);
  Duration diurnal_peak_at = Duration::Hours(14);  // offset from t = 0
  double diurnal_trough = 0.3;     // multiplier at the trough (peak is 1)
  std::vector<BurstConfig> bursts;
  std::vector<FailoverConfig> failovers;
  std::optional<TraceConfig> trace;
};

// Input limits (docs/scenarios.md, "Input limits").
//
// Every Poisson rate (traffic.rate, each traffic.role_rates[] and their sum, the peak
// rate x curve multiplier, traffic.bursts[].rate) is at most kMaxRequestRate requests/s: the
// mean gap between arrivals stays >= 1 us, so the nanosecond clock keeps arrivals distinct
// (at 1e15/s every gap would round to 0 ns), and 1e6/s for one hour is already 3.6e9
// requests, more than a run can simulate.
inline constexpr double kMaxRequestRate = 1e6;
// A trace cell (invocations of one function in one minute), also after traffic.trace.scale,
// is at most this: 1e6 requests/s for a minute, the same bound as kMaxRequestRate; it fits
// uint32.
inline constexpr uint32_t kMaxTraceCountPerMinute = 60000000;
// A trace has at most this many minute columns (366 days; the Azure 2019 files have 1440).
inline constexpr size_t kMaxTraceMinutes = 366 * 1440;
// A trace file must be a regular file of at most this size (256 MiB). The shipped samples are
// 0.1-0.6 MB; a full-day file of the Azure 2019 trace (about 3 KB per function row) fits.
// Parsed counts take at most about twice the file size in memory ("0," -> 4 bytes).
inline constexpr int64_t kMaxTraceFileBytes = int64_t{256} << 20;

// A burst of exactly this many requests at most (1e9: more than a run can simulate).
inline constexpr int64_t kMaxBurstCount = 1000000000;
// The default diurnal peak as a clock time, with start_time_of_day.
inline constexpr Duration kDefaultPeakTimeOfDay = Duration::Hours(14);

// Reads the "traffic" object. `base_dir` resolves a relative trace path.
absl::Status ParseTrafficConfig(JsonReader& r, const std::string& base_dir, TrafficConfig* out);

// A clock time "HH:MM" or "HH:MM:SS" (00:00 to 23:59:59, two digits each) as the duration
// since midnight; an error saying what is accepted otherwise.
absl::StatusOr<Duration> ParseTimeOfDay(std::string_view text);

// Checks that every name in traffic.bursts[].colos is a colo of `colos` (the loader cannot:
// traffic is read without the colos). Errors are "traffic.bursts[<i>].colos[<j>]: ...". The
// scenario loader must call this after parsing both; TrafficGenerator throws
// std::invalid_argument on an unknown name.
absl::Status ValidateBurstColos(const TrafficConfig& traffic, const ColoSet& colos);

// Roles the base process (or the trace) produces: traffic.roles / role_rates.size() / the
// trace's function count. Cold-role bursts use the indices from here on.
size_t BaseRoleCount(const TrafficConfig& config, const Trace* trace);
// BaseRoleCount plus one role per cold-role burst.
size_t RoleCount(const TrafficConfig& config, const Trace* trace);

// The base request rate a ColoSet should size its servers by (ColoSet constructor argument):
// the mean requests/s of the base process (or trace) over [0, horizon), i.e. its
// ExpectedArrivals without bursts / horizon. The mean, not the peak: servers are fixed for
// the whole run, and sizing them by a curve's short maximum would spread every colo's
// traffic over more isolates (more cold starts) for the whole run. Bursts are excluded: they
// are the transient a scenario studies, hitting the fleet sized for normal load (the
// platform's reaction to a burst is not modelled). 0 if horizon <= 0.
double BaseRequestRateForServers(const TrafficConfig& config, Duration horizon, const Trace* trace);

struct Arrival {
  uint32_t role = 0;
  uint32_t session = 0;
  uint32_t colo = 0;
  uint32_t server = 0;
};

class ArrivalSink {
 public:
  virtual ~ArrivalSink() = default;
  virtual void OnArrival(const Arrival& a) = 0;
};

// Per-minute counts of a trace: counts[function][minute].
struct Trace {
  std::vector<std::vector<uint32_t>> counts;
  size_t minutes() const { return counts.empty() ? 0 : counts[0].size(); }
};

// Parses the text of an Azure Functions 2019 invocations file: the header
// "HashOwner,HashApp,HashFunction,Trigger,<minute>,..." (1 to kMaxTraceMinutes minute
// columns), then one row per function with exactly as many minute cells. A cell is decimal
// digits only, at most kMaxTraceCountPerMinute; a row may end in "\r"; empty lines are
// skipped. At most `max_functions` rows are read (0: all). Errors are
// "<name>:<row>:<column>: ..." (1-based, the header is row 1). Never reads outside `text`;
// safe on arbitrary bytes (fuzzing entry point).
absl::StatusOr<Trace> ParseAzureTrace(std::string_view text, const std::string& name,
                                      int64_t max_functions);

// Reads config.path (which must be a regular file — not a directory, device or FIFO — of at
// most kMaxTraceFileBytes) with ParseAzureTrace, and checks that every count x config.scale
// is at most kMaxTraceCountPerMinute. Errors name the path and what is accepted.
absl::StatusOr<Trace> LoadAzureTrace(const TraceConfig& config);

// The expected number of arrivals in [0, horizon) of a TrafficGenerator over `config`,
// computed from the configuration without simulating: base rate (rate, or the sum of
// role_rates) x the integral of the curve multiplier over [0, horizon) (piecewise exactly,
// diurnal in closed form), plus every Poisson burst's rate x its overlap with [0, horizon)
// and every exact burst's count x the fraction of [start, start + spread) before horizon
// (all of it if spread is 0 and start < horizon), plus,
// with a trace, every count x scale over the part of its minute inside [0, horizon) (the
// trace replaces the base process, as in TrafficGenerator). Failovers move arrivals and do
// not change the total. `trace` may be null only when config.trace is unset.
double ExpectedArrivals(const TrafficConfig& config, Duration horizon, const Trace* trace);

class TrafficGenerator {
 public:
  // `trace` must be set when config.trace is; it is shared (read-only) across runs.
  TrafficGenerator(const TrafficConfig& config, const ColoSet& colos, uint64_t seed,
                   std::shared_ptr<const Trace> trace);
  ~TrafficGenerator();
  // Schedules the first arrival of every source; arrivals stop at `end`.
  void Start(EventQueue& queue, Time end, ArrivalSink* sink);
  // Every role an arrival can carry: base roles plus one per cold-role burst.
  size_t role_count() const;
  // Roles of the base process (or trace), the ones a deployment knows before traffic: a
  // deployment prewarm should cover these (cold roles are by definition unknown to it).
  size_t base_role_count() const;

 private:
  struct Source;
  void Fire(size_t source);
  void ScheduleNext(size_t source);
  double Multiplier(Time t) const;
  uint32_t MapColo(uint32_t colo, Time t) const;
  Arrival Make(uint32_t role, Source& s);

  const TrafficConfig& config_;
  const ColoSet& colos_;
  std::shared_ptr<const Trace> trace_;
  WeightedChoice roles_;
  size_t base_roles_ = 0;
  size_t cold_roles_ = 0;
  double base_rate_ = 0;
  double max_multiplier_ = 1;
  std::vector<std::unique_ptr<Source>> sources_;
  EventQueue* queue_ = nullptr;
  ArrivalSink* sink_ = nullptr;
  Time end_;
};

}  // namespace credsim

#endif  // CREDSIM_SIM_WORLD_TRAFFIC_H_
