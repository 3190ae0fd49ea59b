#include "sim/engine/token_bucket.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace credsim {

TokenBucket::TokenBucket(double rate_per_s, int64_t burst, Time start)
    : burst_(burst), last_(start) {
  if (!(rate_per_s >= 0 && rate_per_s <= 1e9) || burst < 1 || burst > 1000000000) {
    std::fprintf(stderr, "TokenBucket: invalid rate %g or burst %lld\n", rate_per_s,
                 static_cast<long long>(burst));
    std::abort();
  }
  rate_nano_ = static_cast<uint64_t>(std::llround(rate_per_s * 1e9));
  capacity_ = absl::uint128(static_cast<uint64_t>(burst)) * kUnitsPerToken;
  level_ = capacity_;
}

absl::uint128 TokenBucket::LevelAt(Time now) const {
  if (now <= last_) return level_;
  // rate_nano_ <= 1e18 and the gap < 2^63 ns, so the product fits in 128 bits.
  const absl::uint128 gained =
      absl::uint128(rate_nano_) * static_cast<uint64_t>((now - last_).nanos());
  const absl::uint128 room = capacity_ - level_;
  return gained >= room ? capacity_ : level_ + gained;
}

bool TokenBucket::TryTake(Time now) {
  level_ = LevelAt(now);
  if (now > last_) last_ = now;
  if (level_ < kUnitsPerToken) return false;
  level_ -= kUnitsPerToken;
  return true;
}

int64_t TokenBucket::Available(Time now) const {
  return static_cast<int64_t>(absl::Uint128Low64(LevelAt(now) / kUnitsPerToken));
}

double TokenBucket::rate_per_s() const { return static_cast<double>(rate_nano_) * 1e-9; }

}  // namespace credsim
