// RunWindows: the measurements of a run restricted to named time windows (a traffic burst, an
// STS outage, a fleet restart, a window the scenario lists), and the per-colo / per-role
// breakdown counters. Part of RunMetrics; written by RequestRecorder (requests) and
// StsService (STS calls), read once at the end (cli/results_breakdown.h).
//
// Contract:
//  * A WindowSpec's [start, end) is scenario time since t = 0 (the warm-up included). The
//    set clips each window to the measurement window [measure_from, measure_to): an event at
//    t is counted in a window iff from <= t < to (clipped bounds, end exclusive) and, as
//    for every RunMetrics field, the event is measured. A window that does not overlap the
//    measurement window (measured() false) counts nothing.
//  * Requests are counted by arrival (as RunMetrics::requests): the request, its error
//    status (index as RunMetrics::ErrorIndex) and its auth latency in the window's own
//    Histogram. STS calls by the instant they reach STS (as RunMetrics::sts_calls), with the
//    peak over aligned seconds of the calls inside the window; throttled calls likewise.
//    Counts are exact (per event, not derived from time-series buckets).
//  * Cost: with no windows every hot-path entry point costs the one branch of empty(),
//    which the callers test first. With windows, an event does a binary search over the
//    O(#windows) sorted window bounds and touches only the windows that contain it (the
//    elementary segments between consecutive bounds each list the windows covering them).
//    The hot paths never allocate; memory is O(#windows x overlap) plus one Histogram
//    (about 57 KiB) per window, all allocated by the constructor.
//  * Not thread-safe (one simulation thread); STS calls must be reported in non-decreasing
//    time order (PeakRate), which the event queue guarantees.
#ifndef CREDSIM_SIM_WORLD_RUN_WINDOWS_H_
#define CREDSIM_SIM_WORLD_RUN_WINDOWS_H_

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "sim/engine/histogram.h"
#include "sim/engine/metrics.h"
#include "sim/engine/time.h"

namespace credsim {

// Where a window comes from (docs/results.md "windows").
enum class WindowSource : uint8_t {
  kBurst,            // "burst[i]": traffic.bursts[i]
  kStsOutage,        // "sts_outage[i]": world.sts.outages[i]
  kRestart,          // "restart[i]": world.isolates.restarts[i]
  kPeriodicRestart,  // "periodic_restart[k]": the k-th restart of world.isolates.restart_interval
  kScenario,         // a name of the scenario's top-level "windows" list
};
const char* WindowSourceName(WindowSource s);  // "burst", "sts_outage", ..., "scenario"

struct WindowSpec {
  std::string name;
  Duration start;  // since t = 0
  Duration end;    // exclusive; > start
  WindowSource source = WindowSource::kScenario;
};

// What one window measured.
struct WindowCounters {
  uint64_t requests = 0;
  std::array<uint64_t, 6> errors{};  // by RunMetrics::ErrorIndex
  uint64_t sts_calls = 0;
  uint64_t sts_throttled = 0;
  PeakRate sts_peak = PeakRate(Duration::Seconds(1));  // aligned seconds
  Histogram auth_latency;  // nanoseconds
};

class RunWindows {
 public:
  struct Window {
    WindowSpec spec;
    // Clipped to the measurement window; a window that is not measured keeps its own bounds.
    Time from;
    Time to;
    bool measured;  // overlaps the measurement window
    WindowCounters counters;
  };

  RunWindows() = default;  // no windows
  RunWindows(std::vector<WindowSpec> specs, Time measure_from, Time measure_to);

  // True when no window overlaps the measurement window: nothing is ever counted.
  bool empty() const { return bounds_.empty(); }
  size_t size() const { return windows_.size(); }
  const Window& window(size_t i) const { return windows_[i]; }
  std::span<const Window> windows() const { return windows_; }

  // A measured request that arrived at `arrival`: error_index is RunMetrics::ErrorIndex of
  // its status, or -1 for a success; latency_ns >= 0.
  void Request(Time arrival, int error_index, int64_t latency_ns) {
    for (uint32_t w : Covering(arrival)) {
      WindowCounters& c = windows_[w].counters;
      ++c.requests;
      if (error_index >= 0) ++c.errors[static_cast<size_t>(error_index)];
      c.auth_latency.Record(latency_ns);
    }
  }
  // A measured STS attempt that reached STS at `t` (and, if `throttled`, was throttled).
  void StsCall(Time t) {
    for (uint32_t w : Covering(t)) {
      WindowCounters& c = windows_[w].counters;
      ++c.sts_calls;
      c.sts_peak.Add(t);
    }
  }
  void StsThrottled(Time t) {
    for (uint32_t w : Covering(t)) ++windows_[w].counters.sts_throttled;
  }

 private:
  // Indices of the windows that contain t (empty outside every window).
  std::span<const uint32_t> Covering(Time t) const {
    if (bounds_.empty() || t < bounds_.front() || t >= bounds_.back()) return {};
    const size_t seg =
        static_cast<size_t>(std::upper_bound(bounds_.begin(), bounds_.end(), t) - bounds_.begin()) - 1;
    return std::span<const uint32_t>(members_).subspan(offsets_[seg], offsets_[seg + 1] - offsets_[seg]);
  }

  std::vector<Window> windows_;
  // Sorted distinct clipped bounds of the measured windows; segment j is
  // [bounds_[j], bounds_[j + 1]) and is covered by members_[offsets_[j], offsets_[j + 1]).
  std::vector<Time> bounds_;
  std::vector<uint32_t> offsets_;
  std::vector<uint32_t> members_;
};

// One row of the per-colo or per-role breakdown (measured events only).
struct BreakdownCounters {
  uint64_t sts_calls = 0;  // STS attempts that reached STS, by the caller's colo / the role
  uint64_t requests = 0;   // requests by the colo that served them / their role
  uint64_t errors = 0;     // those of them that failed (any status)
};

}  // namespace credsim

#endif  // CREDSIM_SIM_WORLD_RUN_WINDOWS_H_
