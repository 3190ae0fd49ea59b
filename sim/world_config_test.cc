#include "sim/world_config.h"

#include <string>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace credsim {
namespace {

std::string IsolateError(const char* text, IsolateConfig* out = nullptr) {
  const nlohmann::json j = nlohmann::json::parse(text);
  IsolateConfig cfg;
  JsonReader r(j, "world.isolates");
  absl::Status s = ParseIsolateConfig(r, out ? out : &cfg);
  if (s.ok()) s = r.Finish();
  return std::string(s.message());
}

// Issue 10 item 9 (a): "1ns" grew memory at 300 MB/s (one restart instant per nanosecond).
TEST(WorldConfigTest, RestartIntervalHasALowerBound) {
  EXPECT_EQ(IsolateError(R"({"restart_interval": "1ns"})"),
            "world.isolates.restart_interval: 1ns is too short; expected a duration >= 1m (or null)");
  EXPECT_EQ(IsolateError(R"({"restart_interval": "59.999s"})").rfind("world.isolates.restart_interval: ", 0), 0u);
  EXPECT_EQ(IsolateError(R"({"restart_interval": "0s"})").rfind("world.isolates.restart_interval: ", 0), 0u);
  IsolateConfig cfg;
  EXPECT_EQ(IsolateError(R"({"restart_interval": "1m"})", &cfg), "");
  EXPECT_EQ(cfg.restart_interval, Duration::Minutes(1));
  EXPECT_EQ(IsolateError(R"({"restart_interval": null})"), "");
}

TEST(WorldConfigTest, RestartsListIsCapped) {
  nlohmann::json j = {{"restarts", nlohmann::json::array()}};
  for (size_t i = 0; i < kMaxRestarts; ++i) j["restarts"].push_back("1h");
  {
    IsolateConfig cfg;
    JsonReader r(j, "world.isolates");
    EXPECT_TRUE(ParseIsolateConfig(r, &cfg).ok());
    EXPECT_EQ(cfg.restarts.size(), kMaxRestarts);
  }
  j["restarts"].push_back("1h");
  IsolateConfig cfg;
  JsonReader r(j, "world.isolates");
  absl::Status s = ParseIsolateConfig(r, &cfg);
  EXPECT_EQ(s.message(), "world.isolates.restarts: 10001 restarts are too many; expected at most 10000");
  // Far-future restarts are valid (they never fire) and cannot overflow.
  EXPECT_EQ(IsolateError(R"({"restarts": ["2562047h"]})"), "");
  EXPECT_EQ(IsolateError(R"({"restarts": ["1h", "2562048h"]})")
                .rfind("world.isolates.restarts[1]: \"2562048h\" is too large", 0),
            0u);
}

// Issue 10 item 4: timers are now + value; reject only values that can overflow.
TEST(WorldConfigTest, TimerDurationsMustLeaveRoomForTheRun) {
  EXPECT_EQ(IsolateError(R"({"max_lifetime": "87600h"})"), "");  // 10 years: never fires, valid
  EXPECT_EQ(FormatDuration(kMaxTimerDuration), "2561326h47m16.854775807s");
  EXPECT_EQ(IsolateError(R"({"max_lifetime": "2561326h47m16.854775807s"})"), "");
  EXPECT_EQ(IsolateError(R"({"max_lifetime": "2562047h"})"),
            "world.isolates.max_lifetime: 2562047h is too large: added to the last instant of a "
            "run (720h warm-up + duration, plus the 1h drain) it would overflow the clock; "
            "expected at most 2561326h47m16.854775807s");
  const nlohmann::json j = nlohmann::json::parse(R"({"edge_timeout": "2562000h"})");
  WorkerConfig w;
  JsonReader r(j, "world.workers");
  EXPECT_EQ(ParseWorkerConfig(r, &w).message().substr(0, 52),
            "world.workers.edge_timeout: 2562000h is too large: a");
}

// Issue 10 item 4: "duration": "2562048h" (or duration + warmup past 2^63 ns) passed the 720 h
// cap (the sum overflowed to a negative number) and the run died with std::bad_alloc.
TEST(WorldConfigTest, CheckRunLengthNeverOverflows) {
  WorldConfig w;
  EXPECT_TRUE(CheckRunLength(w).ok());
  w.duration = Duration::Hours(2562047);  // parses; + 5m warm-up overflowed
  absl::Status s = CheckRunLength(w);
  EXPECT_EQ(s.message(), "duration: warmup + duration must be at most 720h; got 5m + 2562047h");
  w.duration = kMaxDuration;
  w.warmup = kMaxDuration;
  EXPECT_FALSE(CheckRunLength(w).ok());
  w.duration = Duration::Hours(715);
  w.warmup = Duration::Hours(5);
  EXPECT_TRUE(CheckRunLength(w).ok());
  w.warmup = Duration::Hours(5) + Duration::Nanos(1);
  EXPECT_FALSE(CheckRunLength(w).ok());

  WorldConfig z;
  z.duration = Duration();
  EXPECT_EQ(CheckRunLength(z).message(), "duration: must be > 0");
  WorldConfig i;
  i.interval = Duration::Millis(999);
  EXPECT_EQ(CheckRunLength(i).message(), "timeseries_interval: must be >= 1s");
  i.interval = Duration::Seconds(1);
  i.duration = Duration::Hours(700);
  EXPECT_EQ(CheckRunLength(i).message(),
            "timeseries_interval: too small for the duration (more than 1,000,000 intervals)");
}

}  // namespace
}  // namespace credsim
