// TokenBucket: a rate limiter with exact integer arithmetic (AWS STS per-account request
// quota, sources.md §P7 "Request quota" and §P8 "STS").
#ifndef CREDSIM_SIM_ENGINE_TOKEN_BUCKET_H_
#define CREDSIM_SIM_ENGINE_TOKEN_BUCKET_H_

#include <cstdint>

#include "absl/numeric/int128.h"
#include "sim/engine/time.h"

namespace credsim {

// TokenBucket: refills continuously at `rate_per_s` tokens per second up to `burst` tokens and
// starts full at `start`. TryTake(now) takes one whole token if one is available.
//
// Contract:
//  * Arithmetic is exact: the level is an integer count of 1e-18 tokens and time is in
//    integer nanoseconds, with the rate quantised to 1e-9 tokens per second (any rate with at
//    most 9 decimals is represented exactly). Hence, starting full, the bucket admits at most
//    burst + floor(rate × t) takes over any interval of length t, and exactly that many when
//    the caller takes greedily often enough that the level never reaches `burst` again.
//  * Times passed to TryTake/Available should be non-decreasing; an earlier time refills
//    nothing (and does not move the refill clock back).
//  * Requires 0 <= rate_per_s <= 1e9 and 1 <= burst <= 1e9 (aborts otherwise: validate input
//    before constructing). O(1) state, no allocation.
class TokenBucket {
 public:
  TokenBucket(double rate_per_s, int64_t burst, Time start = Time());

  // Refills up to `now`, then takes one token if at least one whole token is available.
  bool TryTake(Time now);
  // Whole tokens available at `now` (does not change the bucket).
  int64_t Available(Time now) const;

  // The rate after quantisation to 1e-9 tokens per second.
  double rate_per_s() const;
  int64_t burst() const { return burst_; }

 private:
  // Units of the level per token: 1e9 (rate quantum) × 1e9 (ns per second).
  static constexpr uint64_t kUnitsPerToken = 1000000000000000000ULL;

  absl::uint128 LevelAt(Time now) const;

  uint64_t rate_nano_;    // tokens per second × 1e9 == level units gained per nanosecond
  int64_t burst_;
  absl::uint128 capacity_;  // burst_ × kUnitsPerToken
  absl::uint128 level_;     // in units; <= capacity_
  Time last_;               // time up to which level_ is refilled
};

}  // namespace credsim

#endif  // CREDSIM_SIM_ENGINE_TOKEN_BUCKET_H_
