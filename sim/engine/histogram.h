// Histogram: a streaming log-linear (HdrHistogram-style) histogram of non-negative int64
// values, e.g. latencies in nanoseconds or per-interval counts.
//
// Contract:
//  * Any value in [0, INT64_MAX] can be recorded. Values below 256 are stored exactly; above
//    that, each power-of-two range [2^k, 2^(k+1)) is split into 128 equal sub-buckets, so a
//    bucket is never wider than 1/128 of its lowest value. Percentile() returns the middle of
//    the bucket, so its relative error against the exact nearest-rank sample is <= 1/256
//    (about 0.4 %), well under 1 %, for any value.
//  * Memory is fixed: one array of kNumBuckets (7296) uint64 counters (about 57 KiB),
//    allocated in the constructor. Record() never allocates and is O(1).
//  * count(), min(), max() and mean() are exact (the mean comes from a 128-bit running sum).
//  * Every Histogram has the same bucket layout, so any two can be merged; merging is
//    equivalent to having recorded all values into one histogram.
//  * Recording a negative value throws std::invalid_argument.
//  * Copyable (copies allocate) and movable; a moved-from Histogram may only be destroyed or
//    assigned to.
#ifndef CREDSIM_SIM_ENGINE_HISTOGRAM_H_
#define CREDSIM_SIM_ENGINE_HISTOGRAM_H_

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "absl/numeric/int128.h"

namespace credsim {

class Histogram {
 public:
  // Each power-of-two range is split into 2^kSubBucketBits linear sub-buckets.
  static constexpr int kSubBucketBits = 7;
  static constexpr size_t kSubBuckets = size_t{1} << kSubBucketBits;  // 128
  // Number of buckets needed to cover [0, INT64_MAX].
  static constexpr size_t kNumBuckets = (63 - kSubBucketBits - 1) * kSubBuckets + 2 * kSubBuckets;

  Histogram();

  // Records `count` occurrences of `v` (v >= 0). A zero count is a no-op.
  void Record(int64_t v, uint64_t count = 1) {
    if (v < 0) ThrowNegative(v);
    if (count == 0) return;
    counts_[IndexOf(v)] += count;
    count_ += count;
    sum_ += absl::uint128(static_cast<uint64_t>(v)) * count;
    min_ = std::min(min_, v);
    max_ = std::max(max_, v);
  }

  uint64_t count() const { return count_; }
  // Exact smallest / largest recorded value; 0 when empty.
  int64_t min() const { return count_ == 0 ? 0 : min_; }
  int64_t max() const { return count_ == 0 ? 0 : max_; }
  // Exact arithmetic mean; 0 when empty.
  double mean() const;

  // Nearest-rank percentile: the middle of the bucket holding the ceil(q * count())-th
  // smallest sample, clamped to [min(), max()]. q is clamped to [0, 1]; q == 0 gives min()
  // and q == 1 gives max() exactly. Returns 0 when empty. O(number of buckets spanned).
  int64_t Percentile(double q) const;

  // Adds all of `other`'s samples to this histogram.
  void Merge(const Histogram& other);

  // Points (v, F) of the empirical CDF, with strictly increasing v and non-decreasing F:
  // F is exactly the fraction of samples <= v. Each v is the top of a non-empty bucket
  // (clamped to max()), so the points are exact at bucket resolution. Returns at most
  // `max_points` points. When there are more non-empty buckets than that, a subset is kept:
  // the first and last buckets, about half of the budget spread evenly over the non-empty
  // buckets (log-spaced in value, so tails keep detail), and points where F crosses
  // multiples of 1 / kf, kf = (max_points - 2) / 2, so no more than 1 / kf of the mass lies
  // between two consecutive points. The last point is always (max(), 1.0). Empty when the
  // histogram is empty or max_points == 0. Plot with linear interpolation or as steps.
  std::vector<std::pair<int64_t, double>> Cdf(size_t max_points) const;

  // Forgets all samples; keeps the allocation.
  void Clear();

  // Bucket layout, exposed for tests: the bucket index of `v` and the value range
  // [BucketLow(i), BucketHigh(i)] of bucket i.
  static size_t IndexOf(int64_t v) {
    const uint64_t u = static_cast<uint64_t>(v);
    const int shift = std::max(0, static_cast<int>(std::bit_width(u)) - (kSubBucketBits + 1));
    return (static_cast<size_t>(shift) << kSubBucketBits) + static_cast<size_t>(u >> shift);
  }
  static int64_t BucketLow(size_t i);
  static int64_t BucketHigh(size_t i);

 private:
  [[noreturn]] static void ThrowNegative(int64_t v);
  // Middle of bucket i, clamped to [min_, max_].
  int64_t Representative(size_t i) const;

  std::vector<uint64_t> counts_;  // kNumBuckets entries, allocated once.
  uint64_t count_ = 0;
  absl::uint128 sum_ = 0;
  int64_t min_ = std::numeric_limits<int64_t>::max();
  int64_t max_ = 0;
};

}  // namespace credsim

#endif  // CREDSIM_SIM_ENGINE_HISTOGRAM_H_
