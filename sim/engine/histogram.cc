#include "sim/engine/histogram.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace credsim {

Histogram::Histogram() : counts_(kNumBuckets, 0) {}

void Histogram::ThrowNegative(int64_t v) {
  throw std::invalid_argument("Histogram::Record: negative value " + std::to_string(v));
}

int64_t Histogram::BucketLow(size_t i) {
  if (i < 2 * kSubBuckets) return static_cast<int64_t>(i);
  const int shift = static_cast<int>(i >> kSubBucketBits) - 1;
  const uint64_t mantissa = (i & (kSubBuckets - 1)) + kSubBuckets;
  return static_cast<int64_t>(mantissa << shift);
}

int64_t Histogram::BucketHigh(size_t i) {
  if (i < 2 * kSubBuckets) return static_cast<int64_t>(i);
  const int shift = static_cast<int>(i >> kSubBucketBits) - 1;
  // Computed in uint64: the top bucket ends exactly at INT64_MAX.
  return static_cast<int64_t>(static_cast<uint64_t>(BucketLow(i)) + (uint64_t{1} << shift) - 1);
}

int64_t Histogram::Representative(size_t i) const {
  const int64_t low = BucketLow(i);
  const int64_t mid = low + (BucketHigh(i) - low) / 2;
  return std::clamp(mid, min_, max_);
}

double Histogram::mean() const {
  if (count_ == 0) return 0.0;
  return static_cast<double>(sum_) / static_cast<double>(count_);
}

int64_t Histogram::Percentile(double q) const {
  if (count_ == 0) return 0;
  if (!(q > 0.0)) return min_;  // Also catches NaN.
  if (q >= 1.0) return max_;
  const double r = std::ceil(q * static_cast<double>(count_));
  uint64_t rank = r >= static_cast<double>(count_) ? count_ : static_cast<uint64_t>(r);
  rank = std::max<uint64_t>(rank, 1);

  const size_t lo = IndexOf(min_);
  const size_t hi = IndexOf(max_);
  uint64_t cum = 0;
  if (rank <= count_ / 2) {
    for (size_t i = lo; i <= hi; ++i) {
      cum += counts_[i];
      if (cum >= rank) return Representative(i);
    }
  } else {
    // The rank-th smallest is the (count_ - rank + 1)-th largest: scan from the top.
    const uint64_t from_top = count_ - rank + 1;
    for (size_t i = hi + 1; i-- > lo;) {
      cum += counts_[i];
      if (cum >= from_top) return Representative(i);
    }
  }
  return max_;  // Unreachable: the counts add up to count_.
}

void Histogram::Merge(const Histogram& other) {
  if (other.count_ == 0) return;
  const size_t lo = IndexOf(other.min_);
  const size_t hi = IndexOf(other.max_);
  for (size_t i = lo; i <= hi; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

std::vector<std::pair<int64_t, double>> Histogram::Cdf(size_t max_points) const {
  std::vector<std::pair<int64_t, double>> out;
  if (count_ == 0 || max_points == 0) return out;
  if (max_points == 1) {
    out.emplace_back(max_, 1.0);
    return out;
  }
  const size_t lo = IndexOf(min_);
  const size_t hi = IndexOf(max_);
  size_t nonempty = 0;
  for (size_t i = lo; i <= hi; ++i) nonempty += counts_[i] != 0;

  const double total = static_cast<double>(count_);
  auto point = [&](size_t i, uint64_t cum) {
    return std::make_pair(std::min(BucketHigh(i), max_), static_cast<double>(cum) / total);
  };

  out.reserve(std::min(nonempty, max_points));
  uint64_t cum = 0;
  if (nonempty <= max_points) {
    for (size_t i = lo; i <= hi; ++i) {
      if (counts_[i] == 0) continue;
      cum += counts_[i];
      out.push_back(point(i, cum));
    }
    return out;
  }

  // More non-empty buckets than points: always keep the first and the last; of the
  // k = max_points - 2 points in between, the non-empty middle buckets are cut into ks equal
  // runs (by count of buckets, i.e. evenly over log-value where there is data) and the last
  // bucket of each run is kept; in addition, a bucket is kept when the cumulative count crosses
  // a multiple of count_ / kf (kf = k / 2), so no more than 1 / kf of the probability mass is
  // ever skipped between two points. At most ks + (kf - 1) middle points are kept.
  const size_t k = max_points - 2;
  const uint64_t kf = k / 2;
  const uint64_t ks = k - kf;
  const size_t middle = nonempty - 2;  // > k >= ks, so every run is non-empty.
  // band = floor(cum * kf / count_) of the cumulative count before the current bucket;
  // crossing into a higher band is tested with a multiplication, dividing only on a crossing.
  uint64_t band = 0;

  size_t seen = 0;  // Non-empty buckets visited.
  for (size_t i = lo; i <= hi; ++i) {
    if (counts_[i] == 0) continue;
    cum += counts_[i];
    ++seen;
    const bool crossed = kf > 0 && absl::uint128(cum) * kf >= absl::uint128(band + 1) * count_;
    if (crossed) band = static_cast<uint64_t>(absl::uint128(cum) * kf / count_);
    bool keep = crossed || seen == 1 || seen == nonempty;
    if (!keep) {
      const size_t j = seen - 2;  // Index among the middle buckets.
      keep = (j + 1) * ks / middle != j * ks / middle;
    }
    if (keep) out.push_back(point(i, cum));
  }
  return out;
}

void Histogram::Clear() {
  if (count_ != 0) {
    // Only the buckets between min and max can be non-zero.
    std::fill(counts_.begin() + IndexOf(min_), counts_.begin() + IndexOf(max_) + 1, 0);
  }
  count_ = 0;
  sum_ = 0;
  min_ = std::numeric_limits<int64_t>::max();
  max_ = 0;
}

}  // namespace credsim
