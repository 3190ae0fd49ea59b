#include "sim/engine/time.h"

#include <cmath>

#include "fmt/format.h"
#include "absl/time/time.h"

namespace credsim {

Duration Duration::FromSecondsF(double s) {
  const double ns = std::round(s * 1e9);
  if (!(ns < 9.2e18)) return Infinite();
  if (ns < -9.2e18) return Duration(std::numeric_limits<int64_t>::min());
  return Duration(static_cast<int64_t>(ns));
}

absl::StatusOr<Duration> ParseDuration(std::string_view text) {
  absl::Duration d;
  if (text.empty() || !absl::ParseDuration(std::string(text), &d) || text == "inf" || text == "-inf" ||
      d == absl::InfiniteDuration() || d == -absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(fmt::format(
        "\"{}\" is not a duration; expected a number with a unit (ns, us, ms, s, m, h), "
        "e.g. \"150ms\", \"10s\", \"1h30m\"",
        text));
  }
  if (d < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        fmt::format("\"{}\" is negative; durations must be >= 0", text));
  }
  // absl::Duration reaches far beyond int64 nanoseconds and ToInt64Nanoseconds saturates:
  // compare exactly before converting.
  if (d > absl::Nanoseconds(kMaxDuration.nanos())) {
    return absl::InvalidArgumentError(fmt::format(
        "\"{}\" is too large; durations must be at most {} (2^63-1 ns, about 292 years)", text,
        FormatDuration(kMaxDuration)));
  }
  return Duration::Nanos(absl::ToInt64Nanoseconds(d));
}

std::optional<Duration> CheckedAdd(Duration a, Duration b) {
  int64_t r;
  if (__builtin_add_overflow(a.nanos(), b.nanos(), &r)) return std::nullopt;
  return Duration::Nanos(r);
}

std::optional<Duration> CheckedMul(Duration d, int64_t k) {
  int64_t r;
  if (__builtin_mul_overflow(d.nanos(), k, &r)) return std::nullopt;
  return Duration::Nanos(r);
}

std::optional<Time> CheckedAdd(Time t, Duration d) {
  int64_t r;
  if (__builtin_add_overflow(t.nanos(), d.nanos(), &r)) return std::nullopt;
  return Time::FromNanos(r);
}

std::string FormatDuration(Duration d) {
  return absl::FormatDuration(absl::Nanoseconds(d.nanos()));
}

}  // namespace credsim
