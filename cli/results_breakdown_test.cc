// The windows and breakdown entries of results.json, the summary.md windows table, and the
// scenario's "windows" list as the loader reads it.
#include "cli/results_breakdown.h"

#include <string>
#include <vector>

#include "cli/scenario.h"
#include "gtest/gtest.h"

namespace credsim {
namespace {

Time At(double s) { return Time() + Duration::FromSecondsF(s); }

TEST(TopRowsByStsTest, OrdersByStsCallsThenTieThenIndexAndSkipsIdleRows) {
  std::vector<BreakdownCounters> rows = {
      {5, 10, 0},  // 0
      {9, 1, 0},   // 1
      {5, 3, 1},   // 2
      {0, 0, 0},   // 3: idle, never listed
      {0, 7, 7},   // 4: requests only
      {9, 2, 0},   // 5
  };
  // Ties by index only.
  EXPECT_EQ(TopRowsBySts(rows, 10, [](size_t, size_t) { return false; }),
            (std::vector<size_t>{1, 5, 0, 2, 4}));
  // A tie order that reverses the indices.
  EXPECT_EQ(TopRowsBySts(rows, 10, [](size_t a, size_t b) { return a > b; }),
            (std::vector<size_t>{5, 1, 2, 0, 4}));
  // At most k.
  EXPECT_EQ(TopRowsBySts(rows, 2, [](size_t, size_t) { return false; }),
            (std::vector<size_t>{1, 5}));
  EXPECT_TRUE(TopRowsBySts({}, 10, [](size_t, size_t) { return false; }).empty());
}

TEST(TopColosResultTest, TopTenByStsCallsTiesByColoName) {
  WorldConfig w;
  for (int i = 0; i < 14; ++i) {
    w.colos.list.push_back(ColoSpec{"c" + std::string(1, static_cast<char>('z' - i)), 0, 1, 1});
  }
  RunMetrics m(Time(), At(60), Duration::Seconds(10));
  m.by_colo.assign(14, BreakdownCounters{});
  for (size_t i = 0; i < 14; ++i) m.by_colo[i] = {i < 6 ? 7u : 3u, 2 * i, i % 2};
  const nlohmann::json top = TopColosResult(m, w);
  ASSERT_EQ(top.size(), 10u);
  // Colos 0..5 tie at 7 calls: by name ("cu" < ... < "cz"), i.e. index 5 first.
  EXPECT_EQ(top[0]["colo"], "cu");
  EXPECT_EQ(top[5]["colo"], "cz");
  EXPECT_EQ(top[5]["sts_calls"], 7);
  EXPECT_EQ(top[5]["requests"], 0);
  // Then the 3-call colos by name: index 13 ("cm") first.
  EXPECT_EQ(top[6]["colo"], "cm");
  EXPECT_EQ(top[6]["requests"], 26);
  EXPECT_EQ(top[6]["errors"], 1);
  EXPECT_EQ(top[9]["colo"], "cp");
}

TEST(TopRolesResultTest, TiesByRoleIndex) {
  RunMetrics m(Time(), At(60), Duration::Seconds(10));
  m.by_role.assign(30, BreakdownCounters{});
  for (size_t i = 0; i < 30; ++i) m.by_role[i] = {i % 3 == 0 ? 4u : 1u, 1, 0};
  const nlohmann::json top = TopRolesResult(m);
  ASSERT_EQ(top.size(), 10u);
  for (size_t k = 0; k < 10; ++k) EXPECT_EQ(top[k]["role"], 3 * k) << k;
  EXPECT_EQ(top[0], (nlohmann::json{{"role", 0}, {"sts_calls", 4}, {"requests", 1}, {"errors", 0}}));
}

RunMetrics WithWindows() {
  RunMetrics m(At(10), At(100), Duration::Seconds(10));
  m.windows = RunWindows(
      {WindowSpec{"spike", Duration::Seconds(50), Duration::Seconds(150), WindowSource::kScenario},
       WindowSpec{"burst[0]", Duration::Seconds(20), Duration::Seconds(30), WindowSource::kBurst},
       WindowSpec{"sts_outage[0]", Duration::Seconds(0), Duration::Seconds(5),
                  WindowSource::kStsOutage}},
      m.measure_from, m.measure_to);
  m.windows.Request(At(22), -1, 2000000);
  m.windows.Request(At(23), RunMetrics::ErrorIndex(503), 4000000);
  m.windows.Request(At(24), RunMetrics::ErrorIndex(403), 4000000);
  m.windows.Request(At(25), RunMetrics::ErrorIndex(429), 4000000);
  m.windows.StsCall(At(22.5));
  m.windows.StsCall(At(22.7));
  m.windows.StsThrottled(At(22.7));
  m.windows.StsCall(At(60));
  return m;
}

TEST(WindowsResultTest, OneEntryPerWindowWithCountsRatiosAndLatency) {
  const nlohmann::json w = WindowsResult(WithWindows());
  ASSERT_EQ(w.size(), 3u);
  const nlohmann::json& b = w["burst[0]"];
  EXPECT_EQ(b["source"], "burst");
  EXPECT_EQ(b["measured"], true);
  EXPECT_EQ(b["span_s"], nlohmann::json::array({20.0, 30.0}));
  EXPECT_EQ(b["requests"], 4);
  EXPECT_EQ(b["errors"], (nlohmann::json{{"403", 1}, {"429", 1}, {"500", 0}, {"502", 0},
                                          {"503", 1}, {"total", 3}}));
  EXPECT_EQ(b["error_ratio"], 0.75);
  EXPECT_EQ(b["sts_calls"], 2);
  EXPECT_EQ(b["sts_throttled"], 1);
  EXPECT_EQ(b["sts_calls_peak_per_s"], 2);
  EXPECT_NEAR(b["auth_latency_ms"]["p50"].get<double>(), 4.0, 4.0 / 256);
  EXPECT_NEAR(b["auth_latency_ms"]["p99"].get<double>(), 4.0, 4.0 / 256);
  const nlohmann::json& spike = w["spike"];
  EXPECT_EQ(spike["span_s"], nlohmann::json::array({50.0, 100.0}));  // clipped to the measurement window
  EXPECT_EQ(spike["requests"], 0);
  EXPECT_TRUE(spike["error_ratio"].is_null());  // no requests: no value
  EXPECT_TRUE(spike["auth_latency_ms"]["p99"].is_null());
  EXPECT_EQ(spike["sts_calls"], 1);
  const nlohmann::json& outage = w["sts_outage[0]"];
  EXPECT_EQ(outage["measured"], false);  // entirely in the warm-up
  EXPECT_EQ(outage["span_s"], nlohmann::json::array({0.0, 5.0}));
  EXPECT_EQ(outage["requests"], 0);
  EXPECT_TRUE(WindowsResult(RunMetrics(At(0), At(10), Duration::Seconds(1))).empty());
}

TEST(WindowsMarkdownTest, OneRowPerWindowAndStrategyByStartTime) {
  nlohmann::json results;
  const nlohmann::json windows = WindowsResult(WithWindows());
  results["strategies"] = {{{"name", "l1"}, {"windows", windows}},
                           {{"name", "kv"}, {"windows", windows}}};
  const std::string md = WindowsMarkdown(results);
  ASSERT_NE(md.find("## Windows"), std::string::npos) << md;
  const size_t outage = md.find("| sts_outage[0] | l1 |");
  const size_t burst_l1 = md.find("| burst[0] | l1 | 20 | 30 | 4 | 3 | 75.0000% | 1 | 1 | 0 | 0 | 1 | 2 | 2 |");
  const size_t burst_kv = md.find("| burst[0] | kv |");
  const size_t spike = md.find("| spike | l1 |");
  ASSERT_NE(outage, std::string::npos) << md;
  ASSERT_NE(burst_l1, std::string::npos) << md;
  ASSERT_NE(burst_kv, std::string::npos) << md;
  ASSERT_NE(spike, std::string::npos) << md;
  EXPECT_LT(outage, burst_l1);
  EXPECT_LT(burst_l1, burst_kv);
  EXPECT_LT(burst_kv, spike);
  EXPECT_NE(md.find("| sts_outage[0] | l1 | 0 | 5 | not measured |"), std::string::npos) << md;
  nlohmann::json none;
  none["strategies"] = {{{"name", "l1"}, {"windows", nlohmann::json::object()}}};
  EXPECT_EQ(WindowsMarkdown(none), "");
  EXPECT_EQ(WindowsMarkdown(nlohmann::json::object()), "");
}

TEST(WindowsWarningsTest, WarnsOnlyWhenWindowsWereLeftOut) {
  WorldConfig w;
  EXPECT_TRUE(WindowsWarnings(w).empty());
  w.duration = Duration::Hours(10);
  w.isolates.restart_interval = Duration::Minutes(1);
  const std::vector<std::string> warnings = WindowsWarnings(w);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("were left out"), std::string::npos) << warnings[0];
}

absl::StatusOr<Scenario> Load(const std::string& windows) {
  return ParseScenario(nlohmann::json::parse(R"({"duration": "10m", "warmup": "1m",
                                                 "strategies": ["none"], "windows": )" +
                                             windows + "}"),
                       "t", ".");
}

TEST(ScenarioWindowsTest, TheLoaderReadsTheListIntoTheWorld) {
  auto sc = Load(R"([{"name": "spike", "start": "2m", "end": "4m"}])");
  ASSERT_TRUE(sc.ok()) << sc.status().message();
  ASSERT_EQ(sc->world.windows.size(), 1u);
  EXPECT_EQ(sc->world.windows[0].name, "spike");
  EXPECT_EQ(sc->world.windows[0].end, Duration::Minutes(4));
  auto none = ParseScenario(nlohmann::json::parse(R"({"strategies": ["none"]})"), "t", ".");
  ASSERT_TRUE(none.ok()) << none.status().message();
  EXPECT_TRUE(none->world.windows.empty());
}

TEST(ScenarioWindowsTest, ErrorsNameTheJsonPath) {
  const std::pair<const char*, const char*> cases[] = {
      {R"("10m")", "windows: expected an array"},
      {R"([{"name": "a", "start": "2m", "end": "12m"}])",
       "windows[0].end: 12m is past the end of the run; expected at most warmup + duration = 11m"},
      {R"([{"name": "a", "start": "2m", "end": "3m"}, {"name": "a", "start": "4m", "end": "5m"}])",
       "windows[1].name: window name \"a\" is used twice"},
      {R"([{"name": "sts_outage[0]", "start": "2m", "end": "3m"}])",
       "windows[0].name: a 13-character name is not accepted; expected 1 to 64 characters from "
       "A-Z a-z 0-9 _ -"},
      {R"([{"name": "a", "start": "3m", "end": "3m"}])", "windows[0].end: 3m is not after start 3m"},
      {R"([{"name": "a", "start": "3m", "end": "4m", "extra": true}])", "windows[0].extra"},
  };
  for (const auto& [json, message] : cases) {
    auto sc = Load(json);
    ASSERT_FALSE(sc.ok()) << json;
    EXPECT_NE(std::string(sc.status().message()).find(message), std::string::npos)
        << json << " -> " << sc.status().message();
  }
}

}  // namespace
}  // namespace credsim
