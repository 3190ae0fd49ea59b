#include "sim/engine/metrics.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace credsim {

TimeSeries::TimeSeries(Duration interval) : interval_(interval) {
  if (interval <= Duration()) {
    throw std::invalid_argument("TimeSeries: interval must be positive, got " +
                                std::to_string(interval.nanos()) + "ns");
  }
}

size_t TimeSeries::IndexOf(Time t) const {
  if (t < Time()) {
    throw std::invalid_argument("TimeSeries::Add: negative time " + std::to_string(t.nanos()) +
                                "ns");
  }
  return static_cast<size_t>(t.nanos() / interval_.nanos());
}

void TimeSeries::Grow(size_t index) {
  if (index >= kMaxIntervals) {
    throw std::length_error("TimeSeries::Add: interval index " + std::to_string(index) +
                            " exceeds the limit of " + std::to_string(kMaxIntervals));
  }
  // Geometric growth of the capacity keeps a run's resizes O(log intervals).
  if (index >= values_.capacity()) {
    values_.reserve(std::min(kMaxIntervals, std::max(index + 1, 2 * values_.capacity())));
  }
  values_.resize(index + 1, 0);
}

int64_t TimeSeries::Peak() const {
  if (values_.empty()) return 0;
  return *std::max_element(values_.begin(), values_.end());
}

void TimeSeries::Merge(const TimeSeries& other) {
  if (other.interval_ != interval_) {
    throw std::invalid_argument("TimeSeries::Merge: intervals differ (" +
                                std::to_string(interval_.nanos()) + "ns vs " +
                                std::to_string(other.interval_.nanos()) + "ns)");
  }
  if (other.values_.size() > values_.size()) values_.resize(other.values_.size(), 0);
  for (size_t i = 0; i < other.values_.size(); ++i) values_[i] += other.values_[i];
}

PeakRate::PeakRate(Duration window) : window_(window) {
  if (window <= Duration()) {
    throw std::invalid_argument("PeakRate: window must be positive, got " +
                                std::to_string(window.nanos()) + "ns");
  }
}

void PeakRate::Add(Time t, uint64_t n) {
  if (t < Time()) {
    throw std::invalid_argument("PeakRate::Add: negative time " + std::to_string(t.nanos()) +
                                "ns");
  }
  const int64_t w = t.nanos() / window_.nanos();
  if (w < current_window_) {
    throw std::logic_error("PeakRate::Add: time " + std::to_string(t.nanos()) +
                           "ns is in a window before the current one (" +
                           std::to_string(current_window_) + ")");
  }
  if (w != current_window_) {
    current_window_ = w;
    current_count_ = 0;
  }
  current_count_ += n;
  peak_ = std::max(peak_, current_count_);
}

}  // namespace credsim
