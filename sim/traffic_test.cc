#include "sim/traffic.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <vector>

#include "gtest/gtest.h"

namespace credsim {
namespace {

struct Recorder : ArrivalSink {
  EventQueue* q = nullptr;
  std::vector<std::pair<Time, Arrival>> arrivals;
  size_t max_pending = 0;
  void OnArrival(const Arrival& a) override {
    arrivals.emplace_back(q->now(), a);
    max_pending = std::max(max_pending, q->pending());
  }
};

ColoConfig SmallColos(int n) {
  ColoConfig c = DefaultColoConfig();
  c.count = n;
  return c;
}

std::vector<std::pair<Time, Arrival>> RunTraffic(const TrafficConfig& cfg, const ColoSet& colos,
                                                 uint64_t seed, Duration d,
                                          std::shared_ptr<const Trace> trace = nullptr,
                                          size_t* max_pending = nullptr) {
  EventQueue q;
  Recorder rec;
  rec.q = &q;
  TrafficGenerator gen(cfg, colos, seed, trace);
  gen.Start(q, Time() + d, &rec);
  q.RunAll();
  if (max_pending) *max_pending = rec.max_pending;
  return rec.arrivals;
}

TEST(TrafficTest, PoissonCountMatchesRateAndPendingEventsStayConstant) {
  TrafficConfig cfg;
  cfg.rate = 50;
  cfg.roles = 1000;
  ColoSet colos(SmallColos(20));
  size_t max_pending = 0;
  auto a = RunTraffic(cfg, colos, 7, Duration::Seconds(1000), nullptr, &max_pending);
  // 50,000 expected; 4 sigma = ~900.
  EXPECT_NEAR(static_cast<double>(a.size()), 50000, 900);
  EXPECT_LE(max_pending, 1u);  // one source, one pending event: O(sources), not O(requests)
  for (size_t i = 1; i < a.size(); ++i) ASSERT_LE(a[i - 1].first, a[i].first);
}

TEST(TrafficTest, SameSeedSameTrafficDifferentSeedDifferent) {
  TrafficConfig cfg;
  cfg.rate = 20;
  ColoSet colos(SmallColos(10));
  auto a = RunTraffic(cfg, colos, 1, Duration::Seconds(100));
  auto b = RunTraffic(cfg, colos, 1, Duration::Seconds(100));
  auto c = RunTraffic(cfg, colos, 2, Duration::Seconds(100));
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].first, b[i].first);
    EXPECT_EQ(a[i].second.role, b[i].second.role);
    EXPECT_EQ(a[i].second.colo, b[i].second.colo);
  }
  EXPECT_NE(a.size() == c.size() && a[0].first == c[0].first, true);
}

TEST(TrafficTest, ZipfPopularityFavoursFirstRoles) {
  TrafficConfig cfg;
  cfg.rate = 100;
  cfg.roles = 10;
  cfg.popularity_zipf = 1.0;
  ColoSet colos(SmallColos(5));
  auto a = RunTraffic(cfg, colos, 3, Duration::Seconds(500));
  std::vector<int> per_role(10);
  for (auto& [t, ar] : a) per_role[ar.role]++;
  // P(0)/P(1) = 2 under Zipf(1).
  EXPECT_NEAR(static_cast<double>(per_role[0]) / per_role[1], 2.0, 0.15);
  EXPECT_GT(per_role[1], per_role[9]);
}

TEST(TrafficTest, BurstAddsArrivalsOnlyInsideItsWindowForItsRole) {
  TrafficConfig cfg;
  cfg.rate = 0;
  cfg.roles = 50;
  BurstConfig b;
  b.start = Duration::Seconds(100);
  b.duration = Duration::Seconds(10);
  b.rate = 1000;
  cfg.bursts.push_back(b);
  ColoSet colos(SmallColos(30));
  auto a = RunTraffic(cfg, colos, 4, Duration::Seconds(300));
  EXPECT_NEAR(static_cast<double>(a.size()), 10000, 400);
  std::vector<int> per_colo(30);
  for (auto& [t, ar] : a) {
    EXPECT_GE(t, Time() + Duration::Seconds(100));
    EXPECT_LT(t, Time() + Duration::Seconds(110));
    EXPECT_EQ(ar.role, 49u);  // default: the least popular role
    per_colo[ar.colo]++;
  }
  for (int c : per_colo) EXPECT_GT(c, 200);  // hot everywhere
}

TEST(TrafficTest, FailoverMovesAColosTrafficDuringItsWindow) {
  TrafficConfig cfg;
  cfg.rate = 200;
  FailoverConfig f;
  f.at = Duration::Seconds(50);
  f.until = Duration::Seconds(100);
  f.from = 0;
  f.to = 3;
  cfg.failovers.push_back(f);
  ColoSet colos(SmallColos(5));
  auto a = RunTraffic(cfg, colos, 5, Duration::Seconds(150));
  int before = 0, during = 0, after = 0;
  for (auto& [t, ar] : a) {
    if (ar.colo != 0) continue;
    if (t < Time() + Duration::Seconds(50)) ++before;
    else if (t < Time() + Duration::Seconds(100)) ++during;
    else ++after;
  }
  EXPECT_GT(before, 1000);
  EXPECT_EQ(during, 0);
  EXPECT_GT(after, 1000);
}

TEST(TrafficTest, DiurnalCurveShapesTheRate) {
  TrafficConfig cfg;
  cfg.rate = 100;
  cfg.curve = TrafficConfig::Curve::kDiurnal;
  cfg.diurnal_period = Duration::Hours(1);
  cfg.diurnal_peak_at = Duration::Minutes(15);
  cfg.diurnal_trough = 0.2;
  ColoSet colos(SmallColos(5));
  auto a = RunTraffic(cfg, colos, 6, Duration::Hours(1));
  int peak = 0, trough = 0;
  for (auto& [t, ar] : a) {
    const double m = t.since_start().seconds() / 60;
    if (m >= 13 && m < 17) ++peak;
    if (m >= 43 && m < 47) ++trough;
  }
  // Expected 240 s x 100/s x ~0.99 vs x ~0.21.
  EXPECT_NEAR(peak, 23800, 700);
  EXPECT_NEAR(trough, 5100, 400);
}

std::string WriteTrace(const std::string& body) {
  auto dir = std::filesystem::temp_directory_path() / "credsim_traffic_test";
  std::filesystem::create_directories(dir);
  auto path = (dir / "invocations.csv").string();
  std::ofstream(path) << body;
  return path;
}

TEST(TrafficTest, TraceReplayReproducesPerMinuteCountsExactly) {
  TraceConfig tc;
  tc.path = WriteTrace(
      "HashOwner,HashApp,HashFunction,Trigger,480,481,482\n"
      "o1,a1,f1,http,3,0,7\n"
      "o2,a2,f2,timer,0,1,0\n");
  auto trace = LoadAzureTrace(tc);
  ASSERT_TRUE(trace.ok()) << trace.status();
  TrafficConfig cfg;
  cfg.trace = tc;
  ColoSet colos(SmallColos(4));
  auto shared = std::make_shared<const Trace>(*trace);
  size_t max_pending = 0;
  auto a = RunTraffic(cfg, colos, 8, Duration::Minutes(10), shared, &max_pending);
  std::map<std::pair<uint32_t, int>, int> counts;
  for (auto& [t, ar] : a) counts[{ar.role, static_cast<int>(t.since_start().seconds() / 60)}]++;
  using Key = std::pair<uint32_t, int>;
  EXPECT_EQ(counts[Key(0, 0)], 3);
  EXPECT_EQ(counts[Key(0, 1)], 0);
  EXPECT_EQ(counts[Key(0, 2)], 7);
  EXPECT_EQ(counts[Key(1, 1)], 1);
  EXPECT_EQ(a.size(), 11u);
  EXPECT_LE(max_pending, 2u);
}

TEST(TrafficTest, TraceLoaderRejectsBadFilesWithLineNumbers) {
  TraceConfig tc;
  tc.path = WriteTrace("HashOwner,HashApp,HashFunction,Trigger,480\no,a,f,http,x\n");
  auto t = LoadAzureTrace(tc);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(std::string(t.status().message()).find(":2: column 5"), std::string::npos);
  tc.path = WriteTrace("a,b,c\n");
  EXPECT_FALSE(LoadAzureTrace(tc).ok());
  tc.path = "/nonexistent/invocations.csv";
  EXPECT_FALSE(LoadAzureTrace(tc).ok());
}

TEST(TrafficTest, LoadsTheSharedAzureSample) {
  TraceConfig tc;
  tc.path = std::string(CREDSIM_SHARED_DIR) + "/data/azure-functions-2019-sample/100/invocations.csv";
  if (!std::filesystem::exists(tc.path)) GTEST_SKIP() << "no ../shared beside the checkout";
  auto t = LoadAzureTrace(tc);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->counts.size(), 100u);
  EXPECT_EQ(t->minutes(), 480u);
}

TEST(TrafficTest, ParseErrorsNameThePath) {
  auto parse = [](const char* text) {
    nlohmann::json j = nlohmann::json::parse(text);
    TrafficConfig cfg;
    JsonReader r(j, "traffic");
    absl::Status s = ParseTrafficConfig(r, ".", &cfg);
    if (s.ok()) s = r.Finish();
    return std::string(s.message());
  };
  EXPECT_EQ(parse(R"({"rate": 10})"), "");
  EXPECT_NE(parse(R"({"rat": 10})").find("traffic.rat: unknown key"), std::string::npos);
  EXPECT_NE(parse(R"({"curve": {"type": "sine"}})").find("traffic.curve.type: \"sine\""), std::string::npos);
  EXPECT_NE(parse(R"({"bursts": [{"start": "1m"}, {"start": 5}]})").find("traffic.bursts[1].start"),
            std::string::npos);
  EXPECT_NE(parse(R"({"roles": 5, "bursts": [{"role": 9}]})").find("traffic.bursts[0].role"),
            std::string::npos);
}

}  // namespace
}  // namespace credsim
