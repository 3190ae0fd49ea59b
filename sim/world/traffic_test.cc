#include "sim/world/traffic.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

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
  EXPECT_NE(std::string(t.status().message()).find(":2:5: \"x\" is not a count"), std::string::npos)
      << t.status();
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

// ---------------------------------------------------------------------------------------------
// Issue 10 item 8: strict trace cells, regular files only, size limit, scale overflow.

std::string TraceError(std::string_view text, int64_t max_functions = 0) {
  auto t = ParseAzureTrace(text, "t.csv", max_functions);
  return t.ok() ? "" : std::string(t.status().message());
}

TEST(TrafficTest, TraceCellsAreDigitsOnlyWithinTheCap) {
  const std::string h = "HashOwner,HashApp,HashFunction,Trigger,1,2\n";
  // "-1" was read by strtoul as 4294967295.
  EXPECT_EQ(TraceError(h + "o,a,f,http,-1,0\n"),
            "t.csv:2:5: \"-1\" is not a count; expected an integer from 0 to 60000000 (digits only)");
  for (const char* bad : {"+1", " 1", "1 ", "0x1", "1.0", "1e3", "", "\t", "1\r\r"}) {
    const std::string e = TraceError(h + "o,a,f,http,0," + bad + "\n");
    EXPECT_EQ(e.rfind("t.csv:2:6: \"", 0), 0u) << "[" << bad << "] " << e;
  }
  EXPECT_EQ(TraceError(h + "o,a,f,http,0,4294967296\n"),
            "t.csv:2:6: 4294967296 is out of range; expected an integer from 0 to 60000000 "
            "(invocations per minute)");
  EXPECT_EQ(TraceError(h + "o,a,f,http,60000001,0\n").rfind("t.csv:2:5: 60000001 is out of range", 0), 0u);
  EXPECT_EQ(TraceError(h + "o,a,f,http,0,99999999999999999999999999\n")
                .rfind("t.csv:2:6: 99999999999999999999999999 is out of range", 0),
            0u);
  EXPECT_EQ(TraceError(h + "o,a,f,http,1,2,3\n"),
            "t.csv:2:7: more cells than the header; expected 2 minute columns");
  EXPECT_EQ(TraceError(h + "o,a,f,http,1,\n").rfind("t.csv:2:6: \"\" is not a count", 0), 0u);
  EXPECT_EQ(TraceError(h + "o,a,f,http,1\n"), "t.csv:2: expected 2 minute columns, got 1");
  EXPECT_EQ(TraceError(h), "t.csv: no functions in the trace");
  EXPECT_EQ(TraceError("a,b\n").rfind("t.csv: not an Azure Functions 2019 invocations file", 0), 0u);
  EXPECT_EQ(TraceError(""), TraceError("a,b\n"));
  // Control bytes are not echoed raw.
  EXPECT_NE(TraceError(h + "o,a,f,http,0,\x01\x1b[31m\n").find("\"??[31m\""), std::string::npos);

  // Accepted: CRLF, blank lines, the cap itself, max_functions stops before bad rows.
  auto t = ParseAzureTrace(h + "o,a,f,http,60000000,0\r\n\r\n\no2,a,f,http,7,0007\r\n", "t.csv", 0);
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_EQ(t->counts.size(), 2u);
  EXPECT_EQ(t->counts[0], (std::vector<uint32_t>{60000000, 0}));
  EXPECT_EQ(t->counts[1], (std::vector<uint32_t>{7, 7}));
  auto one = ParseAzureTrace(h + "o,a,f,http,1,2\no,a,f,http,x,y\n", "t.csv", 1);
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_EQ(one->counts.size(), 1u);
}

TEST(TrafficTest, TraceParserSurvivesArbitraryBytes) {
  // A crude fuzz: random bytes after a valid header must give a status, never a crash.
  Rng rng(11);
  const std::string alphabet = "0123456789,\r\n-x \x00\xff";
  for (int i = 0; i < 2000; ++i) {
    std::string text = "HashOwner,HashApp,HashFunction,Trigger,1,2,3\n";
    const int n = static_cast<int>(rng.UniformInt(80));
    for (int k = 0; k < n; ++k) text += alphabet[rng.UniformInt(alphabet.size())];
    auto t = ParseAzureTrace(text, "fuzz", static_cast<int64_t>(rng.UniformInt(3)));
    if (t.ok()) {
      for (const auto& row : t->counts) ASSERT_EQ(row.size(), 3u);
    }
  }
}

TEST(TrafficTest, TraceHeaderMinuteColumnsAreCapped) {
  std::string h = "HashOwner,HashApp,HashFunction,Trigger";
  for (size_t i = 0; i <= kMaxTraceMinutes; ++i) h += ",1";
  EXPECT_EQ(TraceError(h + "\n"),
            "t.csv:1: 527041 minute columns are too many; expected at most 527040 (366 days)");
}

TEST(TrafficTest, TraceFilesMustBeRegularFilesWithinTheSizeLimit) {
  TraceConfig tc;
  const std::string accepted = "expected a regular file of at most 268435456 bytes (256 MiB)";
  for (const char* special : {"/dev/zero", "/dev/null"}) {
    tc.path = special;
    auto t = LoadAzureTrace(tc);
    ASSERT_FALSE(t.ok()) << special;
    EXPECT_EQ(t.status().message(),
              std::string(special) + ": is a character device; " + accepted);
  }
  const auto dir = std::filesystem::temp_directory_path() / "credsim_traffic_test_special";
  std::filesystem::create_directories(dir);
  tc.path = dir.string();
  EXPECT_EQ(LoadAzureTrace(tc).status().message(), tc.path + ": is a directory; " + accepted);
  const std::string fifo = (dir / "fifo.csv").string();
  ::unlink(fifo.c_str());
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  tc.path = fifo;  // opening it would block forever
  EXPECT_EQ(LoadAzureTrace(tc).status().message(), fifo + ": is a FIFO; " + accepted);
  ::unlink(fifo.c_str());
  // Too large (a sparse file: no disk space used).
  const std::string big = (dir / "big.csv").string();
  {
    std::ofstream(big) << "HashOwner,HashApp,HashFunction,Trigger,1\n";
  }
  std::filesystem::resize_file(big, kMaxTraceFileBytes + 1);
  tc.path = big;
  EXPECT_EQ(LoadAzureTrace(tc).status().message(),
            big + ": 268435457 bytes is too large; " + accepted);
  std::filesystem::remove(big);
  tc.path = (dir / "missing.csv").string();
  auto missing = LoadAzureTrace(tc);
  EXPECT_EQ(std::string(missing.status().message()).rfind("cannot open trace file " + tc.path, 0), 0u)
      << missing.status();
  std::filesystem::remove_all(dir);
}

TEST(TrafficTest, TraceScaleTimesCountsMustStayWithinTheCap) {
  TraceConfig tc;
  tc.path = WriteTrace("HashOwner,HashApp,HashFunction,Trigger,1,2\no,a,f,http,3,700\n");
  tc.scale = 1e6;  // 7e8 per minute: used to overflow the uint32 of the replay
  auto t = LoadAzureTrace(tc);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(std::string(t.status().message())
                .find("the largest count, 700 (function 0, minute column 6), x traffic.trace.scale "
                      "1000000 = 700000000 invocations per minute is too many; expected count x "
                      "scale <= 60000000"),
            std::string::npos)
      << t.status();
  tc.scale = 60000000.0 / 700;
  EXPECT_TRUE(LoadAzureTrace(tc).ok());
}

// ---------------------------------------------------------------------------------------------
// Issue 10 item 9: rate caps; item 4: burst start + duration must fit.

std::string ParseError(const char* text) {
  nlohmann::json j = nlohmann::json::parse(text);
  TrafficConfig cfg;
  JsonReader r(j, "traffic");
  absl::Status s = ParseTrafficConfig(r, ".", &cfg);
  if (s.ok()) s = r.Finish();
  return std::string(s.message());
}

TEST(TrafficTest, RatesAreCappedAtAMillionPerSecond) {
  EXPECT_EQ(ParseError(R"({"rate": 1000000})"), "");
  EXPECT_EQ(ParseError(R"({"rate": 1e15})"),
            "traffic.rate: 1000000000000000 is out of range; expected a number in [0, 1000000]");
  EXPECT_EQ(ParseError(R"({"role_rates": [1, 1e15]})"),
            "traffic.role_rates[1]: expected a number from 0 to 1000000 (requests/s)");
  EXPECT_EQ(ParseError(R"({"role_rates": [600000, 600000]})"),
            "traffic.role_rates: the rates add up to 1200000 requests/s; expected a sum of at most 1000000");
  EXPECT_EQ(ParseError(R"({"bursts": [{"rate": 1e15}]})"),
            "traffic.bursts[0].rate: 1000000000000000 is out of range; expected a number in [0, 1000000]");
  EXPECT_EQ(ParseError(R"({"rate": 50, "curve": {"type": "piecewise", "points": [{"at": "1m", "multiplier": 1e6}]}})"),
            "traffic.curve.points[0].multiplier: 50 requests/s x 1000000 = 50000000 requests/s is "
            "too many; expected rate x multiplier <= 1000000");
  EXPECT_EQ(ParseError(R"({"rate": 50, "curve": {"type": "piecewise", "points": [{"at": "1m", "multiplier": 20000}]}})"), "");
}

TEST(TrafficTest, BurstStartPlusDurationMustFitTheClock) {
  // A burst after the run is valid (it simply never fires) as long as nothing overflows.
  EXPECT_EQ(ParseError(R"({"bursts": [{"start": "87600h", "duration": "5m"}]})"), "");
  EXPECT_EQ(ParseError(R"({"bursts": [{"start": "2562047h", "duration": "1h"}]})"),
            "traffic.bursts[0].duration: start (2562047h) + duration (1h) does not fit the 64-bit "
            "nanosecond clock; expected start + duration <= 2562047h47m16.854775807s");
}

TEST(TrafficTest, TinyRatesAndFarBurstsDoNotOverflowTheClock) {
  // A gap of 1e300 s saturates to Duration::Infinite(); next + gap used to overflow.
  TrafficConfig cfg;
  cfg.rate = 1e-300;
  BurstConfig far;
  far.start = Duration::Hours(2562047);
  far.duration = Duration::Minutes(30);
  far.rate = 1e-300;
  cfg.bursts.push_back(far);
  BurstConfig slow;
  slow.start = Duration::Seconds(10);
  slow.rate = 1e-300;
  cfg.bursts.push_back(slow);
  ColoSet colos(SmallColos(3));
  EXPECT_TRUE(RunTraffic(cfg, colos, 1, Duration::Hours(1)).empty());
}

// Issue 10 item 9 (b): ExpectedArrivals against generated counts, several configs and seeds.
TEST(TrafficTest, ExpectedArrivalsMatchesGeneratedCounts) {
  ColoSet colos(SmallColos(6));
  struct Case {
    const char* name;
    TrafficConfig cfg;
    Duration horizon;
  };
  std::vector<Case> cases;
  {
    TrafficConfig c;
    c.rate = 40;
    cases.push_back({"constant", c, Duration::Minutes(20)});
  }
  {
    TrafficConfig c;
    c.role_rates = {5, 10, 0, 25};
    c.roles = 4;
    cases.push_back({"role_rates", c, Duration::Minutes(20)});
  }
  {
    TrafficConfig c;
    c.rate = 30;
    c.curve = TrafficConfig::Curve::kPiecewise;
    c.points = {{Duration::Minutes(5), 3.0}, {Duration::Minutes(5), 0.5}, {Duration::Minutes(12), 2.0},
                {Duration::Minutes(50), 100.0}};  // the last step is past the horizon
    cases.push_back({"piecewise", c, Duration::Minutes(20)});
  }
  {
    TrafficConfig c;
    c.rate = 30;
    c.curve = TrafficConfig::Curve::kPiecewise;
    c.points = {{Duration(), 0.0}, {Duration::Minutes(10), 1.0}};
    cases.push_back({"piecewise from zero", c, Duration::Minutes(20)});
  }
  {
    TrafficConfig c;
    c.rate = 50;
    c.curve = TrafficConfig::Curve::kDiurnal;
    c.diurnal_period = Duration::Minutes(50);
    c.diurnal_peak_at = Duration::Minutes(7);
    c.diurnal_trough = 0.1;
    cases.push_back({"diurnal, partial period", c, Duration::Minutes(32)});
  }
  {
    TrafficConfig c;
    c.rate = 10;
    BurstConfig a;
    a.start = Duration::Minutes(3);
    a.duration = Duration::Minutes(2);
    a.rate = 200;
    BurstConfig b;  // cut by the horizon
    b.start = Duration::Minutes(18);
    b.duration = Duration::Minutes(10);
    b.rate = 100;
    BurstConfig c0;  // never fires
    c0.start = Duration::Hours(5);
    c0.rate = 1000;
    c.bursts = {a, b, c0};
    FailoverConfig f;  // moves arrivals, does not change the total
    f.at = Duration::Minutes(1);
    f.from = 0;
    f.to = 1;
    c.failovers.push_back(f);
    cases.push_back({"bursts and failover", c, Duration::Minutes(20)});
  }
  for (const Case& k : cases) {
    SCOPED_TRACE(k.name);
    const double expected = ExpectedArrivals(k.cfg, k.horizon, nullptr);
    double generated = 0;
    const int seeds = 4;
    for (uint64_t seed = 1; seed <= seeds; ++seed) {
      generated += static_cast<double>(RunTraffic(k.cfg, colos, seed, k.horizon).size());
    }
    generated /= seeds;
    ASSERT_GT(expected, 1000);
    // Poisson: 4 seeds of >= 1e4 arrivals each -> sigma <= 0.5 %.
    EXPECT_NEAR(generated / expected, 1.0, 0.03) << "expected " << expected << ", generated " << generated;
  }
  // Closed forms.
  TrafficConfig constant;
  constant.rate = 40;
  EXPECT_DOUBLE_EQ(ExpectedArrivals(constant, Duration::Minutes(20), nullptr), 40 * 1200.0);
  TrafficConfig diurnal;
  diurnal.curve = TrafficConfig::Curve::kDiurnal;
  diurnal.rate = 10;
  diurnal.diurnal_trough = 0.3;
  // Over whole periods the mean multiplier is (1 + trough) / 2.
  EXPECT_NEAR(ExpectedArrivals(diurnal, Duration::Hours(48), nullptr), 10 * 0.65 * 48 * 3600, 1e-3);
}

TEST(TrafficTest, ExpectedArrivalsOfATraceReplay) {
  TraceConfig tc;
  tc.path = WriteTrace(
      "HashOwner,HashApp,HashFunction,Trigger,1,2,3,4\n"
      "o1,a1,f1,http,300,0,700,10000\n"
      "o2,a2,f2,timer,20,1000,0,5\n");
  tc.scale = 0.7;
  auto trace = LoadAzureTrace(tc);
  ASSERT_TRUE(trace.ok()) << trace.status();
  auto shared = std::make_shared<const Trace>(*trace);
  TrafficConfig cfg;
  cfg.trace = tc;
  cfg.rate = 1000;  // ignored: the trace replaces the base process
  BurstConfig b;
  b.start = Duration::Seconds(30);
  b.duration = Duration::Seconds(60);
  b.rate = 20;
  cfg.bursts.push_back(b);
  const Duration horizon = Duration::Seconds(150);  // minutes 0, 1 and half of 2
  const double expected = ExpectedArrivals(cfg, horizon, shared.get());
  EXPECT_DOUBLE_EQ(expected, 0.7 * (300 + 0 + 350 + 20 + 1000 + 0) + 20 * 60);
  ColoSet colos(SmallColos(3));
  double generated = 0;
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    generated += static_cast<double>(RunTraffic(cfg, colos, seed, horizon, shared).size());
  }
  EXPECT_NEAR(generated / 4 / expected, 1.0, 0.03);
  // Past the end of the trace only bursts remain.
  EXPECT_DOUBLE_EQ(ExpectedArrivals(cfg, Duration::Hours(1), shared.get()),
                   0.7 * (300 + 700 + 10000 + 20 + 1000 + 5) + 20 * 60);
}

// ---------------------------------------------------------------------------------------------
// Issue 11 item 13: exact-count bursts, targeted colos, cold roles, a time-of-day anchor;
// item 9: routing within a colo.

TrafficConfig ParseOk(const char* text) {
  nlohmann::json j = nlohmann::json::parse(text);
  TrafficConfig cfg;
  JsonReader r(j, "traffic");
  absl::Status s = ParseTrafficConfig(r, ".", &cfg);
  if (s.ok()) s = r.Finish();
  EXPECT_TRUE(s.ok()) << text << ": " << s;
  return cfg;
}

TEST(TrafficTest, ExactCountBurstGivesExactlyNArrivalsInsideItsSpread) {
  TrafficConfig cfg = ParseOk(
      R"({"rate": 0, "roles": 5, "bursts": [{"start": "100s", "count": 1000, "spread": "10s"}]})");
  ASSERT_TRUE(cfg.bursts[0].count.has_value());
  ColoSet colos(SmallColos(8));
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    size_t max_pending = 0;
    auto a = RunTraffic(cfg, colos, seed, Duration::Seconds(300), nullptr, &max_pending);
    ASSERT_EQ(a.size(), 1000u);
    EXPECT_LE(max_pending, 1u);  // O(1) state: one pending event for the burst
    std::vector<int> per_second(10);
    for (size_t i = 0; i < a.size(); ++i) {
      const Time t = a[i].first;
      ASSERT_GE(t, Time() + Duration::Seconds(100));
      ASSERT_LT(t, Time() + Duration::Seconds(110));
      if (i > 0) {
        ASSERT_LE(a[i - 1].first, t);
      }
      EXPECT_EQ(a[i].second.role, 4u);
      ++per_second[static_cast<int>((t - (Time() + Duration::Seconds(100))).seconds())];
    }
    // Uniform over the spread: 100 per second, binomial sigma ~9.5 (|z| <= 5).
    for (int c : per_second) EXPECT_NEAR(c, 100, 48);
  }
  // spread 0 (the default): all N at the same instant (the #197 shape).
  TrafficConfig herd = ParseOk(R"({"rate": 0, "bursts": [{"start": "1m", "count": 80}]})");
  auto h = RunTraffic(herd, colos, 1, Duration::Minutes(5));
  ASSERT_EQ(h.size(), 80u);
  for (auto& [t, ar] : h) EXPECT_EQ(t, Time() + Duration::Minutes(1));
  // Cut by the end of the run.
  TrafficConfig cut = ParseOk(R"({"rate": 0, "bursts": [{"start": "0s", "count": 400, "spread": "20s"}]})");
  auto c = RunTraffic(cut, colos, 2, Duration::Seconds(10));
  EXPECT_NEAR(static_cast<double>(c.size()), 200, 50);
}

TEST(TrafficTest, ExpectedArrivalsOfExactCountBursts) {
  TrafficConfig cfg = ParseOk(R"({"rate": 2, "bursts": [
      {"start": "10s", "count": 80},
      {"start": "100s", "count": 600, "spread": "60s"},
      {"start": "1h", "count": 1000}]})");
  EXPECT_DOUBLE_EQ(ExpectedArrivals(cfg, Duration::Seconds(130), nullptr), 2 * 130.0 + 80 + 300);
  EXPECT_DOUBLE_EQ(ExpectedArrivals(cfg, Duration::Seconds(10), nullptr), 2 * 10.0);  // [0, 10s)
  EXPECT_DOUBLE_EQ(ExpectedArrivals(cfg, Duration::Hours(2), nullptr), 2 * 7200.0 + 1680);
  ColoSet colos(SmallColos(4));
  double generated = 0;
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    generated += static_cast<double>(RunTraffic(cfg, colos, seed, Duration::Seconds(130)).size());
  }
  EXPECT_NEAR(generated / 4, 640, 20);
}

TEST(TrafficTest, ExactCountBurstParsing) {
  EXPECT_EQ(ParseError(R"({"bursts": [{"count": 5, "rate": 3}]})"),
            "traffic.bursts[0].rate: \"count\" + \"spread\" (exactly N requests) and \"rate\" + "
            "\"duration\" (Poisson) are alternatives; expected one pair");
  EXPECT_EQ(ParseError(R"({"bursts": [{"count": 5, "duration": "1m"}]})").rfind("traffic.bursts[0].duration:", 0), 0u);
  EXPECT_EQ(ParseError(R"({"bursts": [{"spread": "1m"}]})"),
            "traffic.bursts[0].spread: \"spread\" goes with \"count\"; expected \"count\" too, or "
            "\"duration\" for a Poisson burst");
  EXPECT_EQ(ParseError(R"({"bursts": [{"count": -1}]})").rfind("traffic.bursts[0].count:", 0), 0u);
  EXPECT_EQ(ParseError(R"({"bursts": [{"count": 2.5}]})").rfind("traffic.bursts[0].count:", 0), 0u);
  EXPECT_EQ(ParseError(R"({"bursts": [{"start": "2562047h", "count": 1, "spread": "1h"}]})")
                .rfind("traffic.bursts[0].spread: start (2562047h) + spread (1h) does not fit", 0),
            0u);
}

TEST(TrafficTest, BurstTargetedAtNamedColosHitsOnlyThose) {
  TrafficConfig cfg = ParseOk(
      R"({"rate": 0, "bursts": [{"start": "0s", "duration": "100s", "rate": 40, "colos": ["colo003", "colo007"]}]})");
  ColoSet colos(SmallColos(10));
  ASSERT_TRUE(ValidateBurstColos(cfg, colos).ok());
  auto a = RunTraffic(cfg, colos, 3, Duration::Seconds(100));
  ASSERT_GT(a.size(), 3000u);
  int c3 = 0;
  for (auto& [t, ar] : a) {
    ASSERT_TRUE(ar.colo == 3 || ar.colo == 7) << ar.colo;
    c3 += ar.colo == 3;
  }
  // Uniform over the named colos (not by weight): half each, |z| <= 5.
  EXPECT_NEAR(static_cast<double>(c3) / a.size(), 0.5, 5 * 0.5 / std::sqrt(a.size()));
  // Unknown names are errors naming the element.
  TrafficConfig bad = ParseOk(R"({"bursts": [{"colos": ["colo001", "lhr"]}]})");
  EXPECT_EQ(ValidateBurstColos(bad, colos).message(),
            "traffic.bursts[0].colos[1]: \"lhr\" is not a colo; expected a name of world.colos "
            "(10 colos: \"colo000\" .. \"colo009\")");
  EXPECT_THROW(TrafficGenerator(bad, colos, 1, nullptr), std::invalid_argument);
  EXPECT_EQ(ParseError(R"({"bursts": [{"colos": []}]})"),
            "traffic.bursts[0].colos: expected at least one colo name");
  EXPECT_EQ(ParseError(R"({"bursts": [{"colos": ["a", 3]}]})"),
            "traffic.bursts[0].colos[1]: expected a colo name (a string)");
  EXPECT_EQ(ParseError(R"({"bursts": [{"colos": ["a", "a"]}]})"),
            "traffic.bursts[0].colos[1]: \"a\" is listed twice; expected distinct colo names");
  EXPECT_EQ(ParseError(R"({"bursts": [{"colos": "some"}]})").rfind("traffic.bursts[0].colos:", 0), 0u);
}

TEST(TrafficTest, ColdRoleIsAFreshRoleBaseTrafficNeverProduces) {
  TrafficConfig cfg = ParseOk(R"({"rate": 100, "roles": 10, "bursts": [
      {"start": "60s", "count": 50, "spread": "1s", "role": "cold"},
      {"start": "90s", "duration": "5s", "rate": 20},
      {"start": "100s", "count": 5, "role": "cold"}]})");
  EXPECT_TRUE(cfg.bursts[0].cold_role);
  ColoSet colos(SmallColos(5));
  TrafficGenerator gen(cfg, colos, 1, nullptr);
  EXPECT_EQ(gen.base_role_count(), 10u);
  EXPECT_EQ(gen.role_count(), 12u);  // one fresh role per cold burst
  EXPECT_EQ(RoleCount(cfg, nullptr), 12u);
  EXPECT_EQ(BaseRoleCount(cfg, nullptr), 10u);
  auto a = RunTraffic(cfg, colos, 1, Duration::Seconds(200));
  std::map<uint32_t, int> per_role;
  int least_popular_in_burst = 0;
  for (auto& [t, ar] : a) {
    ++per_role[ar.role];
    if (ar.role == 10) {
      EXPECT_GE(t, Time() + Duration::Seconds(60));
      EXPECT_LT(t, Time() + Duration::Seconds(61));
    }
    if (ar.role == 11) {
      EXPECT_EQ(t, Time() + Duration::Seconds(100));
    }
    if (ar.role == 9 && t >= Time() + Duration::Seconds(90) && t < Time() + Duration::Seconds(95)) {
      ++least_popular_in_burst;
    }
  }
  EXPECT_EQ(per_role[10], 50);  // only the burst: base traffic never produces it
  EXPECT_EQ(per_role[11], 5);
  EXPECT_GT(least_popular_in_burst, 50);  // role -1 is still the least popular *base* role
  EXPECT_EQ(ParseError(R"({"bursts": [{"role": "warm"}]})"),
            "traffic.bursts[0].role: expected -1 (the least popular role), a role index, or "
            "\"cold\" (a fresh role base traffic never produces)");
}

TEST(TrafficTest, TimeOfDayAnchorMakesPeakAndBurstsClockTimes) {
  EXPECT_EQ(*ParseTimeOfDay("09:50"), Duration::Hours(9) + Duration::Minutes(50));
  EXPECT_EQ(*ParseTimeOfDay("23:59:59"), Duration::Hours(24) - Duration::Seconds(1));
  for (const char* bad : {"9:50", "24:00", "12:60", "12:00:60", "12h", "", "12:00:0", "1200"}) {
    EXPECT_FALSE(ParseTimeOfDay(bad).ok()) << bad;
  }
  TrafficConfig cfg = ParseOk(R"({"start_time_of_day": "09:50", "rate": 100,
      "curve": {"type": "diurnal", "peak_at": "10:00", "trough": 0.1},
      "bursts": [{"at": "10:00", "count": 7}, {"at": "09:00", "count": 1}, {"start": "5m", "count": 2}]})");
  ASSERT_TRUE(cfg.start_time_of_day.has_value());
  EXPECT_EQ(cfg.diurnal_peak_at, Duration::Minutes(10));  // 10:00 is t = 10m
  EXPECT_EQ(cfg.bursts[0].start, Duration::Minutes(10));
  EXPECT_EQ(cfg.bursts[1].start, Duration::Hours(23) + Duration::Minutes(10));  // the next 09:00
  EXPECT_EQ(cfg.bursts[2].start, Duration::Minutes(5));  // start stays an offset
  // Without the anchor the same peak would be at t = 14h; with it the rate peaks at t = 10m:
  // over the first 20 minutes the multiplier is ~1 (vs ~0.1 at t = 12h10m).
  ColoSet colos(SmallColos(3));
  auto a = RunTraffic(cfg, colos, 1, Duration::Minutes(20));
  // Expected: 100/s x 1200 s x ~0.995 + 7 + 2 bursts.
  EXPECT_NEAR(static_cast<double>(a.size()), 119400, 1500);
  int at_ten = 0;
  for (auto& [t, ar] : a) at_ten += t == Time() + Duration::Minutes(10);
  EXPECT_GE(at_ten, 7);
  // The default peak with the anchor is the clock time 14:00.
  TrafficConfig def = ParseOk(R"({"start_time_of_day": "09:50", "curve": {"type": "diurnal"}})");
  EXPECT_EQ(def.diurnal_peak_at, Duration::Hours(4) + Duration::Minutes(10));
  // No anchor: unchanged (an offset from t = 0).
  EXPECT_EQ(ParseOk(R"({"curve": {"type": "diurnal", "peak_at": "3h"}})").diurnal_peak_at, Duration::Hours(3));
  EXPECT_EQ(ParseOk("{}").diurnal_peak_at, Duration::Hours(14));
  // Errors.
  EXPECT_EQ(ParseError(R"({"bursts": [{"at": "10:00"}]})"),
            "traffic.bursts[0].at: a clock time needs traffic.start_time_of_day; expected "
            "\"start\" (a duration from t = 0) instead, or set traffic.start_time_of_day");
  EXPECT_EQ(ParseError(R"({"start_time_of_day": "09:50", "bursts": [{"at": "10:00", "start": "1m"}]})"),
            "traffic.bursts[0].at: \"at\" (clock time) and \"start\" (offset from t = 0) are "
            "alternatives; expected one of them");
  EXPECT_EQ(ParseError(R"({"start_time_of_day": "09:50", "bursts": [{"at": "10h"}]})"),
            "traffic.bursts[0].at: \"10h\" is not a clock time; expected \"HH:MM\" or \"HH:MM:SS\" "
            "(00:00 to 23:59:59)");
  EXPECT_EQ(ParseError(R"({"start_time_of_day": "9:50"})"),
            "traffic.start_time_of_day: \"9:50\" is not a clock time; expected \"HH:MM\" or "
            "\"HH:MM:SS\" (00:00 to 23:59:59)");
  EXPECT_EQ(ParseError(R"({"start_time_of_day": "09:50", "curve": {"type": "diurnal", "peak_at": "14h"}})"),
            "traffic.curve.peak_at: with traffic.start_time_of_day, peak_at is a clock time; "
            "expected \"HH:MM\" or \"HH:MM:SS\" (00:00 to 23:59:59), such as \"14:00\"");
  EXPECT_EQ(ParseError(R"({"curve": {"type": "diurnal", "peak_at": "14:00"}})"),
            "traffic.curve.peak_at: a clock time needs traffic.start_time_of_day; expected a "
            "duration from t = 0 such as \"14h\", or set traffic.start_time_of_day");
  EXPECT_EQ(ParseError(R"({"start_time_of_day": "09:50", "curve": {"type": "diurnal", "period": "12h"}})"),
            "traffic.curve.period: 12h with traffic.start_time_of_day; expected 24h (clock times "
            "repeat every day)");
  EXPECT_EQ(ParseError(R"({"start_time_of_day": null})"), "");
  EXPECT_EQ(ParseError(R"({"bursts": [{"at": null, "count": null}]})"), "");  // null = absent
  EXPECT_EQ(ParseError(R"({"start_time_of_day": "09:50", "bursts": [{"at": 600}]})"),
            "traffic.bursts[0].at: expected a clock time \"HH:MM\" or \"HH:MM:SS\" (00:00 to "
            "23:59:59), or null");
}

TEST(TrafficTest, RoutingWithinAColoIsUniformOrSharded) {
  ColoConfig cc = SmallColos(3);
  cc.servers_per_colo = 4;
  TrafficConfig cfg;
  cfg.rate = 100;
  {
    ColoSet colos(cc);
    auto a = RunTraffic(cfg, colos, 1, Duration::Seconds(100));
    std::map<std::pair<uint32_t, uint32_t>, int> per_server;
    std::map<uint32_t, int> per_colo;
    for (auto& [t, ar] : a) {
      ++per_server[{ar.colo, ar.server}];
      ++per_colo[ar.colo];
    }
    for (auto& [key, n] : per_server) {
      ASSERT_LT(key.second, 4u);
      const double expect = per_colo[key.first] / 4.0;
      EXPECT_NEAR(n, expect, 5 * std::sqrt(expect));  // uniform over the colo's servers
    }
    EXPECT_EQ(per_server.size(), 12u);
  }
  cc.routing = ColoConfig::Routing::kSharded;
  ColoSet sharded(cc);
  auto a = RunTraffic(cfg, sharded, 1, Duration::Seconds(100));
  ASSERT_GT(a.size(), 5000u);
  for (auto& [t, ar] : a) ASSERT_EQ(ar.server, 0u);  // the Worker's shard server
}

TEST(TrafficTest, BaseRequestRateForServersIsTheMeanBaseRateWithoutBursts) {
  TrafficConfig cfg = ParseOk(R"({"rate": 40, "bursts": [{"start": "0s", "rate": 1000}]})");
  EXPECT_DOUBLE_EQ(BaseRequestRateForServers(cfg, Duration::Hours(1), nullptr), 40);
  TrafficConfig d = ParseOk(R"({"rate": 10, "curve": {"type": "diurnal", "trough": 0.3}})");
  EXPECT_NEAR(BaseRequestRateForServers(d, Duration::Hours(48), nullptr), 6.5, 1e-9);
  TrafficConfig r = ParseOk(R"({"role_rates": [5, 15]})");
  EXPECT_DOUBLE_EQ(BaseRequestRateForServers(r, Duration::Hours(1), nullptr), 20);
  EXPECT_EQ(BaseRequestRateForServers(r, Duration(), nullptr), 0);
}

}  // namespace
}  // namespace credsim
