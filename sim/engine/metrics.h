// Simple simulation metrics: a fixed-interval time series and an aligned-window
// peak-rate tracker. None of them allocates per recorded event.
#ifndef CREDSIM_SIM_ENGINE_METRICS_H_
#define CREDSIM_SIM_ENGINE_METRICS_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "sim/engine/time.h"

namespace credsim {

// TimeSeries: per-interval totals. Interval i covers simulated time
// [i * interval, (i + 1) * interval) measured from Time{}; Add(t, v) adds v to the interval
// containing t.
//
// Contract:
//  * interval must be positive and t must be >= Time{} (otherwise std::invalid_argument).
//  * Storage is one int64 per interval up to the latest interval added to: the vector grows
//    (amortised) only when time reaches a new interval, never per Add. An Add more than
//    kMaxIntervals intervals after Time{} throws std::length_error (guards against adding at
//    Time::Infinite() or using a far too small interval).
//  * size() is 1 + the index of the latest interval added to (0 if none); intervals in
//    between that nobody added to are 0, and at(i) is 0 for any i >= size().
//  * Merge() requires equal intervals and adds the other series interval by interval.
class TimeSeries {
 public:
  static constexpr size_t kMaxIntervals = size_t{1} << 27;  // 1 GiB of int64.

  explicit TimeSeries(Duration interval);

  void Add(Time t, int64_t v = 1) {
    const size_t i = IndexOf(t);
    if (i >= values_.size()) Grow(i);
    values_[i] += v;
  }

  size_t size() const { return values_.size(); }
  int64_t at(size_t i) const { return i < values_.size() ? values_[i] : 0; }
  const std::vector<int64_t>& values() const { return values_; }
  // Largest per-interval total; 0 when empty.
  int64_t Peak() const;
  Duration interval() const { return interval_; }
  // Start time of interval i.
  Time start(size_t i) const { return Time::FromNanos(static_cast<int64_t>(i) * interval_.nanos()); }

  void Merge(const TimeSeries& other);

 private:
  size_t IndexOf(Time t) const;
  void Grow(size_t index);

  Duration interval_;
  std::vector<int64_t> values_;
};

// PeakRate: the largest number of events in any aligned window [k * window, (k+1) * window)
// (default window: 1 second), e.g. STS calls per second at peak. O(1) state: only the current
// window's count and the peak so far are kept, so events must be added in non-decreasing
// window order (as a discrete-event simulation does); adding to a window earlier than the
// current one throws std::logic_error. Times must be >= Time{} and the window positive
// (otherwise std::invalid_argument).
class PeakRate {
 public:
  explicit PeakRate(Duration window = Duration::Seconds(1));

  void Add(Time t, uint64_t n = 1);
  // Largest count over all windows seen so far, including the current one; 0 when empty.
  uint64_t peak() const { return peak_; }
  Duration window() const { return window_; }

 private:
  Duration window_;
  int64_t current_window_ = -1;
  uint64_t current_count_ = 0;
  uint64_t peak_ = 0;
};

}  // namespace credsim

#endif  // CREDSIM_SIM_ENGINE_METRICS_H_
