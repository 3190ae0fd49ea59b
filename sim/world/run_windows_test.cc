// RunWindows (which events a window counts), RunWindowSpecs (the generated windows) and
// ParseScenarioWindows (the scenario's "windows" list).
#include "sim/world/run_windows.h"

#include <stdexcept>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "sim/world/world_config.h"

namespace credsim {
namespace {

Time At(double s) { return Time() + Duration::FromSecondsF(s); }
Duration S(int64_t s) { return Duration::Seconds(s); }
WindowSpec Spec(std::string name, int64_t start, int64_t end) {
  return WindowSpec{std::move(name), S(start), S(end), WindowSource::kScenario};
}

TEST(RunWindowsTest, NoWindowsIsEmptyAndCountsNothing) {
  RunWindows none;
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(none.size(), 0u);
  none.Request(At(1), -1, 5);  // no-op
  none.StsCall(At(1));
}

TEST(RunWindowsTest, AnEventCountsIffFromLeTLessThanTo) {
  RunWindows w({Spec("w", 20, 30)}, At(10), At(100));
  ASSERT_FALSE(w.empty());
  for (double t : {19.999999999, 20.0, 25.0, 29.999999999, 30.0, 50.0, 5.0}) {
    w.Request(At(t), -1, 1);
    w.StsCall(At(t));
  }
  const WindowCounters& c = w.window(0).counters;
  EXPECT_EQ(c.requests, 3u);  // 20 (start included), 25, 29.999999999; 30 (end) excluded
  EXPECT_EQ(c.sts_calls, 3u);
  EXPECT_EQ(c.auth_latency.count(), 3u);
}

TEST(RunWindowsTest, WindowsAreClippedToTheMeasurementWindow) {
  RunWindows w({Spec("early", 0, 15), Spec("late", 90, 200), Spec("warmup_only", 0, 10),
                Spec("after", 100, 120)},
               At(10), At(100));
  EXPECT_TRUE(w.window(0).measured);
  EXPECT_EQ(w.window(0).from, At(10));
  EXPECT_EQ(w.window(0).to, At(15));
  EXPECT_EQ(w.window(1).from, At(90));
  EXPECT_EQ(w.window(1).to, At(100));
  // Outside the measurement window: reported with its own bounds, never counts.
  EXPECT_FALSE(w.window(2).measured);
  EXPECT_EQ(w.window(2).from, At(0));
  EXPECT_EQ(w.window(2).to, At(10));
  EXPECT_FALSE(w.window(3).measured);
  for (double t : {0.0, 5.0, 9.0, 10.0, 14.0, 95.0, 99.0, 100.0, 110.0}) w.Request(At(t), 2, 1);
  EXPECT_EQ(w.window(0).counters.requests, 2u);  // 10, 14 (the caller never reports t < 10)
  EXPECT_EQ(w.window(1).counters.requests, 2u);  // 95, 99
  EXPECT_EQ(w.window(2).counters.requests, 0u);
  EXPECT_EQ(w.window(3).counters.requests, 0u);
  EXPECT_EQ(w.window(0).counters.errors[2], 2u);
}

TEST(RunWindowsTest, OnlyUnmeasuredWindowsLeaveTheSetEmpty) {
  RunWindows w({Spec("warmup_only", 0, 10)}, At(10), At(100));
  EXPECT_TRUE(w.empty());  // the hot paths skip it
  EXPECT_EQ(w.size(), 1u);  // but it is reported
}

TEST(RunWindowsTest, OverlappingAndNestedWindowsEachCountTheirEvents) {
  RunWindows w({Spec("outer", 10, 60), Spec("inner", 20, 30), Spec("right", 25, 70),
                Spec("same", 20, 30)},
               At(0), At(100));
  const double times[] = {5, 10, 20, 24, 25, 29, 30, 59, 60, 69, 70};
  for (double t : times) w.Request(At(t), -1, 0);
  // Count by brute force over the specs.
  const int64_t bounds[4][2] = {{10, 60}, {20, 30}, {25, 70}, {20, 30}};
  for (size_t i = 0; i < 4; ++i) {
    uint64_t want = 0;
    for (double t : times) want += t >= bounds[i][0] && t < bounds[i][1];
    EXPECT_EQ(w.window(i).counters.requests, want) << w.window(i).spec.name;
  }
}

TEST(RunWindowsTest, PeakAndThrottledAreCountedInsideTheWindowOnly) {
  RunWindows w({Spec("w", 10, 12)}, At(0), At(100));
  // 5 calls in second 9 (outside), 3 in second 10, 4 in second 11, 6 in second 12 (outside).
  for (int i = 0; i < 5; ++i) w.StsCall(At(9.1 + 0.1 * i));
  for (int i = 0; i < 3; ++i) w.StsCall(At(10.1 + 0.1 * i));
  for (int i = 0; i < 4; ++i) w.StsCall(At(11.1 + 0.1 * i));
  for (int i = 0; i < 6; ++i) w.StsCall(At(12.1 + 0.1 * i));
  w.StsThrottled(At(9.5));
  w.StsThrottled(At(11.5));
  const WindowCounters& c = w.window(0).counters;
  EXPECT_EQ(c.sts_calls, 7u);
  EXPECT_EQ(c.sts_peak.peak(), 4u);
  EXPECT_EQ(c.sts_throttled, 1u);
}

TEST(RunWindowsTest, AWindowThatDoesNotEndAfterItStartsIsRejected) {
  EXPECT_THROW(RunWindows({Spec("w", 10, 10)}, At(0), At(100)), std::invalid_argument);
}

WorldConfig Base() {
  WorldConfig w;
  w.warmup = Duration::Minutes(5);
  w.duration = Duration::Minutes(60);
  return w;
}

std::vector<std::string> Names(const std::vector<WindowSpec>& specs) {
  std::vector<std::string> out;
  for (const WindowSpec& s : specs) out.push_back(s.name);
  return out;
}

TEST(RunWindowSpecsTest, OneWindowPerBurstOutageAndRestartAfterTheScenarioWindows) {
  WorldConfig w = Base();
  w.windows = {Spec("mine", 600, 700)};
  BurstConfig poisson;
  poisson.start = Duration::Minutes(15);
  poisson.duration = Duration::Minutes(5);
  BurstConfig exact;
  exact.start = Duration::Minutes(20);
  exact.count = 100;
  exact.spread = S(30);
  BurstConfig instant;
  instant.start = Duration::Minutes(25);
  instant.count = 100;
  w.traffic.bursts = {poisson, exact, instant};
  w.sts.outages = {StsOutage{Duration::Minutes(30), Duration::Minutes(35), StsOutageMode::kHang}};
  w.isolates.restarts = {Duration::Minutes(40)};
  w.isolates.restart_interval = Duration::Minutes(30);
  w.isolates.restart_window = Duration::Minutes(2);
  size_t omitted = 99;
  const std::vector<WindowSpec> specs = RunWindowSpecs(w, &omitted);
  EXPECT_EQ(omitted, 0u);
  EXPECT_EQ(Names(specs),
            (std::vector<std::string>{"mine", "burst[0]", "burst[1]", "burst[2]", "sts_outage[0]",
                                      "restart[0]", "periodic_restart[1]",
                                      "periodic_restart[2]"}));
  EXPECT_EQ(specs[1].start, Duration::Minutes(15));
  EXPECT_EQ(specs[1].end, Duration::Minutes(20));
  EXPECT_EQ(specs[2].end, Duration::Minutes(20) + S(30));
  EXPECT_EQ(specs[3].end, Duration::Minutes(25) + S(1));  // spread 0: one second
  EXPECT_EQ(specs[4].end, Duration::Minutes(35));
  EXPECT_EQ(specs[4].source, WindowSource::kStsOutage);
  EXPECT_EQ(specs[5].start, Duration::Minutes(40));
  EXPECT_EQ(specs[5].end, Duration::Minutes(42));
  // Periodic restarts at 30m and 60m (< 65m, the end); none at 0.
  EXPECT_EQ(specs[6].start, Duration::Minutes(30));
  EXPECT_EQ(specs[7].start, Duration::Minutes(60));
  EXPECT_EQ(specs[7].source, WindowSource::kPeriodicRestart);
}

TEST(RunWindowSpecsTest, WindowsPastTheLimitAreOmittedAndCounted) {
  WorldConfig w = Base();
  w.duration = Duration::Hours(700);
  w.windows = {Spec("mine", 0, 10)};
  w.isolates.restart_interval = Duration::Minutes(1);  // 42,299 restarts before the end
  size_t omitted = 0;
  const std::vector<WindowSpec> specs = RunWindowSpecs(w, &omitted);
  ASSERT_EQ(specs.size(), kMaxWindows);
  EXPECT_EQ(specs.front().name, "mine");
  EXPECT_EQ(specs.back().name, "periodic_restart[" + std::to_string(kMaxWindows - 1) + "]");
  const int64_t restarts = (w.warmup + w.duration - Duration::Nanos(1)) / Duration::Minutes(1);
  EXPECT_EQ(omitted, static_cast<size_t>(restarts) - (kMaxWindows - 1));
}

absl::Status ParseList(const nlohmann::json& list, WorldConfig* w) {
  const nlohmann::json doc = {{"windows", list}};
  JsonReader r(doc, "");
  return ParseScenarioWindows(r, w);
}
absl::Status Parse(const char* text, WorldConfig* w) { return ParseList(nlohmann::json::parse(text), w); }

TEST(ParseScenarioWindowsTest, ReadsNamesAndTimes) {
  WorldConfig w = Base();
  ASSERT_TRUE(Parse(R"([{"name": "spike", "start": "10m", "end": "20m"},
                        {"name": "A-b_9", "start": "0s", "end": "65m"}])",
                    &w)
                  .ok());
  ASSERT_EQ(w.windows.size(), 2u);
  EXPECT_EQ(w.windows[0].name, "spike");
  EXPECT_EQ(w.windows[0].start, Duration::Minutes(10));
  EXPECT_EQ(w.windows[0].end, Duration::Minutes(20));
  EXPECT_EQ(w.windows[1].end, Duration::Minutes(65));  // exactly warmup + duration
  EXPECT_EQ(w.windows[1].source, WindowSource::kScenario);
}

TEST(ParseScenarioWindowsTest, ErrorsNameThePathAndWhatIsAccepted) {
  struct Case {
    const char* json;
    const char* message;  // a substring of the error
  };
  const Case cases[] = {
      {R"({"name": "x"})", "windows: expected an array"},
      {R"([3])", "windows[0]: expected an object"},
      {R"([{"start": "1m", "end": "2m"}])", "windows[0].name: required"},
      {R"([{"name": "x", "end": "2m"}])", "windows[0].start: required"},
      {R"([{"name": "x", "start": "1m"}])", "windows[0].end: required"},
      {R"([{"name": "x", "start": "1m", "end": "2m", "mode": 1}])", "windows[0].mode"},
      {R"([{"name": "", "start": "1m", "end": "2m"}])", "windows[0].name: a 0-character name"},
      {R"([{"name": "a.b", "start": "1m", "end": "2m"}])", "from A-Z a-z 0-9 _ -"},
      {R"([{"name": "burst[0]", "start": "1m", "end": "2m"}])", "windows[0].name"},
      {R"([{"name": "x", "start": "1m", "end": "2m"}, {"name": "x", "start": "3m", "end": "4m"}])",
       "windows[1].name: window name \"x\" is used twice"},
      {R"([{"name": "x", "start": "2m", "end": "2m"}])", "windows[0].end: 2m is not after start 2m"},
      {R"([{"name": "x", "start": "3m", "end": "2m"}])", "expected start < end"},
      {R"([{"name": "x", "start": "1m", "end": "66m"}])",
       "windows[0].end: 1h6m is past the end of the run; expected at most warmup + duration = 1h5m"},
      {R"([{"name": "x", "start": 60, "end": "2m"}])", "windows[0].start: expected a duration"},
      {R"([{"name": "x", "start": "1m", "end": "soon"}])", "windows[0].end"},
  };
  for (const Case& c : cases) {
    WorldConfig w = Base();
    const absl::Status s = Parse(c.json, &w);
    EXPECT_FALSE(s.ok()) << c.json;
    EXPECT_NE(std::string(s.message()).find(c.message), std::string::npos)
        << c.json << " -> " << s.message();
    EXPECT_TRUE(w.windows.empty()) << c.json;
  }
  WorldConfig w = Base();
  std::string many = "[";
  for (size_t i = 0; i <= kMaxScenarioWindows; ++i) {
    many += (i ? "," : "") + std::string(R"({"name": "w)") + std::to_string(i) +
            R"(", "start": "1m", "end": "2m"})";
  }
  many += "]";
  const absl::Status s = ParseList(nlohmann::json::parse(many), &w);
  EXPECT_NE(std::string(s.message()).find("65 windows are too many; expected at most 64"),
            std::string::npos)
      << s.message();
}

}  // namespace
}  // namespace credsim
