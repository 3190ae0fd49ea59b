// Simulated time. `Duration` and `Time` are strong int64 nanosecond types so that a
// duration can never be passed where an instant is expected. Simulated time starts at
// Time{} (zero) and has no relation to wall-clock time, which never reaches the simulation.
#ifndef CREDSIM_SIM_ENGINE_TIME_H_
#define CREDSIM_SIM_ENGINE_TIME_H_

#include <compare>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace credsim {

class Duration {
 public:
  constexpr Duration() = default;
  static constexpr Duration Nanos(int64_t n) { return Duration(n); }
  static constexpr Duration Micros(int64_t n) { return Duration(n * 1000); }
  static constexpr Duration Millis(int64_t n) { return Duration(n * 1000000); }
  static constexpr Duration Seconds(int64_t n) { return Duration(n * 1000000000); }
  static constexpr Duration Minutes(int64_t n) { return Seconds(n * 60); }
  static constexpr Duration Hours(int64_t n) { return Seconds(n * 3600); }
  // Rounds to the nearest nanosecond; saturates at the representable range.
  static Duration FromSecondsF(double s);
  static constexpr Duration Infinite() { return Duration(std::numeric_limits<int64_t>::max()); }

  constexpr int64_t nanos() const { return ns_; }
  constexpr double seconds() const { return static_cast<double>(ns_) * 1e-9; }
  constexpr double millis() const { return static_cast<double>(ns_) * 1e-6; }

  constexpr auto operator<=>(const Duration&) const = default;
  constexpr Duration operator+(Duration o) const { return Duration(ns_ + o.ns_); }
  constexpr Duration operator-(Duration o) const { return Duration(ns_ - o.ns_); }
  constexpr Duration operator-() const { return Duration(-ns_); }
  constexpr Duration operator*(int64_t k) const { return Duration(ns_ * k); }
  constexpr Duration operator/(int64_t k) const { return Duration(ns_ / k); }
  constexpr int64_t operator/(Duration o) const { return ns_ / o.ns_; }
  constexpr Duration& operator+=(Duration o) { ns_ += o.ns_; return *this; }
  constexpr Duration& operator-=(Duration o) { ns_ -= o.ns_; return *this; }

 private:
  constexpr explicit Duration(int64_t ns) : ns_(ns) {}
  int64_t ns_ = 0;
};

class Time {
 public:
  constexpr Time() = default;
  static constexpr Time FromNanos(int64_t n) { return Time(n); }
  static constexpr Time Infinite() { return Time(std::numeric_limits<int64_t>::max()); }
  constexpr int64_t nanos() const { return ns_; }
  constexpr double seconds() const { return static_cast<double>(ns_) * 1e-9; }
  constexpr Duration since_start() const { return Duration::Nanos(ns_); }

  constexpr auto operator<=>(const Time&) const = default;
  constexpr Time operator+(Duration d) const { return Time(ns_ + d.nanos()); }
  constexpr Time operator-(Duration d) const { return Time(ns_ - d.nanos()); }
  constexpr Duration operator-(Time o) const { return Duration::Nanos(ns_ - o.ns_); }
  constexpr Time& operator+=(Duration d) { ns_ += d.nanos(); return *this; }

 private:
  constexpr explicit Time(int64_t ns) : ns_(ns) {}
  int64_t ns_ = 0;
};

// Overflow-checked arithmetic for values that come from input (scenario files, flags). The
// operators above are unchecked on purpose (they are on the hot path); the loader uses these
// so that every instant a scenario can produce is representable.
// nullopt when the exact result does not fit in int64 nanoseconds.
std::optional<Duration> CheckedAdd(Duration a, Duration b);
std::optional<Duration> CheckedMul(Duration d, int64_t k);
std::optional<Time> CheckedAdd(Time t, Duration d);

// The largest duration ParseDuration accepts: 2^63-1 ns = "2562047h47m16.854775807s" (about
// 292 years), the largest value of the int64 nanosecond representation.
inline constexpr Duration kMaxDuration = Duration::Infinite();

// Parses a human duration such as "150ms", "10s", "1h30m", "1.5h" (Abseil's grammar).
// Rejects negative values, "inf", empty strings and values above kMaxDuration (which do not
// fit in int64 nanoseconds) with a message naming the input (and the maximum).
absl::StatusOr<Duration> ParseDuration(std::string_view text);

// Formats as the shortest Abseil duration string ("1h30m", "150ms").
std::string FormatDuration(Duration d);

}  // namespace credsim

#endif  // CREDSIM_SIM_ENGINE_TIME_H_
